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

Speed. The rules above are those of Python's strict ``csv`` reader, which is the reference; but most
lines of an export are *plain*: no quote, no NUL, at least one delimiter, shorter than the field size
limit. A plain line that starts a record is exactly one record, its fields the line split at the
delimiter, so runs of plain lines are not walked row by row: their field counts are taken from the
bytes (NumPy), the lines of the header's width are handed to ``pyarrow.csv`` with quoting off (which
splits exactly so), and only the other lines (quotes, NUL, blank lines, ...) go through the strict
reader, which hands back to the fast path at the first plain line that starts a record. Should the
fast path ever see anything it cannot account for (a row count that differs, a row ``pyarrow`` calls
invalid), the file is read again by the strict reader alone. ``read_csv_source(source, fast=False)``
always reads with the strict reader alone (the tests compare the two).
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
import pyarrow as pa
import pyarrow.csv as pacsv

from connectors.batch import (
    REJECTED_COLUMNS,
    SourceBatch,
    canonical_frame,
    empty_rejected,
    stripped_text,
    to_canonical,
)
from connectors.config import SourceConfig
from connectors.errors import SourceSchemaError, SourceUnavailableError

__all__ = ["read_csv_source"]

log = logging.getLogger(__name__)

_BOM = "\ufeff"
UNBALANCED_QUOTE = "malformed row: unbalanced quote"
NUL_CHARACTER = "malformed row: NUL character"
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
#: pyarrow reads the plain lines in blocks of this size; longer lines are left to the strict reader.
_BLOCK_SIZE = 1 << 22


def read_csv_source(source: SourceConfig, *, fast: bool = True) -> SourceBatch:
    """Read one CSV source. Raises ``SourceUnavailableError`` / ``SourceSchemaError`` with file context.

    ``fast=False`` reads every line with the strict reader (the reference the fast path must equal).
    """
    assert source.kind == "csv" and source.path is not None
    path = source.path
    if not path.exists():
        raise SourceUnavailableError(source.name, f"file {path} does not exist")
    text = _decoded_text(source)
    lines: _Lines | list[str] | None = _Lines.of(text, source.delimiter) if fast else None
    if lines is None:
        lines = io.StringIO(text, newline="").readlines()
    del text
    parsed = _parse(lines, source.delimiter)
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
    records = rejected_lines = None
    if isinstance(lines, _Lines):
        fast_result = _fast_records(lines, parsed, source, [positions[column] for column in mapped])
        if fast_result is None:  # something the fast path cannot account for: the strict reader alone
            log.info("%s: %s read by the strict reader alone", source.name, path.name)
            parsed = _parse(io.StringIO(lines.text(), newline="").readlines(), source.delimiter)
        else:
            columns, line_numbers, rejected_lines = fast_result
            records = canonical_frame(dict(zip(mapped, columns, strict=True)), source, line_numbers)
    del lines
    if records is None:
        table = np.empty((len(parsed.rows), len(header)), dtype=object)
        if parsed.rows:
            table[:] = parsed.rows
        raw = pd.DataFrame(table[:, [positions[column] for column in mapped]], columns=mapped)
        records = to_canonical(raw, source, np.asarray(parsed.lines, dtype="int64"))
        rejected_lines = parsed.rejected
    rejected = _rejected_rows(source, rejected_lines or [])
    notes = []
    extra = [column for column in dict.fromkeys(header) if column and column not in mapped]
    if extra:
        notes.append(f"{path.name}: {len(extra)} unmapped column(s) ignored: {', '.join(extra)}")
    for note in notes:
        log.info("%s: %s", source.name, note)
    if len(rejected):
        log.warning("%s: %d malformed row(s) rejected to quarantine", source.name, len(rejected))
    return SourceBatch(source.name, source.programme, records, rejected, tuple(notes))


def _decoded_text(source: SourceConfig) -> str:
    """The file's text, decoded with the declared encoding, BOM removed."""
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
    return text


def _python_encoding(source: SourceConfig) -> str:
    """The codec to decode with: UTF-8 as ``utf-8-sig`` so that a byte-order mark is dropped."""
    try:
        name = codecs.lookup(source.encoding).name
    except LookupError:
        raise SourceSchemaError(
            source.name, f"unknown encoding {source.encoding!r} declared in sources.yaml"
        ) from None
    return "utf-8-sig" if name == "utf-8" else name


def _reader_from(lines: _Lines | list[str], index: int, delimiter: str) -> Any:
    """A strict ``csv.reader`` of the lines from ``lines[index]`` on (``line_num`` counts from there)."""
    return csv.reader(map(lines.__getitem__, range(index, len(lines))), delimiter=delimiter, strict=True)


