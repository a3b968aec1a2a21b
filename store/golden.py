"""Golden records: one row per registry person, built from that person's source records.

Each golden field is chosen by its survivorship rule (``store.survivorship``; by default: identity from
the civil registry, then the health insurer, then the employment insurer; the NIK that agrees with the
birth date and sex first; phone and address the most recent; occupation and worker category from the
employment insurer). ``provenance`` (JSON) names, for every golden field, the source record that
supplied it. Coverage flags say which programmes hold the person and whether that membership is active.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from store.survivorship import DEFAULT_SURVIVORSHIP, FieldRule, Survivorship, nik_agrees

__all__ = ["ACTIVE_STATUSES", "RECORDS_PER_CHUNK", "build_persons", "build_persons_in_chunks"]

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
) -> pd.DataFrame:
    """One golden row per ``registry_id`` in ``records`` (standardised records with ``registry_id``)."""
    programme = records["source"].map(programmes)
    frame = records.assign(_programme=programme).reset_index(drop=True)
    keys = _SortKeys.of(frame)
    ids = keys.registry_ids
    golden = pd.DataFrame(index=pd.Index(ids, name="registry_id"))
    provenance: dict[str, np.ndarray] = {}
    for name, rule in survivorship.fields.items():
        chosen = _survivor(frame, rule, keys)  # per person: the row that gives the value, or -1
        found = chosen >= 0
        values = np.full(len(ids), None, dtype=object)
        values[found] = frame[rule.column].to_numpy(dtype=object)[chosen[found]]
        golden[name] = values
        provenance[name] = chosen
    status = frame["membership_status"].fillna("").astype(str).str.upper().str.strip()
    flags = pd.DataFrame(
        {
            "registry_id": frame["registry_id"],
            "in_health": programme.eq("health"),
            "in_employment": programme.eq("employment"),
            "in_city": programme.eq("city"),
            "health_active": programme.eq("health") & status.isin(ACTIVE_STATUSES),
            "employment_active": programme.eq("employment") & status.isin(ACTIVE_STATUSES),
        }
    )
    coverage = flags.groupby("registry_id", sort=True).any()
    coverage["record_count"] = frame.groupby("registry_id", sort=True).size()
    persons = golden.join(coverage)
    persons["run_id"] = run_id
    persons["provenance"] = _provenance_json(frame, provenance, len(ids))
    persons = persons.astype(object).where(persons.notna(), None)
    return persons.reset_index()


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
    codes, _ = pd.factorize(registry_ids, sort=True)
    order = np.argsort(codes, kind="stable")  # rows by person, persons by registry id
    ends = np.cumsum(np.bincount(codes)) if len(codes) else np.zeros(0, dtype=np.int64)
    wanted = [*_INPUT_COLUMNS, *(rule.column for rule in survivorship.fields.values())]
    columns = [
        column for column in dict.fromkeys(wanted) if column in records.columns and column != "registry_id"
    ]
    positions = [records.columns.get_loc(column) for column in columns]
    size = max(int(records_per_chunk), 1)
    start = 0
    while start < len(order):
        # the persons ending within ``size`` records of ``start``; at least the next one
        last = int(np.searchsorted(ends, start + size, side="right")) - 1
        if last < 0 or ends[last] <= start:
            last = int(np.searchsorted(ends, start, side="right"))
        stop = int(ends[last])
        rows = order[start:stop]
        part = records.iloc[rows, positions].reset_index(drop=True)
        part["registry_id"] = registry_ids[rows]
        yield build_persons(part, programmes, run_id, survivorship)
        start = stop


@dataclass(frozen=True)
class _SortKeys:
    """Integer sort keys of the records, shared by every field's survivorship: the person's position
    among the sorted registry ids, the source and the record id (each in string order), the recency."""

    person: np.ndarray
    source: np.ndarray
    record: np.ndarray
    recent: np.ndarray  # 0 = most recent
    registry_ids: np.ndarray

    @classmethod
    def of(cls, frame: pd.DataFrame) -> _SortKeys:
        person, registry_ids = pd.factorize(frame["registry_id"], sort=True)
        source, _ = pd.factorize(frame["source"].astype(str), sort=True)
        record, _ = pd.factorize(frame["record_id"].astype(str), sort=True)
        recent, _ = pd.factorize(frame["updated_at"].fillna("").astype(str), sort=True)
        return cls(
            person, source, record, recent.max(initial=0) - recent, np.asarray(registry_ids, dtype=object)
        )


def _survivor(frame: pd.DataFrame, rule: FieldRule, keys: _SortKeys) -> np.ndarray:
    """Per registry id (in ``keys.registry_ids`` order), the row number of the record whose value
    survives, or -1 where no record has one.

    Order among a person's records with a value: the NIK that agrees with the birth date and sex first
    (``consistent_nik``), then the most recent (``most_recent``) or the longest (``most_complete``)
    value, then the rule's programme priority, then source and record id.
    """
    values = frame[rule.column]
    has = (values.notna() & values.astype(str).str.strip().ne("")).to_numpy()
    rows = np.flatnonzero(has)
    rank = {name: position for position, name in enumerate(rule.priority)}
    priority = frame["_programme"].map(rank).fillna(len(rank)).to_numpy(dtype=np.int64)[rows]
    # np.lexsort sorts by the last key first
    order_keys: list[np.ndarray] = [keys.record[rows], keys.source[rows], priority]
    if rule.rule == "most_recent":
        order_keys.append(keys.recent[rows])
    elif rule.rule == "most_complete":
        order_keys.append(-values.iloc[rows].astype(str).str.len().to_numpy(dtype=np.int64))
    if rule.consistent_nik:
        agrees = nik_agrees(
            values.iloc[rows], frame["birth_date_std"].iloc[rows], frame["sex_std"].iloc[rows]
        )
        # agreeing first, then not agreeing, then unknown
        agrees = agrees.astype("boolean")
        order_keys.append(np.where(agrees.isna().to_numpy(), 2, np.where(agrees.fillna(False), 0, 1)))
    order_keys.append(keys.person[rows])
    ordered = rows[np.lexsort(order_keys)]
    first = np.ones(len(ordered), dtype=bool)
    first[1:] = keys.person[ordered[1:]] != keys.person[ordered[:-1]]
    chosen = np.full(len(keys.registry_ids), -1, dtype=np.int64)
    chosen[keys.person[ordered[first]]] = ordered[first]
    return chosen


def _provenance_json(frame: pd.DataFrame, provenance: dict[str, np.ndarray], persons: int) -> list[str]:
    """Per person, ``{"field": [source, record_id], ...}`` (fields sorted, as ``json.dumps(sort_keys)``)
    for every field a record supplied."""
    pair = [
        json.dumps([source, record_id])
        for source, record_id in zip(frame["source"], frame["record_id"], strict=True)
    ]
    pair = np.asarray(pair, dtype=object)
    parts = np.full(persons, "", dtype=object)
    separator = np.full(persons, "", dtype=object)
    for name in sorted(provenance):
        chosen = provenance[name]
        found = chosen >= 0
        item = np.full(persons, "", dtype=object)
        item[found] = json.dumps(name) + ": " + pair[chosen[found]]
        parts = np.where(found, parts + separator + item, parts)
        separator = np.where(found | (separator != ""), ", ", separator)
    return list("{" + parts + "}")
