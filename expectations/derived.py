"""Helper columns that some expectations check, computed from the canonical frame just before GX runs.

GX has no calendar: a pattern can say that ``31-02-1990`` has the shape of a date, not that February
has no 31st, and no pattern knows today's date. So the birth date is read once here into two helper
columns, and plain GX expectations check those:

* ``birth_date_is_real_date``: missing where the birth date is missing or blank, else ``True`` when it is
  a real calendar date in one of the agencies' layouts (``DD-MM-YYYY``, ``DD/MM/YYYY``, ``YYYY-MM-DD``,
  ``17 Agustus 1985``) and ``False`` otherwise (``31-02-1990``, ``not a date``);
* ``birth_date_as_date``: that date as a ``datetime.date`` where it is real, else missing — for range
  checks (not in the future, not before 1900).

Which layout a source *should* use is the ``birth_date_format`` pattern's business; these columns only
ask whether the text names a real day.

The length limits read ``<field>_length``: the characters of each present value as GX's own value-length
check counts them (``len`` of pandas' ``astype(str)`` of the value), missing where the value is. GX's
pandas check of text lengths turns the column into Python strings and measures them one by one; a range
check on a float column is one vectorised comparison (GX checks any other dtype value by value), so the
lengths are counted here by Arrow and handed over as float64 (NaN where missing: GX leaves missing
values out, as it does for text).

The helpers live only in the frame handed to GX: results name rows by ``source_row`` and never carry the
values.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from connectors.schema import CANONICAL_FIELDS

__all__ = [
    "DERIVED_COLUMNS",
    "MONTH_NUMBERS",
    "as_calendar_date",
    "derive_column",
    "is_real_date",
    "length_column",
    "value_lengths",
]

#: Indonesian month names (with the old spellings Pebruari and Nopember) -> month number.
MONTH_NUMBERS: dict[str, int] = {
    "januari": 1,
    "februari": 2,
    "pebruari": 2,
    "maret": 3,
    "april": 4,
    "mei": 5,
    "juni": 6,
    "juli": 7,
    "agustus": 8,
    "september": 9,
    "oktober": 10,
    "november": 11,
    "nopember": 11,
    "desember": 12,
}

_DAY_MONTH_YEAR = re.compile(r"^([0-9]{1,2})[-/]([0-9]{1,2})[-/]([0-9]{4})$")
_YEAR_MONTH_DAY = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$")
_LONG_FORM = re.compile(r"^([0-9]{1,2}) ([A-Za-z]+) ([0-9]{4})$")


def _calendar_date(text: str) -> dt.date | None:
    """The day ``text`` names in one of the agencies' layouts, or None when it names no real day."""
    text = text.strip()
    if found := _DAY_MONTH_YEAR.match(text):
        day, month, year = (int(part) for part in found.groups())
    elif found := _YEAR_MONTH_DAY.match(text):
        year, month, day = (int(part) for part in found.groups())
    elif (found := _LONG_FORM.match(text)) and found.group(2).lower() in MONTH_NUMBERS:
        day, month, year = int(found.group(1)), MONTH_NUMBERS[found.group(2).lower()], int(found.group(3))
    else:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:  # 31 February, month 13, year 0
        return None


def _on_distinct(values: pd.Series, convert: Callable[[str], object]) -> np.ndarray:
    """``convert`` applied once per distinct present, non-blank text; None where missing or blank."""
    raw = values.to_numpy(dtype=object)
    present = pd.notna(raw)
    # a plain dict, not numpy str arrays or pandas' hash tables: both read "\x00" as "" (C strings)
    text = raw[present]
    out = np.full(len(raw), None, dtype=object)
    if not len(text):
        return out
    converted = {value: convert(str(value)) for value in set(text.tolist())}
    out[present] = [converted[value] for value in text.tolist()]
    return out


def as_calendar_date(values: pd.Series) -> np.ndarray:
    """Each value as a ``datetime.date`` when it names a real day, else None (object array)."""
    return _on_distinct(values, _calendar_date)


def is_real_date(values: pd.Series) -> np.ndarray:
    """None where missing or blank, else whether the value names a real day (object array)."""
    return _on_distinct(values, lambda text: None if not text.strip() else _calendar_date(text) is not None)


def value_lengths(values: pd.Series) -> np.ndarray:
    """The characters of each present value as GX counts them (``len`` of pandas' ``astype(str)``: a
    ``str`` as it is), NaN where missing (float64)."""
    raw = values.to_numpy(dtype=object)
    present = pd.notna(raw)
    out = np.full(len(raw), np.nan, dtype=np.float64)
    text = raw[present]
    if not len(text):
        return out
    try:  # str only: Arrow counts code points, as len() does
        lengths = pc.utf8_length(pa.array(text, type=pa.string())).to_numpy(zero_copy_only=False)
    except (pa.ArrowException, UnicodeError, TypeError, ValueError):  # numbers, bytes, lone surrogates
        # GX's own measure: pandas' text of each value (bytes decoded as UTF-8, numbers written out)
        lengths = pd.Series(text, dtype=object).astype(str).str.len().to_numpy(dtype=np.float64)
    out[present] = lengths
    return out


def length_column(field: str) -> str:
    """The helper column holding the lengths of ``field``'s values."""
    return f"{field}_length"


#: Helper column -> (the canonical column it is computed from, how).
DERIVED_COLUMNS: dict[str, tuple[str, Callable[[pd.Series], np.ndarray]]] = {
    "birth_date_is_real_date": ("birth_date", is_real_date),
    "birth_date_as_date": ("birth_date", as_calendar_date),
    **{length_column(field): (field, value_lengths) for field in CANONICAL_FIELDS},
}


def derive_column(frame: pd.DataFrame, name: str) -> np.ndarray:
    """The helper column ``name`` (a key of :data:`DERIVED_COLUMNS`) computed from ``frame``."""
    column, compute = DERIVED_COLUMNS[name]
    return compute(frame[column])
