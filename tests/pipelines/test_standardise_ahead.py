"""A full run's rows standardised ahead of validation, the quarantined ones left out after: the same as
standardising the rows that passed."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from connectors import load_sources_config, read_source
from matching.standardise import standardise_records
from pipelines import stages
from pipelines.standardise_ahead import passed_rows, rows_read

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def batches(small_drop):
    return [read_source(source) for source in load_sources_config(small_drop / "sources.yaml").sources]


def _validated(items):
    return [stages.finish_validation(item) for item in items]


def test_with_every_row_passed_the_frame_is_kept(batches):
    items = [stages.start_validation(batch) for batch in batches]
    ahead = standardise_records(rows_read(items))
    validated = _validated(items)
    assert all(
        len(item.quarantine) == len(batch.rejected) for item, batch in zip(validated, batches, strict=True)
    )
    assert passed_rows(ahead, items, validated) is ahead
    pd.testing.assert_frame_equal(ahead, standardise_records(stages.combine_records(validated)))


def test_quarantined_rows_are_left_out_and_their_kk_numbers_with_them(batches):
    city = next(position for position, batch in enumerate(batches) if batch.source == "penduduk_depok")
    records = batches[city].records.copy()
    niks = standardise_records(records)
    # a record whose NIK is valid and whose birth date is not the one its NIK encodes: a KK number
    # equal to its NIK makes that NIK a KK number typed in the NIK field ("kk_like")
    target = next(row for row in range(len(records)) if niks["nik_valid"].iloc[row])
    records.iloc[target, records.columns.get_loc("birth_date")] = "01/01/1931"
    # a row quarantined (blank name) whose KK number is that NIK, and one quarantined as a repeated id
    blank, repeated = target + 1, target + 2
    records.iloc[blank, records.columns.get_loc("kk_number")] = records["nik"].iloc[target]
    records.iloc[blank, records.columns.get_loc("full_name")] = "   "
    records.iloc[repeated, records.columns.get_loc("record_id")] = records["record_id"].iloc[target + 3]
    broken = [*batches]
    broken[city] = dataclasses.replace(batches[city], records=records)

    items = [stages.start_validation(batch) for batch in broken]
    ahead = standardise_records(rows_read(items))
    validated = _validated(items)
    assert len(validated[city].quarantine) == len(batches[city].rejected) + 2
    before = sum(len(batch.records) for batch in broken[:city])
    assert ahead["nik_issue"].iloc[before + target] == "kk_like"  # refused while the row was there

    kept = passed_rows(ahead, items, validated)
    pd.testing.assert_frame_equal(kept, standardise_records(stages.combine_records(validated)))
    mine = kept.index[kept["record_id"] == records["record_id"].iloc[target]]
    assert len(mine) == 1 and bool(kept.loc[mine[0], "nik_valid"])  # accepted once the row is gone
