"""Dates as day numbers (days since 1970-01-01) and their agency text forms.

The population keeps every date as an ``int`` day number; the exports format them through lookup
tables built once per process, which is far faster than formatting millions of dates one by one.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import numpy as np

__all__ = [
    "SNAPSHOT",
    "MONTHS_ID",
    "day_number",
    "date_parts",
    "from_parts",
    "format_days",
    "format_timestamps",
    "is_valid_date",
    "random_stamps",
]

#: The night the first drop is exported: every timestamp in it is on or before this day.
SNAPSHOT = dt.date(2026, 11, 26)

#: Indonesian month names as in letters and civil documents.
MONTHS_ID = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip
_LEGACY_MONTHS = {2: "Pebruari", 11: "Nopember"}

_FIRST = dt.date(1900, 1, 1)
_LAST = dt.date(2035, 12, 31)
_EPOCH = dt.date(1970, 1, 1)


def day_number(value: dt.date) -> int:
    """The day number of a calendar date."""
    return (value - _EPOCH).days


def date_parts(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month and day arrays of an array of day numbers."""
    d = np.asarray(days, dtype="int64").astype("datetime64[D]")
    months = d.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (d - months).astype(np.int64) + 1
    return year, month, day


def from_parts(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Day numbers of valid (year, month, day) triples (invalid triples are the caller's problem)."""
    months = (np.asarray(year, dtype=np.int64) - 1970) * 12 + np.asarray(month, dtype=np.int64) - 1
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) + np.asarray(day) - 1


def is_valid_date(year: int, month: int, day: int) -> bool:
    """Whether a (year, month, day) triple is a real calendar date inside the supported range."""
    try:
        value = dt.date(year, month, day)
    except ValueError:
        return False
    return _FIRST <= value <= _LAST


@cache
def _table(style: str) -> np.ndarray:
    """Every supported day formatted in one style, indexed by ``day - day_number(_FIRST)``."""
    out = []
    value = _FIRST
    step = dt.timedelta(days=1)
    while value <= _LAST:
        d, m, y = value.day, value.month, value.year
        if style == "dmy_dash":
            out.append(f"{d:02d}-{m:02d}-{y}")
        elif style == "dmy_slash":
            out.append(f"{d:02d}/{m:02d}/{y}")
        elif style == "iso":
            out.append(f"{y}-{m:02d}-{d:02d}")
        elif style == "long":
            out.append(f"{d} {MONTHS_ID[m - 1]} {y}")
        elif style == "long_padded":
            out.append(f"{d:02d} {MONTHS_ID[m - 1]} {y}")
        elif style == "long_legacy":
            out.append(f"{d} {_LEGACY_MONTHS.get(m, MONTHS_ID[m - 1])} {y}")
        else:
            raise ValueError(f"unknown date style {style!r}")
        value += step
    return np.array(out, dtype=object)


@cache
def _clock() -> np.ndarray:
    """``HH:MM:SS`` for every second of a day."""
    return np.array([f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)], dtype=object)


def format_days(days: np.ndarray, style: str) -> np.ndarray:
    """Format day numbers in one style: ``dmy_dash``, ``dmy_slash``, ``iso``, ``long``, ``long_padded``
    or ``long_legacy`` (Pebruari/Nopember)."""
    offset = np.asarray(days, dtype=np.int64) - day_number(_FIRST)
    return _table(style)[offset]


def format_timestamps(days: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """``YYYY-MM-DD HH:MM:SS`` for day numbers plus seconds into the day."""
    return format_days(days, "iso") + " " + _clock()[np.asarray(seconds, dtype=np.int64)]


def random_stamps(
    rng: np.random.Generator, n: int, low: np.ndarray | int, high: int, recent: float = 0.0
) -> np.ndarray:
    """``n`` random ``YYYY-MM-DD HH:MM:SS`` timestamps between day ``low`` (per record or one for all)
    and day ``high``; with ``recent`` > 0 that share of them falls in the last 60 days."""
    low = np.broadcast_to(np.minimum(np.asarray(low, dtype=np.int64), high), (n,))
    days = low + (rng.random(n) * (high - low + 1)).astype(np.int64)
    fresh = rng.random(n) < recent
    days[fresh] = np.maximum(high - rng.integers(0, 60, int(fresh.sum())), low[fresh])
    seconds = rng.integers(6 * 3600, 23 * 3600, n)
    return format_timestamps(days, seconds)
