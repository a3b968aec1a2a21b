"""A full run standardises the rows it read while GX validates them in the worker, then keeps the rows
that passed (no Prefect here).

Standardising is most of a core's work for a while, and GX's validation of a full source is too; in the
worker they run at once. Standardising every row read and then leaving out the rows GX quarantined gives
the rows that passed exactly as standardising only them does, because a record's standardised columns
depend on its own fields and on nothing of the other records but one thing: the NIK check refuses a NIK
that equals the KK number of another record (``matching.standardise``). A quarantined row's KK number
may thus have refused a NIK that the rows going on alone would accept. ``passed_rows`` finds every
record whose NIK equals a KK number held only by quarantined rows and decides its NIK check again
against the KK numbers of the rows that go on (``standardise_records(kk_numbers=…)``, as an increment
decides the records it standardises against the registry's).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from connectors import SourceBatch
from matching.frames import concat_rows, take_rows
from matching.nik import clean_nik_text
from matching.standardise import STANDARDISED_COLUMNS, kk_number_values, standardise_records
from pipelines.stages import ValidatedSource, ValidationStarted

__all__ = ["passed_rows", "rows_read", "validated_elsewhere"]


def _batch(item: SourceBatch | ValidationStarted) -> SourceBatch:
    return item.batch if isinstance(item, ValidationStarted) else item


def validated_elsewhere(items: Sequence[SourceBatch | ValidationStarted]) -> bool:
    """Whether GX validates any of the batches in the worker (``start_validation`` sent it there)."""
    return any(isinstance(item, ValidationStarted) and item.pending is not None for item in items)


def rows_read(items: Sequence[SourceBatch | ValidationStarted]) -> pd.DataFrame:
    """Every row the batches read (before validation), one batch after another, in one canonical frame
    with a fresh positional index."""
    return concat_rows([_batch(item).records for item in items])


def passed_rows(
    standardised: pd.DataFrame,
    items: Sequence[SourceBatch | ValidationStarted],
    validated: Sequence[ValidatedSource],
) -> pd.DataFrame:
    """The rows of ``standardised`` (``standardise_records(rows_read(items))``) that passed validation,
    in the order of ``validated`` (the same batches, validated) with a fresh positional index: what
    ``standardise_records(combine_records(validated))`` gives (see the module docstring)."""
    offsets: dict[str, tuple[int, pd.Index]] = {}
    start = 0
    for item in items:
        batch = _batch(item)
        offsets[batch.source] = (start, batch.records.index)
        start += len(batch.records)
    if start != len(standardised):
        raise ValueError(f"{len(standardised)} standardised rows for {start} rows read")
    parts = []
    for source in validated:
        first, index = offsets[source.source]
        found = index.get_indexer(source.records.index)
        if (found < 0).any():
            raise ValueError(f"source {source.source}: a validated row is not among the rows read")
        parts.append(first + found)
    taken = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    if len(taken) == len(standardised) and (taken == np.arange(len(taken))).all():
        return standardised  # every row went on, in the same order
    kept = take_rows(standardised, taken)
    dropped = np.ones(len(standardised), dtype=bool)
    dropped[taken] = False
    return _without_kk_numbers_of(kept, standardised.loc[dropped, "kk_number"])


def _without_kk_numbers_of(records: pd.DataFrame, dropped_kk: pd.Series) -> pd.DataFrame:
    """``records`` with the NIK check decided again, against their own KK numbers only, for every record
    whose NIK equals a KK number that only the left-out rows (``dropped_kk``) held."""
    gone = set(kk_number_values(dropped_kk)) - set(kk_number_values(records["kk_number"]))
    if not gone:
        return records
    digits = clean_nik_text(records["nik"])[0]
    affected = np.flatnonzero(digits.isin(gone).to_numpy())
    if not len(affected):
        return records
    others = np.setdiff1d(np.arange(len(records)), affected)
    again = standardise_records(
        take_rows(records, affected), kk_numbers=kk_number_values(records["kk_number"].iloc[others])
    )
    for column in STANDARDISED_COLUMNS:
        records.iloc[affected, records.columns.get_loc(column)] = again[column].array
    return records
