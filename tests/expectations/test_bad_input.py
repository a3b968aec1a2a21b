"""Bad input through the quality gate: what is quarantined (with a reason naming the field), what goes on
with the bad field counted, and that a whole bad file loses nothing between the connector and GX."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from connectors import SourceConfig, read_source
from expectations import validate_source
from expectations.suites import MAX_FIELD_LENGTH

pytestmark = pytest.mark.integration

TODAY = dt.date(2024, 6, 1)


def _failed(result) -> dict[str, int]:
    return {outcome.name: outcome.unexpected_count for outcome in result.outcomes if not outcome.success}


def test_absurdly_long_fields_are_quarantined_with_a_reason_naming_the_field(make_frame) -> None:
    rows: list[dict[str, str | None]] = [
        {"full_name": "A" * 10_000},  # 1
        {"address": "JL. " + "X" * MAX_FIELD_LENGTH},  # 2
        {"full_name": "B" * MAX_FIELD_LENGTH},  # 3 exactly at the limit: goes on
        {"record_id": "1" * 65},  # 4 no usable id: a generated one
        {"kelurahan": "K" * 5_000, "phone": "0" * 2_000},  # 5 two fields
        {},  # 6
    ]
    frame = make_frame("bpjs_kesehatan", rows)
    result = validate_source(frame, "bpjs_kesehatan", today=TODAY)
    quarantined = result.quarantined.set_index("source_row")[["record_id", "reason"]].to_dict("index")
    assert quarantined == {
        1: {"record_id": "0001234567891", "reason": "full_name: too long"},
        2: {"record_id": "0001234567892", "reason": "address: too long"},
        4: {"record_id": "bpjs_kesehatan@row4", "reason": "record_id: too long"},
        5: {"record_id": "0001234567895", "reason": "kelurahan: too long; phone: too long"},
    }
    assert sorted(result.passed["source_row"]) == [3, 6]
    failed = _failed(result)
    assert {name: failed[name] for name in failed if name.endswith("_length")} == {
        "full_name_length": 1,
        "address_length": 1,
        "record_id_length": 1,
        "kelurahan_length": 1,
        "phone_length": 1,
    }
    assert "AAAAAAAAAA" not in json.dumps(result.gx_result)


def test_bad_nik_and_impossible_or_future_birth_dates_go_on_and_are_counted(make_frame) -> None:
    rows: list[dict[str, str | None]] = [
        {"nik": "3276 0145 0785 0001"},  # 1 spaces
        {"nik": "32760I4507850001"},  # 2 a letter
        {"birth_date": "31-02-1990"},  # 3 the right shape, no such day
        {"birth_date": "not a date"},  # 4
        {"birth_date": "01-01-2099"},  # 5 in the future
        {"birth_date": "02-06-2024"},  # 6 the day after "today"
        {"birth_date": "01-06-2024"},  # 7 today: fine
        {"birth_date": "31-12-1899"},  # 8 before 1900
        {"birth_date": None},  # 9 missing: counted once, as missing
        {},  # 10
    ]
    frame = make_frame("bpjs_kesehatan", rows)
    result = validate_source(frame, "bpjs_kesehatan", today=TODAY)
    assert result.quarantined.empty
    assert len(result.passed) == len(rows)
    assert _failed(result) == {
        "nik_format": 2,
        "birth_date_present": 1,
        "birth_date_format": 1,
        "birth_date_real_date": 2,
        "birth_date_not_future": 2,
        "birth_date_not_before_1900": 1,
    }
    by_name = {item["expectation_config"]["meta"]["name"]: item for item in result.gx_result["results"]}
    rows_of = {name: by_name[name]["result"]["unexpected_index_list"] for name in by_name}
    assert rows_of["nik_format"] == [{"source_row": [1, 2]}]
    assert rows_of["birth_date_real_date"] == [{"source_row": [3, 4]}]
    assert rows_of["birth_date_not_future"] == [{"source_row": [5, 6]}]
    assert rows_of["birth_date_not_before_1900"] == [{"source_row": [8]}]
    assert result.outcome("birth_date_real_date").column == "birth_date"
    serialised = json.dumps(result.gx_result, default=str)
    for value in ("3276 0145 0785 0001", "32760I4507850001", "31-02-1990", "not a date", "01-01-2099"):
        assert value not in serialised


@pytest.mark.parametrize(
    ("source", "bad", "good"),
    [
        ("bpjs_ketenagakerjaan", ["1990-02-30", "1990-13-01", "2099-01-01"], ["1990-08-15"]),
        ("penduduk_depok", ["31/04/1990", "31 Februari 1990", "12 Agustus 2099"], ["29/02/2000"]),
    ],
)
def test_calendar_checks_in_the_other_layouts(
    make_frame, source: str, bad: list[str], good: list[str]
) -> None:
    frame = make_frame(source, [{"birth_date": text} for text in [*bad, *good]])
    result = validate_source(frame, source, today=TODAY)
    assert result.quarantined.empty
    failed = _failed(result)
    assert failed["birth_date_real_date"] == 2
    assert failed["birth_date_not_future"] == 1


def test_a_bad_file_loses_nothing_between_connector_and_quality_gate(tmp_path: Path) -> None:
    """Every data line ends up exactly once: as a record that goes on, in GX quarantine, or rejected."""
    header = "no_kartu,nik,nama_peserta,tgl_lahir,jenis_kelamin,kelurahan"
    lines = [
        "0000000000001,3276014507850001,SITI AMINAH,17-08-1985,P,BEJI",  # 2 fine
        "0000000000002,3276 0145 0785 0002,BUDI,31-02-1990,L,BEJI",  # 3 goes on, nik and date counted
        "0000000000003,,ASEP,01-01-2099,L,BEJI,EXTRA",  # 4 rejected: 7 fields
        '0000000000004,,"DEWI,17-08-1985,P,BEJI',  # 5 rejected: unbalanced quote
        "0000000000005,,RINA,not a date,P,BEJI",  # 6 goes on, date counted
        "0000000000001,,DUPLIKAT,17-08-1985,P,BEJI",  # 7 quarantined: duplicate of line 2
        ",,TANPA ID,17-08-1985,L,BEJI",  # 8 quarantined under a generated id
        "0000000000008,,,17-08-1985,L,BEJI",  # 9 quarantined: no name
        f"0000000000009,,{'Z' * 10_000},17-08-1985,L,BEJI",  # 10 quarantined: name too long
        "",  # 11 blank: not a row
        "0000000000010,,EKA,01-01-1980,L,BEJI",  # 12 fine
    ]
    path = tmp_path / "bpjs_kesehatan.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    source = SourceConfig(
        name="bpjs_kesehatan",
        programme="health",
        kind="csv",
        path=path,
        columns={"record_id": "no_kartu", "nik": "nik", "full_name": "nama_peserta",
                 "birth_date": "tgl_lahir", "sex": "jenis_kelamin", "kelurahan": "kelurahan"},
    )  # fmt: skip
    batch = read_source(source)
    result = validate_source(batch.records, "bpjs_kesehatan", today=TODAY)
    where = pd.concat(
        [
            pd.DataFrame({"line": result.passed["source_row"], "fate": "registry"}),
            pd.DataFrame({"line": result.quarantined["source_row"], "fate": result.quarantined["reason"]}),
            pd.DataFrame({"line": batch.rejected["source_row"], "fate": batch.rejected["reason"]}),
        ]
    )
    assert where["line"].is_unique
    assert where.set_index("line")["fate"].sort_index().to_dict() == {
        2: "registry",
        3: "registry",
        4: "malformed row: row has 7 fields, expected 6",
        5: "malformed row: unbalanced quote",
        6: "registry",
        7: "record_id: duplicate of row 2",
        8: "record_id: missing",
        9: "full_name: missing",
        10: "full_name: too long",
        12: "registry",
    }
    ids = dict(zip(result.quarantined["source_row"], result.quarantined["record_id"], strict=True))
    ids |= dict(zip(batch.rejected["source_row"], batch.rejected["record_id"], strict=True))
    assert ids[8] == "bpjs_kesehatan@row8"
    assert ids[4] == "bpjs_kesehatan.csv@line4" and ids[5] == "bpjs_kesehatan.csv@line5"
    failed = _failed(result)
    assert (failed["nik_format"], failed["birth_date_real_date"]) == (1, 2)
    reasons = " ".join([*result.quarantined["reason"], *batch.rejected["reason"]])
    assert not any(name in reasons for name in ("SITI", "DEWI", "ASEP", "ZZZ", "3276"))
