"""One night's synthetic drop: population → records → the three agency exports, truth and config.

:func:`generate_drop` is the entry point the CLI and the ``registry samples`` command call;
:func:`build_drop` returns the same frames in memory, with the diagnostic columns (true person,
injected error codes) that are never written, for tests and error-rate reports.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from synthetic.calendar import SNAPSHOT, day_number
from synthetic.civil import build_city
from synthetic.employment import build_employment
from synthetic.health import build_health
from synthetic.membership import assign_membership
from synthetic.population import build_population
from synthetic.writer import FILES, RECORD_IDS, person_label, write_source, write_sources_yaml, write_truth

__all__ = ["DropSummary", "generate_drop", "build_drop", "iter_sources"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DropSummary:
    """What a drop holds: records per source, distinct persons, and where each file is."""

    out_dir: Path
    persons: int
    counts: Mapping[str, int] = field(hash=False)
    paths: Mapping[str, Path] = field(hash=False)

    @property
    def records(self) -> int:
        """Records in all three sources together."""
        return sum(self.counts.values())


def iter_sources(persons: int, seed: int) -> Iterator[tuple[str, pd.DataFrame]]:
    """Build the population and yield ``(source, frame)`` one source at a time (to bound memory)."""
    today = day_number(SNAPSHOT)
    pop = build_population(persons, seed, snapshot_day=today)
    membership = assign_membership(pop, seed, today)
    yield "bpjs_kesehatan", build_health(pop, membership.jkn, seed, today)
    yield "bpjs_ketenagakerjaan", build_employment(pop, membership.tk, seed, today)
    yield "penduduk_depok", build_city(pop, membership.city, seed, today)


def build_drop(persons: int, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Every source's frame of a drop, with diagnostic columns, without writing anything."""
    return dict(iter_sources(persons, seed))


def summarize(out_dir: Path, truth: Mapping[str, tuple], paths: dict[str, Path]) -> DropSummary:
    """A :class:`DropSummary` from the truth parts written for a drop."""
    people: set[str] = set()
    for _, labels in truth.values():
        people.update(labels.tolist())
    counts = {source: len(ids) for source, (ids, _) in truth.items()}
    return DropSummary(Path(out_dir), len(people), MappingProxyType(counts), MappingProxyType(paths))


def generate_drop(persons: int, out_dir: str | Path, seed: int = 0) -> DropSummary:
    """Write a synthetic drop of ``persons`` people into ``out_dir`` (created if needed; files
    overwritten): ``bpjs_kesehatan.csv``, ``bpjs_ketenagakerjaan.csv``, ``penduduk_depok.db``,
    ``truth.csv`` and ``sources.yaml``. The same ``(persons, seed)`` gives identical files."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    truth: dict[str, tuple] = {}
    paths: dict[str, Path] = {}
    for source, frame in iter_sources(persons, seed):
        paths[source] = write_source(source, frame, out)
        if source == "penduduk_depok":
            frame = frame.sort_values("id_penduduk", kind="stable")
        truth[source] = (frame[RECORD_IDS[source]].to_numpy(), person_label(frame["_person"].to_numpy()))
        log.info("wrote %s: %d records", FILES[source], len(frame))
        del frame
    paths["truth"] = write_truth(truth, out)
    paths["sources"] = write_sources_yaml(out)
    summary = summarize(out, truth, paths)
    log.info(
        "drop of %d persons, %d records in %.1f s",
        summary.persons,
        summary.records,
        time.perf_counter() - started,
    )
    return summary
