"""``store.checkpoint``: a publish's commit leaves SQLite's checkpoint to a thread of its own."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from store.checkpoint import AUTOCHECKPOINT_PAGES, checkpoint_in_background, deferred_checkpoint
from store.engine import open_registry

# far more than the 1,000 pages of SQLite's automatic checkpoint
_ROWS, _TEXT = 4_000, "x" * 2_000


def _rows_in_the_file_alone(database: Path, tmp_path: Path) -> int:
    """The rows of ``big`` in the database file without its write-ahead log (a copy of the file only)."""
    alone = tmp_path / "alone.db"
    shutil.copyfile(database, alone)
    with sqlite3.connect(alone) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        return connection.execute("SELECT count(*) FROM big").fetchone()[0] if "big" in tables else 0


def _write_big(connection: sa.Connection) -> None:
    connection.exec_driver_sql("CREATE TABLE big (n INTEGER, text TEXT)")
    connection.exec_driver_sql(
        f"WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < {_ROWS}) "
        f"INSERT INTO big SELECT v, '{_TEXT}' FROM n"
    )


def test_the_commit_leaves_the_pages_in_the_log_and_the_thread_copies_them(tmp_path: Path) -> None:
    database = tmp_path / "registry.db"
    engine = open_registry(f"sqlite:///{database}")
    try:
        reader = engine.connect()  # an open connection: closing the writer's is not the last close
        with engine.connect() as connection:
            with deferred_checkpoint(connection), connection.begin():
                _write_big(connection)
            # the commit did not checkpoint; the setting is SQLite's default again afterwards
            assert _rows_in_the_file_alone(database, tmp_path) == 0
            pages = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one()
            assert pages == AUTOCHECKPOINT_PAGES
        assert reader.exec_driver_sql("SELECT count(*) FROM big").scalar_one() == _ROWS  # through the log

        thread = checkpoint_in_background(engine)
        assert thread is not None
        thread.join(timeout=60)
        assert not thread.is_alive()
        assert _rows_in_the_file_alone(database, tmp_path) == _ROWS
        reader.close()
    finally:
        engine.dispose()


def test_without_the_block_the_commit_checkpoints_as_sqlite_does(tmp_path: Path) -> None:
    """The test above would pass for a database that never checkpoints: this one does."""
    database = tmp_path / "registry.db"
    engine = open_registry(f"sqlite:///{database}")
    try:
        reader = engine.connect()
        with engine.connect() as connection, connection.begin():
            _write_big(connection)
        assert _rows_in_the_file_alone(database, tmp_path) == _ROWS
        reader.close()
    finally:
        engine.dispose()


def test_nothing_to_do_for_other_databases() -> None:
    memory = sa.create_engine("sqlite://")
    assert checkpoint_in_background(memory) is None
    with memory.connect() as connection, deferred_checkpoint(connection), connection.begin():
        connection.exec_driver_sql("CREATE TABLE t (n INTEGER)")
    memory.dispose()


@pytest.mark.postgres
def test_postgresql_has_no_checkpoint_here(postgres_url: str) -> None:
    engine = open_registry(postgres_url)
    try:
        assert checkpoint_in_background(engine) is None
        with engine.connect() as connection, deferred_checkpoint(connection), connection.begin():
            assert connection.exec_driver_sql("SELECT 1").scalar_one() == 1
    finally:
        engine.dispose()
