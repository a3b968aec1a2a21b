"""Upper bounds of a pair's match weight when one of its records is known only by some of its
standardised columns (no Prefect here).

An incremental run (``pipelines.increments``) looks for the registry's live records that share a block
with tonight's new and changed records. Most of those neighbours could never pair with them at the
review weight (they share a birth date and a first name, or a kelurahan and a family name, and nothing
else), and deciding their persons again would cost standardising, matching and publishing them for
nothing. The registry stores only some standardised columns of its records; with the model of the last
full run, :func:`weight_bounds` bounds the weight the matcher would give each (fresh, held) pair:

* a comparison whose columns the held records have gets its exact level and term-frequency adjustment
  (frequencies counted over the population the matcher counts them over);
* ``nik``: the NIK's agreement with its own record is not stored, so a held NIK counts as whichever of
  consistent and inconsistent weighs more;
* ``place``: RT, RW and kecamatan are not stored, so the same kelurahan counts as the best place level
  and a different (or missing) kelurahan as the best of null, same kecamatan and else;
* a NIK the registry stores as refused although the record has one (``unsettled``): whether it is
  refused depends on the KK numbers of the whole population, which change, so it counts at its best;
* any other comparison whose column is missing counts at its best level with the largest adjustment.

A pair whose bound is below the review weight is a non-match whatever the missing columns hold.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from matching.comparisons import Comparison, ValueFrequencies, build_comparisons
from matching.linkage import scaled_model
from matching.scoring import FellegiSunterModel
from matching.settings import MatchSettings

__all__ = ["weight_bounds"]

#: Added to every bound: the matcher sums float32 contributions, the bound float64 ones.
_MARGIN = 1e-3
#: Columns the place comparison reads besides the kelurahan code.
_PLACE_DETAIL = ("kecamatan_code", "rw_std", "rt_std")


def weight_bounds(
    fresh: pd.DataFrame,
    held: pd.DataFrame,
    fresh_rows: np.ndarray,
    held_rows: np.ndarray,
    settings: MatchSettings,
    model_state: dict[str, object],
    *,
    records: int,
    frequencies: dict[str, ValueFrequencies],
    name_tokens: tuple[pd.DataFrame, pd.DataFrame] | None = None,
    unsettled: np.ndarray | None = None,
) -> np.ndarray:
    """An upper bound of the weight the matcher would give each pair (``fresh_rows[i]`` of ``fresh``,
    ``held_rows[i]`` of ``held``; see the module docstring).

    ``fresh``: the standardised fresh records; ``held``: the held records with the columns the registry
    stores; ``records`` and ``frequencies``: the size and the term frequencies
    (``matching.linkage.population_frequencies``) of the population the pairs are scored within;
    ``name_tokens``: ``name_token_features`` of the ``name_key`` of ``fresh`` and of ``held``, row for
    row, when already computed. ``unsettled``: a mask of ``held``, the records whose stored NIK may not
    be what standardising them tonight gives (a NIK refused because it equals a KK number of the
    population then, which may have left it since): their NIK comparison counts at its best."""
    comparisons = build_comparisons(settings.comparisons)
    model = scaled_model(model_state, comparisons, settings, records)
    # the records in the pairs, in one small frame per comparison: the fresh ones first, then the held
    fresh_used, fresh_at = np.unique(np.asarray(fresh_rows, dtype=np.int64), return_inverse=True)
    held_used, held_at = np.unique(np.asarray(held_rows, dtype=np.int64), return_inverse=True)
    keys = {}
    if name_tokens is not None:
        fresh_tokens, held_tokens = name_tokens
        keys["__name_tokens__"] = pd.concat(
            [fresh_tokens.iloc[fresh_used], held_tokens.iloc[held_used]], ignore_index=True
        )
    pairs = _Pairs(
        fresh.iloc[fresh_used],
        held.iloc[held_used],
        fresh_at.astype(np.int64),
        held_at + len(fresh_used),
        keys,
        None if unsettled is None else np.asarray(unsettled, dtype=bool)[held_used][held_at],
    )
    total = np.full(len(pairs.left), model.prior_weight + _MARGIN, dtype=np.float64)
    for k, (comparison, weights) in enumerate(zip(comparisons, model.level_weights(), strict=True)):
        total += _contribution_bound(comparison, k, model, weights, pairs, frequencies.get(comparison.name))
    return total


class _Pairs:
    """The fresh and held records of the pairs, and the pairs as positions into their concatenation;
    ``keys``: derived keys of that concatenation already computed (``__name_tokens__``);
    ``unsettled_nik``: per pair, whether the held record's stored NIK may not be tonight's."""

    def __init__(
        self,
        fresh: pd.DataFrame,
        held: pd.DataFrame,
        left: np.ndarray,
        right: np.ndarray,
        keys: dict,
        unsettled_nik: np.ndarray | None,
    ) -> None:
        self.fresh, self.held, self.left, self.right, self.keys = fresh, held, left, right, keys
        self.unsettled_nik = unsettled_nik

    def frame(self, columns: list[str], **held_values: object) -> pd.DataFrame:
        """The fresh records' ``columns`` over the held records' (``held_values`` set on the held)."""
        held = self.held.loc[:, [c for c in columns if c not in held_values]].assign(**held_values)
        return pd.concat([self.fresh.loc[:, columns], held[columns]], ignore_index=True)


def _contribution_bound(
    comparison: Comparison,
    k: int,
    model: FellegiSunterModel,
    weights: np.ndarray,
    pairs: _Pairs,
    frequencies: ValueFrequencies | None,
) -> np.ndarray:
    kind = comparison.settings.kind
    tf = comparison.settings.term_frequency and bool(model.tf_levels[k])
    anything = np.full(len(pairs.left), weights.max() + (model.tf_max_adjustment if tf else 0.0))
    if tf and frequencies is None:
        return anything
    if kind == "place":
        if "kelurahan_code" not in pairs.held:
            return anything
        if all(c in pairs.held for c in _PLACE_DETAIL):
            frame = pairs.frame(["kelurahan_code", *_PLACE_DETAIL])
            return _exact_bound(comparison, k, model, weights, frame, pairs, frequencies)
        codes = pd.factorize(pairs.frame(["kelurahan_code"])["kelurahan_code"].astype("object"))[0]
        same = (codes[pairs.left] == codes[pairs.right]) & (codes[pairs.left] >= 0)
        names = comparison.level_names
        near = [names.index(n) for n in ("kelurahan_rw_rt", "kelurahan_rw", "kelurahan")]
        far = [names.index(n) for n in ("null", "kecamatan", "else")]
        return np.where(same, weights[near].max(), max(0.0, weights[far].max())).astype(np.float64)
    column = comparison.settings.column or comparison.default_column
    if not column or column not in pairs.held or column not in pairs.fresh:
        return anything
    if kind != "nik":
        return _exact_bound(comparison, k, model, weights, pairs.frame([column]), pairs, frequencies)
    if "nik_agrees" in pairs.held and "nik_agrees" in pairs.fresh:
        bound = _exact_bound(
            comparison, k, model, weights, pairs.frame([column, "nik_agrees"]), pairs, frequencies
        )
    else:
        # the registry does not store whether a NIK agrees with its own record: the better of both
        columns = [column, "nik_agrees"] if "nik_agrees" in pairs.fresh else [column]
        agreeing, disagreeing = (pairs.frame(columns, nik_agrees=agrees) for agrees in (True, False))
        bound = np.maximum(
            _exact_bound(comparison, k, model, weights, agreeing, pairs, frequencies),
            _exact_bound(comparison, k, model, weights, disagreeing, pairs, frequencies),
        )
    # a NIK stored as refused may be accepted tonight (it depends on the other records' KK numbers)
    return bound if pairs.unsettled_nik is None else np.where(pairs.unsettled_nik, anything, bound)


def _exact_bound(
    comparison: Comparison,
    k: int,
    model: FellegiSunterModel,
    weights: np.ndarray,
    frame: pd.DataFrame,
    pairs: _Pairs,
    frequencies: ValueFrequencies | None,
) -> np.ndarray:
    """The pair's contribution as the matcher computes it, except that the term-frequency adjustment is
    the larger of the two records' values' (the matcher takes one side's)."""
    left, right = pairs.left, pairs.right
    # (with ``frequencies``, the values' codes into them; none counted over this small frame)
    features = comparison.prepare(frame, dict(pairs.keys), frequencies)
    levels = comparison.levels(features, left, right)
    out = weights[levels].astype(np.float64)
    tf = comparison.settings.term_frequency and bool(model.tf_levels[k])
    if not tf or frequencies is None or features.tf_code is None:
        return out
    codes = features.tf_code
    known = codes >= 0
    # the adjustment falls as the value's frequency rises; a value without a frequency gets none
    frequency = np.where(known, frequencies.frequency[np.maximum(codes, 0)], 1.0)
    adjustment = np.log2(model.u[k][1]) - np.log2(np.maximum(frequency, model.tf_minimum[k]))
    adjustment = np.where(known, np.clip(adjustment, -model.tf_max_adjustment, model.tf_max_adjustment), 0.0)
    both = known[left] & known[right]
    best = np.where(
        both,
        np.maximum(adjustment[left], adjustment[right]),
        np.maximum(0.0, adjustment[left] + adjustment[right]),
    )
    apply = np.isin(levels, model.tf_levels[k])
    out[apply] += best[apply]
    return out
