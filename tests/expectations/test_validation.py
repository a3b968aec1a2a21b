"""validate_source end to end through GX: quarantine, outcomes, privacy, Data Docs, no stray files."""

from __future__ import annotations

import json
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.errors import RegistryError
from connectors.schema import empty_canonical_frame
from expectations import (
    QUARANTINE_COLUMNS,
    FrameContractError,
    SourceValidation,
    UnknownSourceError,
    validate_source,
)
from expectations.suites import SOURCE_FIELDS

pytestmark = pytest.mark.integration

#: Columns whose values are personal data: none of them may leak into results, docs or logs.
PERSONAL_COLUMNS = ("nik", "kk_number", "full_name", "birth_date", "phone", "address")


def personal_values(frame: pd.DataFrame) -> set[str]:
    """Every non-trivial personal value of the frame (short codes like "L" would match anything)."""
    values = pd.unique(frame.loc[:, list(PERSONAL_COLUMNS)].to_numpy().ravel())
    return {str(value) for value in values if isinstance(value, str) and len(value.strip()) >= 5}


def assert_no_personal_values(text: str, values: set[str], where: str = "output") -> None:
    leaked = sorted(value for value in values if value in text)
    assert not leaked, f"{len(leaked)} personal values found in {where}"


def assert_partition(frame: pd.DataFrame, result: SourceValidation) -> None:
    """Every input row is in exactly one of passed / quarantined, and passed rows are unchanged."""
    assert len(result.passed) + len(result.quarantined) == len(frame)
    passed_rows = set(result.passed["source_row"])
    quarantined_rows = set(result.quarantined["source_row"])
    assert not passed_rows & quarantined_rows
    assert passed_rows | quarantined_rows == set(frame["source_row"])
    assert set(result.passed.index) | set(result.quarantined.index) == set(frame.index)
    assert list(result.passed.columns) == list(frame.columns)
    pd.testing.assert_frame_equal(result.passed, frame.loc[result.passed.index])
    by_row = frame.set_index("source_row")
    assert list(by_row.loc[result.quarantined["source_row"], "source"]) == list(result.quarantined["source"])


ID_A = "0009990000001"  # a JKN card number used twice below
REASON = re.compile(r"^(?:(?:record_id|full_name): (?:missing|empty|duplicate of row \d+))(?:; .+)?$")

# source_row: overrides of the valid JKN template (conftest.VALID_ROWS)
KESEHATAN_ROWS: list[dict[str, str | None]] = [
    {"record_id": ID_A},  # 1  valid, first holder of ID_A
    {"record_id": None},  # 2  quarantined: record_id missing
    {"record_id": ID_A},  # 3  quarantined: duplicate of row 1
    {"full_name": "   "},  # 4  quarantined: full_name empty
    {"full_name": None},  # 5  quarantined: full_name missing
    {"nik": "32760145078500"},  # 6  passes; nik_format
    {"birth_date": "1985-08-17"},  # 7  passes; birth_date_format
    {"sex": "X"},  # 8  passes; sex_in_set
    {"record_id": "", "full_name": None},  # 9  quarantined: record_id empty; full_name missing
    {"nik": "1111111111111111"},  # 10 passes; nik_not_placeholder
    {"phone": "12345"},  # 11 passes; phone_format
    {"birth_date": None},  # 12 passes; birth_date_present
    {"record_id": ID_A, "full_name": None},  # 13 quarantined: duplicate of row 1; full_name missing
    {"membership_status": "NONAKTIF"},  # 14 passes; membership_status_in_set
    {"jkn_segment": "PU"},  # 15 passes; jkn_segment_in_set
    {"updated_at": "2024-05-01"},  # 16 passes; updated_at_format
    {"record_id": "123"},  # 17 passes; record_id_format
]
KESEHATAN_INDEX = [1000 + 7 * n for n in range(len(KESEHATAN_ROWS))]


@pytest.fixture(scope="module")
def kesehatan(make_frame) -> tuple[pd.DataFrame, SourceValidation]:
    frame = make_frame("bpjs_kesehatan", KESEHATAN_ROWS, index=KESEHATAN_INDEX)
    return frame, validate_source(frame, source="bpjs_kesehatan")


def test_critical_failures_are_quarantined_with_reasons(kesehatan) -> None:
    _, result = kesehatan
    quarantined = result.quarantined.set_index("source_row")
    assert quarantined["reason"].to_dict() == {
        2: "record_id: missing",
        3: "record_id: duplicate of row 1",
        4: "full_name: empty",
        5: "full_name: missing",
        9: "record_id: empty; full_name: missing",
        13: "record_id: duplicate of row 1; full_name: missing",
    }
    assert list(result.quarantined.columns) == list(QUARANTINE_COLUMNS)
    assert (result.quarantined["source"] == "bpjs_kesehatan").all()


