"""How one true name gets written by different clerks: titles, abbreviations, old spellings, typos.

Each agency has a :class:`NameStyle` (rates of each variation); :func:`render_names` applies it to
the names of a batch of records and reports which variations each record got, as a bit mask of
:data:`NAME_OPS`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthetic.spelling import abbreviate_token, archaize
from synthetic.typos import typo

__all__ = ["NameStyle", "NAME_OPS", "render_names", "render_person_names"]

#: Variation names by bit: bit ``i`` of a record's mask is set when ``NAME_OPS[i]`` was applied.
NAME_OPS = (
    "honorific", "academic_prefix", "degree", "abbreviation", "spelling", "typo", "swap", "merge_split",
    "patronymic", "truncate",
)  # fmt: skip
_BIT = {name: 1 << i for i, name in enumerate(NAME_OPS)}
_DEGREES = (
    "S.E.", "S.H.", "S.T.", "S.KOM.", "S.PD.", "S.SOS.", "S.AG.", "S.IP.", "S.PSI.", "S.FARM.", "S.KEP.",
    "S.K.M.", "A.MD.", "A.MD.KEB.", "M.M.", "M.SI.", "M.KOM.", "M.PD.", "M.H.", "M.T.", "S.E., M.M.",
)  # fmt: skip
_SPLIT_HEADS = ("NUR", "SRI", "ABDUL", "SITI", "PUTRI", "DEWI", "KURNIA", "PURNAMA", "PERMATA", "PUSPITA")
_SPLIT_TAILS = ("SARI", "WATI", "NINGSIH", "YANTI", "NINGRUM", "WAN", "JAYA", "YATI")


@dataclass(frozen=True)
class NameStyle:
    """Per-record probabilities of each variation in one agency's names, and its letter case."""

    title_case: bool = False
    honorific: float = 0.0
    academic_prefix: float = 0.0
    degree: float = 0.0
    abbreviation: float = 0.0
    modernize: float = 0.0
    archaize: float = 0.0
    typo: float = 0.0
    swap: float = 0.0
    merge_split: float = 0.0
    patronymic: float = 0.0
    truncate: float = 0.0


def _merge_or_split(name: str, rng: np.random.Generator) -> str:
    tokens = name.split(" ")
    for i, token in enumerate(tokens):
        if len(token) < 7:
            continue
        for head in _SPLIT_HEADS:
            if token.startswith(head) and len(token) - len(head) >= 3:
                return " ".join(tokens[:i] + [head, token[len(head) :]] + tokens[i + 1 :])
        for tail in _SPLIT_TAILS:
            if token.endswith(tail) and len(token) - len(tail) >= 3:
                return " ".join(tokens[:i] + [token[: -len(tail)], tail] + tokens[i + 1 :])
    # Short leading tokens (NUR, SRI, DWI, ADE...) get written together with the next one.
    short = [i for i in range(len(tokens) - 1) if 2 <= len(tokens[i]) <= 4 and tokens[i].isalpha()]
    if not short:
        return name
    i = short[int(rng.integers(len(short)))]
    return " ".join(tokens[:i] + [tokens[i] + tokens[i + 1]] + tokens[i + 2 :])


def _swap(name: str, rng: np.random.Generator) -> str:
    tokens = name.split(" ")
    if len(tokens) < 2:
        return name
    if len(tokens) == 2 or rng.random() < 0.5:
        return " ".join(tokens[1:] + tokens[:1])
    return " ".join(tokens[:-2] + [tokens[-1], tokens[-2]])


def _abbreviate(name: str, rng: np.random.Generator) -> str:
    tokens = name.split(" ")
    for i, token in enumerate(tokens[:-1]):
        form = abbreviate_token(token, rng)
        if form is not None:
            tokens[i] = form
            return " ".join(tokens)
    return name


def _degree(rng: np.random.Generator) -> str:
    degree = _DEGREES[int(rng.integers(len(_DEGREES)))]
    style = rng.random()
    if style < 0.45:
        return ", " + degree
    if style < 0.7:
        return " " + degree
    if style < 0.85:
        return " " + degree.rstrip(".")
    return " " + degree.replace(".", "").replace(",", "")


def render_names(
    rng: np.random.Generator,
    name: np.ndarray,
    modern: np.ndarray,
    archaic: np.ndarray,
    muslim: np.ndarray,
    sex: np.ndarray,
    age: np.ndarray,
    father: np.ndarray,
    style: NameStyle,
) -> tuple[np.ndarray, np.ndarray]:
    """Names as one agency writes them, and the variation mask per record."""
    n = len(name)
    out = name.copy()
    ops = np.zeros(n, dtype=np.int16)
    u = rng.random((n, 11))

    rows = np.flatnonzero(archaic & (u[:, 0] < style.modernize))
    out[rows] = modern[rows]
    ops[rows] |= _BIT["spelling"]
    rows = np.flatnonzero(~archaic & (u[:, 0] < style.archaize))
    for i in rows:
        changed = archaize(out[i], rng)
        if changed != out[i]:
            out[i] = changed
            ops[i] |= _BIT["spelling"]

    def apply(column: int, p: float, op: str, fn, eligible: np.ndarray | None = None) -> None:
        mask = u[:, column] < p
        if eligible is not None:
            mask &= eligible
        for i in np.flatnonzero(mask):
            changed = fn(out[i], i)
            if changed != out[i]:
                out[i] = changed
                ops[i] |= _BIT[op]

    apply(1, style.abbreviation, "abbreviation", lambda s, i: _abbreviate(s, rng))
    apply(2, style.truncate, "truncate", lambda s, i: s.rsplit(" ", 1)[0] if s.count(" ") >= 2 else s)
    apply(3, style.merge_split, "merge_split", lambda s, i: _merge_or_split(s, rng))
    apply(4, style.swap, "swap", lambda s, i: _swap(s, rng))
    apply(5, style.typo, "typo", lambda s, i: typo(s, rng))
    adult = age >= 18
    apply(
        6,
        style.patronymic,
        "patronymic",
        lambda s, i: (
            f"{s} {'BIN' if sex[i] == 1 else 'BINTI'} {father[i]}"
            if rng.random() < 0.8
            else f"{s} {'B.' if sex[i] == 1 else 'BT.'} {father[i]}"
        ),
        muslim & adult,
    )
    apply(7, style.degree, "degree", lambda s, i: s + _degree(rng), age >= 23)
    apply(
        8,
        style.honorific,
        "honorific",
        lambda s, i: (
            ("H. " if sex[i] == 1 else "HJ. ") + s
            if rng.random() < 0.9
            else ("H " if sex[i] == 1 else "HJ ") + s
        ),
        muslim & (age >= 40),
    )
    academic = ("DR. ", "IR. ", "DRS. ")
    apply(
        9,
        style.academic_prefix,
        "academic_prefix",
        lambda s, i: ("DRA. " if sex[i] == 2 and rng.random() < 0.4 else academic[int(rng.integers(3))]) + s,
        age >= 30,
    )
    if style.title_case:
        out = np.array([s.title() for s in out], dtype=object)
    return out, ops


def render_person_names(
    rng: np.random.Generator,
    pop: pd.DataFrame,
    person: np.ndarray,
    sex: np.ndarray,
    age: np.ndarray,
    style: NameStyle,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`render_names` for the population rows ``person`` (one per record) in one agency's style."""
    columns = (pop[c].to_numpy()[person] for c in ("name", "name_modern", "archaic", "muslim"))
    return render_names(rng, *columns, sex, age, pop["father_given"].to_numpy()[person], style)
