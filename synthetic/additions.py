"""New records for the next night: people new to the lists, babies born into listed families, and
new registrations of people already listed (a second JKN card, a KPJ from another platform).

New records are rendered by the same exporters as a first drop, from a population frame: freshly
drawn people, or existing people whose facts were read back from the previous drop.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthetic.calendar import date_parts
from synthetic.civil import build_city
from synthetic.employment import build_employment
from synthetic.health import build_health
from synthetic.identifiers import compose_niks
from synthetic.membership import SEGMENTS, assign_membership
from synthetic.names import draw_names
from synthetic.occupations import OCCUPATIONS
from synthetic.population import CHILD, HEAD, build_population
from synthetic.regions import DEPOK_PREFIX, kelurahan_table
from synthetic.rng import choose, stream

__all__ = ["NewRecords", "fresh_people", "newborns", "new_registrations", "dedupe_niks"]

_OCC = {o.name: i for i, o in enumerate(OCCUPATIONS)}
_NEW_CARD_SEGMENT = {"PBPU": "PBI", "PBI": "PBPU", "PPU": "PBPU", "BP": "PBPU"}

NewRecords = dict[str, pd.DataFrame]


def dedupe_niks(niks: np.ndarray, taken: np.ndarray) -> np.ndarray:
    """Bump the serial of NIKs already held by listed people (``taken``, sorted) or earlier in the batch."""
    out = niks.copy()
    used: set[int] = set()
    clash = np.isin(out, taken)
    for i, value in enumerate(out.tolist()):
        if not clash[i] and value not in used:
            used.add(value)
            continue
        while value in used or taken[min(np.searchsorted(taken, value), len(taken) - 1)] == value:
            value += 1
            if value % 10_000 == 0:
                raise ValueError("no free NIK serial for a region and birth date")
        used.add(value)
        out[i] = value
    return out


def _recent_starts(rng: np.random.Generator, n: int, today: int) -> np.ndarray:
    return today - rng.integers(0, 7, n)


def fresh_people(
    persons: int,
    seed: int,
    first_person: int,
    today: int,
    taken_niks: np.ndarray,
    taken: dict[str, np.ndarray],
    first_city_id: int,
) -> NewRecords:
    """All records of ``persons`` new people (moved in, newly insured), in every source they join."""
    pop = build_population(persons, seed, first_person=first_person, snapshot_day=today)
    pop["nik"] = dedupe_niks(pop["nik"].to_numpy(), taken_niks)
    pop["head_nik"] = pop.groupby("household")["nik"].transform("first")
    membership = assign_membership(pop, seed, today)
    tk = membership.tk.assign(start=_recent_starts(stream(seed, "fresh:start"), len(membership.tk), today))
    return {
        "bpjs_kesehatan": build_health(pop, membership.jkn, seed, today, taken["bpjs_kesehatan"]),
        "bpjs_ketenagakerjaan": build_employment(pop, tk, seed, today, taken["bpjs_ketenagakerjaan"]),
        "penduduk_depok": build_city(pop, membership.city, seed, today, first_city_id),
    }


def _population_of(facts: pd.DataFrame, today: int, occupation: np.ndarray) -> pd.DataFrame:
    """Existing people's facts in the population frame's shape (each their own household)."""
    n = len(facts)
    kk = facts["kk"].to_numpy(np.int64)
    return pd.DataFrame(
        {
            "person_id": facts.index.to_numpy(np.int64),
            "household": np.arange(n),
            "role": np.full(n, HEAD, dtype=np.int8),
            "sex": facts["sex"].to_numpy(np.int8),
            "birth": facts["birth"].to_numpy(np.int64),
            "age": ((today - facts["birth"].to_numpy()) / 365.25).astype(np.float32),
            "muslim": np.zeros(n, dtype=bool),
            "name": facts["name"].to_numpy(object),
            "name_modern": facts["name"].to_numpy(object),
            "archaic": np.zeros(n, dtype=bool),
            "father_given": np.full(n, "", dtype=object),
            "nik": facts["nik"].to_numpy(np.int64),
            "head_nik": facts["nik"].to_numpy(np.int64),
            "kk": np.where(kk > 0, kk, facts["nik"].to_numpy(np.int64)),
            **{f"{p}{c}": facts[c].to_numpy() for p in ("", "dom_") for c in ("street", "rt", "rw", "kel")},
            "moved": np.zeros(n, dtype=bool),
            "birthplace": np.where(facts["birthplace"].to_numpy(object) == "", "Depok", facts["birthplace"]),
            "phone": facts["phone"].to_numpy(np.int64),
            "phone_old": np.zeros(n, dtype=np.int64),
            "occupation": occupation.astype(np.int8),
            "marital": np.zeros(n, dtype=np.int8),
        }
    )


def new_registrations(
    rng: np.random.Generator,
    seed: int,
    facts: pd.DataFrame,
    has_tk: np.ndarray,
    count_jkn: int,
    count_tk: int,
    today: int,
    taken: dict[str, np.ndarray],
) -> NewRecords:
    """New cards for people already listed: JKN cards (a second segment, or a first card for someone
    known from the civil registry) and KPJs (a gig worker registered by a new platform or community).
    ``has_tk`` marks the facts rows of people who already hold a KPJ."""
    out: NewRecords = {}
    chosen = rng.choice(len(facts), size=min(count_jkn, len(facts)), replace=False)
    pick = facts.iloc[chosen]
    segment = np.array([_NEW_CARD_SEGMENT.get(s, "") for s in pick["segment"]], dtype=object)
    fresh = segment == ""
    segment[fresh] = np.array(["PBPU", "PBI", "PPU"], dtype=object)[choose(rng, int(fresh.sum()), (6, 3, 1))]
    pop = _population_of(pick, today, np.full(len(pick), _OCC["unemployed"]))
    records = pd.DataFrame(
        {
            "person": np.arange(len(pick)),
            "active": True,
            "second": ~fresh,
            "segment": [SEGMENTS.index(s) for s in segment],
        }
    )
    out["bpjs_kesehatan"] = build_health(pop, records, seed, today, taken["bpjs_kesehatan"])

    age = (today - facts["birth"].to_numpy()) / 365.25
    workers = np.flatnonzero((age >= 18) & (age < 60))
    chosen = workers[rng.choice(len(workers), size=min(count_tk, len(workers)), replace=False)]
    pick = facts.iloc[chosen]
    gig = np.array([_OCC[x] for x in ("ride_hailing", "courier", "freelance", "trader", "employee")])
    occupation = gig[choose(rng, len(pick), (35, 30, 15, 10, 10))]
    pop = _population_of(pick, today, occupation)
    records = pd.DataFrame(
        {
            "person": np.arange(len(pick)),
            "category": np.where(occupation == _OCC["employee"], "PU", "BPU"),
            "start": _recent_starts(rng, len(pick), today),
            "active": True,
            "second": has_tk[chosen],
        }
    )
    out["bpjs_ketenagakerjaan"] = build_employment(pop, records, seed, today, taken["bpjs_ketenagakerjaan"])
    return out


def newborns(
    rng: np.random.Generator,
    seed: int,
    facts: pd.DataFrame,
    count: int,
    today: int,
    next_person: int,
    taken_niks: np.ndarray,
    taken: dict[str, np.ndarray],
    first_city_id: int,
) -> NewRecords:
    """Babies born to listed resident mothers: a civil-registry record on the mother's KK and, for
    most, a JKN card in the mother's segment (often still without NIK)."""
    age = (today - facts["birth"].to_numpy()) / 365.25
    mothers = facts[(facts["sex"].to_numpy() == 2) & (age >= 20) & (age < 42) & (facts["kk"].to_numpy() > 0)]
    mothers = mothers.iloc[rng.choice(len(mothers), size=min(count, len(mothers)), replace=False)]
    n = len(mothers)
    if n == 0:
        return {}
    sex = np.where(rng.random(n) < 0.5, 1, 2).astype(np.int8)
    birth = today - rng.integers(3, 90, n)
    group = choose(rng, n, (4, 4, 2)).astype(np.int8)  # Sundanese, Javanese, general traditions
    names = draw_names(rng, sex, date_parts(birth)[0], group, np.full(n, "", dtype=object), np.zeros(n, bool))
    kec = kelurahan_table()["kec_code"].to_numpy()[mothers["kel"].to_numpy()]
    nik = dedupe_niks(compose_niks(rng, DEPOK_PREFIX * 100 + kec, birth, sex), taken_niks)
    pop = _population_of(mothers, today, np.full(n, _OCC["child"]))
    pop = pop.assign(
        person_id=np.arange(next_person, next_person + n, dtype=np.int64),
        role=CHILD,
        sex=sex,
        birth=birth,
        age=((today - birth) / 365.25).astype(np.float32),
        name=names.name,
        name_modern=names.modern,
        nik=nik,
        head_nik=mothers["nik"].to_numpy(np.int64),
        kk=mothers["kk"].to_numpy(np.int64),
        birthplace="Depok",
    )
    city = pd.DataFrame({"person": np.arange(n), "duplicate": False})
    insured = np.flatnonzero(rng.random(n) < 0.85)
    segment = [s or "PBPU" for s in mothers["segment"].to_numpy(object)[insured]]
    jkn = pd.DataFrame(
        {"person": insured, "active": True, "second": False, "segment": [SEGMENTS.index(s) for s in segment]}
    )
    return {
        "penduduk_depok": build_city(pop, city, seed, today, first_city_id),
        "bpjs_kesehatan": build_health(pop, jkn, seed, today, taken["bpjs_kesehatan"]),
    }