def test_rows_without_usable_id_get_a_generated_id(kesehatan) -> None:
    _, result = kesehatan
    ids = result.quarantined.set_index("source_row")["record_id"].to_dict()
    assert ids[2] == "bpjs_kesehatan@row2"
    assert ids[9] == "bpjs_kesehatan@row9"
    assert ids[3] == ID_A and ids[13] == ID_A  # a duplicate keeps the id the agency sent
    assert ids[4] == "0001234567894"  # a row with an id keeps it


def test_passed_and_quarantined_partition_the_frame(kesehatan) -> None:
    frame, result = kesehatan
    assert_partition(frame, result)
    assert sorted(result.passed["source_row"]) == [1, 6, 7, 8, 10, 11, 12, 14, 15, 16, 17]
    # the quarantine rows carry the index of the input rows they stand for
    assert list(result.quarantined.index) == [KESEHATAN_INDEX[n - 1] for n in (2, 3, 4, 5, 9, 13)]


def test_outcomes_count_every_failure(kesehatan) -> None:
    _, result = kesehatan
    counts = {outcome.name: outcome.unexpected_count for outcome in result.outcomes if not outcome.success}
    assert counts == {
        "record_id_present": 1,
        "record_id_not_blank": 1,
        "record_id_unique": 3,  # GX flags all three rows holding ID_A
        "full_name_present": 3,
        "full_name_not_blank": 1,
        "record_id_format": 2,  # "" and "123"
        "nik_format": 1,
        "nik_not_placeholder": 1,
        "birth_date_present": 1,
        "birth_date_format": 1,
        "sex_in_set": 1,
        "phone_format": 1,
        "jkn_segment_in_set": 1,
        "membership_status_in_set": 1,
        "updated_at_format": 1,
    }
    lengths = {f"{field}_length" for field in SOURCE_FIELDS["bpjs_kesehatan"]}
    calendar = {"birth_date_real_date", "birth_date_not_future", "birth_date_not_before_1900"}
    # no row here is too long or names no real day: those checks pass (bad input tests them)
    assert {o.name for o in result.outcomes if o.success} == lengths | calendar
    assert all(o.unexpected_count == 0 for o in result.outcomes if o.success)
    assert [o.name for o in result.outcomes][:6] == [
        "record_id_present",
        "record_id_not_blank",
        "record_id_unique",
        "record_id_length",
        "full_name_present",
        "full_name_not_blank",
    ]
    assert all(o.element_count == len(KESEHATAN_ROWS) for o in result.outcomes)
    assert {o.name for o in result.outcomes if o.critical} == {
        "record_id_present",
        "record_id_not_blank",
        "record_id_unique",
        "full_name_present",
        "full_name_not_blank",
        *lengths,
    }
    assert result.outcome("nik_format").column == "nik"
    assert result.success is False


def test_gx_result_lists_flagged_rows_by_source_row(kesehatan) -> None:
    _, result = kesehatan
    by_name = {item["expectation_config"]["meta"]["name"]: item for item in result.gx_result["results"]}
    assert by_name["record_id_unique"]["result"]["unexpected_index_list"] == [{"source_row": [1, 3, 13]}]
    assert by_name["nik_format"]["result"]["unexpected_index_list"] == [{"source_row": [6]}]
    assert by_name["record_id_unique"]["expectation_config"]["severity"] == "critical"
    assert by_name["nik_format"]["expectation_config"]["severity"] == "warning"


def test_results_carry_no_personal_values(kesehatan) -> None:
    frame, result = kesehatan
    values = personal_values(frame)
    assert "3276014507850001" in values and "BUDI SANTOSO" in values  # the check checks something
    serialised = json.dumps(result.gx_result)
    assert_no_personal_values(serialised, values)
    assert_no_personal_values(repr(result.outcomes), values)
    assert_no_personal_values(json.dumps([o.to_dict() for o in result.outcomes]), values)
    assert_no_personal_values(" ".join(result.quarantined["reason"]), values)
    for item in result.gx_result["results"]:
        assert not {"partial_unexpected_list", "unexpected_list", "partial_unexpected_counts"} & set(
            item["result"]
        )
    assert all(REASON.match(reason) for reason in result.quarantined["reason"])


