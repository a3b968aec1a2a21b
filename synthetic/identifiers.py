"""Identity numbers: NIK and KK composition, card and participant numbers, and NIK keying errors.

NIK = 6-digit issuing region + DDMMYY of birth (DD + 40 for women) + a 4-digit serial unique among
people with the same first 12 digits. KK = 6-digit region of issue + DDMMYY registration date (no
+40) + a 4-digit family serial. JKN card numbers have 13 digits and often leading zeros; KPJ numbers
have 11. :func:`render_niks` writes a NIK as one agency holds it, with the errors of the domain notes
(§1.4) at per-source rates, and says which error each record got.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from synthetic.calendar import date_parts
from synthetic.typos import digit_typo, transpose_digits

__all__ = [
    "compose_niks",
    "compose_kks",
    "jkn_card_numbers",
    "kpj_numbers",
    "NikErrorRates",
    "NIK_ERRORS",
    "render_niks",
    "digits16",
]

#: Names of the NIK error codes returned by :func:`render_niks` (code = position).
NIK_ERRORS = (
    "clean", "empty", "typo", "transposition", "kk_number", "head_nik", "placeholder", "excel_zero",
    "formatting", "length", "scientific",
)  # fmt: skip
_PLACEHOLDERS = (
    "0000000000000000",
    "1234567890123456",
    "1111111111111111",
    "9999999999999999",
    "3276000000000000",
    "0000000000000001",
)


@dataclass(frozen=True)
class NikErrorRates:
    """Per-record probability of each NIK error (``head_nik`` applies to household dependants only)."""

    typo: float = 0.0
    transposition: float = 0.0
    kk_number: float = 0.0
    head_nik: float = 0.0
    placeholder: float = 0.0
    excel_zero: float = 0.0
    formatting: float = 0.0
    length: float = 0.0
    scientific: float = 0.0


def _serials(rng: np.random.Generator, first12: np.ndarray) -> np.ndarray:
    """Serials unique within each first-12-digit group: a random group start plus the rank."""
    order = np.argsort(first12, kind="stable")
    keys = first12[order]
    starts = np.r_[0, np.flatnonzero(np.diff(keys)) + 1]
    group_of = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(keys)]))
    rank = np.arange(len(keys)) - starts[group_of]
    offset = np.where(rng.random(len(starts)) < 0.6, 0, np.minimum(rng.geometric(0.08, len(starts)), 400))
    serial = np.empty(len(first12), dtype=np.int64)
    serial[order] = offset[group_of] + rank + 1
    if serial.max(initial=0) > 9999:
        raise ValueError("more than 9999 people share a region and birth date")
    return serial


def compose_niks(
    rng: np.random.Generator, region6: np.ndarray, birth: np.ndarray, sex: np.ndarray
) -> np.ndarray:
    """NIKs (as integers) from issuing region, NIK birth date (day numbers) and sex (1 male, 2 female)."""
    year, month, day = date_parts(birth)
    dd = day + np.where(sex == 2, 40, 0)
    first12 = region6.astype(np.int64) * 1_000_000 + dd * 10_000 + month * 100 + year % 100
    return first12 * 10_000 + _serials(rng, first12)


def compose_kks(rng: np.random.Generator, region6: np.ndarray, registered: np.ndarray) -> np.ndarray:
    """KK numbers (as integers) from region of issue and registration date (day numbers)."""
    year, month, day = date_parts(registered)
    first12 = region6.astype(np.int64) * 1_000_000 + day * 10_000 + month * 100 + year % 100
    return first12 * 10_000 + _serials(rng, first12)


def digits16(values: np.ndarray) -> np.ndarray:
    """Zero-padded 16-digit text of integer identifiers."""
    return np.array([f"{x:016d}" for x in values.tolist()], dtype=object)


def _unique(n: int, draw: Callable[[np.ndarray], np.ndarray], taken: np.ndarray | None) -> np.ndarray:
    """``n`` distinct integers, ``draw(rows)`` giving candidates for those rows, none in ``taken``."""
    taken = np.empty(0, dtype=np.int64) if taken is None else np.asarray(taken, dtype=np.int64)
    out = draw(np.arange(n))
    for _ in range(100):
        _, first = np.unique(out, return_index=True)
        bad = np.ones(n, dtype=bool)
        bad[first] = False
        bad |= np.isin(out, taken)
        if not bad.any():
            return out
        rows = np.flatnonzero(bad)
        out[rows] = draw(rows)
    raise RuntimeError("could not draw unique identifiers")


def jkn_card_numbers(rng: np.random.Generator, n: int, taken: np.ndarray | None = None) -> np.ndarray:
    """``n`` distinct 13-digit JKN card numbers as text, most with leading zeros."""

    def draw(rows: np.ndarray) -> np.ndarray:
        kind = rng.random(len(rows))
        low = np.where(kind < 0.6, 10**9, np.where(kind < 0.85, 10**11, 10**12))
        return low + (rng.random(len(rows)) * 9 * low).astype(np.int64)

    return np.array([f"{x:013d}" for x in _unique(n, draw, taken).tolist()], dtype=object)


def kpj_numbers(
    rng: np.random.Generator, start_year: np.ndarray, taken: np.ndarray | None = None
) -> np.ndarray:
    """Distinct 11-digit KPJ numbers as text, the first two digits the registration year."""
    yy = np.asarray(start_year, dtype=np.int64) % 100

    def draw(rows: np.ndarray) -> np.ndarray:
        return yy[rows] * 10**9 + rng.integers(0, 10**9, size=len(rows))

    return np.array([f"{x:011d}" for x in _unique(len(yy), draw, taken).tolist()], dtype=object)


def _format_damage(text: str, rng: np.random.Generator) -> str:
    kind = rng.random()
    if kind < 0.4:
        return "'" + text
    if kind < 0.65:
        return f"{text[:2]}.{text[2:6]}.{text[6:12]}.{text[12:]}"
    if kind < 0.8:
        return f"{text[:4]} {text[4:8]} {text[8:12]} {text[12:]}"
    return " " + text if rng.random() < 0.5 else text + " "


def render_niks(
    rng: np.random.Generator,
    nik: np.ndarray,
    kk: np.ndarray,
    head_nik: np.ndarray,
    dependant: np.ndarray,
    empty: np.ndarray | float,
    rates: NikErrorRates,
) -> tuple[np.ndarray, np.ndarray]:
    """NIK text as one agency holds it, and the error code (index into :data:`NIK_ERRORS`) per record.

    ``empty`` is the per-record probability that the field was left empty.
    """
    n = len(nik)
    clean = digits16(nik)
    probs = [
        np.broadcast_to(np.asarray(empty, dtype=float), (n,)),
        rates.typo,
        rates.transposition,
        rates.kk_number,
        np.where(dependant & (head_nik != nik), rates.head_nik, 0.0),
        rates.placeholder,
        rates.excel_zero,
        rates.formatting,
        rates.length,
        rates.scientific,
    ]
    u = rng.random(n)
    code = np.zeros(n, dtype=np.int8)
    cum = np.zeros(n)
    for i, p in enumerate(probs, start=1):
        nxt = cum + p
        code[(u >= cum) & (u < nxt) & (code == 0)] = i
        cum = nxt
    text = clean.copy()
    text[code == 1] = ""
    for i in np.flatnonzero(code > 1):
        c, s = code[i], clean[i]
        if c == 2:
            s = digit_typo(s, rng)
        elif c == 3:
            s = transpose_digits(s, rng)
        elif c == 4:
            s = f"{kk[i]:016d}"
        elif c == 5:
            s = f"{head_nik[i]:016d}"
        elif c == 6:
            s = _PLACEHOLDERS[int(rng.integers(len(_PLACEHOLDERS)))]
        elif c == 7:
            s = s[:15] + "0"
        elif c == 8:
            s = _format_damage(s, rng)
        elif c == 9:
            pos = int(rng.integers(16))
            s = s[:pos] + s[pos + 1 :] if rng.random() < 0.6 else s[:pos] + s[pos] + s[pos:]
        elif c == 10:
            s = f"{s[0]}.{s[1:6]}E+15"
        text[i] = s
    code[(code > 1) & (text == clean)] = 0  # e.g. Excel damage of a NIK that already ends in 0
    return text, code
