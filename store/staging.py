"""A large insert into a SQLite registry, bound by a second process while the publish goes on.

SQLite's ``executemany`` hands every value over from Python, about half a microsecond each: a full
rebuild's 408k records of 38 columns take 9 s of the 200k publish, 2M persons' 4.1M records ten times
that, and the publish's process does nothing else meanwhile. The publish must stay one transaction on
one connection, but the binding need not happen on it. :class:`StagedRows`:

1. writes the rows' columns as Arrow record batches into a file next to the registry (``pyarrow``, in C:
   about a tenth of the binding's time; rows are taken a batch at a time);
2. forks a helper process that reads the batches back and inserts them into a scratch SQLite database
   (the same columns and types, no key, no index, no journal), while the publish writes the persons, the
   pairs and the history;
3. :meth:`StagedRows.copy_into` waits for the helper, attaches the scratch database to the publish's
   connection and copies the rows with one ``INSERT … SELECT`` inside the publish's transaction (SQLite's
   C code: 2 s for those 408k records), so the table's key and indexes are checked there as before.

The helper touches nothing of the publish's frames (it reads the Arrow file), so nothing of them is
copied on write; it opens its own connection and never uses the parent's. A helper that fails or dies
fails the publish (:class:`StagingError`): the transaction rolls back and the registry is as it was. The
two files (``.<registry file>.staged-<run id>.arrow`` and ``.db``, next to it) are removed when the publish
ends, and files a killed run left behind by the next staged publish of the same registry (runs are
serialised by the registry lock).

Only for a SQLite registry in a file and a large insert (``MIN_STAGED_ROWS``); PostgreSQL has ``COPY``.
The values bound are the ones ``executemany`` would bind: Arrow holds text, integers, floats and booleans
and gives back the same Python values; a column of anything else (e.g. text mixed with numbers) makes
:func:`stage_rows` return ``None``, and the caller inserts as before.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import glob
import itertools
import multiprocessing
import os
import signal
import sqlite3
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from connectors.errors import RegistryError

__all__ = ["MIN_STAGED_ROWS", "StagedRows", "StagingError", "is_per_row", "stage_rows"]

#: Fewer rows than this are inserted directly: the helper's start and the copy cost more than they save.
MIN_STAGED_ROWS = 100_000
#: Rows per Arrow record batch (and per ``executemany`` in the helper).
BATCH_ROWS = 20_000
_PREFIX = ".staged-"
_PR_SET_PDEATHSIG = 1
_SCHEMA = "staged"


class StagingError(RegistryError):
    """The helper process that wrote the staged rows failed: nothing was published."""


class StagedRows:
    """Rows of one table being written into a scratch SQLite database by a helper process (see the
    module docstring); :meth:`copy_into` the publish's connection, then :meth:`close`.

    ``batches_path``: the rows' Arrow batches, written already; ``names``: the table's columns given, in
    order; ``constants``: those of them with one value for every row (not in the batches)."""

    def __init__(
        self,
        table: sa.Table,
        batches_path: Path,
        names: list[str],
        constants: dict[str, object],
        length: int,
    ) -> None:
        self.table = table
        self.length = length
        self.names = names
        self.batches_path = batches_path
        self.database_path = batches_path.with_suffix(".db")
        self._attached: sqlite3.Connection | None = None
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_write_staged_database,
            args=(
                self.database_path,
                table.name,
                _create_statement(table),
                names,
                batches_path,
                constants,
                send,
            ),
            name="registry-staged-rows",
            daemon=True,
        )
        self._process.start()
        send.close()

    def copy_into(self, connection: sa.Connection) -> None:
        """Wait for the helper, then copy the staged rows into ``table`` within ``connection``'s
        transaction (a SQLite connection of the same registry)."""
        self._process.join()
        try:
            outcome = self._receive.recv() if self._receive.poll() else None
        except EOFError:  # it died before it could say
            outcome = None
        if self._process.exitcode != 0 or outcome != "ok":
            reason = outcome if isinstance(outcome, str) else f"exit code {self._process.exitcode}"
            raise StagingError(
                f"the helper process that wrote the {self.table.name} rows failed ({reason}): nothing was "
                f"published (its scratch files need room next to the registry; REGISTRY_STAGED_PUBLISH=false "
                "inserts the rows in the run's process)"
            )
        driver = connection.connection.driver_connection
        driver.execute(f"ATTACH DATABASE ? AS {_SCHEMA}", (str(self.database_path),))
        self._attached = driver
        names = ", ".join(f'"{name}"' for name in self.names)
        table = f'"{self.table.name}"'
        connection.exec_driver_sql(
            f"INSERT INTO main.{table} ({names}) SELECT {names} FROM {_SCHEMA}.{table}"
        )

    def close(self) -> None:
        """After the publish's transaction ended: detach the scratch database, stop the helper if it
        still runs (the publish failed first), remove both files."""
        if self._attached is not None:
            with contextlib.suppress(sqlite3.Error):
                self._attached.execute(f"DETACH DATABASE {_SCHEMA}")
            self._attached = None
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._receive.close()
        for path in (self.batches_path, self.database_path):
            path.unlink(missing_ok=True)


def stage_rows(
    connection: sa.Connection, table: sa.Table, tag: str, columns: Mapping[str, object], length: int
) -> StagedRows | None:
    """Start writing ``length`` rows of ``table`` (given column by column as ``publish._insert_columns``
    takes them: a Series or array per column, or one value for every row) in a helper, when that pays:
    a SQLite registry in a file, at least ``MIN_STAGED_ROWS`` rows, every column of text, integers,
    floats or booleans. ``None``: insert them directly. ``tag`` names the files (e.g. the run id)."""
    database = connection.engine.url.database
    if connection.dialect.name != "sqlite" or database in (None, "", ":memory:") or length < MIN_STAGED_ROWS:
        return None
    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    varying = {name: column for name, column in columns.items() if is_per_row(column)}
    types = {name: _arrow_type(column) for name, column in varying.items()}
    if any(kind is None for kind in types.values()) or any(
        len(column) != length for column in varying.values()
    ):
        return None
    registry = Path(database).resolve()
    # named after the registry: another registry in the same folder may be publishing meanwhile
    prefix = f".{registry.name}{_PREFIX}"
    for left_behind in registry.parent.glob(f"{glob.escape(prefix)}*"):
        # a run of this registry killed while it published (the registry's lock lets one run at a time)
        left_behind.unlink(missing_ok=True)
    batches_path = registry.parent / f"{prefix}{tag}.arrow"
    try:
        written = _write_batches(batches_path, varying, pa.schema(list(types.items())), length)
    except BaseException:
        batches_path.unlink(missing_ok=True)
        raise
    if not written:
        batches_path.unlink(missing_ok=True)
        return None
    constants = {
        name: (None if pd.isna(value) else value) for name, value in columns.items() if name not in varying
    }
    return StagedRows(table, batches_path, list(columns), constants, length)


def is_per_row(value: object) -> bool:
    """Whether a column given to an insert holds a value per row (a Series, array or list) rather than
    one value for every row."""
    return isinstance(value, pd.Series | np.ndarray | pd.api.extensions.ExtensionArray | list)


def _arrow_type(column: object) -> pa.DataType | None:
    """The Arrow type a column's values go into and come back from as the same Python values
    ``executemany`` binds (``None``: none does)."""
    dtype = getattr(column, "dtype", None)  # (a list has none: its values must be text)
    if dtype is None or pd.api.types.is_string_dtype(dtype):  # (object columns too)
        return pa.string()  # a value that is not text fails the conversion: ``_write_batches``
    if pd.api.types.is_bool_dtype(dtype):
        return pa.bool_()
    if pd.api.types.is_integer_dtype(dtype):
        return pa.int64()
    if pd.api.types.is_float_dtype(dtype):
        return pa.float64()
    return None


def _write_batches(path: Path, columns: Mapping[str, object], schema: pa.Schema, length: int) -> bool:
    """The columns' rows as Arrow record batches of ``BATCH_ROWS`` rows in a file at ``path`` (converted a
    batch at a time: memory for one batch); ``False`` when a value does not fit its column's type."""
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
        for start in range(0, length, BATCH_ROWS):
            stop = min(start + BATCH_ROWS, length)
            arrays = []
            for field in schema:
                column = columns[field.name]
                part = column.iloc[start:stop] if isinstance(column, pd.Series) else column[start:stop]
                try:
                    arrays.append(pa.array(part, type=field.type, from_pandas=True))
                except (pa.ArrowException, TypeError, ValueError, OverflowError):
                    return False
            writer.write_batch(pa.record_batch(arrays, schema=schema))
    return True


