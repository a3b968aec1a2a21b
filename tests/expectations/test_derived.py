"""The helper columns behind the calendar checks (which texts name a real day) and the length limits."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from connectors.schema import CANONICAL_FIELDS
from expectations.derived import (
    DERIVED_COLUMNS,
    as_calendar_date,
    derive_column,
    is_real_date,
    length_column,
    value_lengths,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("17-08-1985", dt.date(1985, 8, 17)),  # BPJS Kesehatan
        ("1985-08-17", dt.date(1985, 8, 17)),  # BPJS Ketenagakerjaan
        ("17/08/1985", dt.date(1985, 8, 17)),  # civil registry
        ("17 Agustus 1985", dt.date(1985, 8, 17)),
        ("5 NOPEMBER 1950", dt.date(1950, 11, 5)),
        ("29-02-2000", dt.date(2000, 2, 29)),
        (" 01-01-1990 ", dt.date(1990, 1, 1)),
        ("01-01-2099", dt.date(2099, 1, 1)),  # a real day, if not a plausible birth date
    ],
)
def test_real_days_in_every_agency_layout(text: str, day: dt.date) -> None:
    values = pd.Series([text])
    assert as_calendar_date(values).tolist() == [day]
    assert is_real_date(values).tolist() == [True]


@pytest.mark.parametrize(
    "text",
    ["31-02-1990", "29-02-1900", "30/02/2000", "1990-13-01", "00-01-1990", "0000-01-01", "31 Juni 1990",
     "not a date", "17 August 1985", "17-08-85", "1985/08/17", "17.08.1985", "3276014507850001"],
)  # fmt: skip
def test_texts_that_name_no_real_day(text: str) -> None:
    values = pd.Series([text])
    assert as_calendar_date(values).tolist() == [None]
    assert is_real_date(values).tolist() == [False]


def test_missing_and_blank_are_neither_real_nor_unreal() -> None:
    values = pd.Series([None, "", "  ", "31-02-1990", "01-01-1990", "31-02-1990"], index=[9, 8, 7, 6, 5, 4])
    assert is_real_date(values).tolist() == [None, None, None, False, True, False]
    assert as_calendar_date(values).tolist() == [None, None, None, None, dt.date(1990, 1, 1), None]


def test_derived_columns_are_computed_from_their_canonical_column() -> None:
    frame = pd.DataFrame({"birth_date": ["17-08-1985", "31-02-1990", None]})
    lengths = {f"{field}_length" for field in CANONICAL_FIELDS}
    assert set(DERIVED_COLUMNS) == {"birth_date_is_real_date", "birth_date_as_date", *lengths}
    assert derive_column(frame, "birth_date_is_real_date").tolist() == [True, False, None]
    assert derive_column(frame, "birth_date_as_date").tolist() == [dt.date(1985, 8, 17), None, None]
    assert DERIVED_COLUMNS[length_column("full_name")][0] == "full_name"
    assert derive_column(frame, length_column("birth_date"))[:2].tolist() == [10.0, 10.0]


def _lengths_as_gx_counts_them(values: pd.Series) -> pd.Series:
    """GX's pandas value-length check (GX Core 1.x): ``astype(str).str.len()`` of the present values."""
    present = values[values.notnull()]
    return present.astype(str).str.len()


def test_value_lengths_count_characters_and_leave_missing_values_out() -> None:
    values = pd.Series(
        ["BUDI", "", "é", "\U0001f600", "a\x00", None, float("nan"), pd.NA, 3276, b"ab"], dtype=object
    )
    lengths = value_lengths(values)
    assert lengths.dtype == "float64"  # GX compares a float column's range at once, others value by value
    assert lengths[:5].tolist() == [4.0, 0.0, 1.0, 1.0, 2.0]
    assert pd.isna(lengths[5:8]).all()
    assert lengths[8:].tolist() == [4.0, 2.0]  # as pandas writes them: "3276", "ab"


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.text(max_size=30),
            st.integers(-(10**20), 10**20),
            st.just(float("nan")),
            st.text(max_size=5).map(str.encode),  # bytes: pandas' text of them is their UTF-8
            st.just("\ud800x"),  # a lone surrogate: no UTF-8 for it
        ),
        max_size=25,
    )
)
def test_value_lengths_agree_with_gx_on_anything(values: list[object]) -> None:
    series = pd.Series(values, dtype=object)
    lengths = value_lengths(series)
    expected = _lengths_as_gx_counts_them(series)
    assert list(expected.index) == [i for i in range(len(values)) if not pd.isna(lengths[i])]
    assert lengths[expected.index.to_numpy(dtype=int)].tolist() == expected.astype(float).tolist()


@settings(max_examples=150, deadline=None, database=None)
@given(
    day=st.dates(min_value=dt.date(1000, 1, 1)), layout=st.sampled_from(["%d-%m-%Y", "%Y-%m-%d", "%d/%m/%Y"])
)
def test_every_real_day_written_in_an_agency_layout_is_read_back(day: dt.date, layout: str) -> None:
    assert as_calendar_date(pd.Series([day.strftime(layout)])).tolist() == [day]


@settings(max_examples=150, deadline=None, database=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=12)), max_size=20))
@example(values=["", "\x00"])  # pandas' hash tables and numpy str arrays read "\x00" as ""
def test_any_text_gives_a_real_day_or_nothing(values: list[str | None]) -> None:
    series = pd.Series(values, dtype=object)
    real = is_real_date(series)
    dates = as_calendar_date(series)
    assert len(real) == len(dates) == len(values)
    for value, flag, day in zip(values, real, dates, strict=True):
        assert (flag is None) == (value is None or not value.strip())
        assert (day is not None) == (flag is True)
