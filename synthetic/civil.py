"""The city's civil-registry extract (Disdukcapil Depok), table ``penduduk`` in ``penduduk_depok.db``.

The most official of the three: KTP names in upper case (titles only where the KTP carries them),
clean NIKs and KK numbers, ``DD/MM/YYYY`` or long Indonesian dates (some with the legacy month
spellings Pebruari/Nopember), ``1``/``2`` sex codes, the KTP address in separate columns and an
occupation from the fixed list of 89 that is rarely updated. Residents only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthetic.addresses import PADDED, draw_addresses
from synthetic.calendar import date_parts, day_number, format_days, random_stamps
from synthetic.date_errors import DateErrorRates, perturb_dates
from synthetic.identifiers import NikErrorRates, compose_kks, digits16, render_niks
from synthetic.name_variants import NameStyle, render_person_names
from synthetic.occupations import city_labels
from synthetic.population import HEAD, MARITAL
from synthetic.regions import DEPOK_PREFIX, kelurahan_table
from synthetic.rng import stream

__all__ = ["CITY_COLUMNS", "CITY_TYPES", "build_city", "CITY_NAMES", "CITY_NIKS", "CITY_DATES"]

#: Column names and SQLite types of table ``penduduk``.
CITY_TYPES = (
    ("id_penduduk", "INTEGER PRIMARY KEY"), ("nik", "TEXT"), ("no_kk", "TEXT"), ("nama_lengkap", "TEXT"),
    ("tempat_lahir", "TEXT"), ("tanggal_lahir", "TEXT"), ("jenis_kelamin", "INTEGER"), ("alamat", "TEXT"),
    ("rt", "TEXT"), ("rw", "TEXT"), ("kelurahan", "TEXT"), ("kecamatan", "TEXT"), ("pekerjaan", "TEXT"),
    ("status_kawin", "TEXT"), ("updated_at", "TEXT"),
)  # fmt: skip
CITY_COLUMNS = tuple(name for name, _ in CITY_TYPES)
CITY_NAMES = NameStyle(
    honorific=0.03, academic_prefix=0.003, degree=0.01, abbreviation=0.01, archaize=0.002, typo=0.004,
    merge_split=0.002, swap=0.0005,
)  # fmt: skip
CITY_NIKS = NikErrorRates(typo=0.0005, transposition=0.0003)
CITY_DATES = DateErrorRates(typo=0.001, swap=0.001, year=0.0005)
_SEX_ERROR = 0.0005


def _city_dates(rng: np.random.Generator, birth: np.ndarray) -> np.ndarray:
    style = rng.random(len(birth))
    _, month, _ = date_parts(birth)
    legacy = np.isin(month, [2, 11]) & (rng.random(len(birth)) < 0.4)
    return np.select(
        [style < 0.66, style < 0.9, legacy],
        [format_days(birth, "dmy_slash"), format_days(birth, "long"), format_days(birth, "long_legacy")],
        format_days(birth, "long_padded"),
    )


def build_city(
    pop: pd.DataFrame, records: pd.DataFrame, seed: int, today: int, first_id: int = 1
) -> pd.DataFrame:
    """The civil-registry rows for these records, in a random ``id_penduduk`` order starting at
    ``first_id``; ``_``-prefixed columns are diagnostics that are never written."""
    rng = stream(seed, "penduduk_depok")
    person = records["person"].to_numpy()
    n = len(person)
    col = {c: pop[c].to_numpy()[person] for c in ("sex", "age", "birth", "role", "nik", "kk", "head_nik")}
    nik, nik_error = render_niks(
        rng, col["nik"], col["kk"], col["head_nik"], col["role"] != HEAD, 0.0, CITY_NIKS
    )
    name, name_ops = render_person_names(rng, pop, person, col["sex"], col["age"], CITY_NAMES)
    birth, date_error = perturb_dates(rng, col["birth"], CITY_DATES, today)
    sex_error = rng.random(n) < _SEX_ERROR
    sex = np.where(sex_error, 3 - col["sex"], col["sex"])
    street = pop["street"].to_numpy()[person].copy()
    rt, rw, kel = (pop[c].to_numpy()[person].copy() for c in ("rt", "rw", "kel"))
    kk = col["kk"].copy()
    # A person registered twice ("NIK ganda"): the second record is a newer KK at the new address.
    dup = np.flatnonzero(records["duplicate"].to_numpy())
    if len(dup):
        moved = pop["moved"].to_numpy()[person[dup]]
        new_street, new_rt, new_rw = draw_addresses(rng, pop["dom_kel"].to_numpy()[person[dup]])
        street[dup] = np.where(moved, pop["dom_street"].to_numpy()[person[dup]], new_street)
        rt[dup] = np.where(moved, pop["dom_rt"].to_numpy()[person[dup]], new_rt)
        rw[dup] = np.where(moved, pop["dom_rw"].to_numpy()[person[dup]], new_rw)
        kel[dup] = pop["dom_kel"].to_numpy()[person[dup]]
        kec = kelurahan_table()["kec_code"].to_numpy()[kel[dup]]
        reg = today - rng.integers(30, 2500, len(dup))
        kk[dup] = compose_kks(rng, DEPOK_PREFIX * 100 + kec, reg)
    table = kelurahan_table()
    marital = np.array(MARITAL, dtype=object)[pop["marital"].to_numpy()[person]]
    marital = np.where((marital == "KAWIN") & (rng.random(n) < 0.15), "KAWIN TERCATAT", marital)
    ids = first_id + rng.permutation(n)
    frame = pd.DataFrame(
        {
            "id_penduduk": ids,
            "nik": nik,
            "no_kk": digits16(kk),
            "nama_lengkap": name,
            "tempat_lahir": np.array([p.upper() for p in pop["birthplace"].to_numpy()[person]], dtype=object),
            "tanggal_lahir": _city_dates(rng, birth),
            "jenis_kelamin": sex.astype(np.int64),
            "alamat": street,
            "rt": PADDED[rt],
            "rw": PADDED[rw],
            "kelurahan": table["kelurahan"].to_numpy(object)[kel],
            "kecamatan": table["kecamatan"].to_numpy(object)[kel],
            "pekerjaan": city_labels(rng, pop["occupation"].to_numpy()[person]),
            "status_kawin": marital,
            "updated_at": random_stamps(
                rng,
                n,
                np.maximum(col["birth"], day_number(pd.Timestamp("2012-01-01").date())),
                today,
                recent=0.05,
            ),
            "_person": pop["person_id"].to_numpy()[person],
            "_nik_error": nik_error,
            "_date_error": date_error,
            "_name_ops": name_ops,
            "_sex_error": sex_error,
        }
    )
    return frame.sort_values("id_penduduk", kind="stable").reset_index(drop=True)
