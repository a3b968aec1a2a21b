"""Nightly increments at scale: a full day-1 run, then day 2 incrementally, then day 2 again.

    .venv/bin/python benchmarks/incremental.py --persons 200000 --seed 1
    .venv/bin/python benchmarks/incremental.py --persons 200000 --seed 1 --db postgresql+psycopg://...

Day 1 is ``synthetic.generate_drop`` (cached under ``benchmarks/cache/drop-<persons>-seed<seed>/``), day 2
``synthetic.generate_next_day`` from it (1 % new records incl. new duplicate registrations, 2 % changed,
0.5 % deleted; cached under ``benchmarks/cache/day2-<persons>-seed<seed>/``). Every run goes through the
installed CLI (``registry run``, so each includes Prefect's temporary server start, ≈ 10 s) into a fresh
registry (SQLite in a temporary folder unless ``--db`` names an empty database):

1. day 1, full (the registry is empty);
2. day 2, incremental; 3. day 2 again (must change nothing); 4. day 2 with ``--full`` (a full rebuild).

Prints the wall seconds of each, the ratio incremental / full, the id stability of the persons whose
day-1 cluster was right (from day 1's truth), and the rows of the registry's content that the rerun
changed ("changes on rerun").
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.evaluation import id_stability  # noqa: E402
from store import open_registry, read_links  # noqa: E402

REGISTRY = str(Path(sys.executable).with_name("registry"))
CONTENT = (
    "source_records",
    "persons",
    "match_pairs",
    "entity_history",
    "registry_id_redirects",
    "quarantine",
)


_STAGE_LINE = re.compile(r"stage (\S+) finished in ([0-9.]+) s")


def _timed(arguments: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    completed = subprocess.run(
        [REGISTRY, *arguments], capture_output=True, text=True, cwd=ROOT, env=env or os.environ.copy()
    )
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        sys.exit(f"registry {arguments[0]} failed ({completed.returncode}):\n{completed.stderr[-3000:]}")
    return elapsed, completed.stdout + completed.stderr


def _stages(output: str) -> str:
    """``ingest 5.1, validate 3.2, ...`` from the run's progress lines."""
    return ", ".join(f"{name} {float(seconds):.1f}" for name, seconds in _STAGE_LINE.findall(output))


@contextlib.contextmanager
def prefect_server(port: int) -> Iterator[dict[str, str]]:
    """A Prefect server on loopback for every run (as the nightly deployment has), instead of the
    temporary server each ``registry run`` starts otherwise; yields the runs' environment."""
    home = tempfile.mkdtemp(prefix="prefect-home-")
    env = {**os.environ, "PREFECT_HOME": home}
    prefect = str(Path(sys.executable).with_name("prefect"))
    server = subprocess.Popen(
        [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit("the Prefect server did not start")
            time.sleep(1)
        yield {**env, "PREFECT_API_URL": url}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)


def _links(db: str) -> pd.DataFrame:
    engine = open_registry(db, create=False)
    try:
        return read_links(engine)
    finally:
        engine.dispose()


def _content(db: str) -> dict[str, pd.Series]:
    """Per table of ``CONTENT``: how many times each distinct row occurs (rows as hashes of their text,
    without the run that wrote them), read in chunks: at 2M persons the tables hold tens of millions
    of values, too many to hold as objects twice."""
    engine = sa.create_engine(db)
    content = {}
    try:
        with engine.connect() as connection:
            for table in CONTENT:
                hashes = []
                chunks = pd.read_sql(
                    sa.text(f'SELECT * FROM "{table}"'), connection, dtype=object, chunksize=200_000
                )
                for chunk in chunks:
                    chunk = chunk.drop(columns=[c for c in ("run_id", "id", "pair_id") if c in chunk])
                    hashes.append(pd.util.hash_pandas_object(chunk.astype(str), index=False).to_numpy())
                rows = np.concatenate(hashes) if hashes else np.zeros(0, dtype=np.uint64)
                content[table] = pd.Series(rows).value_counts()
    finally:
        engine.dispose()
    return content


def _changed_rows(before: dict[str, pd.Series], after: dict[str, pd.Series]) -> int:
    """Rows in one registry and not in the other (counting repeated rows), over every table."""
    changed = 0
    for table, old in before.items():
        changed += int(old.sub(after[table], fill_value=0).abs().sum())
    return changed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--persons", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", help="an empty registry database (default: SQLite in a temporary folder)")
    parser.add_argument("--skip-full-rebuild", action="store_true", help="leave out step 4")
    parser.add_argument(
        "--day1-registry",
        type=Path,
        help="a SQLite registry of day 1 (a copy of step 1's result) to start from instead of step 1",
    )
    parser.add_argument("--day1-seconds", type=float, help="step 1's measured seconds, with --day1-registry")
    parser.add_argument(
        "--prefect-server",
        type=int,
        metavar="PORT",
        help="run every step against one Prefect server started on this loopback port (as the nightly "
        "deployment runs), instead of a temporary server per run",
    )
    arguments = parser.parse_args()
    with contextlib.ExitStack() as stack:
        env = (
            stack.enter_context(prefect_server(arguments.prefect_server))
            if arguments.prefect_server
            else None
        )
        _measure(arguments, env)


