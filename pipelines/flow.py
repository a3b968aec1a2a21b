"""The Prefect flow ``sync``: one task per stage, each a single call into a plain function.

    ingest → validate → hold → standardise → match (and cluster) → publish → report → artifacts

``hold`` reads back, from the registry, the sources a run does not refresh (``only``). Source reads
retry transient errors (``SourceUnavailableError``) with exponential backoff; anything else fails at
once. Any failure before ``publish`` leaves the registry exactly as it was; ``publish`` itself is one
transaction. Retries, delays and timeouts come from ``RegistrySettings`` (``REGISTRY_*``) when a run
starts.

Frames of people travel between tasks in memory only: no task result is persisted (``NO_CACHE``), so no
personal data is written to Prefect's storage or database.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from prefect import Task, flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import TaskRun
from prefect.states import State
from prefect.tasks import exponential_backoff
from prefect.utilities.annotations import quote

from connectors import DropConfig, SourceBatch, SourceConfig, SourceUnavailableError, load_sources_config
from connectors import read_source as read_source_records
from expectations.worker import ValidationWorker
from matching import (
    LinkageResult,
    MatchSettings,
    ScoredPairs,
    cluster_scored,
    score_records,
    standardise_records,
)
from matching.executors import open_executor
from pipelines import artifacts, stages
from pipelines.increments import (
    Increment,
    held_name_tokens,
    keep_previous_decisions,
    plan_increment,
    read_live_records,
)
from pipelines.progress import StageClock
from pipelines.settings import ExecutorName, RegistrySettings, SourceName
from pipelines.stages import stored_model
from pipelines.standardise_ahead import passed_rows, rows_read, validated_elsewhere
from reporting import ReportInputs, data_docs_dir, write_report
from store import PublishSummary, RunOutcome, open_registry, publish_run, redact_url
from store.checkpoint import checkpoint_in_background
from store.held import count_persons
from store.lock import acquire_lock, release_lock
from store.reviews import decisions_since_last_run, steward_constraints

__all__ = ["retry_transient", "sync"]

_DEFAULTS = RegistrySettings.model_fields
#: The project's packages: their INFO lines (counts and ids only) belong in the flow run's log.
_OUR_LOGGERS = ("connectors", "expectations", "matching", "pipelines", "reporting", "store")
_options: dict[str, Any] = {"cache_policy": NO_CACHE, "persist_result": False}
#: Tasks timed out with the stage they run in (set in ``_configured``), not with a timeout of their own.
_SHARED_TIMEOUT = frozenset({"diff", "held-name-tokens", "read-registry", "send-to-validation"})


def retry_transient(_task: Task[..., Any], _task_run: TaskRun, state: State[Any]) -> bool:
    """Retry only when the source was unavailable; a source in the wrong shape will not fix itself."""
    try:
        state.result()
    except SourceUnavailableError:
        return True
    except BaseException:
        return False
    return False


@task(name="load-config", **_options)
def load_config(config: str) -> DropConfig:
    return load_sources_config(config)


@task(task_run_name="ingest-{source.name}", retry_condition_fn=retry_transient, **_options)
def ingest(source: SourceConfig) -> SourceBatch:
    return read_source_records(source)


@task(task_run_name="validate-{batch.source}", **_options)
def validate(
    batch: SourceBatch | stages.ValidationStarted,
    docs_dir: Path | None = None,
    known: pd.DataFrame | None = None,
) -> stages.ValidatedSource:
    if isinstance(batch, stages.ValidationStarted):
        return stages.finish_validation(batch)
    return stages.validate_batch(batch, data_docs_dir=docs_dir, known=known)


@task(task_run_name="send-to-validation-{batch.source}", **_options)
def send_to_validation(
    batch: SourceBatch, docs_dir: Path | None, known: pd.DataFrame | None, worker: ValidationWorker
) -> stages.ValidationStarted:
    return stages.start_validation(batch, data_docs_dir=docs_dir, known=known, worker=worker)


@task(name="read-registry", **_options)
def read_registry_records(engine: sa.Engine, sources: list[str]) -> pd.DataFrame:
    return read_live_records(engine, sources)


@task(name="held-name-tokens", **_options)
def held_tokens(known: pd.DataFrame, settings: MatchSettings) -> pd.DataFrame | None:
    return held_name_tokens(known, settings)


@task(**_options)
def hold(engine: sa.Engine, held: tuple[SourceConfig, ...]) -> stages.RegistrySnapshot:
    return stages.read_registry(engine, held)


@task(**_options)
def diff(
    engine: sa.Engine,
    records: pd.DataFrame | list[pd.DataFrame],
    settings: MatchSettings,
    held: pd.DataFrame | None = None,
    hashes: np.ndarray | None = None,
    positions: np.ndarray | None = None,
    background: bool = True,
    model: dict[str, object] | None = None,
    held_tokens: pd.DataFrame | None = None,
) -> Increment:
    return plan_increment(
        engine,
        records,
        settings,
        held=held,
        hashes=hashes,
        positions=positions,
        background=background,
        model=model,
        held_tokens=held_tokens,
    )


@task(**_options)
def standardise(
    records: pd.DataFrame,
    executor: ExecutorName = "local",
    dask_address: str | None = None,
    kk_numbers: np.ndarray | None = None,
) -> pd.DataFrame:
    # in this process only (no forked helper): a helper forked from the process that holds the sources'
    # frames copies the pages it touches; at 2M persons the run then passed 12 GB (BENCHMARKS.md)
    with open_executor(executor, dask_address) as run_on:
        return standardise_records(records, executor=run_on, kk_numbers=kk_numbers)


@task(**_options)
def match(
    records: pd.DataFrame,
    settings: MatchSettings,
    executor: ExecutorName = "local",
    dask_address: str | None = None,
    model: dict[str, object] | None = None,
    population: pd.DataFrame | None = None,
    population_keys: dict | None = None,
    extra_pairs: tuple[str, np.ndarray, np.ndarray] | None = None,
    frequencies: dict | None = None,
    population_size: int | None = None,
    processes: int = 1,
) -> ScoredPairs:
    with open_executor(executor, dask_address, processes=processes) as run_on:
        return score_records(
            records,
            settings,
            executor=run_on,
            model=model,
            population=population,
            population_keys=population_keys,
            frequencies=frequencies,
            population_size=population_size,
            extra_pairs=extra_pairs,
        )


@task(**_options)
def cluster(
    records: pd.DataFrame,
    scored: ScoredPairs,
    settings: MatchSettings,
    must_link: np.ndarray | None = None,
    cannot_link: np.ndarray | None = None,
) -> LinkageResult:
    return cluster_scored(records, scored, settings, must_link=must_link, cannot_link=cannot_link)


@task(**_options)
def publish(engine: sa.Engine, outcome: RunOutcome, dry_run: bool, staged: bool = True) -> PublishSummary:
    return publish_run(engine, outcome, dry_run=dry_run, staged=staged)


@task(**_options)
def report(inputs: ReportInputs, report_dir: str) -> Path:
    return write_report(inputs, report_dir)


@task(name="artifacts", **_options)
def record_artifacts(summary: artifacts.RunSummary) -> None:
    markdown_key, table_key = artifacts.artifact_keys(summary.dry_run)
    create_markdown_artifact(
        markdown=artifacts.summary_markdown(summary), key=markdown_key, description="Registry sync summary"
    )
    create_table_artifact(
        table=artifacts.source_table(summary), key=table_key, description="Records per source"
    )


def _surface_our_logs() -> None:
    """Let the project's INFO lines through to Prefect's handlers (``PREFECT_LOGGING_EXTRA_LOGGERS``).

    Prefect attaches its API handler to the extra loggers but leaves their level alone, so without a
    level they would inherit the root's WARNING. A level set by the host application is kept.
    """
    for name in _OUR_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)


def _configured(options: RegistrySettings) -> dict[str, Task[..., Any]]:
    """The stage tasks with this run's retries, backoff and timeouts."""
    tasks: dict[str, Task[..., Any]] = {
        "ingest": ingest.with_options(
            retries=options.source_retries,
            retry_delay_seconds=exponential_backoff(options.retry_delay)(options.source_retries),
        ),
        "validate": validate,
        "send-to-validation": send_to_validation.with_options(timeout_seconds=options.timeout("validate")),
        "read-registry": read_registry_records.with_options(timeout_seconds=options.timeout("validate")),
        "held-name-tokens": held_tokens.with_options(timeout_seconds=options.timeout("validate")),
        "hold": hold,
        "diff": diff.with_options(timeout_seconds=options.timeout("standardise")),
        "standardise": standardise,
        "match": match,
        "cluster": cluster,
        "publish": publish,
        "report": report,
    }
    return {
        stage: item if stage in _SHARED_TIMEOUT else item.with_options(timeout_seconds=options.timeout(stage))
        for stage, item in tasks.items()
    }


