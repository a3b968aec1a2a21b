"""Property tests of the CSV connector: whatever the csv module writes, the connector reads back.

Tables of arbitrary printable text (delimiters, quotes, line breaks, non-Latin scripts in the cells),
written by Python's csv module in any of the encodings sources.yaml may declare, must come back cell
for cell (stripped, empty cells missing), every written row either a record or a rejected row under the
physical line it starts on. Text that is not CSV at all must never crash the reader or merge rows.
Whatever the file, the fast path (plain lines in bulk through pyarrow) gives exactly what the strict
reader alone gives (``read_csv_source(source, fast=False)``).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors import SourceConfig, SourceSchemaError, read_source

pytestmark = pytest.mark.unit

PROPERTY_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

#: Printable text of any script, plus the characters that make CSV hard.
CELL_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
        st.sampled_from(['"', ",", ";", "\t", " ", "\n", "\r", "'"]),
    ),
    max_size=12,
)
DELIMITERS = st.sampled_from([",", ";", "\t", "|"])
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16"])
COLUMNS = ("record_id", "full_name", "nik", "birth_date", "address")


def _source(path: Path, width: int, delimiter: str, encoding: str) -> SourceConfig:
    """A source mapping the first ``width`` canonical columns onto agency columns c0, c1, ..."""
    return SourceConfig(
        name="bpjs_kesehatan",
        programme="health",
        kind="csv",
        path=path,
        delimiter=delimiter,
        encoding="utf-8" if encoding == "utf-8-sig" else encoding,
        columns={field: f"c{position}" for position, field in enumerate(COLUMNS[:width])},
    )


def _write(path: Path, header: list[str], rows: list[list[str]], delimiter: str, encoding: str) -> list[int]:
    """Write with the csv module; returns the physical line each row starts on (header: line 1)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)  # CRLF, as Excel writes; quotes cells with \r or \n
    writer.writerow(header)
    starts = []
    for row in rows:
        starts.append(len(io.StringIO(buffer.getvalue(), newline="").readlines()) + 1)
        writer.writerow(row)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return starts


def _stripped(cell: str) -> str | None:
    return cell.strip() or None


@st.composite
def tables(draw: st.DrawFn) -> tuple[int, list[list[str]]]:
    width = draw(st.integers(min_value=2, max_value=len(COLUMNS)))
    rows = draw(st.lists(st.lists(CELL_TEXT, min_size=width, max_size=width), max_size=8))
    return width, rows


@PROPERTY_SETTINGS
@given(table=tables(), delimiter=DELIMITERS, encoding=ENCODINGS)
def test_any_table_written_by_the_csv_module_round_trips_cell_for_cell(
    assert_same_as_strict,
    tmp_path_factory: pytest.TempPathFactory,
    table: tuple[int, list[list[str]]],
    delimiter: str,
    encoding: str,
) -> None:
    width, rows = table
    path = tmp_path_factory.mktemp("csv") / "bpjs_kesehatan.csv"
    starts = _write(path, [f"c{n}" for n in range(width)], rows, delimiter, encoding)
    batch = read_source(_source(path, width, delimiter, encoding))
    assert batch.rejected.empty
    assert batch.rows_read == len(rows)
    assert list(batch.records["source_row"]) == starts
    read_back = batch.records.loc[:, list(COLUMNS[:width])].to_numpy(dtype=object).tolist()
    assert read_back == [[_stripped(cell) for cell in row] for row in rows]
    assert_same_as_strict(_source(path, width, delimiter, encoding))


@st.composite
def ragged_tables(draw: st.DrawFn) -> tuple[int, list[list[str]]]:
    width = draw(st.integers(min_value=2, max_value=len(COLUMNS)))
    row_widths = st.integers(min_value=1, max_value=width + 2)
    rows = draw(
        st.lists(row_widths.flatmap(lambda n: st.lists(CELL_TEXT, min_size=n, max_size=n)), max_size=8)
    )
    return width, rows


