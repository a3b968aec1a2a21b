from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from store import RunOutcome, open_registry
from store.models import RAW_FIELDS, STANDARD_FIELDS

PROGRAMMES = {"bpjs_kesehatan": "health", "bpjs_ketenagakerjaan": "employment", "penduduk_depok": "city"}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def registry_url(request, tmp_path):
    """The registry's database URL: every registry test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def registry(registry_url):
    engine = open_registry(registry_url)
    yield engine
    engine.dispose()


@pytest.fixture
def records_factory():
    return make_records


@pytest.fixture
def outcome_factory():
    return make_outcome


def make_records(rows: list[dict]) -> pd.DataFrame:
    """Standardised records: every raw and standard field present, missing unless given."""
    frame = pd.DataFrame(rows)
    for column in (*RAW_FIELDS, *STANDARD_FIELDS):
        if column not in frame:
            frame[column] = None
    if "source_row" not in frame:
        frame["source_row"] = np.arange(1, len(frame) + 1)
    return frame


def make_outcome(records: pd.DataFrame, quarantine: pd.DataFrame | None = None, **overrides) -> RunOutcome:
    quarantine = (
        quarantine
        if quarantine is not None
        else pd.DataFrame(columns=["source", "record_id", "source_row", "reason"])
    )
    read = records.groupby("source").size().to_dict()
    for source, count in quarantine.groupby("source").size().items():
        read[source] = read.get(source, 0) + int(count)
    values = {
        "run_id": "run-1",
        "started_at": datetime(2026, 11, 27, tzinfo=UTC),
        "config_path": "sources.yaml",
        "programmes": PROGRAMMES,
        "rows_read": read,
        "records": records,
        "quarantine": quarantine,
        "pairs": pd.DataFrame(
            columns=[
                "source_l",
                "record_id_l",
                "source_r",
                "record_id_r",
                "weight",
                "probability",
                "decision",
            ]
        ),
    }
    return RunOutcome(**(values | overrides))
