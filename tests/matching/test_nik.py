import datetime as dt

import pandas as pd
import pytest

from matching.nik import standardise_nik

pytestmark = pytest.mark.unit
TODAY = dt.date(2025, 6, 1)


def run(nik, dob=None, sex=None, kk=None):
    niks = pd.Series(nik if isinstance(nik, list) else [nik])
    n = len(niks)
    dobs = pd.Series(dob if isinstance(dob, list) else [dob] * n, dtype=object)
    sexes = pd.Series(sex if isinstance(sex, list) else [sex] * n, dtype=object)
    kks = None if kk is None else pd.Series(kk if isinstance(kk, list) else [kk] * n, dtype=object)
    return standardise_nik(niks, dobs, sexes, kks, today=TODAY)


def test_valid_female_nik_is_decoded():
    row = run("3276015708900001", "1990-08-17", "P").iloc[0]
    assert row["nik_std"] == "3276015708900001"
    assert bool(row["nik_valid"]) and row["nik_issue"] is None
    assert row["nik_birth_date"] == "1990-08-17" and row["nik_sex"] == "P"
    assert bool(row["nik_agrees"])


@pytest.mark.parametrize(
    "raw", ["'3276015708900001", " 3276 0157 0890 0001 ", "32.7601.570890.0001", "3276-0157-0890-0001"]
)
def test_separators_and_excel_apostrophe_are_stripped(raw):
    assert run(raw).iloc[0]["nik_std"] == "3276015708900001"


@pytest.mark.parametrize(
    ("raw", "issue"),
    [
        ("0000000000000000", "placeholder"),
        ("1111111111111111", "placeholder"),
        ("1234567890123456", "placeholder"),
        ("327601570890001", "wrong_length"),
        ("32760157089000011", "wrong_length"),
        ("32760157O8900001", "not_digits"),
        ("3.27602E+15", "excel_damage"),
        ("9471015708900001.0", "excel_damage"),
        ("9976015708900001", "bad_region"),
        ("3276013208900001", "bad_date"),
        ("3276017208900001", "bad_date"),
        ("3276011713900001", "bad_date"),
        ("3276013002900001", "bad_date"),
        ("3276015708900000", "bad_serial"),
    ],
)
def test_invalid_niks_carry_a_reason(raw, issue):
    row = run(raw, "1990-08-17", "P").iloc[0]
    assert row["nik_issue"] == issue
    assert not row["nik_valid"] and row["nik_std"] is None and row["nik_birth_date"] is None


def test_float_text_is_kept_but_flagged():
    row = run("3276015708900001.0").iloc[0]
    assert row["nik_std"] == "3276015708900001" and row["nik_valid"] and row["nik_issue"] == "float_text"


def test_century_picks_date_not_after_today_and_follows_record():
    assert run("3276011701200001").iloc[0]["nik_birth_date"] == "2020-01-17"
    assert run("3276011701300001").iloc[0]["nik_birth_date"] == "1930-01-17"
    assert run("3276011701200001", "1920-01-17", "L").iloc[0]["nik_birth_date"] == "1920-01-17"


def test_disagreement_with_record_is_flagged_not_rejected():
    row = run("3276015708900001", "1991-08-17", "P").iloc[0]
    assert row["nik_valid"] and not row["nik_agrees"]
    row = run("3276015708900001", "1990-08-17", "L").iloc[0]
    assert not row["nik_agrees"]
    assert pd.isna(run("3276015708900001").iloc[0]["nik_agrees"])


def test_kk_number_in_nik_field():
    row = run("3276011708900003", "1985-01-02", "L", kk="3276011708900003").iloc[0]
    assert row["nik_issue"] == "kk_like" and not row["nik_valid"]
    # a KK number of another household whose date is not the record's own birth date
    out = run(
        ["3276011708050003", "3276010101850001"],
        ["1985-01-01", "1985-01-01"],
        ["L", "L"],
        kk=["3276010101850009", "3276011708050003"],
    )
    assert out.iloc[0]["nik_issue"] == "kk_like"
    assert out.iloc[1]["nik_valid"]


def test_missing_nik_has_no_issue_and_index_is_kept():
    out = standardise_nik(
        pd.Series([None, ""], index=[5, 2]),
        pd.Series([None, None], index=[5, 2]),
        pd.Series([None, None], index=[5, 2]),
        today=TODAY,
    )
    assert list(out.index) == [5, 2]
    assert out["nik_issue"].isna().all() and (~out["nik_valid"]).all()
