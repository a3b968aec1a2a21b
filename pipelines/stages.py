"""The sync's stages as plain functions (no Prefect here): the flow wires these, tests call them."""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from pydantic import ValidationError

from connectors import REJECTED_COLUMNS, DropConfig, SourceBatch, SourceConfig
from expectations import validate_source
from expectations.worker import PendingValidation, ValidationWorker
from matching import LinkageResult, MatchSettings, load_settings
from matching.frames import concat_rows
from matching.settings import training_hash
from pipelines.errors import SyncParametersError
from pipelines.increments import Increment, held_positions
from reporting import ReportInputs, review_contributions
from store import PublishSummary, RunOutcome, redact_url
from store.held import count_persons, read_held_quarantine, read_held_records
from store.models import Person
from store.publish import content_hashes
from store.trained import read_match_model

__all__ = [
    "RegistrySnapshot",
    "SourcePlan",
    "ValidatedSource",
    "ValidationStarted",
    "assemble_outcome",
    "combine_hashes",
    "combine_links",
    "combine_records",
    "coverage_overlap",
    "empty_linkage",
    "finish_validation",
    "in_drop_order",
    "match_seconds",
    "match_settings",
    "new_run_id",
    "plan_sources",
    "read_registry",
    "registry_overlap",
    "report_inputs",
    "start_validation",
    "to_validate",
    "validate_batch",
]

log = logging.getLogger(__name__)

_PAIR_DECISIONS_KEPT = ("match", "review")
_EXPECTATION_COLUMNS = ["source", "expectation", "column", "critical", "success", "unexpected", "checked"]


