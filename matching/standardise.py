"""``standardise_records``: canonical frame in, the same frame plus standardised columns out.

Each field has its own module (``names``, ``nik``, ``dates``, ``phones``, ``addresses``); this one
wires them together in dependency order (the NIK check needs the standardised birth date and sex).
All work is vectorised and, for text fields, done once per distinct value.

Partitioned: every standardiser works record by record (per distinct value), except one NIK check —
a NIK equal to the KK number of *another* record of the frame (``kk_like``) — so chunks of records are
standardised independently by an :class:`~matching.executors.Executor` (in this process or on a Dask
cluster) and that check is completed over the whole frame afterwards. Any chunking gives the frame
the unpartitioned run gives. The check is completed the same way against the KK numbers of records
outside the frame (``kk_numbers``: an incremental run's registry).
"""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from matching.addresses import standardise_addresses
from matching.dates import parse_dates
from matching.executors import Executor, LocalExecutor, chunk_bounds
from matching.frames import concat_rows
from matching.names import standardise_names
from matching.nik import clean_nik_text, standardise_nik
from matching.phones import standardise_phone
from matching.text import arrow_text, from_arrow, on_distinct, replace_many

__all__ = [
    "STANDARDISED_COLUMNS",
    "kk_number_values",
    "standardise_records",
    "standardise_sex",
    "standardise_place",
]

log = logging.getLogger(__name__)

#: Columns added by :func:`standardise_records`, in order.
STANDARDISED_COLUMNS: tuple[str, ...] = (
    "nik_std",
    "nik_valid",
    "nik_issue",
    "nik_birth_date",
    "nik_sex",
    "nik_agrees",
    "name_std",
    "name_titles",
    "name_key",
    "father_name",
    "birth_date_std",
    "sex_std",
    "phone_std",
    "rt_std",
    "rw_std",
    "kelurahan_code",
    "kelurahan_std",
    "kecamatan_std",
    "kecamatan_code",
    "street_std",
    "birth_place_std",
)

_SEX_CODES: dict[str, str] = {
    **dict.fromkeys(["L", "LK", "LAKI-LAKI", "LAKI LAKI", "LAKILAKI", "LAKI", "PRIA", "M", "MALE", "1"], "L"),
    **dict.fromkeys(["P", "PR", "PEREMPUAN", "WANITA", "F", "FEMALE", "W", "2"], "P"),
}


def _sex_distinct(values: pd.Series) -> pd.Series:
    text = values.str.strip().str.upper().str.replace(r"\.0$", "", regex=True)
    return text.map(_SEX_CODES)


def standardise_sex(values: pd.Series) -> pd.Series:
    """'L' / 'P' / None from L/P, Laki-laki/Perempuan, 1/2, Pria/Wanita, M/F."""
    return on_distinct(values, _sex_distinct)


def _place_distinct(values: pd.Series) -> pd.Series:
    text = pc.utf8_upper(arrow_text(values))
    text = replace_many(
        text, [(r"\b(?:KOTA|KAB|KABUPATEN|KOTAMADYA|KODYA)\b\.?", " "), (r"[^A-Z ]", " "), (r"\s+", " ")]
    )
    out = from_arrow(pc.utf8_trim_whitespace(text), values.index)
    return out.where(out.notna() & (out != ""), None)


def standardise_place(values: pd.Series) -> pd.Series:
    """Place of birth: upper-case letters and single spaces, without 'KOTA'/'KAB.' prefixes."""
    return on_distinct(values, _place_distinct)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame:
        return frame[name]
    return pd.Series([None] * len(frame.index), index=frame.index, dtype=object)


def _same_objects(values: pd.Series, like: pd.Series) -> pd.Series:
    """``values`` holding ``like``'s objects wherever the two are equal (position by position): a text
    a standardiser left as it was costs a pointer, not another ``str``. Values are unchanged."""
    new = values.to_numpy(dtype=object)
    old = like.to_numpy(dtype=object)
    try:
        same = np.asarray(new == old, dtype=bool)
    except (TypeError, ValueError):  # a value whose truth is ambiguous (pd.NA): compare the others
        both = np.flatnonzero(pd.notna(new) & pd.notna(old))
        same = np.zeros(len(new), dtype=bool)
        same[both] = new[both] == old[both]
    return pd.Series(np.where(same, old, new), index=values.index, dtype=object, name=values.name)


