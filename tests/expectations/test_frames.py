"""The frame handed to GX: Arrow-backed text must give GX's checks exactly the answers object text gives.

Each comparison runs the real GX suite twice over the same rows — once on the Arrow-backed frame
``validate_source`` builds, once on the all-object reference frame — and compares everything the stage
reads or reports: every expectation's result, the outcomes and the quarantine rows.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expectations.frames import arrow_text_supported, gx_text_column
from expectations.quarantine import derive_quarantine, read_results
from expectations.runner import run_suite
from expectations.suites import MAX_FIELD_LENGTH, suite_columns, suite_for
from expectations.validation import ARROW_MIN_ROWS, build_gx_frame, validate_source

pytestmark = pytest.mark.integration

#: Text that tells Python's ``re``/``len``/``==`` apart from lookalikes in other engines or C strings.
TRICKY = [
    "",  # empty
    " ",  # blank
    "\t\n",  # blank, other whitespace
    "\u00a0",  # no-break space: blank for Python's \s, not for RE2's
    "\u3000",  # ideographic space
    "3276014507850001\n",  # a NIK and a trailing newline: Python's $ matches before it
    "３２７６０１４５０７８５０００１",  # fullwidth digits: not [0-9]
    "e\u0301",  # combining accent: two code points
    "😀" * 3,  # outside the BMP
    "A" * 1001,  # one over the length limit
    "L",
    "P",
    "AKTIF",
]


def _comparable(result) -> list[tuple[str, str, bool]]:
    items = result.to_json_dict()["results"]
    return sorted(
        (
            item["expectation_config"]["meta"]["name"],
            json.dumps(item["result"], sort_keys=True),
            item["success"],
        )
        for item in items
    )


def assert_same_as_object_frames(frame: pd.DataFrame, source: str) -> None:
    suite = suite_for(source)
    arrow = build_gx_frame(frame, suite, arrow_text=True)
    reference = build_gx_frame(frame, suite, arrow_text=False)
    assert all(reference[column].dtype.kind == "O" for column in suite_columns(suite))
    fast = run_suite(arrow, suite_for(source))
    slow = run_suite(reference, suite_for(source))
    assert _comparable(fast) == _comparable(slow)
    fast_checks = read_results(fast.to_json_dict())
    slow_checks = read_results(slow.to_json_dict())
    assert [c.outcome() for c in fast_checks] == [c.outcome() for c in slow_checks]
    fast_mask, fast_quarantine = derive_quarantine(frame, source, fast_checks)
    slow_mask, slow_quarantine = derive_quarantine(frame, source, slow_checks)
    np.testing.assert_array_equal(fast_mask, slow_mask)
    pd.testing.assert_frame_equal(fast_quarantine, slow_quarantine)


def test_arrow_text_is_supported_by_the_installed_pandas() -> None:
    # without it every column silently stays an object column: correct, but the slow path
    assert arrow_text_supported()


def test_large_frames_get_arrow_text_small_ones_object_text(make_frame) -> None:
    suite = suite_for("bpjs_ketenagakerjaan")
    large = make_frame("bpjs_ketenagakerjaan", [{}] * ARROW_MIN_ROWS)
    assert isinstance(build_gx_frame(large, suite)["full_name"].array, pd.arrays.ArrowStringArray)
    small = build_gx_frame(large.iloc[: ARROW_MIN_ROWS - 1], suite)
    assert all(small[column].dtype.kind == "O" for column in suite_columns(suite))


def test_plain_text_goes_to_gx_arrow_backed() -> None:
    column = gx_text_column(pd.Series(["a", None, float("nan"), "b"], dtype=object))
    assert isinstance(column, pd.arrays.ArrowStringArray)
    assert column.isna().tolist() == [False, True, True, False]


@pytest.mark.parametrize(
    "values",
    [
        ["ab\x00", "x"],  # a NUL: numpy str arrays drop trailing NULs
        ["\x00"],
        ["a", 1],  # not text
        ["a", b"a"],
        ["a", pd.Timestamp("2024-01-01")],
        ["\udcff"],  # a lone surrogate (surrogateescape decoding): no UTF-8 for it
        [None, None],  # nothing to go by
        [],
    ],
)
def test_values_arrow_might_change_stay_objects(values: list[object]) -> None:
    column = gx_text_column(pd.Series(values, dtype=object))
    assert isinstance(column, np.ndarray) and column.dtype == object
    assert column.tolist() == values


def test_tricky_text_gives_the_same_results_as_object_columns(make_frame) -> None:
    fields = ("record_id", "nik", "full_name", "sex", "phone", "address", "membership_status")
    rows = [{field: value for field in fields} for value in TRICKY]
    rows += [{"full_name": value, "nik": value} for value in TRICKY]
    rows += [{"record_id": None, "full_name": float("nan")}, {"record_id": "1\n"}, {"record_id": "1\n"}]
    frame = make_frame("bpjs_kesehatan", rows)
    assert all(isinstance(gx_text_column(frame[field]), pd.arrays.ArrowStringArray) for field in fields)
    assert_same_as_object_frames(frame, "bpjs_kesehatan")


def test_columns_left_as_objects_mix_with_arrow_columns(make_frame) -> None:
    frame = make_frame("penduduk_depok", [{"full_name": "\x00"}, {"full_name": "ab\x00"}, {"nik": "1" * 16}])
    assert isinstance(gx_text_column(frame["full_name"]), np.ndarray)
    assert_same_as_object_frames(frame, "penduduk_depok")
    result = validate_source(frame, "penduduk_depok")
    assert result.quarantined.empty  # "\x00" is not blank, as GX on object columns says


def test_length_limits_flag_the_rows_gx_text_lengths_flag(make_frame) -> None:
    # the suites check lengths counted before GX runs (expectations.derived); GX's own check of text
    # lengths, on the same frames, must flag the same rows
    import great_expectations as gx
    import great_expectations.expectations as gxe

    long = [
        "B" * MAX_FIELD_LENGTH,
        "B" * (MAX_FIELD_LENGTH + 1),
        "😀" * (MAX_FIELD_LENGTH + 1),
        "ab\x00" * 400,
    ]
    values = [*TRICKY, *long, "e\u0301" * 500, "e\u0301" * 501]
    frame = make_frame("bpjs_kesehatan", [{"address": value, "phone": value} for value in [*values, None]])

    def flagged(result, name: str) -> list:
        by_name = {
            item["expectation_config"]["meta"]["name"]: item for item in result.to_json_dict()["results"]
        }
        return by_name[name]["result"]["unexpected_index_list"]

    for arrow_text in (True, False):
        gx_frame = build_gx_frame(frame, suite_for("bpjs_kesehatan"), arrow_text=arrow_text)
        ours = run_suite(gx_frame, suite_for("bpjs_kesehatan"))
        text_lengths = gx.ExpectationSuite(
            name="text_lengths",
            expectations=[
                gxe.ExpectColumnValueLengthsToBeBetween(
                    column=field, max_value=MAX_FIELD_LENGTH, meta={"name": f"{field}_length"}
                )
                for field in ("address", "phone")
            ],
        )
        theirs = run_suite(gx_frame, text_lengths)
        for name in ("address_length", "phone_length"):
            assert flagged(ours, name) == flagged(theirs, name)
            # over the limit: "A" * 1001, "B" * 1001, 1001 emoji, 400 "ab\x00", 501 "e" + accent
            assert len(flagged(ours, name)[0]["source_row"]) == 5


_TEXT = st.one_of(
    st.none(),
    st.sampled_from(TRICKY),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20),
)


@settings(
    max_examples=10, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {
                "record_id": _TEXT,
                "nik": _TEXT,
                "full_name": _TEXT,
                "sex": _TEXT,
                "rt": _TEXT,
                "birth_date": _TEXT,
            }
        ),
        min_size=1,
        max_size=12,
    )
)
def test_any_text_gives_the_same_results_as_object_columns(make_frame, rows) -> None:
    assert_same_as_object_frames(make_frame("penduduk_depok", rows), "penduduk_depok")
