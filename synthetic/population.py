"""The synthetic population: households of people living or working in Depok, with their true facts.

Each household has one KK, one address and a head, often a spouse, children (some twins) and
sometimes a parent of the head. Residents hold a Depok KTP (most with a 3276 NIK, some with a NIK
issued elsewhere before they moved in); non-residents live in Depok (kos, kontrak) on a KTP from
elsewhere and so never appear in the civil registry. Everything here is the truth the agencies'
records are rendered from; nothing here is formatted for an agency.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthetic.addresses import draw_addresses, draw_kelurahan
from synthetic.calendar import SNAPSHOT, date_parts, day_number, from_parts
from synthetic.identifiers import compose_kks, compose_niks
from synthetic.names import GROUP_WEIGHTS, GROUPS, draw_names, family_tokens
from synthetic.occupations import assign_occupations
from synthetic.phones import draw_phones
from synthetic.regions import (
    DEPOK_PREFIX,
    KECAMATAN_BEFORE_SPLIT,
    birthplaces,
    external_regions,
    kelurahan_table,
)
from synthetic.rng import choose, stream

__all__ = ["build_population", "HEAD", "SPOUSE", "CHILD", "PARENT", "MARITAL"]

HEAD, SPOUSE, CHILD, PARENT = 0, 1, 2, 3
#: Marital status labels by code.
MARITAL = ("BELUM KAWIN", "KAWIN", "CERAI HIDUP", "CERAI MATI")

_RESIDENT_SIZES = (0.08, 0.15, 0.22, 0.27, 0.17, 0.07, 0.04)
_VISITOR_SIZES = (0.66, 0.2, 0.09, 0.05)
_VISITOR_HOUSEHOLD_SHARE = 0.2
_MUSLIM_SHARE = np.array([0.97, 0.96, 0.97, 0.98, 0.3, 0.06, 0.1])


def _households(rng: np.random.Generator, persons: int) -> tuple[np.ndarray, np.ndarray]:
    """Household sizes and resident flags whose sizes add up to exactly ``persons``."""
    n = persons // 2 + 10
    resident = rng.random(n) >= _VISITOR_HOUSEHOLD_SHARE
    sizes = np.where(resident, choose(rng, n, _RESIDENT_SIZES), choose(rng, n, _VISITOR_SIZES)) + 1
    total = np.cumsum(sizes)
    last = int(np.searchsorted(total, persons))
    sizes = sizes[: last + 1].copy()
    sizes[-1] -= int(total[last] - persons)
    return sizes, resident[: last + 1]


def _ages(
    rng: np.random.Generator,
    h: np.ndarray,
    size: np.ndarray,
    resident: np.ndarray,
    role: np.ndarray,
    head_male: np.ndarray,
    rank: np.ndarray,
) -> np.ndarray:
    """Ages in years (float) of every person, household by household."""
    n_h = len(size)
    single = size == 1
    head_age = np.where(
        resident,
        np.where(single, 20 + rng.gamma(2.0, 8.0, n_h), 24 + rng.gamma(2.4, 8.5, n_h)),
        19 + rng.gamma(1.8, 5.0, n_h),
    )
    head_age = np.clip(head_age, 18, 92)
    gap = np.where(head_male, -3.5, 3.5) + rng.normal(0, 3.5, n_h)
    spouse_age = np.clip(head_age + gap, 17, 95)
    mother_age = np.where(head_male, spouse_age, head_age)
    first_child_age = mother_age[h] - (20 + rng.gamma(2.0, 2.5, len(h)))
    child_age = first_child_age - rank * (1.5 + rng.gamma(2.0, 1.0, len(h))) - rng.random(len(h))
    child_age = np.where(child_age < 0, rng.random(len(h)) * np.maximum(first_child_age, 1.0), child_age)
    parent_age = np.clip(head_age[h] + 21 + rng.random(len(h)) * 14, 40, 97)
    return np.select(
        [role == HEAD, role == SPOUSE, role == CHILD], [head_age[h], spouse_age[h], child_age], parent_age
    )


def _nik_regions(
    rng: np.random.Generator,
    n: int,
    group: np.ndarray,
    resident: np.ndarray,
    role: np.ndarray,
    age: np.ndarray,
    kec_code: np.ndarray,
    h: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The 6-digit region that issued each person's NIK."""
    regions = external_regions()
    prefixes = regions["prefix"].to_numpy(np.int64)
    counts = regions["kecamatan_count"].to_numpy(np.int64)
    ext = np.empty(n, dtype=np.int64)
    for g, letter in enumerate(GROUPS):
        rows = np.flatnonzero(group == g)
        w = regions["weight"].to_numpy(float) * np.where(regions["groups"].str.contains(letter), 6.0, 1.0)
        ext[rows] = choose(rng, len(rows), w)
    # Families from elsewhere mostly come from one place: children share the head's origin.
    head_pos = np.r_[0, np.flatnonzero(np.diff(h)) + 1][h]
    ext = np.where((role == CHILD) & (rng.random(n) < 0.8), ext[head_pos], ext)
    ext_region = prefixes[ext] * 100 + 1 + (rng.random(n) * counts[ext]).astype(np.int64)
    adult_in = np.isin(role, [HEAD, SPOUSE, PARENT])
    p_external = np.where(adult_in, 0.27, np.where(age > 6, 0.06, 0.01))
    external = ~resident | (rng.random(n) < p_external)
    depok_kec = kec_code.copy()
    moved_within = rng.random(n) < 0.1
    depok_kec = np.where(moved_within, 1 + (rng.random(n) * 11).astype(np.int64), depok_kec)
    before_split = np.array([KECAMATAN_BEFORE_SPLIT.get(c, c) for c in range(12)])
    old_code = (age > 28) & (rng.random(n) < 0.6)
    depok_kec = np.where(old_code, before_split[depok_kec], depok_kec)
    return np.where(external, ext_region, DEPOK_PREFIX * 100 + depok_kec), external


