"""``factorize_sorted``: ``pd.factorize(sort=True)``, strings sorted by Arrow."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matching.text import factorize_sorted


@pytest.mark.parametrize(
    "values",
    [["b", "a\udc80", "a", "é", "z", "a"], ["b", None, "a"], ["x", 1, "a"], [], ["\x00", "", "a\x00"]],
)
def test_sort_keys_are_those_of_pandas_sort(values):
    values = np.asarray(values, dtype=object)
    codes, uniques = factorize_sorted(values)
    expected_codes, expected_uniques = pd.factorize(values, sort=True)
    assert list(codes) == list(expected_codes) and list(uniques) == list(expected_uniques)
