"""The fast CSV path (plain lines in bulk through pyarrow) gives exactly what the strict reader gives.

``read_csv_source(source)`` and ``read_csv_source(source, fast=False)`` (every line through Python's strict
csv reader, as before the fast path) must hand back identical batches: the same records frame (values,
dtypes, ``source_row``), the same rejected rows (``<file>@line<N>`` and reason, in line order), the same
notes, and the same error for a file that cannot be read.
"""

from __future__ import annotations

import codecs
import csv
import io
import random
from pathlib import Path

import pandas as pd
import pytest

from connectors import SourceConfig, SourceSchemaError, csv_source, load_sources_config, read_source
from connectors.csv_source import read_csv_source

pytestmark = pytest.mark.unit

HEADER = "no_kartu,nik,nama_peserta,tgl_lahir,jenis_kelamin,kelurahan"
ROW = "00000000000{n:02d},3276015708900001,SITI AMINAH,17-08-1990,P,BEJI"


def _source(path: Path, delimiter: str = ",", encoding: str = "utf-8", **columns: str) -> SourceConfig:
    return SourceConfig(
        name="bpjs_kesehatan",
        programme="health",
        kind="csv",
        path=path,
        delimiter=delimiter,
        encoding=encoding,
        columns=columns
        or {
            "record_id": "no_kartu",
            "nik": "nik",
            "full_name": "nama_peserta",
            "birth_date": "tgl_lahir",
            "sex": "jenis_kelamin",
            "kelurahan": "kelurahan",
        },
    )


def _plain_rows(count: int, delimiter: str = ",") -> list[str]:
    return [ROW.format(n=n).replace(",", delimiter) for n in range(count)]


# Files the strict reader has opinions about, each among plain rows so that the fast path hands over to
# the strict reader and back (before, between and after the tricky lines).
TRICKY = {
    "quoted-delimiter": '0000000000101,,"SITI, AMINAH",01-01-1980,P,BEJI',
    "multi-line-record": '0000000000102,,"SITI\nAMINAH",01-01-1980,P,"BEJI\r\nTIMUR"',
    "multi-line-wrong-width": '0000000000103,,"SITI\nAMINAH",01-01-1980,P,BEJI,EXTRA',
    "unbalanced-quote": '0000000000104,,"B,01-01-1980,L,BEJI',
    "misplaced-quote": '0000000000105,,"SITI" AMINAH,01-01-1980,P,BEJI',
    "quote-inside-field": '0000000000106,,JL. "MAWAR",01-01-1980,L,',
    "doubled-quotes": '0000000000107,,"SITI ""ICA"" AMINAH",01-01-1980,P,BEJI',
    "nul": "0000000000108,,SI\x00TI,01-01-1980,P,BEJI",
    "nul-wrong-width": "0000000000109,,SI\x00TI,01-01-1980,P",
    "too-many-fields": "0000000000110,,A,01-01-1980,L,BEJI,EXTRA,FIELDS",
    "too-few-fields": "0000000000111,,B",
    "one-field": "0000000000112",
    "blank": "",
    "spaces": "   \t ",
    "unicode-spaces": "\u3000\u00a0",
    "only-delimiters": ",,,,,",
    "empty-fields-padded": " , , , , , ",
    "lone-cr": "0000000000113,,A,01-01-1980,L,BEJI\r0000000000114,,B,01-01-1980,L,BEJI",
    "bom-in-a-row": "\ufeff0000000000115,,C,01-01-1980,L,BEJI",
    "non-latin": "0000000000116,,李小龍 محمد,01-01-1980,L,ДЕПОК",
    "leading-space-quote": '0000000000117,, "SITI",01-01-1980,P,BEJI',
    "field-too-long": "0000000000118,," + "X" * 140_000 + ",01-01-1980,L,BEJI",
    "line-too-long": ",".join(["0000000000119", "", "N" * 70_000, "D" * 70_000, "L", "BEJI"]),
    "cr-in-quotes": '0000000000120,,"A\rB",01-01-1980,L,BEJI',
    "quote-at-end": '0000000000121,,A,01-01-1980,L,"BEJI',
    "closing-quote-then-end": '0000000000122,,A,01-01-1980,L,"BEJI"',
}


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
@pytest.mark.parametrize("case", sorted(TRICKY))
def test_tricky_lines_among_plain_rows(tmp_path, case, newline, assert_same_as_strict):
    lines = [HEADER, *_plain_rows(3), TRICKY[case], *_plain_rows(3), TRICKY[case], *_plain_rows(2)]
    for ending in ("", newline):  # with and without a line end after the last row
        path = tmp_path / "bpjs_kesehatan.csv"
        path.write_bytes((newline.join(lines) + ending).encode())
        assert_same_as_strict(_source(path))
        path.write_bytes((newline.join([HEADER, TRICKY[case]]) + ending).encode())  # alone after the header
        assert_same_as_strict(_source(path))
        path.write_bytes((newline.join([HEADER, *_plain_rows(2), TRICKY[case]]) + ending).encode())  # last
        assert_same_as_strict(_source(path))


