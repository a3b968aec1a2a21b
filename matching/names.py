"""Indonesian personal names: titles, patronymics, old spellings, Muhammad variants.

``standardise_names`` turns raw names into:

* ``name_std``    display name: upper case, single-spaced, titles removed (spelling kept as sent);
* ``name_titles`` the stripped titles in canonical form, prefixes first (``'H. S.E.'``);
* ``name_key``    the comparison key: ``bin``/``binti`` tail dropped, punctuation gone, Muhammad
                  variants and abbreviations unified, old (pre-EYD) spellings folded and doubled
                  letters squeezed — so ``MOCH. DJOKO SOEPRAPTO, S.E.`` and ``MUHAMMAD JOKO SUPRAPTO``
                  share one key;
* ``father_name`` the name after ``bin``/``binti``/``bt.``, if any.

The key is a folding, not a spelling: ``J`` is read as ``Y`` (``Soejono`` = ``Suyono``), ``CH``/``KH``
as ``H`` (``Achmad`` = ``Ahmad``) and a final ``Y`` as ``I`` (``Rizky`` = ``Rizki``), on both sides of
every comparison. Single-letter initials stay single letters; comparisons let them agree with a full
token. Everything runs once per distinct name with vectorised ``.str`` operations.
"""

from __future__ import annotations

import re
import string
import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from matching.text import arrow_text, extract, from_arrow, missing_series, on_distinct, replace_many

__all__ = [
    "PREFIX_TITLES",
    "SUFFIX_TITLES",
    "standardise_names",
    "fold_name",
    "name_token_features",
    "name_token_matrix",
]

#: Prefix titles that may be written without a dot (``H SUPARMAN``, ``DR ANDI``).
_PREFIX_BARE = [
    "PROF",
    "DR",
    "DRS",
    "DRA",
    "DRG",
    "IR",
    "HJ",
    "HJH",
    "KH",
    "H",
    "TB",
    "TGK",
    "BPK",
    "BAPAK",
    "IBU",
    "NY",
    "NYONYA",
    "NN",
    "SDR",
    "SDRI",
    "SDRA",
    "ALM",
    "ALMH",
    "ALMARHUM",
    "ALMARHUMAH",
    "UST",
    "USTADZ",
    "USTADZAH",
    "USTAD",
    "HAJI",
    "HAJJAH",
    "RR",
    "RA",
    "RM",
    "DT",
]
#: Prefix titles recognised only with their dot (single letters that could be initials).
_PREFIX_DOTTED = ["R", "T", "K\\.\\s?H", "R\\.\\s?A", "R\\.\\s?M", "R\\.\\s?R"]

#: Canonical prefix titles (letters only -> display form).
PREFIX_TITLES: dict[str, str] = {t: f"{t}." for t in _PREFIX_BARE if t not in {"BAPAK", "IBU", "NYONYA"}}
PREFIX_TITLES.update(
    {
        "BAPAK": "BAPAK",
        "IBU": "IBU",
        "NYONYA": "NYONYA",
        "R": "R.",
        "T": "T.",
        "RA": "R.A.",
        "RM": "R.M.",
        "RR": "R.R.",
        "KH": "K.H.",
        "HAJI": "HAJI",
        "HAJJAH": "HAJJAH",
        "USTADZ": "USTADZ",
        "USTADZAH": "USTADZAH",
        "USTAD": "USTAD",
        "ALMARHUM": "ALMARHUM",
        "ALMARHUMAH": "ALMARHUMAH",
    }
)

