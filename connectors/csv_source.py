"""CSV connector: one agency export file, read as text, mapped onto the canonical schema.

Identifiers are never parsed as numbers (a NIK read as a float loses its last digit). A UTF-8 byte-order
mark is handled transparently. Rows with the wrong number of fields do not stop the night: they are
rejected with the line they came from, so they reach the quarantine instead of vanishing.
"""

from __future__ import annotations

import codecs
import csv
import logging
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from connectors.batch import REJECTED_COLUMNS, SourceBatch, empty_rejected, to_canonical
from connectors.config import SourceConfig
from connectors.errors import SourceSchemaError, SourceUnavailableError

__all__ = ["read_csv_source"]

log = logging.getLogger(__name__)


def read_csv_source(source: SourceConfig) -> SourceBatch:
    """Read one CSV source. Raises ``SourceUnavailableError`` / ``SourceSchemaError`` with file context."""
    assert source.kind == "csv" and source.path is not None
    path = source.path
    if not path.exists():
        raise SourceUnavailableError(source.name, f"file {path} does not exist")
    if path.stat().st_size == 0:
        raise SourceSchemaError(source.name, f"file {path} is empty (no header row)")
    encoding = _python_encoding(source.encoding)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            raw = pd.read_csv(
                path,
                sep=source.delimiter,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                encoding=encoding,
                engine="c",
                on_bad_lines="skip",
            )
        shapes = _record_shapes(path, encoding, source.delimiter)
    except UnicodeDecodeError as error:
        raise SourceSchemaError(
            source.name,
            f"file {path} is not valid {source.encoding} (byte {error.start}); "
            "declare its encoding in sources.yaml",
        ) from None
    except pd.errors.EmptyDataError:
        raise SourceSchemaError(source.name, f"file {path} is empty (no header row)") from None
    except (pd.errors.ParserError, csv.Error) as error:
        raise SourceSchemaError(source.name, f"file {path} cannot be parsed: {error}") from None
    raw.columns = [str(column).strip() for column in raw.columns]
    _check_header(source, list(raw.columns))
    width = len(raw.columns)
    lines, lengths = shapes
    # pandas skipped the rows with too many fields and padded the rows with too few: the csv pass
    # knows every record's true width and first line, so both kinds are rejected, not linked.
    kept = lengths <= width
    if int(kept.sum()) != len(raw):
        raise SourceSchemaError(source.name, f"file {path} cannot be parsed consistently (quoting?)")
    complete = lengths[kept] == width
    records = to_canonical(raw.loc[complete].reset_index(drop=True), source, lines[kept][complete])
    wrong = lengths != width
    rejected = _rejected_rows(source, lines[wrong], lengths[wrong], width)
    notes = []
    extra = sorted(set(raw.columns) - set(source.columns.values()))
    if extra:
        notes.append(f"{path.name}: {len(extra)} unmapped column(s) ignored: {', '.join(extra)}")
    for note in notes:
        log.info("%s: %s", source.name, note)
    if len(rejected):
        log.warning("%s: %d malformed row(s) rejected to quarantine", source.name, len(rejected))
    return SourceBatch(source.name, source.programme, records, rejected, tuple(notes))


def _record_shapes(path: Path, encoding: str, delimiter: str) -> tuple[np.ndarray, np.ndarray]:
    """First physical line and field count of every data record (blank lines skipped, as pandas does)."""
    lines: list[int] = []
    lengths: list[int] = []
    with path.open("r", encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        next(reader, None)
        start = reader.line_num + 1
        for row in reader:
            if row:
                lines.append(start)
                lengths.append(len(row))
            start = reader.line_num + 1
    return np.asarray(lines, dtype="int64"), np.asarray(lengths, dtype="int64")


def _python_encoding(declared: str) -> str:
    """UTF-8 is read as ``utf-8-sig`` so that a byte-order mark never becomes part of a column name."""
    try:
        name = codecs.lookup(declared).name
    except LookupError:
        raise SourceSchemaError("?", f"unknown encoding {declared!r} in sources.yaml") from None
    return "utf-8-sig" if name == "utf-8" else declared


def _check_header(source: SourceConfig, header: list[str]) -> None:
    missing = [column for column in source.columns.values() if column not in header]
    if not missing:
        return
    if len(header) == 1 and source.delimiter not in header[0]:
        hint = f"; the header has one column, is the delimiter {source.delimiter!r} right?"
    else:
        hint = ""
    raise SourceSchemaError(
        source.name, f"file {source.path} is missing required column(s) {', '.join(missing)}{hint}"
    )


def _rejected_rows(source: SourceConfig, lines: np.ndarray, lengths: np.ndarray, width: int) -> pd.DataFrame:
    if not len(lines):
        return empty_rejected()
    file_name = source.path.name if source.path else source.name
    return pd.DataFrame(
        {
            "source": source.name,
            "record_id": [f"{file_name}@line{line}" for line in lines],
            "source_row": lines,
            "reason": [f"malformed row: row has {length} fields, expected {width}" for length in lengths],
        },
        columns=list(REJECTED_COLUMNS),
    )
