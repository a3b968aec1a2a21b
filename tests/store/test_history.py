"""Ids through merges, splits and deletions; history, redirects, tombstones; publish atomicity; the lock."""

import json
import os

import pandas as pd
import pytest
import sqlalchemy as sa

import store.publish as publish_module
from store import ConservationError, publish_run, read_links
from store.lock import RegistryBusyError, acquire_lock, release_lock
from store.models import EntityHistory, Person, RegistryIdRedirect, RegistryLock, SourceRecord

pytestmark = pytest.mark.integration


def _rows(factory, clusters: dict[str, int]):
    return factory(
        [
            {
                "source": "bpjs_kesehatan",
                "record_id": record_id,
                "cluster": cluster,
                "name_std": f"N{record_id}",
            }
            for record_id, cluster in clusters.items()
        ]
    )


def _ids(engine) -> dict[str, str]:
    links = read_links(engine)
    return dict(zip(links["record_id"], links["registry_id"], strict=True))


def _history(engine) -> list[tuple]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(EntityHistory.run_id, EntityHistory.kind, EntityHistory.registry_id,
                      EntityHistory.other_registry_id).order_by(EntityHistory.id)
        )  # fmt: skip
        return [tuple(row) for row in rows]


def _tables(engine) -> dict[str, pd.DataFrame]:
    frames = {}
    with engine.connect() as connection:
        for table in sa.inspect(connection).get_table_names():
            frame = pd.read_sql(sa.text(f'SELECT * FROM "{table}"'), connection)
            frames[table] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return frames


def test_merge_keeps_the_older_id_and_the_retired_id_points_to_it(registry, records_factory, outcome_factory):
    publish_run(registry, outcome_factory(_rows(records_factory, {"a": 0, "b": 0, "c": 1, "d": 2})))
    first = _ids(registry)
    older, newer = first["a"], first["c"]
    assert older < newer
    # c's person (one record) merges into a's: the older id survives even though... both keep records
    summary = publish_run(
        registry, outcome_factory(_rows(records_factory, {"a": 5, "b": 5, "c": 5, "d": 6}), run_id="run-2")
    )
    assert set(_ids(registry).values()) == {older, first["d"]}
    assert summary.merged == 1 and summary.new_persons == 0
    assert ("run-2", "merge", older, newer) in _history(registry)
    with registry.connect() as connection:
        redirects = connection.execute(
            sa.select(RegistryIdRedirect.retired_id, RegistryIdRedirect.registry_id)
        )
        assert list(redirects) == [(newer, older)]
        assert (
            connection.execute(sa.select(Person.record_count).where(Person.registry_id == older)).scalar()
            == 3
        )


def test_split_leaves_the_id_with_the_larger_part_and_is_written_to_history(
    registry, records_factory, outcome_factory
):
    publish_run(registry, outcome_factory(_rows(records_factory, {"a": 0, "b": 0, "c": 0})))
    kept = _ids(registry)["a"]
    summary = publish_run(
        registry, outcome_factory(_rows(records_factory, {"a": 1, "b": 1, "c": 2}), run_id="run-2")
    )
    after = _ids(registry)
    assert after["a"] == after["b"] == kept and after["c"] != kept
    assert summary.split == 1 and summary.new_persons == 1
    assert ("run-2", "split", kept, after["c"]) in _history(registry)


