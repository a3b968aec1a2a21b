"""``standardise_records``: canonical frame in, the same frame plus standardised columns out.

Each field has its own module (``names``, ``nik``, ``dates``, ``phones``, ``addresses``); this one
wires them together in dependency order (the NIK check needs the standardised birth date and sex).
All work is vectorised and, for text fields, done once per distinct value.
"""

from __future__ import annotations

import datetime as dt
import logging

import pandas as pd
import pyarrow.compute as pc

from matching.addresses import standardise_addresses
from matching.dates import parse_dates
from matching.names import standardise_names
from matching.nik import standardise_nik
from matching.phones import standardise_phone
from matching.text import arrow_text, from_arrow, on_distinct, replace_many

__all__ = ["STANDARDISED_COLUMNS", "standardise_records", "standardise_sex", "standardise_place"]

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


def standardise_records(frame: pd.DataFrame, *, today: dt.date | None = None) -> pd.DataFrame:
    """Return a copy of ``frame`` (same index and order, original columns kept) with the
    :data:`STANDARDISED_COLUMNS` added (replacing any earlier standardised columns)."""
    today = today or dt.date.today()
    out = frame.drop(columns=[c for c in STANDARDISED_COLUMNS if c in frame]).copy()
    birth_date = parse_dates(_column(frame, "birth_date"), today=today)
    sex = standardise_sex(_column(frame, "sex"))
    kk = frame.get("kk_number")
    nik = standardise_nik(_column(frame, "nik"), birth_date, sex, kk, today=today)
    names = standardise_names(_column(frame, "full_name"))
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
