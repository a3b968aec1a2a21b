"""The sync's stages as plain functions (no Prefect here): the flow wires these, tests call them."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from connectors import REJECTED_COLUMNS, SourceBatch
from expectations import validate_source
from matching import LinkageResult
from reporting import ReportInputs
from store import PublishSummary, RunOutcome, redact_url
from store.models import Person

__all__ = [
    "ValidatedSource",
    "assemble_outcome",
    "combine_records",
    "new_run_id",
    "report_inputs",
    "validate_batch",
]

log = logging.getLogger(__name__)

_PAIR_DECISIONS_KEPT = ("match", "review")


def new_run_id() -> str:
    """A run id that sorts by time: ``YYYYMMDDTHHMMSS-<6 hex>``."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class ValidatedSource:
    """One source after validation: records that go on, and every row that goes to quarantine."""

    source: str
    programme: str
    rows_read: int
    records: pd.DataFrame
    quarantine: pd.DataFrame
    expectations: pd.DataFrame
    notes: tuple[str, ...] = ()


def validate_batch(batch: SourceBatch, data_docs_dir: Path | None = None) -> ValidatedSource:
    """Run the source's GX suite; rows failing a critical expectation join the parse-rejected rows."""
    result = validate_source(batch.records, source=batch.source, data_docs_dir=data_docs_dir)
    quarantine = pd.concat(
        [batch.rejected.loc[:, list(REJECTED_COLUMNS)], result.quarantined.loc[:, list(REJECTED_COLUMNS)]],
        ignore_index=True,
    )
    expectations = pd.DataFrame(
        [
            {
                "source": batch.source,
                "expectation": outcome.name,
                "column": outcome.column,
                "critical": outcome.critical,
                "success": outcome.success,
                "unexpected": outcome.unexpected_count,
                "checked": outcome.element_count,
            }
            for outcome in result.outcomes
        ],
        columns=["source", "expectation", "column", "critical", "success", "unexpected", "checked"],
    )
    log.info(
        "%s: %d rows read, %d passed validation, %d quarantined",
        batch.source,
        batch.rows_read,
        len(result.passed),
        len(quarantine),
    )
    return ValidatedSource(
        batch.source, batch.programme, batch.rows_read, result.passed, quarantine, expectations, batch.notes
    )


def combine_records(validated: list[ValidatedSource]) -> pd.DataFrame:
    """All sources' validated records in one canonical frame with a fresh positional index."""
    return pd.concat([item.records for item in validated], ignore_index=True)


def assemble_outcome(
    *,
    run_id: str,
    started_at: datetime,
    config_path: str,
    validated: list[ValidatedSource],
    standardised: pd.DataFrame,
    linkage: LinkageResult,
    parameters: dict[str, object],
) -> RunOutcome:
    """Turn positional matching output into what the registry stores, keyed by (source, record id)."""
    records = standardised.reset_index(drop=True).assign(cluster=np.asarray(linkage.cluster_ids))
    kept = linkage.pairs[linkage.pairs["decision"].isin(_PAIR_DECISIONS_KEPT)]
    left = records.iloc[kept["left"].to_numpy()]
    right = records.iloc[kept["right"].to_numpy()]
    pairs = pd.DataFrame(
        {
            "source_l": left["source"].to_numpy(),
            "record_id_l": left["record_id"].to_numpy(),
            "source_r": right["source"].to_numpy(),
            "record_id_r": right["record_id"].to_numpy(),
            "weight": kept["weight"].to_numpy(dtype=float),
            "probability": kept["probability"].to_numpy(dtype=float),
            "decision": kept["decision"].to_numpy(),
        }
    )
    quarantine = pd.concat([item.quarantine for item in validated], ignore_index=True)
    return RunOutcome(
        run_id=run_id,
        started_at=started_at,
        config_path=config_path,
        programmes={item.source: item.programme for item in validated},
        rows_read={item.source: item.rows_read for item in validated},
        records=records,
        quarantine=quarantine,
        pairs=pairs,
        settings_hash=str(linkage.model.get("settings_hash", "")) or None,
        parameters=parameters,
        extra_counts={"candidate_pairs": int(len(linkage.pairs))},
    )


def report_inputs(
    *,
    outcome: RunOutcome,
    summary: PublishSummary,
    validated: list[ValidatedSource],
    linkage: LinkageResult,
    engine: sa.Engine,
    database_url: str,
    thresholds: tuple[float | None, float | None],
) -> ReportInputs:
    """Counts and distributions for the run report, read from the run and the registry it produced."""
    reasons = outcome.quarantine.assign(reason=outcome.quarantine["reason"].map(_reason_kind))
    reasons = reasons.groupby(["source", "reason"], as_index=False).size().rename(columns={"size": "records"})
    with engine.connect() as connection:
        flags = (Person.in_health, Person.in_employment, Person.in_city)
        statement = sa.select(*flags, sa.func.count().label("persons")).group_by(*flags)
        overlap = pd.read_sql(statement, connection)
    decisions = linkage.pairs["decision"].value_counts()
    match_threshold, review_threshold = thresholds
    return ReportInputs(
        run_id=outcome.run_id,
        started_at=f"{outcome.started_at:%Y-%m-%d %H:%M:%S} UTC",
        database=redact_url(database_url),
        counts={"read": summary.read, "linked": summary.linked, "quarantined": summary.quarantined},
        persons=summary.persons,
        new_persons=summary.new_persons,
        quarantine_reasons=reasons,
        expectations=pd.concat([item.expectations for item in validated], ignore_index=True),
        overlap=overlap,
        pair_weights=linkage.pairs["weight"].to_numpy(dtype=float),
        match_threshold=match_threshold,
        review_threshold=review_threshold,
        pair_counts={f"{decision} pairs": int(count) for decision, count in decisions.items()},
    )


def _reason_kind(reason: str) -> str:
    """A quarantine reason without row-specific detail, for counting (e.g. 'record_id: duplicate')."""
    return reason.split(" of row ")[0].split(": row has ")[0]
