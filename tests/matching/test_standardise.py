import datetime as dt

import numpy as np
import pandas as pd
import pytest

from matching import STANDARDISED_COLUMNS, standardise_records
from matching.standardise import standardise_place, standardise_sex

pytestmark = pytest.mark.unit


def test_columns_index_and_originals_are_kept(canonical):
    frame = canonical.set_axis([30, 10, 20, 60, 50, 40])
    std = standardise_records(frame)
    assert list(std.index) == [30, 10, 20, 60, 50, 40]
    assert list(std.columns[: len(frame.columns)]) == list(frame.columns)
    assert set(STANDARDISED_COLUMNS) <= set(std.columns)
    pd.testing.assert_frame_equal(std[frame.columns], frame)
    assert frame.columns.tolist() == canonical.columns.tolist()  # input untouched


def test_three_sources_of_one_person_agree(std):
    person = std.iloc[:3]
    assert person["name_key"].nunique() == 1
    assert person["birth_date_std"].tolist() == ["1965-08-17"] * 3
    assert person["sex_std"].tolist() == ["L"] * 3
    assert person["kelurahan_code"].tolist() == ["32.76.06.1005"] * 3
    assert person["rt_std"].tolist() == ["003"] * 3 and person["rw_std"].tolist() == ["005"] * 3
    assert person["phone_std"].iloc[0] == person["phone_std"].iloc[1] == "6281234567890"
    assert person["name_titles"].iloc[0] == "H. S.E."
    assert person["nik_std"].iloc[1] is None and not person["nik_valid"].iloc[1]
    assert bool(person["nik_agrees"].iloc[0])


def test_patronymic_and_kelurahan_variant(std):
    assert std.loc[4, "father_name"] == "ABDULLAH"
    assert std.loc[3, "kelurahan_code"] == std.loc[4, "kelurahan_code"] == "32.76.05.1003"
    assert std.loc[3, "nik_birth_date"] == "1990-02-15" and std.loc[3, "nik_sex"] == "P"


def test_restandardising_replaces_columns(std):
    again = standardise_records(std)
    assert list(again.columns) == list(std.columns)
    pd.testing.assert_frame_equal(again, std)


def test_sex_and_place_codes():
    sex = standardise_sex(pd.Series(["L", "p", "Laki-laki", "PEREMPUAN", "1", "2.0", 1, "x", None]))
    assert sex.tolist() == ["L", "P", "L", "P", "L", "P", "L", None, None]
    place = standardise_place(pd.Series(["Kota Depok", "KAB. BOGOR", "Jakarta Selatan", "", None]))
    assert place.tolist() == ["DEPOK", "BOGOR", "JAKARTA SELATAN", None, None]


def test_frame_without_optional_columns():
    std = standardise_records(pd.DataFrame({"full_name": ["Budi"], "nik": [np.nan]}))
    assert std.loc[0, "name_key"] == "BUDI" and std.loc[0, "kelurahan_code"] is None


def test_a_part_checked_against_the_other_records_kk_numbers_is_standardised_as_in_the_whole():
    from matching.standardise import kk_number_values

    # record 0's NIK is the KK number of record 3 (another household, another birth date): kk_like when
    # record 3 is in the frame, or when its KK number is given as one of the other records'
    frame = pd.DataFrame(
        {
            "nik": ["3276011708050003", "3276015502900004", None, "3276010101850001", "3276011708050003"],
            "kk_number": [None, None, None, "32.7601.1708.050003", None],
            "full_name": ["ANDI", "SITI", "BUDI", "RINA", "ANDI"],
            "birth_date": ["1985-01-01", "1990-02-15", None, "1985-01-01", "2005-08-17"],
            "sex": ["L", "P", "L", "P", "L"],
        }
    )
    today = dt.date(2026, 11, 27)
    whole = standardise_records(frame, today=today)
    part, rest = frame.iloc[[0, 1, 4]].reset_index(drop=True), frame.iloc[[2, 3]]
    assert whole["nik_issue"].iloc[0] == "kk_like" and whole["nik_valid"].iloc[4]

    alone = standardise_records(part, today=today)
    checked = standardise_records(part, today=today, kk_numbers=kk_number_values(rest["kk_number"]))

    assert alone["nik_valid"].iloc[0]  # the part alone cannot see record 3's KK number
    expected = whole.iloc[[0, 1, 4]].reset_index(drop=True)
    pd.testing.assert_frame_equal(checked, expected)
    assert list(kk_number_values(rest["kk_number"])) == ["3276011708050003"]
