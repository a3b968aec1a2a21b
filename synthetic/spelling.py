"""Indonesian spelling variation of names: the pre-1972 spellings and the forms of Muhammad.

Old spellings (Van Ophuijsen / Soewandi) write u as ``OE``, j as ``DJ``, y as ``J``, c as ``TJ``,
sy as ``SJ``, ny as ``NJ`` and kh as ``CH``; people born before the 1972 reform often keep them in
some documents and not in others. The Muhammad family of first names has a dozen written forms and
abbreviations, all meaning one name.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np

__all__ = ["archaize", "MUHAMMAD_FORMS", "abbreviate_token", "ABBREVIATIONS"]

_OLD = {
    "KH": "CH",
    "SY": "SJ",
    "NY": "NJ",
    "C": "TJ",
    "J": "DJ",
    "Y": "J",
    "U": "OE",
}
_PATTERNS = {
    "KH": "KH",
    "SY": "SY",
    "NY": "NY",
    "C": "C(?!H)",
    "J": "J",
    "Y": "Y(?=[AEIOU])",
    "U": "(?<=[B-DF-HJ-NP-TV-Z])U",
}
_RULES = tuple(_OLD)

#: Every written form of Muhammad seen in registers (full forms first, then abbreviations).
MUHAMMAD_FORMS = (
    "MUHAMMAD", "MUHAMAD", "MOHAMMAD", "MOHAMAD", "MOCHAMAD", "MOCHAMMAD", "MUCHAMAD",
    "MUKHAMAD", "MOCH.", "MOH.", "MUH.", "MHD.", "M.",
)  # fmt: skip

#: Abbreviations clerks use for frequent name tokens (besides the Muhammad family).
ABBREVIATIONS = {
    "ABDUL": ("ABD.",),
    "SITI": ("ST.",),
    "NUR": ("N.",),
    "AHMAD": ("AHM.",),
    "ACHMAD": ("ACH.",),
}

_MUHAMMAD_FULL = frozenset(MUHAMMAD_FORMS[:8]) | {"M"}


@cache
def _compiled(mask: int) -> re.Pattern[str]:
    parts = [_PATTERNS[rule] for bit, rule in enumerate(_RULES) if mask >> bit & 1]
    return re.compile("|".join(parts))


def archaize(name: str, rng: np.random.Generator) -> str:
    """Rewrite an upper-case name in old spelling, using a random non-empty subset of the old rules
    (real documents are rarely consistent). Returns the name unchanged when no rule applies."""
    applicable = [bit for bit, rule in enumerate(_RULES) if re.search(_PATTERNS[rule], name)]
    if not applicable:
        return name
    chosen = [bit for bit in applicable if rng.random() < 0.7] or [
        applicable[int(rng.integers(len(applicable)))]
    ]
    mask = sum(1 << bit for bit in chosen)

    def old(match: re.Match[str]) -> str:
        text = match.group(0)
        return _OLD.get(text, text)

    return _compiled(mask).sub(old, name)


def abbreviate_token(token: str, rng: np.random.Generator) -> str | None:
    """Another written form of one upper-case token (a Muhammad form or a clerk's abbreviation),
    or ``None`` when the token has none."""
    if token in _MUHAMMAD_FULL:
        options = [form for form in MUHAMMAD_FORMS if form != token]
        weights = np.array([4 if form.endswith(".") else 1 for form in options], dtype=float)
        return options[int(np.searchsorted(np.cumsum(weights) / weights.sum(), rng.random()))]
    forms = ABBREVIATIONS.get(token)
    if forms:
        return forms[int(rng.integers(len(forms)))]
    return None