@flow(name="sync", log_prints=False, persist_result=False)
def sync(
    config: str = str(_DEFAULTS["config"].default),
    db: str = str(_DEFAULTS["db"].default),
    only: list[SourceName] | None = None,
    full: bool = False,
    dry_run: bool = False,
    threshold: float | None = None,
    report_dir: str = str(_DEFAULTS["report_dir"].default),
    match_settings: str | None = None,
    executor: ExecutorName | None = None,
    dask_address: str | None = None,
) -> dict[str, object]:
    """Read the agencies' drop named by ``config`` and publish the linked registry into ``db``.

    Args:
        config: Path to the drop's sources.yaml.
        db: Registry database URL (no password in it: use the driver's environment, e.g. PGPASSWORD).
        only: Refresh only these sources; the others are carried over from the registry unchanged.
        full: Force a full rebuild: decide every person again (otherwise only the persons that new, changed
            and vanished records touch are decided again).
        dry_run: Do everything but publish; the artifacts say what would change.
        threshold: Match weight threshold, instead of the one in the match settings.
        report_dir: Folder for the run's HTML report (dry runs write into its dry-run/ folder).
        match_settings: Matching preset YAML (default: the shipped preset).
        executor: Where standardisation and matching run: local (this process) or dask (a dask.distributed
            cluster); default REGISTRY_EXECUTOR, else local. Same links either way.
        dask_address: The Dask scheduler, e.g. tcp://10.0.0.5:8786 (implies executor dask); default
            REGISTRY_DASK_ADDRESS. With dask and no address, a temporary LocalCluster on this machine.
    """
    logger = get_run_logger()
    _surface_our_logs()
    options = RegistrySettings()
    tasks = _configured(options)
    executor = executor or ("dask" if dask_address else options.executor)
    dask_address = dask_address or (options.dask_address if executor == "dask" else None)
    # the local executor's processes for matching (this one and forked helpers); Dask has its workers
    processes = options.local_processes if executor == "local" else 1
    clock = StageClock()
    run_id, started_at = stages.new_run_id(), datetime.now(UTC)
    settings = stages.match_settings(match_settings, threshold)
    drop = load_config(config)
    plan = stages.plan_sources(drop, only, full=full)
    # Carrying sources over needs the registry they are in; a fresh one is created only for a full read.
    engine = open_registry(db, create=not plan.held)
    try:
        # one run at a time: a second run is refused (RegistryBusyError) before it reads anything
        acquire_lock(engine, run_id)
    except BaseException:
        engine.dispose()
        raise
    failed = False
    worker: ValidationWorker | None = None
    try:
        # incremental: only the persons that new, changed and vanished records touch are decided again
        # (a steward decision since the last run can touch any person: then every person is)
        incremental = not full and count_persons(engine) > 0 and not decisions_since_last_run(engine)
        # GX validates in a second process that imports it meanwhile, while this one reads the next
        # source: an increment's new and changed rows, a full run's sources of up to MAX_WORKER_ROWS rows
        # (larger ones are validated here)
        worker = ValidationWorker() if plan.refresh else None
        # every source's live records: a carried-over source (``only``) is unchanged by definition
        known = tasks["read-registry"](quote(engine), list(drop.names)) if incremental else None
        # GX Data Docs per source next to the run's report (reporting.data_docs_dir), linked from it;
        # an incremental run validates the rows that are new or changed since the registry had them
        report_folder = Path(report_dir) / "dry-run" if dry_run else Path(report_dir)
        with clock.stage("ingest", total=len(plan.refresh)) as advance:
            batches: list[SourceBatch | stages.ValidationStarted] = []
            for source in plan.refresh:
                batch = advance(tasks["ingest"](source))
                if worker is not None:
                    # its rows to validate go to the worker now: GX validates them there while this
                    # process reads the next source
                    docs = data_docs_dir(report_folder, run_id, batch.source)
                    batch = tasks["send-to-validation"](batch, docs, quote(known), quote(worker))
                batches.append(batch)
        # a full run standardises every row read while the worker validates them; the rows GX
        # quarantines are left out after (pipelines.standardise_ahead)
        ahead = None
        if not incremental and not plan.held and validated_elsewhere(batches):
            with clock.stage("standardise"):
                ahead = tasks["standardise"](quote(rows_read(batches)), executor, dask_address)
        # an increment is scored with the model the last full run trained on every record, when the
        # match settings it was trained with are tonight's (else it trains on a padded frame)
        model = (
            stored_model(engine, settings, options.stored_model_min_records, len(known))
            if known is not None
            else None
        )
        # while the worker validates: the neighbour search's share that needs no new or changed record
        # (when there are any)
        tokens = (
            tasks["held-name-tokens"](quote(known), quote(settings))
            if known is not None and any(stages.to_validate(item) for item in batches)
            else None
        )
        with clock.stage("validate", total=len(batches)) as advance:
            validated = [
                advance(
                    tasks["validate"](batch, data_docs_dir(report_folder, run_id, batch.source), quote(known))
                )
                for batch in batches
            ]
        if worker is not None:
            worker.close()
        with clock.stage("hold"):
            snapshot = tasks["hold"](engine, plan.held)
        sources = stages.in_drop_order(drop, [*validated, *snapshot.held])
        with clock.stage("standardise"):
            increment = None
            hashes = stages.combine_hashes(sources)
            combined = None
            if ahead is None:
                # an increment takes the rows it decides again from the sources' frames (no 400k-row copy)
                combined = (
                    [item.records for item in sources] if incremental else stages.combine_records(sources)
                )
            if incremental:
                # quote: Prefect must not walk the engine, the frames or the settings model
                increment = tasks["diff"](
                    quote(engine),
                    quote(combined),
                    quote(settings),
                    quote(known),
                    quote(hashes),
                    quote(stages.combine_held_positions(sources)),
                    background=model is None,
                    model=quote(model),
                    held_tokens=quote(tokens),
                )
                # the new and changed records were standardised to find their neighbours already
                combined, hashes = increment.to_standardise, increment.content_hashes
            kk_numbers = increment.kk_numbers if increment is not None else None
            if ahead is not None:
                records = passed_rows(ahead, batches, sources)
            else:
                records = tasks["standardise"](quote(combined), executor, dask_address, quote(kk_numbers))
            if increment is not None:
                records = increment.standardised(records)
        # every record that goes on is in ``records`` now: the sources' frames go before matching and
        # publishing (at Depok scale they are gigabytes)
        sources = stages.without_records(sources)
        persons_before = snapshot.persons
        del batches, validated, combined, known, snapshot, ahead
        # quote: Prefect must not walk the settings model or the scored arrays
        with clock.stage("match"):
            within = increment is not None and model is not None
            scored = (
                tasks["match"](
                    records,
                    quote(settings),
                    executor,
                    dask_address,
                    quote(model),
                    quote(increment.population if within else None),
                    quote(increment.population_keys if within else None),
                    quote(increment.pairs_of_former_persons() if increment is not None else None),
                    quote(increment.frequencies if within else None),
                    increment.population_size if within and increment.frequencies is not None else None,
                    processes=processes,
                )
                if len(records)
                else None
            )
        with clock.stage("cluster"):
            # the stewards' decisions (store.reviews) override the model: must-link / cannot-link
            must_link, cannot_link = steward_constraints(engine, records)
            if increment is not None:
                must_link = stages.combine_links(must_link, increment.must_link)
                if scored is not None:
                    scored = keep_previous_decisions(scored, increment, settings)
            linkage = (
                tasks["cluster"](
                    records, quote(scored), quote(settings), quote(must_link), quote(cannot_link)
                )
                if scored is not None
                else stages.empty_linkage()
            )
        outcome = stages.assemble_outcome(
            run_id=run_id,
            started_at=started_at,
            config_path=str(drop.path),
            validated=sources,
            standardised=records,
            linkage=linkage,
            parameters={
                "config": str(drop.path),
                "only": list(only) if only else None,
                "full": full,
                "threshold": threshold,
                "report_dir": report_dir,
                "match_settings": match_settings,
                "held": list(plan.held_names),
                "incremental": increment is not None,
                "stored_model": model is not None,
                "executor": executor,
                "dask_address": redact_url(dask_address) if dask_address else None,
            },
            increment=increment,
            content_hashes=hashes,
            match_model=scored.fitted if scored is not None else None,
        )
        with clock.stage("publish"):
            summary = tasks["publish"](engine, outcome, dry_run, staged=options.staged_publish)
        # SQLite copies the published pages into the database file while the run writes its report
        checkpoint = checkpoint_in_background(engine) if not dry_run else None
        # an incremental run's records are not the whole registry: count the persons it now holds
        overlap = stages.registry_overlap(engine) if increment is not None and not dry_run else None
    except BaseException:
        failed = True
        logger.error("run %s failed: nothing was published, the registry is as it was", run_id)
        raise
    finally:
        if worker is not None:
            worker.close()
        try:
            release_lock(engine, run_id)
        except sa.exc.SQLAlchemyError as error:
            # the registry went away: the run's own error (if any) is the one to report; a lock left by
            # a dead run is taken over by the next run on this host
            logger.error("run %s could not give the registry lock back (%s)", run_id, type(error).__name__)
            if not failed:
                raise
        finally:
            engine.dispose()
    inputs = stages.report_inputs(
        outcome=outcome,
        summary=summary,
        validated=sources,
        linkage=linkage,
        database_url=db,
        thresholds=(settings.thresholds.match_weight, settings.thresholds.review_weight),
        dry_run=dry_run,
        overlap=overlap,
    )
    with clock.stage("report"):
        report_path = tasks["report"](inputs, str(Path(report_dir) / "dry-run") if dry_run else report_dir)
    run = artifacts.RunSummary(
        run_id=run_id,
        dry_run=dry_run,
        full=full,
        refreshed=tuple(source.name for source in plan.refresh),
        held=plan.held_names,
        read=summary.read,
        linked=summary.linked,
        quarantined=summary.quarantined,
        persons_before=persons_before,
        persons=summary.persons,
        new_persons=summary.new_persons,
        report=str(Path(report_path).resolve()),
        stage_seconds=dict(clock.seconds),
        match_seconds=stages.match_seconds(linkage),
        match_threshold=settings.thresholds.match_weight,
        settings_hash=outcome.settings_hash,
    )
    record_artifacts(run)
    if checkpoint is not None:
        checkpoint.join()
    logger.info(
        "run %s%s: %d persons (%d new, %d ids gone); report %s",
        run_id,
        " (dry run, nothing published)" if dry_run else "",
        run.persons,
        run.new_persons,
        run.ids_disappeared,
        report_path,
    )
    return run.as_dict()
