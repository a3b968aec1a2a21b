"""Seconds and peak memory of ``store.publish_run`` alone, on a cached drop; and registries compared.

    .venv/bin/python benchmarks/publish_memory.py --persons 200000 --seed 1
    .venv/bin/python benchmarks/publish_memory.py --keep /tmp/after.db --compare /tmp/before.db
    .venv/bin/python benchmarks/publish_memory.py --compare-only /tmp/a.db /tmp/b.db

1. **prepare** (once per drop, its own process): the drop ``benchmarks/cache/drop-<persons>-seed<seed>/``
   goes through the run's stages as plain functions (``read_source``, ``validate_batch``,
   ``standardise_records``, ``score_records``, ``cluster_scored``, ``assemble_outcome``; no Prefect, no
   steward decisions) and the ``RunOutcome`` is pickled next to the drop (``publish-outcome.pkl``, in
   the git-ignored cache; synthetic people only).
2. **measure** (a fresh process): the outcome is unpickled, then published into an empty SQLite
   registry (a full run into a new registry), then published again under another run id into the same
   registry (a full rebuild of a registry that holds every record: ``--full`` on the second night).
   For each publish: wall seconds, the process's peak RSS (``VmHWM``, reset before the publish through
   ``/proc/self/clear_refs``) and that peak less the RSS just before the publish (what publish adds on
   top of the outcome the run holds).
3. **compare** (``--compare OTHER.db``): the registry left by step 2 against another one, table by
   table (every column but timestamps; ids included), with SQLite's ``EXCEPT`` both ways and row
   counts, e.g. a registry published by the code before a change against one published after it.
   ``--ignore-runs`` also leaves out ``run_id`` / ``first_seen_run`` (registries of two CLI runs).

Personal data: prints counts and seconds only.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import pickle
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CACHE = HERE / "cache"

#: Tables compared, and the columns left out of the comparison (times the run wrote).
TABLES: dict[str, tuple[str, ...]] = {
    "source_records": ("deleted_at",),
    "persons": (),
    "match_pairs": (),
    "entity_history": (),
    "registry_id_redirects": (),
    "quarantine": (),
    "registry_meta": (),
}
RUN_COLUMNS = ("run_id", "first_seen_run")


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak() -> bool:
    """Reset the kernel's high-water mark of this process (Linux >= 4.0); False if it cannot."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def prepare(drop: Path, target: Path) -> None:
    from connectors import load_sources_config, read_source
    from matching import cluster_scored, score_records, standardise_records
    from pipelines import stages

    started = time.perf_counter()
    config = load_sources_config(drop / "sources.yaml")
    validated = [stages.validate_batch(read_source(source)) for source in config.sources]
    hashes = stages.combine_hashes(validated)
    records = standardise_records(stages.combine_records(validated))
    settings = stages.match_settings(None, None)
    scored = score_records(records, settings)
    linkage = cluster_scored(records, scored, settings)
    outcome = stages.assemble_outcome(
        run_id="bench-publish-1",
        started_at=datetime(2026, 11, 27, tzinfo=UTC),
        config_path=str(drop / "sources.yaml"),
        validated=validated,
        standardised=records,
        linkage=linkage,
        parameters={"benchmark": "publish_memory"},
        content_hashes=hashes,
        match_model=scored.fitted,
    )
    with target.open("wb") as handle:
        pickle.dump(outcome, handle, protocol=pickle.HIGHEST_PROTOCOL)
    print(
        f"prepared {len(outcome.records):,} records, {len(outcome.pairs):,} pairs in "
        f"{time.perf_counter() - started:.1f} s -> {target.name}"
    )


