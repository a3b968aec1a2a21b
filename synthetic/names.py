"""True names of synthetic people: Indonesian given names drawn from weighted token tables.

A name is one to four tokens drawn by sex, birth cohort and name tradition (Sundanese, Javanese,
general/Arabic, Minang, Batak, Chinese-Indonesian, eastern Christian) from ``name_tokens.csv``.
Batak, Chinese-Indonesian and eastern families pass a family name (marga) from father to children.
Some people born before the 1972 spelling reform are registered in old spelling.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from synthetic.rng import choose
from synthetic.spelling import archaize

__all__ = ["GROUPS", "NameDraw", "draw_names", "vocabulary", "family_tokens", "cohort_of"]

#: Name traditions: Sundanese/Betawi, Javanese, general/Arabic, Minang, Batak, Chinese-Indonesian, eastern.
GROUPS = "SJIMBCE"
#: Share of people in each tradition among Depok households.
GROUP_WEIGHTS = (0.37, 0.33, 0.14, 0.04, 0.06, 0.035, 0.025)
#: Tokens per name (1..4) by cohort: born before 1965, 1965-1989, from 1990.
_TOKEN_COUNTS = ((0.22, 0.52, 0.22, 0.04), (0.06, 0.46, 0.39, 0.09), (0.01, 0.25, 0.60, 0.14))
#: Share of households of a tradition that use an inherited family name.
_FAMILY_NAME_SHARE = {"B": 0.92, "C": 0.7, "E": 0.6}
_KINDS = ("first", "single", "middle", "middle_alt", "last")


@dataclass(frozen=True)
class NameDraw:
    """Names of a batch of people: ``name`` is the registered (official) form, ``modern`` the same name
    in current spelling (different only where ``archaic``), ``given`` a given-name token per person
    (used as a father's name in bin/binti patronymics)."""

    name: np.ndarray
    modern: np.ndarray
    archaic: np.ndarray
    given: np.ndarray


@cache
def vocabulary() -> pd.DataFrame:
    """The token table with unisex rows expanded to both sexes (``sex`` 1 male, 2 female)."""
    with resources.files("synthetic").joinpath("name_tokens.csv").open("r", encoding="utf-8") as handle:
        table = pd.read_csv(handle, dtype={"token": str, "sex": str, "role": str, "groups": str})
    male = table[table["sex"].isin(["M", "U"])].assign(sex=1)
    female = table[table["sex"].isin(["F", "U"])].assign(sex=2)
    return pd.concat([male, female], ignore_index=True)


def cohort_of(birth_year: np.ndarray) -> np.ndarray:
    """Naming cohort: 0 born before 1965, 1 born 1965-1989, 2 born from 1990."""
    return np.where(birth_year < 1965, 0, np.where(birth_year < 1990, 1, 2)).astype(np.int8)


@cache
def _pools() -> dict[tuple[int, int, int, str], tuple[np.ndarray, np.ndarray]]:
    """Token indices and weights for every (group, sex, cohort, slot kind)."""
    vocab = vocabulary()
    pools = {}
    for g, letter in enumerate(GROUPS):
        in_group = vocab["groups"].str.contains(letter, regex=False)
        for sex in (1, 2):
            base = vocab[in_group & (vocab["sex"] == sex)]
            for cohort, column in enumerate(("w_old", "w_mid", "w_young")):
                w = base[column].to_numpy(float)
                role = base["role"].to_numpy()
                factors = {
                    "first": np.select([role == "pre", role == "giv"], [1.0, 1.0], 0.0),
                    "single": np.where(role == "giv", 1.0, 0.0),
                    "middle": np.select([role == "giv", role == "suf"], [1.0, 0.35], 0.0),
                    "last": np.select([role == "suf", role == "giv"], [1.0, 0.45], 0.0),
                    "family": np.where(role == "fam", 1.0, 0.0),
                }
                factors["middle_alt"] = factors["middle"]
                for kind, factor in factors.items():
                    weights = w * factor
                    if weights.sum() <= 0:  # traditions without a pool borrow the general one
                        continue
                    pools[(g, sex, cohort, kind)] = (base.index.to_numpy(), weights)
    return pools


def _pool(g: int, sex: int, cohort: int, kind: str) -> tuple[np.ndarray, np.ndarray]:
    pools = _pools()
    for key in ((g, sex, cohort, kind), (g, sex, 1, kind), (2, sex, cohort, kind)):
        if key in pools:
            return pools[key]
    raise KeyError(f"no name pool for {kind}")


def family_tokens(rng: np.random.Generator, group: np.ndarray) -> np.ndarray:
    """One inherited family name per entry (empty string where the tradition has none or the family
    does not use one)."""
    tokens = vocabulary()["token"].to_numpy(object)
    out = np.full(len(group), "", dtype=object)
    for g, letter in enumerate(GROUPS):
        share = _FAMILY_NAME_SHARE.get(letter)
        if share is None:
            continue
        rows = np.flatnonzero((group == g) & (rng.random(len(group)) < share))
        if len(rows):
            idx, w = _pool(g, 1, 1, "family")
            out[rows] = tokens[idx[choose(rng, len(rows), w)]]
    return out


def draw_names(
    rng: np.random.Generator,
    sex: np.ndarray,
    birth_year: np.ndarray,
    group: np.ndarray,
    family: np.ndarray,
    women_marga_prefix: np.ndarray,
) -> NameDraw:
    """Draw one true name per person.

    ``family`` holds the inherited family name to append (empty for none); ``women_marga_prefix``
    marks Batak women written ``... BR MARGA``.
    """
    n = len(sex)
    vocab = vocabulary()
    tokens = vocab["token"].to_numpy(object)
    is_pre = (vocab["role"] == "pre").to_numpy()
    cohort = cohort_of(birth_year)
    has_family = family != ""
    counts = np.empty(n, dtype=np.int8)
    for c in range(3):
        rows = np.flatnonzero(cohort == c)
        counts[rows] = choose(rng, len(rows), _TOKEN_COUNTS[c]) + 1
    counts = np.where(has_family, np.clip(counts, 2, 4), counts)
    drawn = {kind: np.empty(n, dtype=np.int32) for kind in _KINDS}
    key = (group.astype(np.int64) * 2 + (sex - 1)) * 3 + cohort
    order = np.argsort(key, kind="stable")
    bounds = np.flatnonzero(np.diff(key[order])) + 1
    for rows in np.split(order, bounds):
        if not len(rows):
            continue
        g, s, c = int(group[rows[0]]), int(sex[rows[0]]), int(cohort[rows[0]])
        for kind in _KINDS:
            idx, w = _pool(g, s, c, kind)
            drawn[kind][rows] = idx[choose(rng, len(rows), w)]
    slots = np.full((n, 4), -1, dtype=np.int32)
    slots[:, 0] = np.where(counts == 1, drawn["single"], drawn["first"])
    slots[:, 1] = np.where(counts >= 3, drawn["middle"], np.where(counts == 2, drawn["last"], -1))
    slots[:, 2] = np.where(counts == 4, drawn["middle_alt"], np.where(counts == 3, drawn["last"], -1))
    slots[:, 3] = np.where(counts == 4, drawn["last"], -1)
    # A family name replaces the last drawn token.
    last = counts.astype(np.int64) - 1
    rows = np.flatnonzero(has_family)
    slots[rows, last[rows]] = -1
    # The same token twice in one name is dropped.
    for j in range(1, 4):
        for k in range(j):
            dup = (slots[:, j] == slots[:, k]) & (slots[:, j] >= 0)
            slots[dup, j] = -1
    name = np.full(n, "", dtype=object)
    for j in range(4):
        present = slots[:, j] >= 0
        piece = tokens[np.where(present, slots[:, j], 0)]
        name = np.where(present, np.where(name == "", piece, name + " " + piece), name)
    marga = np.where(women_marga_prefix & has_family & (sex == 2), "BR " + family, family)
    name = np.where(has_family, name + " " + marga, name)
    # The given name used in patronymics: the first token that is not a prefix like MUHAMMAD or SITI.
    first_pre = is_pre[np.maximum(slots[:, 0], 0)] & (slots[:, 1] >= 0)
    given_idx = np.where(first_pre, slots[:, 1], slots[:, 0])
    given = tokens[np.maximum(given_idx, 0)]
    # Part of the oldest cohort (Muslim traditions) is registered in old spelling.
    modern = name
    archaic = np.zeros(n, dtype=bool)
    candidates = np.flatnonzero((cohort == 0) & np.isin(group, [0, 1, 2, 3]) & (rng.random(n) < 0.3))
    if len(candidates):
        old = np.array([archaize(value, rng) for value in name[candidates]], dtype=object)
        changed = old != name[candidates]
        name = name.copy()
        name[candidates[changed]] = old[changed]
        archaic[candidates[changed]] = True
    return NameDraw(name=name, modern=modern, archaic=archaic, given=given)
