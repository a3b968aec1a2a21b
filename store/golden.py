"""Golden records: one row per registry person, built from that person's source records.

Each golden field is chosen by its survivorship rule (``store.survivorship``; by default: identity from
the civil registry, then the health insurer, then the employment insurer; the NIK that agrees with the
birth date and sex first; phone and address the most recent; occupation and worker category from the
employment insurer). ``provenance`` (JSON) names, for every golden field, the source record that
supplied it. Coverage flags say which programmes hold the person and whether that membership is active.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from matching.frames import take_rows
from matching.text import factorize_sorted
from store.survivorship import DEFAULT_SURVIVORSHIP, FieldRule, Survivorship, nik_agrees

__all__ = [
    "ACTIVE_STATUSES",
    "RECORDS_PER_CHUNK",
    "build_persons",
    "build_persons_in_chunks",
    "string_values",
]

#: Membership statuses that mean "covered now".
ACTIVE_STATUSES = frozenset({"AKTIF"})

#: Records per chunk of ``build_persons_in_chunks`` (whole persons: a chunk may hold a few more or, for a
#: person with more records than this, that person alone).
RECORDS_PER_CHUNK = 50_000

#: The record columns golden rows are built from, besides the survivorship rules' own columns.
_INPUT_COLUMNS = ("source", "record_id", "updated_at", "membership_status", "birth_date_std", "sex_std")


def build_persons(
    records: pd.DataFrame,
    programmes: dict[str, str],
    run_id: str,
    survivorship: Survivorship = DEFAULT_SURVIVORSHIP,
    *,
    registry_ids: np.ndarray | None = None,
) -> pd.DataFrame:
    """One golden row per ``registry_id`` in ``records`` (standardised records with ``registry_id``, or
    ``registry_ids``: one per record, positional), every column of Python objects (``None`` where
    missing)."""
    if registry_ids is None:
        registry_ids = records["registry_id"].to_numpy(dtype=object)
    keys = _SortKeys.of(records, registry_ids, programmes)
    ids = keys.registry_ids
    persons: dict[str, np.ndarray] = {"registry_id": ids}
    provenance: dict[str, np.ndarray] = {}
    for name, rule in survivorship.fields.items():
        column = records[rule.column].to_numpy(dtype=object)
        chosen = _survivor(column, records, rule, keys)  # per person: the row that gives the value, or -1
        found = chosen >= 0
        values = np.full(len(ids), None, dtype=object)
        values[found] = column[chosen[found]]
        persons[name] = values
        provenance[name] = chosen
    persons.update(_coverage(records, keys))
    persons["run_id"] = np.full(len(ids), run_id, dtype=object)
    persons["provenance"] = _provenance_json(records, provenance, len(ids))
    return pd.DataFrame(persons)


def _coverage(records: pd.DataFrame, keys: _SortKeys) -> dict[str, np.ndarray]:
    """Per person: the programmes holding them, those where a membership is active, their records."""
    statuses, names = pd.factorize(records["membership_status"])
    active_name = [str(name).upper().strip() in ACTIVE_STATUSES for name in names]
    active = np.asarray([*active_name, "" in ACTIVE_STATUSES], dtype=bool)[statuses]  # -1: missing
    health = keys.in_programme("health")
    employment = keys.in_programme("employment")
    flags = {
        "in_health": health,
        "in_employment": employment,
        "in_city": keys.in_programme("city"),
        "health_active": health & active,
        "employment_active": employment & active,
    }
    persons = len(keys.registry_ids)
    coverage = {
        name: (np.bincount(keys.person, weights=flag, minlength=persons) > 0).astype(object)
        for name, flag in flags.items()
    }
    coverage["record_count"] = np.bincount(keys.person, minlength=persons).astype(object)
    return coverage


def build_persons_in_chunks(
    records: pd.DataFrame,
    registry_ids: np.ndarray,
    programmes: dict[str, str],
    run_id: str,
    survivorship: Survivorship = DEFAULT_SURVIVORSHIP,
    records_per_chunk: int = RECORDS_PER_CHUNK,
) -> Iterator[pd.DataFrame]:
    """The golden rows of ``build_persons(records.assign(registry_id=registry_ids), ...)``, in the same
    order (by registry id) and with the same values, one chunk of whole persons at a time.

    A golden row needs all of its person's records, and only them (every survivorship order is among a
    person's own records), so a chunk of persons is built from their records alone. Each chunk copies only
    the columns the golden rows are built from, for its rows: memory grows with the chunk, not with
    ``records`` (``registry_ids``: one per row of ``records``, positional).
    """
    registry_ids = np.asarray(registry_ids, dtype=object)
    if len(registry_ids) != len(records):
        raise ValueError("one registry id per record is needed")
    codes, _ = factorize_sorted(registry_ids)
    order = np.argsort(codes, kind="stable")  # rows by person, persons by registry id
    ends = np.cumsum(np.bincount(codes)) if len(codes) else np.zeros(0, dtype=np.int64)
    wanted = [*_INPUT_COLUMNS, *(rule.column for rule in survivorship.fields.values())]
    columns = [
        column for column in dict.fromkeys(wanted) if column in records.columns and column != "registry_id"
    ]
    size = max(int(records_per_chunk), 1)
    start = 0
    while start < len(order):
        # the persons ending within ``size`` records of ``start``; at least the next one
        last = int(np.searchsorted(ends, start + size, side="right")) - 1
        if last < 0 or ends[last] <= start:
            last = int(np.searchsorted(ends, start, side="right"))
        stop = int(ends[last])
        rows = order[start:stop]
        # column by column: ``records.iloc[rows, columns]`` first copied the columns whole (every
        # record) and then took the rows; at 4M records that was 1.2 s per chunk, 96 s of a publish
        part = take_rows(records, rows, columns)
        yield build_persons(part, programmes, run_id, survivorship, registry_ids=registry_ids[rows])
        start = stop


@dataclass(frozen=True)
class _SortKeys:
    """Integer sort keys of the records, shared by every field's survivorship: the person's position
    among the sorted registry ids, the source and the record id (each in string order), the recency; and
    each record's programme."""

    person: np.ndarray
    source: np.ndarray
    record: np.ndarray
    recent: np.ndarray  # 0 = most recent
    registry_ids: np.ndarray
    programme_of: np.ndarray  # per record: its source's position in ``programmes``
    programmes: np.ndarray  # per distinct source, its programme (``source.map(programmes)``); last: none
    #: record orders shared by the rules that sort alike (``_survivor``)
    orders: dict[tuple, np.ndarray] = field(default_factory=dict)

    @classmethod
    def of(cls, frame: pd.DataFrame, registry_ids: np.ndarray, programmes: dict[str, str]) -> _SortKeys:
        person, registry_ids = factorize_sorted(np.asarray(registry_ids, dtype=object))
        source, _ = factorize_sorted(string_values(frame["source"]))
        record, _ = factorize_sorted(string_values(frame["record_id"]))
        recent, _ = factorize_sorted(string_values(frame["updated_at"].fillna("")))
        # the programme of each distinct source, then of each record
        programme_of, sources = pd.factorize(frame["source"])
        held = pd.Series(sources, dtype=object).map(programmes).to_numpy(dtype=object)
        return cls(
            person,
            source,
            record,
            recent.max(initial=0) - recent,
            np.asarray(registry_ids, dtype=object),
            programme_of,
            np.append(held, np.nan),  # position -1: a record without a source
        )

    def priority(self, order: tuple[str, ...]) -> np.ndarray:
        """Per record, its programme's position in ``order`` (no programme, or one not in it: last)."""
        rank = {name: position for position, name in enumerate(order)}
        by_source = [rank.get(name, len(rank)) for name in self.programmes]
        return np.asarray(by_source, dtype=np.int64)[self.programme_of]

    def in_programme(self, name: str) -> np.ndarray:
        """Per record, whether its source belongs to programme ``name``."""
        return np.asarray(self.programmes == name, dtype=bool)[self.programme_of]


