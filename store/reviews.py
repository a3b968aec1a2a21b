"""The stewards' review loop: the queue of doubtful pairs, their decisions, and the constraints they make.

A decision is keyed by the two records it is about — ``(source, record_id)`` on each side, in a fixed
order — never by ``pair_id``, which is renumbered by every run. It keeps who decided, when, and each
record's content hash at that moment: when a record later changes (its hash differs), the decision is
*stale* and is shown again for another look. Every run applies the latest decision of each pair as a
must-link ("match") or cannot-link ("non-match") constraint that overrides the model.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy import DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from connectors.errors import RegistryError
from store.keys import ids_by_source
from store.models import Base, MatchPair, Run, SourceRecord

__all__ = [
    "DECISIONS",
    "QUEUE_FIELDS",
    "ReviewDecision",
    "ReviewError",
    "decision_constraints",
    "decisions_since_last_run",
    "read_decisions",
    "record_decision",
    "review_queue_page",
    "review_queue",
    "steward_constraints",
]

log = logging.getLogger(__name__)

#: What a steward can decide about a pair.
DECISIONS = ("match", "non-match")
#: The record fields shown side by side for a pair (raw, as the agency sent them).
QUEUE_FIELDS = ("full_name", "nik", "birth_date", "sex", "phone", "kelurahan", "kecamatan", "occupation")
#: The standardised column each queue field is compared on (``<field>_cmp_l`` / ``_r`` in the queue), so
#: that ``07-10-1994`` and ``1994-10-07`` read as the same birth date.
COMPARED_ON = {
    "full_name": "name_std",
    "nik": "nik_std",
    "birth_date": "birth_date_std",
    "sex": "sex_std",
    "phone": "phone_std",
    "kelurahan": "kelurahan_std",
    "kecamatan": "kecamatan_std",
}
_KEY = ["source_l", "record_id_l", "source_r", "record_id_r"]


class ReviewError(RegistryError):
    """A review command cannot be carried out (unknown pair id, unknown decision)."""


class ReviewDecision(Base):
    """One steward decision about two source records (the latest one per pair counts)."""

    __tablename__ = "review_decisions"
    __table_args__ = (Index("ix_review_decisions_pair", *_KEY),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_l: Mapped[str] = mapped_column(String(32))
    record_id_l: Mapped[str] = mapped_column(String(64))
    source_r: Mapped[str] = mapped_column(String(32))
    record_id_r: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(DateTime)
    content_hash_l: Mapped[str | None] = mapped_column(String(32))
    content_hash_r: Mapped[str | None] = mapped_column(String(32))


def _ordered(left: tuple[str, str], right: tuple[str, str]) -> tuple[str, str, str, str]:
    first, second = sorted([left, right])
    return (*first, *second)


def _has_decisions_table(connection: sa.Connection) -> bool:
    return sa.inspect(connection).has_table(ReviewDecision.__tablename__)


def record_decision(
    engine: sa.Engine, pair_id: int, decision: str, *, by: str, note: str | None = None
) -> dict[str, object]:
    """Store a steward's decision about the pair ``pair_id`` of the current registry; returns its key."""
    if decision not in DECISIONS:
        raise ReviewError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    with engine.begin() as connection:
        pair = connection.execute(
            sa.select(
                MatchPair.source_l, MatchPair.record_id_l, MatchPair.source_r, MatchPair.record_id_r
            ).where(MatchPair.pair_id == int(pair_id))
        ).first()
        if pair is None:
            raise ReviewError(f"the registry holds no pair {pair_id}; see `registry review list`")
        key = dict(zip(_KEY, _ordered((pair[0], pair[1]), (pair[2], pair[3])), strict=True))
        hashes = _content_hashes(
            connection, [(key["source_l"], key["record_id_l"]), (key["source_r"], key["record_id_r"])]
        )
        connection.execute(
            sa.insert(ReviewDecision),
            {
                **key,
                "decision": decision,
                "note": note,
                "decided_by": by,
                "decided_at": datetime.now(UTC).replace(tzinfo=None),
                "content_hash_l": hashes.get((key["source_l"], key["record_id_l"])),
                "content_hash_r": hashes.get((key["source_r"], key["record_id_r"])),
            },
        )
    log.info("pair %s decided %s by a steward", pair_id, decision)
    return key


def _read_records(connection: sa.Connection, keys: pd.DataFrame, columns: list) -> pd.DataFrame:
    """``columns`` of the source records named by ``keys`` (``source, record_id``), read by key."""
    statement = sa.select(*columns)
    parts = [
        pd.read_sql(
            statement.where(SourceRecord.source == source, SourceRecord.record_id.in_(chunk)),
            connection,
            dtype=object,
        )
        for source, chunk in ids_by_source(keys)
    ]
    if not parts:
        return pd.read_sql(statement.where(sa.false()), connection, dtype=object)
    return pd.concat(parts, ignore_index=True)


