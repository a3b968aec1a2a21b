"""Two passes every run makes over all of the drop's records, timed both ways on the cached 200k drop:

1. putting the sources' records into one frame: ``pd.concat`` against ``matching.frames.concat_rows``;
2. content hashes: every column hashed as strings against ``store.publish.content_hashes`` (a column
   whose first values are few distinct ones hashed as a categorical).

    .venv/bin/python benchmarks/combining.py [--drop benchmarks/cache/day2-200000-seed1]

Best of three each; the script checks that both ways give the same frame and the same hashes.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connectors import load_sources_config, read_source  # noqa: E402
from matching.frames import concat_rows  # noqa: E402
from store import publish  # noqa: E402


def _best(function: Callable[[], object], repeat: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--drop", type=Path, default=ROOT / "benchmarks" / "cache" / "day2-200000-seed1")
    arguments = parser.parse_args()
    drop = load_sources_config(str(arguments.drop / "sources.yaml"))
    parts = [read_source(source).records for source in drop.sources]
    rows = sum(len(part) for part in parts)
    print(f"{rows:,} records of {len(parts)} sources ({arguments.drop})")

    pandas_seconds, by_pandas = _best(lambda: pd.concat(parts, ignore_index=True))
    ours_seconds, ours = _best(lambda: concat_rows(parts))
    pd.testing.assert_frame_equal(ours, by_pandas)
    print(
        f"one frame of the sources    pd.concat {pandas_seconds:6.2f} s   concat_rows {ours_seconds:6.2f} s"
    )

    def as_strings() -> list[np.ndarray]:
        keep = publish._hashed_as
        publish._hashed_as = lambda text: text  # every column hashed as its strings
        try:
            return [publish.content_hashes(part) for part in parts]
        finally:
            publish._hashed_as = keep

    plain_seconds, plain = _best(as_strings)
    sampled_seconds, sampled = _best(lambda: [publish.content_hashes(part) for part in parts])
    assert all((a == b).all() for a, b in zip(plain, sampled, strict=True))
    print(
        f"content hashes              strings   {plain_seconds:6.2f} s   "
        f"few-valued as categories {sampled_seconds:6.2f} s"
    )


if __name__ == "__main__":
    main()
