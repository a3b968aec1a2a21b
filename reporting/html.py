"""Render a run's report as one self-contained HTML file (inline CSS and SVG, no scripts)."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["ReportInputs", "write_report"]


@dataclass(frozen=True)
class ReportInputs:
    """What the report shows. Frames carry ids and counts only; no names, NIKs or phones."""

    run_id: str
    started_at: str
    database: str
    counts: dict[str, dict[str, int]]  # {"read": {source: n}, "linked": {...}, "quarantined": {...}}
    persons: int
    new_persons: int
    quarantine_reasons: pd.DataFrame  # source, reason, records
    expectations: pd.DataFrame  # source, expectation, column, critical, success, unexpected, checked
    overlap: pd.DataFrame  # in_health, in_employment, in_city, persons
    pair_weights: np.ndarray  # match weight of every scored candidate pair
    match_threshold: float | None = None
    review_threshold: float | None = None
    pair_counts: dict[str, int] = field(default_factory=dict)


def write_report(inputs: ReportInputs, report_dir: str | Path) -> Path:
    """Write ``run-<run_id>.html`` (and ``latest.html``) into ``report_dir``; returns the run's file."""
    folder = Path(report_dir)
    folder.mkdir(parents=True, exist_ok=True)
    page = _page(inputs)
    path = folder / f"run-{inputs.run_id}.html"
    path.write_text(page, encoding="utf-8")
    (folder / "latest.html").write_text(page, encoding="utf-8")
    return path


_STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem;color:#1d2733;max-width:72rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d5dbe1}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.25rem .75rem;border:1px solid #d5dbe1}
th{background:#f1f4f7;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#1a7f37}.bad{color:#b42318;font-weight:600}.muted{color:#5c6b7a}
"""


def _page(inputs: ReportInputs) -> str:
    sections = [
        f"<h1>Unified Registry — run {_e(inputs.run_id)}</h1>",
        f"<p class='muted'>Started {_e(inputs.started_at)} · registry {_e(inputs.database)}</p>",
        _summary(inputs),
        "<h2>Records per source</h2>",
        _counts_table(inputs.counts),
        "<h2>Quarantine by reason</h2>",
        _table(inputs.quarantine_reasons, numeric={"records"}, empty="Nothing was quarantined."),
        "<h2>Data-quality expectations</h2>",
        _table(inputs.expectations, numeric={"unexpected", "checked"}, empty="No expectations ran."),
        "<h2>Who is covered by what</h2>",
        _overlap(inputs.overlap),
        "<h2>Match weights</h2>",
        _histogram(inputs.pair_weights, inputs.match_threshold, inputs.review_threshold),
        _pair_counts(inputs.pair_counts),
    ]
    body = "\n".join(sections)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Registry run {_e(inputs.run_id)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def _e(value: object) -> str:
    return html.escape(str(value))


def _summary(inputs: ReportInputs) -> str:
    read = sum(inputs.counts.get("read", {}).values())
    linked = sum(inputs.counts.get("linked", {}).values())
    quarantined = sum(inputs.counts.get("quarantined", {}).values())
    balanced = read == linked + quarantined
    verdict = (
        "<span class='ok'>every record accounted for</span>"
        if balanced
        else "<span class='bad'>records unaccounted for</span>"
    )
    return (
        f"<p><b>{inputs.persons:,}</b> registry persons ({inputs.new_persons:,} new) from "
        f"<b>{read:,}</b> source records: {linked:,} linked, {quarantined:,} quarantined — {verdict}.</p>"
    )


def _counts_table(counts: dict[str, dict[str, int]]) -> str:
    sources = list(counts.get("read", {}))
    frame = pd.DataFrame(
        {
            "source": sources,
            "read": [counts["read"][s] for s in sources],
            "linked": [counts.get("linked", {}).get(s, 0) for s in sources],
            "quarantined": [counts.get("quarantined", {}).get(s, 0) for s in sources],
        }
    )
    return _table(frame, numeric={"read", "linked", "quarantined"}, empty="No sources were read.")


def _overlap(overlap: pd.DataFrame) -> str:
    if overlap.empty:
        return "<p>No persons in the registry.</p>"
    labels = []
    for row in overlap.itertuples(index=False):
        held = [name for name, flag in (("health", row.in_health), ("employment", row.in_employment),
                                        ("city", row.in_city)) if flag]  # fmt: skip
        labels.append(" + ".join(held) if held else "none")
    frame = pd.DataFrame({"programmes": labels, "persons": overlap["persons"].to_numpy()})
    frame = frame.sort_values("persons", ascending=False)
    total = max(int(frame["persons"].sum()), 1)
    rows = "".join(
        f"<tr><td>{_e(label)}</td><td class='n'>{count:,}</td>"
        f"<td><svg width='300' height='14'><rect width='{300 * count / total:.1f}' height='14' "
        f"fill='#2f6fb0'/></svg></td></tr>"
        for label, count in zip(frame["programmes"], frame["persons"], strict=True)
    )
    return f"<table><tr><th>held by</th><th>persons</th><th></th></tr>{rows}</table>"


def _histogram(weights: np.ndarray, match: float | None, review: float | None) -> str:
    weights = np.asarray(weights, dtype=float)
    weights = weights[np.isfinite(weights)]
    if weights.size == 0:
        return "<p>No candidate pairs were scored.</p>"
    low, high = float(np.floor(weights.min())), float(np.ceil(weights.max()))
    if high <= low:
        high = low + 1
    counts, edges = np.histogram(weights, bins=60, range=(low, high))
    width, height = 720, 200
    scale = np.log1p(counts) / max(np.log1p(counts).max(), 1e-9)
    bar = width / len(counts)
    bars = "".join(
        f"<rect x='{i * bar:.1f}' y='{height - h * height:.1f}' width='{bar - 1:.1f}' "
        f"height='{h * height:.1f}' fill='#6b8fb5'><title>{c:,} pairs</title></rect>"
        for i, (h, c) in enumerate(zip(scale, counts, strict=True))
    )
    marks = ""
    for value, colour, label in ((review, "#c77c02", "review"), (match, "#b42318", "match")):
        if value is not None and low <= value <= high:
            x = (value - low) / (high - low) * width
            marks += (
                f"<line x1='{x:.1f}' x2='{x:.1f}' y1='0' y2='{height}' stroke='{colour}' "
                f"stroke-width='2'/><text x='{x + 4:.1f}' y='14' fill='{colour}' "
                f"font-size='12'>{label} ≥ {value:g}</text>"
            )
    return (
        f"<svg width='{width}' height='{height + 20}' role='img' aria-label='match weight histogram'>"
        f"{bars}{marks}<text x='0' y='{height + 16}' font-size='12'>{low:g}</text>"
        f"<text x='{width - 30}' y='{height + 16}' font-size='12'>{high:g}</text></svg>"
        "<p class='muted'>Candidate pairs by match weight (log2 Bayes factor), log-scaled bars.</p>"
    )


def _pair_counts(pair_counts: dict[str, int]) -> str:
    if not pair_counts:
        return ""
    frame = pd.DataFrame({"pairs": list(pair_counts), "count": list(pair_counts.values())})
    return _table(frame, numeric={"count"}, empty="")


def _table(frame: pd.DataFrame, *, numeric: set[str], empty: str) -> str:
    if frame.empty:
        return f"<p>{_e(empty)}</p>"
    head = "".join(f"<th>{_e(column)}</th>" for column in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row, strict=True):
            if column in numeric:
                cells.append(f"<td class='n'>{int(value):,}</td>")
            elif isinstance(value, bool | np.bool_):
                cells.append(f"<td class='{'ok' if value else 'bad'}'>{'yes' if value else 'no'}</td>")
            else:
                cells.append(f"<td>{_e(value)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"
