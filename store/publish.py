"""Publishing a run: the registry's new state lands in one transaction, or not at all.

A run decides some persons again (``RunOutcome.touched``: their registry ids; ``None`` on a full rebuild:
every person) from the records in ``RunOutcome.records``; every other person and record stays exactly as
it is. Inside one transaction the publish:

- marks the records that left their source as deleted (``deleted_at``; they stay as tombstones, out of
  golden records and out of the linked counts);
- replaces the touched persons' live records and golden rows with the run's, registry ids carried over by
  ``store.ids`` (merge: the older id survives; split: the larger part keeps the id);
- writes what happened to ids into ``entity_history`` and points retired ids at their survivor
  (``registry_id_redirects``);
- replaces the scored pairs of the records decided again, and the quarantine of the sources read;
- reconciles the counts: for every source, rows read in this run's drop = live records held +
  rows in quarantine. If not, nothing is written (``ConservationError``).

``dry_run=True`` does all of it, then rolls back.

On SQLite, a full rebuild's records are bound into a scratch database by a helper process while the
transaction writes the persons, pairs and history, and copied in at the end of it (``store.staging``).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa

from connectors.errors import RegistryError
from matching.text import factorize_sorted, text_or_empty
from store.checkpoint import deferred_checkpoint
from store.frames import execute_each, fetch_frame
from store.golden import RECORDS_PER_CHUNK, build_persons, build_persons_in_chunks, string_values
from store.ids import IdChanges, assign_registry_ids, id_changes
from store.keys import chunks, ids_by_source
from store.models import (
    RAW_FIELDS,
    STANDARD_FIELDS,
    EntityHistory,
    MatchPair,
    Person,
    QuarantineEntry,
    RegistryIdRedirect,
    RegistryMeta,
    Run,
    SourceRecord,
)
from store.staging import StagedRows, is_per_row, stage_rows
from store.trained import write_match_model

__all__ = ["ConservationError", "PublishSummary", "RunOutcome", "content_hashes", "publish_run"]

log = logging.getLogger(__name__)

_BATCH = 20_000
_NEXT_ID_KEY = "next_registry_number"
_KEYS = ["source", "record_id"]
#: Parameters of statements run per chunk of keys (``execute_each``): a source, a chunk of ids.
_SOURCE = sa.bindparam("source")
_IDS = sa.bindparam("ids", expanding=True)
_PAIR_IDS = sa.bindparam("pair_ids", expanding=True)

#: Test hook: called with a step name inside the publish transaction (simulated crashes).
_step_hook: Callable[[str], None] | None = None


class ConservationError(RegistryError):
    """Records read do not equal records linked plus records quarantined: nothing was published."""


@dataclass(frozen=True)
class RunOutcome:
    """Everything a run decided, ready to publish.

    ``records``: standardised records with ``cluster`` (person label within this run): every record on a
    full rebuild; on an incremental run the new and changed records plus every live record of the
    ``touched`` persons. ``touched``: registry ids decided again (``None``: all). ``vanished``: keys
    (``source, record_id``) of records gone from their source (``None``: every held record of a source in
    ``rows_read`` that is not in ``records``). ``quarantine``: ``source, record_id, source_row, reason``
    of every source in ``rows_read``. ``pairs``: ``source_l, record_id_l, source_r, record_id_r, weight,
    probability, decision``. ``rows_read``: rows read per source (records + rejected rows).
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
    touched: frozenset[str] | None = None
    vanished: pd.DataFrame | None = None
    #: ``content_hashes(records)``, when the run computed them already (row by row).
    content_hashes: np.ndarray | None = None
    #: The model a full run trained (``matching.ScoredPairs.fitted``), stored for the next increments.
    match_model: dict[str, object] | None = None


@dataclass(frozen=True)
class PublishSummary:
    """What the run left in the registry, per source and in total."""

    run_id: str
    read: dict[str, int]
    linked: dict[str, int]
    quarantined: dict[str, int]
    persons: int
    new_persons: int
    merged: int = 0
    split: int = 0
    retired: int = 0
    deleted: int = 0

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
            "merged": self.merged,
            "split": self.split,
            "retired": self.retired,
            "deleted": self.deleted,
        }


