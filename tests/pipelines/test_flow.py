"""The ``sync`` flow under the real Prefect test harness: real drops, real SQLite registries.

Most tests start from a copy of the registry that one full run published (``published``) rather than
running the whole sync again, to keep the suite fast.
"""

import json
import logging
import sqlite3

import pandas as pd
import pytest
import sqlalchemy as sa
from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.states import Failed

from connectors import SourceSchemaError, SourceUnavailableError
from pipelines.errors import SyncParametersError
from pipelines.flow import _configured, retry_transient, sync
from pipelines.settings import RegistrySettings
from store import RegistryUnavailableError, open_registry, read_links, read_quarantine


def _source_records(drop) -> pd.DataFrame:
    """(source, record_id) of every record in the drop, read straight from the files."""
    health = pd.read_csv(drop / "bpjs_kesehatan.csv", dtype=str, keep_default_na=False)
    employment = pd.read_csv(drop / "bpjs_ketenagakerjaan.csv", sep=";", dtype=str, keep_default_na=False)
    with sqlite3.connect(drop / "penduduk_depok.db") as connection:
        city = pd.read_sql("SELECT CAST(id_penduduk AS TEXT) AS record_id FROM penduduk", connection)
    return pd.concat(
        [
            pd.DataFrame({"source": "bpjs_kesehatan", "record_id": health["no_kartu"]}),
            pd.DataFrame({"source": "bpjs_ketenagakerjaan", "record_id": employment["kpj"]}),
            city.assign(source="penduduk_depok")[["source", "record_id"]],
        ],
        ignore_index=True,
    )


def _links_and_quarantine(db: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    engine = open_registry(db, create=False)
    try:
        return read_links(engine), read_quarantine(engine)
    finally:
        engine.dispose()


def _attempts(flow_run_id) -> dict[str, int]:
    """How many times each task run of the flow run ran (1 = no retry), by task run name."""
    with get_client(sync_client=True) as client:
        task_runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )
    return {task_run.name: task_run.run_count for task_run in task_runs}


def _arguments(drop, db, tmp_path, **more) -> dict:
    return {"config": str(drop / "sources.yaml"), "db": db, "report_dir": str(tmp_path / "reports"), **more}


@pytest.mark.unit
def test_only_an_unavailable_source_is_worth_retrying():
    def failed(error: Exception):
        return Failed(data=error, message=str(error))

    assert retry_transient(None, None, failed(SourceUnavailableError("bpjs_kesehatan", "file missing")))
    assert not retry_transient(None, None, failed(SourceSchemaError("bpjs_kesehatan", "missing column")))
    assert not retry_transient(None, None, failed(ValueError("a bug")))


@pytest.mark.unit
def test_stage_tasks_take_retries_backoff_and_timeouts_from_the_settings():
    tasks = _configured(RegistrySettings(source_retries=3, retry_delay=10, match_timeout=99))
    assert tasks["ingest"].retries == 3
    assert tasks["ingest"].retry_delay_seconds == [10, 20, 40]
    assert tasks["ingest"].retry_condition_fn is retry_transient
    assert tasks["match"].timeout_seconds == 99
    assert all(task.retries == 0 for stage, task in tasks.items() if stage != "ingest")


@pytest.mark.integration
def test_sync_links_every_record_or_quarantines_it(published, small_drop):
    result = published.result
    expected = _source_records(small_drop)
    read = result["read"]
    assert sum(read.values()) == len(expected)
    for source in read:
        assert read[source] == result["linked"].get(source, 0) + result["quarantined"].get(source, 0)
    assert 0 < result["persons"] < len(expected)
    assert result["persons_before"] == 0 and result["new_persons"] == result["persons"]

    links, quarantine = _links_and_quarantine(f"sqlite:///{published.db_file}")
    held = pd.concat([links[["source", "record_id"]], quarantine[["source", "record_id"]]])
    assert sorted(map(tuple, held.to_numpy())) == sorted(map(tuple, expected.to_numpy()))
    assert (published.report_dir / f"run-{result['run_id']}.html").is_file()
    assert set(result["stage_seconds"]) == {
        "ingest", "validate", "hold", "standardise", "match", "cluster", "publish", "report"
    }  # fmt: skip


