"""Depok addresses: RT/RW, kelurahan and kecamatan, resolved to Kemendagri 2025 codes.

Sources send the place in two shapes: separate ``rt``/``rw``/``kelurahan``/``kecamatan`` columns
(civil registry, partly BPJS Kesehatan) or one free-text line such as
``Jl. Margonda Raya No.12, RT.3/RW.5, Kel. Pondok Cina, Kec. Beji, Depok`` (BPJS Ketenagakerjaan).
Separate columns win; the text fills the gaps.

Names are matched on a compact form (letters only: ``KEMIRI MUKA`` = ``KEMIRIMUKA``) against the
official names plus the spelling variants of ``reference/depok_name_variants.csv`` and the BPS/postal
spellings of the crosswalk, then fuzzily (edit distance 1 for short names, 2 for long ones, and only
when the best candidate is unique). A kelurahan is keyed on (kecamatan, kelurahan): ``CURUG`` exists
in both Cimanggis and Bojongsari and stays unresolved without its kecamatan. When a unique kelurahan
name comes with another kecamatan (old records before the 2000s splits), the kelurahan wins.
Work happens once per distinct text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from matching.reference import depok_crosswalk, depok_regions, read_table
from matching.text import (
    arrow_text,
    ascii_digits,
    extract,
    from_arrow,
    missing_series,
    on_distinct,
    replace_many,
)

__all__ = ["standardise_addresses", "parse_address_text", "resolve_places", "compact_place"]

# RE2 patterns (Arrow compute): no look-arounds, so terminators are consumed instead.
_RT_RW = (
    r"\bRT\s*/\s*RW\s*[.:]?\s*(?P<rt>\d{1,3})\s*/\s*(?P<rw>\d{1,3})\b",
    r"\bR\.?\s?T\s*[.:]?\s*(?P<rt>\d{1,3})\s*(?:[/,\-]|\s)\s*(?:R\.?\s?W\s*[.:]?\s*)?(?P<rw>\d{1,3})\b",
)
_RT_ONLY = r"\bR\.?\s?T\s*[.:]?\s*(?P<rt>\d{1,3})\b"
_RW_ONLY = r"\bR\.?\s?W\s*[.:]?\s*(?P<rw>\d{1,3})\b"
_NAME = r"(?P<name>[A-Z][A-Z .'\-]*?)\s*"
_KEL = r"\b(?:KELURAHAN|KEL|DESA|DS)\b\.?\s*" + _NAME + r"(?:,|;|\bKEC\b|\bKECAMATAN\b|\bKOTA\b|$)"
_KEC = r"\b(?:KECAMATAN|KEC)\b\.?\s*" + _NAME + r"(?:,|;|\bKOTA\b|\bKAB\b|\bKABUPATEN\b|\bDEPOK\s*$|$)"
_STREET_CUT = (
    r"[,;]?\s*(?:\bR\.?\s?T\s*[.:/]?\s*(?:\d|RW)|\bR\.?\s?W\s*[.:]?\s*\d|\bKEL\b|\bKELURAHAN\b|\bKEC\b"
    r"|\bKECAMATAN\b|\bDESA\b).*$"
)
_STREET_WORDS = (
    (r"\b(?:JALAN|JLN|JL)\b\.?", "JL "),
    (r"\b(?:GANG|GG)\b\.?", "GG "),
    (r"\b(?:NOMOR|NO)\b\.?", "NO "),
    (r"\b(?:KOMPLEK|KOMPLEKS|KOMP)\b\.?", "KOMP "),
    (r"\b(?:PERUMAHAN|PERUM)\b\.?", "PERUM "),
    (r"\b(?:KAMPUNG|KP)\b\.?", "KP "),
    (r"[^A-Z0-9 ]", " "),
    (r"\s+", " "),
)
_ABBREVIATIONS = (
    (r"\bPD\b\.?", "PONDOK"),
    (r"\bBR\b\.?", "BARU"),
    (r"\bSEL\b\.?", "SELATAN"),
    (r"\bGN\b\.?", "GUNUNG"),
    (r"\bTIM\b\.?", "TIMUR"),
    (r"\bKEL\b\.?", ""),
    (r"\bKELURAHAN\b", ""),
    (r"\bKEC\b\.?", ""),
    (r"\bKECAMATAN\b", ""),
    (r"\bDESA\b", ""),
    (r"[^A-Z]", ""),
)


def _compact_distinct(names: pd.Series) -> pd.Series:
    array = replace_many(pc.utf8_upper(arrow_text(names)), _ABBREVIATIONS)
    return from_arrow(array, names.index).fillna("")


def compact_place(names: pd.Series) -> pd.Series:
    """Upper-case letters only, with the usual abbreviations (``PD.`` = PONDOK) expanded;
    missing or blank -> ''."""
    return on_distinct(names, _compact_distinct).fillna("")


@dataclass(frozen=True)
class _Gazetteer:
    kec_name: dict[str, str]  # kecamatan code -> official name
    kel_name: dict[str, str]  # kelurahan code -> official name
    kel_kec: dict[str, str]  # kelurahan code -> kecamatan code
    kec_by_compact: dict[str, str]  # compact spelling -> kecamatan code
    kel_by_compact: dict[str, tuple[str, ...]]  # compact spelling -> kelurahan codes (CURUG: two)


@cache
def _gazetteer() -> _Gazetteer:
    regions = depok_regions()
    kec = regions[regions["level"] == "kecamatan"]
    kel = regions[regions["level"] == "kelurahan"]
    cross = depok_crosswalk()
    variants = read_table("depok_name_variants.csv")
    kec_spellings = pd.concat(
        [
            pd.DataFrame({"code": kec["kode_kemendagri"], "name": kec["nama"]}),
            pd.DataFrame({"code": cross["kode_kec_kemendagri"], "name": cross["kecamatan_bps"]}),
            variants.loc[
                variants["kode_kemendagri"].str.count(r"\.") == 2, ["kode_kemendagri", "variant"]
            ].set_axis(["code", "name"], axis=1),
        ]
    )
    kel_spellings = pd.concat(
        [
            pd.DataFrame({"code": kel["kode_kemendagri"], "name": kel["nama"]}),
            pd.DataFrame({"code": cross["kode_kemendagri"], "name": cross["nama_bps"]}),
            pd.DataFrame({"code": cross["kode_kemendagri"], "name": cross["nama_pos"]}),
            variants.loc[
                variants["kode_kemendagri"].str.count(r"\.") == 3, ["kode_kemendagri", "variant"]
            ].set_axis(["code", "name"], axis=1),
        ]
    )
    kec_spellings["compact"] = compact_place(kec_spellings["name"])
    kel_spellings["compact"] = compact_place(kel_spellings["name"])
    kec_by_compact = dict(zip(kec_spellings["compact"], kec_spellings["code"], strict=True))
    kel_groups = kel_spellings.drop_duplicates(["compact", "code"]).groupby("compact")["code"]
    kel_by_compact = {k: tuple(sorted(v)) for k, v in kel_groups}
    return _Gazetteer(
        kec_name=dict(zip(kec["kode_kemendagri"], kec["nama"], strict=True)),
        kel_name=dict(zip(kel["kode_kemendagri"], kel["nama"], strict=True)),
        kel_kec=dict(zip(kel["kode_kemendagri"], kel["kode_kec"], strict=True)),
        kec_by_compact=kec_by_compact,
        kel_by_compact=kel_by_compact,
    )


def _with_fuzzy(values: pd.Series, lookup: dict[str, object]) -> dict[str, object]:
    """``lookup`` extended with fuzzy corrections of the distinct unknown ``values``: the closest
    spelling by edit distance (<= 1 for names up to 6 letters, <= 2 above), when every spelling at
    that distance means the same place."""
    unknown = sorted({v for v in values.unique() if v not in lookup and len(v) >= 3})
    extended = dict(lookup)
    if not unknown:
        return extended
    choices = list(lookup)
    targets = np.array([str(lookup[c]) for c in choices], dtype=object)
    dist = process.cdist(unknown, choices, scorer=Levenshtein.distance, workers=-1, dtype=np.int32)
    best = dist.min(axis=1)
    limit = np.where(np.array([len(v) for v in unknown]) <= 6, 1, 2)
    for row, value in enumerate(unknown):
        if best[row] > limit[row]:
            continue
        hits = np.flatnonzero(dist[row] == best[row])
        if len(set(targets[hits])) == 1:
            extended[value] = lookup[choices[hits[0]]]
    return extended


def resolve_places(kelurahan: pd.Series, kecamatan: pd.Series) -> pd.DataFrame:
    """Resolve raw (kelurahan, kecamatan) names to codes. Returns ``kelurahan_code``,
    ``kecamatan_code``, ``kelurahan_std``, ``kecamatan_std`` on the input index."""
    gaz = _gazetteer()
    pairs = pd.DataFrame({"kel": compact_place(kelurahan), "kec": compact_place(kecamatan)})
    distinct = pairs.drop_duplicates().reset_index(drop=True)

    kec_code = distinct["kec"].map(_with_fuzzy(distinct["kec"], gaz.kec_by_compact))
    kel_codes = distinct["kel"].map(_with_fuzzy(distinct["kel"], gaz.kel_by_compact))

    # One name, several kelurahan (CURUG): the kecamatan decides.
    candidates = kel_codes.explode().dropna()
    inside = candidates[
        candidates.map(gaz.kel_kec).to_numpy() == kec_code.reindex(candidates.index).to_numpy()
    ]
    n_codes = kel_codes.map(len, na_action="ignore")
    single = candidates[(n_codes.reindex(candidates.index) == 1).to_numpy()]
    chosen = single.combine_first(inside[~inside.index.duplicated(keep=False)])
    kel_code = chosen.reindex(distinct.index)
    distinct["kelurahan_code"] = kel_code
    from_kel = distinct["kelurahan_code"].map(gaz.kel_kec)
    distinct["kecamatan_code"] = from_kel.where(from_kel.notna(), kec_code)
    distinct["kelurahan_std"] = distinct["kelurahan_code"].map(gaz.kel_name)
    distinct["kecamatan_std"] = distinct["kecamatan_code"].map(gaz.kec_name)

    merged = pairs.merge(distinct, on=["kel", "kec"], how="left")
    out = merged[["kelurahan_code", "kecamatan_code", "kelurahan_std", "kecamatan_std"]]
    out = out.astype(object).where(out.notna(), None)
    out.index = kelurahan.index
    return out


def _fill(values: pd.Series, fallback: pd.Series) -> pd.Series:
    """``values`` with its missing entries taken from ``fallback`` (object dtype kept)."""
    return values.astype(object).where(values.notna(), fallback.astype(object))


def _extract_first(
    text: pa.Array, index: pd.Index, patterns: tuple[str, ...], columns: list[str]
) -> pd.DataFrame:
    found = pd.DataFrame({c: missing_series(index) for c in columns})
    for pattern in patterns:
        hit = extract(text, pattern, index)
        take = found[columns[0]].isna() & hit[columns[0]].notna()
        for column in columns:
            found.loc[take, column] = hit.loc[take, column]
    return found


def _parse_distinct(distinct: pd.Series) -> pd.DataFrame:
    index = distinct.index
    text = pc.utf8_trim_whitespace(
        pc.replace_substring_regex(pc.utf8_upper(ascii_digits(arrow_text(distinct))), r"\s+", " ")
    )
    upper = from_arrow(text, index)

    parsed = _extract_first(text, index, _RT_RW, ["rt", "rw"])
    parsed["rt"] = _fill(parsed["rt"], extract(text, _RT_ONLY, index)["rt"])
    parsed["rw"] = _fill(parsed["rw"], extract(text, _RW_ONLY, index)["rw"])
    parsed["kelurahan"] = extract(text, _KEL, index)["name"]
    parsed["kecamatan"] = extract(text, _KEC, index)["name"]

    # Unlabelled places ("..., RT.02/RW.06, Curug, Kec. Cimanggis"): try every comma segment.
    gaz = _gazetteer()
    segments = upper.str.split(r"\s*[,;]\s*", regex=True).explode()
    segments = segments[segments.notna() & (segments.str.len() > 2)]
    seg_compact = compact_place(segments)
    kel_hit = segments[seg_compact.isin(gaz.kel_by_compact)]
    kec_hit = segments[seg_compact.isin(gaz.kec_by_compact) & ~segments.str.contains(r"\bKEL", regex=True)]
    parsed["kelurahan"] = _fill(parsed["kelurahan"], kel_hit.groupby(level=0).first().reindex(index))
    parsed["kecamatan"] = _fill(parsed["kecamatan"], kec_hit.groupby(level=0).last().reindex(index))
    labelled_kec = upper.str.contains(r"\bKEC", regex=True)
    same = (parsed["kelurahan"] == parsed["kecamatan"]) & ~labelled_kec
    parsed.loc[same, "kecamatan"] = None

    street = pc.utf8_trim_whitespace(
        replace_many(pc.replace_substring_regex(text, _STREET_CUT, ""), _STREET_WORDS)
    )
    street = from_arrow(street, index)
    parsed["street"] = street.where(street.notna() & (street != ""), None)
    return parsed


def parse_address_text(address: pd.Series) -> pd.DataFrame:
    """Pull ``rt``, ``rw``, ``kelurahan``, ``kecamatan`` and a normalised ``street`` out of free text.

    Works on the distinct values; returns raw (unresolved) pieces on the input's index.
    """
    columns = ["rt", "rw", "kelurahan", "kecamatan", "street"]
    out = on_distinct(address, _parse_distinct)
    if not isinstance(out, pd.DataFrame) or out.empty:
        return pd.DataFrame({c: missing_series(address.index) for c in columns})
    return out.reindex(columns=columns)


def _pad_distinct(values: pd.Series) -> pd.Series:
    text = from_arrow(ascii_digits(arrow_text(values)), values.index)
    digits = text.str.extract(r"([0-9]{1,3})")[0]
    padded = digits.str.zfill(3)
    return padded.where(padded.notna() & (padded != "000"), None)


def _pad_unit(values: pd.Series) -> pd.Series:
    return on_distinct(values, _pad_distinct)


def standardise_addresses(frame: pd.DataFrame) -> pd.DataFrame:
    """Standardise the address columns of a canonical frame.

    Returns ``rt_std``, ``rw_std`` (3-digit, zero-padded), ``kelurahan_code``, ``kelurahan_std``,
    ``kecamatan_std``, ``kecamatan_code`` and ``street_std`` (street line, normalised, without the
    RT/RW and place parts) on the frame's index.
    """

    def column(name: str) -> pd.Series:
        if name in frame:
            return frame[name].astype("object").where(frame[name].notna(), None)
        return missing_series(frame.index)

    parsed = parse_address_text(column("address"))
    rt = _fill(_pad_unit(column("rt")), _pad_unit(parsed["rt"]))
    rw = _fill(_pad_unit(column("rw")), _pad_unit(parsed["rw"]))
    kel_raw = column("kelurahan").where(column("kelurahan").fillna("").str.strip() != "", parsed["kelurahan"])
    kec_raw = column("kecamatan").where(column("kecamatan").fillna("").str.strip() != "", parsed["kecamatan"])
    places = resolve_places(kel_raw, kec_raw)
    out = pd.DataFrame(
        {
            "rt_std": rt,
            "rw_std": rw,
            "kelurahan_code": places["kelurahan_code"],
            "kelurahan_std": places["kelurahan_std"],
            "kecamatan_std": places["kecamatan_std"],
            "kecamatan_code": places["kecamatan_code"],
            "street_std": parsed["street"],
        },
        index=frame.index,
    )
    return out.astype(object).where(out.notna(), None)
