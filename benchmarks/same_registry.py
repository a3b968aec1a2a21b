"""Whether two registries hold the same content: a digest per table, leaving out what differs between
two runs of the same code (run ids, times, row ids), pair weights to nine decimals.

    .venv/bin/python benchmarks/same_registry.py sqlite:///a.db sqlite:///b.db

Used to check that a change meant to make a run faster leaves its result alone: run the old and the new
code on copies of one registry (or on one drop into fresh ones) and compare. Exit status 1 when a table
differs.
"""

from __future__ import annotations

import argparse
import hashlib
import sys

import sqlalchemy as sa

#: Per table: the columns compared (rows read in the order of these columns).
TABLES: dict[str, tuple[str, ...]] = {
    "source_records": (
        "source", "record_id", "registry_id", "content_hash", "source_row", "deleted_at IS NULL",
    ),
    "persons": (
        "registry_id", "nik", "full_name", "birth_date", "sex", "phone", "address", "rt", "rw", "kelurahan",
        "kecamatan", "kelurahan_code", "occupation", "worker_category", "in_health", "in_employment",
        "in_city", "health_active", "employment_active", "record_count", "provenance",
    ),
    "match_pairs": (
        "source_l", "record_id_l", "source_r", "record_id_r", "ROUND(weight, 9)", "ROUND(probability, 9)",
        "decision",
    ),
    "entity_history": ("kind", "registry_id", "other_registry_id", "records"),
    "registry_id_redirects": ("retired_id", "registry_id"),
    "quarantine": ("source", "record_id", "source_row", "reason"),
}  # fmt: skip


def digests(url: str) -> dict[str, tuple[int, str]]:
    """Per table of ``TABLES``: its row count and a SHA-256 of its compared columns, row by row."""
    engine = sa.create_engine(url)
    found = {}
    try:
        with engine.connect() as connection:
            for table, columns in TABLES.items():
                digest, rows = hashlib.sha256(), 0
                order = ", ".join(str(position + 1) for position in range(len(columns)))
                result = connection.execution_options(stream_results=True).execute(
                    sa.text(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}")
                )
                for chunk in result.partitions(100_000):
                    for row in chunk:
                        digest.update(repr(tuple(row)).encode())
                    rows += len(chunk)
                found[table] = (rows, digest.hexdigest()[:16])
    finally:
        engine.dispose()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("first", help="a registry's database URL")
    parser.add_argument("second", help="the other registry's database URL")
    arguments = parser.parse_args()
    first, second = digests(arguments.first), digests(arguments.second)
    differ = 0
    for table in TABLES:
        same = first[table] == second[table]
        differ += not same
        print(
            f"{table:22s} {first[table][0]:>10,} rows {first[table][1]}   "
            f"{second[table][0]:>10,} rows {second[table][1]}   {'same' if same else 'DIFFERENT'}"
        )
    print("the same content" if not differ else f"{differ} table(s) differ")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