@pytest.mark.integration
def test_running_the_same_drop_again_keeps_every_registry_id(small_drop, registry_copy, tmp_path):
    before, _ = _links_and_quarantine(registry_copy)
    second = sync(**_arguments(small_drop, registry_copy, tmp_path))
    after, _ = _links_and_quarantine(registry_copy)
    pd.testing.assert_frame_equal(before, after)
    assert second["new_persons"] == 0 and second["ids_disappeared"] == 0
    assert second["persons"] == second["persons_before"]


@pytest.mark.integration
def test_a_full_rebuild_with_its_records_staged_by_a_helper_keeps_every_registry_id(
    small_drop, registry_copy, tmp_path, monkeypatch
):
    import os
    from pathlib import Path

    import store.staging as staging

    monkeypatch.setattr(staging, "MIN_STAGED_ROWS", 1)  # the small drop's records staged too
    before, _ = _links_and_quarantine(registry_copy)
    copied = []
    copy_into = staging.StagedRows.copy_into

    def counted(self, connection):
        copied.append(1)
        return copy_into(self, connection)

    monkeypatch.setattr(staging.StagedRows, "copy_into", counted)
    rebuilt = sync(**_arguments(small_drop, registry_copy, tmp_path, full=True))
    after, _ = _links_and_quarantine(registry_copy)
    assert copied == [1]
    pd.testing.assert_frame_equal(before, after)
    assert rebuilt["new_persons"] == 0 and rebuilt["ids_disappeared"] == 0
    folder = Path(sa.make_url(registry_copy).database).parent
    assert not [name for name in os.listdir(folder) if ".staged-" in name]


@pytest.mark.integration
def test_parameters_are_applied_and_recorded_with_the_run(published, small_drop, registry_copy, tmp_path):
    engine = sa.create_engine(registry_copy)
    with engine.connect() as connection:
        baseline_hash = connection.execute(sa.text("SELECT settings_hash FROM runs")).scalar_one()
        baseline_matches = connection.execute(
            sa.text("SELECT count(*) FROM match_pairs WHERE decision = 'match'")
        ).scalar_one()

    result = sync(**_arguments(small_drop, registry_copy, tmp_path, full=True, threshold=25.0))

    with engine.connect() as connection:
        row = connection.execute(
            sa.text("SELECT settings_hash, parameters FROM runs WHERE run_id = :run"),
            {"run": result["run_id"]},
        ).one()
        matches = connection.execute(
            sa.text("SELECT count(*) FROM match_pairs WHERE decision = 'match' AND run_id = :run"),
            {"run": result["run_id"]},
        ).scalar_one()
    engine.dispose()
    parameters = json.loads(row.parameters)
    assert parameters["full"] is True and parameters["threshold"] == 25.0 and parameters["only"] is None
    assert parameters["executor"] == "local" and parameters["dask_address"] is None
    assert row.settings_hash != baseline_hash  # the override is part of the settings the run used
    assert matches < baseline_matches  # a stricter threshold accepts fewer pairs...
    assert result["persons"] > published.result["persons"]  # ...so fewer records join into one person
    assert result["full"] is True


@pytest.mark.integration
def test_contradictory_parameters_fail_before_anything_is_read(small_drop, registry_copy, tmp_path):
    arguments = _arguments(small_drop, registry_copy, tmp_path)
    with pytest.raises(SyncParametersError, match="exclude each other"):
        sync(**arguments, only=["bpjs_kesehatan"], full=True)
    with pytest.raises(SyncParametersError, match="below the review weight"):
        sync(**arguments, threshold=-1000.0)


