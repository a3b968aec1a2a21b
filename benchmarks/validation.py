"""The validate stage at scale: seconds of ``validate_source`` per source of one cached drop.

    .venv/bin/python benchmarks/validation.py                    # benchmarks/cache/drop-200000-seed1
    .venv/bin/python benchmarks/validation.py --slice 5000 --repeat 3
    .venv/bin/python benchmarks/validation.py --no-docs --dump /tmp/before

Reads every source of the drop's ``sources.yaml`` with ``connectors.read_source`` (not timed), then
times ``expectations.validate_source`` on the whole canonical frame and on its first ``--slice`` rows
(the size of a nightly increment), building Data Docs into a temporary folder as the nightly run does
(``--no-docs`` to leave them out). GX is imported before the first timing, so no row pays the import.
Prints, per source and size, the best wall seconds of ``--repeat`` calls with the rows passed and
quarantined. ``--dump DIR`` writes a fingerprint of each result (quarantine rows, outcomes, the GX
result without its run ids and times) to compare two versions of the stage: ``--compare DIR``.
Nothing personal is printed: counts and seconds only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connectors import load_sources_config, read_source  # noqa: E402
from expectations import SourceValidation, validate_source  # noqa: E402

DEFAULT_DROP = ROOT / "benchmarks" / "cache" / "drop-200000-seed1"

#: Keys of a GX result that change from run to run (ids, times, versions), left out of fingerprints.
_VOLATILE = {"run_id", "validation_time", "run_time", "batch_id", "id", "great_expectations_version",
             "active_batch_definition", "checkpoint_id", "validation_id", "batch_markers",
             "batch_spec", "batch_parameters"}  # fmt: skip


def _stable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _stable(item) for key, item in sorted(value.items()) if key not in _VOLATILE}
    if isinstance(value, list):
        return [_stable(item) for item in value]
    return value


def fingerprint(result: SourceValidation) -> dict[str, Any]:
    """What must not change between two versions of the stage: hashes and counts, no values."""
    quarantine = result.quarantined.to_csv(index=True)
    results = sorted(
        (_stable(item) for item in result.gx_result["results"]),
        key=lambda item: item["expectation_config"]["meta"]["name"],
    )
    return {
        "passed_rows": len(result.passed),
        "passed_index": hashlib.sha256(result.passed.index.to_numpy().tobytes()).hexdigest(),
        "quarantined_rows": len(result.quarantined),
        "quarantine": hashlib.sha256(quarantine.encode()).hexdigest(),
        "outcomes": [outcome.to_dict() for outcome in result.outcomes],
        "success": result.gx_result["success"],
        "statistics": result.gx_result["statistics"],
        "results": hashlib.sha256(json.dumps(results, sort_keys=True, default=str).encode()).hexdigest(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--drop", type=Path, default=DEFAULT_DROP, help="folder holding sources.yaml")
    parser.add_argument("--repeat", type=int, default=1, help="calls per source and size; best is shown")
    parser.add_argument("--slice", type=int, default=5000, help="rows of the small frame (0: none)")
    parser.add_argument("--no-full", action="store_true", help="time only the small frames")
    parser.add_argument("--no-docs", action="store_true", help="do not build Data Docs")
    parser.add_argument("--only", action="append", help="validate only this source (repeatable)")
    parser.add_argument("--dump", type=Path, help="write result fingerprints to this folder")
    parser.add_argument("--compare", type=Path, help="compare result fingerprints with this folder")
    arguments = parser.parse_args()

    config = load_sources_config(arguments.drop / "sources.yaml")
    import great_expectations  # noqa: F401  # the import (seconds) is not the stage's cost per source

    docs_root = Path(tempfile.mkdtemp(prefix="gx-bench-"))
    print(
        f"drop {arguments.drop}, data docs {'off' if arguments.no_docs else 'on'}, best of {arguments.repeat}"
    )
    print(f"{'source':<22} {'rows':>8} {'seconds':>8} {'passed':>8} {'quarantined':>11}")
    totals: dict[str, float] = {}
    mismatches = 0
    for source in config.sources:
        if arguments.only and source.name not in arguments.only:
            continue
        batch = read_source(source)
        sizes: list[tuple[str, Any]] = []
        if not arguments.no_full:
            sizes.append(("full", batch.records))
        if arguments.slice:
            sizes.append((f"slice{arguments.slice}", batch.records.iloc[: arguments.slice]))
        for label, frame in sizes:
            timings = []
            result = None
            for attempt in range(arguments.repeat):
                result = None
                docs = None if arguments.no_docs else docs_root / f"{batch.source}-{label}-{attempt}"
                started = time.perf_counter()
                result = validate_source(frame, batch.source, data_docs_dir=docs)
                timings.append(time.perf_counter() - started)
            assert result is not None
            best = min(timings)
            totals[label] = totals.get(label, 0.0) + best
            print(
                f"{batch.source:<22} {len(frame):>8} {best:>8.2f} {len(result.passed):>8} "
                f"{len(result.quarantined):>11}",
                flush=True,
            )
            name = f"{batch.source}-{label}.json"
            printed = fingerprint(result)
            if arguments.dump:
                arguments.dump.mkdir(parents=True, exist_ok=True)
                (arguments.dump / name).write_text(json.dumps(printed, indent=1, sort_keys=True))
            if arguments.compare:
                expected = json.loads((arguments.compare / name).read_text())
                same = json.loads(json.dumps(printed, sort_keys=True)) == expected
                mismatches += not same
                print(f"  {'same result as' if same else 'DIFFERENT result from'} {arguments.compare / name}")
        del batch, sizes
    for label, seconds in totals.items():
        print(f"total {label}: {seconds:.2f} s")
    if mismatches:
        sys.exit(f"{mismatches} result(s) differ")


if __name__ == "__main__":
    main()
