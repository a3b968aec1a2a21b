"""What a run tells the Prefect UI: a markdown summary and a table of per-source counts.

Plain functions from a :class:`RunSummary` (counts, source names, seconds, a file path) to markdown
and table rows; the flow hands them to Prefect's artifact functions. A summary holds no personal
data by construction: no field can carry a name, NIK or phone number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["RunSummary", "artifact_keys", "source_table", "summary_markdown"]


@dataclass(frozen=True)
class RunSummary:
    """One run in counts: per source, for the registry as a whole, and per stage."""

    run_id: str
    dry_run: bool
    full: bool
    refreshed: tuple[str, ...]
    held: tuple[str, ...]
    read: dict[str, int]
    linked: dict[str, int]
    quarantined: dict[str, int]
    persons_before: int
    persons: int
    new_persons: int
    report: str
    stage_seconds: dict[str, float] = field(default_factory=dict)
    match_seconds: dict[str, float] = field(default_factory=dict)
    match_threshold: float | None = None
    settings_hash: str | None = None

    @property
    def ids_appeared(self) -> int:
        """Registry ids that the run gave out (new persons)."""
        return self.new_persons

    @property
    def ids_disappeared(self) -> int:
        """Registry ids held before the run and gone after it (merged into another person, or no
        record of theirs is held any more)."""
        return self.persons_before - (self.persons - self.new_persons)

    @property
    def balanced(self) -> bool:
        return all(self.read[s] == self.linked.get(s, 0) + self.quarantined.get(s, 0) for s in self.read)

    def as_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "full": self.full,
            "refreshed": list(self.refreshed),
            "held": list(self.held),
            "read": dict(self.read),
            "linked": dict(self.linked),
            "quarantined": dict(self.quarantined),
            "persons_before": self.persons_before,
            "persons": self.persons,
            "new_persons": self.new_persons,
            "ids_appeared": self.ids_appeared,
            "ids_disappeared": self.ids_disappeared,
            "stage_seconds": dict(self.stage_seconds),
            "report": self.report,
        }


def artifact_keys(dry_run: bool) -> tuple[str, str]:
    """Keys of the markdown and the table artifact: one series for real runs, one for dry runs."""
    stem = "registry-sync-dry-run" if dry_run else "registry-sync"
    return stem, f"{stem}-sources"


def source_table(summary: RunSummary) -> list[dict[str, object]]:
    """One row per source: whether it was read or carried over, and its counts."""
    return [
        {
            "source": source,
            "status": "carried over" if source in summary.held else "read",
            "read": summary.read[source],
            "linked": summary.linked.get(source, 0),
            "quarantined": summary.quarantined.get(source, 0),
        }
        for source in summary.read
    ]


def summary_markdown(summary: RunSummary) -> str:
    """The run as a markdown page for the Prefect UI."""
    title = f"# Registry sync {summary.run_id}"
    if summary.dry_run:
        title += " — dry run, nothing was published"
    verb = "would hold" if summary.dry_run else "holds"
    lines = [
        title,
        "",
        f"The registry {verb} **{summary.persons:,}** persons (before: {summary.persons_before:,}; "
        f"{summary.new_persons:,} new).",
        "",
        "## Records per source",
        "",
        "| source | status | read | linked | quarantined |",
        "|---|---|--:|--:|--:|",
    ]
    for row in source_table(summary):
        lines.append(
            f"| {row['source']} | {row['status']} | {row['read']:,} | {row['linked']:,} "
            f"| {row['quarantined']:,} |"
        )
    total_read = sum(summary.read.values())
    total_linked = sum(summary.linked.values())
    total_quarantined = sum(summary.quarantined.values())
    lines.append(f"| **total** | | {total_read:,} | {total_linked:,} | {total_quarantined:,} |")
    verdict = "every record accounted for" if summary.balanced else "**RECORDS UNACCOUNTED FOR**"
    lines += [
        "",
        f"Check: read {total_read:,} = linked {total_linked:,} + quarantined {total_quarantined:,}: "
        f"{verdict}.",
        "",
        "## Persons",
        "",
        "| | |",
        "|---|--:|",
        f"| persons before the run | {summary.persons_before:,} |",
        f"| persons after the run | {summary.persons:,} |",
        f"| new persons (registry ids given out) | {summary.ids_appeared:,} |",
        f"| registry ids gone (merged into another person, or no record held) "
        f"| {summary.ids_disappeared:,} |",
        "",
        "## Stages",
        "",
        "| stage | seconds |",
        "|---|--:|",
    ]
    lines += [f"| {stage} | {seconds:.1f} |" for stage, seconds in summary.stage_seconds.items()]
    if summary.match_seconds:
        detail = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in summary.match_seconds.items())
        lines += ["", f"Within match: {detail}."]
    lines += ["", "## Run", ""]
    lines.append(f"- report: [{Path(summary.report).name}]({_file_url(summary.report)})")
    refreshed = ", ".join(summary.refreshed) or "none"
    lines.append(f"- sources read: {refreshed}")
    if summary.held:
        lines.append(f"- sources carried over from the registry: {', '.join(summary.held)}")
    full = "yes" if summary.full else "no"
    lines.append(f"- full rebuild requested: {full} (otherwise incremental once the registry holds persons)")
    if summary.match_threshold is not None:
        lines.append(f"- match weight threshold: {summary.match_threshold:g}")
    if summary.settings_hash:
        lines.append(f"- match settings hash: `{summary.settings_hash}`")
    return "\n".join(lines) + "\n"


def _file_url(path: str) -> str:
    try:
        return Path(path).resolve().as_uri()
    except ValueError:
        return path