def string_values(column: pd.Series) -> np.ndarray:
    """``column.astype(str)`` as an object array; no copy when it holds only strings."""
    values = column.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(values, skipna=False) == "string":
        return values
    return column.astype(str).to_numpy(dtype=object)


def _has_value(values: np.ndarray) -> np.ndarray:
    """Where a value is present and not blank (``str(value).strip()`` not empty)."""
    present = pd.notna(values)
    given = values[present]
    if pd.api.types.infer_dtype(given, skipna=False) == "string":
        # blank: empty or only whitespace (what ``strip`` removes), found without a copy of each string
        present[present] = (given != "") & ~np.fromiter(map(str.isspace, given), bool, len(given))
    else:
        present[present] = [bool(str(value).strip()) for value in given]
    return present


def _survivor(column: np.ndarray, frame: pd.DataFrame, rule: FieldRule, keys: _SortKeys) -> np.ndarray:
    """Per registry id (in ``keys.registry_ids`` order), the row number of the record whose value in
    ``column`` (the rule's) survives, or -1 where no record has one.

    Order among a person's records with a value: the NIK that agrees with the birth date and sex first
    (``consistent_nik``), then the most recent (``most_recent``) or the longest (``most_complete``)
    value, then the rule's programme priority, then source and record id.
    """
    has = _has_value(column)
    if rule.rule == "most_complete" or rule.consistent_nik:
        rows = np.flatnonzero(has)
        ordered = rows[_lexsort(_order_keys(rule, keys, rows, column, frame))]
    else:
        # an order that does not depend on the values: every record sorted once for the rules alike, then
        # those with a value kept (in the same order, as the sort is stable)
        shared = (rule.rule, rule.priority)
        if shared not in keys.orders:
            everyone = np.arange(len(column))
            keys.orders[shared] = _lexsort(_order_keys(rule, keys, everyone, column, frame))
        order = keys.orders[shared]
        ordered = order[has[order]]
    first = np.ones(len(ordered), dtype=bool)
    first[1:] = keys.person[ordered[1:]] != keys.person[ordered[:-1]]
    chosen = np.full(len(keys.registry_ids), -1, dtype=np.int64)
    chosen[keys.person[ordered[first]]] = ordered[first]
    return chosen