def new_run_id() -> str:
    """A run id that sorts by time: ``YYYYMMDDTHHMMSS-<6 hex>``."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class SourcePlan:
    """Which sources of the drop a run reads afresh, and which it carries over from the registry."""

    refresh: tuple[SourceConfig, ...]
    held: tuple[SourceConfig, ...]

    @property
    def held_names(self) -> tuple[str, ...]:
        return tuple(source.name for source in self.held)


def plan_sources(drop: DropConfig, only: Sequence[str] | None, *, full: bool = False) -> SourcePlan:
    """Split the drop's sources by ``only`` (``None``: refresh every source).

    ``full`` (a full rebuild) reads every source, so it cannot go with ``only``.
    """
    if not only:
        return SourcePlan(refresh=drop.sources, held=())
    if full:
        raise SyncParametersError("'full' and 'only' exclude each other: a full rebuild reads every source")
    unknown = sorted(set(only) - set(drop.names))
    if unknown:
        raise SyncParametersError(
            f"'only' names source(s) {', '.join(unknown)} that {drop.path} does not configure; "
            f"it configures {', '.join(drop.names)}"
        )
    wanted = set(only)
    return SourcePlan(
        refresh=tuple(source for source in drop.sources if source.name in wanted),
        held=tuple(source for source in drop.sources if source.name not in wanted),
    )


#: A stored model trained on a registry this much smaller or larger than today's gets a warning.
MODEL_DRIFT_WARNING = 0.25


def stored_model(
    engine: sa.Engine, settings: MatchSettings, min_records: int, live_records: int | None = None
) -> dict[str, object] | None:
    """The match model the last full run stored, when it was trained with tonight's match settings
    (thresholds aside) on at least ``min_records`` records; otherwise ``None`` and the increment trains
    on its own, padded frame. ``live_records``: the registry's live records now (for the warning that the
    registry has grown or shrunk so much since the model was trained that a full run should retrain it).
    """
    state = read_match_model(engine)
    if state is None:
        reason = "no full run stored one"
    elif state.get("training_hash") != training_hash(settings):
        reason = "the stored one was trained with other match settings"
    elif int(state.get("records", 0)) < min_records:
        reason = f"the stored one was trained on fewer than {min_records} records"
    else:
        trained = int(state["records"])
        log.info("increment scored with the model of the last full run (%d records)", trained)
        if live_records and abs(live_records - trained) > MODEL_DRIFT_WARNING * trained:
            log.warning(
                "the match model was trained on %d records, the registry now holds %d: run "
                "`registry run --full` to train it again",
                trained,
                live_records,
            )
        return state
    log.info("increment trains its own match model: %s", reason)
    return None


def match_settings(path: str | None, threshold: float | None) -> MatchSettings:
    """The matching preset at ``path`` (``None``: the shipped default), with the match threshold overridden.

    ``threshold`` replaces ``thresholds.match_weight``; it may not fall below the preset's review weight.
    """
    settings = load_settings(path)
    if threshold is None:
        return settings
    current = settings.thresholds
    if not math.isfinite(threshold):
        raise SyncParametersError(f"threshold must be a finite number, not {threshold}")
    try:
        thresholds = type(current).model_validate(
            current.model_copy(update={"match_weight": float(threshold)}).model_dump()
        )
    except ValidationError:
        raise SyncParametersError(
            f"threshold {threshold:g} is below the review weight {current.review_weight:g} "
            "of the match settings"
        ) from None
    return settings.model_copy(update={"thresholds": thresholds})


@dataclass(frozen=True)
class RegistrySnapshot:
    """What a run needs from the registry before it publishes: its size and the held sources."""

    persons: int
    held: tuple[ValidatedSource, ...]


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
    #: ``store.publish.content_hashes`` of ``records``, row by row (``None``: not computed).
    content_hashes: np.ndarray | None = None
    #: An incremental run's ``held_positions`` of ``records``: the row of the registry's live records
    #: (``known``) with the same key, row by row (-1: none; ``None``: not looked up).
    held_positions: np.ndarray | None = None


def validate_batch(
    batch: SourceBatch,
    data_docs_dir: Path | None = None,
    known: pd.DataFrame | None = None,
    worker: ValidationWorker | None = None,
) -> ValidatedSource:
    """Run the source's GX suite; rows failing a critical expectation join the parse-rejected rows.

    ``known`` (an incremental run): the registry's live records (``source, record_id, content_hash``).
    A row the registry holds with the same content passed this suite when it was first read and cannot
    fail it now, so only the other rows are validated: new and changed rows, and every row of a record
    id that the batch repeats (uniqueness is checked among them). The unchanged rows go on as they are.
    ``worker``: validate there the rows it takes (``ValidationWorker.fits``), the others here.
    """
    return finish_validation(start_validation(batch, data_docs_dir, known, worker))


@dataclass(frozen=True)
class ValidationStarted:
    """A batch whose rows to validate are chosen (``start_validation``), and sent to the worker when
    one takes them; ``finish_validation`` validates the rest here and puts the batch together."""

    batch: SourceBatch
    data_docs_dir: Path | None
    #: ``store.publish.content_hashes`` of the batch's records, row by row.
    hashes: np.ndarray
    #: The batch's rows the registry holds with the same content (not validated again).
    unchanged: np.ndarray
    #: ``held_positions`` of the batch's records (``None``: not an incremental run).
    positions: np.ndarray | None
    #: The batch's rows that are validated: all of them, or those not unchanged.
    checked: pd.DataFrame
    #: The rows sent to the worker, when it took them.
    pending: PendingValidation | None = None

    @property
    def source(self) -> str:
        return self.batch.source


def start_validation(
    batch: SourceBatch,
    data_docs_dir: Path | None = None,
    known: pd.DataFrame | None = None,
    worker: ValidationWorker | None = None,
) -> ValidationStarted:
    """The first half of ``validate_batch``: hash the batch, find its unchanged rows, and send the others
    to ``worker`` when it takes them; GX validates them there while this process goes on."""
    hashes = content_hashes(batch.records)
    unchanged = np.zeros(len(batch.records), dtype=bool)
    positions = None
    if known is not None:
        ids = batch.records["record_id"]
        positions = held_positions(known, batch.source, ids)
        held_hashes = known["content_hash"].to_numpy(dtype=object)[np.maximum(positions, 0)]
        unchanged = (positions >= 0) & (held_hashes == hashes) & ~ids.duplicated(keep=False).to_numpy()
    checked = batch.records[~unchanged] if unchanged.any() else batch.records
    started = ValidationStarted(batch, data_docs_dir, hashes, unchanged, positions, checked)
    # (every row unchanged: nothing to validate, see ``_validated``)
    if worker is not None and (len(checked) or not unchanged.any()) and worker.fits(checked):
        return replace(started, pending=worker.submit(checked, batch.source, data_docs_dir))
    return started


def finish_validation(started: ValidationStarted) -> ValidatedSource:
    """The second half of ``validate_batch``: the worker's result (or validate here), then the batch's
    passed rows, quarantine and expectation outcomes."""
    batch, hashes, unchanged, positions = started.batch, started.hashes, started.unchanged, started.positions
    if not unchanged.any():
        checked = _validated(batch, started.checked, hashes, started.data_docs_dir, pending=started.pending)
        if positions is None:
            return checked
        # ``passed`` keeps the batch's index
        return replace(
            checked, held_positions=positions[batch.records.index.get_indexer(checked.records.index)]
        )
    skipped = int(unchanged.sum())
    checked = _validated(
        batch,
        started.checked,
        hashes[~unchanged],
        started.data_docs_dir,
        skipped,
        pending=started.pending,
    )
    # the unchanged rows and the rows that passed (``passed`` keeps the batch's index), in the batch's order
    kept = unchanged | batch.records.index.isin(checked.records.index)
    if kept.all() and _positional(batch.records.index):
        # nothing set aside: no copy
        return replace(checked, records=batch.records, content_hashes=hashes, held_positions=positions)
    return replace(
        checked,
        records=batch.records[kept].reset_index(drop=True),
        content_hashes=hashes[kept],
        held_positions=positions[kept],
    )


def to_validate(item: SourceBatch | ValidationStarted) -> int:
    """How many of the batch's rows are validated: all of a batch, those not unchanged of a started one."""
    return len(item.checked if isinstance(item, ValidationStarted) else item.records)


