"""CSV connector: one agency export file, read as text, mapped onto the canonical schema.

Every cell stays text (a NIK read as a float loses its last digit). The file is decoded whole with the
encoding ``sources.yaml`` declares: a byte-order mark is handled transparently (UTF-8, and the UTF-16
of Excel's "Unicode text" exports); bytes that are not valid in the declared encoding fail the source
with one error naming the file, the line and the byte offset. Blank lines are skipped. Records are
numbered by the physical line they start on (the header is line 1): that is their ``source_row``.

Bad rows do not stop the night. A row that cannot be taken as a record is *rejected*: it reaches the
quarantine as ``<file>@line<N>`` with a reason, and every other row is read normally:

* ``malformed row: row has 8 fields, expected 6`` — too many or too few fields;
* ``malformed row: unbalanced quote`` — a quote opens a field and the field never closes properly;
* ``malformed row: misplaced quote`` — text follows a field's closing quote (``"SITI" AMINAH``), as
  when a quote inside a quoted field was not doubled;
* ``malformed row: NUL character`` / ``malformed row: a field is longer than N characters``.

Unbalanced quotes. A quoted field may hold line breaks (an Excel cell with Alt+Enter), so a record may
span several lines; records are parsed strictly (a delimiter or line end after every closing quote).
When a record that started on line N runs into an error on a later line (end of file inside the
quote, text after a closing quote, the field size limit), the quote opened on line N is taken to be
unbalanced: line N alone is rejected and reading resumes on line N + 1, so the lines the quote would
have swallowed are read as the rows they are. A multi-line record that parses cleanly is one record:
kept if it has the header's number of fields, otherwise rejected as a whole under line N. Rows are
never merged into a record silently. A quote *inside* an unquoted field (``JL. "MAWAR" 3``) is plain
text, as in Excel.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from connectors.batch import REJECTED_COLUMNS, SourceBatch, empty_rejected, to_canonical
from connectors.config import SourceConfig
from connectors.errors import SourceSchemaError, SourceUnavailableError

__all__ = ["read_csv_source"]

log = logging.getLogger(__name__)

_BOM = "\ufeff"
UNBALANCED_QUOTE = "malformed row: unbalanced quote"
NUL_CHARACTER = "malformed row: NUL character"
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def read_csv_source(source: SourceConfig) -> SourceBatch:
    """Read one CSV source. Raises ``SourceUnavailableError`` / ``SourceSchemaError`` with file context."""
    assert source.kind == "csv" and source.path is not None
    path = source.path
    if not path.exists():
        raise SourceUnavailableError(source.name, f"file {path} does not exist")
    lines = _decoded_lines(source)
    parsed = _parse(lines, source.delimiter)
    del lines
    if parsed.header is None:
        raise SourceSchemaError(source.name, f"file {path} is empty (no header row)")
    if parsed.header_problem:
        raise SourceSchemaError(
            source.name, f"file {path} line {parsed.header_line}: header row {parsed.header_problem}"
        )
    header = [column.strip() for column in parsed.header]
    _check_header(source, header)
    positions = {column: position for position, column in reversed(list(enumerate(header)))}
    mapped = list(dict.fromkeys(source.columns.values()))
    table = np.empty((len(parsed.rows), len(header)), dtype=object)
    if parsed.rows:
        table[:] = parsed.rows
    raw = pd.DataFrame(table[:, [positions[column] for column in mapped]], columns=mapped)
    records = to_canonical(raw, source, np.asarray(parsed.lines, dtype="int64"))
    rejected = _rejected_rows(source, parsed.rejected)
    notes = []
    extra = [column for column in dict.fromkeys(header) if column and column not in mapped]
    if extra:
        notes.append(f"{path.name}: {len(extra)} unmapped column(s) ignored: {', '.join(extra)}")
    for note in notes:
        log.info("%s: %s", source.name, note)
    if len(rejected):
        log.warning("%s: %d malformed row(s) rejected to quarantine", source.name, len(rejected))
    return SourceBatch(source.name, source.programme, records, rejected, tuple(notes))


def _decoded_lines(source: SourceConfig) -> list[str]:
    """The file's physical lines (line ends kept), decoded with the declared encoding, BOM removed."""
    assert source.path is not None
    path = source.path
    encoding = _python_encoding(source)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SourceUnavailableError(source.name, f"file {path} cannot be read ({error.strerror})") from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].decode(encoding, errors="replace").count("\n") + 1
        hint = ", it starts with a UTF-16 byte-order mark" if data.startswith(_UTF16_BOMS) else ""
        raise SourceSchemaError(
            source.name,
            f"file {path} is not valid {source.encoding} (line {line}, byte {error.start}{hint}); "
            "declare its encoding in sources.yaml",
        ) from None
    del data
    if text.startswith(_BOM):  # a BOM the codec kept (e.g. utf-16-le declared on a file that has one)
        text = text[1:]
    return io.StringIO(text, newline="").readlines()