def _order_keys(
    rule: FieldRule, keys: _SortKeys, rows: np.ndarray, column: np.ndarray, frame: pd.DataFrame
) -> list[np.ndarray]:
    """The sort keys of ``rows`` under ``rule``, for ``np.lexsort`` (the last key first)."""
    order_keys: list[np.ndarray] = [keys.record[rows], keys.source[rows], keys.priority(rule.priority)[rows]]
    if rule.rule == "most_recent":
        order_keys.append(keys.recent[rows])
    elif rule.rule == "most_complete":
        order_keys.append(-np.fromiter((len(str(value)) for value in column[rows]), np.int64, len(rows)))
    if rule.consistent_nik:
        order_keys.append(_nik_order(column[rows], frame, rows, keys.person[rows]))
    order_keys.append(keys.person[rows])
    return order_keys


def _nik_order(niks: np.ndarray, frame: pd.DataFrame, rows: np.ndarray, person: np.ndarray) -> np.ndarray:
    """Per row: 0 where its NIK agrees with its birth date and sex, 1 where not, 2 where unknown.

    Worked out only for the persons whose rows differ in NIK, birth date or sex (a few in a hundred):
    where they are all alike, so is the answer, and it cannot change that person's order (0 there).
    """
    birth_dates = frame["birth_date_std"].to_numpy(dtype=object)[rows]
    sexes = frame["sex_std"].to_numpy(dtype=object)[rows]
    order = np.zeros(len(rows), dtype=np.int64)
    differ = _differ_within(person, [niks, birth_dates, sexes])
    if differ.any():
        agrees = nik_agrees(
            pd.Series(niks[differ]), pd.Series(birth_dates[differ]), pd.Series(sexes[differ])
        ).astype("boolean")
        # agreeing first, then not agreeing, then unknown
        order[differ] = np.where(agrees.isna().to_numpy(), 2, np.where(agrees.fillna(False), 0, 1))
    return order


def _differ_within(person: np.ndarray, columns: list[np.ndarray]) -> np.ndarray:
    """Per row: whether the rows of its ``person`` hold different values in any of ``columns``."""
    slot = person + 1  # a record without a registry id (-1) too
    persons = int(slot.max(initial=0)) + 1
    differ = np.zeros(persons, dtype=bool)
    for values in columns:
        codes, _ = pd.factorize(values)  # missing: -1
        low = np.full(persons, len(values), dtype=np.int64)
        high = np.full(persons, -1, dtype=np.int64)
        np.minimum.at(low, slot, codes)
        np.maximum.at(high, slot, codes)
        differ |= low != high
    return differ[slot]


def _lexsort(order_keys: list[np.ndarray]) -> np.ndarray:
    """``np.lexsort(order_keys)``, as a stable argsort of one integer that combines the keys when their
    ranges multiply to less than 2**63 (a few times faster than sorting key by key)."""
    lows = [int(key.min()) if len(key) else 0 for key in order_keys]
    spans = [int(key.max()) - low + 1 if len(key) else 1 for key, low in zip(order_keys, lows, strict=True)]
    if math.prod(spans) >= 2**63:
        return np.lexsort(order_keys)
    combined = np.zeros(len(order_keys[0]), dtype=np.int64)
    for key, low, span in zip(order_keys[::-1], lows[::-1], spans[::-1], strict=True):
        combined = combined * span + (key - low)
    return np.argsort(combined, kind="stable")


#: What ``json.dumps`` writes for a ``str`` (the encoder's own function).
_json_string = json.encoder.encode_basestring_ascii


def _provenance_json(frame: pd.DataFrame, provenance: dict[str, np.ndarray], persons: int) -> np.ndarray:
    """Per person, ``{"field": [source, record_id], ...}`` (fields sorted, as ``json.dumps(sort_keys)``)
    for every field a record supplied."""
    pair = "[" + _json_strings(frame["source"]) + ", " + _json_strings(frame["record_id"]) + "]"
    items = []
    for name in sorted(provenance):
        chosen = provenance[name]
        found = chosen >= 0
        item = np.full(persons, "", dtype=object)
        item[found] = json.dumps(name) + ": " + pair[chosen[found]]
        items.append(item)
    written = np.full(persons, "{}", dtype=object)
    if items:
        written[:] = ["{" + ", ".join(filter(None, fields)) + "}" for fields in zip(*items, strict=True)]
    return written


def _json_strings(column: pd.Series) -> np.ndarray:
    """``json.dumps`` of each value (a string through the encoder's own function, without the rest)."""
    written = [_json_string(value) if type(value) is str else json.dumps(value) for value in column]
    return np.asarray(written, dtype=object)