def _validated(
    batch: SourceBatch,
    records: pd.DataFrame,
    hashes: np.ndarray,
    data_docs_dir: Path | None,
    skipped: int = 0,
    pending: PendingValidation | None = None,
) -> ValidatedSource:
    """Validate ``records`` (the batch's rows less the ``skipped`` unchanged ones; their ``hashes``),
    or take the worker's validation of them (``pending``)."""
    if len(records) == 0 and skipped:
        passed, quarantined, outcomes = records, batch.rejected.iloc[0:0], []
    else:
        result = (
            pending.result()
            if pending is not None
            else validate_source(records, source=batch.source, data_docs_dir=data_docs_dir)
        )
        passed, quarantined, outcomes = result.passed, result.quarantined, result.outcomes
    kept = hashes[records.index.get_indexer(passed.index)]  # ``passed`` keeps ``records``' index
    quarantine = pd.concat(
        [batch.rejected.loc[:, list(REJECTED_COLUMNS)], quarantined.loc[:, list(REJECTED_COLUMNS)]],
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
            for outcome in outcomes
        ],
        columns=_EXPECTATION_COLUMNS,
    )
    notes = batch.notes
    if skipped:
        notes = (
            *notes,
            f"validated the {len(records):,} new or changed rows; {skipped:,} rows unchanged since an "
            "earlier run (they passed then) were not validated again",
        )
    log.info(
        "%s: %d rows read, %d validated (%d unchanged), %d passed validation, %d quarantined",
        batch.source,
        batch.rows_read,
        len(records),
        skipped,
        len(passed) + skipped,
        len(quarantine),
    )
    return ValidatedSource(
        batch.source,
        batch.programme,
        batch.rows_read,
        passed,
        quarantine,
        expectations,
        notes,
        content_hashes=kept,
    )


