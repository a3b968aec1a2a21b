import pandas as pd
import pytest

from matching.phones import standardise_phone

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+62 812-3456-7890", "6281234567890"),
        ("081234567890", "6281234567890"),
        ("6281234567890", "6281234567890"),
        ("81234567890", "6281234567890"),
        ("+62 0812 3456 7890", "6281234567890"),
        ("081234567890.0", "6281234567890"),
        ("0857-1111-2222", "6285711112222"),
        ("(021) 7777-1234", "622177771234"),
        ("0251-8312345", "622518312345"),
    ],
)
def test_valid_numbers(raw, e164):
    assert standardise_phone(pd.Series([raw])).iloc[0] == e164


@pytest.mark.parametrize(
    "raw", ["0000000000", "081111111111", "12", "", None, "0800123", "+62-02-123-4567", "0812345678901234"]
)
def test_invalid_or_placeholder_numbers_are_missing(raw):
    assert standardise_phone(pd.Series([raw])).iloc[0] is None
