"""Seconds of the report's two reads of every person, and SQLite's plan for each, on a registry.

    .venv/bin/python benchmarks/report_reads.py --db sqlite:////tmp/inc/d1-2m.db --repeat 2

The run's report counts the coverage gap's candidates (``reporting.coverage.count_gap_candidates``) and
lists the persons with the most live records (``reporting.registry_view._largest``). Without an index
each is a scan of the persons table, whose rows carry every golden record's provenance; schema revision
0004 gives both an index (``ix_persons_gap``, covering the count, and ``ix_persons_record_count``).
The registry is only read. Prints counts, plans and seconds only.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    import sqlalchemy as sa

    from reporting.coverage import count_gap_candidates
    from reporting.registry_view import _largest
    from store import open_registry

    engine = open_registry(args.db, create=False)
    plans: list[str] = []
    if engine.dialect.name == "sqlite":

        def explain(connection, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            if statement.lstrip().upper().startswith("SELECT") and "FROM persons" in statement:
                rows = cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
                plans.append(" / ".join(str(row[-1]) for row in rows))

        sa.event.listen(engine, "before_cursor_execute", explain)
    try:
        for attempt in range(args.repeat):
            with engine.connect() as connection:
                started = time.perf_counter()
                kinds = count_gap_candidates(connection)
                gap = time.perf_counter() - started
                started = time.perf_counter()
                largest = _largest(connection, top=10)
                biggest = time.perf_counter() - started
            print(
                f"gap candidates {gap:5.2f} s ({len(kinds):,} kinds, {int(kinds['persons'].sum()):,} "
                f"persons); largest persons {biggest:5.2f} s ({len(largest)} rows)"
            )
            if attempt == 0:
                for plan in plans:
                    print("  plan:", plan)
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
