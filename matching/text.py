"""Vectorised text helpers shared by the standardisers.

* :func:`on_distinct` runs a vectorised function once per distinct value and maps the result back —
  names, addresses and place names repeat a lot, so this is the cheapest speed-up there is.
* :func:`positions_in` looks text values up among distinct ones with Arrow's hash kernel (2 to 5 times
  faster than ``pd.Index.get_indexer`` over object arrays of str).
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
    "factorize_sorted",
    "from_arrow",
    "kept_objects",
    "missing_series",
    "on_distinct",
    "positions_in",
    "replace_many",
    "text_array",
    "text_or_empty",
    "text_objects",
]


def missing_series(index: pd.Index) -> pd.Series:
    """An object Series of None on ``index``."""
    return pd.Series(np.full(len(index), None, dtype=object), index=index, dtype=object)


def text_or_empty(values: pd.Series) -> np.ndarray:
    """The values as an object array of strings, missing values as ``""`` (``str()`` of anything not
    a string); strings are kept as the objects they are."""
    out = values.to_numpy(dtype=object, copy=True)
    out[pd.isna(out)] = ""
    if pd.api.types.infer_dtype(out, skipna=False) != "string":
        out = out.astype(str).astype(object)
    return out


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


def positions_in(values: np.ndarray | pd.Series, table: np.ndarray | pd.Index) -> np.ndarray:
    """For each of ``values``, its position in ``table`` (distinct values, none missing), -1 where it is
    not there or missing: ``pd.Index(table).get_indexer(values)``, as int64.

    Where both are text (``str`` and missing values only), Arrow hashes their UTF-8 bytes (equal bytes,
    equal strings). ``benchmarks/lookups.py``: 4M values among 100k distinct take 0.26 s instead of
    1.41 s, and 1.8M among 1.8M take 0.75 s instead of 1.38 s. Anything else (numbers, bytes, a string
    Arrow cannot encode) is looked up by pandas.
    """
    values = np.asarray(values, dtype=object)
    table = np.asarray(table, dtype=object)
    if len(values) == 0 or len(table) == 0:
        return np.full(len(values), -1, dtype=np.int64)
    looked_up = text_array(values)
    among = text_array(table) if looked_up is not None else None
    if looked_up is None or among is None or among.type != pa.string() or among.null_count:
        return pd.Index(table, dtype=object).get_indexer(values).astype(np.int64)
    if looked_up.type == pa.null():
        return np.full(len(values), -1, dtype=np.int64)
    found = pc.index_in(looked_up, value_set=among)
    return np.asarray(found.fill_null(-1), dtype=np.int64)


def factorize_sorted(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(values, sort=True)``; for strings sorted by Arrow (UTF-8 bytes sort as Python sorts
    strings, code point by code point), a few times faster than pandas' sort of Python strings (4.1M
    record ids: 9.8 s)."""
    if pd.api.types.infer_dtype(values, skipna=False) != "string":
        return pd.factorize(values, sort=True)
    codes, uniques = pd.factorize(values)
    try:
        order = pc.array_sort_indices(pa.array(uniques, type=pa.string())).to_numpy()
    except (pa.ArrowException, UnicodeError):  # e.g. a lone surrogate, which UTF-8 cannot hold
        return pd.factorize(values, sort=True)
    rank = np.empty(len(uniques), dtype=np.int64)
    rank[order] = np.arange(len(uniques))
    return rank[codes], np.asarray(uniques, dtype=object)[order]


def text_array(values: np.ndarray) -> pa.Array | None:
    """``values`` as one Arrow string array (missing values null; all missing: a null array) when they
    are text, ``str`` and missing values only; ``None`` for anything else (numbers, bytes, a string
    UTF-8 cannot encode, or past 2 GB of text)."""
    try:
        array = pa.array(values, from_pandas=True)
    except (pa.ArrowException, OverflowError, TypeError, ValueError):
        return None
    if isinstance(array, pa.ChunkedArray) or array.type not in (pa.string(), pa.null()):
        return None
    return array


def arrow_text(values: pd.Series) -> pa.Array:
    """Arrow string array of a Series (missing -> null)."""
    return pa.array(
        values.astype("object").where(values.notna(), None).to_numpy(dtype=object), type=pa.string()
    )


def from_arrow(array: pa.Array | pa.ChunkedArray, index: pd.Index) -> pd.Series:
    """Object Series (None for null) from an Arrow string array; equal strings are one object when
    they repeat a lot (:func:`text_objects`)."""
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        values = text_objects(array)
    else:
        values = np.asarray(array.to_numpy(zero_copy_only=False), dtype=object)
    out = pd.Series(values, index=index, dtype=object)
    return out.where(out.notna(), None)


#: Arrow text becomes one ``str`` object per distinct value when a sample of it estimates at most this
#: many distinct values per (present) value; see :func:`text_objects`.
SHARED_BELOW = 0.4
#: Values sampled to estimate that (arrays of at most this many present values are always shared).
_SAMPLE = 8192


def text_objects(text: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Arrow text as an object array of ``str`` (``None`` where null), equal values one shared object
    when they repeat a lot, else one ``str`` per value (``to_numpy``).

    A ``str`` per row costs 50-60 bytes where a pointer costs 8, and standardised columns repeat a
    lot (streets, places). Dictionary encoding (hashing in C++) makes one object per distinct value
    and is faster than a ``str`` per row when values repeat; on mostly distinct values it takes twice
    as long and saves little, so a sample decides (Chao1 estimate of the distinct values, ~1 ms).
    """
    present = len(text) - text.null_count
    if not present or not _repeats(text, present):
        return np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)
    if isinstance(text, pa.ChunkedArray):  # one dictionary for the whole array
        text = text.combine_chunks()
    encoded = pc.dictionary_encode(text)
    objects = np.asarray(encoded.dictionary.to_numpy(zero_copy_only=False), dtype=object)
    indices = encoded.indices
    if indices.null_count:
        objects = np.append(objects, None)
        indices = indices.fill_null(len(objects) - 1)
    return objects[indices.to_numpy(zero_copy_only=False)]


def _repeats(text: pa.Array | pa.ChunkedArray, present: int) -> bool:
    """Whether ``text`` (``present`` values not null) is estimated to hold at most ``SHARED_BELOW``
    distinct values per value: Chao1 on a fixed random sample of positions."""
    if present <= _SAMPLE:
        return True
    rows = np.random.default_rng(0).integers(0, len(text), _SAMPLE)
    counts = pc.value_counts(text.take(pa.array(rows)).drop_null()).field("counts").to_numpy()
    once, twice = int(np.count_nonzero(counts == 1)), int(np.count_nonzero(counts == 2))
    distinct = len(counts) + once * (once - 1) / (2 * (twice + 1))
    return distinct <= SHARED_BELOW * present


def kept_objects(array: pa.Array, original: pa.Array, objects: np.ndarray) -> np.ndarray:
    """``array`` (text made from ``original``, position by position) as an object array, ``None``
    where null, holding ``objects`` (``original``'s own ``str`` objects) wherever the text is
    unchanged: no new ``str`` for a value a standardiser left as it was."""
    same = pc.fill_null(pc.equal(array, original), False).to_numpy(zero_copy_only=False)
    out = np.array(objects, dtype=object)  # a copy
    changed = np.flatnonzero(~same)
    if len(changed):
        out[changed] = text_objects(array.take(pa.array(changed)))
    return out


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