def _content_hashes(connection: sa.Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    condition = sa.or_(*(sa.and_(SourceRecord.source == s, SourceRecord.record_id == r) for s, r in keys))
    rows = connection.execute(
        sa.select(SourceRecord.source, SourceRecord.record_id, SourceRecord.content_hash).where(condition)
    )
    return {(source, record_id): content_hash for source, record_id, content_hash in rows}


def read_decisions(engine: sa.Engine) -> pd.DataFrame:
    """The latest decision of every decided pair, with ``stale`` (a record changed or is gone since).

    Columns: the pair key, ``decision, note, decided_by, decided_at, stale``.
    """
    columns = [*_KEY, "decision", "note", "decided_by", "decided_at", "stale"]
    with engine.connect() as connection:
        if not _has_decisions_table(connection):
            return pd.DataFrame(columns=columns)
        decisions = pd.read_sql(sa.select(ReviewDecision).order_by(ReviewDecision.id), connection)
        if decisions.empty:
            return pd.DataFrame(columns=columns)
        latest = decisions.drop_duplicates(_KEY, keep="last").reset_index(drop=True)
        keys = pd.concat(
            [
                latest[[f"source_{side}", f"record_id_{side}"]].set_axis(["source", "record_id"], axis=1)
                for side in ("l", "r")
            ],
            ignore_index=True,
        )
        current = _read_records(
            connection, keys, [SourceRecord.source, SourceRecord.record_id, SourceRecord.content_hash]
        )
    stale = np.zeros(len(latest), dtype=bool)
    for side in ("l", "r"):
        now = latest[[f"source_{side}", f"record_id_{side}"]].merge(
            current,
            left_on=[f"source_{side}", f"record_id_{side}"],
            right_on=["source", "record_id"],
            how="left",
        )["content_hash"]
        stale |= (now.isna() | (now.to_numpy() != latest[f"content_hash_{side}"].to_numpy())).to_numpy()
    return latest.assign(stale=stale).loc[:, columns]


def decision_constraints(decisions: pd.DataFrame, std: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``(must_link, cannot_link)``: (k, 2) positional int64 row numbers into ``std`` for the decisions
    whose two records are both in ``std`` (decisions about records not in this run are left aside)."""
    empty = np.empty((0, 2), dtype=np.int64)
    if decisions.empty or std.empty:
        return empty, empty.copy()
    frame = std.reset_index(drop=True)
    position = pd.Series(
        np.arange(len(frame), dtype=np.int64),
        index=pd.MultiIndex.from_arrays([frame["source"].astype(str), frame["record_id"].astype(str)]),
    )
    position = position[~position.index.duplicated()]
    left = pd.MultiIndex.from_arrays(
        [decisions["source_l"].astype(str), decisions["record_id_l"].astype(str)]
    )
    right = pd.MultiIndex.from_arrays(
        [decisions["source_r"].astype(str), decisions["record_id_r"].astype(str)]
    )
    left_at = position.reindex(left).to_numpy()
    right_at = position.reindex(right).to_numpy()
    present = ~(np.isnan(left_at.astype(float)) | np.isnan(right_at.astype(float)))
    pairs = np.column_stack([left_at[present], right_at[present]]).astype(np.int64).reshape(-1, 2)
    kind = decisions["decision"].to_numpy()[present]
    return pairs[kind == "match"], pairs[kind == "non-match"]


def steward_constraints(engine: sa.Engine, std: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The stored decisions as ``(must_link, cannot_link)`` for the standardised frame of a run."""
    decisions = read_decisions(engine)
    must_link, cannot_link = decision_constraints(decisions, std)
    if len(decisions):
        log.info(
            "steward decisions: %d stored, %d must-link and %d cannot-link apply to this run",
            len(decisions),
            len(must_link),
            len(cannot_link),
        )
    return must_link, cannot_link


def review_queue(
    engine: sa.Engine, *, include_decided: bool = False, limit: int | None = None
) -> pd.DataFrame:
    """The current registry's pairs in the doubtful band (``decision == 'review'``), highest weight first,
    with both records' fields (``<field>_l``, ``<field>_r``; raw, unmasked) and any decision on them.

    Pairs with a current (not stale) decision are left out unless ``include_decided``; pairs of any
    band whose decision went stale are always in (``stale`` True), first. ``limit``: only the first
    pairs (see ``review_queue_page``).
    """
    decisions = read_decisions(engine)
    with engine.connect() as connection:
        queue, _ = review_queue_page(connection, decisions, include_decided=include_decided, limit=limit)
    return queue


def review_queue_page(
    connection: sa.Connection,
    decisions: pd.DataFrame,
    *,
    include_decided: bool = False,
    limit: int | None = None,
) -> tuple[pd.DataFrame, int]:
    """The first ``limit`` pairs of ``review_queue`` (all: ``None``) and how many pairs the queue holds;
    ``decisions``: ``read_decisions``. Only the shown pairs' records are read."""
    pairs = _queue_pairs(connection, decisions)
    status = _keyed(pairs).merge(
        decisions[[*_KEY, "decision", "decided_by", "decided_at", "note", "stale"]], on=_KEY, how="left"
    )
    decided = status["decision"].notna().to_numpy()
    stale = status["stale"].to_numpy(dtype=object) == True  # noqa: E712  (missing: no decision)
    keep = ((pairs["band"].to_numpy() == "review") & (include_decided | ~decided)) | stale
    queue = pairs[keep].assign(
        decision=status.loc[keep, "decision"].to_numpy(),
        decided_by=status.loc[keep, "decided_by"].to_numpy(),
        decided_at=status.loc[keep, "decided_at"].to_numpy(),
        stale=stale[keep],
    )
    shown = queue.sort_values(["stale", "weight"], ascending=[False, False], kind="stable")
    if limit is not None:
        shown = shown.head(limit)
    return _with_records(connection, shown), len(queue)


def _queue_pairs(connection: sa.Connection, decisions: pd.DataFrame) -> pd.DataFrame:
    """The pairs in the review band and the (few) pairs a steward decided, whatever their band now, by
    ``pair_id``: ``pair_id``, the pair's key as stored, ``weight, band``."""
    statement = sa.select(
        MatchPair.pair_id,
        *(getattr(MatchPair, c) for c in _KEY),
        MatchPair.weight,
        MatchPair.decision.label("band"),
    )
    pairs = pd.read_sql(statement.where(MatchPair.decision == "review"), connection)
    if len(decisions):
        others = [
            pd.read_sql(
                statement.where(
                    MatchPair.decision != "review",
                    getattr(MatchPair, f"source_{side}") == source,
                    getattr(MatchPair, f"record_id_{side}").in_(chunk),
                ),
                connection,
            )
            for side in ("l", "r")
            for source, chunk in ids_by_source(_records_of(decisions).drop_duplicates())
        ]
        found = [frame for frame in (pairs, *others) if len(frame)]
        if found:
            pairs = pd.concat(found, ignore_index=True).drop_duplicates("pair_id")
    return pairs.sort_values("pair_id", kind="stable").reset_index(drop=True)


def _keyed(pairs: pd.DataFrame) -> pd.DataFrame:
    """``pair_id`` and the pair's key in the decisions' order (``(source, record_id)`` sorted)."""
    sides = zip(pairs["source_l"], pairs["record_id_l"], pairs["source_r"], pairs["record_id_r"], strict=True)
    ordered = [_ordered((a, b), (c, d)) for a, b, c, d in sides]
    keys = pd.DataFrame(ordered, columns=_KEY, dtype=object) if ordered else pd.DataFrame(columns=_KEY)
    return pd.concat([pairs[["pair_id"]], keys], axis=1)


def _records_of(pairs: pd.DataFrame) -> pd.DataFrame:
    """The ``source, record_id`` of both sides of ``pairs``."""
    return pd.concat(
        [
            pairs[[f"source_{side}", f"record_id_{side}"]].set_axis(["source", "record_id"], axis=1)
            for side in ("l", "r")
        ],
        ignore_index=True,
    )


def _with_records(connection: sa.Connection, queue: pd.DataFrame) -> pd.DataFrame:
    """``queue`` with both records' ``registry_id``, queue fields and compared values (``<name>_l``,
    ``<name>_r``), raw."""
    fields = [getattr(SourceRecord, name) for name in QUEUE_FIELDS]
    fields += [getattr(SourceRecord, column).label(f"{name}_cmp") for name, column in COMPARED_ON.items()]
    records = _read_records(
        connection,
        _records_of(queue),
        [SourceRecord.source, SourceRecord.record_id, SourceRecord.registry_id, *fields],
    )
    for side in ("l", "r"):
        renamed = records.rename(
            columns={
                name: f"{name}_{side}"
                for name in ("registry_id", *QUEUE_FIELDS, *(f"{field}_cmp" for field in COMPARED_ON))
            }
            | {"source": f"source_{side}", "record_id": f"record_id_{side}"}
        )
        queue = queue.merge(renamed, on=[f"source_{side}", f"record_id_{side}"], how="left")
    return queue.reset_index(drop=True)


def decisions_since_last_run(engine: sa.Engine) -> int:
    """How many decisions were stored after the latest published run started.

    An incremental run re-decides only the persons its new and changed records touch, so a fresh
    decision about untouched records would wait; the flow runs every person again when this is non-zero.
    """
    with engine.connect() as connection:
        if not _has_decisions_table(connection):
            return 0
        last = connection.execute(sa.select(sa.func.max(Run.started_at))).scalar()
        statement = sa.select(sa.func.count()).select_from(ReviewDecision)
        if last is not None:
            if isinstance(last, str):
                last = datetime.fromisoformat(last)
            statement = statement.where(ReviewDecision.decided_at > last.replace(tzinfo=None))
        count = int(connection.execute(statement).scalar_one())
    if count:
        log.info("%d steward decisions since the last run: every person is decided again", count)
    return count
