"""SQLite's checkpoint after a publish, in a thread of its own instead of inside the publish's commit.

In WAL mode a commit appends the changed pages to the write-ahead log; a checkpoint copies them into the
database file. SQLite checkpoints from inside the commit that takes the log past 1,000 pages: a nightly
increment's commit spent about 0.6 s of its publish there, while the run waited. ``publish_run`` commits
without it (``deferred_checkpoint``), and the flow then starts ``checkpoint_in_background``: the copy
runs in SQLite's C code (no GIL) on its own connection, while the run writes its report. Nothing
depends on it: committed data is in the log either way, readers read through the log, and a checkpoint
that does not happen (a killed process, a reader holding old pages) is done by the next commit past the
limit or when the last connection closes.

PostgreSQL has no such step here: both functions do nothing there.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Iterator

import sqlalchemy as sa

__all__ = ["checkpoint_in_background", "deferred_checkpoint"]

log = logging.getLogger(__name__)

#: SQLite's default ``wal_autocheckpoint`` (pages), put back after the publish.
AUTOCHECKPOINT_PAGES = 1000


@contextlib.contextmanager
def deferred_checkpoint(connection: sa.Connection) -> Iterator[None]:
    """Within the block, commits on ``connection`` do not checkpoint (SQLite; elsewhere nothing)."""
    if connection.dialect.name != "sqlite":
        yield
        return
    # on the driver's connection: through SQLAlchemy the pragma would begin a transaction
    driver = connection.connection.driver_connection
    driver.execute("PRAGMA wal_autocheckpoint=0")
    try:
        yield
    finally:
        with contextlib.suppress(sqlite3.Error):
            driver.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")


def checkpoint_in_background(engine: sa.Engine) -> threading.Thread | None:
    """Start copying the write-ahead log into the SQLite database file of ``engine`` (a passive
    checkpoint: it waits for no reader or writer) on a connection of its own; the thread, to be joined
    when convenient. ``None`` for other databases and in-memory SQLite."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or database in (None, "", ":memory:"):
        return None
    # opened here, before the caller closes its own connections: while this one is open, theirs are not
    # the last, and closing them does not checkpoint in the caller's thread
    connection = sqlite3.connect(database, timeout=30, check_same_thread=False)
    thread = threading.Thread(target=_checkpoint, args=(connection,), name="registry-checkpoint")
    thread.start()
    return thread


def _checkpoint(connection: sqlite3.Connection) -> None:
    try:
        busy, logged, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        log.debug("checkpoint: %d of %d pages of the write-ahead log copied", copied, logged)
    except sqlite3.Error as error:  # left to the next commit or close
        log.warning("the registry's checkpoint after the publish did not run (%s)", error)
    finally:
        connection.close()
