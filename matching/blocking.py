"""Candidate pairs: records agreeing exactly on all key columns of at least one blocking rule.

Pairs are positional row numbers (``left < right``) in int64 numpy arrays, never a pandas MultiIndex.
A block (records sharing one key) larger than the rule's ``max_block_size`` is skipped and counted in
the log: such keys (a placeholder phone, a default date with a very common name) carry no evidence.
Before generating, each rule's pair count is checked against the ``pair_ceiling``; exceeding it
raises :class:`MatchSettingsError` naming the rule and its count.

Key columns are standardised columns or derived keys (:data:`DERIVED_KEYS`), e.g. ``name_first``
(first token of ``name_key``), ``name_rare`` (the name's rarest token in this data), ``birth_year``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from matching.errors import MatchInputError, MatchSettingsError
from matching.names import name_token_features
from matching.settings import BlockingRule, BlockingSettings

__all__ = [
    "DERIVED_KEYS",
    "CandidatePairs",
    "block_pairs",
    "key_codes",
    "pairs_in_blocks",
    "sample_pairs_in_blocks",
    "random_pairs",
    "derive_key",
    "factorize_key",
    "key_values",
]

log = logging.getLogger(__name__)


def _token_view(std: pd.DataFrame, column: str, cache: dict) -> pd.Series:
    if "__name_tokens__" not in cache:
        cache["__name_tokens__"] = name_token_features(std["name_key"])
    out = cache["__name_tokens__"][column]
    return out.where(out.notna() & (out != ""), None)


def _name_first(std: pd.DataFrame, cache: dict) -> pd.Series:
    return _token_view(std, "first", cache)


def _name_last(std: pd.DataFrame, cache: dict) -> pd.Series:
    return _token_view(std, "last", cache)


def _name_sorted(std: pd.DataFrame, cache: dict) -> pd.Series:
    return _token_view(std, "sorted", cache)


def _name_rare(std: pd.DataFrame, cache: dict) -> pd.Series:
    """The least frequent token (of 2+ letters) of each name, frequencies counted in this frame."""
    keys = std["name_key"].astype("object").where(std["name_key"].notna(), "").astype(str)
    tokens = keys.str.split().explode()
    tokens = tokens[tokens.notna() & (tokens.str.len() >= 2)]
    if tokens.empty:
        return pd.Series([None] * len(std.index), index=std.index, dtype=object)
    table = pd.DataFrame({"token": tokens, "freq": tokens.map(tokens.value_counts())})
    table = table.sort_values(["freq", "token"], kind="stable")
    rare = table[~table.index.duplicated(keep="first")]["token"]
    return rare.reindex(std.index)


def _birth_year(std: pd.DataFrame, cache: dict) -> pd.Series:
    return std["birth_date_std"].str[:4]


def _birth_month_day(std: pd.DataFrame, cache: dict) -> pd.Series:
    return std["birth_date_std"].str[5:]


def _nik_prefix12(std: pd.DataFrame, cache: dict) -> pd.Series:
    return std["nik_std"].str[:12]


def _nik_head(std: pd.DataFrame, cache: dict) -> pd.Series:
    return std["nik_std"].str[:8]


def _nik_tail(std: pd.DataFrame, cache: dict) -> pd.Series:
    return std["nik_std"].str[8:]


def _nik_anchor(std: pd.DataFrame, cache: dict) -> pd.Series:
    """The NIK where it is valid and agrees with its own record's birth date and sex."""
    agrees = std["nik_agrees"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    return std["nik_std"].where(agrees, None)


def _name_initial(std: pd.DataFrame, cache: dict) -> pd.Series:
    return std["name_key"].str[:1]


#: Keys computed from standardised columns on demand.
DERIVED_KEYS: dict[str, Callable[[pd.DataFrame, dict], pd.Series]] = {
    "name_first": _name_first,
    "name_last": _name_last,
    "name_sorted": _name_sorted,
    "name_rare": _name_rare,
    "name_initial": _name_initial,
    "birth_year": _birth_year,
    "birth_month_day": _birth_month_day,
    "nik_prefix12": _nik_prefix12,
    "nik_anchor": _nik_anchor,
    "nik_head": _nik_head,
    "nik_tail": _nik_tail,
}


def derive_key(std: pd.DataFrame, key: str, cache: dict[str, pd.Series] | None = None) -> pd.Series:
    """A key column: a column of ``std`` or a :data:`DERIVED_KEYS` entry (cached in ``cache``)."""
    if cache is None:
        cache = {}
    if key in cache:
        return cache[key]
    if key in std.columns:
        values = std[key]
    elif key in DERIVED_KEYS:
        values = DERIVED_KEYS[key](std, cache)
    else:
        raise MatchInputError(f"blocking key {key!r} is neither a column nor a derived key", columns=(key,))
    values = values.astype("object").where(values.notna() & (values.astype(str) != ""), None)
    cache[key] = values
    return values


#: Derived keys that are a column of ``name_token_features`` as they are.
_TOKEN_KEYS = {"name_first": "first", "name_last": "last", "name_sorted": "sorted"}


def keyed_on_name_tokens(rules: Sequence[BlockingRule]) -> bool:
    """Whether ``key_values`` tokenises the names for one of ``rules``' keys (into ``cache``)."""
    return any(key in _TOKEN_KEYS for rule in rules for key in rule.keys)


def key_values(std: pd.DataFrame, key: str, cache: dict) -> np.ndarray:
    """The values of a key column as objects, not normalised (missing: ``None``/NaN or ``""``): what
    :func:`derive_key` normalises. Name tokens are shared through ``cache``."""
    if key in std.columns:
        values = std[key]
    elif key in _TOKEN_KEYS:
        if "__name_tokens__" not in cache:
            cache["__name_tokens__"] = name_token_features(std["name_key"])
        values = cache["__name_tokens__"][_TOKEN_KEYS[key]]
    elif key in DERIVED_KEYS:
        values = DERIVED_KEYS[key](std, cache)
    else:
        raise MatchInputError(f"blocking key {key!r} is neither a column nor a derived key", columns=(key,))
    return values.to_numpy(dtype=object)


def factorize_key(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize`` of key values with the empty string missing too (code -1), as :func:`derive_key`
    has it: codes and the distinct values."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    uniques = np.asarray(uniques, dtype=object)
    empty = np.flatnonzero(uniques == "")
    if len(empty):
        codes[codes == empty[0]] = -1
        codes[codes > empty[0]] -= 1
        uniques = np.delete(uniques, empty[0])
    return codes, uniques


def _key_factor(std: pd.DataFrame, key: str, cache: dict) -> tuple[np.ndarray, int]:
    """``pd.factorize(derive_key(std, key))``: codes (-1 for a missing or empty value) and the number of
    distinct values, without building the normalised column (cached in ``cache``)."""
    slot = f"__codes__{key}"
    if slot not in cache:
        codes, uniques = factorize_key(key_values(std, key, cache))
        cache[slot] = (codes, len(uniques))
    return cache[slot]


def key_codes(
    std: pd.DataFrame, keys: tuple[str, ...], cache: dict[str, pd.Series] | None = None
) -> np.ndarray:
    """One int64 block code per record (-1 when any key is missing)."""
    cache = {} if cache is None else cache
    combined = np.zeros(len(std), dtype=np.int64)
    missing = np.zeros(len(std), dtype=bool)
    for key in keys:
        codes, count = _key_factor(std, key, cache)
        missing |= codes < 0
        combined = combined * (count + 1) + codes.astype(np.int64) + 1
        combined, _ = pd.factorize(combined)
        combined = combined.astype(np.int64)
    combined[missing] = -1
    return combined


@dataclass(frozen=True)
class _Blocks:
    order: np.ndarray  # record positions sorted by block
    starts: np.ndarray  # start offset of each kept block in ``order``
    sizes: np.ndarray  # size of each kept block
    skipped_blocks: int
    skipped_records: int

    @property
    def pair_count(self) -> int:
        return int((self.sizes * (self.sizes - 1) // 2).sum())


def _blocks(codes: np.ndarray, max_block_size: int) -> _Blocks:
    keep = np.flatnonzero(codes >= 0)
    sorted_codes = codes[keep]
    order_in = np.argsort(sorted_codes, kind="stable")
    order = keep[order_in]
    sorted_codes = sorted_codes[order_in]
    if len(order) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return _Blocks(order, empty, empty, 0, 0)
    change = np.flatnonzero(np.diff(sorted_codes)) + 1
    starts = np.concatenate([[0], change]).astype(np.int64)
    sizes = np.diff(np.concatenate([starts, [len(order)]])).astype(np.int64)
    too_big = sizes > max_block_size
    useful = (sizes >= 2) & ~too_big
    return _Blocks(order, starts[useful], sizes[useful], int(too_big.sum()), int(sizes[too_big].sum()))


def _expand(blocks: _Blocks) -> tuple[np.ndarray, np.ndarray]:
    """All pairs inside the kept blocks, as positions (left < right)."""
    sizes, starts = blocks.sizes, blocks.starts
    if len(sizes) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    # every position p inside a block pairs with the positions after it in the same block
    member = np.repeat(np.arange(len(sizes)), sizes)
    pos = starts[member] + (np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes))
    after = starts[member] + sizes[member] - 1 - pos
    total = int(after.sum())
    left_pos = np.repeat(pos, after)
    step = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(after) - after, after)
    right_pos = left_pos + 1 + step
    a = blocks.order[left_pos]
    b = blocks.order[right_pos]
    return np.minimum(a, b), np.maximum(a, b)


def pairs_in_blocks(codes: np.ndarray, max_block_size: int) -> tuple[np.ndarray, np.ndarray]:
    """All pairs of records sharing a block code (blocks above ``max_block_size`` skipped)."""
    return _expand(_blocks(codes, max_block_size))


def sample_pairs_in_blocks(
    codes: np.ndarray, max_pairs: int, max_block_size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Uniform sample (without replacement) of at most ``max_pairs`` within-block pairs."""
    blocks = _blocks(codes, max_block_size)
    total = blocks.pair_count
    if total <= max_pairs:
        return _expand(blocks)
    per_block = blocks.sizes * (blocks.sizes - 1) // 2
    cumulative = np.cumsum(per_block)
    picks = np.sort(rng.choice(total, size=max_pairs, replace=False))
    block = np.searchsorted(cumulative, picks, side="right")
    t = picks - (cumulative[block] - per_block[block])
    k = blocks.sizes[block].astype(np.float64)
    # invert t = i*(2k-i-1)/2 + (j-i-1) for the row i
    i = np.floor(((2 * k - 1) - np.sqrt((2 * k - 1) ** 2 - 8 * t)) / 2).astype(np.int64)
    kk = blocks.sizes[block]
    row_start = i * (2 * kk - i - 1) // 2
    i = np.where(row_start > t, i - 1, i)
    row_start = i * (2 * kk - i - 1) // 2
    i = np.where(t - row_start >= kk - 1 - i, i + 1, i)
    row_start = i * (2 * kk - i - 1) // 2
    j = t - row_start + i + 1
    a = blocks.order[blocks.starts[block] + i]
    b = blocks.order[blocks.starts[block] + j]
    return np.minimum(a, b), np.maximum(a, b)


def random_pairs(n: int, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``count`` uniformly random pairs of distinct records (with replacement across pairs)."""
    if n < 2:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    a = rng.integers(0, n, size=count, dtype=np.int64)
    b = rng.integers(0, n - 1, size=count, dtype=np.int64)
    b = np.where(b >= a, b + 1, b)
    return np.minimum(a, b), np.maximum(a, b)


@dataclass(frozen=True)
class CandidatePairs:
    """Deduplicated candidate pairs with the first rule that produced each."""

    left: np.ndarray
    right: np.ndarray
    rule: np.ndarray  # index into ``rule_names``
    rule_names: tuple[str, ...]
    counts: dict[str, int]  # pairs generated per rule (before deduplication)
    new_counts: dict[str, int]  # pairs a rule added that earlier rules had not produced

    def __len__(self) -> int:
        return len(self.left)


def _check_ceiling(rule: BlockingRule, count: int, ceiling: int) -> None:
    if count > ceiling:
        raise MatchSettingsError(
            f"blocking rule {rule.name!r} would generate {count:,} candidate pairs, above the pair "
            f"ceiling of {ceiling:,}; tighten its keys or lower its max_block_size",
            rule=rule.name,
            pair_count=count,
        )


def block_pairs(
    std: pd.DataFrame,
    settings: BlockingSettings,
    cache: dict | None = None,
    extra: tuple[str, np.ndarray, np.ndarray] | None = None,
) -> CandidatePairs:
    """Candidate pairs of ``std`` under every rule of ``settings``, deduplicated across rules.

    ``cache`` (optional) keeps derived keys for reuse by later calls on the same frame. ``extra``:
    ``(name, left, right)``, pairs given by the caller, counted as one more rule after the others."""
    n = len(std)
    cache = {} if cache is None else cache
    all_codes: list[np.ndarray] = []
    counts: dict[str, int] = {}
    total = 0
    for rule in settings.rules:
        limit = rule.max_block_size or settings.max_block_size
        blocks = _blocks(key_codes(std, rule.keys, cache), limit)
        _check_ceiling(rule, blocks.pair_count, settings.pair_ceiling)
        left, right = _expand(blocks)
        counts[rule.name] = len(left)
        total += len(left)
        if total > settings.pair_ceiling:
            raise MatchSettingsError(
                f"blocking rules up to {rule.name!r} generate {total:,} candidate pairs in total, above "
                f"the pair ceiling of {settings.pair_ceiling:,}",
                rule=rule.name,
                pair_count=total,
            )
        all_codes.append(left * n + right)
        log.info(
            "blocking rule %s: %d pairs; %d oversized blocks skipped (%d records)",
            rule.name,
            len(left),
            blocks.skipped_blocks,
            blocks.skipped_records,
        )
    names = tuple(r.name for r in settings.rules)
    if extra is not None:
        name, left, right = extra
        left, right = np.minimum(left, right).astype(np.int64), np.maximum(left, right).astype(np.int64)
        given = left != right
        all_codes.append(left[given] * n + right[given])
        counts[name] = int(given.sum())
        names = (*names, name)
        log.info("candidate pairs given as %s: %d", name, counts[name])
    rule_of = np.concatenate([np.full(len(c), i, dtype=np.int16) for i, c in enumerate(all_codes)])
    codes = np.concatenate(all_codes) if all_codes else np.zeros(0, dtype=np.int64)
    del all_codes
    unique, first = np.unique(codes, return_index=True)
    rule = rule_of[first]
    new_counts = dict(zip(names, np.bincount(rule, minlength=len(names)).tolist(), strict=True))
    log.info("blocking: %d distinct candidate pairs from %d generated", len(unique), len(codes))
    return CandidatePairs(
        left=unique // n if n else unique,
        right=unique % n if n else unique,
        rule=rule,
        rule_names=names,
        counts=counts,
        new_counts=new_counts,
    )
