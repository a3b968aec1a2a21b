"""Publishing a run: the registry's new state lands in one transaction, or not at all.

Before committing, the counts are reconciled inside the transaction: for every source, the records
read equal the records now held plus the rows in quarantine. If not, nothing is written.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa

from connectors.errors import RegistryError
from store.golden import build_persons
from store.ids import assign_registry_ids
from store.models import (
    RAW_FIELDS,
    STANDARD_FIELDS,
    MatchPair,
    Person,
    QuarantineEntry,
    RegistryMeta,
    Run,
    SourceRecord,
)

__all__ = ["ConservationError", "PublishSummary", "RunOutcome", "content_hashes", "publish_run"]

log = logging.getLogger(__name__)

_BATCH = 20_000
_NEXT_ID_KEY = "next_registry_number"


class ConservationError(RegistryError):
    """Records read do not equal records linked plus records quarantined: nothing was published."""


@dataclass(frozen=True)
class RunOutcome:
    """Everything a run decided, ready to publish.

    ``records``: standardised records with ``cluster`` (person label within this run).
    ``quarantine``: ``source, record_id, source_row, reason``.
    ``pairs``: ``source_l, record_id_l, source_r, record_id_r, weight, probability, decision``.
    ``rows_read``: rows read per source (records + rejected rows).
    """

    run_id: str
    started_at: datetime
    config_path: str
    programmes: dict[str, str]
    rows_read: dict[str, int]
    records: pd.DataFrame
    quarantine: pd.DataFrame
    pairs: pd.DataFrame
    settings_hash: str | None = None
    parameters: dict[str, object] = field(default_factory=dict)
    extra_counts: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class PublishSummary:
    """What the run left in the registry, per source and in total."""

    run_id: str
    read: dict[str, int]
    linked: dict[str, int]
    quarantined: dict[str, int]
    persons: int
    new_persons: int

    @property
    def balanced(self) -> bool:
        return all(self.read[s] == self.linked.get(s, 0) + self.quarantined.get(s, 0) for s in self.read)

    def as_dict(self) -> dict[str, object]:
        return {
            "read": self.read,
            "linked": self.linked,
            "quarantined": self.quarantined,
            "persons": self.persons,
            "new_persons": self.new_persons,
        }


def content_hashes(records: pd.DataFrame) -> np.ndarray:
    """A 16-hex-digit hash of each record's raw fields: equal content, equal hash."""
    values = pd.util.hash_pandas_object(records.loc[:, list(RAW_FIELDS)], index=False).to_numpy()
    return np.char.mod("%016x", values.astype(np.uint64)).astype(object)


