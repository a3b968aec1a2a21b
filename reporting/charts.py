"""Inline SVG charts for the report (no scripts, no fonts or files from the internet)."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

__all__ = ["upset_chart", "waterfall_chart"]

_PROGRAMMES = (("in_health", "health"), ("in_employment", "employment"), ("in_city", "city"))


def _e(value: object) -> str:
    return html.escape(str(value))


def upset_chart(overlap: pd.DataFrame) -> str:
    """An UpSet-style chart: one column per combination of programmes (bar = persons, dots = which)."""
    if overlap.empty:
        return ""
    frame = overlap.sort_values("persons", ascending=False).reset_index(drop=True)
    column, bar_height, label_width, dot_row = 64, 160, 110, 22
    width = label_width + column * len(frame)
    height = bar_height + 30 + dot_row * len(_PROGRAMMES)
    top = max(int(frame["persons"].max()), 1)
    parts = []
    for i, row in frame.iterrows():
        x = label_width + i * column
        h = bar_height * int(row["persons"]) / top
        parts.append(
            f"<rect x='{x + 14}' y='{bar_height - h + 16:.1f}' width='{column - 28}' height='{h:.1f}' "
            f"fill='#2f6fb0'><title>{int(row['persons']):,} persons</title></rect>"
            f"<text x='{x + column / 2}' y='{bar_height - h + 12:.1f}' font-size='11' "
            f"text-anchor='middle'>{int(row['persons']):,}</text>"
        )
        held = [k for k, (flag, _) in enumerate(_PROGRAMMES) if bool(row[flag])]
        for k in range(len(_PROGRAMMES)):
            y = bar_height + 34 + k * dot_row
            fill = "#1d2733" if k in held else "#d5dbe1"
            parts.append(f"<circle cx='{x + column / 2}' cy='{y}' r='6' fill='{fill}'/>")
        if len(held) > 1:
            y0, y1 = bar_height + 34 + held[0] * dot_row, bar_height + 34 + held[-1] * dot_row
            parts.append(
                f"<line x1='{x + column / 2}' x2='{x + column / 2}' y1='{y0}' y2='{y1}' "
                "stroke='#1d2733' stroke-width='2'/>"
            )
    for k, (_, name) in enumerate(_PROGRAMMES):
        y = bar_height + 38 + k * dot_row
        parts.append(f"<text x='0' y='{y}' font-size='12'>{_e(name)}</text>")
    return (
        f"<svg width='{width}' height='{height}' role='img' aria-label='persons per combination of "
        f"programmes'>{''.join(parts)}</svg>"
    )


def waterfall_chart(prior: float, contributions: dict[str, float], total: float) -> str:
    """A waterfall of one pair's match weight: the prior, each comparison's contribution, the total."""
    steps = [(name, float(value)) for name, value in contributions.items() if np.isfinite(value)]
    running = [prior]
    for _, value in steps:
        running.append(running[-1] + value)
    low = min(0.0, *running, total)
    high = max(0.0, *running, total)
    if high <= low:
        high = low + 1
    row, label_width, width = 18, 120, 260
    scale = width / (high - low)

    def x(value: float) -> float:
        return label_width + (value - low) * scale

    bars = [("prior", 0.0, prior, "#8a97a5")]
    level = prior
    for name, value in steps:
        bars.append((name, level, level + value, "#1a7f37" if value >= 0 else "#b42318"))
        level += value
    bars.append(("weight", 0.0, total, "#2f6fb0"))
    parts = [
        f"<line x1='{x(0):.1f}' x2='{x(0):.1f}' y1='0' y2='{row * len(bars)}' stroke='#5c6b7a' "
        "stroke-dasharray='2,2'/>"
    ]
    for i, (name, start, end, colour) in enumerate(bars):
        left, right = sorted((x(start), x(end)))
        y = i * row
        parts.append(
            f"<text x='0' y='{y + 13}' font-size='11'>{_e(name)}</text>"
            f"<rect x='{left:.1f}' y='{y + 3}' width='{max(right - left, 1):.1f}' height='{row - 6}' "
            f"fill='{colour}'><title>{_e(name)}: {end - start:+.2f}</title></rect>"
            f"<text x='{label_width + width + 6}' y='{y + 13}' font-size='11'>{end - start:+.2f}</text>"
        )
    return (
        f"<svg width='{label_width + width + 50}' height='{row * len(bars)}' role='img' "
        f"aria-label='match weight waterfall'>{''.join(parts)}</svg>"
    )