class _Lines:
    """A text's physical lines as ``io.StringIO(text, newline="").readlines()`` splits them (after
    ``\\r\\n``, a lone ``\\r`` or ``\\n``), held as one UTF-8 buffer and each line's byte offsets;
    ``lines[i]`` is line ``i`` decoded. ``plain[i]``: line ``i`` holds no quote and no NUL, at least one
    delimiter and fewer bytes than the field size limit; ``fields[i]``: its delimiters + 1.
    """

    _CHUNK = 1 << 22  # bytes scanned at a time (bounds the scratch memory on big files)

    def __init__(self, buffer: bytes, delimiter: str) -> None:
        data = np.frombuffer(buffer, dtype=np.uint8)
        size, byte = len(data), ord(delimiter)
        ends, delimiters, specials = [], [], []
        delimiters_before = specials_before = 0
        for first in range(0, size, self._CHUNK):
            chunk = data[first : first + self._CHUNK]
            newline = chunk == 0x0A
            terminator = newline | (chunk == 0x0D)
            terminator[:-1] &= ~((chunk[:-1] == 0x0D) & newline[1:])  # the \r of a \r\n
            after = first + len(chunk)
            if after < size and chunk[-1] == 0x0D and data[after] == 0x0A:
                terminator[-1] = False
            at = np.flatnonzero(terminator)
            # delimiters, and quotes or NULs, in the chunk before each line end
            found = np.flatnonzero(chunk == byte)
            special = np.flatnonzero((chunk == 0x22) | (chunk == 0x00))
            ends.append(at + first + 1)
            delimiters.append(np.searchsorted(found, at) + delimiters_before)
            specials.append(np.searchsorted(special, at) + specials_before)
            delimiters_before += len(found)
            specials_before += len(special)
        if size and (not ends or not len(ends[-1]) or ends[-1][-1] != size):  # a last line without its end
            ends.append(np.array([size]))
            delimiters.append(np.array([delimiters_before]))
            specials.append(np.array([specials_before]))
        self.buffer = buffer
        self.ends = np.concatenate([np.zeros(0, dtype=np.int64), *ends]).astype(np.int64)
        self.starts = np.concatenate([[0], self.ends[:-1]]).astype(np.int64)[: len(self.ends)]
        first_of = np.concatenate([[0], *delimiters]).astype(np.int64)
        self.fields = np.diff(first_of) + 1
        has_special = np.diff(np.concatenate([[0], *specials]).astype(np.int64)) > 0
        limit = min(csv.field_size_limit(), _BLOCK_SIZE // 4)
        self.plain = ~has_special & (self.fields > 1) & (self.ends - self.starts <= limit)
        self._not_plain = np.flatnonzero(~self.plain)
        self.has_nul = b"\x00" in buffer

    @classmethod
    def of(cls, text: str, delimiter: str) -> _Lines | None:
        """The lines of ``text``, or ``None`` when the fast path does not apply (a delimiter that is not
        one ASCII byte, text that has no UTF-8 form)."""
        if len(delimiter) != 1 or not delimiter.isascii() or delimiter in '"\r\n\x00':
            return None
        try:
            return cls(text.encode("utf-8"), delimiter)
        except UnicodeEncodeError:  # lone surrogates
            return None

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, index: int) -> str:
        return self.buffer[self.starts[index] : self.ends[index]].decode("utf-8")

    def next_not_plain(self, index: int) -> int:
        """The index of the first line from ``index`` on that is not plain (``len(self)`` if none)."""
        at = int(np.searchsorted(self._not_plain, index))
        return int(self._not_plain[at]) if at < len(self._not_plain) else len(self)

    def text(self) -> str:
        return self.buffer.decode("utf-8")


@dataclass
class _Parsed:
    header: list[str] | None = None
    header_line: int = 0
    header_problem: str | None = None
    rows: list[list[str]] = field(default_factory=list)  # well-formed rows of the header's width
    lines: list[int] = field(default_factory=list)  # first physical line of each row
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    runs: list[tuple[int, int]] = field(default_factory=list)  # [start, stop) of plain lines left unread