#: Academic and professional degrees written after the name (canonical display forms).
SUFFIX_TITLES: tuple[str, ...] = (
    "S.E.",
    "S.E.I.",
    "S.E.Ak.",
    "S.H.",
    "S.H.I.",
    "S.T.",
    "S.Kom.",
    "S.Pd.",
    "S.Pd.I.",
    "S.Sos.",
    "S.Ag.",
    "S.IP.",
    "S.I.P.",
    "S.Psi.",
    "S.Farm.",
    "S.Ked.",
    "S.Kep.",
    "S.K.M.",
    "S.Gz.",
    "S.Pt.",
    "S.I.Kom.",
    "S.S.",
    "S.Si.",
    "S.Tr.",
    "S.Ak.",
    "S.Hut.",
    "S.TP.",
    "S.Keb.",
    "S.ST.",
    "S.AP.",
    "S.Sn.",
    "S.Ds.",
    "S.Th.",
    "S.KG.",
    "S.Fil.",
    "Ns.",
    "A.Md.",
    "A.Md.Keb.",
    "A.Md.Kep.",
    "A.Md.Kom.",
    "A.Ma.",
    "A.Ma.Pd.",
    "M.M.",
    "M.Si.",
    "M.Kom.",
    "M.Pd.",
    "M.H.",
    "M.T.",
    "M.B.A.",
    "M.A.",
    "M.Ag.",
    "M.Sc.",
    "M.TI.",
    "M.Farm.",
    "M.Ak.",
    "M.Kes.",
    "M.Kn.",
    "M.IP.",
    "M.Hum.",
    "M.Psi.",
    "M.Eng.",
    "M.Ec.Dev.",
    "Ph.D.",
    "Sp.PD.",
    "Sp.OG.",
    "Sp.A.",
    "Sp.B.",
    "Sp.M.",
    "Sp.KK.",
    "Sp.JP.",
    "Sp.THT.",
    "Sp.An.",
    "Sp.Rad.",
    "Lc.",
    "B.Sc.",
    "B.A.",
    "MBA.",
    "MSc.",
    "Dipl.",
)


def _suffix_pattern(title: str) -> str:
    parts = [p for p in title.upper().split(".") if p]
    return r"\.?\s?".join(re.escape(p) for p in parts) + r"\.?"


_SUFFIX_CANON: dict[str, str] = {re.sub(r"[^A-Z]", "", t.upper()): t.upper() for t in SUFFIX_TITLES}
_SUFFIX_ALT = "|".join(
    _suffix_pattern(t) for t in sorted(SUFFIX_TITLES, key=lambda t: -len(re.sub(r"[^A-Za-z]", "", t)))
)
#: Trailing run of degrees (RE2: no look-arounds; a degree ends where the next separator or the end is).
_SUFFIX_RUN = rf"^(?P<core>.*?)(?P<suf>(?:[\s,]+(?:{_SUFFIX_ALT}))+)[\s,.]*$"
_SUFFIX_ONE = re.compile(rf"(?:{_SUFFIX_ALT})(?![A-Z])")
_PREFIX_ALT = "|".join(
    [rf"(?:{t})(?:\.\s*|\s+)" for t in sorted(_PREFIX_BARE, key=len, reverse=True)]
    + [rf"(?:{t})\.\s*" for t in sorted(_PREFIX_DOTTED, key=len, reverse=True)]
)
_PREFIX_RUN = rf"^(?P<pre>(?:{_PREFIX_ALT})+)(?P<rest>.*[A-Z].*)$"
_PATRONYMIC = r"^(?P<own>.*?[A-Z].*?)\s+(?:(?:BIN|BINTI|BTE?)\s+|(?:B|BT|BTE)\.\s*)(?P<father>[A-Z].*)$"

#: Spellings of Muhammad (after punctuation removal), all folded to one token.
_MUHAMMAD = (
    r"\b(?:M[OU](?:C?H|KH)?A?M{1,2}[AE][DT]|MOH|MOCH|MOKH|MUH|MUCH|MHD|MD|MOHD|MUHD|MUHAM|MOHAM"
    r"|MOCHD|MUCHD|MOHAMED|MUHAMED)\b"
)
_TOKEN_ABBREVIATIONS = (
    (r"\bABD\b", "ABDUL"),
    (r"\bST\b", "SITI"),
    (r"\bNOOR\b", "NUR"),
    (r"\b(?:AHM|AHMD|ACH|ACHM)\b", "AHMAD"),
)
#: Old-spelling and phonetic folds, applied in this order (domain.md §3.1).
_FOLDS = (
    ("OE", "U"),
    ("TJ", "C"),
    ("DJ", "J"),
    ("SJ", "SY"),
    ("J", "Y"),
    ("CH", "H"),
    ("KH", "H"),
    ("DZ", "Z"),
    ("PH", "F"),
    ("TH", "T"),
    ("Q", "K"),
)


def _ascii_upper(values: pd.Series) -> pa.Array:
    def to_ascii(text: str) -> str:
        return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")

    text = values.astype(str)
    non_ascii = text.str.contains(r"[^\x00-\x7f]", regex=True)
    if non_ascii.any():
        text[non_ascii] = [to_ascii(t) for t in text[non_ascii]]
    array = pc.utf8_upper(arrow_text(text))
    array = replace_many(array, [("[`’‘´]", "'"), (r"[^A-Z0-9.,'\- ]", " "), (r"\s+", " ")])
    return pc.utf8_trim_whitespace(array)