def test_gx_does_not_fingerprint_the_frame(kesehatan) -> None:
    # GX would hash every value of the frame for this batch marker (expectations.runner)
    markers = kesehatan[1].gx_result["meta"]["batch_markers"]
    assert "ge_load_time" in markers
    assert "pandas_data_fingerprint" not in markers


def test_ketenagakerjaan_rules(make_frame) -> None:
    rows: list[dict[str, str | None]] = [
        {"record_id": "22200000001"},  # 1
        {"sex": "L"},  # 2 JKN's code is not TK's
        {"birth_date": "15-08-1990"},  # 3
        {"birth_date": None, "nik": None},  # 4 missing NIK is not a format failure
        {"phone": "6281234567890"},  # 5
        {"phone": "081234567890"},  # 6
        {"worker_category": "XYZ"},  # 7
        {"record_id": "  "},  # 8 blank id (robust to unstripped input)
        {"membership_start": "01-03-2021"},  # 9
        {"record_id": "22200000001"},  # 10 duplicate of row 1
        {"record_id": "1234567890"},  # 11 ten digits
    ]
    frame = make_frame("bpjs_ketenagakerjaan", rows)
    result = validate_source(frame, "bpjs_ketenagakerjaan")
    assert_partition(frame, result)
    assert result.quarantined.set_index("source_row")[["record_id", "reason"]].to_dict("index") == {
        8: {"record_id": "bpjs_ketenagakerjaan@row8", "reason": "record_id: empty"},
        10: {"record_id": "22200000001", "reason": "record_id: duplicate of row 1"},
    }
    failed = {o.name: o.unexpected_count for o in result.outcomes if not o.success}
    assert failed == {
        "record_id_not_blank": 1,
        "record_id_unique": 2,
        "record_id_format": 2,
        "sex_in_set": 1,
        "birth_date_present": 1,
        "birth_date_format": 1,
        "worker_category_in_set": 1,
        "membership_start_format": 1,
    }


def test_penduduk_depok_rules(make_frame) -> None:
    rows: list[dict[str, str | None]] = [
        {},  # 1 long-form date
        {"birth_date": "12/08/1975"},  # 2
        {"birth_date": "1975-08-12"},  # 3
        {"sex": "L"},  # 4
        {"kk_number": "3276"},  # 5
        {"full_name": ""},  # 6 empty (robust to unconverted empty cells)
        {"record_id": "A7"},  # 7
        {"rt": "3", "rw": "05"},  # 8
        {"nik": "1111111111111111"},  # 9
    ]
    frame = make_frame("penduduk_depok", rows)
    result = validate_source(frame, "penduduk_depok")
    assert_partition(frame, result)
    assert result.quarantined[["source_row", "record_id", "reason"]].to_dict("records") == [
        {"source_row": 6, "record_id": "1007", "reason": "full_name: empty"}
    ]
    failed = {o.name: o.unexpected_count for o in result.outcomes if not o.success}
    assert failed == {
        "full_name_not_blank": 1,
        "birth_date_format": 1,
        "sex_in_set": 1,
        "kk_number_format": 1,
        "record_id_format": 1,
        "rt_format": 1,
        "rw_format": 1,
        "nik_not_placeholder": 1,
    }


def test_duplicates_keep_the_row_first_in_the_source_whatever_the_frame_order(make_frame) -> None:
    rows = [{"record_id": "1"}, {"record_id": "2"}, {"record_id": "1"}, {"record_id": "1"}]
    frame = make_frame("penduduk_depok", rows).iloc[::-1]
    result = validate_source(frame, "penduduk_depok")
    assert_partition(frame, result)
    assert result.quarantined.set_index("source_row")["reason"].sort_index().to_dict() == {
        3: "record_id: duplicate of row 1",
        4: "record_id: duplicate of row 1",
    }


def test_clean_frame_passes_whole(make_frame) -> None:
    frame = make_frame("bpjs_ketenagakerjaan", [{}, {}, {}])
    result = validate_source(frame, "bpjs_ketenagakerjaan")
    assert result.success
    assert result.quarantined.empty and list(result.quarantined.columns) == list(QUARANTINE_COLUMNS)
    pd.testing.assert_frame_equal(result.passed, frame)


def test_empty_frame() -> None:
    frame = empty_canonical_frame()
    result = validate_source(frame, "bpjs_kesehatan")
    assert result.passed.empty and result.quarantined.empty
    assert all(o.success and o.element_count == 0 for o in result.outcomes)