def read_registry(engine: sa.Engine, held: Iterable[SourceConfig]) -> RegistrySnapshot:
    """The registry's person count and, for each held source, its records and quarantine rows as held.

    Held records passed validation when they were read, so they go on as validated records; their
    quarantine rows stay in quarantine. ``rows_read`` counts both, so the source still reconciles.
    """
    held = tuple(held)
    names = [source.name for source in held]
    records = read_held_records(engine, names) if held else None
    quarantine = read_held_quarantine(engine, names) if held else None
    carried = []
    for source in held:
        kept = records[records["source"] == source.name].reset_index(drop=True)
        quarantined = quarantine[quarantine["source"] == source.name].reset_index(drop=True)
        if kept.empty and quarantined.empty:
            log.warning("%s: the registry holds no records of this source to carry over", source.name)
        log.info(
            "%s: carried over from the registry: %d records, %d in quarantine",
            source.name,
            len(kept),
            len(quarantined),
        )
        carried.append(
            ValidatedSource(
                source=source.name,
                programme=source.programme,
                rows_read=len(kept) + len(quarantined),
                records=kept,
                quarantine=quarantined,
                expectations=pd.DataFrame(columns=_EXPECTATION_COLUMNS),
                notes=("carried over from the registry (not refreshed in this run)",),
            )
        )
    return RegistrySnapshot(persons=count_persons(engine), held=tuple(carried))


def in_drop_order(drop: DropConfig, validated: Iterable[ValidatedSource]) -> list[ValidatedSource]:
    """Validated sources in the order ``sources.yaml`` lists them (the order of a full run)."""
    order = {name: position for position, name in enumerate(drop.names)}
    return sorted(validated, key=lambda item: order.get(item.source, len(order)))


def without_records(validated: list[ValidatedSource]) -> list[ValidatedSource]:
    """The sources with their counts, quarantine and expectations, their records let go (empty frames)."""
    return [
        replace(item, records=item.records.iloc[0:0], content_hashes=None, held_positions=None)
        for item in validated
    ]


def combine_records(validated: list[ValidatedSource]) -> pd.DataFrame:
    """All sources' validated records in one canonical frame with a fresh positional index."""
    return concat_rows([item.records for item in validated])


def combine_hashes(validated: list[ValidatedSource]) -> np.ndarray:
    """The content hashes of ``combine_records(validated)``, row by row (computed where not carried)."""
    parts = [
        item.content_hashes if item.content_hashes is not None else content_hashes(item.records)
        for item in validated
    ]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=object)


def combine_held_positions(validated: list[ValidatedSource]) -> np.ndarray | None:
    """The ``held_positions`` of ``combine_records(validated)``, row by row (``None``: a source has none,
    e.g. one carried over from the registry)."""
    parts = [item.held_positions for item in validated]
    if any(part is None for part in parts):
        return None
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def combine_links(*links: np.ndarray | None) -> np.ndarray:
    """Positional (k, 2) link arrays in one (missing ones left out)."""
    parts = [np.asarray(item, dtype=np.int64).reshape(-1, 2) for item in links if item is not None]
    return np.concatenate(parts) if parts else np.zeros((0, 2), dtype=np.int64)


def empty_linkage() -> LinkageResult:
    """The linkage of a run with nothing to decide again (an incremental run of an unchanged drop)."""
    columns = {"left": "int64", "right": "int64", "rule": "object", "weight": "float64"}
    columns |= {"probability": "float64", "decision": "object"}
    pairs = pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns.items()})
    return LinkageResult(cluster_ids=np.zeros(0, dtype=np.int64), pairs=pairs, stats={}, model={})


def assemble_outcome(
    *,
    run_id: str,
    started_at: datetime,
    config_path: str,
    validated: list[ValidatedSource],
    standardised: pd.DataFrame,
    linkage: LinkageResult,
    parameters: dict[str, object],
    increment: Increment | None = None,
    content_hashes: np.ndarray | None = None,
    match_model: dict[str, object] | None = None,
) -> RunOutcome:
    """Turn positional matching output into what the registry stores, keyed by (source, record id).

    ``increment`` (an incremental run): only its touched persons are decided again, its vanished records
    are marked deleted. ``content_hashes``: the standardised records' content hashes, row by row, when
    already computed (the publish computes them otherwise). ``match_model``: the model a full run
    trained, to store for the increments.
    """
    # a shallow copy with one more column: the standardised frame's columns are not copied
    records = standardised if _positional(standardised.index) else standardised.reset_index(drop=True)
    records = records.copy(deep=False)
    records["cluster"] = np.asarray(linkage.cluster_ids)
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
        extra_counts={
            "candidate_pairs": int(len(linkage.pairs)),
            **({"increment": increment.counts} if increment is not None else {}),
        },
        touched=increment.touched if increment is not None else None,
        vanished=increment.vanished if increment is not None else None,
        match_model=match_model if increment is None else None,
        content_hashes=content_hashes,
    )


