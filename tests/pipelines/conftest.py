"""One Prefect test server per test session (a real API over a temporary database), one small drop, and
one registry published from it that tests copy instead of running the sync again."""

import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa


@pytest.fixture(scope="session")
def prefect_server():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session", autouse=True)
def fast_retries():
    """Source reads retry twice without waiting, so failing runs end quickly."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REGISTRY_SOURCE_RETRIES", "2")
        patch.setenv("REGISTRY_RETRY_DELAY", "0")
        yield


@pytest.fixture(scope="session")
def small_drop(tmp_path_factory) -> Path:
    """A generated drop of 400 persons (≈ 800 records) with its sources.yaml and truth.csv."""
    from synthetic import generate_drop

    folder = tmp_path_factory.mktemp("drop")
    generate_drop(400, folder, seed=11)
    return folder


@dataclass(frozen=True)
class Published:
    """The registry a full sync of ``small_drop`` published, and what the run returned."""

    db_file: Path
    result: dict
    flow_run_id: object
    report_dir: Path


@pytest.fixture(scope="session")
def published(prefect_server, small_drop, tmp_path_factory) -> Published:
    from pipelines.flow import sync

    folder = tmp_path_factory.mktemp("published")
    db_file = folder / "registry.db"
    state = sync(
        config=str(small_drop / "sources.yaml"),
        db=f"sqlite:///{db_file}",
        report_dir=str(folder / "reports"),
        return_state=True,
    )
    assert state.is_completed(), state.message
    return Published(db_file, state.result(), state.state_details.flow_run_id, folder / "reports")


@pytest.fixture
def registry_copy(published, tmp_path) -> str:
    """A private copy of the published registry (SQLite backup API: consistent even with WAL)."""
    target = tmp_path / "registry.db"
    with sqlite3.connect(published.db_file) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    return f"sqlite:///{target}"


@pytest.fixture
def drop_copy(small_drop, tmp_path) -> Path:
    """A private copy of the small drop, for tests that break or change a source."""
    folder = tmp_path / "drop"
    shutil.copytree(small_drop, folder)
    return folder


@pytest.fixture(scope="session")
def registry_tables():
    """``registry_tables(db)``: every table of the registry, rows in a stable order."""
    return _registry_tables


@pytest.fixture(scope="session")
def assert_same_tables():
    """``assert_same_tables(before, after)``: two results of ``registry_tables`` are identical."""
    return _assert_same_tables


def _registry_tables(db: str) -> dict[str, pd.DataFrame]:
    engine = sa.create_engine(db)
    try:
        with engine.connect() as connection:
            tables = sa.inspect(connection).get_table_names()
            frames = {}
            for table in tables:
                frame = pd.read_sql(sa.text(f'SELECT * FROM "{table}"'), connection)
                frames[table] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
            return frames
    finally:
        engine.dispose()


def _assert_same_tables(before: dict[str, pd.DataFrame], after: dict[str, pd.DataFrame]) -> None:
    assert before.keys() == after.keys()
    for table in before:
        pd.testing.assert_frame_equal(before[table], after[table], obj=table)