def test_a_vanished_record_is_kept_as_deleted_and_leaves_the_golden_record(
    registry, records_factory, outcome_factory
):
    rows = records_factory(
        [
            {"source": "penduduk_depok", "record_id": "1", "cluster": 0, "name_std": "SITI AMINAH"},
            {"source": "bpjs_kesehatan", "record_id": "0001", "cluster": 0, "name_std": "SITI A",
             "membership_status": "AKTIF"},
        ]
    )  # fmt: skip
    publish_run(registry, outcome_factory(rows))
    siti = _ids(registry)["1"]
    read = {"bpjs_kesehatan": 1, "penduduk_depok": 0}
    summary = publish_run(registry, outcome_factory(rows.iloc[1:], run_id="run-2", rows_read=read))
    assert summary.deleted == 1 and summary.linked == {"bpjs_kesehatan": 1} and summary.balanced
    assert _ids(registry) == {"0001": siti}
    with registry.connect() as connection:
        person = connection.execute(sa.select(Person).where(Person.registry_id == siti)).one()
        tombstone = connection.execute(sa.select(SourceRecord).where(SourceRecord.record_id == "1")).one()
    assert person.full_name == "SITI A" and person.record_count == 1 and not person.in_city
    assert json.loads(person.provenance)["full_name"] == ["bpjs_kesehatan", "0001"]
    assert tombstone.deleted_at is not None and tombstone.registry_id == siti
    # the record comes back: live again, same person
    publish_run(registry, outcome_factory(rows, run_id="run-3"))
    assert _ids(registry) == {"1": siti, "0001": siti}
    with pytest.raises(ConservationError, match="penduduk_depok is held but was neither read nor carried"):
        publish_run(registry, outcome_factory(rows.iloc[1:], run_id="run-4"))


def test_publishing_the_same_outcome_twice_changes_nothing_but_the_run_log(
    registry, records_factory, outcome_factory
):
    rows = _rows(records_factory, {"a": 0, "b": 0, "c": 1})
    publish_run(registry, outcome_factory(rows))
    before = _tables(registry)
    publish_run(registry, outcome_factory(rows.assign(cluster=[4, 4, 3]), run_id="run-2"))
    after = _tables(registry)
    for table in ("source_records", "persons", "match_pairs"):
        columns = [c for c in before[table].columns if c not in ("run_id", "pair_id")]
        pd.testing.assert_frame_equal(before[table][columns], after[table][columns], obj=table)
    for table in ("entity_history", "registry_id_redirects", "registry_meta"):
        pd.testing.assert_frame_equal(before[table], after[table], obj=table)


@pytest.mark.parametrize("step", ["deleted", "cleared", "records", "persons", "history", "run"])
def test_a_crash_at_any_step_of_publish_leaves_the_registry_as_it_was(
    registry, records_factory, outcome_factory, monkeypatch, step
):
    publish_run(registry, outcome_factory(_rows(records_factory, {"a": 0, "b": 0, "c": 1})))
    before = _tables(registry)

    def crash(name: str) -> None:
        if name == step:
            raise KeyboardInterrupt(f"killed at {name}")

    monkeypatch.setattr(publish_module, "_step_hook", crash)
    night = _rows(records_factory, {"a": 0, "c": 0, "e": 2})
    with pytest.raises(KeyboardInterrupt):
        publish_run(registry, outcome_factory(night, run_id="run-2"))
    after = _tables(registry)
    for table in before:
        pd.testing.assert_frame_equal(before[table], after[table], obj=table)
    monkeypatch.setattr(publish_module, "_step_hook", None)
    assert publish_run(registry, outcome_factory(night, run_id="run-3")).balanced


def test_a_second_run_is_refused_while_one_holds_the_lock(registry):
    acquire_lock(registry, "run-1")
    with pytest.raises(RegistryBusyError, match="another run is writing this registry: run run-1"):
        acquire_lock(registry, "run-2")
    release_lock(registry, "run-2")  # not the holder: nothing happens
    with pytest.raises(RegistryBusyError):
        acquire_lock(registry, "run-2")
    release_lock(registry, "run-1")
    acquire_lock(registry, "run-2")
    release_lock(registry, "run-2")


def test_a_lock_left_by_a_dead_process_on_this_host_is_taken_over(registry):
    acquire_lock(registry, "run-1")
    dead = os.fork()
    if dead == 0:
        os._exit(0)
    os.waitpid(dead, 0)
    with registry.begin() as connection:
        connection.execute(sa.update(RegistryLock).values(pid=dead))
    acquire_lock(registry, "run-2")
    with registry.connect() as connection:
        assert connection.execute(sa.select(RegistryLock.run_id)).scalar_one() == "run-2"
