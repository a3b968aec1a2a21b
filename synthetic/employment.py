"""The employment insurer's (BPJS Ketenagakerjaan) participant list, ``bpjs_ketenagakerjaan.csv``.

An Excel export via the labour office: Title Case names, birthplace, ``YYYY-MM-DD`` birth dates
(sometimes empty), ``Laki-laki``/``Perempuan``, one free-text domicile line, ``+628…``/``628…``/
``08…`` phones, category (PU, BPU, JAKON), free-text occupation, membership start and status. NIKs
are often missing for informal (BPU) workers registered collectively by a platform or community,
and carry Excel damage more often than elsewhere.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthetic.addresses import tk_address_lines
from synthetic.calendar import date_parts, format_days
from synthetic.date_errors import DateErrorRates, perturb_dates
from synthetic.health import household_heads, record_phones
from synthetic.identifiers import NikErrorRates, kpj_numbers, render_niks
from synthetic.name_variants import NameStyle, render_person_names
from synthetic.occupations import tk_texts
from synthetic.phones import format_tk
from synthetic.population import HEAD
from synthetic.rng import stream

__all__ = [
    "EMPLOYMENT_COLUMNS",
    "build_employment",
    "EMPLOYMENT_NAMES",
    "EMPLOYMENT_NIKS",
    "EMPLOYMENT_DATES",
]

#: Column order of ``bpjs_ketenagakerjaan.csv``.
EMPLOYMENT_COLUMNS = (
    "kpj", "nik", "nama", "tempat_lahir", "tanggal_lahir", "gender", "alamat_domisili", "telepon", "kategori",
    "pekerjaan", "tgl_kepesertaan", "status",
)  # fmt: skip
EMPLOYMENT_NAMES = NameStyle(
    title_case=True, honorific=0.05, academic_prefix=0.005, degree=0.06, abbreviation=0.15, modernize=0.4,
    archaize=0.01, typo=0.035, swap=0.006, merge_split=0.015, patronymic=0.01, truncate=0.025,
)  # fmt: skip
EMPLOYMENT_NIKS = NikErrorRates(
    typo=0.012, transposition=0.006, kk_number=0.004, head_nik=0.005, placeholder=0.006, excel_zero=0.015,
    formatting=0.015, length=0.003, scientific=0.001,
)  # fmt: skip
EMPLOYMENT_DATES = DateErrorRates(typo=0.01, swap=0.02, year=0.006, default=0.003)
_EMPTY_NIK = {"BPU": 0.36, "PU": 0.015, "JAKON": 0.1}
_EMPTY_DATE = 0.03
_SEX_ERROR = 0.005
_PLACE_VARIANTS = {
    "Bogor": ("Kab. Bogor", "Kota Bogor"),
    "Jakarta": ("Dki Jakarta", "Jakarta Selatan"),
    "Solo": ("Surakarta",),
    "Surakarta": ("Solo",),
    "Tangerang": ("Tangerang Selatan",),
}


def _birthplaces(rng: np.random.Generator, places: np.ndarray) -> np.ndarray:
    out = places.copy()
    for i in np.flatnonzero(rng.random(len(places)) < 0.08):
        options = _PLACE_VARIANTS.get(out[i])
        if options:
            out[i] = options[int(rng.integers(len(options)))]
    return out


def build_employment(
    pop: pd.DataFrame, records: pd.DataFrame, seed: int, today: int, taken_ids: np.ndarray | None = None
) -> pd.DataFrame:
    """The employment-insurance export for these records, rows shuffled; ``_``-prefixed columns are
    diagnostics that are never written."""
    rng = stream(seed, "bpjs_ketenagakerjaan")
    person = records["person"].to_numpy()
    n = len(person)
    col = {
        c: pop[c].to_numpy()[person]
        for c in ("sex", "age", "birth", "moved", "role", "nik", "kk", "head_nik")
    }
    category = records["category"].to_numpy(object)
    second = records["second"].to_numpy()
    empty = np.array([_EMPTY_NIK[c] for c in category]) + np.where(second, 0.2, 0.0)
    nik, nik_error = render_niks(
        rng, col["nik"], col["kk"], col["head_nik"], col["role"] != HEAD, empty, EMPLOYMENT_NIKS
    )
    name, name_ops = render_person_names(rng, pop, person, col["sex"], col["age"], EMPLOYMENT_NAMES)
    birth, date_error = perturb_dates(rng, col["birth"], EMPLOYMENT_DATES, today)
    birth_text = format_days(birth, "iso")
    no_date = rng.random(n) < _EMPTY_DATE
    birth_text[no_date] = ""
    date_error[no_date] = 0
    sex_error = rng.random(n) < _SEX_ERROR
    sex = np.where(sex_error, 3 - col["sex"], col["sex"])
    use_dom = col["moved"] & (rng.random(n) < 0.85)
    pick = {
        k: np.where(use_dom, pop[f"dom_{k}"].to_numpy()[person], pop[k].to_numpy()[person])
        for k in ("street", "rt", "rw", "kel")
    }
    phone = record_phones(
        rng, pop, person, household_heads(pop), old_share=0.25, family_share=0.3, missing=0.02
    )
    start = records["start"].to_numpy()
    frame = pd.DataFrame(
        {
            "kpj": kpj_numbers(rng, date_parts(start)[0], taken_ids),
            "nik": nik,
            "nama": name,
            "tempat_lahir": _birthplaces(rng, pop["birthplace"].to_numpy()[person]),
            "tanggal_lahir": birth_text,
            "gender": np.where(sex == 1, "Laki-laki", "Perempuan"),
            "alamat_domisili": tk_address_lines(rng, pick["street"], pick["rt"], pick["rw"], pick["kel"]),
            "telepon": format_tk(rng, phone),
            "kategori": category,
            "pekerjaan": tk_texts(rng, pop["occupation"].to_numpy()[person]),
            "tgl_kepesertaan": format_days(start, "iso"),
            "status": np.where(records["active"].to_numpy(), "AKTIF", "NONAKTIF"),
            "_person": pop["person_id"].to_numpy()[person],
            "_nik_error": nik_error,
            "_date_error": date_error,
            "_name_ops": name_ops,
            "_sex_error": sex_error,
        }
    )
    return frame.iloc[rng.permutation(n)].reset_index(drop=True)
