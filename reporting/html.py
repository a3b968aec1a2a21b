"""Render a run's report as one self-contained HTML file (inline CSS and SVG, no scripts).

With ``registry_url`` the page also reads the published registry (``reporting.registry_view``): the
review queue with each field's contribution to the weight, the largest persons, what changed since the
last run and the coverage gap. Names are shown (it is the stewards' page); NIKs and phones are masked
unless ``write_report(..., unmasked=True)``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from reporting.charts import upset_chart, waterfall_chart
from reporting.masking import mask_digits
from reporting.registry_view import RegistryView, read_registry_view

__all__ = ["ReportInputs", "data_docs_dir", "write_report"]


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
    #: review-band pairs with each comparison's contribution (``registry_view.review_contributions``)
    review_pairs: pd.DataFrame | None = None
    #: the registry to read the queue, persons and gap from (never shown; the page shows ``database``)
    registry_url: str | None = None
    #: GX Data Docs per source: source -> path of its index.html relative to the report's folder
    data_docs: dict[str, str] = field(default_factory=dict)


def data_docs_dir(report_dir: str | Path, run_id: str, source: str) -> Path:
    """Where a run's GX Data Docs for ``source`` go: ``<report_dir>/data-docs/<run_id>/<source>/``."""
    return Path(report_dir) / "data-docs" / run_id / source


def _found_data_docs(folder: Path, run_id: str) -> dict[str, str]:
    runs = folder / "data-docs" / run_id
    if not runs.is_dir():
        return {}
    return {
        index.parent.name: index.relative_to(folder).as_posix() for index in sorted(runs.glob("*/index.html"))
    }