def test_data_docs_are_built_without_personal_values_or_stray_files(
    make_frame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], caplog
) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    docs = tmp_path / "docs" / "bpjs_kesehatan"
    frame = make_frame("bpjs_kesehatan", KESEHATAN_ROWS)
    with caplog.at_level(logging.INFO, logger="expectations"):
        result = validate_source(frame, "bpjs_kesehatan", data_docs_dir=docs)

    assert result.data_docs_index == docs / "index.html"
    assert result.data_docs_index.is_file()
    html_pages = list(docs.rglob("*.html"))
    assert len(html_pages) >= 3  # index, suite, validation result
    values = personal_values(frame)
    for path in docs.rglob("*"):
        if path.is_file():
            assert_no_personal_values(
                path.read_bytes().decode("utf-8", errors="ignore"), values, where=path.name
            )
    assert os.listdir(cwd) == []  # no gx/ folder, no uncommitted/ ...
    captured = capfd.readouterr()
    assert_no_personal_values(captured.out + captured.err, values)
    assert_no_personal_values(caplog.text, values)
    assert "17 rows, 11 passed, 6 quarantined" in caplog.text


def test_no_files_without_data_docs(make_frame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    validate_source(make_frame("penduduk_depok", [{}, {"full_name": None}]), "penduduk_depok")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda f: f.drop(columns=["nik", "sex"]), "missing columns nik, sex"),
        (lambda f: f.assign(source_row=[1, 1, 2]), "source_row repeats values"),
        (lambda f: f.assign(source_row=[1.0, 2.0, 3.0]), "source_row must be integers"),
        (lambda f: f.assign(source="bpjs_ketenagakerjaan"), "3 rows carry another source name"),
    ],
)
def test_frames_breaking_the_contract_are_refused(make_frame, mutate, message: str) -> None:
    frame = mutate(make_frame("bpjs_kesehatan", [{}, {}, {}]))
    with pytest.raises(FrameContractError, match=message) as caught:
        validate_source(frame, "bpjs_kesehatan")
    assert isinstance(caught.value, RegistryError)
    assert caught.value.source == "bpjs_kesehatan"


def test_concurrent_calls_do_not_mix_their_gx_contexts(make_frame) -> None:
    """Concurrent calls (each swaps GX's process-wide current context) give each its own result."""
    frames = {
        "bpjs_kesehatan": make_frame("bpjs_kesehatan", KESEHATAN_ROWS),
        "bpjs_ketenagakerjaan": make_frame("bpjs_ketenagakerjaan", [{}, {"full_name": None}]),
        "penduduk_depok": make_frame("penduduk_depok", [{"record_id": None}, {}, {}]),
    }
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {source: pool.submit(validate_source, frame, source) for source, frame in frames.items()}
        results = {source: future.result() for source, future in futures.items()}
    assert [len(results[source].quarantined) for source in frames] == [6, 1, 1]
    for source, result in results.items():
        assert result.gx_result["suite_name"] == source
        assert_partition(frames[source], result)


def test_unknown_source_is_refused(make_frame) -> None:
    with pytest.raises(UnknownSourceError):
        validate_source(make_frame("bpjs_kesehatan", [{}]), "bpjs_kesehatan_2")


_IDS = st.sampled_from([None, "", " ", "11", "12", "13"])
_NAMES = st.sampled_from([None, "", "  ", "SITI", "BUDI"])


@settings(
    max_examples=12, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.tuples(_IDS, _NAMES), min_size=1, max_size=8))
def test_quarantine_matches_an_independent_oracle(
    make_frame, rows: list[tuple[str | None, str | None]]
) -> None:
    frame = make_frame("penduduk_depok", [{"record_id": rid, "full_name": name} for rid, name in rows])
    result = validate_source(frame, "penduduk_depok")
    assert_partition(frame, result)

    expected: dict[int, str] = {}
    first_row: dict[str, int] = {}
    for row, (rid, name) in enumerate(rows, start=1):
        reasons = []
        if rid is None:
            reasons.append("record_id: missing")
        elif not rid.strip():
            reasons.append("record_id: empty")
        elif rid in first_row:
            reasons.append(f"record_id: duplicate of row {first_row[rid]}")
        else:
            first_row[rid] = row
        if name is None:
            reasons.append("full_name: missing")
        elif not name.strip():
            reasons.append("full_name: empty")
        if reasons:
            expected[row] = "; ".join(reasons)
    assert result.quarantined.set_index("source_row")["reason"].to_dict() == expected
    generated = result.quarantined["record_id"].str.startswith("penduduk_depok@row")
    assert set(result.quarantined.loc[generated, "source_row"]) == {
        row for row, (rid, _) in enumerate(rows, start=1) if rid is None or not rid.strip()
    }
