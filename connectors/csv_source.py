"""CSV connector: one agency export file, read as text, mapped onto the canonical schema.

Identifiers are never parsed as numbers (a NIK read as a float loses its last digit). A UTF-8 byte-order
mark is handled transparently. Rows with the wrong number of fields do not stop the night: they are
rejected with the line they came from, so they reach the quarantine instead of vanishing.
"""

from __future__ import annotations

import codecs
import logging
import re
import warnings

import numpy as np
import pandas as pd

from connectors.batch import REJECTED_COLUMNS, SourceBatch, empty_rejected, to_canonical
from connectors.config import SourceConfig
from connectors.errors import SourceSchemaError, SourceUnavailableError

__all__ = ["read_csv_source"]

log = logging.getLogger(__name__)

_SKIPPED_LINE = re.compile(r"Skipping line (\d+): expected (\d+) fields, saw (\d+)")


def read_csv_source(source: SourceConfig) -> SourceBatch:
    """Read one CSV source. Raises ``SourceUnavailableError`` / ``SourceSchemaError`` with file context."""
    assert source.kind == "csv" and source.path is not None
    path = source.path
    if not path.exists():
        raise SourceUnavailableError(source.name, f"file {path} does not exist")
    if path.stat().st_size == 0:
        raise SourceSchemaError(source.name, f"file {path} is empty (no header row)")
    encoding = _python_encoding(source.encoding)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            raw = pd.read_csv(
                path,
                sep=source.delimiter,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                encoding=encoding,
                engine="c",
                on_bad_lines="warn",
            )
        except UnicodeDecodeError as error:
            raise SourceSchemaError(
                source.name,
                f"file {path} is not valid {source.encoding} (byte {error.start}); "
                "declare its encoding in sources.yaml",
            ) from None
        except pd.errors.EmptyDataError:
            raise SourceSchemaError(source.name, f"file {path} is empty (no header row)") from None
        except pd.errors.ParserError as error:
            raise SourceSchemaError(source.name, f"file {path} cannot be parsed: {error}") from None
    skipped = _skipped_lines(caught)
    raw.columns = [str(column).strip() for column in raw.columns]
    _check_header(source, list(raw.columns))
    extra = sorted(set(raw.columns) - set(source.columns.values()))
    notes = []
    if extra:
        notes.append(f"{path.name}: {len(extra)} unmapped column(s) ignored: {', '.join(extra)}")
    # Data rows start on line 2 (line 1 is the header); skipped bad lines shift later rows down.
    positions = np.arange(len(raw), dtype="int64") + 2
    if skipped:
        bad = np.asarray(sorted(line for line, _ in skipped), dtype="int64")
        # the k-th kept row sits at line positions[k] plus the number of bad lines at or before it
        shift = np.zeros(len(raw), dtype="int64")
        for line in bad:
            shift[positions + shift >= line] += 1
        positions = positions + shift
    records = to_canonical(raw, source, positions)
    rejected = _rejected_rows(source, skipped)
    for note in notes:
        log.info("%s: %s", source.name, note)
    if len(rejected):
        log.warning("%s: %d malformed row(s) rejected to quarantine", source.name, len(rejected))
    return SourceBatch(source.name, source.programme, records, rejected, tuple(notes))


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


def _skipped_lines(caught: list[warnings.WarningMessage]) -> list[tuple[int, str]]:
    skipped: list[tuple[int, str]] = []
    for warning in caught:
        for line, expected, saw in _SKIPPED_LINE.findall(str(warning.message)):
            skipped.append((int(line), f"row has {saw} fields, expected {expected}"))
    return skipped


def _rejected_rows(source: SourceConfig, skipped: list[tuple[int, str]]) -> pd.DataFrame:
    if not skipped:
        return empty_rejected()
    file_name = source.path.name if source.path else source.name
    rows = [
        (source.name, f"{file_name}@line{line}", line, f"malformed row: {reason}") for line, reason in skipped
    ]
    return pd.DataFrame(rows, columns=list(REJECTED_COLUMNS))
