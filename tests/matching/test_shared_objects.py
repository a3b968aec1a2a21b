"""Standardised text columns share ``str`` objects among equal values (memory); values unchanged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from matching import standardise_records
from matching.dates import assemble_iso_dates
from matching.nik import clean_nik_text
from matching.text import from_arrow, kept_objects, text_objects

pytestmark = pytest.mark.unit


def _objects(values) -> int:
    return len({id(value) for value in values})


def _one_object_per_value(column: pd.Series) -> None:
    values = column.to_numpy(dtype=object)
    assert {type(value) for value in values} <= {str, type(None)}
    assert _objects(values) == column.nunique() + int(any(value is None for value in values))


def test_from_arrow_shares_repeated_text_and_keeps_values():
    text = pa.array([None if n % 5 == 0 else f"JL MAWAR {n % 3}" for n in range(20_000)])
    out = from_arrow(text, pd.RangeIndex(len(text)))
    assert out.dtype == object and out.tolist() == text.to_pylist()
    _one_object_per_value(out)
    numbers = from_arrow(pa.array([1, None, 3]), pd.Index([7, 8, 9]))
    assert numbers.tolist() == [1, None, 3] and list(numbers.index) == [7, 8, 9]
    distinct = text_objects(pa.array([f"{n:016d}" for n in range(40_000)]))  # sampled: left a str each
    assert _objects(distinct) == 40_000 and distinct.tolist() == [f"{n:016d}" for n in range(40_000)]


def test_text_objects_equal_to_numpy_shared_only_where_values_repeat():
    rng = np.random.default_rng(3)
    few = pa.array([None if n % 11 == 0 else f"KEL {n % 7}" for n in rng.integers(0, 1000, 30_000)])
    distinct = pa.chunked_array(
        [[f"{n:016d}" for n in range(15_000)], [f"{n:016d}" for n in range(15_000, 30_000)]]
    )
    for text in (few, distinct, pa.chunked_array([few.slice(0, 10), few.slice(10)])):
        objects = text_objects(text)
        assert objects.dtype == object
        assert objects.tolist() == text.to_numpy(zero_copy_only=False).tolist()
    assert _objects(text_objects(few)) == 7 + 1  # seven values and None
    assert _objects(text_objects(distinct)) == 30_000  # mostly distinct: a str per value
    assert text_objects(pa.array([], type=pa.string())).tolist() == []
    assert text_objects(pa.array([None, None], type=pa.string())).tolist() == [None, None]


def test_kept_objects_reuses_the_originals_where_unchanged():
    objects = np.array(["3276 0117", "3276011708650001", None, "x", "  "], dtype=object)
    original = pa.array(objects.tolist(), type=pa.string())
    changed = pa.array(["32760117", "3276011708650001", None, "x", None], type=pa.string())
    out = kept_objects(changed, original, objects)
    assert out.tolist() == changed.to_pylist()
    assert out[1] is objects[1] and out[3] is objects[3]
    assert objects.tolist() == ["3276 0117", "3276011708650001", None, "x", "  "]  # not changed in place


def test_iso_dates_are_one_object_per_date():
    year = np.array([1990, 1990, 2001, np.nan, 1990, 2001, 2023, 1000, 9999] * 50, dtype=float)
    month = np.array([2, 2, 12, 1, 2, 12, 2, 1, 12] * 50, dtype=float)
    day = np.array([15, 15, 31, 1, 15, 31, 30, 1, 31] * 50, dtype=float)
    out = assemble_iso_dates(year, month, day)
    expected = ["1990-02-15", "1990-02-15", "2001-12-31", None, "1990-02-15", "2001-12-31", None]
    assert out.tolist() == (expected + ["1000-01-01", "9999-12-31"]) * 50
    _one_object_per_value(pd.Series(out))
    narrow = assemble_iso_dates(year[:7], month[:7], day[:7])  # a span of days the lookup covers
    assert narrow.tolist() == expected
    _one_object_per_value(pd.Series(narrow))


def test_clean_nik_text_keeps_the_input_objects_of_clean_niks():
    raw = pd.Series(["3276011708650001", " 3276.0117.0865.0002 ", "'3276011708650003", None, "", "ABC"])
    digits, _ = clean_nik_text(raw)
    assert digits.tolist() == ["3276011708650001", "3276011708650002", "3276011708650003", None, None, "ABC"]
    assert digits[0] is raw[0] and digits[5] is raw[5]


def test_standardised_columns_share_objects_with_their_sources(canonical):
    frame = pd.concat([canonical] * 40, ignore_index=True)
    frame["record_id"] = [f"R{n}" for n in range(len(frame))]
    std = standardise_records(frame)
    once = standardise_records(canonical)
    for column in std.columns.drop("record_id"):  # values as standardising each record alone gives
        expected = pd.concat([once[column]] * 40, ignore_index=True)
        pd.testing.assert_series_equal(std[column], expected, check_names=False)
    for column in ("birth_date_std", "street_std", "kelurahan_std", "name_titles", "phone_std"):
        _one_object_per_value(std[column])
    pairs = [("name_std", "full_name"), ("name_key", "name_std"), ("nik_std", "nik")]
    pairs += [("nik_birth_date", "birth_date_std")]
    for column, source in pairs:
        values, sources = std[column].to_numpy(dtype=object), std[source].to_numpy(dtype=object)
        equal = [n for n in range(len(std)) if values[n] is not None and values[n] == sources[n]]
        assert equal, column
        assert all(values[n] is sources[n] for n in equal), column


def test_names_missing_as_pd_na_or_nan_standardise_as_before():
    frame = pd.DataFrame({"full_name": pd.array(["BUDI", pd.NA, "Siti"], dtype="string"), "nik": np.nan})
    std = standardise_records(frame)
    assert std["name_std"].tolist() == ["BUDI", None, "SITI"]
    assert std["name_key"].tolist() == ["BUDI", None, "SITI"]
    assert std["name_std"].dtype == object
    mixed = standardise_records(pd.DataFrame({"full_name": ["BUDI", np.nan, None, "ANI"]}))
    assert mixed["name_std"].tolist() == ["BUDI", None, None, "ANI"]
    assert mixed["name_std"][0] is mixed["full_name"][0]