def content_hashes(records: pd.DataFrame) -> np.ndarray:
    """A 16-hex-digit hash of each record's raw fields: equal content, equal hash (missing = empty).

    ``pd.util.hash_pandas_object`` of the fields (a frame of them) as strings, without its factorising
    pass (the fields are mostly distinct values), without building that frame (its object columns were
    copied into one block: 1.7 s of a 2M increment) and with the hex digits written by table lookup:
    the same hashes as hashing ``astype(str)`` columns, in about half the time (it runs over every record
    of every run).
    """
    columns = (_hashed_as(text_or_empty(records[name])) for name in RAW_FIELDS)
    hashed = (pd.util.hash_array(column, categorize=False) for column in columns)
    return _hex16(_combined(hashed, len(RAW_FIELDS), len(records)))


def _combined(hashes: Iterator[np.ndarray], count: int, length: int) -> np.ndarray:
    """``count`` columns' hashes combined row by row as ``hash_pandas_object`` combines a frame's
    (pandas' ``combine_hash_arrays``, CPython's tuple hash), one column at a time."""
    out = np.full(length, 0x345678, dtype=np.uint64)
    multiplier = np.uint64(1000003)
    seen = 0
    for position, column in enumerate(hashes):
        out ^= column
        out *= multiplier
        multiplier += np.uint64(82520 + 2 * (count - position))
        seen += 1
    if seen != count:
        raise ValueError(f"{seen} columns hashed, {count} expected")
    out += np.uint64(97531)
    return out


#: ``_hashed_as`` looks at this many values of a column, and treats it as categorical when they hold at
#: most ``_FEW_VALUES`` distinct ones.
_SAMPLE_VALUES, _FEW_VALUES = 1_000, 64


def _hashed_as(text: np.ndarray) -> np.ndarray | pd.Categorical:
    """A column of text as it is hashed fastest, for the same hashes: a categorical when its first values
    are few distinct ones (a field a source leaves empty, sex, a status: each distinct value is hashed
    once, as ``hash_pandas_object`` hashes a categorical), else the strings as they are (names, NIKs)."""
    if len(text) > _SAMPLE_VALUES and len(set(text[:_SAMPLE_VALUES])) <= _FEW_VALUES:
        return pd.Categorical(text)
    return text


_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _hex16(values: np.ndarray) -> np.ndarray:
    """Each uint64 as 16 lowercase hex digits (``"%016x"``), as an object array of str."""
    octets = values.astype(">u8").view(np.uint8).reshape(-1, 8)
    digits = np.empty((len(values), 16), dtype=np.uint8)
    digits[:, 0::2] = _HEX_DIGITS[octets >> 4]
    digits[:, 1::2] = _HEX_DIGITS[octets & 15]
    return digits.view("S16").ravel().astype(str).astype(object)


def _step(name: str) -> None:
    if _step_hook is not None:
        _step_hook(name)


def publish_run(
    engine: sa.Engine,
    outcome: RunOutcome,
    *,
    dry_run: bool = False,
    records_per_chunk: int = RECORDS_PER_CHUNK,
    staged: bool = True,
) -> PublishSummary:
    """Write the run's outcome into the registry in one transaction (see the module docstring).

    A full rebuild writes the records straight from ``outcome.records``' columns (no copy of the frame)
    and builds and writes the golden rows a chunk of whole persons at a time (about ``records_per_chunk``
    records), so its memory grows with the chunk, not with the registry. Same rows either way.
    ``staged``: on SQLite, a full rebuild's records may be bound by a helper process (``store.staging``);
    ``False``: always inserted by this one.
    """
    records = outcome.records
    if not (
        isinstance(records.index, pd.RangeIndex) and records.index.start == 0 and records.index.step == 1
    ):
        records = records.reset_index(drop=True)
    now = datetime.now(UTC)
    full = outcome.touched is None
    # the commit leaves SQLite's checkpoint to the caller (store.checkpoint)
    with engine.connect() as connection, deferred_checkpoint(connection), _staging_ends() as staging:
        summary = _publish_in_transaction(
            connection, outcome, records, now, full, dry_run, records_per_chunk, staging if staged else None
        )
    if dry_run:
        log.info(
            "run %s (dry run, rolled back) would leave %d persons, %d new",
            outcome.run_id,
            summary.persons,
            summary.new_persons,
        )
    else:
        log.info(
            "run %s published: %d persons, %d new, %d merged, %d split, %d records deleted",
            outcome.run_id,
            summary.persons,
            summary.new_persons,
            summary.merged,
            summary.split,
            summary.deleted,
        )
    return summary


