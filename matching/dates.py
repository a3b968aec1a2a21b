"""Date parsing for every agency format, day-first always.

Formats seen in the drops and in Indonesian government data: ``DD-MM-YYYY`` / ``DD/MM/YYYY`` /
``DD.MM.YYYY`` (BPJS Kesehatan, civil registry), ``YYYY-MM-DD`` (BPJS Ketenagakerjaan, APIs, possibly
with a time part), the long form ``17 Agustus 1985`` with legacy spellings (``Pebruari``, ``Nopember``)
and abbreviations (``17-Agu-1985``, ``22-SEP-2023``), two-digit years, ``DDMMYYYY`` runs of digits and
Excel serial day numbers. A US-style month-first reading is never attempted.

Parsing runs once per distinct value and is mapped back, so a column of millions of dates costs a
few thousand regex matches.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from matching.text import arrow_text, extract, on_distinct, replace_many

__all__ = ["MONTHS", "parse_dates", "assemble_iso_dates"]

#: Month names and abbreviations (Indonesian, legacy Indonesian, English) -> month number.
MONTHS: dict[str, int] = {
    **dict.fromkeys(["JANUARI", "JANUARY", "JAN", "JANUARY"], 1),
    **dict.fromkeys(["FEBRUARI", "PEBRUARI", "FEBRUARY", "FEB", "PEB", "PEBR", "FEBR"], 2),
    **dict.fromkeys(["MARET", "MARCH", "MAR", "MRT"], 3),
    **dict.fromkeys(["APRIL", "APR"], 4),
    **dict.fromkeys(["MEI", "MAY"], 5),
    **dict.fromkeys(["JUNI", "JUNE", "JUN"], 6),
    **dict.fromkeys(["JULI", "JULY", "JUL"], 7),
    **dict.fromkeys(["AGUSTUS", "AUGUST", "AGU", "AGT", "AGS", "AGUS", "AUG", "AGST"], 8),
    **dict.fromkeys(["SEPTEMBER", "SEP", "SEPT", "SPT"], 9),
    **dict.fromkeys(["OKTOBER", "OCTOBER", "OKT", "OCT"], 10),
    **dict.fromkeys(["NOVEMBER", "NOPEMBER", "NOV", "NOP"], 11),
    **dict.fromkeys(["DESEMBER", "DECEMBER", "DES", "DEC"], 12),
}

_ISO = r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?:[ T]\d.*)?$"
_DMY = r"^(?P<d>\d{1,2})\s*[-/.]\s*(?P<m>\d{1,2})\s*[-/.]\s*(?P<y>\d{4}|\d{2})(?:\s+\d.*)?$"
_DMY_SPACED = r"^(?P<d>\d{1,2})\s+(?P<m>\d{1,2})\s+(?P<y>\d{4})$"
_NAMED = r"^(?P<d>\d{1,2})\s*[-/., ]\s*(?P<m>[A-Z]{3,9})\.?\s*[-/., ]\s*(?P<y>\d{4}|\d{2})$"
_DIGITS8 = r"^(?P<x>\d{8})$"
_SERIAL = r"^(?P<s>\d{5})(?:\.0+)?$"  # Excel day number

_EXCEL_EPOCH = np.datetime64("1899-12-30")


def assemble_iso_dates(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """ISO strings for valid calendar dates, None elsewhere (inputs: numeric arrays, NaN = unknown)."""
    year = np.asarray(year, dtype="float64")
    month = np.asarray(month, dtype="float64")
    day = np.asarray(day, dtype="float64")
    ok = ~(np.isnan(year) | np.isnan(month) | np.isnan(day))
    ok &= (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31) & (year >= 1000) & (year <= 9999)
    out = np.full(len(year), None, dtype=object)
    if not ok.any():
        return out
    y = year[ok].astype(np.int64)
    m = month[ok].astype(np.int64)
    d = day[ok].astype(np.int64)
    months = ((y - 1970) * 12 + (m - 1)).astype("datetime64[M]")
    dates = months.astype("datetime64[D]") + (d - 1).astype("timedelta64[D]")
    real = dates.astype("datetime64[M]") == months
    out[np.flatnonzero(ok)] = np.where(real, _iso_text(dates), None)
    return out


def _iso_text(dates: np.ndarray) -> np.ndarray:
    """ISO text of ``datetime64[D]`` values as an object array, one ``str`` per distinct date (a
    column of birth dates holds a few ten thousand dates: made once each, where a ``str`` per row
    costs ~55 bytes, and faster too)."""
    days = dates.astype(np.int64)
    first = int(days.min())
    span = int(days.max()) - first + 1
    if span <= max(4 * len(days), 1 << 16):  # dates in a bounded range (always, for real dates)
        offsets = days - first
        seen = np.zeros(span, dtype=bool)
        seen[offsets] = True
        distinct = np.flatnonzero(seen)
        position = np.zeros(span, dtype=np.intp)
        position[distinct] = np.arange(len(distinct))
        codes = position[offsets]
        distinct += first
    else:
        distinct, codes = np.unique(days, return_inverse=True)
    text = np.datetime_as_string(distinct.astype("datetime64[D]"), unit="D").astype(object)
    return text[codes]


def _numbers(found: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(found[column], errors="coerce").to_numpy(dtype=float)


def _parse_distinct(raw: pd.Series, today: dt.date, earliest: str) -> pd.Series:
    """Parse distinct raw values; returns ISO strings (or None) on the same index."""
    index = raw.index
    text = pc.utf8_upper(pc.utf8_trim_whitespace(arrow_text(raw)))
    text = replace_many(text, [(r"\s+", " "), ("'", "")])
    year = np.full(len(raw), np.nan)
    month = year.copy()
    day = year.copy()
    todo = np.ones(len(raw), dtype=bool)

    for pattern in (_ISO, _DMY, _DMY_SPACED):
        found = extract(text, pattern, index)
        hit = todo & found["y"].notna().to_numpy()
        year[hit], month[hit], day[hit] = (_numbers(found, c)[hit] for c in ("y", "m", "d"))
        todo &= ~hit

    named = extract(text, _NAMED, index)
    mon = named["m"].map(MONTHS).to_numpy(dtype=float)
    hit = todo & ~np.isnan(mon)
    year[hit], month[hit], day[hit] = _numbers(named, "y")[hit], mon[hit], _numbers(named, "d")[hit]
    todo &= ~hit

    digits = extract(text, _DIGITS8, index)["x"]
    hit = todo & digits.notna().to_numpy()
    if hit.any():
        x = digits[hit]
        y_first = x.str[:4].astype(float).to_numpy()
        iso_like = (y_first >= 1900) & (y_first <= today.year) & (x.str[4:6].astype(float).to_numpy() <= 12)
        year[hit] = np.where(iso_like, y_first, x.str[4:].astype(float).to_numpy())
        month[hit] = np.where(iso_like, x.str[4:6].astype(float), x.str[2:4].astype(float))
        day[hit] = np.where(iso_like, x.str[6:].astype(float), x.str[:2].astype(float))
        todo &= ~hit

    year = np.where(year < 100, year + np.where(year + 2000 <= today.year, 2000, 1900), year)
    iso = assemble_iso_dates(year, month, day)

    serial = _numbers(extract(text, _SERIAL, index), "s")
    hit = todo & ~np.isnan(serial)
    if hit.any():
        iso[hit] = np.datetime_as_string(_EXCEL_EPOCH + serial[hit].astype("timedelta64[D]"), unit="D")
    iso = pd.Series(iso, index=index, dtype=object)
    in_range = iso.notna() & (iso.fillna("") >= earliest) & (iso.fillna("") <= today.isoformat())
    return iso.where(in_range, None)


def parse_dates(
    values: pd.Series,
    *,
    earliest: str = "1900-01-01",
    today: dt.date | None = None,
) -> pd.Series:
    """Parse raw date text into ISO ``YYYY-MM-DD`` strings; unparseable, impossible or out-of-range
    dates (before ``earliest`` or after today) become None. Same index as the input."""
    today = today or dt.date.today()
    return on_distinct(values, lambda distinct: _parse_distinct(distinct, today, earliest))
