"""``content_hashes``: one hash of a record's raw fields, the same however the columns are hashed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from store import publish
from store.models import RAW_FIELDS
from store.publish import content_hashes


def _records(size: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({name: [None] * size for name in RAW_FIELDS}, dtype=object)
    frame["nik"] = [f"3276{n:012d}" for n in rng.integers(0, 10**12, size)]  # distinct
    frame["full_name"] = rng.choice(["SITI AMINAH", "BUDI", "Dewi  Lestari", None, ""], size)
    frame["sex"] = rng.choice(["L", "P", np.nan], size)  # few values, missing as NaN
    frame["rt"] = 3  # not text
    frame["kelurahan"] = rng.choice([f"KEL {n}" for n in range(40)], size)
    return frame


def _reference(records: pd.DataFrame) -> np.ndarray:
    """As the docstring says: ``hash_pandas_object`` of the fields as strings, missing as empty."""
    raw = records.loc[:, list(RAW_FIELDS)].astype(object).where(records.notna(), "").astype(str)
    values = pd.util.hash_pandas_object(raw, index=False)
    return np.array([f"{value:016x}" for value in values], dtype=object)


@pytest.mark.parametrize("size", [10, 1_000, 5_000])
def test_the_hash_of_the_fields_as_strings(size: int) -> None:
    records = _records(size, seed=size)
    assert list(content_hashes(records)) == list(_reference(records))


def test_few_distinct_values_are_hashed_as_categories_for_the_same_hashes(monkeypatch) -> None:
    records = _records(5_000, seed=1)
    columns = [publish._hashed_as(np.asarray(records[name].astype(str), dtype=object)) for name in RAW_FIELDS]
    assert isinstance(columns[RAW_FIELDS.index("sex")], pd.Categorical)  # few values
    assert isinstance(columns[RAW_FIELDS.index("nik")], np.ndarray)  # distinct values
    sampled = content_hashes(records)
    monkeypatch.setattr(publish, "_hashed_as", lambda text: text)
    assert list(sampled) == list(content_hashes(records))


def test_equal_content_equal_hash_and_any_field_changes_it() -> None:
    records = _records(3, seed=2)
    twice = pd.concat([records, records], ignore_index=True)
    hashes = content_hashes(twice)
    assert list(hashes[:3]) == list(hashes[3:])
    for name in RAW_FIELDS:
        changed = records.astype(object)
        changed.loc[0, name] = "something else"
        assert content_hashes(changed)[0] != hashes[0], name
