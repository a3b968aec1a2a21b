"""Read a GX validation result back into expectation outcomes and quarantine rows.

GX is the source of truth: the rows quarantined are exactly the ``source_row`` ids that the critical
expectations (``severity: critical``) list as unexpected in the result. The one decision taken here is
which row of a repeated record id stays: GX's uniqueness check flags every row carrying the id; the
one first in the source (lowest ``source_row``) is kept and the others are quarantined as
"duplicate of row N". Rows whose id is missing, blank or too long to be an id are quarantined under
a generated id ``<source>@row<source_row>`` (``source_row`` is the file line for a CSV source), so that
the quarantine export can still list them, and are not also reported as duplicates of each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from expectations.errors import ValidationRunError
from expectations.outcomes import QUARANTINE_COLUMNS, ExpectationOutcome, empty_quarantine_frame
from expectations.runner import ID_COLUMN
from expectations.suites import CRITICAL

__all__ = ["REASON_SEPARATOR", "CheckResult", "derive_quarantine", "generated_record_id", "read_results"]

#: Joins the reasons of a row that fails several critical expectations.
REASON_SEPARATOR = "; "

#: Critical rules on ``record_id`` that mean "this row has no usable record id".
_NO_RECORD_ID_RULES = frozenset({"missing", "empty", "too long"})


def generated_record_id(source: str, source_row: int) -> str:
    """The id a row without a usable record id is quarantined under, e.g. ``bpjs_kesehatan@row17``."""
    return f"{source}@row{int(source_row)}"


@dataclass(frozen=True, slots=True, eq=False)
class CheckResult:
    """One expectation's result as read from the GX result: counts and the flagged rows' ids."""

    name: str
    column: str
    critical: bool
    rule: str
    success: bool
    unexpected_count: int
    element_count: int
    unexpected_rows: np.ndarray  # source_row ids, int64

    def outcome(self) -> ExpectationOutcome:
        return ExpectationOutcome(
            name=self.name,
            column=self.column,
            critical=self.critical,
            success=self.success,
            unexpected_count=self.unexpected_count,
            element_count=self.element_count,
        )


def read_results(gx_result: dict[str, Any], order: Sequence[str] = ()) -> list[CheckResult]:
    """Every expectation result of ``gx_result`` (a ``to_json_dict()``), in ``order`` of names.

    GX lists results grouped by column; ``order`` (the suite's expectation names) restores the suite
    order, names not in it go last. Raises ValidationRunError, naming every expectation concerned,
    if GX could not evaluate one or its flagged rows cannot be read.
    """
    crashed: list[str] = []
    checks: list[CheckResult] = []
    for item in gx_result.get("results", []):
        config = item.get("expectation_config") or {}
        meta = config.get("meta") or {}
        name = str(meta.get("name") or config.get("type"))
        if _raised(item.get("exception_info")):
            crashed.append(name)
            continue
        result = item.get("result") or {}
        checks.append(
            CheckResult(
                name=name,
                column=str(meta.get("column") or (config.get("kwargs") or {}).get("column", "")),
                critical=config.get("severity") == CRITICAL,
                rule=str(meta.get("rule", "failed")),
                success=bool(item.get("success")),
                unexpected_count=int(result.get("unexpected_count") or 0),
                element_count=int(result.get("element_count") or 0),
                unexpected_rows=_unexpected_rows(name, result),
            )
        )
    if crashed:
        raise ValidationRunError(
            f"GX could not evaluate {len(crashed)} expectation(s): {', '.join(crashed)}",
            expectations=tuple(crashed),
        )
    rank = {name: position for position, name in enumerate(order)}
    return sorted(checks, key=lambda check: rank.get(check.name, len(rank)))


def _raised(exception_info: Any) -> bool:
    if not exception_info:
        return False
    if "raised_exception" in exception_info:
        return bool(exception_info["raised_exception"])
    # when several metrics fail GX maps each metric id to its own exception info
    return any(_raised(info) for info in exception_info.values() if isinstance(info, dict))


def _unexpected_rows(name: str, result: dict[str, Any]) -> np.ndarray:
    """The ``source_row`` ids an expectation flagged, checked against its unexpected count.

    With ``exclude_unexpected_values`` GX returns ``[{"source_row": [ids...]}]`` (or ``[]``);
    without it one ``{"source_row": id, <column>: value}`` per row — accepted, values ignored.
    """
    ids: list[Any] = []
    for entry in result.get("unexpected_index_list") or []:
        value = entry.get(ID_COLUMN) if isinstance(entry, dict) else None
        if isinstance(value, list):
            ids.extend(value)
        elif value is not None:
            ids.append(value)
        else:
            raise ValidationRunError(
                f"expectation {name}: unexpected rows are not named by {ID_COLUMN}", expectations=(name,)
            )
    expected = int(result.get("unexpected_count") or 0)
    if len(ids) != expected:
        raise ValidationRunError(
            f"expectation {name}: GX listed {len(ids)} unexpected rows for {expected} unexpected values",
            expectations=(name,),
        )
    return np.asarray(ids, dtype="int64")


def derive_quarantine(
    frame: pd.DataFrame, source: str, checks: Sequence[CheckResult]
) -> tuple[np.ndarray, pd.DataFrame]:
    """Which rows of ``frame`` the critical checks flag, and their quarantine rows.

    Returns a boolean mask over the frame's positions (True = quarantined) and the quarantine frame,
    indexed like the input rows it stands for, with :data:`QUARANTINE_COLUMNS`; a row failing several
    checks gets their reasons joined in check order. ``frame`` must have unique ``source_row`` values.
    """
    row_ids = pd.Index(frame[ID_COLUMN].to_numpy(dtype="int64"))
    critical: list[tuple[CheckResult, np.ndarray]] = []
    for check in checks:
        if not check.critical:
            continue
        flagged = row_ids.get_indexer(check.unexpected_rows)
        if (flagged < 0).any():
            raise ValidationRunError(
                f"expectation {check.name}: GX named rows that are not in the frame",
                expectations=(check.name,),
            )
        critical.append((check, flagged))

    no_record_id = np.zeros(len(frame), dtype=bool)
    for check, flagged in critical:
        if check.column == "record_id" and check.rule in _NO_RECORD_ID_RULES:
            no_record_id[flagged] = True

    positions: list[np.ndarray] = []
    reasons: list[np.ndarray] = []
    for check, flagged in critical:
        if check.rule == "duplicate":
            later, first_rows = _later_duplicates(frame, flagged[~no_record_id[flagged]])
            positions.append(later)
            reasons.append(
                np.array([f"{check.column}: duplicate of row {row}" for row in first_rows], dtype=object)
            )
        else:
            positions.append(flagged)
            reasons.append(np.full(len(flagged), f"{check.column}: {check.rule}", dtype=object))

    mask = np.zeros(len(frame), dtype=bool)
    if sum(len(p) for p in positions) == 0:
        return mask, empty_quarantine_frame()

    # groupby keeps the rows of a group in order of appearance: a row's reasons stay in check order
    flat = pd.DataFrame({"position": np.concatenate(positions), "reason": np.concatenate(reasons)})
    joined = flat.groupby("position", sort=True)["reason"].agg(REASON_SEPARATOR.join)
    quarantined = joined.index.to_numpy()
    mask[quarantined] = True

    rows = frame.iloc[quarantined]
    source_rows = rows[ID_COLUMN].to_numpy(dtype="int64")
    record_ids = rows["record_id"].to_numpy(dtype=object).copy()
    generated = no_record_id[quarantined]
    record_ids[generated] = [generated_record_id(source, row) for row in source_rows[generated]]
    quarantine = pd.DataFrame(
        {
            "source": source,
            "record_id": record_ids,
            "source_row": source_rows,
            "reason": joined.to_numpy(dtype=object),
        },
        index=rows.index,
        columns=list(QUARANTINE_COLUMNS),
    )
    return mask, quarantine


def _later_duplicates(frame: pd.DataFrame, flagged: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Among rows GX flagged as sharing a record id: all but the first in the source, with its row."""
    group = pd.DataFrame(
        {
            "position": flagged,
            "record_id": frame["record_id"].to_numpy(dtype=object)[flagged],
            "source_row": frame[ID_COLUMN].to_numpy(dtype="int64")[flagged],
        }
    ).sort_values("source_row", kind="stable")
    first_row = group.groupby("record_id", sort=False)["source_row"].transform("first").to_numpy()
    later = group["source_row"].to_numpy() != first_row
    return group["position"].to_numpy()[later], first_row[later]