def publish_run(engine: sa.Engine, outcome: RunOutcome, *, dry_run: bool = False) -> PublishSummary:
    """Replace the registry's content with the run's outcome, in one transaction.

    ``dry_run=True`` does all of it, reconciliation included, then rolls the transaction back: the
    summary says what the run would have changed and the registry is left as it was.
    """
    records = outcome.records.reset_index(drop=True)
    with engine.connect() as connection, connection.begin() as transaction:
        previous = pd.read_sql(
            sa.select(SourceRecord.source, SourceRecord.record_id, SourceRecord.registry_id), connection
        )
        next_number = _next_number(connection)
        keyed = records[["source", "record_id"]].merge(previous, on=["source", "record_id"], how="left")
        registry_ids, next_number = assign_registry_ids(
            records["cluster"].to_numpy(), keyed["registry_id"], next_number
        )
        records = records.assign(registry_id=registry_ids, content_hash=content_hashes(records))
        persons = build_persons(records, outcome.programmes, outcome.run_id)
        new_persons = int((~persons["registry_id"].isin(previous["registry_id"])).sum())

        for table in (SourceRecord, Person, QuarantineEntry, MatchPair):
            connection.execute(sa.delete(table))
        _insert(connection, SourceRecord, _record_rows(records, outcome.run_id))
        _insert(connection, Person, persons.to_dict("records"))
        _insert(connection, QuarantineEntry, _quarantine_rows(outcome.quarantine, outcome.run_id))
        _insert(connection, MatchPair, _pair_rows(outcome.pairs, outcome.run_id))
        _set_next_number(connection, next_number)

        summary = PublishSummary(
            run_id=outcome.run_id,
            read=dict(outcome.rows_read),
            linked=_count_by_source(connection, SourceRecord),
            quarantined=_count_by_source(connection, QuarantineEntry),
            persons=len(persons),
            new_persons=new_persons,
        )
        if not summary.balanced:
            raise ConservationError(_imbalance_message(summary))
        connection.execute(
            sa.insert(Run),
            {
                "run_id": outcome.run_id,
                "started_at": outcome.started_at,
                "finished_at": datetime.now(UTC),
                "status": "succeeded",
                "config_path": outcome.config_path,
                "settings_hash": outcome.settings_hash,
                "parameters": json.dumps(outcome.parameters, default=str),
                "counts": json.dumps({**summary.as_dict(), **outcome.extra_counts}, default=str),
            },
        )
        if dry_run:
            transaction.rollback()
    if dry_run:
        log.info(
            "run %s (dry run, rolled back) would leave %d persons, %d new",
            outcome.run_id,
            summary.persons,
            summary.new_persons,
        )
    else:
        log.info("run %s published: %d persons, %d new", outcome.run_id, summary.persons, summary.new_persons)
    return summary


def _imbalance_message(summary: PublishSummary) -> str:
    parts = [
        f"{source}: read {read} != linked {summary.linked.get(source, 0)} "
        f"+ quarantined {summary.quarantined.get(source, 0)}"
        for source, read in summary.read.items()
        if read != summary.linked.get(source, 0) + summary.quarantined.get(source, 0)
    ]
    return "records are unaccounted for, nothing was published: " + "; ".join(parts)


def _next_number(connection: sa.Connection) -> int:
    value = connection.execute(sa.select(RegistryMeta.value).where(RegistryMeta.key == _NEXT_ID_KEY)).scalar()
    return int(value) if value is not None else 1


def _set_next_number(connection: sa.Connection, number: int) -> None:
    connection.execute(sa.delete(RegistryMeta).where(RegistryMeta.key == _NEXT_ID_KEY))
    connection.execute(sa.insert(RegistryMeta), {"key": _NEXT_ID_KEY, "value": str(number)})


def _count_by_source(connection: sa.Connection, model: type[SourceRecord] | type[QuarantineEntry]) -> dict:
    rows = connection.execute(sa.select(model.source, sa.func.count()).group_by(model.source))
    return {source: int(count) for source, count in rows}


def _insert(connection: sa.Connection, model: type, rows: Iterable[dict] | list[dict]) -> None:
    rows = list(rows)
    table = model.__table__
    for start in range(0, len(rows), _BATCH):
        connection.execute(sa.insert(table), rows[start : start + _BATCH])


def _clean(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts with Python ``None`` for every missing value (SQL NULL)."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _record_rows(records: pd.DataFrame, run_id: str) -> list[dict]:
    columns = ["source", "record_id", "registry_id", "source_row", "content_hash", *RAW_FIELDS]
    columns += list(STANDARD_FIELDS)
    frame = records.loc[:, columns].assign(run_id=run_id, source_row=records["source_row"].astype("int64"))
    return _clean(frame)


def _quarantine_rows(quarantine: pd.DataFrame, run_id: str) -> list[dict]:
    frame = quarantine.loc[:, ["source", "record_id", "source_row", "reason"]].assign(run_id=run_id)
    return _clean(frame)


def _pair_rows(pairs: pd.DataFrame, run_id: str) -> list[dict]:
    columns = ["source_l", "record_id_l", "source_r", "record_id_r", "weight", "probability", "decision"]
    return _clean(pairs.loc[:, columns].assign(run_id=run_id))