def _members(rng: np.random.Generator, size: np.ndarray, resident_h: np.ndarray) -> dict[str, np.ndarray]:
    """Household index, role, sex, birth day and age of every person."""
    persons = int(size.sum())
    n_h = len(size)
    h = np.repeat(np.arange(n_h), size)
    k = np.arange(persons) - np.repeat(np.cumsum(size) - size, size)
    has_spouse = (size >= 2) & (rng.random(n_h) < np.where(resident_h, 0.86, 0.9))
    has_parent = (size >= 4) & resident_h & (rng.random(n_h) < 0.15)
    role = np.full(persons, CHILD, dtype=np.int8)
    role[k == 0] = HEAD
    role[(k == 1) & has_spouse[h]] = SPOUSE
    role[(k == size[h] - 1) & has_parent[h] & (k > 1)] = PARENT
    rank = k - 1 - has_spouse[h].astype(int)
    head_male = rng.random(n_h) < np.where(has_spouse, 0.9, np.where(size == 1, 0.58, 0.4))
    sex = np.where(rng.random(persons) < 0.5, 1, 2).astype(np.int8)
    sex[role == HEAD] = np.where(head_male, 1, 2)[h[role == HEAD]]
    sex[role == SPOUSE] = np.where(head_male, 2, 1)[h[role == SPOUSE]]
    sex[role == PARENT] = np.where(rng.random(int((role == PARENT).sum())) < 0.65, 2, 1)
    return {"h": h, "role": role, "rank": rank, "sex": sex, "head_male": head_male, "has_spouse": has_spouse}


def _births(
    rng: np.random.Generator, m: dict, size: np.ndarray, resident_h: np.ndarray, today: int
) -> np.ndarray:
    """Birth day numbers: ages by role, twins, and 1 January defaults for some old people."""
    persons = len(m["h"])
    age = _ages(rng, m["h"], size, resident_h, m["role"], m["head_male"], m["rank"])
    birth = today - np.floor(age * 365.25).astype(np.int64) - rng.integers(0, 365, persons)
    # Twins: a child born on the same day as the previous child (different name, same KK and address).
    twin = (m["role"] == CHILD) & (m["rank"] >= 1) & (rng.random(persons) < 0.022)
    twin &= np.r_[False, m["role"][:-1] == CHILD]
    for i in np.flatnonzero(twin):
        birth[i] = birth[i - 1]
    year, _, _ = date_parts(birth)
    # Old people who never knew their birthday carry 1 January (sometimes 31 December) everywhere.
    unknown = (year < 1962) & (rng.random(persons) < 0.05)
    december = rng.random(persons) < 0.1
    birth = np.where(unknown, from_parts(year, np.where(december, 12, 1), np.where(december, 31, 1)), birth)
    return birth