@PROPERTY_SETTINGS
@given(table=ragged_tables(), delimiter=DELIMITERS)
def test_every_row_is_a_record_or_rejected_under_the_line_it_starts_on(
    assert_same_as_strict,
    tmp_path_factory: pytest.TempPathFactory,
    table: tuple[int, list[list[str]]],
    delimiter: str,
) -> None:
    width, rows = table
    path = tmp_path_factory.mktemp("csv") / "bpjs_kesehatan.csv"
    starts = _write(path, [f"c{n}" for n in range(width)], rows, delimiter, "utf-8")
    batch = read_source(_source(path, width, delimiter, "utf-8"))
    # a row of one blank cell is written as a blank line (or "" alone): nothing to read
    kept = [(start, row) for start, row in zip(starts, rows, strict=True) if len(row) > 1 or row[0].strip()]
    expected_records = [(start, row) for start, row in kept if len(row) == width]
    expected_rejected = {start: len(row) for start, row in kept if len(row) != width}
    assert list(batch.records["source_row"]) == [start for start, _ in expected_records]
    read_back = batch.records.loc[:, list(COLUMNS[:width])].to_numpy(dtype=object).tolist()
    assert read_back == [[_stripped(cell) for cell in row] for _, row in expected_records]
    rejected = dict(zip(batch.rejected["source_row"], batch.rejected["reason"], strict=True))
    assert rejected == {
        start: f"malformed row: row has {fields} fields, expected {width}"
        for start, fields in expected_rejected.items()
    }
    assert list(batch.rejected["record_id"]) == [
        f"bpjs_kesehatan.csv@line{start}" for start in expected_rejected
    ]
    assert batch.rows_read == len(kept)
    assert_same_as_strict(_source(path, width, delimiter, "utf-8"))


LINE_TEXT = st.text(alphabet=st.sampled_from(list("ab ,;\"'\n\r\t")), max_size=40)


@PROPERTY_SETTINGS
@given(body=LINE_TEXT, delimiter=DELIMITERS)
def test_text_that_is_not_csv_never_crashes_or_merges_rows(
    assert_same_as_strict, tmp_path_factory: pytest.TempPathFactory, body: str, delimiter: str
) -> None:
    path = tmp_path_factory.mktemp("csv") / "bpjs_kesehatan.csv"
    path.write_bytes(f"c0{delimiter}c1\n{body}".encode())
    assert_same_as_strict(_source(path, 2, delimiter, "utf-8"))
    try:
        batch = read_source(_source(path, 2, delimiter, "utf-8"))
    except SourceSchemaError as error:  # only a broken header may fail the file, in one line
        assert "\n" not in str(error)
        return
    lines = io.StringIO(f"c0{delimiter}c1\n{body}", newline="").readlines()
    fates = sorted([*batch.records["source_row"], *batch.rejected["source_row"]])
    assert len(fates) == len(set(fates))  # one fate per line
    assert all(2 <= line <= len(lines) for line in fates)
    assert all(reason.startswith("malformed row: ") for reason in batch.rejected["reason"])
    # a record spans the lines its cells' line breaks say, and no other row starts inside it
    for _, record in batch.records.iterrows():
        cells = [record[column] or "" for column in COLUMNS[:2]]
        breaks = sum(len(re.findall(r"\r\n|\r|\n", cell)) for cell in cells)
        later = [line for line in fates if line > record["source_row"]]
        assert not later or later[0] > record["source_row"] + breaks


#: Lines that are plain (read in bulk by the fast path) and lines that are not, to be mixed at random.
PLAIN_LINE = st.lists(
    st.text(alphabet=st.sampled_from(list("ab Ñ漢 \t'")), max_size=4), min_size=1, max_size=5
)
ODD_LINE = st.one_of(
    st.text(alphabet=st.sampled_from(list('ab ,;|"\x00\ufeff\u3000\t')), max_size=12),
    st.sampled_from(['"', '""', '"a', 'a"', '"a""b"', ' "a"', '"a"b', "\x00", "\ufeff", "   ", ""]),
)
NEWLINES = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def mixed_files(draw: st.DrawFn) -> tuple[int, str, str]:
    """A header of ``width`` columns, then plain rows (of the header's width or not) and odd lines."""
    delimiter = draw(DELIMITERS)
    width = draw(st.integers(min_value=2, max_value=len(COLUMNS)))
    lines = [delimiter.join(f"c{n}" for n in range(width))]
    for _ in range(draw(st.integers(min_value=0, max_value=12))):
        if draw(st.booleans()):
            lines.append(delimiter.join(draw(PLAIN_LINE)))
        else:
            lines.append(draw(ODD_LINE).replace(",", delimiter))
    newline = draw(NEWLINES)
    text = newline.join(lines) + draw(st.sampled_from(["", newline]))
    return width, delimiter, text


@PROPERTY_SETTINGS
@given(case=mixed_files(), encoding=ENCODINGS)
def test_the_fast_path_reads_any_file_exactly_as_the_strict_reader(
    assert_same_as_strict, tmp_path_factory: pytest.TempPathFactory, case: tuple[int, str, str], encoding: str
) -> None:
    width, delimiter, text = case
    path = tmp_path_factory.mktemp("csv") / "bpjs_kesehatan.csv"
    path.write_bytes(text.encode(encoding))
    assert_same_as_strict(_source(path, width, delimiter, encoding))