def _parse(lines: _Lines | list[str], delimiter: str) -> _Parsed:
    """Split lines into the header, well-formed rows and rejected lines; see the module docstring.

    Given ``_Lines``, a run of plain lines met where a record starts is not read but noted in ``runs``
    (``_fast_records`` reads them); the lines of ``rows`` and ``rejected`` are then the others only.
    """
    parsed = _Parsed()
    base = 0  # index of the line the current reader started on
    reader = _reader_from(lines, base, delimiter)
    width: int | None = None
    if isinstance(lines, _Lines):
        plain, has_nul = lines.plain, lines.has_nul
    else:
        plain, has_nul = None, any("\x00" in line for line in lines)  # no database text column takes a NUL
    while True:
        start = base + reader.line_num  # index of the record's first line
        if plain is not None and width is not None and start < len(plain) and plain[start]:
            # a plain line where a record starts: it and the plain lines after it are one record each
            assert isinstance(lines, _Lines)
            base = lines.next_not_plain(start)
            parsed.runs.append((start, base))
            reader = _reader_from(lines, base, delimiter)
            continue
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


def _fast_records(
    lines: _Lines, parsed: _Parsed, source: SourceConfig, positions: list[int]
) -> tuple[list[np.ndarray], np.ndarray, list[tuple[int, str]]] | None:
    """The records of a file parsed with ``runs``: the fields at ``positions`` of the header, stripped
    (``stripped_text``), their lines and the rejected lines, all in line order; ``None`` if ``pyarrow``
    does not read the plain lines of the header's width as exactly one row each."""
    assert parsed.header is not None
    width = len(parsed.header)
    in_run = np.zeros(len(lines), dtype=bool)
    for start, stop in parsed.runs:
        in_run[start:stop] = True
    good = in_run & (lines.fields == width)
    wrong = np.flatnonzero(in_run & ~good)
    rejected = parsed.rejected + [
        (int(index) + 1, f"malformed row: row has {int(lines.fields[index])} fields, expected {width}")
        for index in wrong
    ]
    rejected.sort()
    line_numbers = np.flatnonzero(good).astype(np.int64) + 1
    plain = _plain_columns(lines, good, len(line_numbers), source.delimiter, width, positions)
    if plain is None:
        return None
    columns = [stripped_text(column) for column in plain]  # stripping is cell by cell: in any order
    del plain
    if parsed.rows:  # the strict reader's records go in between, by line
        line_numbers = np.concatenate([line_numbers, np.asarray(parsed.lines, dtype=np.int64)])
        order = np.argsort(line_numbers, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        bulk, strict = rank[: len(rank) - len(parsed.rows)], rank[len(rank) - len(parsed.rows) :]
        merged = []
        for column, position in zip(columns, positions, strict=True):
            both = np.empty(len(rank), dtype=object)
            both[bulk] = column
            both[strict] = stripped_text(pa.array([row[position] for row in parsed.rows], type=pa.string()))
            merged.append(both)
        columns, line_numbers = merged, line_numbers[order]
    return columns, line_numbers, rejected


def _plain_columns(
    lines: _Lines, good: np.ndarray, expected: int, delimiter: str, width: int, positions: list[int]
) -> list[pa.ChunkedArray] | None:
    """The fields at ``positions`` of the ``good`` lines (plain, of the header's width), read by
    ``pyarrow.csv`` with quoting off; ``None`` if it does not read exactly one row per line."""
    if not expected:
        return [pa.chunked_array([], type=pa.string()) for _ in positions]
    edges = np.flatnonzero(np.diff(np.concatenate([[0], good.view(np.int8), [0]])))
    view = memoryview(lines.buffer)
    # a blank line first: pyarrow would drop a byte-order mark at the very start of its input
    pieces = [b"\n"]
    runs = zip(edges[::2], edges[1::2], strict=True)  # [first, last) of consecutive good lines
    pieces += [view[lines.starts[first] : lines.ends[last - 1]] for first, last in runs]
    if lines.buffer[lines.ends[edges[-1] - 1] - 1 : lines.ends[edges[-1] - 1]] not in (b"\n", b"\r"):
        pieces.append(b"\n")  # the file's last line, without a line end
    data = b"".join(pieces)
    del pieces, view
    names = [f"f{index}" for index in range(width)]
    wanted = [names[index] for index in sorted(set(positions))]
    invalid: list[Any] = []

    def invalid_row(row: Any) -> str:
        invalid.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(column_names=names, block_size=_BLOCK_SIZE),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                quote_char=False,
                double_quote=False,
                escape_char=False,
                newlines_in_values=False,
                ignore_empty_lines=True,
                invalid_row_handler=invalid_row,
            ),
            convert_options=pacsv.ConvertOptions(
                include_columns=wanted,
                column_types=dict.fromkeys(wanted, pa.string()),
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, ValueError) as error:
        log.debug("pyarrow could not read the plain lines: %s", type(error).__name__)
        return None
    if invalid or table.num_rows != expected:
        return None
    return [table.column(names[position]) for position in positions]


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
