"""Data-quality gate of the registry: one Great Expectations suite per source, run on canonical frames.

``validate_source(frame, source, data_docs_dir=None)`` runs the source's suite (``suite_for(source)``)
through GX (Core 1.x, pandas data source, ephemeral context) and splits the frame in two: ``passed``
(the input rows, same index, that failed no critical expectation) and ``quarantined`` (one row per other
input row: source, record_id, source_row, reason). Nothing is dropped: together they hold every input
row exactly once. ``outcomes`` has one :class:`ExpectationOutcome` per expectation and ``gx_result`` the
JSON form of the GX result; both carry counts and ``source_row`` numbers, never personal values.

Modules: ``suites`` (the three suites, built in code), ``derived`` (helper columns for the calendar
checks GX cannot express), ``frames`` (the Arrow-backed text columns handed to GX), ``runner`` (the GX
context, run and Data Docs), ``docs_views`` (Data Docs page views keeping compiled templates),
``quarantine`` (GX result -> outcomes and quarantine rows), ``validation`` (``validate_source``),
``worker`` (``validate_source`` in a second process that imports GX meanwhile), ``outcomes`` (result
types), ``errors``.
"""

from expectations.errors import (
    DataQualityError,
    FrameContractError,
    UnknownSourceError,
    ValidationRunError,
)
from expectations.outcomes import QUARANTINE_COLUMNS, ExpectationOutcome, SourceValidation
from expectations.quarantine import generated_record_id
from expectations.suites import suite_for
from expectations.validation import validate_source

__all__ = [
    "QUARANTINE_COLUMNS",
    "DataQualityError",
    "ExpectationOutcome",
    "FrameContractError",
    "SourceValidation",
    "UnknownSourceError",
    "ValidationRunError",
    "generated_record_id",
    "suite_for",
    "validate_source",
]
