"""``validate_source``: run a source's suite over its canonical frame and split the frame in two."""

from __future__ import annotations

import datetime as dt
import logging
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from expectations.derived import derive_column
from expectations.errors import FrameContractError
from expectations.frames import gx_text_column
from expectations.outcomes import SourceValidation
from expectations.quarantine import derive_quarantine, read_results
from expectations.runner import ID_COLUMN, run_suite
from expectations.suites import suite_columns, suite_for, suite_helper_columns

if TYPE_CHECKING:
    import great_expectations as gx

__all__ = ["ARROW_MIN_ROWS", "build_gx_frame", "validate_source"]

logger = logging.getLogger(__name__)

#: Frames of at least this many rows go to GX with Arrow-backed text (``build_gx_frame``).
ARROW_MIN_ROWS = 20_000


def validate_source(
    frame: pd.DataFrame,
    source: str,
    data_docs_dir: str | PathLike[str] | None = None,
    *,
    today: dt.date | None = None,
) -> SourceValidation:
    """Validate one source's canonical frame with its GX suite.

    Rows failing a critical expectation go to ``quarantined`` with a reason; all others are in
    ``passed`` (same index and columns as ``frame``). Non-critical failures are only reported, in
    ``outcomes`` and ``gx_result``. With ``data_docs_dir``, GX Data Docs for this validation are built
    there (ids and counts only). ``today`` (default: the current date) is the latest birth date
    accepted. Raises :class:`~expectations.errors.UnknownSourceError` for a source
    without a suite and :class:`~expectations.errors.FrameContractError` when the frame is not a
    canonical frame of that source.
    """
    suite = suite_for(source, today=today)
    _check_frame(frame, source, (ID_COLUMN, *suite_columns(suite)))

    gx_frame = build_gx_frame(frame, suite)
    docs_dir = Path(data_docs_dir) if data_docs_dir is not None else None
    result = run_suite(gx_frame, suite, data_docs_dir=docs_dir)
    del gx_frame

    gx_result = result.to_json_dict()
    checks = read_results(gx_result, order=[expectation.meta["name"] for expectation in suite.expectations])
    outcomes = [check.outcome() for check in checks]
    quarantined_mask, quarantined = derive_quarantine(frame, source, checks)
    passed = frame.iloc[~quarantined_mask]
    logger.info(
        "source %s: %d rows, %d passed, %d quarantined, %d of %d expectations met",
        source,
        len(frame),
        len(passed),
        len(quarantined),
        sum(outcome.success for outcome in outcomes),
        len(outcomes),
    )
    return SourceValidation(
        source=source,
        passed=passed,
        quarantined=quarantined,
        outcomes=outcomes,
        gx_result=gx_result,
        data_docs_index=docs_dir / "index.html" if docs_dir is not None else None,
    )


def build_gx_frame(
    frame: pd.DataFrame, suite: gx.ExpectationSuite, *, arrow_text: bool | None = None
) -> pd.DataFrame:
    """The frame GX validates: the columns ``suite`` reads, then its helper columns, by ``source_row``.

    GX gets only the columns the suite reads (GX filters and copies whole frames per expectation, so
    every extra column costs time), indexed by ``source_row``: GX names unexpected rows by that index.
    Text columns are Arrow-backed where that is exactly equivalent (:func:`gx_text_column`; GX's pandas
    checks null-test and row-filter the frame several times per expectation, which costs a pass over
    every Python object of every column when the columns are object arrays); with ``arrow_text=False``
    every column is an object array, the reference the Arrow form must agree with. By default
    (``None``) frames of :data:`ARROW_MIN_ROWS` rows or more get Arrow text: on smaller ones (a nightly
    increment) the object passes cost no more than the conversion, and the first use of Arrow in a
    process costs a few tenths of a second. Helper columns (``expectations.derived``: calendar dates,
    Python objects) go last.
    """
    if arrow_text is None:
        arrow_text = len(frame) >= ARROW_MIN_ROWS
    data: dict[str, Any] = {
        column: gx_text_column(frame[column]) if arrow_text else frame[column].to_numpy(dtype=object)
        for column in suite_columns(suite)
    }
    for helper in suite_helper_columns(suite):
        data[helper] = derive_column(frame, helper)
    return pd.DataFrame(data, index=pd.Index(frame[ID_COLUMN].to_numpy(dtype="int64"), name=ID_COLUMN))


def _check_frame(frame: pd.DataFrame, source: str, columns: tuple[str, ...]) -> None:
    """Raise FrameContractError listing every way the frame breaks the canonical-frame contract."""
    if not isinstance(frame, pd.DataFrame):
        raise FrameContractError(f"source {source}: expected a pandas DataFrame", source=source)
    problems: list[str] = []
    missing = tuple(column for column in columns if column not in frame.columns)
    if missing:
        problems.append(f"missing columns {', '.join(missing)}")
    if ID_COLUMN in frame.columns:
        rows = frame[ID_COLUMN]
        if not pd.api.types.is_integer_dtype(rows.dtype) or rows.isna().any():
            problems.append(f"{ID_COLUMN} must be integers with no missing values")
        elif not rows.is_unique:
            repeated = rows[rows.duplicated()].unique()[:5].tolist()
            problems.append(f"{ID_COLUMN} repeats values, e.g. {repeated}")
    if "source" in frame.columns:
        other = frame["source"].dropna()
        other = other[other != source]
        if len(other):
            problems.append(f"{len(other)} rows carry another source name (e.g. {other.iloc[0]!r})")
    if problems:
        raise FrameContractError(
            f"source {source}: not a canonical frame: {'; '.join(problems)}", source=source, columns=missing
        )
