"""Run artifacts: built from counts alone; what the Prefect API holds of a run has no personal data."""

import json
import re
import sqlite3

import pandas as pd
import pytest
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

from pipelines.artifacts import RunSummary, artifact_keys, source_table, summary_markdown


def _summary(**changes) -> RunSummary:
    values = {
        "run_id": "20260101T020000-abc123",
        "dry_run": False,
        "full": False,
        "refreshed": ("bpjs_kesehatan",),
        "held": ("penduduk_depok",),
        "read": {"bpjs_kesehatan": 120, "penduduk_depok": 80},
        "linked": {"bpjs_kesehatan": 118, "penduduk_depok": 80},
        "quarantined": {"bpjs_kesehatan": 2},
        "persons_before": 150,
        "persons": 155,
        "new_persons": 7,
        "report": "/srv/reports/run-20260101T020000-abc123.html",
        "stage_seconds": {"ingest": 1.25, "match": 30.0},
        "match_seconds": {"blocking": 2.0, "clustering": 1.0},
        "match_threshold": 6.0,
        "settings_hash": "0123456789abcdef",
    }
    return RunSummary(**{**values, **changes})


@pytest.mark.unit
def test_the_summary_counts_ids_that_appeared_and_disappeared():
    summary = _summary()
    assert summary.ids_appeared == 7
    assert summary.ids_disappeared == 2  # 150 before, 148 of them kept, 7 new: 155 after
    assert summary.balanced


@pytest.mark.unit
def test_markdown_lists_counts_per_source_persons_stages_and_the_report():
    markdown = summary_markdown(_summary())
    assert "| bpjs_kesehatan | read | 120 | 118 | 2 |" in markdown
    assert "| penduduk_depok | carried over | 80 | 80 | 0 |" in markdown
    assert "| **total** | | 200 | 198 | 2 |" in markdown
    assert "every record accounted for" in markdown
    assert "| persons before the run | 150 |" in markdown and "| persons after the run | 155 |" in markdown
    assert "| new persons (registry ids given out) | 7 |" in markdown
    assert "| 2 |" in markdown.split("registry ids gone")[1].splitlines()[0]
    assert "| ingest | 1.2 |" in markdown and "| match | 30.0 |" in markdown
    assert "blocking 2.0 s" in markdown
    assert "(file:///srv/reports/run-20260101T020000-abc123.html)" in markdown
    assert "dry run" not in markdown


@pytest.mark.unit
def test_a_dry_run_says_so_and_has_its_own_artifact_keys():
    markdown = summary_markdown(_summary(dry_run=True))
    assert markdown.splitlines()[0].endswith("dry run, nothing was published")
    assert artifact_keys(True) == ("registry-sync-dry-run", "registry-sync-dry-run-sources")
    assert artifact_keys(False) == ("registry-sync", "registry-sync-sources")


@pytest.mark.unit
def test_unbalanced_counts_are_flagged():
    markdown = summary_markdown(_summary(linked={"bpjs_kesehatan": 100, "penduduk_depok": 80}))
    assert "RECORDS UNACCOUNTED FOR" in markdown


@pytest.mark.unit
def test_the_table_has_one_row_of_counts_per_source():
    assert source_table(_summary()) == [
        {"source": "bpjs_kesehatan", "status": "read", "read": 120, "linked": 118, "quarantined": 2},
        {"source": "penduduk_depok", "status": "carried over", "read": 80, "linked": 80, "quarantined": 0},
    ]


def _personal_values(drop) -> set[str]:
    """Every NIK, name and phone number in the drop, as the agencies sent them."""
    health = pd.read_csv(drop / "bpjs_kesehatan.csv", dtype=str, keep_default_na=False)
    employment = pd.read_csv(drop / "bpjs_ketenagakerjaan.csv", sep=";", dtype=str, keep_default_na=False)
    with sqlite3.connect(drop / "penduduk_depok.db") as connection:
        city = pd.read_sql("SELECT nik, nama_lengkap, no_kk FROM penduduk", connection).astype(str)
    columns = [
        health["nik"], health["nama_peserta"], health["no_hp"],
        employment["nik"], employment["nama"], employment["telepon"],
        city["nik"], city["nama_lengkap"], city["no_kk"],
    ]  # fmt: skip
    values = {value.strip() for column in columns for value in column}
    return {value for value in values if len(value) >= 6 and value.lower() != "none"}


@pytest.mark.integration
def test_a_run_publishes_a_markdown_and_a_table_artifact_without_personal_data(published, small_drop):
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[published.flow_run_id]))
        )
    by_key = {artifact.key: artifact for artifact in found}
    assert set(by_key) == {"registry-sync", "registry-sync-sources"}
    markdown = by_key["registry-sync"].data
    table = by_key["registry-sync-sources"].data
    rows = table if isinstance(table, list) else json.loads(table)

    result = published.result
    for source, read in result["read"].items():
        linked, quarantined = result["linked"].get(source, 0), result["quarantined"].get(source, 0)
        assert f"| {source} | read | {read:,} | {linked:,} | {quarantined:,} |" in markdown
        assert {"source": source, "status": "read", "read": read, "linked": linked,
                "quarantined": quarantined} in rows  # fmt: skip
    assert f"| persons after the run | {result['persons']:,} |" in markdown
    assert f"run-{result['run_id']}.html" in markdown

    text = markdown + repr(rows)
    assert not re.search(r"\d{10,}", text)  # no NIK, KK number or phone number, whatever its spelling
    leaked = [value for value in _personal_values(small_drop) if value in text]
    assert leaked == []