def _positional(index: pd.Index) -> bool:
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


def report_inputs(
    *,
    outcome: RunOutcome,
    summary: PublishSummary,
    validated: list[ValidatedSource],
    linkage: LinkageResult,
    database_url: str,
    thresholds: tuple[float | None, float | None],
    dry_run: bool = False,
    overlap: pd.DataFrame | None = None,
) -> ReportInputs:
    """Counts and distributions for the run report, from the run and what it published (or would).

    ``overlap``: persons per combination of programmes, when the run's records are not all the registry's
    (an incremental run: ``registry_overlap``); by default from the run's clusters.
    """
    reasons = outcome.quarantine.assign(reason=outcome.quarantine["reason"].map(_reason_kind))
    reasons = reasons.groupby(["source", "reason"], as_index=False).size().rename(columns={"size": "records"})
    decisions = linkage.pairs["decision"].value_counts()
    match_threshold, review_threshold = thresholds
    database = redact_url(database_url)
    if dry_run:
        database += " (dry run: nothing was published)"
    return ReportInputs(
        run_id=outcome.run_id,
        started_at=f"{outcome.started_at:%Y-%m-%d %H:%M:%S} UTC",
        database=database,
        counts={"read": summary.read, "linked": summary.linked, "quarantined": summary.quarantined},
        persons=summary.persons,
        new_persons=summary.new_persons,
        quarantine_reasons=reasons,
        expectations=pd.concat([item.expectations for item in validated], ignore_index=True),
        overlap=overlap if overlap is not None else coverage_overlap(outcome),
        pair_weights=linkage.pairs["weight"].to_numpy(dtype=float),
        match_threshold=match_threshold,
        review_threshold=review_threshold,
        pair_counts={f"{decision} pairs": int(count) for decision, count in decisions.items()},
        review_pairs=review_contributions(outcome.records, linkage.pairs),
        registry_url=database_url,
    )


def match_seconds(linkage: LinkageResult) -> dict[str, float]:
    """Seconds per step inside the match stage (features, blocking, ..., clustering), when reported."""
    seconds = linkage.stats.get("seconds") if isinstance(linkage.stats, dict) else None
    if not isinstance(seconds, dict):
        return {}
    return {str(step): float(value) for step, value in seconds.items() if isinstance(value, int | float)}


def registry_overlap(engine: sa.Engine) -> pd.DataFrame:
    """Persons per combination of programmes (``in_health, in_employment, in_city, persons``), as the
    registry holds them now."""
    columns = [Person.in_health, Person.in_employment, Person.in_city]
    statement = sa.select(*columns, sa.func.count().label("persons")).group_by(*columns)
    with engine.connect() as connection:
        frame = pd.read_sql(statement, connection)
    for column in ("in_health", "in_employment", "in_city"):
        frame[column] = frame[column].astype(bool)
    return frame


def coverage_overlap(outcome: RunOutcome) -> pd.DataFrame:
    """Persons per combination of programmes (``in_health, in_employment, in_city, persons``).

    Each cluster of the run is one registry person, so this is what the published ``persons`` table
    holds (or, on a dry run, would hold).
    """
    programme = outcome.records["source"].map(outcome.programmes)
    flags = pd.DataFrame(
        {
            "cluster": outcome.records["cluster"].to_numpy(),
            "in_health": programme.eq("health").to_numpy(),
            "in_employment": programme.eq("employment").to_numpy(),
            "in_city": programme.eq("city").to_numpy(),
        }
    )
    per_person = flags.groupby("cluster", sort=False).any()
    columns = ["in_health", "in_employment", "in_city"]
    return per_person.groupby(columns, as_index=False).size().rename(columns={"size": "persons"})


def _reason_kind(reason: str) -> str:
    """A quarantine reason without row-specific detail, for counting (e.g. 'record_id: duplicate')."""
    return reason.split(" of row ")[0].split(": row has ")[0]
