"""The stages as plain functions: which sources a run reads, its match settings, what it carries over."""

import dataclasses
from types import SimpleNamespace

import pandas as pd
import pytest
import sqlalchemy as sa

from connectors import load_sources_config, read_source
from matching import load_settings, settings_hash
from pipelines import stages
from pipelines.errors import SyncParametersError
from store import open_registry


@pytest.fixture(scope="module")
def drop_config(small_drop):
    return load_sources_config(small_drop / "sources.yaml")


@pytest.mark.unit
def test_without_only_every_source_is_read(drop_config):
    plan = stages.plan_sources(drop_config, None, full=True)
    assert plan.refresh == drop_config.sources and plan.held == ()


@pytest.mark.unit
def test_only_splits_the_sources_in_the_order_of_the_drop(drop_config):
    plan = stages.plan_sources(drop_config, ["penduduk_depok", "bpjs_kesehatan"])
    assert [source.name for source in plan.refresh] == ["bpjs_kesehatan", "penduduk_depok"]
    assert plan.held_names == ("bpjs_ketenagakerjaan",)


@pytest.mark.unit
def test_only_must_name_configured_sources_and_cannot_go_with_full(drop_config):
    partial = drop_config.model_copy(update={"sources": drop_config.sources[:2]})
    with pytest.raises(SyncParametersError, match="penduduk_depok.*does not configure"):
        stages.plan_sources(partial, ["penduduk_depok"])
    with pytest.raises(SyncParametersError, match="exclude each other"):
        stages.plan_sources(drop_config, ["bpjs_kesehatan"], full=True)


@pytest.mark.unit
def test_a_threshold_overrides_only_the_match_weight():
    default = load_settings()
    assert stages.match_settings(None, None) == default
    stricter = stages.match_settings(None, default.thresholds.match_weight + 4)
    assert stricter.thresholds.match_weight == default.thresholds.match_weight + 4
    assert stricter.thresholds.review_weight == default.thresholds.review_weight
    assert stricter.model_copy(update={"thresholds": default.thresholds}) == default
    assert settings_hash(stricter) != settings_hash(default)


@pytest.mark.unit
@pytest.mark.parametrize("threshold", [-1000.0, float("nan"), float("inf")])
def test_a_threshold_that_makes_no_sense_is_refused(threshold):
    with pytest.raises(SyncParametersError, match="threshold"):
        stages.match_settings(None, threshold)


@pytest.mark.integration
def test_held_sources_come_back_as_the_connector_read_them(drop_config, registry_copy):
    engine = open_registry(registry_copy, create=False)
    try:
        snapshot = stages.read_registry(engine, drop_config.sources)
        with engine.connect() as connection:
            persons = connection.execute(sa.text("SELECT count(*) FROM persons")).scalar_one()
    finally:
        engine.dispose()
    assert snapshot.persons == persons
    for source, held in zip(drop_config.sources, snapshot.held, strict=True):
        batch = read_source(source)
        validated = stages.validate_batch(batch)
        assert held.source == source.name and held.programme == source.programme
        assert held.rows_read == batch.rows_read
        pd.testing.assert_frame_equal(held.records, validated.records.reset_index(drop=True))
        assert len(held.quarantine) == len(validated.quarantine)


@pytest.mark.unit
def test_the_coverage_overlap_counts_persons_per_combination_of_programmes():
    outcome = SimpleNamespace(
        records=pd.DataFrame(
            {
                "source": ["bpjs_kesehatan", "penduduk_depok", "penduduk_depok", "bpjs_ketenagakerjaan"],
                "cluster": [0, 0, 1, 2],
            }
        ),
        programmes={
            "bpjs_kesehatan": "health",
            "bpjs_ketenagakerjaan": "employment",
            "penduduk_depok": "city",
        },
    )
    overlap = stages.coverage_overlap(outcome)
    rows = {tuple(row[:3]): row[3] for row in overlap.itertuples(index=False)}
    assert rows == {(True, False, True): 1, (False, False, True): 1, (False, True, False): 1}


def _known(batch, hashes):
    ids = batch.records["record_id"]
    return pd.DataFrame({"source": batch.source, "record_id": ids, "content_hash": hashes})


