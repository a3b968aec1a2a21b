"""Masking personal values for the steward's eyes: NIKs and phones keep their first and last 4 digits.

``3276015708900001`` → ``3276********0001``; ``081234567890`` → ``0812****7890``. Names become their
initials (``SITI AMINAH`` → ``S*** A*****``) where even the steward's screen should not show them (the
``review list`` command); the HTML report shows names but masks NIKs and phones by default.
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["mask_digits", "mask_frame", "mask_name"]

_KEEP = 4


def mask_digits(value: object) -> str:
    """Keep the first and last four characters, star the rest (short values keep only the last two)."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return ""
    text = re.sub(r"\s+", "", str(value))
    if not text:
        return ""
    if len(text) <= 2 * _KEEP:
        return "*" * max(len(text) - 2, 0) + text[-2:]
    return text[:_KEEP] + "*" * (len(text) - 2 * _KEEP) + text[-_KEEP:]


def mask_name(value: object) -> str:
    """Each word's first letter, the rest starred: ``SITI AMINAH`` → ``S*** A*****``."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return ""
    return " ".join(word[:1] + "*" * (len(word) - 1) for word in str(value).split())


def mask_frame(frame: pd.DataFrame, *, names: bool = False) -> pd.DataFrame:
    """A copy with every ``nik*``/``phone*`` column masked (and ``full_name*`` too with ``names``)."""
    out = frame.copy()
    for column in out.columns:
        if column.startswith(("nik", "phone", "kk_number")):
            out[column] = out[column].map(mask_digits)
        elif names and column.startswith("full_name"):
            out[column] = out[column].map(mask_name)
    return out
