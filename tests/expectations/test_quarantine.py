"""Reading GX results back: crafted result dicts, no GX run."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import expectations
from expectations import ValidationRunError, generated_record_id
from expectations.quarantine import derive_quarantine, read_results

pytestmark = pytest.mark.unit


def _item(
    name: str,
    column: str,
    rows: list[int],
    *,
    severity: str = "critical",
    rule: str = "missing",
    count: int | None = None,
    exception: bool = False,
) -> dict[str, Any]:
    return {
        "success": not rows,
        "expectation_config": {
            "type": "expect_column_values_to_not_be_null",
            "kwargs": {"column": column},
            "meta": {"name": name, "rule": rule},
            "severity": severity,
        },
        "result": {
            "element_count": 5,
            "unexpected_count": len(rows) if count is None else count,
            "unexpected_index_column_names": ["source_row"],
            "unexpected_index_list": [{"source_row": rows}] if rows else [],
        },
        "exception_info": {"raised_exception": exception, "exception_message": None},
    }


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source_row": [11, 12, 13, 14, 15],
            "record_id": ["a", None, "a", "b", "a"],
            "full_name": ["X", "Y", None, "Z", "W"],
        },
        index=[5, 4, 3, 2, 1],
    )


def test_results_come_back_in_suite_order_with_their_rows() -> None:
    result = {
        "results": [
            _item("full_name_present", "full_name", [13]),
            _item("record_id_present", "record_id", [12]),
            _item("nik_format", "nik", [11, 14], severity="warning", rule="format"),
        ]
    }
    checks = read_results(result, order=["record_id_present", "full_name_present", "nik_format"])
    assert [c.name for c in checks] == ["record_id_present", "full_name_present", "nik_format"]
    assert [c.critical for c in checks] == [True, True, False]
    assert checks[2].unexpected_rows.tolist() == [11, 14]
    outcome = checks[2].outcome()
    assert (outcome.name, outcome.column, outcome.unexpected_count, outcome.element_count) == (
        "nik_format",
        "nik",
        2,
        5,
    )


def test_reasons_join_in_check_order_and_duplicates_keep_the_first_row() -> None:
    result = {
        "results": [
            _item("record_id_present", "record_id", [12]),
            _item("record_id_unique", "record_id", [11, 13, 15], rule="duplicate"),
            _item("full_name_present", "full_name", [13]),
            _item("nik_format", "nik", [14], severity="warning", rule="format"),
        ]
    }
    mask, quarantine = derive_quarantine(_frame(), "bpjs_kesehatan", read_results(result))
    assert mask.tolist() == [False, True, True, False, True]
    assert quarantine.to_dict("index") == {
        4: {"source": "bpjs_kesehatan", "record_id": "bpjs_kesehatan@row12", "source_row": 12,
            "reason": "record_id: missing"},
        3: {"source": "bpjs_kesehatan", "record_id": "a", "source_row": 13,
            "reason": "record_id: duplicate of row 11; full_name: missing"},
        1: {"source": "bpjs_kesehatan", "record_id": "a", "source_row": 15,
            "reason": "record_id: duplicate of row 11"},
    }  # fmt: skip


def test_warnings_alone_quarantine_nothing() -> None:
    result = {"results": [_item("nik_format", "nik", [11, 12], severity="warning", rule="format")]}
    mask, quarantine = derive_quarantine(_frame(), "penduduk_depok", read_results(result))
    assert not mask.any()
    assert quarantine.empty
    assert list(quarantine.columns) == list(expectations.QUARANTINE_COLUMNS)


def test_an_expectation_gx_could_not_evaluate_is_an_error() -> None:
    result = {
        "results": [
            _item("record_id_present", "record_id", [], exception=True),
            _item("full_name_present", "full_name", [], exception=True),
        ]
    }
    with pytest.raises(ValidationRunError, match="2 expectation") as caught:
        read_results(result)
    assert caught.value.expectations == ("record_id_present", "full_name_present")


def test_nested_exception_info_is_seen() -> None:
    item = _item("record_id_unique", "record_id", [])
    item["exception_info"] = {"metric-1": {"raised_exception": False}, "metric-2": {"raised_exception": True}}
    with pytest.raises(ValidationRunError, match="record_id_unique"):
        read_results({"results": [item]})


def test_a_truncated_row_list_is_an_error() -> None:
    """If GX capped the list (another result format), quarantining only some rows would drop data."""
    result = {"results": [_item("record_id_present", "record_id", [12], count=250)]}
    with pytest.raises(ValidationRunError, match="listed 1 unexpected rows for 250"):
        read_results(result)


def test_rows_not_in_the_frame_are_an_error() -> None:
    result = {"results": [_item("record_id_present", "record_id", [99])]}
    with pytest.raises(ValidationRunError, match="not in the frame"):
        derive_quarantine(_frame(), "bpjs_kesehatan", read_results(result))


def test_generated_record_id() -> None:
    assert generated_record_id("bpjs_ketenagakerjaan", np.int64(17)) == "bpjs_ketenagakerjaan@row17"


def test_public_api() -> None:
    assert sorted(expectations.__all__) == sorted(
        [
            "QUARANTINE_COLUMNS",
            "DataQualityError",
            "ExpectationOutcome",
            "FrameContractError",
            "SourceValidation",
            "UnknownSourceError",
            "ValidationRunError",
            "generated_record_id",
            "suite_for",
            "validate_source",
        ]
    )
    for name in expectations.__all__:
        assert getattr(expectations, name) is not None


def test_a_too_long_record_id_is_no_usable_id_and_not_a_duplicate() -> None:
    frame = _frame().assign(record_id=["a", "x" * 65, "a", "x" * 65, "b"])
    result = {
        "results": [
            _item("record_id_unique", "record_id", [11, 12, 13, 14], rule="duplicate"),
            _item("record_id_length", "record_id", [12, 14], rule="too long"),
            _item("full_name_length", "full_name", [15], rule="too long"),
        ]
    }
    _, quarantine = derive_quarantine(frame, "bpjs_kesehatan", read_results(result))
    assert quarantine.set_index("source_row")[["record_id", "reason"]].to_dict("index") == {
        12: {"record_id": "bpjs_kesehatan@row12", "reason": "record_id: too long"},
        13: {"record_id": "a", "reason": "record_id: duplicate of row 11"},
        14: {"record_id": "bpjs_kesehatan@row14", "reason": "record_id: too long"},
        15: {"record_id": "b", "reason": "full_name: too long"},
    }


def test_checks_on_helper_columns_report_the_column_they_describe() -> None:
    item = _item("birth_date_real_date", "birth_date_is_real_date", [11], severity="warning")
    item["expectation_config"]["meta"]["column"] = "birth_date"
    (check,) = read_results({"results": [item]})
    assert check.outcome().column == "birth_date"
