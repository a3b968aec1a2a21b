"""``concat_rows``: what ``pd.concat`` gives for frames with the same columns, without its missing-value
scans."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matching.frames import concat_rows, renumbered, take_rows


def _sources() -> list[pd.DataFrame]:
    # as the agencies send them: each leaves some columns empty throughout
    city = pd.DataFrame(
        {"record_id": ["c1", "c2"], "phone": [None, None], "kk_number": ["3276010101010001", None]}
    )
    health = pd.DataFrame(
        {"record_id": ["h1"], "phone": ["0812345678"], "kk_number": [None]}, index=pd.Index([7])
    )
    return [city, health]


def test_rows_one_after_another_with_a_fresh_index() -> None:
    combined = concat_rows(_sources())
    expected = pd.concat(_sources(), ignore_index=True)
    assert list(combined.index) == [0, 1, 2] and isinstance(combined.index, pd.RangeIndex)
    assert list(combined.columns) == list(expected.columns)
    assert (combined.dtypes == expected.dtypes).all()
    pd.testing.assert_frame_equal(combined, expected)
    # a value missing as None stays None (pd.concat turns a column empty throughout a frame into NaN)
    assert combined.loc[0, "phone"] is None and combined.loc[2, "kk_number"] is None


def test_the_index_is_kept_when_asked() -> None:
    combined = concat_rows(_sources(), ignore_index=False)
    assert list(combined.index) == [0, 1, 7]
    pd.testing.assert_frame_equal(combined, pd.concat(_sources()))


def test_other_columns_or_dtypes_go_through_pandas() -> None:
    city, health = _sources()
    # a column more: pd.concat aligns the columns
    wider = health.assign(sex="L")
    assert list(concat_rows([city, wider]).columns) == ["record_id", "phone", "kk_number", "sex"]
    # one dtype in one frame and another in the next: pd.concat finds the common one
    counts = [pd.DataFrame({"n": [1, 2]}), pd.DataFrame({"n": [0.5]})]
    assert concat_rows(counts)["n"].tolist() == [1.0, 2.0, 0.5]
    # extension dtypes
    text = [pd.DataFrame({"s": pd.array(["a"], dtype="string")})] * 2
    assert concat_rows(text)["s"].dtype == "string"


@pytest.mark.parametrize("columns", [["a", "b"], ["a", "a"]])
def test_numbers_dates_and_repeated_names(columns: list[str]) -> None:
    frames = [
        pd.DataFrame([[1, np.datetime64("2024-01-02")], [2, np.datetime64("NaT")]], columns=columns).astype(
            {columns[0]: "int64"} if columns[0] != columns[1] else {}
        ),
        pd.DataFrame([[3, np.datetime64("2025-05-06")]], columns=columns),
    ]
    pd.testing.assert_frame_equal(concat_rows(frames), pd.concat(frames, ignore_index=True))


def test_one_frame_and_none() -> None:
    city = _sources()[1]
    assert list(concat_rows([city]).index) == [0]
    assert concat_rows([city], ignore_index=False) is city
    assert concat_rows([]).empty


def test_take_rows_is_iloc_then_renumbered() -> None:
    frame = pd.DataFrame(
        {
            "registry_id": ["RT1", None, "RT3", "RT4"],
            "n": np.arange(4, dtype="int64"),
            "when": pd.to_datetime(["2024-01-01", None, "2024-03-01", "2024-04-01"]),
            "s": pd.array(["a", None, "c", "d"], dtype="string"),
        },
        index=[10, 11, 12, 13],
    )
    positions = np.array([3, 1, 1])
    expected = frame.iloc[positions].reset_index(drop=True)
    pd.testing.assert_frame_equal(take_rows(frame, positions), expected)
    pd.testing.assert_frame_equal(take_rows(frame, positions, ["s", "n"]), expected[["s", "n"]])
    assert take_rows(frame, np.zeros(0, dtype=np.int64)).empty
    # repeated column names: as pandas takes them
    twice = pd.DataFrame([[1, 2], [3, 4]], columns=["a", "a"])
    pd.testing.assert_frame_equal(take_rows(twice, [1]), twice.iloc[[1]].reset_index(drop=True))


def test_renumbered_is_reset_index_without_a_copy() -> None:
    frame = pd.DataFrame(
        {"record_id": np.array(["c1", "h1", "k1"], dtype=object), "n": np.arange(3, dtype="int64")},
        index=[7, 3, 9],
    )
    out = renumbered(frame)
    pd.testing.assert_frame_equal(out, frame.reset_index(drop=True))
    for name in frame.columns:
        assert np.shares_memory(out[name].to_numpy(), frame[name].to_numpy())
    assert list(frame.index) == [7, 3, 9]  # the caller's frame keeps its numbers
    # numbered from 0 already: the frame itself
    plain = frame.reset_index(drop=True)
    assert renumbered(plain) is plain
    # numbered from 0 in steps of 2, or from 1: renumbered
    assert list(renumbered(plain.set_axis(pd.RangeIndex(0, 6, 2))).index) == [0, 1, 2]
    assert list(renumbered(plain.set_axis(pd.RangeIndex(1, 4))).index) == [0, 1, 2]
