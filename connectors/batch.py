"""What a connector hands on: one source's records in the canonical schema, plus its rejected rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from connectors.config import SourceConfig
from connectors.schema import CANONICAL_COLUMNS, CANONICAL_FIELDS
from matching.text import text_objects

__all__ = [
    "REJECTED_COLUMNS",
    "SourceBatch",
    "Text",
    "arrow_text",
    "canonical_frame",
    "canonical_from_arrow",
    "stripped_text",
    "to_canonical",
]

#: Agency text as a connector hands it on: Arrow strings, or (objects, their Arrow form): see
#: ``stripped_text`` (the objects are then taken over, and changed in place).
Text = pa.Array | pa.ChunkedArray | tuple[np.ndarray, pa.Array]

#: Columns of a frame of rows that could not even be parsed into a record (quarantined as they are).
REJECTED_COLUMNS = ("source", "record_id", "source_row", "reason")


@dataclass(frozen=True)
class SourceBatch:
    """One source as read: canonical records, rows rejected while parsing, and notes for the log.

    ``rows_read == len(records) + len(rejected)``: every data row of the source is in one of the two.
    """

    source: str
    programme: str
    records: pd.DataFrame
    rejected: pd.DataFrame
    notes: tuple[str, ...] = field(default=())

    @property
    def rows_read(self) -> int:
        return len(self.records) + len(self.rejected)


def empty_rejected() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype="object") for column in REJECTED_COLUMNS})


def to_canonical(raw: pd.DataFrame, source: SourceConfig, source_rows: np.ndarray) -> pd.DataFrame:
    """Map an agency frame (all text) onto the canonical columns.

    Values are stripped; empty cells become missing (``None``). Fields the source does not map are
    present and missing. ``source_rows`` gives each row's 1-based position in the source.
    """
    mapped = {column: arrow_text(raw[column]) for column in dict.fromkeys(source.columns.values())}
    return canonical_from_arrow(mapped, source, source_rows)


def canonical_from_arrow(
    columns: Mapping[str, Text], source: SourceConfig, source_rows: np.ndarray
) -> pd.DataFrame:
    """``to_canonical`` of agency columns already held as text (by agency column name; see ``Text``).

    Every mapped column must be there, as long as ``source_rows``; the frame is the same as
    ``to_canonical`` gives for the same text.
    """
    return canonical_frame(
        {column: stripped_text(text) for column, text in columns.items()}, source, source_rows
    )


def canonical_frame(
    stripped: Mapping[str, np.ndarray], source: SourceConfig, source_rows: np.ndarray
) -> pd.DataFrame:
    """The canonical frame of agency columns already stripped (``stripped_text``), by agency column."""
    rows = len(source_rows)
    names = np.empty(rows, dtype=object)
    names.fill(source.name)  # one object (np.full would make a str per row)
    data: dict[str, object] = {
        "source": names,
        "source_row": np.asarray(source_rows, dtype="int64"),
    }
    used: set[str] = set()
    for field_name in CANONICAL_FIELDS:
        agency_column = source.columns.get(field_name)
        if agency_column is None:
            data[field_name] = np.full(rows, None, dtype=object)
        else:  # two fields mapping one agency column get their own copies
            values = stripped[agency_column]
            data[field_name] = values.copy() if agency_column in used else values
            used.add(agency_column)
    return pd.DataFrame(data, index=pd.RangeIndex(rows), columns=list(CANONICAL_COLUMNS), copy=False)


def arrow_text(values: pd.Series) -> pa.Array:
    """A column as Arrow text: strings as they are, other values compared as their text."""
    try:
        return pa.array(values.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # non-text values: compare as their text
        present = values.notna()
        as_text = values.astype("object").where(~present, values.astype(str))
        return pa.array(as_text.to_numpy(dtype=object), type=pa.string(), from_pandas=True)


def stripped_text(text: Text) -> np.ndarray:
    """Text stripped of surrounding whitespace, ``None`` where missing or empty (Arrow kernels: fast);
    equal values of a column that repeats a lot are one object (``text_objects``).

    ``text`` may also be ``(objects, arrow)``: an object array of ``str`` and missing values (``None``,
    NaN) with its Arrow form; the strings that stay as they are are then handed back as the same
    objects (no new string is made for them), in ``objects`` itself, which is changed in place.
    """
    if not isinstance(text, tuple):
        return text_objects(_cleaned(pc.utf8_trim_whitespace(text)))
    objects, arrow = text
    trimmed = pc.utf8_trim_whitespace(arrow)
    changed = pc.or_(pc.not_equal(pc.binary_length(trimmed), pc.binary_length(arrow)), pc.equal(trimmed, ""))
    at = np.flatnonzero(pc.fill_null(changed, False).to_numpy(zero_copy_only=False))
    kept = objects
    if arrow.null_count:
        kept[np.flatnonzero(arrow.is_null().to_numpy(zero_copy_only=False))] = None
    if len(at):
        kept[at] = _cleaned(trimmed.take(pa.array(at))).to_numpy(zero_copy_only=False)
    return kept


def _cleaned(trimmed: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, type=pa.string()), trimmed)
