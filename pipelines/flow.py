"""The Prefect flow ``sync``: one task per stage, each a single call into a plain function.

    ingest → validate → standardise → match → cluster → publish → report

Frames of people travel between tasks in memory only: no task result is persisted (``NO_CACHE``), so no
personal data is written to Prefect's storage or database.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from connectors import DropConfig, SourceBatch, SourceConfig, load_sources_config, read_source
from matching import (
    LinkageResult,
    MatchSettings,
    link_records,
    load_settings,
    standardise_records,
)
from pipelines import stages
from reporting import ReportInputs, write_report
from store import PublishSummary, RunOutcome, open_registry, publish_run

__all__ = ["sync"]

_task = task(cache_policy=NO_CACHE, persist_result=False)


@_task
def load_config(config: str) -> DropConfig:
    return load_sources_config(config)


@task(cache_policy=NO_CACHE, persist_result=False, task_run_name="ingest-{source.name}")
def ingest(source: SourceConfig) -> SourceBatch:
    return read_source(source)


@task(cache_policy=NO_CACHE, persist_result=False, task_run_name="validate-{batch.source}")
def validate(batch: SourceBatch) -> stages.ValidatedSource:
    return stages.validate_batch(batch)


@_task
def standardise(validated: list[stages.ValidatedSource]) -> pd.DataFrame:
    return standardise_records(stages.combine_records(validated))


@_task
def match(records: pd.DataFrame, settings: MatchSettings) -> LinkageResult:
    return link_records(records, settings)


@_task
def publish(engine: sa.Engine, outcome: RunOutcome) -> PublishSummary:
    return publish_run(engine, outcome)


@_task
def report(inputs: ReportInputs, report_dir: str) -> Path:
    return write_report(inputs, report_dir)


@flow(name="sync", log_prints=False)
def sync(
    config: str = "data/samples/sources.yaml",
    db: str = "sqlite:///registry.db",
    report_dir: str = "reports",
    match_settings: str | None = None,
) -> dict[str, object]:
    """Read the agencies' drop named by ``config`` and publish the linked registry into ``db``."""
    logger = get_run_logger()
    run_id, started_at = stages.new_run_id(), datetime.now(UTC)
    settings = load_settings(match_settings)
    drop = load_config(config)
    batches = [ingest(source) for source in drop.sources]
    validated = [validate(batch) for batch in batches]
    records = standardise(validated)
    linkage = match(records, quote(settings))  # quote: Prefect must not walk the settings model
    engine = open_registry(db)
    try:
        outcome = stages.assemble_outcome(
            run_id=run_id,
            started_at=started_at,
            config_path=str(drop.path),
            validated=validated,
            standardised=records,
            linkage=linkage,
            parameters={"config": str(drop.path), "report_dir": report_dir, "match_settings": match_settings},
        )
        summary = publish(engine, outcome)
        inputs = stages.report_inputs(
            outcome=outcome,
            summary=summary,
            validated=validated,
            linkage=linkage,
            engine=engine,
            database_url=db,
            thresholds=(settings.thresholds.match_weight, settings.thresholds.review_weight),
        )
    finally:
        engine.dispose()
    report_path = report(inputs, report_dir)
    logger.info(
        "run %s: %d persons (%d new); report %s", run_id, summary.persons, summary.new_persons, report_path
    )
    return {"run_id": run_id, "report": str(report_path), **summary.as_dict()}
