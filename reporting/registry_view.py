"""What the report reads from the registry after publishing: the review queue with its decisions, the
largest persons, what changed since the last run, and the coverage gap.

Kept apart from the page itself (``reporting.html``) so that the page renders from frames alone.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sqlalchemy as sa

from reporting.coverage import count_gap_candidates, gap_by_area, gap_by_kecamatan, gap_totals, in_gap
from store.models import Person, Run, SourceRecord
from store.reviews import read_decisions, review_queue_page

__all__ = ["RegistryView", "read_registry_view", "review_contributions"]

log = logging.getLogger(__name__)

#: Review pairs whose weight contributions travel with the run into the report (highest weight first).
QUEUE_SHOWN = 100
_KEY = ["source_l", "record_id_l", "source_r", "record_id_r"]


@dataclass(frozen=True)
class RegistryView:
    """The registry as the report shows it (raw values; the page masks NIKs and phones)."""

    queue: pd.DataFrame = field(default_factory=pd.DataFrame)
    queue_size: int = 0
    stale_decisions: pd.DataFrame = field(default_factory=pd.DataFrame)
    decisions: int = 0
    largest: pd.DataFrame = field(default_factory=pd.DataFrame)
    changes: dict[str, int] = field(default_factory=dict)
    gap: pd.DataFrame = field(default_factory=pd.DataFrame)
    gap_totals: dict[str, int] = field(default_factory=dict)
    gap_kecamatan: pd.DataFrame = field(default_factory=pd.DataFrame)
    error: str | None = None


def review_contributions(
    records: pd.DataFrame, pairs: pd.DataFrame, limit: int = QUEUE_SHOWN
) -> pd.DataFrame:
    """The run's review-band pairs keyed by (source, record_id) in the stored order, with ``weight`` and
    each comparison's contribution (``<comparison>_weight``): what the report's waterfalls draw.

    ``records``: the run's standardised frame (positional); ``pairs``: ``LinkageResult.pairs``.
    """
    review = pairs[pairs["decision"].astype(str) == "review"].nlargest(limit, "weight")
    contribution_columns = [c for c in review.columns if c.endswith("_weight") and c != "weight"]
    left = records.iloc[review["left"].to_numpy()]
    right = records.iloc[review["right"].to_numpy()]
    keys = [
        (*sorted([(a, b), (c, d)])[0], *sorted([(a, b), (c, d)])[1])
        for a, b, c, d in zip(
            left["source"].astype(str), left["record_id"].astype(str),
            right["source"].astype(str), right["record_id"].astype(str), strict=True,
        )
    ]  # fmt: skip
    frame = pd.DataFrame(keys, columns=_KEY) if keys else pd.DataFrame(columns=_KEY)
    frame["weight"] = review["weight"].to_numpy(dtype=float)
    for column in contribution_columns:
        frame[column] = review[column].to_numpy(dtype=float)
    return frame


def read_registry_view(engine: sa.Engine, run_id: str, *, queue_limit: int = 10) -> RegistryView:
    """Read the report's registry sections; a failure is reported on the page, not raised."""
    try:
        return _read(engine, run_id, queue_limit)
    except sa.exc.SQLAlchemyError as error:
        log.warning("the report could not read the registry: %s", type(error).__name__)
        return RegistryView(error=f"the registry could not be read ({type(error).__name__})")


def _read(engine: sa.Engine, run_id: str, queue_limit: int) -> RegistryView:
    decisions = read_decisions(engine)
    # one connection: on SQLite the gap's read of every person leaves them in its page cache for _largest
    with engine.connect() as connection:
        candidates = count_gap_candidates(connection)
        largest = _largest(connection, top=10)
        queue, queue_size = review_queue_page(connection, decisions, limit=queue_limit)
        runs = pd.read_sql(
            sa.select(Run.run_id, Run.counts).order_by(Run.started_at.desc()).limit(2), connection
        )
        history = _history(connection, run_id)
    gap = in_gap(candidates) if len(candidates) else pd.DataFrame()
    return RegistryView(
        queue=queue,
        queue_size=queue_size,
        stale_decisions=decisions[decisions["stale"].astype(bool)] if len(decisions) else decisions,
        decisions=len(decisions),
        largest=largest,
        changes=_changes(runs, run_id, history),
        gap=gap_by_area(gap, top=25),
        gap_kecamatan=gap_by_kecamatan(gap),
        gap_totals=gap_totals(gap),
    )


def _largest(connection: sa.Connection, *, top: int) -> pd.DataFrame:
    """The ``top`` persons with the most live records: ``registry_id, records, sources, full_name``
    (read from the top of ``ix_persons_record_count``)."""
    # a person's record_count is the number of its live records (its golden record is built from them)
    biggest = pd.read_sql(
        sa.select(Person.registry_id, Person.record_count.label("records"), Person.full_name)
        .order_by(Person.record_count.desc(), Person.registry_id)
        .limit(top),
        connection,
    )
    if biggest.empty:
        return pd.DataFrame(columns=["registry_id", "records", "sources", "full_name"])
    ids = biggest["registry_id"].tolist()
    per_source = pd.read_sql(
        sa.select(SourceRecord.registry_id, SourceRecord.source, sa.func.count().label("n"))
        .where(SourceRecord.deleted_at.is_(None), SourceRecord.registry_id.in_(ids))
        .group_by(SourceRecord.registry_id, SourceRecord.source)
        .order_by(SourceRecord.registry_id, SourceRecord.source),
        connection,
    )
    label = per_source["source"] + " " + per_source["n"].astype(int).astype(str)
    sources = label.groupby(per_source["registry_id"], sort=False).agg(", ".join)
    return pd.DataFrame(
        {
            "registry_id": ids,
            "records": biggest["records"].astype(int).to_numpy(),
            "sources": sources.reindex(ids).fillna("").to_numpy(),
            "full_name": biggest["full_name"].to_numpy(),
        }
    )


def _history(connection: sa.Connection, run_id: str) -> dict[str, int]:
    """Counts per kind of the registry's entity history for this run, when the registry keeps one."""
    if not sa.inspect(connection).has_table("entity_history"):
        return {}
    rows = connection.execute(
        sa.text("SELECT kind, COUNT(*) FROM entity_history WHERE run_id = :run GROUP BY kind"),
        {"run": run_id},
    )
    return {str(kind): int(count) for kind, count in rows}


def _changes(runs: pd.DataFrame, run_id: str, history: dict[str, int]) -> dict[str, int]:
    counts = [json.loads(text or "{}") for text in runs["counts"]]
    current = counts[0] if len(runs) and runs["run_id"].iloc[0] == run_id else {}
    previous = counts[1] if current and len(counts) > 1 else (counts[0] if counts and not current else {})
    changes: dict[str, int] = {}
    if previous:
        changes["persons at the last run"] = int(previous.get("persons", 0))
    if current:
        changes["persons now"] = int(current.get("persons", 0))
        changes["new persons"] = int(current.get("new_persons", 0))
        if previous:
            gone = changes["persons at the last run"] + changes["new persons"] - changes["persons now"]
            changes["registry ids gone (merged or no records left)"] = int(np.maximum(gone, 0))
    for kind, count in sorted(history.items()):
        changes[f"history: {kind}"] = count
    return changes
