"""End-to-end check of the walking skeleton on a freshly generated drop, through the real CLI.

    .venv/bin/python benchmarks/end_to_end.py --persons 20000 --seed 1

Generates a drop (cached under benchmarks/cache/), runs ``registry run`` into a fresh SQLite registry,
exports links and quarantine, checks that together they cover every source record exactly once, and
runs ``registry evaluate``. Prints wall seconds per command and the pairwise scores.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = str(Path(sys.executable).with_name("registry"))


def _timed(arguments: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    completed = subprocess.run([REGISTRY, *arguments], capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        sys.exit(f"registry {arguments[0]} failed ({completed.returncode}):\n{completed.stderr[-3000:]}")
    return elapsed, completed.stdout


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()

    drop = ROOT / "benchmarks" / "cache" / f"drop-{arguments.persons}-seed{arguments.seed}"
    if not (drop / "truth.csv").is_file():
        seconds, _ = _timed(["samples", "--persons", str(arguments.persons), "--out", str(drop),
                             "--seed", str(arguments.seed)])  # fmt: skip
        print(f"samples     {seconds:8.1f} s  ({drop})")
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        db = f"sqlite:///{work / 'registry.db'}"
        seconds, output = _timed(["run", "--config", str(drop / "sources.yaml"), "--db", db,
                                  "--report-dir", str(work / "reports")])  # fmt: skip
        print(f"run         {seconds:8.1f} s")
        print("\n".join("    " + line for line in output.strip().splitlines()[-9:]))
        seconds, _ = _timed(["export-links", "--db", db, "--out", str(work / "links.csv")])
        print(f"export-links{seconds:8.1f} s")
        seconds, _ = _timed(["export-quarantine", "--db", db, "--out", str(work / "quarantine.csv")])
        print(f"export-quar.{seconds:8.1f} s")
        links = pd.read_csv(work / "links.csv", dtype=str, keep_default_na=False)
        quarantine = pd.read_csv(work / "quarantine.csv", dtype=str, keep_default_na=False)
        truth = pd.read_csv(drop / "truth.csv", dtype=str, keep_default_na=False)
        held = pd.concat([links[["source", "record_id"]], quarantine[["source", "record_id"]]])
        covered = held.merge(truth[["source", "record_id"]], how="outer", indicator=True)
        print(
            f"coverage    {len(truth):,} source records; {len(links):,} linked + {len(quarantine):,} "
            f"quarantined; missing {int((covered['_merge'] == 'right_only').sum())}, "
            f"unknown {int((covered['_merge'] == 'left_only').sum())}, "
            f"duplicated {int(held.duplicated().sum())}"
        )
        seconds, output = _timed(["evaluate", "--truth", str(drop / "truth.csv"), "--db", db])
        print(f"evaluate    {seconds:8.1f} s")
        print("\n".join("    " + line for line in output.strip().splitlines()))
        match = re.search(r"F1: ([\d.]+)", output)
        if match is None or float(match.group(1)) < 0.95:
            sys.exit("pairwise F1 below 0.95")


if __name__ == "__main__":
    main()