@pytest.mark.integration
def test_a_dry_run_publishes_nothing_and_reports_what_a_real_run_would_do(
    drop_copy, registry_copy, tmp_path, registry_tables, assert_same_tables
):
    health_path = drop_copy / "bpjs_kesehatan.csv"
    health = pd.read_csv(health_path, dtype=str, keep_default_na=False)
    health.loc[0, "nama_peserta"] = ""  # one more record for the quarantine
    health.to_csv(health_path, index=False)
    before = registry_tables(registry_copy)

    dry = sync(**_arguments(drop_copy, registry_copy, tmp_path, dry_run=True))

    assert_same_tables(before, registry_tables(registry_copy))
    assert dry["dry_run"] is True
    assert dry["report"].endswith(f"dry-run/run-{dry['run_id']}.html")
    real = sync(**_arguments(drop_copy, registry_copy, tmp_path))
    for key in (
        "read",
        "linked",
        "quarantined",
        "persons",
        "new_persons",
        "ids_disappeared",
        "persons_before",
    ):
        assert dry[key] == real[key], key
    assert real["quarantined"]["bpjs_kesehatan"] == 1


@pytest.mark.integration
def test_only_refreshes_the_named_source_and_carries_the_others_over_untouched(
    published, drop_copy, registry_copy, tmp_path
):
    links_before, quarantine_before = _links_and_quarantine(registry_copy)
    # The sources not refreshed are not read at all: their files may be missing.
    (drop_copy / "bpjs_ketenagakerjaan.csv").unlink()
    (drop_copy / "penduduk_depok.db").unlink()
    health_path = drop_copy / "bpjs_kesehatan.csv"
    health = pd.read_csv(health_path, dtype=str, keep_default_na=False)
    emptied = health.loc[5, "no_kartu"]
    health.loc[5, "nama_peserta"] = ""
    health.to_csv(health_path, index=False)

    result = sync(**_arguments(drop_copy, registry_copy, tmp_path, only=["bpjs_kesehatan"]))

    assert result["held"] == ["bpjs_ketenagakerjaan", "penduduk_depok"]
    assert result["refreshed"] == ["bpjs_kesehatan"]
    engine = sa.create_engine(registry_copy)
    with engine.connect() as connection:
        parameters = connection.execute(
            sa.text("SELECT parameters FROM runs WHERE run_id = :run"), {"run": result["run_id"]}
        ).scalar_one()
    engine.dispose()
    assert json.loads(parameters)["incremental"] is True  # only the touched persons were decided again
    links_after, quarantine_after = _links_and_quarantine(registry_copy)
    others = ["bpjs_ketenagakerjaan", "penduduk_depok"]
    for frame_before, frame_after in ((links_before, links_after), (quarantine_before, quarantine_after)):
        pd.testing.assert_frame_equal(
            frame_before[frame_before["source"].isin(others)].reset_index(drop=True),
            frame_after[frame_after["source"].isin(others)].reset_index(drop=True),
        )
    for source in others:  # their counts reconcile, and equal those of the full run
        assert result["read"][source] == published.result["read"][source]
        assert result["linked"][source] == published.result["linked"][source]
        assert result["quarantined"].get(source, 0) == published.result["quarantined"].get(source, 0)
    health_quarantine = quarantine_after[quarantine_after["source"] == "bpjs_kesehatan"]
    assert health_quarantine["record_id"].tolist() == [emptied]
    assert result["read"]["bpjs_kesehatan"] == len(health)


@pytest.mark.integration
def test_only_needs_a_registry_to_carry_the_other_sources_over(small_drop, tmp_path):
    db = f"sqlite:///{tmp_path / 'none.db'}"
    with pytest.raises(RegistryUnavailableError, match="no registry at"):
        sync(**_arguments(small_drop, db, tmp_path, only=["bpjs_kesehatan"]))
    assert not (tmp_path / "none.db").exists()


@pytest.mark.integration
def test_an_unreadable_source_is_retried_then_fails_the_run_and_publishes_nothing(
    drop_copy, registry_copy, tmp_path, registry_tables, assert_same_tables
):
    (drop_copy / "bpjs_ketenagakerjaan.csv").unlink()
    before = registry_tables(registry_copy)

    state = sync(**_arguments(drop_copy, registry_copy, tmp_path), return_state=True)

    assert state.is_failed()
    assert "bpjs_ketenagakerjaan" in state.message and "does not exist" in state.message
    with pytest.raises(SourceUnavailableError, match="bpjs_ketenagakerjaan.csv does not exist"):
        state.result()
    assert _attempts(state.state_details.flow_run_id)["ingest-bpjs_ketenagakerjaan"] == 3  # 1 + 2 retries
    assert_same_tables(before, registry_tables(registry_copy))