def test_an_incremental_validation_checks_only_new_changed_and_repeated_rows(drop_config):
    from store.publish import content_hashes

    source = next(item for item in drop_config.sources if item.kind == "csv")
    batch = read_source(source)
    full = stages.validate_batch(batch)
    hashes = content_hashes(batch.records)
    known = _known(batch, hashes).iloc[5:].copy()  # the first five rows are new to the registry
    known.iloc[0, known.columns.get_loc("content_hash")] = "changed"  # row 5 changed since
    records = batch.records.copy()
    records.loc[7, "nik"] = "32760A"  # row 7: now a bad NIK (its hash no longer matches: checked again)
    records.loc[9, "record_id"] = records.loc[10, "record_id"]  # rows 9 and 10: a repeated id
    broken = dataclasses.replace(batch, records=records)

    result = stages.validate_batch(broken, known=known)

    checked = int(result.expectations["checked"].max())
    assert checked == 5 + 1 + 1 + 2  # new, changed, the bad NIK, both rows of the repeated id
    assert any("not validated again" in note for note in result.notes)
    assert "duplicate" in " ".join(result.quarantine["reason"])  # the later row of the repeated id
    # the rows go on in the batch's order, with their content hashes
    assert result.records["source_row"].is_monotonic_increasing
    assert len(result.records) + len(result.quarantine) == batch.rows_read
    assert list(result.content_hashes) == list(content_hashes(result.records))
    # and with their rows among the registry's live records, for the diff (-1: new)
    expected = pd.Index(known["record_id"]).get_indexer(result.records["record_id"])
    assert list(result.held_positions) == list(expected) and (expected == -1).sum() == 5
    # with nothing changed, the same records pass as in a full validation and none is checked again
    same = stages.validate_batch(batch, known=_known(batch, hashes))
    pd.testing.assert_frame_equal(same.records, full.records.reset_index(drop=True))
    assert same.expectations.empty and len(same.quarantine) == len(batch.rejected)
    assert list(same.held_positions) == list(range(len(same.records)))


def _assert_same_validation(there, here) -> None:
    """A validation finished from the worker's result equals the one run here: rows, outcomes,
    quarantine and content hashes."""
    pd.testing.assert_frame_equal(there.records, here.records)
    pd.testing.assert_frame_equal(there.expectations, here.expectations)
    pd.testing.assert_frame_equal(there.quarantine, here.quarantine)
    assert list(there.content_hashes) == list(here.content_hashes)


def test_a_validation_started_in_the_worker_finishes_as_one_run_here(drop_config):
    from expectations.worker import ValidationWorker
    from store.publish import content_hashes

    source = next(item for item in drop_config.sources if item.kind == "csv")
    batch = read_source(source)
    known = _known(batch, content_hashes(batch.records)).iloc[5:].copy()  # five new rows
    here = stages.validate_batch(batch, known=known)
    with ValidationWorker() as worker:
        started = stages.start_validation(batch, known=known, worker=worker)
        assert started.pending is not None and len(started.pending.frame) == 5  # sent: the new rows
        untouched = stages.start_validation(
            batch, known=_known(batch, content_hashes(batch.records)), worker=worker
        )
        assert untouched.pending is None  # nothing to validate: nothing sent
        assert [stages.to_validate(item) for item in (started, untouched, batch)] == [
            5,
            0,
            len(batch.records),
        ]
        there = stages.finish_validation(started)
    _assert_same_validation(there, here)
    assert list(there.held_positions) == list(here.held_positions)
    assert there.notes == here.notes


def test_a_full_validation_in_the_worker_is_the_one_here(drop_config):
    # a full run sends whole sources (up to MAX_WORKER_ROWS rows) to the worker
    from expectations.worker import ValidationWorker

    source = next(item for item in drop_config.sources if item.kind == "csv")
    batch = read_source(source)
    records = batch.records.copy()
    records.loc[3, "full_name"] = "  "  # quarantined: blank name
    records.loc[9, "record_id"] = records.loc[10, "record_id"]  # the later row quarantined as a duplicate
    records.loc[7, "nik"] = "32760A"  # reported only
    broken = dataclasses.replace(batch, records=records)
    here = stages.validate_batch(broken)
    assert len(here.quarantine) == len(batch.rejected) + 2
    with ValidationWorker() as worker:
        started = stages.start_validation(broken, worker=worker)
        assert started.pending is not None and len(started.pending.frame) == len(records)
        there = stages.finish_validation(started)
    _assert_same_validation(there, here)
    assert there.held_positions is None and here.held_positions is None


def test_the_stored_model_is_used_only_when_it_fits_tonight(tmp_path, caplog):
    from matching.settings import training_hash
    from store.trained import write_match_model

    engine = open_registry(f"sqlite:///{tmp_path / 'registry.db'}")
    settings = load_settings()
    try:
        assert stages.stored_model(engine, settings, 0) is None  # no full run stored one
        state = {"training_hash": training_hash(settings), "records": 40_000}
        with engine.begin() as connection:
            write_match_model(connection, state)
        assert stages.stored_model(engine, settings, 30_000, 41_000) == state
        assert stages.stored_model(engine, settings, 50_000) is None  # trained on too few records
        other = settings.model_copy(update={"em": settings.em.model_copy(update={"u_sample_pairs": 5000})})
        assert stages.stored_model(engine, other, 0) is None  # trained with other match settings
        looser = settings.model_copy(
            update={"thresholds": settings.thresholds.model_copy(update={"match_weight": 4.0})}
        )
        assert stages.stored_model(engine, looser, 0) == state  # thresholds are not part of training
        with caplog.at_level("WARNING", logger="pipelines.stages"):
            assert stages.stored_model(engine, settings, 0, 60_000) == state
        assert "run `registry run --full` to train it again" in caplog.text
    finally:
        engine.dispose()
