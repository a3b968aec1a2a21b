"""Records staged by a helper process (``store.staging``) land exactly as a direct insert puts them, and a
helper that fails, or a publish that fails after it, leaves the registry and its folder as they were."""

import os
import sqlite3

import numpy as np
import pandas as pd
import pytest

import store.publish as publish_module
import store.staging as staging
from store import open_registry, publish_run

from .test_publish_chunks import _assert_same_registry, _drop, _outcome, _second_night

pytestmark = pytest.mark.integration


@pytest.fixture
def copies(monkeypatch):
    """Every records insert of a full rebuild staged (however few), and how many staged copies ran."""
    monkeypatch.setattr(staging, "MIN_STAGED_ROWS", 1)
    copied = []
    copy_into = staging.StagedRows.copy_into

    def counted(self, connection):
        copied.append(self.length)
        return copy_into(self, connection)

    monkeypatch.setattr(staging.StagedRows, "copy_into", counted)
    return copied


def _nights() -> tuple[pd.DataFrame, pd.DataFrame]:
    day1 = _drop(seed=7)
    # text Arrow must carry as it is: non-ASCII letters, empty strings, a lone quote
    day1.loc[day1.index[:3], "full_name"] = ["SITI NURJANNAH É", "", "O'NEIL"]
    day1.loc[day1.index[3:6], "rt"] = ["005", " 5", None]
    return day1, _second_night(day1)


def _storage_classes(path) -> list[tuple]:
    connection = sqlite3.connect(path)
    try:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(source_records)")]
        kinds = ", ".join(f"typeof({name})" for name in columns)
        return connection.execute(f"SELECT {kinds} FROM source_records ORDER BY source, record_id").fetchall()
    finally:
        connection.close()


def _leftovers(folder) -> list[str]:
    return sorted(name for name in os.listdir(folder) if staging._PREFIX in name)


def test_a_staged_full_rebuild_leaves_the_registry_a_direct_one_leaves(
    registry, tmp_path, monkeypatch, copies
):
    reference_path = tmp_path / "direct" / "registry.db"
    reference_path.parent.mkdir()
    reference = open_registry(f"sqlite:///{reference_path}")
    day1, day2 = _nights()
    try:
        monkeypatch.setattr(staging, "MIN_STAGED_ROWS", 10**12)  # the reference: inserted directly
        publish_run(reference, _outcome(day1, "run-1"))
        publish_run(reference, _outcome(day2, "run-2"))
        monkeypatch.setattr(staging, "MIN_STAGED_ROWS", 1)
        publish_run(registry, _outcome(day1, "run-1"))
        second = publish_run(registry, _outcome(day2, "run-2"))
        assert second.balanced and second.merged and second.deleted
        _assert_same_registry(registry, reference)
        if registry.dialect.name == "sqlite":
            assert copies == [len(day1), len(day2)]
            assert _storage_classes(registry.url.database) == _storage_classes(reference_path)
            assert _leftovers(tmp_path) == []
        else:
            assert copies == []  # PostgreSQL: COPY
    finally:
        reference.dispose()


def test_a_column_arrow_cannot_carry_as_it_is_is_inserted_directly(tmp_path, copies):
    day1, _ = _nights()
    day1["rt"] = day1["rt"].astype(object)
    day1.loc[day1.index[0], "rt"] = 5  # a number among strings: Arrow would not give it back
    engine = open_registry(f"sqlite:///{tmp_path / 'registry.db'}")
    try:
        assert publish_run(engine, _outcome(day1, "run-1")).balanced
        assert copies == []
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM source_records").scalar_one() == len(day1)
    finally:
        engine.dispose()


def _published_day1(tmp_path):
    engine = open_registry(f"sqlite:///{tmp_path / 'registry.db'}")
    day1, day2 = _nights()
    publish_run(engine, _outcome(day1, "run-1"))
    return engine, day2


def _dump(engine) -> list[str]:
    connection = sqlite3.connect(engine.url.database)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def test_a_helper_that_fails_fails_the_publish_and_leaves_the_registry_as_it_was(
    tmp_path, monkeypatch, copies
):
    engine, day2 = _published_day1(tmp_path)
    before = _dump(engine)
    try:
        # the scratch table cannot be made: the helper's SQLite error, reported to the publish
        monkeypatch.setattr(staging, "_create_statement", lambda table: "CREATE TABLE (")
        with pytest.raises(
            staging.StagingError, match=r"helper process .* source_records rows failed \(OperationalError"
        ):
            publish_run(engine, _outcome(day2, "run-2"))
        assert _dump(engine) == before
        assert _leftovers(tmp_path) == []
    finally:
        engine.dispose()


def _dies(*arguments) -> None:
    os._exit(3)


def test_a_helper_that_dies_fails_the_publish_and_leaves_the_registry_as_it_was(
    tmp_path, monkeypatch, copies
):
    engine, day2 = _published_day1(tmp_path)
    before = _dump(engine)
    try:
        monkeypatch.setattr(staging, "_write_staged_database", _dies)
        with pytest.raises(staging.StagingError, match="failed \\(exit code 3\\): nothing was published .*"):
            publish_run(engine, _outcome(day2, "run-2"))
        assert _dump(engine) == before
        assert _leftovers(tmp_path) == []
        monkeypatch.undo()
    finally:
        engine.dispose()


@pytest.mark.parametrize("step", ["persons", "history", "records", "run"])
def test_a_crash_around_the_staged_copy_leaves_the_registry_and_its_folder_as_they_were(
    tmp_path, monkeypatch, copies, step
):
    engine, day2 = _published_day1(tmp_path)
    before = _dump(engine)

    def crash(name: str) -> None:
        if name == step:
            raise KeyboardInterrupt(f"killed at {name}")

    try:
        monkeypatch.setattr(publish_module, "_step_hook", crash)
        with pytest.raises(KeyboardInterrupt):
            publish_run(engine, _outcome(day2, "run-2"))
        assert _dump(engine) == before
        assert _leftovers(tmp_path) == []
        monkeypatch.setattr(publish_module, "_step_hook", None)
        # the connection the copy used is usable again (the scratch database detached)
        assert publish_run(engine, _outcome(day2, "run-3")).balanced
        assert _leftovers(tmp_path) == []
    finally:
        engine.dispose()


def test_files_a_killed_run_left_are_removed_by_the_next_staged_publish(tmp_path, copies):
    for name in (".registry.db.staged-run-0.arrow", ".registry.db.staged-run-0.db"):
        (tmp_path / name).write_bytes(b"left by a run killed while it published")
    # another registry's, in the same folder: it may be publishing now
    (tmp_path / ".other.db.staged-run-9.arrow").write_bytes(b"another registry's run")
    engine, _ = _published_day1(tmp_path)
    engine.dispose()
    assert copies and _leftovers(tmp_path) == [".other.db.staged-run-9.arrow"]


def test_a_publish_told_not_to_stage_inserts_directly(tmp_path, copies):
    engine = open_registry(f"sqlite:///{tmp_path / 'registry.db'}")
    day1, _ = _nights()
    try:
        assert publish_run(engine, _outcome(day1, "run-1"), staged=False).balanced
        assert copies == []
    finally:
        engine.dispose()


def test_small_inserts_and_other_databases_are_not_staged(tmp_path):
    engine = open_registry(f"sqlite:///{tmp_path / 'registry.db'}")
    try:
        with engine.connect() as connection:
            columns = {"source": np.array(["a"] * 10, dtype=object)}
            table = publish_module.SourceRecord.__table__
            assert staging.stage_rows(connection, table, "run-1", columns, 10) is None
    finally:
        engine.dispose()
