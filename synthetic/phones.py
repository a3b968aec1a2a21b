"""Indonesian mobile numbers and their written forms.

A number is kept as its national significant number without the trunk 0 (``81234567890``); the
health insurer writes ``08…``, the employment insurer ``+628…``, ``628…`` or ``08…``. Operator
prefixes follow the carrier metadata quoted in the domain notes.
"""

from __future__ import annotations

import numpy as np

from synthetic.rng import choose

__all__ = ["draw_phones", "format_local", "format_tk"]

# (prefix without the 0, share, subscriber digits after the 3-digit prefix)
_PREFIXES = (
    (811, 3, (7, 8)), (812, 9, (7, 8)), (813, 8, (7, 8)), (821, 8, (8,)), (822, 7, (8,)), (823, 2, (8,)),
    (851, 3, (8,)), (852, 4, (8,)), (853, 2, (8,)),
    (814, 1, (8,)), (815, 2, (7, 8)), (816, 1, (7, 8)), (855, 1, (8,)), (856, 3, (8,)), (857, 4, (8,)),
    (858, 2, (8,)), (895, 2, (8,)), (896, 3, (8,)), (897, 2, (8,)), (898, 2, (8,)), (899, 1, (8,)),
    (817, 3, (7, 8)), (818, 2, (7, 8)), (819, 3, (7, 8)), (859, 2, (8,)), (877, 3, (8,)), (878, 4, (8,)),
    (879, 1, (8,)), (831, 2, (8,)), (832, 1, (8,)), (833, 1, (8,)), (838, 2, (8,)),
    (881, 1, (9,)), (882, 1, (9,)), (883, 1, (9,)), (887, 1, (9,)), (888, 1, (9,)), (889, 1, (9,)),
)  # fmt: skip


def draw_phones(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` mobile numbers as integers (national significant number, no leading 0)."""
    which = choose(rng, n, [share for _, share, _ in _PREFIXES])
    prefix = np.array([p for p, _, _ in _PREFIXES], dtype=np.int64)[which]
    long_pick = rng.random(n)
    lengths = np.array([lens[-1] if len(lens) == 1 else 0 for _, _, lens in _PREFIXES])[which]
    lengths = np.where(lengths == 0, np.where(long_pick < 0.6, 8, 7), lengths)
    low = 10 ** (lengths - 1)  # no leading zeros after the prefix
    subscriber = low + (rng.random(n) * 9 * low).astype(np.int64)
    return prefix * 10**lengths + subscriber


def format_local(numbers: np.ndarray) -> np.ndarray:
    """``08…`` text; 0 (no number) becomes an empty string."""
    return np.array(["" if x == 0 else f"0{x}" for x in numbers.tolist()], dtype=object)


def format_tk(rng: np.random.Generator, numbers: np.ndarray) -> np.ndarray:
    """``+628…``, ``628…`` or ``08…`` text; 0 (no number) becomes an empty string."""
    style = choose(rng, len(numbers), (30, 25, 45)).tolist()
    heads = ("+62", "62", "0")
    return np.array(
        ["" if x == 0 else f"{heads[s]}{x}" for x, s in zip(numbers.tolist(), style, strict=True)],
        dtype=object,
    )
