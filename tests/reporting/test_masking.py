import pandas as pd
import pytest

from reporting.masking import mask_digits, mask_frame, mask_name

pytestmark = pytest.mark.unit


def test_nik_and_phone_keep_first_and_last_four_digits():
    assert mask_digits("3276015708900001") == "3276********0001"
    assert mask_digits("081234567890") == "0812****7890"
    assert mask_digits("0812 3456 7890") == "0812****7890"


def test_short_and_missing_values():
    assert mask_digits("12345") == "***45"
    assert mask_digits(None) == "" and mask_digits(float("nan")) == "" and mask_digits("") == ""
    assert mask_name("SITI AMINAH") == "S*** A*****"
    assert mask_name(None) == ""


def test_mask_frame_masks_identifier_columns_and_names_on_request():
    frame = pd.DataFrame(
        {"nik_l": ["3276015708900001"], "phone_r": ["081234567890"], "full_name_l": ["SITI AMINAH"]}
    )
    masked = mask_frame(frame)
    assert masked.loc[0, "nik_l"] == "3276********0001"
    assert masked.loc[0, "phone_r"] == "0812****7890"
    assert masked.loc[0, "full_name_l"] == "SITI AMINAH"
    assert mask_frame(frame, names=True).loc[0, "full_name_l"] == "S*** A*****"
    assert frame.loc[0, "nik_l"] == "3276015708900001"
