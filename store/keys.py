"""Statements over many source records, in chunks the databases take well.

``source = ? AND record_id IN (...)`` uses the ``(source, record_id)`` primary key and indexes on every
engine, where a row-value ``(source, record_id) IN (...)`` may scan the table.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pandas as pd

__all__ = ["KEYS_PER_STATEMENT", "chunks", "ids_by_source"]

#: Values bound in one ``IN (...)``.
KEYS_PER_STATEMENT = 500


def chunks(items: Sequence, size: int = KEYS_PER_STATEMENT) -> Iterator[Sequence]:
    """``items`` in consecutive slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def ids_by_source(keys: pd.DataFrame) -> Iterator[tuple[str, Sequence[str]]]:
    """``(source, record ids)`` chunks of the distinct ``source, record_id`` keys (missing keys left out),
    sources and ids in sorted order."""
    frame = keys.loc[:, ["source", "record_id"]].dropna().astype(str).drop_duplicates()
    for source, ids in frame.groupby("source", sort=True)["record_id"]:
        for chunk in chunks(sorted(ids)):
            yield str(source), chunk
