"""Command line: ``python -m synthetic --persons N --out DIR [--seed S]`` writes a drop;
``python -m synthetic --next-day-of PREVIOUS --out DIR [--seed S]`` writes the following night's."""

from __future__ import annotations

import argparse
import logging
import sys

from synthetic import generate_drop, generate_next_day


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, write the drop, print one summary line of counts."""
    parser = argparse.ArgumentParser(prog="python -m synthetic", description=__doc__)
    parser.add_argument("--persons", type=int, help="number of people in the population")
    parser.add_argument("--out", required=True, help="folder to write the drop into")
    parser.add_argument("--seed", type=int, default=0, help="random seed (same seed, same files)")
    parser.add_argument("--next-day-of", metavar="PREVIOUS", help="write the night after this drop instead")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.next_day_of:
        summary = generate_next_day(args.next_day_of, args.out, seed=args.seed)
    elif args.persons and args.persons > 0:
        summary = generate_drop(args.persons, args.out, seed=args.seed)
    else:
        parser.error("--persons N (N > 0) or --next-day-of PREVIOUS is required")
    counts = ", ".join(f"{source} {count}" for source, count in summary.counts.items())
    print(f"{summary.out_dir}: {summary.persons} persons, {summary.records} records ({counts})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