#: "D O D I" typed letter by letter: three or more single letters and nothing else.
_SPACED = r"^(?:[A-Z] ){2,}[A-Z]$"
_CLEAN = ((r"['`]", ""), (r"[^A-Z ]", " "), (r" {2,}", " "))
_TOKENS = ((_MUHAMMAD, "MUHAMMAD"), *_TOKEN_ABBREVIATIONS)
_FINAL = ((r"Y+\b", "I"), *((f"{c}{c}+", c) for c in string.ascii_uppercase))
#: What one fold pass can rewrite: the union of its rules' patterns. A key matching none of them is a
#: fixed point of the pass, so only keys that match are folded again.
_UNSETTLED = "|".join(
    [p for p, _ in (*_CLEAN, *_TOKENS, *_FINAL)] + [r"^ | $", _SPACED] + [re.escape(p) for p, _ in _FOLDS]
)
#: Every pass shortens a name or replaces an abbreviation by its (stable) full form, so a few passes
#: reach the fixed point; the cap only guards against a future rule that would cycle.
_MAX_PASSES = 16


def _fold_pass(array: pa.Array) -> pa.Array:
    key = pc.utf8_trim_whitespace(replace_many(array, _CLEAN))
    spaced = pc.match_substring_regex(key, _SPACED)
    key = pc.if_else(spaced, pc.replace_substring(key, " ", ""), key)
    key = replace_many(key, _TOKENS)
    key = replace_many(key, _FOLDS, regex=False)
    return replace_many(key, _FINAL)


def _fold(array: pa.Array) -> pa.Array:
    """The fold pass repeated until nothing changes, so that a key folds to itself.

    One pass is not enough: a rewrite can make a pattern that an earlier rule looks for (``CCH`` ->
    ``CH``, ``THH`` -> ``TH``, ``CKH`` -> ``CH``) and squeezing doubled letters can make an abbreviation
    (``STT`` -> ``ST`` = ``SITI``, ``MUHH`` -> ``MUH``). Only the keys that a pass could still change are
    passed again (one RE2 match over all keys), so the repeat costs little."""
    key = _fold_pass(array)
    unsettled = pc.fill_null(pc.match_substring_regex(key, _UNSETTLED), False)
    rows = np.flatnonzero(unsettled.to_numpy(zero_copy_only=False))
    for _ in range(_MAX_PASSES):
        if len(rows) == 0:
            break
        before = key.take(pa.array(rows))
        after = _fold_pass(before)
        changed = pc.fill_null(pc.not_equal(before, after), False).to_numpy(zero_copy_only=False)
        rows = rows[changed]
        mask = np.zeros(len(key), dtype=bool)
        mask[rows] = True
        key = pc.replace_with_mask(key, pa.array(mask), after.filter(pa.array(changed)))
    return key


def fold_name(name: pd.Series) -> pd.Series:
    """Comparison key of an already title-free, patronymic-free upper-case name (vectorised)."""
    key = from_arrow(_fold(arrow_text(name)), name.index)
    return key.where(key.notna() & (key != ""), None)


def _canonical_titles(runs: pd.Series, pattern: re.Pattern[str], canon: dict[str, str]) -> pd.Series:
    found = runs.str.findall(pattern).explode().dropna()
    if found.empty:
        return pd.Series([None] * len(runs.index), index=runs.index, dtype=object)
    letters = found.str.replace(r"[^A-Z]", "", regex=True)
    shown = letters.map(canon).fillna(found.str.replace(" ", "", regex=False))
    return shown.groupby(level=0).agg(" ".join).reindex(runs.index)