def _standardised_columns(frame: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """The :data:`STANDARDISED_COLUMNS` of a frame (or of a chunk of it), on its index."""
    birth_date = parse_dates(_column(frame, "birth_date"), today=today)
    sex = standardise_sex(_column(frame, "sex"))
    kk = frame.get("kk_number")
    nik = standardise_nik(_column(frame, "nik"), birth_date, sex, kk, today=today)
    full_name = _column(frame, "full_name")
    names = standardise_names(full_name)
    # most names are sent as they are shown, and most keys are the name as shown: share their objects
    names["name_std"] = _same_objects(names["name_std"], full_name)
    names["name_key"] = _same_objects(names["name_key"], names["name_std"])
    phone = standardise_phone(_column(frame, "phone"))
    places = standardise_addresses(frame)
    added = pd.concat(
        [
            nik,
            names,
            pd.DataFrame({"birth_date_std": birth_date, "sex_std": sex, "phone_std": phone}),
            places,
            pd.DataFrame({"birth_place_std": standardise_place(_column(frame, "birth_place"))}),
        ],
        axis=1,
    )
    return added[list(STANDARDISED_COLUMNS)]


_NIK_COLUMNS = ("nik_std", "nik_valid", "nik_issue", "nik_birth_date", "nik_sex", "nik_agrees")


def _kk_like_against(
    frame: pd.DataFrame, added: pd.DataFrame, today: dt.date, kk_values: np.ndarray
) -> pd.DataFrame:
    """Decide the NIK check again for every NIK still valid that equals one of ``kk_values`` (cleaned
    KK numbers of other records): :func:`standardise_nik` itself, on a small frame of those records plus
    one record holding each such KK number (the check only asks whether the NIK is among the KK numbers
    it is given)."""
    known = pd.notna(kk_values)
    valid = added["nik_valid"].to_numpy(dtype=bool)
    nik_values = added["nik_std"].to_numpy(dtype=object)
    suspects = np.flatnonzero(valid & pd.Series(nik_values).isin(set(kk_values[known])).to_numpy())
    if len(suspects) == 0:
        return added
    wanted = sorted(set(nik_values[suspects]))
    kk = frame.get("kk_number")
    own_kk = [None] * len(suspects) if kk is None else list(kk.to_numpy(dtype=object)[suspects])
    blank = [None] * len(wanted)
    redo = standardise_nik(
        pd.Series([*_column(frame, "nik").to_numpy(dtype=object)[suspects], *blank], dtype=object),
        pd.Series([*added["birth_date_std"].to_numpy(dtype=object)[suspects], *blank], dtype=object),
        pd.Series([*added["sex_std"].to_numpy(dtype=object)[suspects], *blank], dtype=object),
        pd.Series([*own_kk, *wanted], dtype=object),
        today=today,
    ).iloc[: len(suspects)]
    added = added.copy()
    for column in _NIK_COLUMNS:
        added.iloc[suspects, added.columns.get_loc(column)] = redo[column].array
    return added


def kk_number_values(kk_numbers: pd.Series) -> np.ndarray:
    """The distinct cleaned KK numbers of ``kk_numbers`` (raw, as the sources send them): what
    :func:`standardise_records` takes as ``kk_numbers``."""
    distinct = pd.Series(pd.unique(kk_numbers.dropna().to_numpy(dtype=object)), dtype=object)
    cleaned = clean_nik_text(distinct)[0].to_numpy(dtype=object)
    return np.asarray(pd.unique(cleaned[pd.notna(cleaned)]), dtype=object)


def standardise_records(
    frame: pd.DataFrame,
    *,
    today: dt.date | None = None,
    executor: Executor | None = None,
    kk_numbers: np.ndarray | None = None,
) -> pd.DataFrame:
    """Return a copy of ``frame`` (same index and order, original columns kept) with the
    :data:`STANDARDISED_COLUMNS` added (replacing any earlier standardised columns).

    ``executor``: where chunks of records are standardised (default: this process); the result is the
    same with any executor. ``kk_numbers``: cleaned KK numbers of records outside the frame
    (:func:`kk_number_values`) that the NIK's KK-number check counts too: an incremental run standardises
    only the records it decides again, and a NIK equal to a KK number of the registry's other records
    must be judged as a run over all of them judges it."""
    today = today or dt.date.today()
    executor = executor or LocalExecutor()
    out = frame.drop(columns=[c for c in STANDARDISED_COLUMNS if c in frame]).copy()
    bounds = chunk_bounds(len(frame), executor.records_per_chunk, executor.partitions)
    if len(bounds) <= 1:
        added = _standardised_columns(frame, today)
    else:
        chunks = [frame.iloc[start:stop] for start, stop in bounds]
        added = concat_rows(executor.map(_standardised_columns, chunks, today), ignore_index=False)
        kk = frame.get("kk_number")
        if kk is not None:
            added = _kk_like_against(frame, added, today, clean_nik_text(kk)[0].to_numpy(dtype=object))
    if kk_numbers is not None and len(kk_numbers):
        added = _kk_like_against(frame, added, today, np.asarray(kk_numbers, dtype=object))
    log.info(
        "standardised %d records: %d valid NIKs, %d birth dates, %d phones, %d kelurahan codes",
        len(frame),
        int(added["nik_valid"].sum()),
        int(added["birth_date_std"].notna().sum()),
        int(added["phone_std"].notna().sum()),
        int(added["kelurahan_code"].notna().sum()),
    )
    for column in STANDARDISED_COLUMNS:
        out[column] = added[column]
    return out