def _publish_in_transaction(
    connection: sa.Connection,
    outcome: RunOutcome,
    records: pd.DataFrame,
    now: datetime,
    full: bool,
    dry_run: bool,
    records_per_chunk: int,
    staging: list[StagedRows] | None,
) -> PublishSummary:
    """``publish_run``'s transaction on ``connection``; rows staged in a helper (``store.staging``) are
    added to ``staging``, for the caller to close once the transaction ended (``None``: none staged)."""
    with connection.begin() as transaction:
        # an incremental run's records are new or belong to a touched person: only those are read back
        live = _live_records(connection, None if full else sorted(outcome.touched or ()))
        missing = sorted(set(live["source"]) - set(outcome.rows_read)) if full else []
        if missing:
            raise ConservationError(
                f"source {', '.join(missing)} is held but was neither read nor carried over by a full run: "
                "nothing was published"
            )
        if full:
            touched = set(connection.execute(sa.select(Person.registry_id)).scalars())
        else:
            touched = set(outcome.touched or ())
        keyed = records[_KEYS].merge(live, on=_KEYS, how="left")
        next_number = _next_number(connection)
        registry_ids, next_number = assign_registry_ids(
            records["cluster"].to_numpy(),
            keyed["registry_id"],
            next_number,
            keys=_key_ranks(records),
        )
        written = {
            "registry_id": registry_ids,
            "content_hash": (
                outcome.content_hashes
                if outcome.content_hashes is not None and len(outcome.content_hashes) == len(records)
                else content_hashes(records)
            ),
            "first_seen_run": keyed["first_seen_run"].fillna(outcome.run_id).to_numpy(dtype=object),
        }
        changes = id_changes(keyed["registry_id"], pd.Series(registry_ids, dtype=object), touched)
        vanished = _vanished(outcome, live, records)
        persons = None
        staged = None
        if full:
            # what a full rebuild still needs of the registry's records is in ``written`` and ``vanished``
            del live, keyed, touched
        else:
            persons = build_persons(records, outcome.programmes, outcome.run_id, registry_ids=registry_ids)
        if full and staging is not None:
            # the records' rows are bound in a helper process while this one writes the persons
            staged = stage_rows(
                connection,
                SourceRecord.__table__,
                outcome.run_id,
                _record_columns(records, outcome.run_id, written),
                len(records),
            )
            if staged is not None:
                staging.append(staged)
        _mark_deleted(connection, vanished, outcome.run_id, now)
        _step("deleted")
        if full:
            connection.execute(sa.delete(SourceRecord).where(SourceRecord.deleted_at.is_(None)))
            connection.execute(sa.delete(Person))
            connection.execute(sa.delete(MatchPair))
        else:
            # an incremental run rewrites only what it changed: a record with the same person and content
            # keeps its row (and the run and source row that wrote it), a person with the same golden row
            # keeps theirs
            _check_complete(live, records, vanished)
            same_content = keyed["content_hash"].to_numpy(dtype=object) == np.asarray(
                written["content_hash"], dtype=object
            )
            same = (keyed["registry_id"].to_numpy(dtype=object) == registry_ids) & same_content
            held_before = keyed["registry_id"].notna().to_numpy()
            _delete_records(connection, records.loc[held_before & ~same, _KEYS])
            _replace_pairs_of(connection, keyed[_KEYS], same_content, vanished)
            records = records[~same]
            written = {name: np.asarray(values, dtype=object)[~same] for name, values in written.items()}
            persons = _persons_to_write(connection, persons, touched)
        _delete_tombstones_of(connection, records)
        _step("cleared")
        if staged is None:
            _insert_columns(
                connection, SourceRecord, _record_columns(records, outcome.run_id, written), len(records)
            )
            _step("records")
        if persons is not None:
            _insert_frame(connection, Person, persons)
        else:
            for part in build_persons_in_chunks(
                records, registry_ids, outcome.programmes, outcome.run_id, records_per_chunk=records_per_chunk
            ):
                _insert_frame(connection, Person, part)
        _step("persons")
        connection.execute(
            sa.delete(QuarantineEntry).where(QuarantineEntry.source.in_(list(outcome.rows_read)))
        )
        _insert_frame(
            connection,
            QuarantineEntry,
            outcome.quarantine,
            ["source", "record_id", "source_row", "reason"],
            run_id=outcome.run_id,
        )
        _insert_frame(connection, MatchPair, outcome.pairs, _PAIR_COLUMNS, run_id=outcome.run_id)
        _write_history(connection, changes, outcome.run_id)
        _set_next_number(connection, next_number)
        if outcome.match_model is not None:
            write_match_model(connection, outcome.match_model)
        _step("history")
        if staged is not None:
            staged.copy_into(connection)
            _step("records")

        summary = PublishSummary(
            run_id=outcome.run_id,
            read=dict(outcome.rows_read),
            linked=_count_by_source(connection, SourceRecord),
            quarantined=_count_by_source(connection, QuarantineEntry),
            persons=int(connection.execute(sa.select(sa.func.count()).select_from(Person)).scalar_one()),
            new_persons=len(changes.new) + len(changes.splits),
            merged=len(changes.merges),
            split=len(changes.splits),
            retired=len(changes.retired),
            deleted=len(vanished),
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
        _step("run")
        if dry_run:
            transaction.rollback()
    return summary


@contextlib.contextmanager
def _staging_ends() -> Iterator[list[StagedRows]]:
    """A list for the rows a publish stages (``store.staging``), closed (helpers stopped, files removed)
    when the block ends: after the publish's transaction, committed or not."""
    staging: list[StagedRows] = []
    try:
        yield staging
    finally:
        for staged in staging:
            staged.close()


def _key_ranks(records: pd.DataFrame) -> np.ndarray:
    """Per record, an integer that sorts as its ``source|record_id`` string (the tie-break key of
    ``assign_registry_ids``, which uses only its order), without building that string per record.

    Within a source, ``source|`` is a common prefix: the order is the record ids'. Between sources, the
    strings first differ inside ``source|`` (no source name holding a ``|`` is a prefix of another's
    ``source|``), so the sources' ``source|`` order decides. A source name with ``|`` in it: the strings.
    """
    sources, names = pd.factorize(records["source"])
    if any("|" in str(name) for name in names) or not all(isinstance(name, str) for name in names):
        return (records["source"] + "|" + records["record_id"]).to_numpy(dtype=object)
    ids, unique_ids = factorize_sorted(records["record_id"].to_numpy(dtype=object))
    by_prefix = np.argsort(np.asarray([f"{name}|" for name in names], dtype=object), kind="stable")
    source_rank = np.empty(len(names), dtype=np.int64)
    source_rank[by_prefix] = np.arange(len(names))
    return source_rank[sources] * max(len(unique_ids), 1) + ids


def _live_records(connection: sa.Connection, registry_ids: Sequence[str] | None) -> pd.DataFrame:
    """Keys, registry id and first run of the live records (of ``registry_ids`` only, when given, with
    their content hash)."""
    selected = [
        SourceRecord.source,
        SourceRecord.record_id,
        SourceRecord.registry_id,
        SourceRecord.first_seen_run,
    ]
    if registry_ids is None:
        # a full rebuild: every live record, read in batches (no content hash: nothing is compared)
        return _read_columns(connection, sa.select(*selected).where(SourceRecord.deleted_at.is_(None)))
    statement = sa.select(*selected, SourceRecord.content_hash).where(
        SourceRecord.deleted_at.is_(None), SourceRecord.registry_id.in_(_IDS)
    )
    rows = execute_each(connection, statement, ({"ids": chunk} for chunk in chunks(registry_ids)))
    return _frame_of(rows, [column.name for column in statement.selected_columns])


def _read_columns(connection: sa.Connection, statement: sa.Select) -> pd.DataFrame:
    """The rows of ``statement`` as a frame of object columns, fetched ``_BATCH`` rows at a time through
    the driver's cursor (same transaction): no list of every row at once, as ``pd.read_sql`` builds."""
    compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    parameters = compiled.params
    if compiled.positional:
        parameters = tuple(parameters[name] for name in compiled.positiontup or ())
    names = [column.name for column in statement.selected_columns]
    values: list[list[object]] = [[] for _ in names]
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(str(compiled), parameters)
        while rows := cursor.fetchmany(_BATCH):
            for column, items in zip(values, zip(*rows, strict=True), strict=True):
                column.extend(items)
    finally:
        cursor.close()
    columns = {}
    for name, items in zip(names, values, strict=True):
        array = np.empty(len(items), dtype=object)
        array[:] = items
        columns[name] = array
    return pd.DataFrame(columns)


def _frame_of(rows: list[tuple], names: list[str]) -> pd.DataFrame:
    """A frame of object columns ``names`` from the rows' tuples."""
    values = np.empty((len(rows), len(names)), dtype=object)
    if rows:
        values[:] = rows
    return pd.DataFrame(values, columns=names)


def _check_complete(live: pd.DataFrame, records: pd.DataFrame, vanished: pd.DataFrame) -> None:
    """An incremental outcome holds every live record of its touched persons (or marks it vanished)."""
    accounted = set(_key_pairs(records)) | set(_key_pairs(vanished))
    missing = sum(key not in accounted for key in _key_pairs(live))
    if missing:
        raise ConservationError(
            f"{missing} live records of the persons decided again are neither in the run nor vanished: "
            "nothing was published"
        )


def _key_pairs(frame: pd.DataFrame) -> Iterator[tuple[str, str]]:
    """Each row's ``(source, record_id)``, as strings."""
    return zip(string_values(frame["source"]), string_values(frame["record_id"]), strict=True)


def _persons_to_write(connection: sa.Connection, persons: pd.DataFrame, touched: set[str]) -> pd.DataFrame:
    """The golden rows of ``persons`` that differ from the registry's (run aside); the registry's rows of
    the touched persons that are gone or differ are deleted."""
    columns = [column for column in persons.columns if column != "run_id"]
    selected = [getattr(Person, column) for column in columns]
    statement = sa.select(*selected).where(Person.registry_id.in_(_IDS))
    rows = execute_each(connection, statement, ({"ids": chunk} for chunk in chunks(sorted(touched))))
    before = {row[0]: row for row in rows}
    after = zip(*(persons[column].to_numpy(dtype=object) for column in columns), strict=True)
    # tuples compare value by value: None == None, True == 1 (SQLite's booleans), "a" == "a"
    same = np.fromiter((before.get(row[0]) == row for row in after), dtype=bool, count=len(persons))
    stale = (touched - set(persons["registry_id"])) | set(persons.loc[~same, "registry_id"])
    statement = sa.delete(Person).where(Person.registry_id.in_(_IDS))
    execute_each(connection, statement, ({"ids": chunk} for chunk in chunks(sorted(stale))))
    return persons[~same]


def _vanished(outcome: RunOutcome, live: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    if outcome.vanished is not None:
        return outcome.vanished.loc[:, _KEYS]
    held = live[live["source"].isin(list(outcome.rows_read))][_KEYS]
    present = held.merge(records[_KEYS], on=_KEYS, how="left", indicator=True)
    return present.loc[present["_merge"] == "left_only", _KEYS].reset_index(drop=True)


def _mark_deleted(connection: sa.Connection, vanished: pd.DataFrame, run_id: str, now: datetime) -> None:
    for source, chunk in ids_by_source(vanished):
        connection.execute(
            sa.update(SourceRecord)
            .where(
                SourceRecord.source == source,
                SourceRecord.record_id.in_(chunk),
                SourceRecord.deleted_at.is_(None),
            )
            .values(deleted_at=now, run_id=run_id)
        )


def _delete_tombstones_of(connection: sa.Connection, keys: pd.DataFrame) -> None:
    """Tombstones of records that are back in their source (they are written again as live records)."""
    tombstones = fetch_frame(
        connection,
        sa.select(SourceRecord.source, SourceRecord.record_id).where(SourceRecord.deleted_at.is_not(None)),
    )
    if tombstones.empty:
        return
    _delete_records(connection, tombstones.merge(keys.loc[:, _KEYS].astype(str), on=_KEYS))


def _delete_records(connection: sa.Connection, keys: pd.DataFrame) -> None:
    statement = sa.delete(SourceRecord).where(
        SourceRecord.source == _SOURCE, SourceRecord.record_id.in_(_IDS)
    )
    execute_each(connection, statement, _by_source(keys))


def _replace_pairs_of(
    connection: sa.Connection, keys: pd.DataFrame, same_content: np.ndarray, vanished: pd.DataFrame
) -> None:
    """Clear the stored pairs tonight's pairs replace, for the records decided again (``keys``; which of
    them kept their content: ``same_content``) and the ``vanished`` ones: every pair of a new, changed or
    vanished record (its content is not what was compared), and every pair of two records decided again
    (tonight's frame holds them both). A pair of an unchanged record decided again with a record that
    was not (a 'review' between two persons, one of them touched tonight) is not compared tonight and
    stays."""
    changed = ~np.asarray(same_content, dtype=bool)
    _delete_pairs_of(connection, pd.concat([keys.loc[changed, _KEYS], vanished.loc[:, _KEYS]]))
    unchanged = keys.loc[~changed, _KEYS]
    if unchanged.empty:
        return
    statement = sa.select(MatchPair.pair_id, MatchPair.source_r, MatchPair.record_id_r).where(
        MatchPair.source_l == _SOURCE, MatchPair.record_id_l.in_(_IDS)
    )
    rows = execute_each(connection, statement, _by_source(unchanged))
    if not rows:
        return
    pairs = pd.DataFrame(rows, columns=["pair_id", *_KEYS])
    decided = pairs.merge(unchanged.astype(str), on=_KEYS, how="inner")["pair_id"]
    execute_each(
        connection,
        sa.delete(MatchPair).where(MatchPair.pair_id.in_(_PAIR_IDS)),
        ({"pair_ids": [int(i) for i in chunk]} for chunk in chunks(sorted(decided.tolist()))),
    )


def _delete_pairs_of(connection: sa.Connection, keys: pd.DataFrame) -> None:
    chunked = list(_by_source(keys))
    for source, record_id in [
        (MatchPair.source_l, MatchPair.record_id_l),
        (MatchPair.source_r, MatchPair.record_id_r),
    ]:
        execute_each(connection, sa.delete(MatchPair).where(source == _SOURCE, record_id.in_(_IDS)), chunked)


def _by_source(keys: pd.DataFrame) -> Iterator[dict[str, object]]:
    """The parameters of ``_SOURCE`` and ``_IDS`` for each chunk of ``ids_by_source(keys)``."""
    for source, chunk in ids_by_source(keys):
        yield {"source": source, "ids": chunk}


def _write_history(connection: sa.Connection, changes: IdChanges, run_id: str) -> None:
    rows = [
        {"run_id": run_id, "kind": "merge", "registry_id": kept, "other_registry_id": retired, "records": n}
        for kept, retired, n in changes.merges
    ]
    rows += [
        {"run_id": run_id, "kind": "split", "registry_id": kept, "other_registry_id": new, "records": n}
        for kept, new, n in changes.splits
    ]
    rows += [
        {"run_id": run_id, "kind": "new", "registry_id": new, "other_registry_id": None, "records": None}
        for new in changes.new
    ]
    rows += [
        {"run_id": run_id, "kind": "retired", "registry_id": gone, "other_registry_id": None, "records": None}
        for gone in changes.retired
    ]
    _insert(connection, EntityHistory, rows)
    for kept, retired, _ in changes.merges:
        connection.execute(
            sa.update(RegistryIdRedirect)
            .where(RegistryIdRedirect.registry_id == retired)
            .values(registry_id=kept)
        )
        connection.execute(
            sa.insert(RegistryIdRedirect), {"retired_id": retired, "registry_id": kept, "run_id": run_id}
        )


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
    """Rows per source; for ``SourceRecord`` the live ones: all rows (counted on the key's index) less the
    tombstones (their partial index), instead of a scan of the whole table."""
    statement = sa.select(model.source, sa.func.count()).group_by(model.source)
    counts = {source: int(count) for source, count in connection.execute(statement)}
    if model is SourceRecord:
        tombstones = statement.where(SourceRecord.deleted_at.is_not(None))
        for source, count in connection.execute(tombstones):
            counts[source] -= int(count)
        counts = {source: count for source, count in counts.items() if count}
    return counts


def _insert(connection: sa.Connection, model: type, rows: Iterable[dict] | list[dict]) -> None:
    rows = list(rows)
    table = model.__table__
    for start in range(0, len(rows), _BATCH):
        connection.execute(sa.insert(table), rows[start : start + _BATCH])


def _insert_frame(
    connection: sa.Connection,
    model: type,
    frame: pd.DataFrame | None,
    columns: Sequence[str] | None = None,
    **constants: object,
) -> None:
    """Insert ``frame``'s ``columns`` (default: all; named as the table's), plus a column per
    ``constants`` (one value for every row), in bulk (``_insert_columns``); no copy of the frame."""
    if frame is None or frame.empty:
        return
    names = list(frame.columns) if columns is None else list(columns)
    values: dict[str, object] = {name: _typed_for(model, name, frame[name]) for name in names}
    values.update(constants)
    _insert_columns(connection, model, values, len(frame))


def _typed_for(model: type, name: str, column: pd.Series) -> pd.Series:
    """An integer column of the table given as floats (pandas makes whole numbers with a missing value
    float) as nullable integers: ``3``, not ``3.0``, for COPY; a fraction fails here, loudly."""
    target = model.__table__.columns.get(name)  # an unknown name is refused by _insert_columns
    integer = target is not None and isinstance(target.type, sa.Integer)
    return column.astype("Int64") if integer and pd.api.types.is_float_dtype(column.dtype) else column


def _insert_columns(connection: sa.Connection, model: type, columns: dict[str, object], length: int) -> None:
    """Insert ``length`` rows given column by column (a ``Series`` or array per column, positional, or one
    value for every row; missing values become NULL) in bulk: ``COPY`` on PostgreSQL, one prepared statement
    over batches of tuples on SQLite. Rows become Python tuples one batch at a time, so memory grows with
    the batch, not with the columns."""
    if not length:
        return
    table = model.__table__
    unknown = set(columns) - set(table.columns.keys())
    if unknown:
        raise ValueError(f"{table.name} has no column(s) {sorted(unknown)}")
    quote = connection.dialect.identifier_preparer.quote
    names = list(columns)
    target = f"{quote(table.name)} ({', '.join(quote(str(name)) for name in names)})"

    def batches() -> Iterable[list[tuple]]:
        for start in range(0, length, _BATCH):
            stop = min(start + _BATCH, length)
            parts = [_as_objects(column, start, stop) for column in columns.values()]
            yield list(zip(*parts, strict=True))

    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
        cursor = connection.connection.driver_connection.cursor()
        try:
            with cursor.copy(f"COPY {target} FROM STDIN") as copy:
                for rows in batches():
                    for row in rows:
                        copy.write_row(row)
        finally:
            cursor.close()
    elif connection.dialect.name == "sqlite":
        statement = f"INSERT INTO {target} VALUES ({', '.join('?' * len(names))})"
        for rows in batches():
            connection.exec_driver_sql(statement, rows)
    else:
        for rows in batches():
            _insert(connection, model, [dict(zip(names, row, strict=True)) for row in rows])


def _as_objects(column: object, start: int, stop: int) -> Sequence[object]:
    """Rows ``start:stop`` of a column as Python values (``astype(object)``), missing values as ``None``."""
    if isinstance(column, pd.Series):
        values = column.iloc[start:stop].to_numpy(dtype=object, copy=True)
    elif is_per_row(column):
        values = np.asarray(column[start:stop], dtype=object).copy()
    else:
        return [None if pd.isna(column) else column] * (stop - start)
    missing = pd.isna(values)
    if missing.any():
        values[missing] = None
    return values


_RECORD_COLUMNS = ["source", "record_id", "registry_id", "source_row", "content_hash", "first_seen_run"]
_PAIR_COLUMNS = ["source_l", "record_id_l", "source_r", "record_id_r", "weight", "probability", "decision"]


def _record_columns(records: pd.DataFrame, run_id: str, written: dict[str, np.ndarray]) -> dict[str, object]:
    """The ``source_records`` columns of ``records``, those in ``written`` (positional arrays) taken from
    it instead."""
    columns: dict[str, object] = {}
    for name in [*_RECORD_COLUMNS, *RAW_FIELDS, *STANDARD_FIELDS]:
        columns[name] = written[name] if name in written else records[name]
    columns["source_row"] = records["source_row"].astype("int64")
    columns["run_id"] = run_id
    return columns
