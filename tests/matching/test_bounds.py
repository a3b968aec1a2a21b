"""Upper bounds of a pair's weight when one record is known only by the registry's stored columns (what an
incremental run prunes its neighbours with)."""

import json

import numpy as np
import pytest

from matching import score_records, standardise_records
from matching.bounds import weight_bounds
from matching.linkage import population_frequencies

pytestmark = pytest.mark.unit

#: The standardised columns the registry's live records are read with (``pipelines.increments``).
_STORED_COLUMNS = ["nik_std", "name_key", "birth_date_std", "sex_std", "phone_std", "kelurahan_code"]


@pytest.fixture(scope="module")
def whole(people, fast_settings):
    std = standardise_records(people.drop(columns=["person"]))
    scored = score_records(std, fast_settings)
    return std, scored, json.loads(json.dumps(scored.fitted))


def _cross_pairs(std, scored, seed: int):
    """A random third of the records as 'fresh', the rest as 'held'; the candidate pairs between the two
    as rows of each, with the matcher's weights."""
    fresh_mask = np.random.default_rng(seed).random(len(std)) < 0.3
    cross = fresh_mask[scored.left] != fresh_mask[scored.right]
    left, right = scored.left[cross], scored.right[cross]
    fresh_at = np.where(fresh_mask[left], left, right)
    held_at = np.where(fresh_mask[left], right, left)
    fresh_row, held_row = np.cumsum(fresh_mask) - 1, np.cumsum(~fresh_mask) - 1
    fresh = std[fresh_mask].reset_index(drop=True)
    held = std[~fresh_mask].reset_index(drop=True)
    return fresh, held, fresh_row[fresh_at], held_row[held_at], scored.weight[cross]


def _bounds(whole, settings, seed: int, columns: list[str] | None = None):
    """The matcher's weights of the cross pairs of ``_cross_pairs`` and their bounds, the held records
    given with ``columns`` only (all: ``None``)."""
    std, scored, state = whole
    fresh, held, fresh_rows, held_rows, weights = _cross_pairs(std, scored, seed)
    bounds = weight_bounds(
        fresh,
        held if columns is None else held[columns],
        fresh_rows,
        held_rows,
        settings,
        state,
        records=len(std),
        frequencies=population_frequencies(settings, [(std, {})]),
    )
    return weights, bounds


@pytest.mark.parametrize("seed", [1, 2])
def test_the_bound_from_stored_columns_is_never_below_the_matchers_weight(whole, fast_settings, seed):
    weights, bounds = _bounds(whole, fast_settings, seed, _STORED_COLUMNS)

    assert len(weights) > 500
    assert np.all(bounds >= weights)
    review = fast_settings.thresholds.review_weight
    assert (bounds[weights >= review] >= review).all()
    # the bound prunes: most pairs the matcher rejects are known to be rejected from the stored columns
    rejected = weights < review
    assert rejected.sum() > 100 and (bounds[rejected] < review).mean() > 0.5


def test_with_every_column_the_bound_is_the_weight(whole, fast_settings):
    weights, bounds = _bounds(whole, fast_settings, 3)

    assert np.all(bounds >= weights)
    # only the margin for float32 sums (and, for reordered names, the other side's term frequency)
    assert np.mean(np.abs(bounds - weights - 1e-3) < 1e-4) > 0.95


def test_a_comparison_whose_column_is_not_stored_counts_at_its_best(whole, fast_settings):
    weights, with_phone = _bounds(whole, fast_settings, 4, _STORED_COLUMNS)
    _, without_phone = _bounds(whole, fast_settings, 4, [c for c in _STORED_COLUMNS if c != "phone_std"])

    assert np.all(without_phone >= with_phone) and np.any(without_phone > with_phone)
    assert np.all(without_phone >= weights)


def test_a_nik_stored_as_refused_that_may_be_accepted_tonight_counts_at_its_best(whole, fast_settings):
    std, scored, state = whole
    fresh, held, fresh_rows, held_rows, weights = _cross_pairs(std, scored, 5)
    # the registry refused these NIKs (e.g. equal to a KK number of a record since gone); tonight they pass
    refused = held[_STORED_COLUMNS].assign(nik_std=None)
    frequencies = population_frequencies(fast_settings, [(std, {})])

    def bounds(unsettled):
        return weight_bounds(
            fresh,
            refused,
            fresh_rows,
            held_rows,
            fast_settings,
            state,
            records=len(std),
            frequencies=frequencies,
            unsettled=unsettled,
        )

    assert np.any(bounds(None) < weights)  # taken as refused, the agreeing NIKs weigh nothing
    assert np.all(bounds(np.ones(len(held), dtype=bool)) >= weights)
