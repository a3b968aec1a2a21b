"""Single keying errors, the kind a clerk makes once in a few hundred records.

Letters: a substitution (a neighbouring key, or a sound-alike such as I/Y, F/P/V), a deletion, a
swap of two neighbouring letters, or a doubled letter. Digits: a substitution or a swap of two
neighbouring digits. Every function returns a string that differs from its input.
"""

from __future__ import annotations

import numpy as np

__all__ = ["typo", "digit_typo", "transpose_digits"]

_ROWS = ("QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM")
_NEIGHBOURS: dict[str, str] = {}
for _r, _row in enumerate(_ROWS):
    for _c, _ch in enumerate(_row):
        near = [_row[j] for j in (_c - 1, _c + 1) if 0 <= j < len(_row)]
        for _other in (_r - 1, _r + 1):
            if 0 <= _other < len(_ROWS):
                near += [_ROWS[_other][j] for j in (_c - 1, _c) if 0 <= j < len(_ROWS[_other])]
        _NEIGHBOURS[_ch] = "".join(near)
_SOUNDS = {
    "I": "YE",
    "Y": "I",
    "F": "PV",
    "P": "F",
    "V": "F",
    "E": "I",
    "O": "U",
    "U": "O",
    "K": "CQ",
    "C": "K",
    "Z": "JS",
    "S": "Z",
    "D": "T",
    "T": "D",
}


def typo(text: str, rng: np.random.Generator) -> str:
    """One keying error in the letters of ``text`` (case is kept: lower-case letters get lower-case
    errors). Text without at least two letters comes back with one letter changed or unchanged."""
    letters = [i for i, ch in enumerate(text) if ch.isalpha()]
    if len(letters) < 2:
        return text
    # Errors in the first letter are rarer than elsewhere.
    pos = letters[int(rng.integers(1, len(letters))) if rng.random() < 0.9 else 0]
    ch = text[pos]
    upper = ch.upper()
    kind = rng.random()
    if kind < 0.45:
        pool = _SOUNDS.get(upper, "") if rng.random() < 0.4 else ""
        pool = pool or _NEIGHBOURS.get(upper, "AEIOU")
        new = pool[int(rng.integers(len(pool)))]
        new = new if ch.isupper() else new.lower()
        return text[:pos] + new + text[pos + 1 :] if new != ch else text[:pos] + text[pos + 1 :]
    if kind < 0.7:
        return text[:pos] + text[pos + 1 :]
    if kind < 0.9:
        nxt = pos + 1
        if nxt < len(text) and text[nxt].isalpha() and text[nxt] != ch:
            return text[:pos] + text[nxt] + ch + text[nxt + 1 :]
        return text[:pos] + ch + text[pos:]
    return text[:pos] + ch + text[pos:]


def digit_typo(digits: str, rng: np.random.Generator, start: int = 0) -> str:
    """Replace one digit at or after ``start`` with a different digit."""
    pos = int(rng.integers(start, len(digits)))
    new = str((int(digits[pos]) + int(rng.integers(1, 10))) % 10)
    return digits[:pos] + new + digits[pos + 1 :]


def transpose_digits(digits: str, rng: np.random.Generator, start: int = 0) -> str:
    """Swap two neighbouring, different digits at or after ``start`` (a digit typo when all equal)."""
    candidates = [i for i in range(start, len(digits) - 1) if digits[i] != digits[i + 1]]
    if not candidates:
        return digit_typo(digits, rng, start)
    pos = candidates[int(rng.integers(len(candidates)))]
    return digits[:pos] + digits[pos + 1] + digits[pos] + digits[pos + 2 :]
