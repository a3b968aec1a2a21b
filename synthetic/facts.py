"""What an existing drop says about its people, read back from the agencies' text.

The next night's changes and new registrations need a person's best-known NIK and name, and for a
sample of people their birth date, sex, address and phone, read from the civil-registry record when
there is one (the most official), else from a health-insurance record, and put back into the
population's shape so the same exporters can render new records for them. Persons are identified
by their number (``P00001234`` → 1234). Parsing is vectorised: drops have millions of rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthetic.calendar import MONTHS_ID
from synthetic.regions import kelurahan_table

__all__ = [
    "parse_dates",
    "parse_jkn_streets",
    "kelurahan_index",
    "clean_nik",
    "parse_phones",
    "reference_niks",
    "person_facts",
    "INVALID_DAY",
]

#: Day number returned for an empty or unparseable date.
INVALID_DAY = -(10**9)
_MONTH = {name.upper(): i + 1 for i, name in enumerate(MONTHS_ID)} | {"PEBRUARI": 2, "NOPEMBER": 11}
_RTRW = r"^(.*?)\s+RT\.?\s?(\d{1,3})\s*(?:/\s*RW\.?\s?|RW\.?\s?|/)\s*(\d{1,3})$"
_JUNK = "|".join([f"{d}{{16}}" for d in range(10)] + [r"\d{4}0{12}", r"0{15}\d", "1234567890123456"])


def _days(values: pd.Series) -> np.ndarray:
    return values.to_numpy("datetime64[ns]").astype("datetime64[D]").astype(np.int64)


def parse_dates(values: pd.Series) -> np.ndarray:
    """Day numbers of dates in any of the agencies' formats (``DD-MM-YYYY``, ``DD/MM/YYYY``,
    ``YYYY-MM-DD``, ``17 Agustus 1985``); :data:`INVALID_DAY` where empty or unparseable."""
    text = pd.Series(values, dtype="string[pyarrow]").reset_index(drop=True)
    out = np.full(len(text), INVALID_DAY, dtype=np.int64)
    for fmt in ("%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d"):
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
        ok = parsed.notna().to_numpy()
        out[ok] = _days(parsed[ok])
    parts = text.str.extract(r"^(\d{1,2}) ([A-Za-z]+) (\d{4})$")
    month = parts[1].str.upper().map(_MONTH)
    long = parts[0].notna() & month.notna()
    if long.any():
        frame = pd.DataFrame(
            {
                "year": parts.loc[long, 2].astype(int),
                "month": month[long].astype(int),
                "day": parts.loc[long, 0].astype(int),
            }
        )
        parsed = pd.to_datetime(frame, errors="coerce")
        ok = parsed.notna()
        out[np.flatnonzero(long.to_numpy())[ok.to_numpy()]] = _days(parsed[ok])
    return out


def parse_jkn_streets(alamat: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Street part, RT and RW of health-insurance ``alamat`` lines (RT/RW 1 when not written)."""
    text = pd.Series(alamat, dtype="string[pyarrow]").reset_index(drop=True)
    parts = text.str.extract(_RTRW)
    found = parts[0].notna()
    street = np.where(found, parts[0], text).astype(object)
    rt = pd.to_numeric(parts[1], errors="coerce").fillna(1).clip(lower=1).astype(np.int64).to_numpy()
    rw = pd.to_numeric(parts[2], errors="coerce").fillna(1).clip(lower=1).astype(np.int64).to_numpy()
    return street, rt, rw


def kelurahan_index(kelurahan: pd.Series, kecamatan: pd.Series) -> np.ndarray:
    """Kelurahan table index for (kelurahan, kecamatan) names in any known spelling; -1 if unknown."""
    table = kelurahan_table()
    lookup: dict[tuple[str, str], int] = {}
    for i, row in enumerate(table.itertuples()):
        for kel in (row.kelurahan, *row.kel_variants):
            for kec in (row.kecamatan, *row.kec_variants):
                lookup[(kel, kec)] = i
    pairs = zip(kelurahan.tolist(), kecamatan.tolist(), strict=True)
    return np.array([lookup.get(pair, -1) for pair in pairs], dtype=np.int64)


def clean_nik(values: pd.Series) -> np.ndarray:
    """NIK as an integer where the text is exactly 16 digits and not an obvious placeholder, else 0."""
    text = pd.Series(values, dtype="string[pyarrow]").reset_index(drop=True)
    ok = text.str.fullmatch(r"\d{16}") & ~text.str.fullmatch(_JUNK)
    return pd.to_numeric(text.where(ok, "0")).astype(np.int64).to_numpy()


