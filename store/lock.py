"""One run at a time: the registry lock.

A run takes the lock (a row in ``registry_lock``, inserted in its own committed transaction) before it
reads the registry and gives it back when it ends, however it ends. A second run finds the row and is
refused with ``RegistryBusyError`` naming the run, host, process and start time holding it. A lock left
by a process that died on this same host is taken over; a lock held from another host is never broken
(``registry_lock`` can be cleared by hand once that run is known to be dead).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa

from connectors.errors import RegistryError
from store.models import RegistryLock

__all__ = ["RegistryBusyError", "acquire_lock", "registry_lock", "release_lock"]

_NAME = "sync"


class RegistryBusyError(RegistryError):
    """Another run holds the registry: this one was refused before it changed anything."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def acquire_lock(engine: sa.Engine, run_id: str) -> None:
    """Take the registry lock for ``run_id``, or raise ``RegistryBusyError``."""
    host, pid = socket.gethostname(), os.getpid()
    row = {"name": _NAME, "run_id": run_id, "host": host, "pid": pid, "started_at": datetime.now(UTC)}
    try:
        with engine.begin() as connection:
            connection.execute(sa.insert(RegistryLock), row)
        return
    except sa.exc.IntegrityError:
        pass
    with engine.begin() as connection:
        holder = connection.execute(sa.select(RegistryLock).where(RegistryLock.name == _NAME)).one_or_none()
        if holder is None:  # released meanwhile
            connection.execute(sa.insert(RegistryLock), row)
            return
        if holder.host == host and holder.pid != pid and not _alive(holder.pid):
            taken = connection.execute(
                sa.update(RegistryLock)
                .where(RegistryLock.name == _NAME, RegistryLock.run_id == holder.run_id)
                .values(**row)
            )
            if taken.rowcount == 1:
                return
    raise RegistryBusyError(
        f"another run is writing this registry: run {holder.run_id} (host {holder.host}, pid {holder.pid}, "
        f"started {holder.started_at:%Y-%m-%d %H:%M:%S} UTC); this run was refused and changed nothing"
    )


def release_lock(engine: sa.Engine, run_id: str) -> None:
    """Give the lock back (only if ``run_id`` holds it)."""
    with engine.begin() as connection:
        connection.execute(
            sa.delete(RegistryLock).where(RegistryLock.name == _NAME, RegistryLock.run_id == run_id)
        )


@contextmanager
def registry_lock(engine: sa.Engine, run_id: str) -> Iterator[None]:
    """Hold the registry lock for the duration of the block."""
    acquire_lock(engine, run_id)
    try:
        yield
    finally:
        release_lock(engine, run_id)