def _standardise_pass(raw: pd.Series) -> pd.DataFrame:
    """One pass of title stripping and display formatting (RangeIndex in and out). Also returns the
    titles found in front (``pre``) and behind (``suf``) and the upper-case text the pass read
    (``read``)."""
    index = raw.index
    text = _ascii_upper(raw)
    suffix = extract(text, _SUFFIX_RUN, index)
    has_suffix = suffix["core"].fillna("").str.contains("[A-Z]", regex=True).to_numpy()
    core = pc.if_else(pa.array(has_suffix), arrow_text(suffix["core"]), text)
    core = pc.replace_substring_regex(core, r"[\s,]+$", "")
    prefix = extract(core, _PREFIX_RUN, index)
    has_prefix = prefix["pre"].notna().to_numpy()
    core = pc.if_else(pa.array(has_prefix), arrow_text(prefix["rest"]), core)
    prefix_re = re.compile(rf"(?:{'|'.join(_PREFIX_BARE + _PREFIX_DOTTED)})(?=[.\s]|$)")
    pre_titles = _canonical_titles(prefix["pre"].where(has_prefix, None), prefix_re, PREFIX_TITLES)
    suf_titles = _canonical_titles(suffix["suf"].where(has_suffix, None), _SUFFIX_ONE, _SUFFIX_CANON)

    display = replace_many(core, [(",", " "), (r"\s+", " "), (r"\s*\.\s*([A-Z])", r". \1")])
    display = pc.utf8_trim(display, characters=" -'")
    patronymic = extract(display, _PATRONYMIC, index)
    own = pc.if_else(pa.array(patronymic["own"].notna().to_numpy()), arrow_text(patronymic["own"]), display)
    father = replace_many(arrow_text(patronymic["father"]), [(r"[^A-Z' ]", " "), (r"\s+", " ")])
    key = from_arrow(_fold(own), index)
    shown = from_arrow(display, index)
    return pd.DataFrame(
        {
            "name_std": shown.where(shown.fillna("").str.contains("[A-Z]", regex=True), None),
            "pre": pre_titles.fillna(""),
            "suf": suf_titles.fillna(""),
            "name_key": key.where(key.notna() & (key != ""), None),
            "father_name": from_arrow(pc.utf8_trim_whitespace(father), index),
            "read": from_arrow(text, index),
        }
    )


def _standardise_unique(raw: pd.Series) -> pd.DataFrame:
    """Standardisation repeated on the display name until it no longer changes, so that a ``name_std``
    standardises to itself (and to the same key). One pass is not always enough: formatting the display
    name can turn punctuation that hid a title into a separator (``'H:BUDI`` -> ``H BUDI``,
    ``A.SE`` -> ``A. SE``). A name the pass did not rewrite (display = upper-case input, most names)
    is a fixed point and is not passed again."""
    out = _standardise_pass(raw)
    columns = {
        c: out[c].to_numpy(dtype=object).copy() for c in ("name_std", "name_key", "father_name", "pre", "suf")
    }
    shown = columns["name_std"]
    rows = np.flatnonzero(pd.notna(shown) & (shown != out["read"].to_numpy(dtype=object)))
    for _ in range(_MAX_PASSES):
        if len(rows) == 0:
            break
        again = _standardise_pass(pd.Series(shown[rows], dtype=object))
        redone = again["name_std"].to_numpy(dtype=object)
        changed = pd.notna(redone) & (redone != shown[rows])
        rows, again = rows[changed], again[changed]
        for column in ("name_std", "name_key", "father_name"):
            columns[column][rows] = again[column].to_numpy(dtype=object)
        # titles found in a later pass sat inside the earlier ones: prefixes after, suffixes before
        columns["pre"][rows] = (pd.Series(columns["pre"][rows]) + " " + again["pre"].to_numpy()).str.strip()
        columns["suf"][rows] = (again["suf"].to_numpy() + " " + pd.Series(columns["suf"][rows])).str.strip()
    titles = pd.Series(columns.pop("pre"), index=raw.index).str.cat(
        pd.Series(columns.pop("suf"), index=raw.index), sep=" "
    )
    titles = titles.str.strip()
    return pd.DataFrame(
        {
            "name_std": columns["name_std"],
            "name_titles": titles.where(titles != "", None),
            "name_key": columns["name_key"],
            "father_name": columns["father_name"],
        },
        index=raw.index,
    )


def standardise_names(names: pd.Series) -> pd.DataFrame:
    """Standardise raw full names (any index); see the module docstring for the columns."""
    columns = ["name_std", "name_titles", "name_key", "father_name"]
    out = on_distinct(names.astype("object").where(names.notna(), None).str.strip(), _standardise_unique)
    if not isinstance(out, pd.DataFrame) or out.empty:
        return pd.DataFrame({c: missing_series(names.index) for c in columns})
    return out.reindex(columns=columns)


def _join_lists(parent: np.ndarray, tokens: pa.Array, size: int) -> np.ndarray:
    """Space-joined tokens per parent (tokens sorted by parent, in the order to join)."""
    counts = np.bincount(parent, minlength=size)
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]).astype(np.int32))
    lists = pa.ListArray.from_arrays(offsets, tokens)
    return np.asarray(pc.binary_join(lists, " ").to_numpy(zero_copy_only=False), dtype=object)


