"""``positions_in``: ``pd.Index(table).get_indexer(values)``, by Arrow where both are text."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.text import positions_in

pytestmark = pytest.mark.unit

_TEXT = st.sampled_from(["", "A", "a", "AB", "Ä", "ÄB", "漢字", " A", "A ", "\u3000", "3276"])
_VALUE = st.one_of(_TEXT, st.none(), st.just(float("nan")))


def _reference(values: list, table: list) -> np.ndarray:
    if not table:
        return np.full(len(values), -1, dtype=np.int64)
    return pd.Index(table, dtype=object).get_indexer(np.asarray(values, dtype=object)).astype(np.int64)


@settings(max_examples=200, deadline=None, database=None)
@given(values=st.lists(_VALUE, max_size=30), table=st.lists(_TEXT, max_size=8, unique=True))
def test_text_is_found_where_pandas_finds_it(values: list, table: list) -> None:
    found = positions_in(np.asarray(values, dtype=object), np.asarray(table, dtype=object))
    assert found.dtype == np.int64
    np.testing.assert_array_equal(found, _reference(values, table))


@pytest.mark.parametrize(
    ("values", "table"),
    [
        ([1, 2, None, "1"], ["1", "2"]),  # numbers are not their digits
        ([b"A", "A"], ["A"]),  # bytes are not text
        ([1, 2, 3], [3, 1]),  # numbers among numbers
        (["A", None, "B"], ["B", None]),  # a missing value in the table: pandas finds it
        (["\ud800", "A"], ["A", "\ud800"]),  # a lone surrogate has no UTF-8
        ([None, float("nan")], ["A"]),  # nothing but missing values
    ],
)
def test_anything_but_text_is_looked_up_as_pandas_does(values: list, table: list) -> None:
    found = positions_in(np.asarray(values, dtype=object), np.asarray(table, dtype=object))
    np.testing.assert_array_equal(found, _reference(values, table))


def test_empty_sides() -> None:
    assert positions_in(np.asarray([], dtype=object), np.asarray(["A"], dtype=object)).tolist() == []
    assert positions_in(np.asarray(["A", None], dtype=object), np.asarray([], dtype=object)).tolist() == [
        -1,
        -1,
    ]


def test_a_large_lookup_agrees_with_pandas() -> None:
    rng = np.random.default_rng(7)
    table = np.asarray([f"{n:08d}" for n in rng.choice(10**8, 5_000, replace=False)], dtype=object)
    values = table[rng.integers(0, len(table), 50_000)].copy()
    values[rng.random(len(values)) < 0.2] = None
    values[rng.random(len(values)) < 0.2] = "99999999x"  # not in the table
    np.testing.assert_array_equal(positions_in(values, table), _reference(list(values), list(table)))
