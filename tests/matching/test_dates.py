import datetime as dt

import pandas as pd
import pytest

from matching.dates import parse_dates

pytestmark = pytest.mark.unit
TODAY = dt.date(2025, 6, 1)


def parse(value):
    return parse_dates(pd.Series([value]), today=TODAY).iloc[0]


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("17-08-1985", "1985-08-17"),
        ("17/08/1985", "1985-08-17"),
        ("17.08.1985", "1985-08-17"),
        ("1985-08-17", "1985-08-17"),
        ("1985-08-17 10:22:01", "1985-08-17"),
        ("17 Agustus 1985", "1985-08-17"),
        ("17 AGUSTUS 1985", "1985-08-17"),
        ("1 Pebruari 1990", "1990-02-01"),
        ("3 Nopember 1970", "1970-11-03"),
        ("22-SEP-2023", "2023-09-22"),
        ("17 Agt 1985", "1985-08-17"),
        ("5 Mei 2001", "2001-05-05"),
        ("17081985", "1985-08-17"),
        ("19850817", "1985-08-17"),
        ("03/04/90", "1990-04-03"),
        ("03/04/05", "2005-04-03"),
        ("32874", "1990-01-01"),
        ("29-02-2000", "2000-02-29"),
    ],
)
def test_formats_day_first(raw, iso):
    assert parse(raw) == iso


@pytest.mark.parametrize(
    "raw",
    [
        "29-02-2001",
        "31/04/1990",
        "00-01-1990",
        "17-13-1990",
        "abc",
        "",
        None,
        "2999-01-01",
        "01-01-1800",
        "17 Agustos 1985",
    ],
)
def test_invalid_future_or_unparseable_dates_are_missing(raw):
    assert parse(raw) is None


def test_index_and_duplicates():
    s = pd.Series(["17-08-1985", None, "17-08-1985"], index=["a", "b", "c"])
    out = parse_dates(s, today=TODAY)
    assert list(out.index) == ["a", "b", "c"]
    assert out.tolist() == ["1985-08-17", None, "1985-08-17"]
