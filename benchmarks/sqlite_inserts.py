"""Where a SQLite publish's insert time goes: SQLite's own work against Python's ``sqlite3`` binding.

    .venv/bin/python benchmarks/sqlite_inserts.py --registry /tmp/full2m.db --rows 500000

Why: the 2M full run's publish spends most of its inserts in ``executemany`` (``store.publish``). This
script copies rows of a published registry into empty databases with that registry's own table and
index definitions (WAL, ``synchronous=NORMAL``, the 256 MiB page cache, one transaction, as
``store.engine`` opens a registry) in four ways, and prints the seconds of each and of its commit:

1. ``INSERT … SELECT`` from the attached registry, indexes defined first: SQLite's own work, no Python;
2. the same with the indexes built after the rows (the usual bulk-load advice);
3. ``executemany`` of the rows fetched as tuples, 20,000 per call (what ``store.publish`` does);
4. a multi-row ``VALUES`` statement (``--values-rows`` rows per execution), and ``json_each`` over one
   JSON text per 20,000 rows: two ways of binding fewer parameters per row.

Per table (``--tables``; ``source_records``, ``persons``, ``match_pairs`` by default), ``--rows`` rows.
The copies made by 3 and 4 are compared with the first (``EXCEPT`` both ways): the same rows. Prints
counts and seconds only; the databases are made in a temporary folder and removed.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BATCH = 20_000
PAGE_CACHE_KIB = 262_144


def _empty(
    path: Path, registry: Path, table: str, indexes_first: bool
) -> tuple[sqlite3.Connection, list[str]]:
    """A new database at ``path`` with ``table`` as the registry defines it (and its indexes when
    ``indexes_first``), the registry attached as ``old``, a transaction begun; the index statements."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(f"PRAGMA cache_size=-{PAGE_CACHE_KIB}")
    connection.execute("ATTACH ? AS old", (str(registry),))
    definitions = connection.execute(
        "SELECT type, sql FROM old.sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL", (table,)
    ).fetchall()
    connection.execute(next(sql for kind, sql in definitions if kind == "table"))
    indexes = [sql for kind, sql in definitions if kind == "index"]
    if indexes_first:
        for statement in indexes:
            connection.execute(statement)
    connection.execute("BEGIN")
    return connection, indexes


def _timed(connection: sqlite3.Connection, insert: Callable[[], None], after: Callable[[], None]) -> str:
    start = time.perf_counter()
    insert()
    inserted = time.perf_counter()
    after()
    built = time.perf_counter()
    connection.execute("COMMIT")
    done = time.perf_counter()
    text = f"{inserted - start:6.1f} s"
    if built - inserted > 0.05:
        text += f" + indexes {built - inserted:5.1f} s"
    return text + f", commit {done - built:4.1f} s"


def _same(folder: Path, table: str, name: str) -> str:
    connection = sqlite3.connect(folder / "select.db")
    connection.execute("ATTACH ? AS other", (str(folder / f"{name}.db"),))
    differ = sum(
        connection.execute(
            f"SELECT count(*) FROM (SELECT * FROM {a}.{table} EXCEPT SELECT * FROM {b}.{table})"
        ).fetchone()[0]
        for a, b in (("main", "other"), ("other", "main"))
    )
    connection.close()
    return "same rows" if differ == 0 else f"{differ} rows differ"


def measure(registry: Path, table: str, rows: int, values_rows: int) -> None:
    source = sqlite3.connect(registry)
    fetched = source.execute(f"SELECT * FROM {table} LIMIT ?", (rows,)).fetchall()
    source.close()
    if not fetched:
        print(f"{table}: no rows")
        return
    width = len(fetched[0])
    one = "(" + ", ".join("?" * width) + ")"
    print(f"{table}: {len(fetched):,} rows of {width} columns", flush=True)
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)

        def run(
            name: str, label: str, indexes_first: bool, insert: Callable[[sqlite3.Connection], None]
        ) -> None:
            connection, indexes = _empty(folder / f"{name}.db", registry, table, indexes_first)

            def build_indexes() -> None:
                if not indexes_first:
                    for statement in indexes:
                        connection.execute(statement)

            text = _timed(connection, lambda: insert(connection), build_indexes)
            connection.close()
            check = "" if name == "select" else f"  ({_same(folder, table, name)})"
            print(f"  {label:<22} {text}{check}", flush=True)

        def select(connection: sqlite3.Connection) -> None:
            connection.execute(f"INSERT INTO main.{table} SELECT * FROM old.{table} LIMIT ?", (rows,))

        def executemany(connection: sqlite3.Connection) -> None:
            for start in range(0, len(fetched), BATCH):
                connection.executemany(f"INSERT INTO {table} VALUES {one}", fetched[start : start + BATCH])

        def values(connection: sqlite3.Connection) -> None:
            statement = f"INSERT INTO {table} VALUES {', '.join([one] * values_rows)}"
            whole = len(fetched) // values_rows * values_rows
            flat = list(itertools.chain.from_iterable(fetched[:whole]))
            step = width * values_rows
            connection.executemany(statement, (flat[at : at + step] for at in range(0, len(flat), step)))
            connection.executemany(f"INSERT INTO {table} VALUES {one}", fetched[whole:])

        def json_rows(connection: sqlite3.Connection) -> None:
            picks = ", ".join(f"value ->> {k}" for k in range(width))
            statement = f"INSERT INTO {table} SELECT {picks} FROM json_each(?)"
            for start in range(0, len(fetched), BATCH):
                connection.execute(
                    statement, (json.dumps(fetched[start : start + BATCH], ensure_ascii=False),)
                )

        run("select", "INSERT ... SELECT", True, select)
        run("select_then_index", "the same, indexes after", False, select)
        run("executemany", "executemany", True, executemany)
        run("values", f"VALUES of {values_rows} rows", True, values)
        run("json_each", "json_each", True, json_rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--registry", type=Path, required=True, help="a published SQLite registry (read only)"
    )
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--tables", nargs="+", default=["source_records", "persons", "match_pairs"])
    parser.add_argument("--values-rows", type=int, default=20)
    args = parser.parse_args()
    print(f"SQLite {sqlite3.sqlite_version}")
    for table in args.tables:
        measure(args.registry, table, args.rows, args.values_rows)


if __name__ == "__main__":
    main()
