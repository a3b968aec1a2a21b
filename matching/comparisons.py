"""Graded comparison levels, one vectorised comparison per field (Splink-style).

Every comparison maps a pair of records to a small integer level; level 0 is always ``null`` (a value
missing on either side, weight 0) and the others run from the most to the least similar, ending in
``else``. Per-record features are prepared once (:meth:`Comparison.prepare`); :meth:`Comparison.levels`
then works on whole arrays of pairs with numpy and ``rapidfuzz.process.cpdist(..., workers=-1)``.

Kinds and their levels:

* ``name``   null, exact, same_tokens (reordered or joined: ``NUR HIDAYAH`` = ``NURHIDAYAH``),
             subset_or_initials (one name's tokens inside the other's; ``M RIZKI`` agrees with
             ``MUHAMMAD RIZKI``), fuzzy_tokens (every token of one name has a counterpart in the other,
             one typo allowed per token), most_tokens (2+ tokens correspond, not all), one_token, else.
* ``date``   null, exact, one_typo (one digit changed or two adjacent digits swapped),
             day_month_swap, default_day (same year, one side 1 Jan / 31 Dec: birthday unknown),
             within_year, else.
* ``nik``    null, exact, exact_inconsistent (same NIK, but its decoded birth date/sex disagrees with
             one of the records: a household member's NIK reused, or a data-entry error),
             one_edit (one digit or one adjacent transposition), else_inconsistent (different, and
             one of them disagrees with its own record), else (different, both self-consistent).
* ``exact``  null, exact, else.
* ``phone``  null, exact, one_edit, else.
* ``place``  null, same kelurahan+RW+RT, same kelurahan+RW, same kelurahan, same kecamatan, else.
* ``string`` null, exact, one level per Jaro–Winkler threshold, else.

Comparisons with ``term_frequency`` expose a per-record value code and the value frequencies, so the
scorer can make agreement on a common value (``SITI AMINAH``, ``01-01`` birthdays, a shared family
phone) worth less than agreement on a rare one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow.compute as pc
from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler

from matching.errors import MatchInputError
from matching.names import name_token_features, name_token_matrix
from matching.settings import ComparisonSettings
from matching.text import positions_in, text_array, text_or_empty

__all__ = [
    "Comparison",
    "build_comparisons",
    "comparison_matrix",
    "Features",
    "ValueFrequencies",
    "term_frequencies",
]


def _text(std: pd.DataFrame, column: str) -> np.ndarray:
    if column not in std:
        raise MatchInputError(
            f"comparison needs column {column!r}; run standardise_records first", columns=(column,)
        )
    return text_or_empty(std[column])


def _cpdist(a: np.ndarray, b: np.ndarray, scorer, **kwargs) -> np.ndarray:
    if len(a) == 0:
        return np.zeros(0, dtype=np.float64)
    return process.cpdist(list(a), list(b), scorer=scorer, workers=-1, **kwargs)


@dataclass
class Features:
    """Per-record arrays a comparison needs; ``tf_code``/``tf_freq`` when it is TF-adjusted."""

    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    tf_code: np.ndarray | None = None
    tf_freq: np.ndarray | None = None


@dataclass(frozen=True)
class ValueFrequencies:
    """The frequency of each distinct value of a population (what :func:`term_frequencies` counts),
    kept to look up the values of any part of it."""

    values: pd.Index
    frequency: np.ndarray

    @classmethod
    def of(cls, values: np.ndarray) -> ValueFrequencies:
        """Count ``values`` (``""`` and missing values are not counted). Text is counted by Arrow's hash
        kernel, anything else by pandas; the distinct values' order differs between the two, and nothing
        depends on it (a code only points into ``frequency``, and the counts are whole numbers, so their
        sum is exact in any order)."""
        values = np.asarray(values, dtype=object)
        counted = _text_counts(values)
        if counted is None:
            codes, found = pd.factorize(values, use_na_sentinel=True)
            counts = np.bincount(codes[codes >= 0], minlength=len(found)).astype(np.float64)
            uniques = np.asarray(found, dtype=object)
        else:
            uniques, counts = counted
        kept = uniques != ""
        counts = counts[kept]
        return cls(pd.Index(uniques[kept], dtype=object), counts / max(counts.sum(), 1.0))

    def codes(self, values: np.ndarray) -> np.ndarray:
        """Per value, its code into ``frequency`` (-1: empty, missing or not in the population: ``""``
        is not counted, so it is not among ``values``)."""
        return positions_in(values, self.values)


def _text_counts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The distinct non-missing values of ``values`` and how often each occurs, when they are text
    (``str`` and missing values only); ``None`` otherwise."""
    text = text_array(values)
    if text is None:
        return None
    found = pc.value_counts(text.drop_null())
    uniques = np.asarray(found.field("values").to_numpy(zero_copy_only=False), dtype=object)
    counts = np.asarray(found.field("counts"), dtype=np.float64)
    return uniques, counts


