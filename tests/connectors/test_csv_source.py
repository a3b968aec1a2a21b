from pathlib import Path

import pytest

from connectors import SourceConfig, SourceSchemaError, SourceUnavailableError, read_source

pytestmark = pytest.mark.unit

HEADER = "no_kartu,nik,nama_peserta,tgl_lahir,jenis_kelamin,kelurahan"


def _source(path: Path, delimiter: str = ",", encoding: str = "utf-8") -> SourceConfig:
    return SourceConfig(
        name="bpjs_kesehatan",
        programme="health",
        kind="csv",
        path=path,
        delimiter=delimiter,
        encoding=encoding,
        columns={
            "record_id": "no_kartu",
            "nik": "nik",
            "full_name": "nama_peserta",
            "birth_date": "tgl_lahir",
            "sex": "jenis_kelamin",
            "kelurahan": "kelurahan",
        },
    )


def _write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "bpjs_kesehatan.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_maps_columns_keeps_identifiers_as_text_and_empties_as_missing(tmp_path):
    path = _write(
        tmp_path,
        f"{HEADER}\n0001234567890,3276015708900001,SITI AMINAH ,17-08-1990,P,BEJI\n"
        "0009876543210,,BUDI,01-01-1980,L,\n",
    )
    batch = read_source(_source(path))
    records = batch.records
    assert list(records["record_id"]) == ["0001234567890", "0009876543210"]
    assert records.loc[0, "nik"] == "3276015708900001"
    assert records.loc[0, "full_name"] == "SITI AMINAH"
    assert records.loc[1, "nik"] is None
    assert records.loc[1, "kelurahan"] is None
    assert records.loc[0, "phone"] is None  # not mapped by this source
    assert list(records["source"]) == ["bpjs_kesehatan"] * 2
    assert list(records["source_row"]) == [2, 3]
    assert batch.rows_read == 2 and batch.rejected.empty


def test_utf8_byte_order_mark_is_transparent(tmp_path):
    path = _write(tmp_path, "\ufeff" + f"{HEADER}\n0001234567890,,ASEP,01-01-1980,L,BEJI\n")
    batch = read_source(_source(path))
    assert batch.records.loc[0, "record_id"] == "0001234567890"


def test_declared_latin1_is_decoded_and_undeclared_bad_bytes_name_the_file(tmp_path):
    text = f"{HEADER}\n0001234567890,,JOSÉ RAMOS,01-01-1980,L,BEJI\n"
    path = _write(tmp_path, text, encoding="latin-1")
    assert read_source(_source(path, encoding="latin-1")).records.loc[0, "full_name"] == "JOSÉ RAMOS"
    with pytest.raises(SourceSchemaError, match="bpjs_kesehatan.csv.*not valid utf-8"):
        read_source(_source(path))


def test_missing_column_error_names_file_and_column(tmp_path):
    path = _write(tmp_path, "no_kartu,nama_peserta\n0001234567890,ASEP\n")
    with pytest.raises(SourceSchemaError) as caught:
        read_source(_source(path))
    message = str(caught.value)
    assert "bpjs_kesehatan.csv" in message and "nik" in message and "tgl_lahir" in message


def test_wrong_delimiter_gets_a_hint(tmp_path):
    path = _write(tmp_path, HEADER.replace(",", ";") + "\n0001234567890;;ASEP;01-01-1980;L;BEJI\n")
    with pytest.raises(SourceSchemaError, match="delimiter"):
        read_source(_source(path))


def test_malformed_rows_are_rejected_with_their_line_not_dropped(tmp_path):
    path = _write(
        tmp_path,
        f"{HEADER}\n"
        "0000000000001,,A,01-01-1980,L,BEJI\n"
        "0000000000002,,B,01-01-1980,L,BEJI,EXTRA,FIELDS\n"
        "0000000000003,,C,01-01-1980,L,BEJI\n",
    )
    batch = read_source(_source(path))
    assert list(batch.records["record_id"]) == ["0000000000001", "0000000000003"]
    assert list(batch.records["source_row"]) == [2, 4]
    assert len(batch.rejected) == 1
    rejected = batch.rejected.iloc[0]
    assert rejected["record_id"] == "bpjs_kesehatan.csv@line3"
    assert rejected["source_row"] == 3
    assert "8 fields, expected 6" in rejected["reason"]
    assert batch.rows_read == 3


def test_extra_columns_are_ignored_and_noted(tmp_path):
    path = _write(tmp_path, f"{HEADER},catatan\n0001234567890,,ASEP,01-01-1980,L,BEJI,x\n")
    batch = read_source(_source(path))
    assert "catatan" not in batch.records.columns
    assert any("catatan" in note for note in batch.notes)


def test_missing_file_is_unavailable_and_empty_file_is_a_schema_error(tmp_path):
    with pytest.raises(SourceUnavailableError, match="does not exist"):
        read_source(_source(tmp_path / "bpjs_kesehatan.csv"))
    path = _write(tmp_path, "")
    with pytest.raises(SourceSchemaError, match="empty"):
        read_source(_source(path))


def test_header_only_file_gives_no_records(tmp_path):
    path = _write(tmp_path, f"{HEADER}\n")
    batch = read_source(_source(path))
    assert batch.rows_read == 0 and batch.records.empty


def test_rows_with_too_few_fields_are_rejected_too(tmp_path):
    path = _write(
        tmp_path,
        f"{HEADER}\n0000000000001,,A,01-01-1980,L,BEJI\n0000000000002,,B\n\n0000000000003,,C,01-01-1980,L,BEJI\n",
    )
    batch = read_source(_source(path))
    assert list(batch.records["record_id"]) == ["0000000000001", "0000000000003"]
    assert list(batch.records["source_row"]) == [2, 5]
    assert batch.rejected.iloc[0]["reason"] == "malformed row: row has 3 fields, expected 6"
    assert batch.rejected.iloc[0]["record_id"] == "bpjs_kesehatan.csv@line3"


def test_quoted_fields_may_hold_delimiters_and_newlines(tmp_path):
    path = _write(
        tmp_path,
        f'{HEADER}\n0000000000001,,"SITI, AMINAH",01-01-1980,P,"BEJI\nTIMUR"\n'
        "0000000000002,,B,01-01-1980,L,BEJI\n",
    )
    batch = read_source(_source(path))
    assert batch.records.loc[0, "full_name"] == "SITI, AMINAH"
    assert list(batch.records["source_row"]) == [2, 4]
    assert batch.rejected.empty
