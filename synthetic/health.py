"""The health insurer's (BPJS Kesehatan, JKN) participant list, ``bpjs_kesehatan.csv``.

Upper-case names with titles and abbreviations, ``DD-MM-YYYY`` birth dates, ``L``/``P``, the street
line with RT/RW written many ways, kelurahan/kecamatan in several official spellings, ``08…``
phones (often a family member's, often missing), segment, status and last update.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthetic.addresses import jkn_region_names, jkn_street_lines
from synthetic.calendar import day_number, format_days, random_stamps
from synthetic.date_errors import DateErrorRates, perturb_dates
from synthetic.identifiers import NikErrorRates, jkn_card_numbers, render_niks
from synthetic.membership import SEGMENTS
from synthetic.name_variants import NameStyle, render_person_names
from synthetic.phones import format_local
from synthetic.population import HEAD, SPOUSE
from synthetic.rng import stream

__all__ = ["HEALTH_COLUMNS", "build_health", "HEALTH_NAMES", "HEALTH_NIKS", "HEALTH_DATES"]

#: Column order of ``bpjs_kesehatan.csv``.
HEALTH_COLUMNS = (
    "no_kartu", "nik", "nama_peserta", "tgl_lahir", "jenis_kelamin", "alamat", "kelurahan", "kecamatan",
    "no_hp", "segmen", "status_peserta", "tgl_update",
)  # fmt: skip
HEALTH_NAMES = NameStyle(
    honorific=0.12, academic_prefix=0.01, degree=0.05, abbreviation=0.25, modernize=0.35, archaize=0.015,
    typo=0.025, swap=0.004, merge_split=0.012, patronymic=0.015, truncate=0.01,
)  # fmt: skip
HEALTH_NIKS = NikErrorRates(
    typo=0.008, transposition=0.004, kk_number=0.003, head_nik=0.01, placeholder=0.004, excel_zero=0.005,
    formatting=0.008, length=0.002,
)  # fmt: skip
HEALTH_DATES = DateErrorRates(typo=0.008, swap=0.012, year=0.005, default=0.004)
_EMPTY_NIK = 0.03
_SEX_ERROR = 0.003


def household_heads(pop: pd.DataFrame) -> np.ndarray:
    """Row position of each person's household head (the household's first row)."""
    h = pop["household"].to_numpy()
    return pd.Series(np.arange(len(pop))).groupby(h).transform("first").to_numpy()


def record_phones(
    rng: np.random.Generator,
    pop: pd.DataFrame,
    person: np.ndarray,
    head: np.ndarray,
    old_share: float,
    family_share: float,
    missing: float,
) -> np.ndarray:
    """The phone number each record carries: the person's own (sometimes an old one), else often a
    family member's, sometimes none."""
    own = pop["phone"].to_numpy()[person]
    old = pop["phone_old"].to_numpy()[person]
    phone = np.where((old > 0) & (rng.random(len(person)) < old_share), old, own)
    family = pop["phone"].to_numpy()[head[person]]
    role = pop["role"].to_numpy()[person]
    borrow = ((phone == 0) & (rng.random(len(person)) < family_share)) | (
        (role == SPOUSE) & (rng.random(len(person)) < 0.08)
    )
    phone = np.where(borrow & (family > 0), family, phone)
    return np.where(rng.random(len(person)) < missing, 0, phone)


def build_health(
    pop: pd.DataFrame, records: pd.DataFrame, seed: int, today: int, taken_ids: np.ndarray | None = None
) -> pd.DataFrame:
    """The JKN export for these records, rows shuffled; ``_``-prefixed columns are diagnostics that
    are never written (true person, error codes)."""
    rng = stream(seed, "bpjs_kesehatan")
    person = records["person"].to_numpy()
    n = len(person)
    col = {
        c: pop[c].to_numpy()[person]
        for c in ("sex", "age", "birth", "moved", "role", "nik", "kk", "head_nik")
    }
    head = household_heads(pop)
    dependant = col["role"] != HEAD
    empty = np.where(col["age"] < 1, 0.35, _EMPTY_NIK)
    nik, nik_error = render_niks(rng, col["nik"], col["kk"], col["head_nik"], dependant, empty, HEALTH_NIKS)
    name, name_ops = render_person_names(rng, pop, person, col["sex"], col["age"], HEALTH_NAMES)
    birth, date_error = perturb_dates(rng, col["birth"], HEALTH_DATES, today)
    sex_error = rng.random(n) < _SEX_ERROR
    sex = np.where(sex_error, 3 - col["sex"], col["sex"])
    use_dom = col["moved"] & (rng.random(n) < 0.4)
    pick = {
        k: np.where(use_dom, pop[f"dom_{k}"].to_numpy()[person], pop[k].to_numpy()[person])
        for k in ("street", "rt", "rw", "kel")
    }
    kelurahan, kecamatan = jkn_region_names(rng, pick["kel"])
    phone = record_phones(rng, pop, person, head, old_share=0.35, family_share=0.6, missing=0.1)
    earliest = np.maximum(col["birth"], day_number(pd.Timestamp("2014-01-01").date()))
    frame = pd.DataFrame(
        {
            "no_kartu": jkn_card_numbers(rng, n, taken_ids),
            "nik": nik,
            "nama_peserta": name,
            "tgl_lahir": format_days(birth, "dmy_dash"),
            "jenis_kelamin": np.where(sex == 1, "L", "P"),
            "alamat": jkn_street_lines(rng, pick["street"], pick["rt"], pick["rw"]),
            "kelurahan": kelurahan,
            "kecamatan": kecamatan,
            "no_hp": format_local(phone),
            "segmen": np.array(SEGMENTS, dtype=object)[records["segment"].to_numpy()],
            "status_peserta": np.where(records["active"].to_numpy(), "AKTIF", "TIDAK AKTIF"),
            "tgl_update": random_stamps(rng, n, earliest, today, recent=0.08),
            "_person": pop["person_id"].to_numpy()[person],
            "_nik_error": nik_error,
            "_date_error": date_error,
            "_name_ops": name_ops,
            "_sex_error": sex_error,
        }
    )
    return frame.iloc[rng.permutation(n)].reset_index(drop=True)
