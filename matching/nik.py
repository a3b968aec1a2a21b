"""NIK (Nomor Induk Kependudukan) cleaning, validation and decoding.

Structure ``PPKKCC DDMMYY NNNN``: province, kab/kota, kecamatan of issue; day of birth (+40 for women),
month, two-digit year; serial. Validation follows domain.md §1.3: 16 digits after stripping spaces,
dots, hyphens and a leading Excel apostrophe; a province code from the Kemendagri list; a day 01–31 or
41–71 and a month that form a real date in some century; serial not 0000; no placeholder; not the
record's own family-card (KK) number (nor another record's KK number that is not this person's birth
date). The century of the decoded birth date is the one that puts it on or before today, unless the
record's own birth year says which one it is.

Nothing is repaired silently: a NIK read back from a float (``3276015708900001.0``) keeps its digits
when they are exact (below 2**53) but carries ``nik_issue = 'float_text'``. Text work runs in Arrow
kernels, digit checks on a numpy digit matrix.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from matching.dates import assemble_iso_dates
from matching.text import arrow_text, from_arrow, kept_objects

__all__ = ["PROVINCE_CODES", "PLACEHOLDER_NIKS", "standardise_nik", "clean_nik_text"]

#: Kemendagri province codes (38 provinces, 2022).
PROVINCE_CODES: frozenset[str] = frozenset(
    [str(c) for c in range(11, 20)]
    + ["21"]
    + [str(c) for c in range(31, 37)]
    + ["51", "52", "53"]
    + [str(c) for c in range(61, 66)]
    + [str(c) for c in range(71, 77)]
    + ["81", "82"]
    + [str(c) for c in range(91, 97)]
)

#: Well-known junk values typed when the NIK is unknown (besides runs of one repeated digit).
PLACEHOLDER_NIKS: frozenset[str] = frozenset(
    {
        "1234567890123456",
        "0123456789012345",
        "6543210987654321",
        "9876543210987654",
        "1234567812345678",
        "1111222233334444",
        "1212121212121212",
        "9999999999999998",
    }
)

_FLOAT_LIMIT = 2**53
_PROVINCES = np.zeros(100, dtype=bool)
_PROVINCES[[int(c) for c in PROVINCE_CODES]] = True


def clean_nik_text(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Strip separators and Excel artefacts. Returns (digits-or-text, issue) as object Series on the
    input's index (None where the input is missing or blank)."""
    original = arrow_text(values)
    text = pc.utf8_upper(pc.utf8_trim_whitespace(original))
    scientific = pc.fill_null(pc.match_substring_regex(text, r"^\d(?:[.,]\d+)?E\+?\d+$"), False)
    text = pc.utf8_ltrim(text, characters="'`")
    float_text = pc.fill_null(pc.match_substring_regex(text, r"^\d{15,17}\.0+$"), False)
    text = pc.if_else(float_text, pc.replace_substring_regex(text, r"\.0+$", ""), text)
    as_float = pd.to_numeric(from_arrow(pc.if_else(float_text, text, None), values.index), errors="coerce")
    too_big = (as_float >= _FLOAT_LIMIT).to_numpy()
    text = pc.replace_substring_regex(text, r"[\s.\-_/]", "")
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, type=pa.string()), text)
    # the input's own objects where the text is left as it was (most NIKs): no new str for them
    digits = pd.Series(
        kept_objects(text, original, values.to_numpy(dtype=object)), index=values.index, dtype=object
    )
    scientific = scientific.to_numpy(zero_copy_only=False)
    float_text = float_text.to_numpy(zero_copy_only=False)
    issue = np.full(len(values), None, dtype=object)
    issue[float_text & ~too_big] = "float_text"
    issue[scientific | too_big] = "excel_damage"
    digits[scientific | too_big] = None
    return digits, pd.Series(issue, index=values.index, dtype=object)


def _digit_matrix(niks: np.ndarray) -> np.ndarray:
    """(n, 16) uint8 digits of 16-digit ASCII strings."""
    if len(niks) == 0:
        return np.zeros((0, 16), dtype=np.uint8)
    raw = np.frombuffer("".join(niks.tolist()).encode("ascii"), dtype=np.uint8)
    return (raw.reshape(-1, 16) - ord("0")).astype(np.uint8)