def name_token_features(name_key: pd.Series) -> pd.DataFrame:
    """Token-level views of name keys, computed once per distinct key (same index as the input).

    ``first``/``last`` token, ``sorted`` (tokens in alphabetical order), ``nospace``, ``noinit``
    (single-letter initials removed), ``n_tokens``, ``n_long`` (tokens of 2+ letters), and two 26-bit
    letter masks: ``initials`` (letters of single-letter tokens) and ``firsts`` (first letters of the
    longer tokens). Missing keys give empty strings and zeros.
    """
    # missing keys read as the empty key (code -1 → an appended "")
    codes, distinct = pd.factorize(name_key.to_numpy(dtype=object), use_na_sentinel=True)
    distinct = np.append(np.asarray(distinct, dtype=object), "")
    codes[codes < 0] = len(distinct) - 1
    size = len(distinct)
    distinct_arrow = pa.array(distinct, type=pa.string())
    lists = pc.split_pattern(distinct_arrow, " ")
    flat = pc.list_flatten(lists)
    keep = pc.greater(pc.utf8_length(flat), 0)
    flat = flat.filter(keep)
    parent = np.asarray(
        pc.list_parent_indices(lists).filter(keep).to_numpy(zero_copy_only=False), dtype=np.int64
    )
    length = np.asarray(pc.utf8_length(flat).to_numpy(zero_copy_only=False), dtype=np.int64)
    tokens = np.asarray(flat.to_numpy(zero_copy_only=False), dtype=object)
    first_letter = (
        np.asarray(pc.utf8_slice_codeunits(flat, 0, 1).to_numpy(zero_copy_only=False), dtype="U1")
        .view(np.int32)
        .astype(np.int64)
        if len(tokens)
        else np.zeros(0, dtype=np.int64)
    )

    counts = np.bincount(parent, minlength=size)
    ends = np.cumsum(counts)
    starts = ends - counts
    has = counts > 0
    first = np.full(size, "", dtype=object)
    last = np.full(size, "", dtype=object)
    first[has] = tokens[starts[has]]
    last[has] = tokens[ends[has] - 1]
    # tokens by parent, then alphabetically (code point order = UTF-8 byte order, as Arrow sorts)
    by_token = np.asarray(pc.sort_indices(flat), dtype=np.int64)
    order = by_token[np.argsort(parent[by_token], kind="stable")]
    single = length == 1
    bits = np.left_shift(np.int64(1), np.clip(first_letter - ord("A"), 0, 62))
    initials = np.zeros(size, dtype=np.int64)
    firsts = np.zeros(size, dtype=np.int64)
    np.bitwise_or.at(initials, parent[single], bits[single])
    np.bitwise_or.at(firsts, parent[~single], bits[~single])
    per_key = {
        "first": first,
        "last": last,
        "sorted": _join_lists(parent[order], flat.take(pa.array(order)), size),
        "nospace": np.asarray(
            pc.replace_substring(distinct_arrow, " ", "").to_numpy(zero_copy_only=False), dtype=object
        ),
        "noinit": _join_lists(parent[~single], flat.filter(pa.array(~single)), size),
        "n_tokens": counts.astype(np.int64),
        "n_long": np.bincount(parent[~single], minlength=size).astype(np.int64),
        "initials": initials,
        "firsts": firsts,
    }
    return pd.DataFrame({name: values[codes] for name, values in per_key.items()}, index=name_key.index)


def name_token_matrix(name_key: pd.Series, max_tokens: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``max_tokens`` tokens of every name key as codes into a vocabulary.

    Returns ``(codes, vocabulary)``: int32 codes of shape (records, max_tokens), -1 where a name has
    fewer tokens, and the object array of distinct tokens. Computed once per distinct key."""
    keys = name_key.astype("object").where(name_key.notna(), "").astype(str)
    codes, distinct = pd.factorize(keys)
    lists = pc.split_pattern(pa.array(np.asarray(distinct, dtype=object), type=pa.string()), " ")
    flat = pc.list_flatten(lists)
    parent = np.asarray(pc.list_parent_indices(lists).to_numpy(zero_copy_only=False), dtype=np.int64)
    tokens = np.asarray(flat.to_numpy(zero_copy_only=False), dtype=object)
    keep = tokens != ""
    tokens, parent = tokens[keep], parent[keep]
    counts = np.bincount(parent, minlength=len(distinct))
    position = np.arange(len(tokens)) - np.repeat(np.cumsum(counts) - counts, counts)
    token_codes, vocabulary = pd.factorize(tokens)
    matrix = np.full((len(distinct), max_tokens), -1, dtype=np.int32)
    inside = position < max_tokens
    matrix[parent[inside], position[inside]] = token_codes[inside]
    return matrix[codes], np.asarray(vocabulary, dtype=object)