def _homes(
    rng: np.random.Generator, h: np.ndarray, role: np.ndarray, age: np.ndarray, resident_h: np.ndarray
) -> dict[str, np.ndarray]:
    """KTP address of each household and where each person actually lives (``dom_*``)."""
    n_h = len(resident_h)
    persons = len(h)
    kel_h = np.where(resident_h, draw_kelurahan(rng, n_h), draw_kelurahan(rng, n_h, near_campus=True))
    street_h, rt_h, rw_h = draw_addresses(rng, kel_h)
    # Some households moved without updating the KTP; some grown-up children live elsewhere (kos).
    moved_h = resident_h & (rng.random(n_h) < 0.04)
    moved = moved_h[h] | ((role == CHILD) & (age > 19) & (age < 36) & (rng.random(persons) < 0.12))
    moved &= resident_h[h]
    dom = {"kel": kel_h[h].copy(), "street": street_h[h].copy(), "rt": rt_h[h].copy(), "rw": rw_h[h].copy()}
    rows = np.flatnonzero(moved)
    new_kel = np.where(rng.random(len(rows)) < 0.35, dom["kel"][rows], draw_kelurahan(rng, len(rows)))
    dom["street"][rows], dom["rt"][rows], dom["rw"][rows] = draw_addresses(rng, new_kel)
    dom["kel"][rows] = new_kel
    shared = moved_h[h]  # a household that moved together shares its new address
    src = np.r_[0, np.flatnonzero(np.diff(h)) + 1][h]
    for key in dom:
        dom[key][shared] = dom[key][src[shared]]
    out = {"street": street_h[h], "rt": rt_h[h], "rw": rw_h[h], "kel": kel_h[h], "moved": moved}
    out.update({f"dom_{key}": value for key, value in dom.items()})
    out["kel_h"] = kel_h
    return out


