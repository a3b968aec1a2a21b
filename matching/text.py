"""Vectorised text helpers shared by the standardisers.

* :func:`on_distinct` runs a vectorised function once per distinct value and maps the result back —
  names, addresses and place names repeat a lot, so this is the cheapest speed-up there is.
* :func:`replace_many` / :func:`extract` run regular expressions through Arrow compute kernels
  (RE2, C++), several times faster than pandas' object-dtype ``.str`` methods, which call Python's
  ``re`` once per value. RE2 has no look-arounds or back-references; patterns here avoid them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "arrow_text",
    "ascii_digits",
    "extract",
    "from_arrow",
    "missing_series",
    "on_distinct",
    "replace_many",
]


def missing_series(index: pd.Index) -> pd.Series:
    """An object Series of None on ``index``."""
    return pd.Series(np.full(len(index), None, dtype=object), index=index, dtype=object)


def on_distinct(
    values: pd.Series, fn: Callable[[pd.Series], pd.Series | pd.DataFrame]
) -> pd.Series | pd.DataFrame:
    """Apply ``fn`` (vectorised, on a Series of distinct non-empty strings with a RangeIndex) once per
    distinct value of ``values`` and map the result back onto ``values.index`` (missing -> None).
    Works positionally, so duplicate index labels are fine."""
    raw = values.to_numpy(dtype=object)
    present = pd.notna(raw)
    text = pd.Series(raw[present]).astype(str)
    keep = (text != "").to_numpy()
    rows = np.flatnonzero(present)[keep]
    codes, distinct = pd.factorize(text[keep])
    result = fn(pd.Series(distinct, dtype=object))

    def spread(column: pd.Series) -> pd.Series:
        full = np.full(len(values), None, dtype=object)
        full[rows] = column.to_numpy(dtype=object)[codes]
        out = pd.Series(full, index=values.index, dtype=object)
        return out.where(out.notna(), None)

    if isinstance(result, pd.DataFrame):
        return pd.DataFrame({column: spread(result[column]) for column in result.columns}, index=values.index)
    return spread(result)


def arrow_text(values: pd.Series) -> pa.Array:
    """Arrow string array of a Series (missing -> null)."""
    return pa.array(
        values.astype("object").where(values.notna(), None).to_numpy(dtype=object), type=pa.string()
    )


def from_arrow(array: pa.Array | pa.ChunkedArray, index: pd.Index) -> pd.Series:
    """Object Series (None for null) from an Arrow string array."""
    values = np.asarray(array.to_numpy(zero_copy_only=False), dtype=object)
    out = pd.Series(values, index=index, dtype=object)
    return out.where(out.notna(), None)


def replace_many(array: pa.Array, rules: Iterable[tuple[str, str]], *, regex: bool = True) -> pa.Array:
    """Apply ``(pattern, replacement)`` rules in order (RE2 syntax when ``regex``)."""
    for pattern, replacement in rules:
        if regex:
            array = pc.replace_substring_regex(array, pattern=pattern, replacement=replacement)
        else:
            array = pc.replace_substring(array, pattern=pattern, replacement=replacement)
    return array


def extract(array: pa.Array, pattern: str, index: pd.Index) -> pd.DataFrame:
    """Named groups of the first match of ``pattern`` (RE2) per value; None where no match."""
    found = pc.extract_regex(array, pattern=pattern)
    names = [found.type.field(i).name for i in range(found.type.num_fields)]
    out = pd.DataFrame({name: from_arrow(pc.struct_field(found, [i]), index) for i, name in enumerate(names)})
    out = out.where(pd.Series(found.is_valid().to_numpy(zero_copy_only=False), index=index), None)
    return out.astype(object).where(out.notna(), None)


_ANY_DIGIT = re.compile(r"\d")  # Python's str \d: every Unicode decimal digit (category Nd)


def _digit_to_ascii(found: re.Match[str]) -> str:
    return str(unicodedata.decimal(found.group()))


def ascii_digits(array: pa.Array) -> pa.Array:
    """Decimal digits of any script as ASCII: Arabic-Indic ``٠١٢``, Devanagari ``०१२``, full-width
    ``０１２`` (every Unicode ``Nd`` character) become ``012``; everything else is kept.

    RE2's ``\\d`` (the Arrow kernels) sees only ASCII digits and pandas' ``\\d`` (Python ``re``) sees
    all of them, so text is put in ASCII digits before either looks at it. Only the values with a
    non-ASCII character go through Python."""
    non_ascii = pc.fill_null(pc.match_substring_regex(array, r"[^\x00-\x7f]"), False)
    mask = non_ascii.to_numpy(zero_copy_only=False)
    if not mask.any():
        return array
    fixed = [_ANY_DIGIT.sub(_digit_to_ascii, text) for text in array.filter(non_ascii).to_pylist()]
    return pc.replace_with_mask(array, non_ascii, pa.array(fixed, type=pa.string()))
