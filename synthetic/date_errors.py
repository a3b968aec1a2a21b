"""Wrong birth dates as they appear in registers: a mistyped digit, day and month swapped, the year
off by one, or a 1 January default for someone whose birthday was not known.

Every wrong date is still a real calendar date, so it parses; only comparison with other sources
shows it is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthetic.calendar import date_parts, from_parts, is_valid_date

__all__ = ["DateErrorRates", "DATE_ERRORS", "perturb_dates"]

#: Names of the date error codes returned by :func:`perturb_dates` (code = position).
DATE_ERRORS = ("clean", "typo", "day_month_swap", "year_off_by_one", "default_1_jan")


@dataclass(frozen=True)
class DateErrorRates:
    """Per-record probability of each kind of wrong birth date."""

    typo: float = 0.0
    swap: float = 0.0
    year: float = 0.0
    default: float = 0.0


def _digit_typo(y: int, m: int, d: int, rng: np.random.Generator) -> tuple[int, int, int]:
    for _ in range(8):
        part = rng.random()
        if part < 0.5:
            text = f"{d:02d}"
            pos = int(rng.integers(2))
            nd = int(text[:pos] + str(int(rng.integers(10))) + text[pos + 1 :])
            candidate = (y, m, nd)
        elif part < 0.7:
            candidate = (y, int(rng.integers(1, 13)), d)
        else:
            text = str(y)
            pos = int(rng.integers(2, 4))
            candidate = (int(text[:pos] + str(int(rng.integers(10))) + text[pos + 1 :]), m, d)
        if candidate != (y, m, d) and is_valid_date(*candidate):
            return candidate
    return y, m, d


def perturb_dates(
    rng: np.random.Generator, days: np.ndarray, rates: DateErrorRates, today: int
) -> tuple[np.ndarray, np.ndarray]:
    """Dates with keying errors applied, and the error code per record (0 = unchanged)."""
    n = len(days)
    u = rng.random(n)
    bounds = np.cumsum([rates.typo, rates.swap, rates.year, rates.default])
    code = np.searchsorted(bounds, u, side="right") + 1
    code[code > 4] = 0
    year, month, day = date_parts(days)
    out = np.asarray(days, dtype=np.int64).copy()
    swap = (code == 2) & (day <= 12) & (day != month)
    out[swap] = from_parts(year[swap], day[swap], month[swap])
    shift = code == 3
    new_year = year[shift] + np.where(rng.random(int(shift.sum())) < 0.5, -1, 1)
    safe_day = np.where((month[shift] == 2) & (day[shift] == 29), 28, day[shift])
    out[shift] = from_parts(new_year, month[shift], safe_day)
    default = code == 4
    out[default] = from_parts(year[default], np.ones(int(default.sum()), dtype=np.int64), 1)
    for i in np.flatnonzero(code == 1):
        y, m, d = _digit_typo(int(year[i]), int(month[i]), int(day[i]), rng)
        out[i] = from_parts(np.array([y]), np.array([m]), np.array([d]))[0]
    future = out > today
    out[future] = np.asarray(days)[future]
    code[out == days] = 0
    return out, code.astype(np.int8)
