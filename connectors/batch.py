"""What a connector hands on: one source's records in the canonical schema, plus its rejected rows."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from connectors.config import SourceConfig
from connectors.schema import CANONICAL_COLUMNS, CANONICAL_FIELDS

__all__ = ["REJECTED_COLUMNS", "SourceBatch", "to_canonical"]

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
    canonical = pd.DataFrame(index=pd.RangeIndex(len(raw)))
    canonical["source"] = source.name
    canonical["source_row"] = np.asarray(source_rows, dtype="int64")
    for field_name in CANONICAL_FIELDS:
        agency_column = source.columns.get(field_name)
        if agency_column is None:
            canonical[field_name] = None
            continue
        canonical[field_name] = _stripped_text(raw[agency_column])
    return canonical.loc[:, list(CANONICAL_COLUMNS)]


def _stripped_text(values: pd.Series) -> np.ndarray:
    """Text stripped of surrounding whitespace, ``None`` where missing or empty (Arrow kernels: fast)."""
    try:
        text = pa.array(values.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # non-text values: compare as their text
        present = values.notna()
        as_text = values.astype("object").where(~present, values.astype(str))
        text = pa.array(as_text.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    trimmed = pc.utf8_trim_whitespace(text)
    cleaned = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, type=pa.string()), trimmed)
    return cleaned.to_numpy(zero_copy_only=False)