def write_report(inputs: ReportInputs, report_dir: str | Path, *, unmasked: bool = False) -> Path:
    """Write ``run-<run_id>.html`` (and ``latest.html``) into ``report_dir``; returns the run's file."""
    folder = Path(report_dir)
    folder.mkdir(parents=True, exist_ok=True)
    view = _registry_view(inputs)
    if not inputs.data_docs:
        inputs = replace(inputs, data_docs=_found_data_docs(folder, inputs.run_id))
    page = _page(inputs, view, unmasked=unmasked)
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
.pair{border:1px solid #d5dbe1;padding:.5rem 1rem;margin:1rem 0;display:flex;gap:1.5rem;flex-wrap:wrap}
.pair{align-items:flex-start}
.pair h3{font-size:1rem;margin:.25rem 0;width:100%}td.same{background:#eaf5ec}td.diff{background:#fdf0ee}
"""


def _registry_view(inputs: ReportInputs) -> RegistryView | None:
    if not inputs.registry_url:
        return None
    from connectors.errors import RegistryError
    from store import open_registry

    try:
        engine = open_registry(inputs.registry_url, create=False)
    except RegistryError:
        return RegistryView(error="the registry could not be opened")
    try:
        return read_registry_view(engine, inputs.run_id)
    finally:
        engine.dispose()


def _page(inputs: ReportInputs, view: RegistryView | None = None, *, unmasked: bool = False) -> str:
    failed = int((~inputs.expectations["success"].astype(bool)).sum()) if len(inputs.expectations) else 0
    sections: list[str] = [
        f"<h1>Unified Registry — run {_e(inputs.run_id)}</h1>",
        f"<p class='muted'>Started {_e(inputs.started_at)} · registry {_e(inputs.database)}</p>",
        _summary(inputs),
        "<h2>Records per source</h2>",
        _counts_table(inputs.counts),
        "<h2>Quarantine by reason</h2>",
        _table(inputs.quarantine_reasons, numeric={"records"}, empty="Nothing was quarantined."),
        *(_queue_section(inputs, view, unmasked=unmasked) if view is not None else []),
        "<h2>Who is covered by what</h2>",
        upset_chart(inputs.overlap),
        _overlap(inputs.overlap),
        "<h2>Match weights</h2>",
        _histogram(inputs.pair_weights, inputs.match_threshold, inputs.review_threshold),
        _pair_counts(inputs.pair_counts),
        *(_registry_sections(view) if view is not None else []),
        "<h2>Data-quality expectations</h2>",
        _data_docs(inputs.data_docs),
        f"<details{' open' if failed else ''}><summary>{len(inputs.expectations):,} expectation results, "
        f"{failed:,} not met</summary>",
        _table(inputs.expectations, numeric={"unexpected", "checked"}, empty="No expectations ran."),
        "</details>",
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
                f"stroke-width='2'/><text x='{x + 4:.1f}' y='{14 if label == 'match' else 30}' "
                f"fill='{colour}' "
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


_QUEUE_FIELDS = ("full_name", "nik", "birth_date", "sex", "phone", "kelurahan", "kecamatan", "occupation")


def _data_docs(data_docs: dict[str, str]) -> str:
    if not data_docs:
        return ""
    links = " · ".join(f"<a href='{_e(path)}'>{_e(source)}</a>" for source, path in sorted(data_docs.items()))
    return f"<p>Great Expectations Data Docs (ids and counts only): {links}</p>"


def _queue_section(inputs: ReportInputs, view: RegistryView, *, unmasked: bool) -> list[str]:
    if view.error:
        return ["<h2>Review queue</h2>", f"<p class='bad'>{_e(view.error)}</p>"]
    note = (
        "<p class='muted'>Dry run: the queue, persons and gap below are the registry as it stands, not what "
        "this run would publish.</p>"
        if "dry run" in inputs.database
        else ""
    )
    return ["<h2>Review queue</h2>", note, _queue(view, inputs.review_pairs, unmasked=unmasked)]


def _registry_sections(view: RegistryView) -> list[str]:
    if view.error:
        return []
    return [
        "<h2>Largest persons</h2>",
        _table(view.largest, numeric={"records"}, empty="No persons in the registry."),
        "<h2>What changed since the last run</h2>",
        _changes(view.changes),
        "<h2>Coverage gap: workers without active employment insurance</h2>",
        _gap(view),
    ]


def _queue(view: RegistryView, contributions: pd.DataFrame | None, *, unmasked: bool) -> str:
    parts = [
        f"<p><b>{view.queue_size:,}</b> pairs wait for a steward ({view.decisions:,} decisions stored, "
        f"{len(view.stale_decisions):,} of them stale: a record changed since). Decide with "
        "<code>registry review decide PAIR_ID --match|--non-match --db URL</code>; list them with "
        "<code>registry review list</code>. NIKs and phones are masked.</p>"
    ]
    if view.queue.empty:
        parts.append("<p>Nothing to review.</p>")
        return "".join(parts)
    lookup = {}
    if contributions is not None and len(contributions):
        lookup = {_pair_key(row): row for _, row in contributions.iterrows()}
    for _, pair in view.queue.iterrows():
        parts.append(_pair_card(pair, lookup.get(_pair_key(pair)), unmasked=unmasked))
    if view.queue_size > len(view.queue):
        parts.append(f"<p class='muted'>… and {view.queue_size - len(view.queue):,} more pairs.</p>")
    return "".join(parts)


def _pair_key(row: pd.Series) -> tuple[tuple[str, str], ...]:
    """The pair's two (source, record_id) in a fixed order, whichever side each record is on."""
    sides = ((str(row["source_l"]), str(row["record_id_l"])), (str(row["source_r"]), str(row["record_id_r"])))
    return tuple(sorted(sides))


def _pair_card(pair: pd.Series, contribution: pd.Series | None, *, unmasked: bool) -> str:
    rows = []
    for name in _QUEUE_FIELDS:
        left, right = pair.get(f"{name}_l"), pair.get(f"{name}_r")
        if not unmasked and name in ("nik", "phone"):
            left, right = mask_digits(left), mask_digits(right)
        left, right = ("" if v is None or v != v else str(v) for v in (left, right))
        # agreement on the standardised values when the queue has them (formats differ by agency)
        compared = [pair.get(f"{name}_cmp_{side}") for side in ("l", "r")]
        if any(isinstance(value, str) for value in compared):
            cmp_l, cmp_r = ("" if v is None or v != v else str(v) for v in compared)
        else:
            cmp_l, cmp_r = left.upper(), right.upper()
        same = "same" if cmp_l and cmp_l == cmp_r else "diff" if cmp_l and cmp_r else ""
        rows.append(
            f"<tr><th>{_e(name)}</th><td class='{same}'>{_e(left)}</td>"
            f"<td class='{same}'>{_e(right)}</td></tr>"
        )
    status = ""
    if isinstance(pair.get("decision"), str):
        status = f" — decided <b>{_e(pair['decision'])}</b>" + (
            " <span class='bad'>STALE: a record changed since</span>" if bool(pair.get("stale")) else ""
        )
    table = (
        f"<table><tr><th></th><th>{_e(pair['source_l'])} {_e(pair['record_id_l'])}</th>"
        f"<th>{_e(pair['source_r'])} {_e(pair['record_id_r'])}</th></tr>{''.join(rows)}</table>"
    )
    chart = "<p class='muted'>No weight breakdown for this pair in this run.</p>"
    if contribution is not None:
        parts = {
            column.removesuffix("_weight"): float(contribution[column])
            for column in contribution.index
            if column.endswith("_weight") and column != "weight"
        }
        total = float(contribution["weight"])
        chart = waterfall_chart(total - sum(v for v in parts.values() if np.isfinite(v)), parts, total)
    return (
        f"<div class='pair'><h3>pair {int(pair['pair_id'])} · weight {float(pair['weight']):.2f}{status}</h3>"
        f"{table}<div>{chart}</div></div>"
    )


def _changes(changes: dict[str, int]) -> str:
    if not changes:
        return "<p>No earlier run to compare with.</p>"
    frame = pd.DataFrame({"": list(changes), "count": list(changes.values())})
    return _table(frame, numeric={"count"}, empty="") + (
        "<p class='muted'>Merges and splits are counted from the registry's entity history where it keeps "
        "one; otherwise ids gone = persons at the last run + new persons − persons now.</p>"
    )


def _gap(view: RegistryView) -> str:
    totals = view.gap_totals
    head = (
        f"<p><b>{totals.get('workers', 0):,}</b> working people hold no active BPJS Ketenagakerjaan "
        f"membership; <b>{totals.get('informal', 0):,}</b> of them in informal or gig work (BPU: ojek "
        f"online, couriers, traders, freelancers …), {totals.get('lapsed', 0):,} with a lapsed membership. "
        "The list for registration drives: <code>registry export-outreach --db URL --out FILE.csv</code>.</p>"
    )
    if view.gap.empty:
        return head
    by_area = view.gap_kecamatan
    top = max(int(by_area["workers"].max()), 1)
    bars = "".join(
        f"<tr><td>{_e(row.kecamatan)}</td><td class='n'>{int(row.workers):,}</td>"
        f"<td class='n'>{int(row.informal):,}</td><td><svg width='300' height='14'>"
        f"<rect width='{300 * row.workers / top:.1f}' height='14' fill='#d5dbe1'/>"
        f"<rect width='{300 * row.informal / top:.1f}' height='14' fill='#c77c02'/></svg></td></tr>"
        for row in by_area.itertuples(index=False)
    )
    chart = f"<table><tr><th>kecamatan</th><th>workers</th><th>informal</th><th></th></tr>{bars}</table>"
    detail = _table(view.gap, numeric={"workers", "informal", "lapsed"}, empty="")
    return f"{head}{chart}<p>By kecamatan and occupation (largest first):</p>{detail}"
