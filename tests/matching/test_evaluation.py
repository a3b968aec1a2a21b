import numpy as np
import pytest

from matching import pairwise_scores

pytestmark = pytest.mark.unit


def test_hand_computed_case():
    # truth: {0,1,2} {3,4}  -> 4 true pairs; predicted: {0,1} {2,3,4} -> 4 predicted pairs; 2 agree
    p, r, f1 = pairwise_scores([7, 7, 9, 9, 9], ["a", "a", "a", "b", "b"])
    assert (p, r) == (0.5, 0.5) and f1 == pytest.approx(0.5)


def test_perfect_all_singletons_and_all_merged():
    assert pairwise_scores([1, 1, 2], ["x", "x", "y"]) == (1.0, 1.0, 1.0)
    assert pairwise_scores([1, 2, 3], ["x", "x", "y"]) == (1.0, 0.0, 0.0)
    p, r, _ = pairwise_scores([0, 0, 0, 0], [1, 1, 2, 2])
    assert p == pytest.approx(2 / 6) and r == 1.0


def test_length_mismatch_and_large_input():
    with pytest.raises(ValueError):
        pairwise_scores([1, 2], [1])
    n = 1_000_000
    labels = np.arange(n) // 3
    assert pairwise_scores(labels, labels) == (1.0, 1.0, 1.0)
