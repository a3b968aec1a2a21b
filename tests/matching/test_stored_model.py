"""Scoring part of a population with the model trained on all of it (what an incremental run does)."""

import json

import numpy as np
import pytest

from matching import MatchSettingsError, score_records, standardise_records
from matching.settings import training_hash

pytestmark = pytest.mark.unit

_STORED_COLUMNS = ["nik_std", "name_key", "birth_date_std", "sex_std", "phone_std", "kelurahan_code"]


@pytest.fixture(scope="module")
def whole(people, fast_settings):
    std = standardise_records(people.drop(columns=["person"]))
    return std, score_records(std, fast_settings)


def _pair_weights(scored, positions: np.ndarray) -> dict[tuple[int, int], float]:
    left, right = positions[scored.left], positions[scored.right]
    return {
        (min(a, b), max(a, b)): w
        for a, b, w in zip(left.tolist(), right.tolist(), scored.weight.tolist(), strict=True)
    }


def test_a_part_scored_with_the_stored_model_weighs_pairs_as_the_whole_run(whole, fast_settings):
    std, scored = whole
    state = json.loads(json.dumps(scored.fitted))  # stored as JSON in the registry
    assert state["records"] == len(std) and state["training_hash"] == training_hash(fast_settings)
    part = np.sort(np.random.default_rng(3).choice(len(std), size=len(std) // 4, replace=False))
    rest = np.setdiff1d(np.arange(len(std)), part)

    again = score_records(
        std.iloc[part].reset_index(drop=True),
        fast_settings,
        model=state,
        population=std.iloc[rest][_STORED_COLUMNS],
    )

    assert again.fitted is None and again.model["training"] == {
        "stored": True,
        "trained_on_records": len(std),
        "scaled_to_records": len(std),
    }
    full = _pair_weights(scored, np.arange(len(std)))
    mine = _pair_weights(again, part)
    assert len(mine) > 100
    # the same pairs (within the part) with the same weights: same m, u, lambda and term frequencies
    assert set(mine) == {pair for pair in full if pair[0] in set(part) and pair[1] in set(part)}
    np.testing.assert_allclose([mine[p] for p in mine], [full[p] for p in mine], rtol=0, atol=1e-9)


def test_term_frequencies_count_the_population(whole, fast_settings):
    std, scored = whole
    part = np.arange(200)
    alone = score_records(std.iloc[part], fast_settings, model=scored.fitted)
    within = score_records(
        std.iloc[part], fast_settings, model=scored.fitted, population=std.iloc[200:][_STORED_COLUMNS]
    )
    # the frame alone is a small population: lambda is scaled up and common values look rarer
    assert alone.model["lambda"] > within.model["lambda"]
    assert not np.allclose(alone.weight, within.weight)


def test_term_frequencies_counted_once_for_the_population_weigh_pairs_as_counting_them(whole, fast_settings):
    from matching.linkage import population_frequencies

    std, scored = whole
    part = np.sort(np.random.default_rng(5).choice(len(std), size=len(std) // 3, replace=False))
    rest = std.drop(index=part)[_STORED_COLUMNS]
    frame = std.iloc[part].reset_index(drop=True)
    counted = score_records(frame, fast_settings, model=scored.fitted, population=rest)

    frequencies = population_frequencies(fast_settings, [(frame, {}), (rest, {})])
    looked_up = score_records(
        frame, fast_settings, model=scored.fitted, population=rest, frequencies=frequencies
    )

    assert set(frequencies) == {c.name for c in fast_settings.comparisons if c.term_frequency}
    np.testing.assert_array_equal(looked_up.left, counted.left)
    np.testing.assert_array_equal(looked_up.weight, counted.weight)
    np.testing.assert_array_equal(looked_up.decision_code, counted.decision_code)
    assert looked_up.model["term_frequencies"] == counted.model["term_frequencies"]


def test_term_frequencies_of_chosen_rows_equal_those_of_the_rows_taken(whole, fast_settings):
    from matching.linkage import population_frequencies
    from matching.names import name_token_features

    std, _ = whole
    rows = np.sort(np.random.default_rng(8).choice(len(std), size=len(std) // 2, replace=False))
    tokens = name_token_features(std["name_key"])
    taken = std.iloc[rows].reset_index(drop=True)
    head = std.iloc[:50].reset_index(drop=True)

    chosen = population_frequencies(fast_settings, [(head, {}), (std, {"__name_tokens__": tokens}, rows)])
    counted = population_frequencies(
        fast_settings,
        [(head, {}), (taken, {"__name_tokens__": tokens.iloc[rows].reset_index(drop=True)})],
    )

    assert set(chosen) == set(counted) and chosen
    for name, table in chosen.items():
        assert dict(zip(table.values, table.frequency, strict=True)) == dict(
            zip(counted[name].values, counted[name].frequency, strict=True)
        )
    # all rows chosen: as counting the frame itself
    every = population_frequencies(fast_settings, [(std, {}, np.arange(len(std)))])
    alone = population_frequencies(fast_settings, [(std, {})])
    assert {n: list(t.frequency) for n, t in every.items()} == {
        n: list(t.frequency) for n, t in alone.items()
    }


def test_the_population_size_stands_for_a_population_whose_frequencies_were_counted(whole, fast_settings):
    from matching.linkage import population_frequencies

    std, scored = whole
    part = np.sort(np.random.default_rng(9).choice(len(std), size=len(std) // 3, replace=False))
    rest = std.drop(index=part)[_STORED_COLUMNS]
    frame = std.iloc[part].reset_index(drop=True)
    frequencies = population_frequencies(fast_settings, [(frame, {}), (rest, {})])

    with_rows = score_records(
        frame, fast_settings, model=scored.fitted, population=rest, frequencies=frequencies
    )
    with_size = score_records(
        frame, fast_settings, model=scored.fitted, population_size=len(rest), frequencies=frequencies
    )

    assert with_size.model["training"]["scaled_to_records"] == len(std)
    np.testing.assert_array_equal(with_size.left, with_rows.left)
    np.testing.assert_array_equal(with_size.weight, with_rows.weight)
    np.testing.assert_array_equal(with_size.decision_code, with_rows.decision_code)
    # without the frequencies the size alone would scale lambda to a population never counted
    with pytest.raises(ValueError, match="frequencies were counted"):
        score_records(frame, fast_settings, model=scored.fitted, population_size=len(rest))


def test_a_model_of_other_settings_is_refused(whole, fast_settings):
    std, scored = whole
    other = fast_settings.model_copy(
        update={"em": fast_settings.em.model_copy(update={"u_sample_pairs": 200_000})}
    )
    with pytest.raises(MatchSettingsError, match="other match settings"):
        score_records(std.iloc[:100], other, model=scored.fitted)
    # thresholds are not part of training: a model is reused under another match weight
    looser = fast_settings.model_copy(
        update={"thresholds": fast_settings.thresholds.model_copy(update={"match_weight": 4.0})}
    )
    assert score_records(std.iloc[:100], looser, model=scored.fitted).fitted is None