def term_frequencies(values: np.ndarray, others: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per value of ``values``: a code (-1 for empty) into the frequencies of the distinct values, counted
    over ``values`` and ``others`` (the rest of the population, when the frame is only part of it)."""
    counted = values if others is None or len(others) == 0 else np.concatenate([values, others])
    table = ValueFrequencies.of(counted)
    return table.codes(values), table.frequency


class Comparison:
    """Base class: one field, levels in fixed order, level 0 = null."""

    level_names: tuple[str, ...] = ("null", "exact", "else")
    #: The column compared when the settings name none.
    default_column: str = ""
    tf_levels: tuple[int, ...] = (1,)

    def __init__(self, settings: ComparisonSettings) -> None:
        self.settings = settings
        self.name = settings.name

    @property
    def n_levels(self) -> int:
        return len(self.level_names)

    def prepare(
        self, std: pd.DataFrame, cache: dict | None = None, frequencies: ValueFrequencies | None = None
    ) -> Features:
        """Per-record arrays; ``cache`` may hold features shared with blocking (name tokens).

        With term frequencies: counted over ``std``, or looked up in ``frequencies`` (those of a population
        ``std`` is part of, ``matching.linkage.population_frequencies``)."""
        values = self._values(std)
        return self._with_tf(Features({"value": values}), values, frequencies)

    def _values(self, std: pd.DataFrame) -> np.ndarray:
        """The compared column (the settings' ``column``, else ``default_column``) as text."""
        return _text(std, self.settings.column or self.default_column)

    def tf_values(self, std: pd.DataFrame, cache: dict | None = None) -> np.ndarray:
        """The values whose frequencies adjust this comparison's agreement weights, one per record."""
        return self._values(std)

    def _with_tf(
        self, features: Features, tf_values: np.ndarray, frequencies: ValueFrequencies | None = None
    ) -> Features:
        if not self.settings.term_frequency:
            return features
        if frequencies is None:
            features.tf_code, features.tf_freq = term_frequencies(tf_values)
        else:
            features.tf_code, features.tf_freq = frequencies.codes(tf_values), frequencies.frequency
        return features

    def levels(self, features: Features, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        a = features.arrays["value"][left]
        b = features.arrays["value"][right]
        out = np.full(len(left), self.n_levels - 1, dtype=np.int8)
        out[a == b] = 1
        out[(a == "") | (b == "")] = 0
        return out

    def describe(self) -> dict[str, object]:
        return {
            "kind": self.settings.kind,
            "levels": list(self.level_names),
            "term_frequency": self.settings.term_frequency,
        }


class ExactComparison(Comparison):
    pass


class StringComparison(Comparison):
    def __init__(self, settings: ComparisonSettings) -> None:
        super().__init__(settings)
        thresholds = settings.thresholds or (0.9,)
        self.thresholds = thresholds
        self.level_names = ("null", "exact", *[f"jaro_winkler_{t:g}" for t in thresholds], "else")

    def levels(self, features: Features, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        a = features.arrays["value"][left]
        b = features.arrays["value"][right]
        out = np.full(len(left), self.n_levels - 1, dtype=np.int8)
        null = (a == "") | (b == "")
        exact = (a == b) & ~null
        rest = np.flatnonzero(~null & ~exact)
        sim = _cpdist(a[rest], b[rest], JaroWinkler.normalized_similarity)
        level = np.full(len(rest), self.n_levels - 1, dtype=np.int8)
        for i, threshold in reversed(list(enumerate(self.thresholds))):
            level[sim >= threshold] = 2 + i
        out[rest] = level
        out[exact] = 1
        out[null] = 0
        return out


class NameComparison(Comparison):
    """Token-aware name levels. Two tokens *correspond* when equal, when one is a single-letter
    initial of the other, or (both of 4+ letters) when they are ``max_edits`` edits apart (one typo).

    ``fuzzy_tokens``: every token of one name corresponds to a token of the other (typos allowed);
    ``most_tokens``: two or more tokens correspond but not all; ``one_token``: exactly one does —
    siblings sharing a family name or a first name (twins!) land here, not in a fuzzy level."""

    tf_levels = (1, 2)
    default_column = "name_key"
    level_names = (
        "null",
        "exact",
        "same_tokens",
        "subset_or_initials",
        "fuzzy_tokens",
        "most_tokens",
        "one_token",
        "else",
    )
    max_tokens = 6
    chunk = 200_000

    def _tokens(self, std: pd.DataFrame, key: np.ndarray | None, cache: dict | None) -> pd.DataFrame:
        """``name_token_features`` of the key column (``key``: its text, when at hand), shared with
        blocking through ``cache``."""
        column = self.settings.column or self.default_column
        cache = {} if cache is None else cache
        if column == "name_key" and "__name_tokens__" in cache:
            return cache["__name_tokens__"]
        key = self._values(std) if key is None else key
        tokens = name_token_features(pd.Series(key, index=std.index))
        if column == "name_key":
            cache["__name_tokens__"] = tokens
        return tokens

    def tf_values(self, std: pd.DataFrame, cache: dict | None = None) -> np.ndarray:
        return self._tokens(std, None, cache)["sorted"].to_numpy(dtype=object)

    def prepare(
        self, std: pd.DataFrame, cache: dict | None = None, frequencies: ValueFrequencies | None = None
    ) -> Features:
        key = self._values(std)
        tokens = self._tokens(std, key, cache)
        arrays = {"key": key}
        for name in ("sorted", "nospace"):
            arrays[name] = tokens[name].to_numpy(dtype=object)
        arrays["nospace_len"] = tokens["nospace"].str.len().to_numpy(dtype=np.int64)
        for name in ("n_long", "n_tokens", "initials", "firsts"):
            arrays[name] = tokens[name].to_numpy(dtype=np.int64)
        codes, vocabulary = name_token_matrix(pd.Series(key), self.max_tokens)
        vocab = pd.Series(vocabulary, dtype=object)
        # index -1 (no token) reads the appended sentinel: length 0, no first letter
        token_len = np.append(vocab.str.len().to_numpy(dtype=np.int64), 0)
        token_first = np.append(np.asarray(vocab.str[:1].to_numpy(dtype=str), dtype="U1").view(np.int32), 0)
        arrays["vocabulary"] = vocabulary
        arrays["token_code"] = codes
        arrays["token_len"] = np.minimum(token_len[codes], 127).astype(np.int8)
        arrays["token_first"] = token_first[codes].astype(np.uint8)
        return self._with_tf(Features(arrays), arrays["sorted"], frequencies)

    def _correspondence(
        self, f: dict[str, np.ndarray], lr: np.ndarray, rr: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(n, 6, 6) token correspondence: ``literal`` (equal, or initial of) and ``close`` (literal or
        within ``max_edits``). All combinations at once by broadcasting; edit distances are computed
        once per distinct (token, token) combination, not once per pair."""
        code_a, code_b = f["token_code"][lr][:, :, None], f["token_code"][rr][:, None, :]
        len_a, len_b = f["token_len"][lr][:, :, None], f["token_len"][rr][:, None, :]
        both = (len_a > 0) & (len_b > 0)
        literal = both & (code_a == code_b)
        first_a, first_b = f["token_first"][lr][:, :, None], f["token_first"][rr][:, None, :]
        literal |= both & ((len_a == 1) | (len_b == 1)) & (first_a == first_b)
        close = literal.copy()
        edits = self.settings.max_edits
        candidates = both & ~literal & (len_a >= 4) & (len_b >= 4) & (np.abs(len_a - len_b) <= edits)
        where = np.nonzero(candidates)
        if len(where[0]):
            ca = np.broadcast_to(code_a, candidates.shape)[where]
            cb = np.broadcast_to(code_b, candidates.shape)[where]
            size = int(f["vocabulary"].shape[0])
            low, high = np.minimum(ca, cb).astype(np.int64), np.maximum(ca, cb).astype(np.int64)
            combo, inverse = np.unique(low * size + high, return_inverse=True)
            vocab = f["vocabulary"]
            dist = _cpdist(vocab[combo // size], vocab[combo % size], OSA.distance)
            close[where] = dist[inverse.ravel()] <= edits
        return literal, close

    def levels(self, features: Features, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        f = features.arrays
        a, b = f["key"][left], f["key"][right]
        null = (a == "") | (b == "")
        exact = (a == b) & ~null
        same = (
            ~null
            & ~exact
            & ((f["sorted"][left] == f["sorted"][right]) | (f["nospace"][left] == f["nospace"][right]))
        )
        out = np.full(len(left), self.n_levels - 1, dtype=np.int8)
        rest = np.flatnonzero(~null & ~exact & ~same)
        for start in range(0, len(rest), self.chunk):
            part = rest[start : start + self.chunk]
            out[part] = self._graded(f, left[part], right[part])
        out[same] = 2
        out[exact] = 1
        out[null] = 0
        return out

    def _graded(self, f: dict[str, np.ndarray], lr: np.ndarray, rr: np.ndarray) -> np.ndarray:
        literal, close = self._correspondence(f, lr, rr)
        tokens_a = np.minimum(f["n_tokens"][lr], self.max_tokens)
        tokens_b = np.minimum(f["n_tokens"][rr], self.max_tokens)
        n_long = np.minimum(f["n_long"][lr], f["n_long"][rr])
        fewest = np.minimum(tokens_a, tokens_b)

        def covered(matrix: np.ndarray) -> np.ndarray:
            return (matrix.any(axis=2).sum(axis=1) == tokens_a) | (matrix.any(axis=1).sum(axis=1) == tokens_b)

        has_initials = (f["initials"][lr] | f["initials"][rr]) != 0
        enough = np.where(has_initials, (n_long >= 1) & (fewest >= 2), n_long >= 2)
        subset = covered(literal) & enough
        fuzzy = covered(close) & ((fewest >= 2) | ((tokens_a == 1) & (tokens_b == 1)))
        shared = np.minimum(close.any(axis=2).sum(axis=1), close.any(axis=1).sum(axis=1))
        level = np.full(len(lr), 7, dtype=np.int8)
        level[shared >= 1] = 6
        level[shared >= 2] = 5
        edits = self.settings.max_edits
        lengths = np.abs(f["nospace_len"][lr] - f["nospace_len"][rr]) <= edits
        check = np.flatnonzero(~fuzzy & ~subset & lengths)
        merged_typo = np.zeros(len(lr), dtype=bool)
        merged_typo[check] = _cpdist(f["nospace"][lr[check]], f["nospace"][rr[check]], OSA.distance) <= edits
        level[fuzzy | merged_typo] = 4
        level[subset] = 3
        return level


class DateComparison(Comparison):
    """Birth dates. ``default_day``: same year, and one side is 1 January or 31 December — the dates
    registers fill in when the real birthday is unknown."""

    level_names = ("null", "exact", "one_typo", "day_month_swap", "default_day", "within_year", "else")
    default_column = "birth_date_std"

    def prepare(
        self, std: pd.DataFrame, cache: dict | None = None, frequencies: ValueFrequencies | None = None
    ) -> Features:
        iso = self._values(std)
        parsed = pd.to_datetime(pd.Series(iso).replace("", None), format="%Y-%m-%d", errors="coerce")
        month = parsed.dt.month.fillna(0).to_numpy(dtype=np.int64)
        day = parsed.dt.day.fillna(0).to_numpy(dtype=np.int64)
        features = Features(
            {
                "value": iso,
                "digits": pd.Series(iso).str.replace("-", "", regex=False).to_numpy(dtype=object),
                "day_number": (parsed.to_numpy(dtype="datetime64[D]").astype(np.int64)),
                "month": month,
                "day": day,
                "year": parsed.dt.year.fillna(0).to_numpy(dtype=np.int64),
                "default": ((month == 1) & (day == 1)) | ((month == 12) & (day == 31)),
            }
        )
        return self._with_tf(features, iso, frequencies)

    def levels(self, features: Features, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        f = features.arrays
        a, b = f["value"][left], f["value"][right]
        null = (a == "") | (b == "")
        exact = (a == b) & ~null
        out = np.full(len(left), self.n_levels - 1, dtype=np.int8)
        rest = np.flatnonzero(~null & ~exact)
        lr, rr = left[rest], right[rest]
        typo = _cpdist(f["digits"][lr], f["digits"][rr], OSA.distance) <= 1
        same_year = f["year"][lr] == f["year"][rr]
        swap = same_year & (f["month"][lr] == f["day"][rr]) & (f["day"][lr] == f["month"][rr])
        default = same_year & (f["default"][lr] | f["default"][rr])
        near = np.abs(f["day_number"][lr] - f["day_number"][rr]) <= 366
        level = np.full(len(rest), 6, dtype=np.int8)
        level[near] = 5
        level[default] = 4
        level[swap] = 3
        level[typo] = 2
        out[rest] = level
        out[exact] = 1
        out[null] = 0
        return out


class NikComparison(Comparison):
    """A NIK that disagrees with its own record's birth date/sex (``nik_agrees`` False) may belong to
    someone else (a household head's NIK typed for a dependant): its agreement and its disagreement
    both get their own, weaker levels."""

    level_names = ("null", "exact", "exact_inconsistent", "one_edit", "else_inconsistent", "else")
    default_column = "nik_std"

    def prepare(
        self, std: pd.DataFrame, cache: dict | None = None, frequencies: ValueFrequencies | None = None
    ) -> Features:
        nik = self._values(std)
        if "nik_agrees" in std:
            agrees = std["nik_agrees"].astype("boolean").fillna(True).to_numpy(dtype=bool)
        else:
            agrees = np.ones(len(std), dtype=bool)
        return self._with_tf(Features({"value": nik, "agrees": agrees}), nik, frequencies)

    def levels(self, features: Features, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        f = features.arrays
        a, b = f["value"][left], f["value"][right]
        null = (a == "") | (b == "")
        exact = (a == b) & ~null
        consistent = f["agrees"][left] & f["agrees"][right]
        out = np.where(consistent, 5, 4).astype(np.int8)
        rest = np.flatnonzero(~null & ~exact)
        near = _cpdist(a[rest], b[rest], OSA.distance) <= 1
        out[rest[near]] = 3
        out[exact & ~consistent] = 2
        out[exact & consistent] = 1
        out[null] = 0
        return out


class PhoneComparison(Comparison):
    level_names = ("null", "exact", "one_edit", "else")

    def levels(self, features: Features, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        a = features.arrays["value"][left]
        b = features.arrays["value"][right]
        null = (a == "") | (b == "")
        exact = (a == b) & ~null
        out = np.full(len(left), self.n_levels - 1, dtype=np.int8)
        rest = np.flatnonzero(~null & ~exact)
        out[rest[_cpdist(a[rest], b[rest], OSA.distance) <= 1]] = 2
        out[exact] = 1
        out[null] = 0
        return out


class PlaceComparison(Comparison):
    level_names = ("null", "kelurahan_rw_rt", "kelurahan_rw", "kelurahan", "kecamatan", "else")
    tf_levels = ()

    def prepare(
        self, std: pd.DataFrame, cache: dict | None = None, frequencies: ValueFrequencies | None = None
    ) -> Features:
        def codes(column: str) -> np.ndarray:
            return pd.factorize(std[column].astype("object"), use_na_sentinel=True)[0].astype(np.int64)

        return Features({c: codes(c) for c in ("kelurahan_code", "kecamatan_code", "rw_std", "rt_std")})

    def levels(self, features: Features, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        f = features.arrays

        def same(column: str) -> np.ndarray:
            x, y = f[column][left], f[column][right]
            return (x == y) & (x >= 0)

        kec_l, kec_r = f["kecamatan_code"][left], f["kecamatan_code"][right]
        null = (kec_l < 0) | (kec_r < 0)
        kel = same("kelurahan_code")
        rw = kel & same("rw_std")
        rt = rw & same("rt_std")
        out = np.full(len(left), 5, dtype=np.int8)
        out[same("kecamatan_code")] = 4
        out[kel] = 3
        out[rw] = 2
        out[rt] = 1
        out[null & ~kel] = 0
        return out


_KINDS: dict[str, type[Comparison]] = {
    "name": NameComparison,
    "date": DateComparison,
    "nik": NikComparison,
    "exact": ExactComparison,
    "phone": PhoneComparison,
    "place": PlaceComparison,
    "string": StringComparison,
}


def build_comparisons(settings: tuple[ComparisonSettings, ...]) -> list[Comparison]:
    """Comparison objects for the settings, in order."""
    return [_KINDS[c.kind](c) for c in settings]


def comparison_matrix(
    comparisons: list[Comparison], features: list[Features], left: np.ndarray, right: np.ndarray
) -> np.ndarray:
    """Levels of every comparison for the given pairs: int8 array of shape (pairs, comparisons)."""
    matrix = np.empty((len(left), len(comparisons)), dtype=np.int8)
    for k, (comparison, feats) in enumerate(zip(comparisons, features, strict=True)):
        matrix[:, k] = comparison.levels(feats, left, right)
    return matrix
