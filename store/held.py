"""Reading back what the registry holds of some sources, so that a partial run can carry them over.

A run that refreshes only some sources (``registry run --only ...``) still rebuilds the registry's
content in one transaction. The sources it does not refresh come from here: their records as the
canonical frame the connector made when they were read (every raw field is kept on
``source_records``), and their rows in quarantine. They go through standardise and match again with
the refreshed sources and are published unchanged, so their counts reconcile as well.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import sqlalchemy as sa

from connectors.batch import REJECTED_COLUMNS
from connectors.schema import CANONICAL_COLUMNS
from store.models import RAW_FIELDS, Person, QuarantineEntry, SourceRecord

__all__ = ["count_persons", "read_held_quarantine", "read_held_records"]


def read_held_records(engine: sa.Engine, sources: Iterable[str]) -> pd.DataFrame:
    """The held records of ``sources`` as one canonical frame (``connectors.schema.CANONICAL_COLUMNS``).

    Rows come in source order, then in the order the source had them (``source_row``), which is the
    order in which the connector handed them on: the matching sees the same frame as on a full run.
    """
    names = sorted(set(sources))
    columns = [SourceRecord.source, SourceRecord.source_row, SourceRecord.record_id]
    columns += [getattr(SourceRecord, name) for name in RAW_FIELDS]
    statement = (
        sa.select(*columns)
        .where(SourceRecord.source.in_(names), SourceRecord.deleted_at.is_(None))
        .order_by(SourceRecord.source, SourceRecord.source_row, SourceRecord.record_id)
    )
    with engine.connect() as connection:
        frame = pd.read_sql(statement, connection, dtype=object)
    frame["source_row"] = frame["source_row"].astype("int64")
    text = [column for column in frame.columns if column != "source_row"]
    frame[text] = frame[text].astype(object).where(frame[text].notna(), None)
    return frame.loc[:, list(CANONICAL_COLUMNS)]


def read_held_quarantine(engine: sa.Engine, sources: Iterable[str]) -> pd.DataFrame:
    """The quarantine rows of ``sources`` (``source, record_id, source_row, reason``), as they stand."""
    names = sorted(set(sources))
    statement = (
        sa.select(*(getattr(QuarantineEntry, column) for column in REJECTED_COLUMNS))
        .where(QuarantineEntry.source.in_(names))
        .order_by(QuarantineEntry.source, QuarantineEntry.id)
    )
    with engine.connect() as connection:
        frame = pd.read_sql(statement, connection, dtype=object)
    return frame.astype(object).where(frame.notna(), None).loc[:, list(REJECTED_COLUMNS)]


def count_persons(engine: sa.Engine) -> int:
    """How many persons the registry holds now."""
    with engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(Person)).scalar_one())
