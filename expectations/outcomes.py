"""The small result types of a source validation."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["QUARANTINE_COLUMNS", "ExpectationOutcome", "SourceValidation", "empty_quarantine_frame"]

#: Columns of :attr:`SourceValidation.quarantined`, in order.
QUARANTINE_COLUMNS: tuple[str, ...] = ("source", "record_id", "source_row", "reason")


@dataclass(frozen=True, slots=True)
class ExpectationOutcome:
    """How one expectation of a suite fared on one frame: counts only, never values.

    ``name`` is the expectation's stable name in its suite (e.g. ``nik_format``), ``column`` the canonical
    column it checks. ``critical`` expectations quarantine the rows they flag; the others only report.
    ``unexpected_count`` counts the flagged rows; for the pattern and value-set checks missing values are
    not counted (their presence is a separate expectation).
    """

    name: str
    column: str
    critical: bool
    success: bool
    unexpected_count: int
    element_count: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True, eq=False)
class SourceValidation:
    """What ``validate_source`` hands back for one source frame.

    ``passed`` holds the input rows (same index, same columns) that failed no critical expectation;
    ``quarantined`` has one row per other input row, indexed like the input, with
    :data:`QUARANTINE_COLUMNS`. Together they hold every input row exactly once.
    ``gx_result`` is the JSON-serialisable GX validation result: counts, rule parameters and
    ``source_row`` numbers, never personal values. ``data_docs_index`` is the Data Docs ``index.html``
    when Data Docs were asked for.
    """

    source: str
    passed: pd.DataFrame
    quarantined: pd.DataFrame
    outcomes: list[ExpectationOutcome]
    gx_result: dict[str, Any]
    data_docs_index: Path | None = None

    @property
    def success(self) -> bool:
        """True when every expectation, critical or not, held on every row."""
        return all(outcome.success for outcome in self.outcomes)

    def outcome(self, name: str) -> ExpectationOutcome:
        """The outcome of the expectation called ``name``; KeyError if the suite has none."""
        for outcome in self.outcomes:
            if outcome.name == name:
                return outcome
        raise KeyError(name)


def empty_quarantine_frame() -> pd.DataFrame:
    """A quarantine frame with no rows and the right columns and dtypes."""
    frame = pd.DataFrame({column: pd.Series(dtype="object") for column in QUARANTINE_COLUMNS})
    frame["source_row"] = frame["source_row"].astype("int64")
    return frame