def _python_encoding(source: SourceConfig) -> str:
    """The codec to decode with: UTF-8 as ``utf-8-sig`` so that a byte-order mark is dropped."""
    try:
        name = codecs.lookup(source.encoding).name
    except LookupError:
        raise SourceSchemaError(
            source.name, f"unknown encoding {source.encoding!r} declared in sources.yaml"
        ) from None
    return "utf-8-sig" if name == "utf-8" else name


def _reader_from(lines: list[str], index: int, delimiter: str) -> Any:
    """A strict ``csv.reader`` of the lines from ``lines[index]`` on (``line_num`` counts from there)."""
    return csv.reader(map(lines.__getitem__, range(index, len(lines))), delimiter=delimiter, strict=True)


@dataclass
class _Parsed:
    header: list[str] | None = None
    header_line: int = 0
    header_problem: str | None = None
    rows: list[list[str]] = field(default_factory=list)  # well-formed rows of the header's width
    lines: list[int] = field(default_factory=list)  # first physical line of each row
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)


def _parse(lines: list[str], delimiter: str) -> _Parsed:
    """Split lines into the header, well-formed rows and rejected lines; see the module docstring."""
    parsed = _Parsed()
    base = 0  # index of the line the current reader started on
    reader = _reader_from(lines, base, delimiter)
    width: int | None = None
    has_nul = any("\x00" in line for line in lines)  # no database text column takes a NUL
    while True:
        start = base + reader.line_num  # index of the record's first line
        try:
            row: list[str] | None = next(reader)
            problem = None
        except StopIteration:
            break
        except csv.Error as error:
            row, problem = None, _reason(str(error))
        spans_lines = base + reader.line_num - start > 1
        if row is not None and (not row or (len(row) == 1 and not row[0].strip())):
            continue  # a blank line (or one of spaces only)
        if parsed.header is None:
            parsed.header_line = start + 1
            if row is None or spans_lines:
                parsed.header, parsed.header_problem = [], "cannot be parsed (a quote is not closed?)"
                return parsed
            parsed.header, width = row, len(row)
            continue
        if spans_lines and row is None:
            # the quote opened on this line swallowed the next ones: reject this line, resume after it
            parsed.rejected.append((start + 1, UNBALANCED_QUOTE))
            base = start + 1
            reader = _reader_from(lines, base, delimiter)
            continue
        if row is None:
            parsed.rejected.append((start + 1, problem or "malformed row: cannot be parsed"))
            continue
        if len(row) != width:
            parsed.rejected.append((start + 1, f"malformed row: row has {len(row)} fields, expected {width}"))
            continue
        if has_nul and any("\x00" in cell for cell in row):
            parsed.rejected.append((start + 1, NUL_CHARACTER))
            continue
        parsed.rows.append(row)
        parsed.lines.append(start + 1)
    return parsed


def _reason(message: str) -> str:
    """A quarantine reason for a ``csv.Error`` (whose message never holds a cell's value)."""
    if message.startswith("unexpected end of data"):
        return UNBALANCED_QUOTE
    if "expected after" in message:
        return "malformed row: misplaced quote"
    if "NUL" in message:
        return NUL_CHARACTER
    if message.startswith("field larger than field limit"):
        return f"malformed row: a field is longer than {csv.field_size_limit()} characters"
    return "malformed row: cannot be parsed"


def _check_header(source: SourceConfig, header: list[str]) -> None:
    missing = [column for column in dict.fromkeys(source.columns.values()) if column not in header]
    if missing:
        if len(header) == 1 and source.delimiter not in header[0]:
            hint = f"; the header has one column, is the delimiter {source.delimiter!r} right?"
        else:
            hint = ""
        raise SourceSchemaError(
            source.name, f"file {source.path} is missing required column(s) {', '.join(missing)}{hint}"
        )
    repeated = [column for column in dict.fromkeys(source.columns.values()) if header.count(column) > 1]
    if repeated:
        raise SourceSchemaError(
            source.name, f"file {source.path} repeats column(s) {', '.join(repeated)} in its header"
        )


def _rejected_rows(source: SourceConfig, rejected: list[tuple[int, str]]) -> pd.DataFrame:
    if not rejected:
        return empty_rejected()
    file_name = source.path.name if source.path else source.name
    lines = [line for line, _ in rejected]
    return pd.DataFrame(
        {
            "source": source.name,
            "record_id": [f"{file_name}@line{line}" for line in lines],
            "source_row": np.asarray(lines, dtype="int64"),
            "reason": [reason for _, reason in rejected],
        },
        columns=list(REJECTED_COLUMNS),
    )