def _birthplaces(
    rng: np.random.Generator, birth_year: np.ndarray, external: np.ndarray, region6: np.ndarray
) -> np.ndarray:
    """Birthplace (Title Case) of each person: mostly Depok/Jakarta/Bogor, or the NIK's home region."""
    persons = len(birth_year)
    places = np.array(birthplaces(), dtype=object)
    index = {p: i for i, p in enumerate(places)}
    regions = external_regions()
    home = {
        int(p): [index[x] for x in b] for p, b in zip(regions["prefix"], regions["birthplaces"], strict=True)
    }
    common = np.array([index[p] for p in ("Depok", "Jakarta", "Bogor", "Bandung", "Bekasi")])
    young = common[choose(rng, persons, (60, 18, 15, 3, 4))]
    born_at = np.where(birth_year >= 1995, young, common[choose(rng, persons, (22, 35, 22, 8, 13))])
    for i in np.flatnonzero(external & (rng.random(persons) < 0.8)):
        options = home[int(region6[i] // 100)]
        born_at[i] = options[int(rng.integers(len(options)))]
    return places[born_at]


def build_population(
    persons: int, seed: int, first_person: int = 1, snapshot_day: int | None = None
) -> pd.DataFrame:
    """``persons`` people in households, one row each, with every true fact the exports are made from.

    ``person_id`` numbers start at ``first_person``; dates are day numbers; ages are at the snapshot.
    """
    if persons <= 0:
        raise ValueError("persons must be positive")
    today = day_number(SNAPSHOT) if snapshot_day is None else snapshot_day
    rng = stream(seed, "population")
    size, resident_h = _households(rng, persons)
    m = _members(rng, size, resident_h)
    h, role, sex = m["h"], m["role"], m["sex"]
    first_of_h = np.r_[0, np.flatnonzero(np.diff(h)) + 1]
    birth = _births(rng, m, size, resident_h, today)
    age = (today - birth) / 365.25
    birth_year = date_parts(birth)[0]

    group_h = choose(rng, len(size), GROUP_WEIGHTS).astype(np.int8)
    group = group_h[h].copy()
    mixed = (role == SPOUSE) & (rng.random(persons) < 0.2)
    group[mixed] = choose(rng, int(mixed.sum()), GROUP_WEIGHTS)
    muslim_h = rng.random(len(size)) < _MUSLIM_SHARE[group_h]
    muslim = np.where(role == SPOUSE, (rng.random(persons) < _MUSLIM_SHARE[group]) | muslim_h[h], muslim_h[h])
    inherits = (role == CHILD) | ((role == HEAD) & (sex == 1)) | ((role == PARENT) & (sex == 1))
    family = np.where(inherits, family_tokens(rng, group_h)[h], family_tokens(rng, group))
    boru = (group == GROUPS.index("B")) & (rng.random(persons) < 0.4)  # Batak women: "... BR MARGA"
    names = draw_names(rng, sex, birth_year, group, family, boru)
    # Father's given name for patronymics (bin/binti): the household's man for children.
    father_h = np.full(len(size), "", dtype=object)
    for r in (SPOUSE, HEAD):
        rows = np.flatnonzero((role == r) & (sex == 1))
        father_h[h[rows]] = names.given[rows]
    donors = np.flatnonzero((sex == 1) & (age > 30))
    donors = donors if len(donors) else np.arange(persons)
    father = names.given[donors[rng.integers(0, len(donors), persons)]]
    father = np.where((role == CHILD) & (father_h[h] != ""), father_h[h], father)

    homes = _homes(rng, h, role, age, resident_h)
    kec_code = kelurahan_table()["kec_code"].to_numpy(np.int64)[homes["kel"]]
    region6, external = _nik_regions(rng, persons, group, resident_h[h], role, age, kec_code, h)
    nik_birth = birth.copy()
    corrected = np.flatnonzero(rng.random(persons) < 0.003)  # DOB corrected after the NIK was issued
    nik_birth[corrected] += rng.choice([-1, 1], len(corrected)) * rng.integers(1, 800, len(corrected))
    nik = compose_niks(rng, region6, nik_birth, sex)
    # KK: registered in the household's kecamatan (or home region), after the youngest child's birth.
    youngest = pd.Series(birth).groupby(h).max().to_numpy()
    earliest = np.maximum(youngest, day_number(SNAPSHOT.replace(year=2008, month=1, day=1)))
    reg_day = earliest + (rng.random(len(size)) * np.maximum(today - 20 - earliest, 1)).astype(np.int64)
    kec_h = kelurahan_table()["kec_code"].to_numpy()[homes.pop("kel_h")]
    kk_region = np.where(resident_h, DEPOK_PREFIX * 100 + kec_h, region6[first_of_h])
    kk = compose_kks(rng, kk_region, reg_day)[h]

    talks = (age >= 17) & (rng.random(persons) < 0.93) | (age >= 13) & (rng.random(persons) < 0.5)
    phone = np.where(talks, draw_phones(rng, persons), 0)
    phone_old = np.where((phone > 0) & (rng.random(persons) < 0.15), draw_phones(rng, persons), 0)
    alone = np.where((age < 35) | (rng.random(persons) < 0.4), 0, 2)  # single: never married or divorced
    parted = 2 + (rng.random(persons) < 0.5)  # single parent: divorced or widowed
    marital = np.select(
        [(role == HEAD) & m["has_spouse"][h], role == SPOUSE, role == CHILD, role == PARENT],
        [1, 1, 0, np.where(rng.random(persons) < 0.8, 3, 1)],
        np.where(size[h] == 1, alone, parted),
    ).astype(np.int8)
    return pd.DataFrame(
        {
            "person_id": np.arange(first_person, first_person + persons, dtype=np.int64),
            "household": h,
            "role": role,
            "sex": sex,
            "birth": birth.astype(np.int64),
            "nik_birth": nik_birth.astype(np.int64),
            "age": age.astype(np.float32),
            "group": group,
            "muslim": muslim,
            "resident": resident_h[h],
            "name": names.name,
            "name_modern": names.modern,
            "archaic": names.archaic,
            "father_given": father,
            "nik": nik,
            "head_nik": nik[first_of_h][h],
            "kk": kk,
            **homes,
            "birthplace": _birthplaces(rng, birth_year, external, region6),
            "phone": phone.astype(np.int64),
            "phone_old": phone_old.astype(np.int64),
            "occupation": assign_occupations(rng, age, sex),
            "marital": marital,
            "poor": (rng.random(len(size)) < np.where(resident_h, 0.24, 0.12))[h],
        }
    )