def test_all_tricky_lines_in_one_file_in_every_order(tmp_path, assert_same_as_strict):
    rng = random.Random(7)
    tricky = [TRICKY[case] for case in sorted(TRICKY)]
    for _ in range(20):
        rng.shuffle(tricky)
        body = [line for trick in tricky for line in (trick, *_plain_rows(rng.randint(0, 2)))]
        newline = rng.choice(["\n", "\r\n", "\r"])
        path = tmp_path / "bpjs_kesehatan.csv"
        path.write_bytes(newline.join([HEADER, *body]).encode())
        assert_same_as_strict(_source(path))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n  \n",
        "\ufeff",
        'no_kartu,"nik\n1,2\n',
        f"{HEADER},nik\n1,2,3,4,5,6,7\n",
        "no_kartu;nik;nama_peserta;tgl_lahir;jenis_kelamin;kelurahan\n",
        "no_kartu,nik\n1,2\n",
        f"\n\n   \n{HEADER}\n{ROW.format(n=1)}\n",
        f'"no_kartu","nik",nama_peserta,"tgl_lahir",jenis_kelamin,kelurahan\n{ROW.format(n=1)}\n',
        f"{HEADER},catatan,,catatan\n{ROW.format(n=1)},x,y,z\n{ROW.format(n=2)}\n",
        f"\ufeff{HEADER}\r\n{ROW.format(n=1)}\r\n",
    ],
    ids=[
        "empty",
        "blank",
        "bom-only",
        "header-quote",
        "repeated-column",
        "delimiter",
        "missing-columns",
        "blank-lines-before-header",
        "quoted-header",
        "extra-columns",
        "bom-crlf",
    ],
)
def test_header_problems_and_header_shapes(tmp_path, text, assert_same_as_strict):
    path = tmp_path / "bpjs_kesehatan.csv"
    path.write_bytes(text.encode())
    assert_same_as_strict(_source(path))


def test_a_mapped_column_used_twice_and_columns_in_another_order(tmp_path, assert_same_as_strict):
    path = tmp_path / "bpjs_kesehatan.csv"
    path.write_text("\n".join([HEADER, *_plain_rows(5), TRICKY["multi-line-record"]]) + "\n")
    source = _source(path, record_id="nik", nik="nik", full_name="kelurahan", address="nama_peserta")
    assert_same_as_strict(source)
    fast = read_csv_source(source)
    assert fast.records["record_id"].tolist() == fast.records["nik"].tolist()


def test_a_single_column_file(tmp_path, assert_same_as_strict):
    path = tmp_path / "bpjs_kesehatan.csv"
    path.write_text("no_kartu\n1\n  \n2\n\n,\n3")
    assert_same_as_strict(_source(path, record_id="no_kartu", full_name="no_kartu"))


@pytest.mark.parametrize("delimiter", [";", "\t", "|", " ", "§", "a"])
def test_other_delimiters(tmp_path, delimiter, assert_same_as_strict):
    rows = [line.replace(",", delimiter) for line in [HEADER, *_plain_rows(4), TRICKY["too-few-fields"]]]
    rows += [TRICKY["unbalanced-quote"].replace(",", delimiter), *_plain_rows(2, delimiter)]
    path = tmp_path / "bpjs_kesehatan.csv"
    path.write_text("\n".join(rows) + "\n")
    assert_same_as_strict(_source(path, delimiter=delimiter))


@pytest.mark.parametrize(
    ("encoding", "declared", "bom"),
    [
        ("cp1252", "windows-1252", b""),
        ("latin-1", "latin-1", b""),
        ("utf-16-le", "utf-16", codecs.BOM_UTF16_LE),
        ("utf-16-le", "UTF-16LE", codecs.BOM_UTF16_LE),
        ("utf-16-be", "utf-16", codecs.BOM_UTF16_BE),
        ("utf-8", "utf-8", codecs.BOM_UTF8),
        ("utf-8", "utf-8", codecs.BOM_UTF8 + codecs.BOM_UTF8),
    ],
)
def test_declared_encodings(tmp_path, encoding, declared, bom, assert_same_as_strict):
    name = "D'ARTAGNAN RENÉ" if encoding == "latin-1" else "D’ARTAGNAN RENÉ"
    rows = [HEADER, *_plain_rows(3), f"0001234567891,,{name},01-01-1980,L,BEJI"]
    rows += [TRICKY["multi-line-record"], TRICKY["too-many-fields"], *_plain_rows(2)]
    path = tmp_path / "bpjs_kesehatan.csv"
    path.write_bytes(bom + "\r\n".join(rows).encode(encoding))
    assert_same_as_strict(_source(path, encoding=declared))
    assert_same_as_strict(_source(path))  # undeclared: the same error (or the same mojibake)


