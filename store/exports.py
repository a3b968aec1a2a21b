"""Reading the registry back out: links, quarantine, persons (CSV exports and frames)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from store.models import QuarantineEntry, SourceRecord

__all__ = ["export_links", "export_quarantine", "read_links", "read_quarantine"]


def read_links(engine: sa.Engine) -> pd.DataFrame:
    """``source, record_id, registry_id`` for every live source record the registry holds (records
    deleted from their source stay in the registry as tombstones but are not listed)."""
    statement = (
        sa.select(SourceRecord.source, SourceRecord.record_id, SourceRecord.registry_id)
        .where(SourceRecord.deleted_at.is_(None))
        .order_by(SourceRecord.source, SourceRecord.record_id)
    )
    with engine.connect() as connection:
        return pd.read_sql(statement, connection, dtype=str)


def read_quarantine(engine: sa.Engine) -> pd.DataFrame:
    """``source, record_id, reason`` for every source row in quarantine."""
    statement = sa.select(QuarantineEntry.source, QuarantineEntry.record_id, QuarantineEntry.reason).order_by(
        QuarantineEntry.source, QuarantineEntry.id
    )
    with engine.connect() as connection:
        return pd.read_sql(statement, connection, dtype=str)


def export_links(engine: sa.Engine, out: str | Path) -> int:
    """Write ``source,record_id,registry_id`` to ``out``; returns the number of rows written."""
    links = read_links(engine)
    links.to_csv(out, index=False)
    return len(links)


def export_quarantine(engine: sa.Engine, out: str | Path) -> int:
    """Write ``source,record_id,reason`` to ``out``; returns the number of rows written."""
    quarantine = read_quarantine(engine)
    quarantine.to_csv(out, index=False)
    return len(quarantine)
