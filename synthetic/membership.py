"""Who is on which agency's list: the records each source holds, before any formatting.

- Civil registry: every resident once (a handful twice, after a move registered as a new KK).
- Health insurance (JKN): most people, in a segment that follows the household (PPU for wage
  earners' families, PBI for poor households, BP for pensioners, PBPU otherwise); about 2% of card
  holders hold a second card in another segment.
- Employment insurance: about a third of working-age people, far fewer among gig and informal
  workers than among wage earners; about 3% of informal (BPU) members registered twice, by two
  platforms or communities.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthetic.calendar import day_number
from synthetic.occupations import OCCUPATIONS
from synthetic.population import CHILD, HEAD, SPOUSE
from synthetic.rng import chance, stream

__all__ = ["Membership", "assign_membership", "SEGMENTS"]

#: JKN segments by code.
SEGMENTS = ("PBI", "PPU", "PBPU", "BP")
_PBI, _PPU, _PBPU, _BP = range(4)
_HOLDS = np.array([0.94, 0.975, 0.79, 0.92])
_ACTIVE = np.array([0.95, 0.97, 0.72, 0.93])
_SECOND_CARD = 0.02
_SECOND_KPJ = 0.03
_CITY_DUPLICATE = 0.0015
_WAGE = {"employee", "civil_servant", "professional"}


@dataclass(frozen=True)
class Membership:
    """Record tables, one row per record; ``person`` is a row position in the population frame."""

    city: pd.DataFrame
    jkn: pd.DataFrame
    tk: pd.DataFrame


def _segments(rng: np.random.Generator, pop: pd.DataFrame) -> np.ndarray:
    names = [o.name for o in OCCUPATIONS]
    occupation = pop["occupation"].to_numpy()
    wage = np.isin(occupation, [names.index(x) for x in _WAGE])
    retired = occupation == names.index("retired")
    h = pop["household"].to_numpy()
    head = pop["role"].to_numpy() == HEAD
    wage_h = np.zeros(h.max() + 1, dtype=bool)
    wage_h[h[head & wage]] = True
    retired_h = np.zeros(h.max() + 1, dtype=bool)
    retired_h[h[head & retired]] = True
    role = pop["role"].to_numpy()
    family = np.isin(role, [SPOUSE, CHILD]) & ((role == SPOUSE) | (pop["age"].to_numpy() < 21))
    segment = np.full(len(pop), _PBPU, dtype=np.int8)
    segment[pop["poor"].to_numpy() & (rng.random(len(pop)) < 0.9)] = _PBI
    segment[retired | (retired_h[h] & family)] = _BP
    segment[wage | (wage_h[h] & family)] = _PPU
    return segment


def _start_days(rng: np.random.Generator, birth: np.ndarray, earliest: str, today: int) -> np.ndarray:
    """Membership start: after the 18th birthday and ``earliest``, before the snapshot."""
    adult = birth + (18 * 365.25)
    low = np.maximum(adult, day_number(pd.Timestamp(earliest).date())).astype(np.int64)
    low = np.minimum(low, today - 1)
    return low + (rng.random(len(birth)) * (today - low)).astype(np.int64)


def assign_membership(pop: pd.DataFrame, seed: int, today: int) -> Membership:
    """Decide every record of every source for a population."""
    rng = stream(seed, "membership")
    n = len(pop)
    resident = pop["resident"].to_numpy()
    persons = np.arange(n)

    city_people = persons[resident]
    dup = city_people[chance(rng, _CITY_DUPLICATE, len(city_people))]
    city = pd.DataFrame(
        {
            "person": np.r_[city_people, dup],
            "duplicate": np.r_[np.zeros(len(city_people), bool), np.ones(len(dup), bool)],
        }
    )

    segment = _segments(rng, pop)
    holds = chance(rng, _HOLDS[segment] * np.where(resident, 1.0, 0.9), n)
    second = holds & chance(rng, _SECOND_CARD, n)
    other = np.where(segment == _PBPU, _PBI, _PBPU)
    first_active = chance(rng, _ACTIVE[segment], n)
    jkn = pd.DataFrame(
        {
            "person": np.r_[persons[holds], persons[second]],
            "segment": np.r_[segment[holds], other[second]],
            "active": np.r_[first_active[holds], chance(rng, 0.4, int(second.sum()))],
            "second": np.r_[np.zeros(int(holds.sum()), bool), np.ones(int(second.sum()), bool)],
        }
    )

    occupation = pop["occupation"].to_numpy()
    age = pop["age"].to_numpy()
    coverage = np.array([o.tk_coverage for o in OCCUPATIONS])[occupation]
    coverage = np.where(resident, coverage, np.minimum(coverage * 1.15, 1.0))
    insured = (age >= 18) & (age < 66) & chance(rng, coverage, n)
    category = np.array([o.tk_category for o in OCCUPATIONS], dtype=object)[occupation]
    construction = occupation == [o.name for o in OCCUPATIONS].index("construction")
    category = np.where(construction & chance(rng, 0.15, n), "PU", category)
    twice = insured & (category == "BPU") & chance(rng, _SECOND_KPJ, n)
    people = np.r_[persons[insured], persons[twice]]
    cat = category[people]
    birth = pop["birth"].to_numpy()[people]
    earliest = np.where(cat == "PU", "2010-01-01", np.where(cat == "BPU", "2017-01-01", "2021-01-01"))
    start = np.empty(len(people), dtype=np.int64)
    for value in np.unique(earliest):
        rows = earliest == value
        start[rows] = _start_days(rng, birth[rows], str(value), today)
    active_p = np.where(cat == "PU", 0.88, np.where(cat == "BPU", 0.6, 0.5))
    tk = pd.DataFrame(
        {
            "person": people,
            "category": cat,
            "start": start,
            "active": chance(rng, active_p, len(people)),
            "second": np.r_[np.zeros(int(insured.sum()), bool), np.ones(int(twice.sum()), bool)],
        }
    )

    # Everyone in the population is on at least one list: uncovered non-residents get a JKN card.
    listed = np.zeros(n, dtype=bool)
    listed[city["person"]] = True
    listed[jkn["person"]] = True
    listed[tk["person"]] = True
    missing = persons[~listed]
    if len(missing):
        extra = pd.DataFrame(
            {
                "person": missing,
                "segment": np.full(len(missing), _PBPU, dtype=np.int8),
                "active": chance(rng, _ACTIVE[_PBPU], len(missing)),
                "second": np.zeros(len(missing), bool),
            }
        )
        jkn = pd.concat([jkn, extra], ignore_index=True)
    return Membership(city=city, jkn=jkn, tk=tk)