class _RestoreOnFirstRetry(logging.Handler):
    """Puts the source file back when Prefect announces the first retry of its read."""

    def __init__(self, hidden, path) -> None:
        super().__init__()
        self.hidden, self.path = hidden, path

    def emit(self, record: logging.LogRecord) -> None:
        if "Retry 1/" in record.getMessage() and self.hidden.exists():
            self.hidden.rename(self.path)


@pytest.mark.integration
def test_a_source_that_arrives_on_the_second_attempt_is_read_after_one_retry(
    published, drop_copy, registry_copy, tmp_path
):
    city = drop_copy / "penduduk_depok.db"
    hidden = drop_copy / "late.db"
    city.rename(hidden)
    handler = _RestoreOnFirstRetry(hidden, city)
    logger = logging.getLogger("prefect.task_runs")
    logger.addHandler(handler)
    try:
        state = sync(**_arguments(drop_copy, registry_copy, tmp_path), return_state=True)
    finally:
        logger.removeHandler(handler)

    assert state.is_completed(), state.message
    attempts = _attempts(state.state_details.flow_run_id)
    assert attempts["ingest-penduduk_depok"] == 2
    assert attempts["ingest-bpjs_kesehatan"] == attempts["ingest-bpjs_ketenagakerjaan"] == 1
    assert state.result()["read"] == published.result["read"]


@pytest.mark.integration
def test_a_missing_column_is_not_retried_and_leaves_the_registry_as_it_was(
    drop_copy, registry_copy, tmp_path, registry_tables, assert_same_tables
):
    before = registry_tables(registry_copy)
    health = pd.read_csv(drop_copy / "bpjs_kesehatan.csv", dtype=str, keep_default_na=False)
    health.drop(columns=["nama_peserta"]).to_csv(drop_copy / "bpjs_kesehatan.csv", index=False)

    state = sync(**_arguments(drop_copy, registry_copy, tmp_path), return_state=True)

    assert state.is_failed()
    with pytest.raises(SourceSchemaError, match="bpjs_kesehatan.csv.*nama_peserta"):
        state.result()
    assert _attempts(state.state_details.flow_run_id)["ingest-bpjs_kesehatan"] == 1
    assert_same_tables(before, registry_tables(registry_copy))


@pytest.mark.integration
def test_bad_rows_reach_the_quarantine_with_reasons_and_counts_reconcile(drop_copy, tmp_path):
    health_path = drop_copy / "bpjs_kesehatan.csv"
    health = pd.read_csv(health_path, dtype=str, keep_default_na=False)
    health.loc[0, "nama_peserta"] = ""
    health.loc[1, "no_kartu"] = health.loc[2, "no_kartu"]
    health.to_csv(health_path, index=False)
    with health_path.open("a", encoding="utf-8") as handle:
        handle.write("0000000000999,too,few,fields\n")
    db = f"sqlite:///{tmp_path / 'registry.db'}"

    result = sync(**_arguments(drop_copy, db, tmp_path))

    assert result["read"]["bpjs_kesehatan"] == len(health) + 1
    assert result["quarantined"]["bpjs_kesehatan"] == 3
    assert result["linked"]["bpjs_kesehatan"] == len(health) - 2
    _, quarantine = _links_and_quarantine(db)
    reasons = quarantine.set_index("record_id")["reason"]
    assert "full_name" in reasons[health.loc[0, "no_kartu"]]
    assert reasons[health.loc[2, "no_kartu"]].startswith("record_id: duplicate of row")
    assert reasons[f"bpjs_kesehatan.csv@line{len(health) + 2}"].startswith("malformed row: row has 4 fields")
