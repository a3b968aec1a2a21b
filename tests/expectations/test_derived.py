"""The helper columns behind the calendar checks: which texts name a real day."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from expectations.derived import DERIVED_COLUMNS, as_calendar_date, derive_column, is_real_date

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
    assert set(DERIVED_COLUMNS) == {"birth_date_is_real_date", "birth_date_as_date"}
    assert derive_column(frame, "birth_date_is_real_date").tolist() == [True, False, None]
    assert derive_column(frame, "birth_date_as_date").tolist() == [dt.date(1985, 8, 17), None, None]


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