def _create_statement(table: sa.Table) -> str:
    """``CREATE TABLE`` of ``table``'s columns with their types (so the same affinity), without keys,
    constraints or indexes."""
    columns = (sa.Column(column.name, column.type) for column in table.columns)
    scratch = sa.Table(table.name, sa.MetaData(), *columns)
    return str(sa.schema.CreateTable(scratch).compile(dialect=sa.dialects.sqlite.dialect()))


def _write_staged_database(
    path: Path,
    table: str,
    create: str,
    names: list[str],
    batches_path: Path,
    constants: dict[str, object],
    report: multiprocessing.connection.Connection,
) -> None:
    """In the helper: the Arrow batches into a new SQLite database at ``path``; ``"ok"`` or the error's
    type and message (SQLite's messages carry no values) on ``report``."""
    _end_with_parent()
    # the collector would walk the parent's objects this process inherited and copy their pages
    gc.disable()
    try:
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute(create)
        quoted = ", ".join(f'"{name}"' for name in names)
        statement = f'INSERT INTO "{table}" ({quoted}) VALUES ({", ".join("?" * len(names))})'
        connection.execute("BEGIN")
        with pa.OSFile(str(batches_path), "rb") as source:
            reader = pa.ipc.open_file(source)
            for index in range(reader.num_record_batches):
                batch = reader.get_batch(index)
                values = [
                    batch.column(name).to_pylist() if name not in constants
                    else itertools.repeat(constants[name], batch.num_rows)
                    for name in names
                ]  # fmt: skip
                connection.executemany(statement, zip(*values, strict=True))
        connection.execute("COMMIT")
        connection.close()
        report.send("ok")
    except BaseException as error:  # noqa: BLE001 (reported to the parent, which raises)
        with contextlib.suppress(OSError):  # (the parent may be gone)
            report.send(f"{type(error).__name__}: {error}")
        os._exit(1)


def _end_with_parent() -> None:
    """Linux: the kernel kills this process when its parent dies (a run killed while it publishes leaves
    no helper writing on); elsewhere nothing."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