def test_undeclared_bad_bytes_are_one_error_naming_file_and_line(tmp_path, assert_same_as_strict):
    path = tmp_path / "bpjs_kesehatan.csv"
    path.write_bytes(
        "\n".join([HEADER, *_plain_rows(3), "0001234567891,,RENÉ,01-01-1980,L,BEJI"]).encode("cp1252")
    )
    with pytest.raises(SourceSchemaError, match=r"not valid utf-8 \(line 5,"):
        read_csv_source(_source(path))
    assert_same_as_strict(_source(path))


def test_plain_lines_are_read_in_bulk_and_only_the_others_by_the_strict_reader(
    tmp_path, assert_same_as_strict
):
    lines = [HEADER, *_plain_rows(50), TRICKY["multi-line-record"], *_plain_rows(50), TRICKY["nul"], "0,1"]
    path = tmp_path / "bpjs_kesehatan.csv"
    path.write_text("\n".join(lines) + "\n")
    text = csv_source._decoded_text(_source(path))
    split = csv_source._Lines.of(text, ",")
    assert split is not None and len(split) == len(io.StringIO(text, newline="").readlines()) == 106
    parsed = csv_source._parse(split, ",")
    # the header, the record on lines 52-54 (a quoted field over three lines) and line 105: strict
    assert parsed.runs == [(1, 51), (54, 104), (105, 106)]
    assert parsed.lines == [52]
    assert parsed.rejected == [(105, "malformed row: NUL character")]
    batch = read_csv_source(_source(path))
    assert batch.rejected[["source_row", "reason"]].to_dict("records") == [
        {"source_row": 105, "reason": "malformed row: NUL character"},
        {"source_row": 106, "reason": "malformed row: row has 2 fields, expected 6"},
    ]
    assert len(batch.records) == 101
    assert_same_as_strict(_source(path))


def test_when_pyarrow_disagrees_the_file_is_read_by_the_strict_reader(tmp_path, monkeypatch):
    path = tmp_path / "bpjs_kesehatan.csv"
    path.write_text("\n".join([HEADER, *_plain_rows(5), TRICKY["unbalanced-quote"], *_plain_rows(3)]) + "\n")
    strict = read_csv_source(_source(path), fast=False)
    monkeypatch.setattr(csv_source, "_plain_columns", lambda *arguments: None)
    fast = read_csv_source(_source(path))
    pd.testing.assert_frame_equal(fast.records, strict.records, check_exact=True)
    pd.testing.assert_frame_equal(fast.rejected, strict.rejected, check_exact=True)


@pytest.fixture(scope="module")
def small_drop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from synthetic import generate_drop

    out = tmp_path_factory.mktemp("drop")
    generate_drop(persons=1500, out_dir=out, seed=5)
    return out


def test_a_generated_drop_reads_the_same_both_ways(small_drop, assert_same_as_strict):
    config = load_sources_config(small_drop / "sources.yaml")
    csv_sources = [source for source in config.sources if source.kind == "csv"]
    assert len(csv_sources) == 2
    for source in csv_sources:
        assert_same_as_strict(source)
        assert len(read_source(source).records) > 300


def test_a_damaged_generated_drop_reads_the_same_both_ways(small_drop, tmp_path, assert_same_as_strict):
    """Lines of a generated drop broken in every way the strict reader knows, at random places."""
    rng = random.Random(11)
    config = load_sources_config(small_drop / "sources.yaml")
    for source in (source for source in config.sources if source.kind == "csv"):
        lines = source.path.read_text(encoding="utf-8").splitlines()
        d = source.delimiter
        damages = [
            lambda line, d=d: line + d + "EXTRA",
            lambda line, d=d: line.rsplit(d, 2)[0],
            lambda line, d=d: line.replace(d, d + '"', 1),
            lambda line, d=d: line.replace(d, '"' + d, 1),
            lambda line: line[:5] + "\x00" + line[5:],
            lambda line, d=d: line.replace(d, d + '"X\nY"' + d, 1),
            lambda line: "",
            lambda line: "   ",
            lambda line: line + "\r",
        ]
        for index in rng.sample(range(1, len(lines)), 60):
            lines[index] = rng.choice(damages)(lines[index])
        path = tmp_path / source.path.name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        damaged = source.model_copy(update={"path": path})
        assert_same_as_strict(damaged)
        assert not read_csv_source(damaged).rejected.empty


def test_field_size_limit_is_the_csv_modules_at_read_time(tmp_path, monkeypatch, assert_same_as_strict):
    path = tmp_path / "bpjs_kesehatan.csv"
    path.write_text(
        "\n".join([HEADER, *_plain_rows(3), "0000000000001,,NAMA YANG PANJANG SEKALI,x,L,BEJI"]) + "\n"
    )
    limit = csv.field_size_limit()
    try:
        csv.field_size_limit(20)
        assert_same_as_strict(_source(path))
        reasons = set(read_csv_source(_source(path)).rejected["reason"])
        assert reasons == {"malformed row: a field is longer than 20 characters"}
    finally:
        csv.field_size_limit(limit)
