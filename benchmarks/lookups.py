"""Looking text up among distinct values, and counting them: pandas against Arrow's hash kernel.

    .venv/bin/python benchmarks/lookups.py

An increment looks up text keys over the whole registry:
- every record id of the drop among the registry's ids of its source (``held_positions``);
- every live record's block key among the keys of the new and changed records
  (``_codes_of_fresh_values``);
- every value among a population's distinct values (``ValueFrequencies.codes``);

and counts the population's values (``ValueFrequencies.of``, term frequencies).

This script times both ways on the shapes of the 2M-person registry:
- 1.8M record ids among 1.8M;
- 4M keys (10 % missing) among 100k distinct;
- counting the 4M keys (1.5M distinct).

The values are fresh ``str`` objects, as read from a file or a database. Each timing is the best of three
runs, and the script checks that both ways give the same positions and frequencies.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from matching.comparisons import ValueFrequencies  # noqa: E402
from matching.text import positions_in  # noqa: E402


def _fresh(values: np.ndarray) -> np.ndarray:
    """Equal strings as new objects (no cached hash), missing values kept."""
    return np.asarray([None if value is None else "".join(value) for value in values], dtype=object)


def _best(function: Callable[[], np.ndarray]) -> tuple[float, np.ndarray]:
    timings, result = [], None
    for _ in range(3):
        started = time.perf_counter()
        result = function()
        timings.append(time.perf_counter() - started)
    return min(timings), result


def main() -> None:
    rng = np.random.default_rng(1)
    ids = np.asarray([f"{n:016d}" for n in rng.choice(10**12, 1_800_000, replace=False)], dtype=object)
    drop_ids = _fresh(ids[rng.permutation(len(ids))])
    pool = np.asarray([f"{n:08d}" for n in rng.choice(10**8, 1_500_000, replace=False)], dtype=object)
    keys = _fresh(pool[rng.integers(0, len(pool), 4_000_000)])
    keys[rng.random(len(keys)) < 0.1] = None
    fresh_keys = pd.unique(pool[rng.integers(0, len(pool), 100_000)])
    shapes = {
        "1.8M record ids among 1.8M": (drop_ids, ids),
        "4M keys among 100k distinct": (keys, fresh_keys),
    }
    print(f"{'lookup':<30} {'pandas s':>9} {'Arrow s':>15} {'ratio':>6}")
    for name, (values, table) in shapes.items():
        pandas_seconds, expected = _best(lambda: pd.Index(table, dtype=object).get_indexer(values))  # noqa: B023
        ours_seconds, found = _best(lambda: positions_in(values, table))  # noqa: B023
        if not np.array_equal(found, expected):
            sys.exit(f"{name}: positions_in differs from pandas")
        print(f"{name:<30} {pandas_seconds:9.2f} {ours_seconds:15.2f} {pandas_seconds / ours_seconds:6.1f}")
    # counting a population's values for term frequencies (``ValueFrequencies.of``)
    pandas_seconds, expected = _best(lambda: _counted_by_pandas(keys))
    ours_seconds, table = _best(lambda: ValueFrequencies.of(keys))
    if dict(zip(table.values, table.frequency, strict=True)) != expected:
        sys.exit("ValueFrequencies.of differs from pandas")
    name = "counting 4M keys"
    print(f"{name:<30} {pandas_seconds:9.2f} {ours_seconds:15.2f} {pandas_seconds / ours_seconds:6.1f}")


def _counted_by_pandas(values: np.ndarray) -> dict[str, float]:
    """What ``ValueFrequencies.of`` counted before Arrow: factorize, count, drop ``""``."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques)).astype(np.float64)
    kept = np.asarray(uniques, dtype=object) != ""
    return dict(zip(uniques[kept], counts[kept] / max(counts[kept].sum(), 1.0), strict=True))


if __name__ == "__main__":
    main()
