import codecs
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


def test_declared_utf16_excel_unicode_text_export_is_read_with_its_tab_delimiter(tmp_path):
    """Excel's "Unicode text": UTF-16 LE with a byte-order mark, tab-separated, CRLF line ends."""
    text = HEADER.replace(",", "\t") + "\r\n0001234567890\t\tJOSÉ ÑOÑO\t01-01-1980\tL\tBEJI\r\n"
    path = tmp_path / "bpjs_kesehatan.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    for declared in ("utf-16", "UTF-16LE"):
        batch = read_source(_source(path, delimiter="\t", encoding=declared))
        assert batch.records.loc[0, "record_id"] == "0001234567890"  # no BOM glued to the first column
        assert batch.records.loc[0, "full_name"] == "JOSÉ ÑOÑO"
        assert list(batch.records["source_row"]) == [2]
    with pytest.raises(SourceSchemaError) as caught:
        read_source(_source(path, delimiter="\t"))
    assert "bpjs_kesehatan.csv" in str(caught.value) and "UTF-16 byte-order mark" in str(caught.value)


def test_declared_cp1252_is_decoded_and_undeclared_names_the_file_and_line(tmp_path):
    text = (
        f"{HEADER}\n0001234567890,,ASEP,01-01-1980,L,BEJI\n0001234567891,,D’ARTAGNAN RENÉ,01-01-1980,L,BEJI\n"
    )
    path = _write(tmp_path, text, encoding="cp1252")
    batch = read_source(_source(path, encoding="windows-1252"))
    assert batch.records.loc[1, "full_name"] == "D’ARTAGNAN RENÉ"
    with pytest.raises(SourceSchemaError) as caught:
        read_source(_source(path))
    message = str(caught.value)
    assert "bpjs_kesehatan.csv" in message and "not valid utf-8 (line 3," in message
    assert "ARTAGNAN" not in message and "\n" not in message


def test_unbalanced_quote_rejects_its_line_and_the_rows_it_would_swallow_are_read(tmp_path):
    path = _write(
        tmp_path,
        f"{HEADER}\n"
        "0000000000001,,A,01-01-1980,L,BEJI\n"
        '0000000000002,,"B,01-01-1980,L,BEJI\n'  # the quote never closes
        "0000000000003,,C,01-01-1980,L,BEJI\n"
        '0000000000004,,"D, E",01-01-1980,L,BEJI\n'  # a good quoted field further on
        "0000000000005,,F,01-01-1980,L,BEJI\n",
    )
    batch = read_source(_source(path))
    assert list(batch.records["record_id"]) == [
        "0000000000001",
        "0000000000003",
        "0000000000004",
        "0000000000005",
    ]
    assert list(batch.records["source_row"]) == [2, 4, 5, 6]
    assert batch.records.loc[2, "full_name"] == "D, E"
    assert batch.rejected[["record_id", "source_row", "reason"]].to_dict("records") == [
        {
            "record_id": "bpjs_kesehatan.csv@line3",
            "source_row": 3,
            "reason": "malformed row: unbalanced quote",
        }
    ]
    assert batch.rows_read == 5


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_unbalanced_quote_on_the_last_line_or_before_it(tmp_path, newline):
    rows = ['0000000000001,,"A,01-01-1980,L,BEJI', "0000000000002,,B,01-01-1980,L,BEJI", '0000000000003,,"C']
    path = tmp_path / "bpjs_kesehatan.csv"
    path.write_bytes(newline.join([HEADER, *rows]).encode())
    batch = read_source(_source(path))
    assert list(batch.records["source_row"]) == [3]
    assert list(batch.rejected["source_row"]) == [2, 4]
    assert set(batch.rejected["reason"]) == {"malformed row: unbalanced quote"}


def test_a_clean_multi_line_record_of_the_wrong_width_is_rejected_whole(tmp_path):
    path = _write(
        tmp_path,
        f'{HEADER}\n0000000000001,,"SITI\nAMINAH",01-01-1980,P,BEJI,EXTRA\n0000000000002,,B,01-01-1980,L,BEJI\n',
    )
    batch = read_source(_source(path))
    assert list(batch.records["record_id"]) == ["0000000000002"]
    assert list(batch.records["source_row"]) == [4]
    assert batch.rejected[["source_row", "reason"]].to_dict("records") == [
        {"source_row": 2, "reason": "malformed row: row has 7 fields, expected 6"}
    ]


def test_text_after_a_closing_quote_is_rejected_and_a_quote_inside_a_field_is_text(tmp_path):
    path = _write(
        tmp_path,
        f'{HEADER}\n0000000000001,,"SITI" AMINAH,01-01-1980,P,BEJI\n'
        '0000000000002,,JL. "MAWAR",01-01-1980,L,\n',
    )
    batch = read_source(_source(path))
    assert batch.rejected[["record_id", "reason"]].to_dict("records") == [
        {"record_id": "bpjs_kesehatan.csv@line2", "reason": "malformed row: misplaced quote"}
    ]
    assert batch.records.loc[0, "full_name"] == 'JL. "MAWAR"'


def test_nul_characters_reject_their_row(tmp_path):
    path = _write(
        tmp_path, f"{HEADER}\n0000000000001,,SI\x00TI,01-01-1980,P,BEJI\n0000000000002,,B,01-01-1980,L,\n"
    )
    batch = read_source(_source(path))
    assert list(batch.records["source_row"]) == [3]
    assert batch.rejected.iloc[0]["reason"] == "malformed row: NUL character"


def test_lines_of_spaces_are_blank_and_rows_of_empty_fields_are_kept(tmp_path):
    path = _write(tmp_path, f"{HEADER}\n   \n,,,,,\n0000000000001,,A,01-01-1980,L,BEJI\n")
    batch = read_source(_source(path))
    assert list(batch.records["source_row"]) == [3, 4]
    assert batch.records.loc[0, "record_id"] is None  # the quality gate quarantines it under a generated id
    assert batch.rejected.empty


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty (no header row)"),
        ("\n\n  \n", "is empty (no header row)"),
        ("\ufeff", "is empty (no header row)"),
        ('no_kartu,"nik\n1,2\n', "line 1: header row cannot be parsed"),
        (f"{HEADER},nik\n1,2,3,4,5,6,7\n", "repeats column(s) nik in its header"),
        ("no_kartu;nik;nama_peserta;tgl_lahir;jenis_kelamin;kelurahan\n", "is the delimiter ',' right?"),
        ("no_kartu,nik\n1,2\n", "is missing required column(s) nama_peserta, tgl_lahir, jenis_kelamin"),
    ],
    ids=["empty", "blank", "bom-only", "header-quote", "repeated-column", "delimiter", "missing-columns"],
)
def test_errors_about_the_file_are_one_line_naming_the_source_and_file(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(SourceSchemaError) as caught:
        read_source(_source(path))
    assert message in str(caught.value)
    assert str(caught.value).startswith("source 'bpjs_kesehatan': file ")
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_folder_in_place_of_the_file_is_unavailable(tmp_path):
    folder = tmp_path / "bpjs_kesehatan.csv"
    folder.mkdir()
    with pytest.raises(SourceUnavailableError, match="bpjs_kesehatan.csv cannot be read"):
        read_source(_source(folder))
