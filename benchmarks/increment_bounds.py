"""How many neighbours an increment leaves alone, and whether the bound ever falls below a real weight.

    .venv/bin/python benchmarks/increment_bounds.py --registry /path/to/day1.db --persons 200000 --seed 1

``--registry``: a SQLite registry after a full run on day 1 (e.g. a copy of ``benchmarks/incremental.py``'s
step 1, or ``registry run`` on ``benchmarks/cache/drop-<persons>-seed<seed>``); it is only read. Day 2 is
the cached ``benchmarks/cache/day2-<persons>-seed<seed>`` drop.

Plans the increment twice — deciding every neighbour sharing a block with a new or changed record again,
and only those whose pair could reach the review weight (``matching.bounds``) — then scores the first
(larger) frame as the nightly run would and checks each (fresh, held) pair of it: the matcher's weight
must never be above the bound. Prints the persons and records decided again each way, the pairs, and the
violations (must be 0).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connectors import load_sources_config, read_source  # noqa: E402
from matching import score_records, standardise_records  # noqa: E402
from matching.bounds import weight_bounds  # noqa: E402
from matching.text import text_or_empty as text  # noqa: E402
from pipelines import stages  # noqa: E402
from pipelines.increments import (  # noqa: E402
    held_positions,
    plan_increment,
    read_live_records,
    unsettled_niks,
)
from store import open_registry  # noqa: E402
from store.publish import content_hashes  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--registry", type=Path, required=True, help="a SQLite registry after day 1")
    parser.add_argument("--persons", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()

    engine = open_registry(f"sqlite:///{arguments.registry}", create=False)
    drop = load_sources_config(
        ROOT / "benchmarks" / "cache" / f"day2-{arguments.persons}-seed{arguments.seed}" / "sources.yaml"
    )
    settings = stages.match_settings(None, None)
    parts = [read_source(source).records for source in drop.sources]
    held = read_live_records(engine, list(drop.names))
    model = stages.stored_model(engine, settings, 0, len(held))
    if model is None:
        sys.exit("the registry holds no stored match model: run a full run on day 1 first")

    plans = {}
    for name, with_model in (("every neighbour", None), ("bounded", model)):
        started = time.perf_counter()
        plans[name] = plan_increment(engine, parts, settings, held=held, background=False, model=with_model)
        counts = plans[name].counts
        print(
            f"{name:16s} {counts['touched_persons']:>9,} persons, {counts['decided_records']:>9,} records "
            f"decided again  (plan {time.perf_counter() - started:5.1f} s)"
        )

    # the larger frame, scored as the nightly run scores it
    increment = plans["every neighbour"]
    frame = increment.standardised(standardise_records(increment.to_standardise))
    scored = score_records(
        frame,
        settings,
        model=model,
        population=increment.population,
        population_keys=increment.population_keys,
        frequencies=plans["bounded"].frequencies,
        extra_pairs=increment.pairs_of_former_persons(),
    )
    fresh = increment.fresh
    cross = fresh[scored.left] != fresh[scored.right]
    fresh_at = np.where(fresh[scored.left], scored.left, scored.right)[cross]
    held_at = np.where(fresh[scored.left], scored.right, scored.left)[cross]
    weights = scored.weight[cross]
    # rows of the fresh records (in the order they were standardised) and of the held ones
    fresh_rows = (np.cumsum(fresh) - 1)[fresh_at]
    records = increment.records
    held_rows = np.full(len(records), -1, dtype=np.int64)
    for source, rows in records.groupby("source", sort=False).indices.items():
        held_rows[rows] = held_positions(held, source, records["record_id"].to_numpy(dtype=object)[rows])
    held_rows = held_rows[held_at]
    every = pd.concat(parts, ignore_index=True)
    positions = np.full(len(every), -1, dtype=np.int64)
    for source, rows in every.groupby("source", sort=False).indices.items():
        positions[rows] = held_positions(held, source, every["record_id"].to_numpy(dtype=object)[rows])
    known = positions >= 0
    same = np.zeros(len(every), dtype=bool)
    same[known] = (
        content_hashes(every[known]) == held["content_hash"].to_numpy(dtype=object)[positions[known]]
    )
    stable = np.zeros(len(held), dtype=bool)
    stable[positions[known & same]] = True
    bounds = weight_bounds(
        increment.standardised_fresh,
        held,
        fresh_rows,
        held_rows,
        settings,
        model,
        records=len(increment.standardised_fresh) + int(stable.sum()),
        frequencies=plans["bounded"].frequencies,
        unsettled=unsettled_niks(held),
    )
    review = settings.thresholds.review_weight
    print(
        f"pairs of a new or changed record with a held one: {len(weights):,}; at or above the review "
        f"weight: {int((weights >= review).sum()):,}; bound at or above it: {int((bounds >= review).sum()):,}"
    )
    below = weights > bounds
    print(
        f"bound below the matcher's weight: {int(below.sum())} "
        f"(largest weight - bound: {float((weights - bounds).max(initial=-np.inf)):.4f})"
    )
    if below.any():
        # the frame standardises a held record again from its raw fields, within the frame (the NIK's
        # KK-number check looks at the frame's records only): where that differs from the stored columns
        # the bound was computed from, the matcher compared other values
        stored = held.iloc[held_rows[below]].reset_index(drop=True)
        again = frame.iloc[held_at[below]].reset_index(drop=True)
        differs = {
            column: int((text(again[column]) != text(stored[column])).sum())
            for column in ("nik_std", "name_key", "birth_date_std", "sex_std", "phone_std", "kelurahan_code")
        }
        print(
            f"  of these, held records standardised otherwise in the frame than stored, by column: {differs}"
        )


if __name__ == "__main__":
    main()
