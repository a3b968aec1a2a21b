"""Inserting rows shaped like ``source_records`` into SQLite in one transaction: random key order
against key order, and the page cache the registry uses against a larger one.

    .venv/bin/python benchmarks/insert_order.py --rows 4000000

Why: a 2M-person full run spends 40 % of its time in the publish, at half the rows per second of a
200k run. Each variant creates an empty database in a temporary folder (WAL, ``synchronous=NORMAL``,
as ``store.engine`` opens the registry), with the primary key ``(source, record_id)`` and an index on
``registry_id``, and inserts ``--rows`` rows of random keys and 30 short text columns in batches of
20,000 (as ``store.publish`` does), then commits. Prints the seconds of the inserts and of the commit
and the size of the write-ahead log. Synthetic rows only.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
from pathlib import Path

#: The registry's page cache (``store.engine``: 256 MiB), and a larger one.
CACHES_KIB = (262_144, 2_097_152)
BATCH = 20_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=4_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    generator = random.Random(args.seed)
    keys = [
        (
            f"source{i % 3}",
            f"{generator.getrandbits(48):012x}",
            f"R{generator.getrandbits(40):010x}",
            f"{generator.getrandbits(64):016x}",
        )
        for i in range(args.rows)
    ]
    in_key_order = sorted(keys, key=lambda key: (key[0], key[1]))
    variants = [
        ("random order", CACHES_KIB[0], keys),
        ("random order", CACHES_KIB[1], keys),
        ("key order", CACHES_KIB[0], in_key_order),
    ]
    for name, cache_kib, rows in variants:
        inserts, commit, wal = _insert(rows, cache_kib)
        print(
            f"{args.rows:,} rows, {name:12s}, cache {cache_kib // 1024:5,} MiB: inserts {inserts:6.1f} s, "
            f"commit {commit:4.1f} s, write-ahead log {wal:6,.0f} MiB",
            flush=True,
        )


def _insert(keys: list[tuple[str, str, str, str]], cache_kib: int) -> tuple[float, float, float]:
    filler = tuple(f"value{i:02d}xx" for i in range(30))
    columns = ", ".join(f"c{i} TEXT" for i in range(len(filler)))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "insert.db"
        connection = sqlite3.connect(path, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute(f"PRAGMA cache_size=-{cache_kib}")
            connection.execute("PRAGMA wal_autocheckpoint=0")
            connection.execute(
                "CREATE TABLE source_records (source TEXT NOT NULL, record_id TEXT NOT NULL, "
                f"registry_id TEXT NOT NULL, content_hash TEXT, {columns}, PRIMARY KEY (source, record_id))"
            )
            connection.execute("CREATE INDEX ix_registry_id ON source_records (registry_id)")
            statement = f"INSERT INTO source_records VALUES ({', '.join('?' * (4 + len(filler)))})"
            started = time.perf_counter()
            connection.execute("BEGIN")
            for start in range(0, len(keys), BATCH):
                connection.executemany(statement, [key + filler for key in keys[start : start + BATCH]])
            inserted = time.perf_counter()
            connection.execute("COMMIT")
            committed = time.perf_counter()
            wal = Path(f"{path}-wal").stat().st_size / 2**20
        finally:
            connection.close()
    return inserted - started, committed - inserted, wal


if __name__ == "__main__":
    main()
