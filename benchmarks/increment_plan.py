"""Seconds of an increment's plan (``pipelines.increments.plan_increment``: the diff against the registry
and the neighbour search), and of the functions it spends them in, on a registry and a next-day drop.

    .venv/bin/python benchmarks/increment_plan.py --db sqlite:////tmp/inc/d1.db \\
        --drop benchmarks/cache/day2-200000-seed1 --repeat 3

First, as the flow does before its standardise stage (not timed): the registry's live records are read
(``read_live_records``), each source of the drop is read and validated against them
(``stages.validate_batch``), the held records' name tokens are computed (``held_name_tokens``) and the
stored model is loaded. Then ``plan_increment`` runs ``--repeat`` times with the flow's arguments; each
line gives its wall seconds and the seconds spent in the functions of ``pipelines.increments``' namespace
named by ``--parts`` (wrapped there, so a function called inside another one counts in both).

The registry is only read. Prints counts and seconds only (no personal data).
"""

from __future__ import annotations

import argparse
import collections
import functools
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PARTS = (
    "standardise_records",
    "kk_number_values",
    "_neighbours",
    "_codes_of_fresh_values",
    "population_frequencies",
    "weight_bounds",
    "take_rows",
    "_take",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="the registry after day 1 (only read)")
    parser.add_argument("--drop", type=Path, required=True, help="the next day's drop (its sources.yaml)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--parts", nargs="*", default=list(PARTS))
    args = parser.parse_args()

    import pipelines.increments as increments
    from connectors import load_sources_config, read_source
    from pipelines import stages
    from store import open_registry

    engine = open_registry(args.db, create=False)
    try:
        drop = load_sources_config(args.drop / "sources.yaml")
        settings = stages.match_settings(None, None)
        held = increments.read_live_records(engine, list(drop.names))
        validated = [stages.validate_batch(read_source(source), known=held) for source in drop.sources]
        model = stages.stored_model(engine, settings, 0, len(held))
        tokens = increments.held_name_tokens(held, settings)
        arguments = dict(
            held=held,
            hashes=stages.combine_hashes(validated),
            positions=stages.combine_held_positions(validated),
            background=model is None,
            model=model,
            held_tokens=tokens,
        )
        records = [item.records for item in validated]
        print(f"{len(held):,} live records, {sum(len(r) for r in records):,} records in the drop")

        spent: collections.Counter[str] = collections.Counter()
        for name in args.parts:
            setattr(increments, name, _timed(getattr(increments, name), name, spent))
        for _ in range(args.repeat):
            spent.clear()
            started = time.perf_counter()
            plan = increments.plan_increment(engine, records, settings, **arguments)
            total = time.perf_counter() - started
            parts = ", ".join(f"{name} {spent[name]:.2f}" for name in args.parts if name in spent)
            print(f"plan_increment {total:6.2f} s  ({parts})")
        print("increment:", plan.counts)
    finally:
        engine.dispose()


def _timed(function, name: str, spent: collections.Counter):  # type: ignore[no-untyped-def]
    @functools.wraps(function)
    def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - started

    return timed


if __name__ == "__main__":
    main()