def parse_phones(values: pd.Series) -> np.ndarray:
    """Phone numbers as national significant numbers (no leading ``0``/``62``/``+62``), 0 where empty."""
    text = pd.Series(values, dtype="string[pyarrow]").reset_index(drop=True)
    digits = text.str.replace(r"^(\+62|62|0)", "", regex=True)
    return pd.to_numeric(digits, errors="coerce").fillna(0).astype(np.int64).to_numpy()


def reference_niks(sources: dict[str, pd.DataFrame], person_of: dict[str, np.ndarray]) -> pd.DataFrame:
    """Each person's best-known NIK, indexed by person number: ``best`` (the civil registry's, else the
    most frequent clean NIK) and ``insured`` (the most frequent clean NIK held by at least two
    insurance records; 0 when none)."""
    parts = [
        pd.DataFrame({"person": person_of[s], "nik": clean_nik(f["nik"]), "city": s == "penduduk_depok"})
        for s, f in sources.items()
    ]
    held = pd.concat(parts, ignore_index=True)
    held = held[held["nik"] > 0]
    counts = held.groupby(["person", "nik", "city"], sort=False).size().rename("n").reset_index()
    counts = counts.sort_values(["person", "city", "n"], ascending=[True, False, False], kind="stable")
    best = counts.drop_duplicates("person").set_index("person")["nik"]
    insured = counts[~counts["city"] & (counts["n"] >= 2)].sort_values(
        ["person", "n"], ascending=[True, False]
    )
    insured = insured.drop_duplicates("person").set_index("person")["nik"]
    return pd.DataFrame({"best": best, "insured": insured.reindex(best.index).fillna(0).astype(np.int64)})


def person_facts(
    sources: dict[str, pd.DataFrame], person_of: dict[str, np.ndarray], persons: np.ndarray
) -> pd.DataFrame:
    """Facts of the given persons who have a civil-registry or health-insurance record with a usable
    NIK, birth date and kelurahan, one row each (index: person number), plus their JKN ``segment``."""
    city, jkn = sources["penduduk_depok"], sources["bpjs_kesehatan"]
    in_city = np.flatnonzero(np.isin(person_of["penduduk_depok"], persons))
    in_jkn = np.flatnonzero(np.isin(person_of["bpjs_kesehatan"], persons))
    c, j = city.iloc[in_city].reset_index(drop=True), jkn.iloc[in_jkn].reset_index(drop=True)
    street, rt, rw = parse_jkn_streets(j["alamat"])
    phone_of = pd.Series(parse_phones(j["no_hp"]), index=person_of["bpjs_kesehatan"][in_jkn])
    phone_of = phone_of[phone_of > 0].groupby(level=0).first()
    segment_of = pd.Series(j["segmen"].to_numpy(object), index=person_of["bpjs_kesehatan"][in_jkn])
    segment_of = segment_of.groupby(level=0).first()
    frames = [
        pd.DataFrame(
            {
                "person": person_of["penduduk_depok"][in_city],
                "rank": 0,
                "name": c["nama_lengkap"].to_numpy(object),
                "nik": clean_nik(c["nik"]),
                "kk": clean_nik(c["no_kk"]),
                "birth": parse_dates(c["tanggal_lahir"]),
                "sex": c["jenis_kelamin"].to_numpy(np.int64),
                "street": c["alamat"].to_numpy(object),
                "rt": c["rt"].astype(int).to_numpy(),
                "rw": c["rw"].astype(int).to_numpy(),
                "kel": kelurahan_index(c["kelurahan"], c["kecamatan"]),
                "birthplace": c["tempat_lahir"].str.title().to_numpy(object),
            }
        ),
        pd.DataFrame(
            {
                "person": person_of["bpjs_kesehatan"][in_jkn],
                "rank": 1,
                "name": j["nama_peserta"].to_numpy(object),
                "nik": clean_nik(j["nik"]),
                "kk": 0,
                "birth": parse_dates(j["tgl_lahir"]),
                "sex": np.where(j["jenis_kelamin"].to_numpy(object) == "L", 1, 2),
                "street": street,
                "rt": rt,
                "rw": rw,
                "kel": kelurahan_index(j["kelurahan"], j["kecamatan"]),
                "birthplace": "",
            }
        ),
    ]
    facts = pd.concat(frames, ignore_index=True)
    facts = facts[(facts["nik"] > 0) & (facts["birth"] > INVALID_DAY) & (facts["kel"] >= 0)]
    facts = facts.sort_values(["person", "rank"], kind="stable").drop_duplicates("person").set_index("person")
    facts["phone"] = phone_of.reindex(facts.index).fillna(0).astype(np.int64)
    facts["segment"] = segment_of.reindex(facts.index).fillna("").astype(object)
    return facts.drop(columns="rank")