def standardise_nik(
    nik: pd.Series,
    birth_date_std: pd.Series,
    sex_std: pd.Series,
    kk_number: pd.Series | None = None,
    *,
    today: dt.date | None = None,
) -> pd.DataFrame:
    """Clean, validate and decode NIKs.

    Returns columns ``nik_std`` (16 digits or None), ``nik_valid`` (bool), ``nik_issue`` (None or one
    of 'excel_damage', 'not_digits', 'wrong_length', 'placeholder', 'bad_region', 'bad_date',
    'bad_serial', 'kk_like', 'float_text'), ``nik_birth_date`` (ISO), ``nik_sex`` ('L'/'P') and
    ``nik_agrees`` (nullable boolean: the decoded date and sex equal the record's own, where known).
    """
    today = today or dt.date.today()
    n = len(nik)
    digits, issue = clean_nik_text(nik)
    text = digits.to_numpy(dtype=object)
    issue = issue.to_numpy(dtype=object)
    present = pd.notna(text)
    arrow = arrow_text(digits)
    numeric = pc.fill_null(pc.match_substring_regex(arrow, r"^\d+$"), False).to_numpy(zero_copy_only=False)
    length = pc.fill_null(pc.utf8_length(arrow), 0).to_numpy(zero_copy_only=False)
    bad = np.full(n, None, dtype=object)
    bad[present & ~numeric] = "not_digits"
    bad[present & numeric & (length != 16)] = "wrong_length"

    cand = np.flatnonzero(present & numeric & (length == 16))
    niks = text[cand].astype(str)
    d = _digit_matrix(niks).astype(np.int64)
    placeholder = (d == d[:, :1]).all(axis=1) | np.isin(niks, list(PLACEHOLDER_NIKS))
    region_bad = ~_PROVINCES[d[:, 0] * 10 + d[:, 1]] | ((d[:, 2] == 0) & (d[:, 3] == 0))
    dd = d[:, 6] * 10 + d[:, 7]
    mm = d[:, 8] * 10 + d[:, 9]
    yy = d[:, 10] * 10 + d[:, 11]
    serial_zero = (d[:, 12:] == 0).all(axis=1)
    female = dd > 40
    day = np.where(female, dd - 40, dd).astype(float)
    own = birth_date_std.to_numpy(dtype=object)[cand]
    own_year = pd.to_numeric(pd.Series(own, dtype=object).str[:4], errors="coerce").to_numpy(dtype=float)
    late = assemble_iso_dates(2000 + yy, mm, day)
    early = assemble_iso_dates(1900 + yy, mm, day)
    late_ok = pd.notna(late) & (late.astype(str) <= today.isoformat())
    pick_late = np.where(own_year == 2000 + yy, True, np.where(own_year == 1900 + yy, False, late_ok))
    decoded = np.where(pick_late & pd.notna(late), late, early)
    date_bad = pd.isna(decoded) | ((dd > 31) & (dd < 41)) | (dd == 0) | (dd > 71)
    decoded = np.where(date_bad, None, decoded)

    reason = np.full(len(cand), None, dtype=object)
    for flag, name in (
        (serial_zero, "bad_serial"),
        (date_bad, "bad_date"),
        (region_bad, "bad_region"),
        (placeholder, "placeholder"),
    ):
        reason[flag] = name  # later assignments win: placeholder is the most telling
    if kk_number is not None:
        kk_digits, _ = clean_nik_text(kk_number)
        kk_text = kk_digits.to_numpy(dtype=object)
        same_as_own = kk_text[cand] == niks
        dob_differs = pd.notna(own) & (own != decoded)
        other_kk = np.isin(niks, kk_text[pd.notna(kk_text)].astype(str)) & dob_differs
        reason[(same_as_own | other_kk) & pd.isna(reason)] = "kk_like"
    bad[cand] = reason
    valid = np.zeros(n, dtype=bool)
    valid[cand[pd.isna(reason)]] = True
    issue = np.where(pd.notna(bad), bad, issue)

    nik_std = np.where(valid, text, None)
    birth = np.full(n, None, dtype=object)
    birth[cand] = decoded
    birth[~valid] = None
    sex = np.full(n, None, dtype=object)
    sex[cand] = np.where(female, "P", "L")
    sex[~valid] = None

    rec_dob = birth_date_std.to_numpy(dtype=object)
    rec_sex = sex_std.to_numpy(dtype=object)
    dob_known = pd.notna(rec_dob)
    sex_known = pd.notna(rec_sex)
    same_date = dob_known & (rec_dob == birth)
    dob_ok = ~dob_known | same_date
    birth = np.where(same_date, rec_dob, birth)  # the record's own date objects where they agree
    sex_ok = ~sex_known | (rec_sex == sex)
    agrees = pd.array(dob_ok & sex_ok, dtype="boolean")
    agrees[~valid | ~(dob_known | sex_known)] = pd.NA
    return pd.DataFrame(
        {
            "nik_std": pd.Series(nik_std, index=nik.index, dtype=object),
            "nik_valid": pd.Series(valid, index=nik.index, dtype=bool),
            "nik_issue": pd.Series(issue, index=nik.index, dtype=object),
            "nik_birth_date": pd.Series(birth, index=nik.index, dtype=object),
            "nik_sex": pd.Series(sex, index=nik.index, dtype=object),
            "nik_agrees": pd.Series(agrees, index=nik.index),
        }
    )