def measure(outcome_path: Path, db_path: Path, twice: bool) -> None:
    from store import open_registry, publish_run

    with outcome_path.open("rb") as handle:
        outcome = pickle.load(handle)
    if db_path.exists():
        db_path.unlink()
    engine = open_registry(f"sqlite:///{db_path}")
    runs = [("publish into an empty registry", outcome)]
    if twice:
        runs.append(("publish again (full rebuild)", dataclasses.replace(outcome, run_id="bench-publish-2")))
    print(f"records {len(outcome.records):,}, pairs {len(outcome.pairs):,}")
    for name, item in runs:
        gc.collect()
        reset = _reset_peak()
        before = _status_kb("VmRSS")
        started = time.perf_counter()
        summary = publish_run(engine, item)
        seconds = time.perf_counter() - started
        peak = _status_kb("VmHWM")
        print(
            f"{name}: {seconds:.1f} s, peak {peak / 1024:,.0f} MB, added {(peak - before) / 1024:,.0f} MB "
            f"over {before / 1024:,.0f} MB before{'' if reset else ' (peak not reset: process peak)'}; "
            f"{summary.persons:,} persons"
        )
    engine.dispose()


def compare(mine: Path, other: Path, *, ignore_runs: bool) -> bool:
    """Print per table whether the two registries hold the same rows; True if every table does."""
    connection = sqlite3.connect(mine)
    connection.execute("ATTACH DATABASE ? AS other", (str(other),))
    same_everywhere = True
    for table, ignored in TABLES.items():
        left_out = set(ignored) | (set(RUN_COLUMNS) if ignore_runs else set())
        columns = [row[1] for row in connection.execute(f"PRAGMA main.table_info({table})")]
        kept = ", ".join(f'"{column}"' for column in columns if column not in left_out)
        counts = [
            connection.execute(f"SELECT count(*) FROM {schema}.{table}").fetchone()[0]
            for schema in ("main", "other")
        ]
        only_mine = connection.execute(
            f"SELECT count(*) FROM (SELECT {kept} FROM main.{table} EXCEPT SELECT {kept} FROM other.{table})"
        ).fetchone()[0]
        only_other = connection.execute(
            f"SELECT count(*) FROM (SELECT {kept} FROM other.{table} EXCEPT SELECT {kept} FROM main.{table})"
        ).fetchone()[0]
        same = counts[0] == counts[1] and only_mine == 0 and only_other == 0
        same_everywhere &= same
        print(
            f"  {table:<22} {counts[0]:>10,} rows vs {counts[1]:>10,}; only here {only_mine:,}, "
            f"only there {only_other:,}: {'same' if same else 'DIFFERENT'}"
        )
    connection.close()
    return same_everywhere


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--persons", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--keep", type=Path, help="the registry file to publish into (default: a temporary one)"
    )
    parser.add_argument("--once", action="store_true", help="publish only into the empty registry")
    parser.add_argument("--compare", type=Path, help="compare the registry published with this SQLite file")
    parser.add_argument("--compare-only", nargs=2, type=Path, metavar=("A", "B"), help="only compare A and B")
    parser.add_argument("--ignore-runs", action="store_true", help="leave run ids out of the comparison")
    parser.add_argument("--worker", choices=["prepare", "measure"], help=argparse.SUPPRESS)
    parser.add_argument("--outcome", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.compare_only:
        return 0 if compare(*args.compare_only, ignore_runs=args.ignore_runs) else 1
    drop = CACHE / f"drop-{args.persons}-seed{args.seed}"
    outcome_path = args.outcome or drop / "publish-outcome.pkl"
    if args.worker == "prepare":
        prepare(drop, outcome_path)
        return 0
    if args.worker == "measure":
        measure(outcome_path, args.keep, twice=not args.once)
        return 0

    if not (drop / "sources.yaml").exists():
        parser.error(f"no cached drop {drop}: make it with benchmarks/scale.py --persons {args.persons}")
    me = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--persons",
        str(args.persons),
        "--seed",
        str(args.seed),
    ]
    if not outcome_path.exists():
        subprocess.run([*me, "--worker", "prepare", "--outcome", str(outcome_path)], check=True)
    db_path = args.keep or Path(os.environ.get("TMPDIR", "/tmp")) / f"publish-memory-{os.getpid()}.db"
    command = [*me, "--worker", "measure", "--outcome", str(outcome_path), "--keep", str(db_path)]
    subprocess.run([*command, *(["--once"] if args.once else [])], check=True)
    status = 0
    if args.compare:
        print(f"registry compared with {args.compare}:")
        status = 0 if compare(db_path, args.compare, ignore_runs=args.ignore_runs) else 1
    if not args.keep:
        db_path.unlink(missing_ok=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
