import json

import numpy as np
import pytest

from matching.scoring import (
    FellegiSunterModel,
    default_m,
    estimate_lambda,
    estimate_u,
    expectation_maximisation,
    pattern_counts,
)

pytestmark = pytest.mark.unit

TRUE_M = [
    np.array([np.nan, 0.85, 0.10, 0.05]),
    np.array([np.nan, 0.9, 0.1]),
    np.array([np.nan, 0.7, 0.2, 0.1]),
]
TRUE_U = [
    np.array([np.nan, 0.01, 0.09, 0.90]),
    np.array([np.nan, 0.05, 0.95]),
    np.array([np.nan, 0.02, 0.08, 0.90]),
]


def simulate(n, lam, rng, null_rate=0.0):
    is_match = rng.random(n) < lam
    matrix = np.zeros((n, 3), dtype=np.int8)
    for k in range(3):
        for flag, table in ((True, TRUE_M[k]), (False, TRUE_U[k])):
            rows = np.flatnonzero(is_match == flag)
            probs = table[1:]
            matrix[rows, k] = 1 + rng.choice(len(probs), size=len(rows), p=probs)
        matrix[rng.random(n) < null_rate, k] = 0
    return matrix, is_match


def test_pattern_counts_round_trip():
    matrix = np.array([[1, 2], [1, 2], [0, 1], [1, 2]], dtype=np.int8)
    patterns, counts, inverse = pattern_counts(matrix)
    assert counts.sum() == 4 and len(patterns) == 2
    assert (patterns[inverse] == matrix).all()


def test_u_from_random_pairs_recovers_the_non_match_distribution():
    rng = np.random.default_rng(5)
    matrix, _ = simulate(200_000, 0.0, rng, null_rate=0.1)
    u = estimate_u(matrix, [4, 3, 4], floor=1e-9)
    for k in range(3):
        assert np.isnan(u[k][0])
        assert np.allclose(u[k][1:], TRUE_U[k][1:], atol=0.005)


def test_em_recovers_m_and_lambda_with_u_fixed():
    rng = np.random.default_rng(6)
    matrix, is_match = simulate(100_000, 0.3, rng, null_rate=0.05)
    patterns, counts, _ = pattern_counts(matrix)
    result = expectation_maximisation(
        patterns,
        counts,
        TRUE_U,
        [default_m(4), default_m(3), default_m(4)],
        [0, 1, 2],
        max_iterations=500,
        tolerance=1e-8,
        floor=1e-9,
    )
    assert result.converged
    assert result.lambda_ == pytest.approx(is_match.mean(), abs=0.01)
    for k in range(3):
        assert np.allclose(result.m[k][1:], TRUE_M[k][1:], atol=0.02)


def test_em_leaves_inactive_comparisons_alone():
    rng = np.random.default_rng(7)
    matrix, _ = simulate(20_000, 0.3, rng)
    patterns, counts, _ = pattern_counts(matrix)
    start = [default_m(4), default_m(3), default_m(4)]
    result = expectation_maximisation(
        patterns, counts, TRUE_U, start, [0, 2], max_iterations=200, tolerance=1e-8, floor=1e-9
    )
    assert np.array_equal(result.m[1][1:], start[1][1:])


def test_lambda_fixed_point_counts_expected_matches_over_all_pairs():
    patterns = np.array([[1], [2]], dtype=np.int8)
    counts = np.array([100, 1000])
    bayes = np.array([60.0, -60.0])  # certain match, certain non-match
    lam, _ = estimate_lambda(patterns, counts, bayes, total_pairs=1e6)
    assert lam == pytest.approx(100 / 1e6, rel=1e-6)


def model(**kwargs):
    defaults = dict(
        comparison_names=("name", "sex"),
        level_names=(("null", "exact", "else"), ("null", "exact", "else")),
        m=(np.array([np.nan, 0.9, 0.1]), np.array([np.nan, 0.95, 0.05])),
        u=(np.array([np.nan, 0.01, 0.99]), np.array([np.nan, 0.5, 0.5])),
        lambda_=0.001,
        tf_levels=((1,), ()),
        tf_minimum=(1e-6, 1e-6),
    )
    defaults.update(kwargs)
    return FellegiSunterModel(**defaults)


def test_weights_null_level_is_zero_and_tf_adjusts_exact_agreement():
    fs = model()
    matrix = np.array([[1, 1], [1, 1], [0, 2]], dtype=np.int8)
    freq = np.array([0.01, 0.0001, np.nan])
    out = fs.contributions(matrix, [freq, None])
    assert out[0, 0] == pytest.approx(np.log2(0.9 / 0.01))  # average frequency: no change
    assert out[1, 0] == pytest.approx(np.log2(0.9 / 0.0001))  # rare value: worth more
    assert out[2, 0] == 0.0
    assert out[2, 1] == pytest.approx(np.log2(0.05 / 0.5))
    common = fs.contributions(np.array([[1, 1]], dtype=np.int8), [np.array([0.2]), None])
    assert common[0, 0] < out[0, 0]  # common value: worth less
    assert fs.prior_weight == pytest.approx(np.log2(0.001 / 0.999))


def test_model_dict_is_json_serialisable():
    text = json.dumps(model().to_dict())
    data = json.loads(text)
    assert data["comparisons"][0]["levels"][1]["m"] == 0.9
    assert data["comparisons"][0]["levels"][0]["m"] is None