def _measure(arguments: argparse.Namespace, env: dict[str, str] | None) -> None:

    cache = ROOT / "benchmarks" / "cache"
    day1 = cache / f"drop-{arguments.persons}-seed{arguments.seed}"
    day2 = cache / f"day2-{arguments.persons}-seed{arguments.seed}"
    if not (day1 / "truth.csv").is_file():
        seconds, _ = _timed(["samples", "--persons", str(arguments.persons), "--out", str(day1),
                             "--seed", str(arguments.seed)], env)  # fmt: skip
        print(f"day-1 drop generated   {seconds:8.1f} s")
    if not (day2 / "truth.csv").is_file():
        from synthetic import generate_next_day

        started = time.perf_counter()
        generate_next_day(day1, day2, seed=arguments.seed + 1000)
        print(f"day-2 drop generated   {time.perf_counter() - started:8.1f} s")

    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        db = arguments.db or f"sqlite:///{work / 'registry.db'}"

        def run(drop: Path, *more: str) -> float:
            seconds, output = _timed(["run", "--config", str(drop / "sources.yaml"), "--db", db,
                                      "--report-dir", str(work / "reports"), *more], env)  # fmt: skip
            print(f"    stages: {_stages(output)}")
            return seconds

        if arguments.day1_registry:
            import shutil

            shutil.copyfile(arguments.day1_registry, work / "registry.db")
            db = f"sqlite:///{work / 'registry.db'}"
            full = arguments.day1_seconds or float("nan")
            print(
                f"day 1, full run        {full:8.1f} s  (earlier; registry copied from "
                f"{arguments.day1_registry})"
            )
        else:
            full = run(day1)
            print(f"day 1, full run        {full:8.1f} s")
        links1 = _links(db)
        incremental = run(day2)
        print(f"day 2, incremental     {incremental:8.1f} s")
        links2 = _links(db)
        before = _content(db)
        rerun = run(day2)
        print(f"day 2 again            {rerun:8.1f} s")
        changes = _changed_rows(before, _content(db))
        rebuild = None
        if not arguments.skip_full_rebuild:
            rebuild = run(day2, "--full")
            print(f"day 2, --full rebuild  {rebuild:8.1f} s")
            links_full = _links(db)

    truth1 = pd.read_csv(day1 / "truth.csv", dtype=str, keep_default_na=False)
    truth2 = pd.read_csv(day2 / "truth.csv", dtype=str, keep_default_na=False)
    stability = id_stability(links1, links2, truth1)
    print()
    print(f"records day 1 / day 2: {len(truth1):,} / {len(truth2):,}")
    print(f"incremental / day-1 full run: {incremental / full:.1%}")
    if rebuild is not None:
        print(f"incremental / day-2 full rebuild: {incremental / rebuild:.1%}")
    print(
        f"persons whose day-1 cluster was right: {stability.right_persons:,}; "
        f"kept their registry id on every record on day 2: {stability.kept:,} "
        f"(changed: {stability.changed:,}, of which a changed record split off while most records "
        f"kept the id: {stability.kept_by_most:,})"
    )
    print(f"changes on rerun: {changes}")
    if rebuild is not None:
        again = id_stability(links2, links_full, truth2)
        print(
            f"--full rebuild: of {again.right_persons:,} persons right on day 2, {again.kept:,} "
            f"kept their id "
            f"(changed: {again.changed:,})"
        )


if __name__ == "__main__":
    main()
