"""Frames put together and taken apart column by column: ``concat_rows`` (frames one after another,
without pandas' scans of missing values) and ``take_rows`` (rows by position, without copying the frame
again to renumber them).

``pd.concat`` looks at every value of an object column that is missing throughout one of the frames (to
decide whether it may fill it with its own missing value): each source leaves some columns empty (the
city sends no phone, BPJS Kesehatan no KK number), so concatenating the 410k records of a 200k-person
drop spent 1.2 s in that scan, where putting the columns' arrays together takes 0.06 s.

``frame.iloc[rows].reset_index(drop=True)`` takes the rows (every column, in pandas' blocks), then copies
the result once more to renumber it, merging its blocks on the way: for the 4M live records of a 2M
registry, 1.6–2 s per such line in a nightly increment.

``frame.reset_index(drop=True)`` copies every column too (pandas 2 without copy-on-write): for the
4.1M standardised records of a 2M-person run that is 1.3 GB more at the matching stage's peak, where
``renumbered`` gives the same frame numbered from 0 without a copy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["concat_rows", "renumbered", "take_rows"]


def concat_rows(frames: Sequence[pd.DataFrame], ignore_index: bool = True) -> pd.DataFrame:
    """``pd.concat(frames, ignore_index=ignore_index)`` for frames with the same columns.

    When the frames have the same columns in the same order, each column of one NumPy dtype in every
    frame, the columns' arrays are concatenated as they are (a value missing as ``None`` stays ``None``,
    where ``pd.concat`` turns a column missing throughout a frame into NaN). Otherwise (other columns,
    mixed or extension dtypes, no frames) ``pd.concat`` does it.
    """
    frames = list(frames)
    if not frames:
        return pd.DataFrame()
    if not _same_numpy_columns(frames):
        return pd.concat(frames, ignore_index=ignore_index)
    if len(frames) == 1:
        only = frames[0]
        return only.reset_index(drop=True) if ignore_index else only
    columns = frames[0].columns
    data = {
        position: np.concatenate([frame.iloc[:, position].to_numpy() for frame in frames])
        for position in range(len(columns))
    }
    index = (
        pd.RangeIndex(sum(len(frame) for frame in frames))
        if ignore_index
        else frames[0].index.append([frame.index for frame in frames[1:]])
    )
    combined = pd.DataFrame(data, index=index, copy=False)
    combined.columns = columns
    return combined


def _taken(column: pd.Series, positions: np.ndarray) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """The values of ``column`` at ``positions``: a NumPy array for a NumPy dtype (pandas' object-column
    wrapper would scan the taken values for missing ones when the frame is built: 8 s of a 2M publish),
    else the column's own array type."""
    if isinstance(column.dtype, np.dtype):
        return column.to_numpy().take(positions)
    return column.array.take(positions)


def renumbered(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame.reset_index(drop=True)`` without copying its columns: ``frame`` itself when it is numbered
    0, 1, 2, … already, else a frame on the same arrays (a shallow copy) numbered so.

    The columns are shared: a caller that writes into the values of one writes into ``frame``'s (adding
    or replacing a column does not)."""
    index = frame.index
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return frame
    out = frame.copy(deep=False)
    out.index = pd.RangeIndex(len(frame))
    return out


def _same_numpy_columns(frames: list[pd.DataFrame]) -> bool:
    first = frames[0]
    if not first.columns.is_unique:
        return False
    dtypes = list(first.dtypes)
    if not all(isinstance(dtype, np.dtype) for dtype in dtypes):
        return False
    return all(frame.columns.equals(first.columns) and list(frame.dtypes) == dtypes for frame in frames[1:])


def take_rows(
    frame: pd.DataFrame, positions: np.ndarray | Sequence[int], columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """``frame.iloc[positions][columns].reset_index(drop=True)``: the rows at ``positions`` (of the
    ``columns``, default all), numbered from 0, each column taken once from its own array."""
    positions = np.asarray(positions, dtype=np.intp)
    names = list(frame.columns) if columns is None else list(columns)
    if not frame.columns.is_unique:
        taken = frame.iloc[positions]
        return (taken if columns is None else taken[names]).reset_index(drop=True)
    data = {name: _taken(frame[name], positions) for name in names}
    taken = pd.DataFrame(data, index=pd.RangeIndex(len(positions)), copy=False)
    if columns is None:
        taken.columns = frame.columns
    return taken
