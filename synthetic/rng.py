"""Seeded random streams: one independent numpy generator per named purpose.

Every part of the generator draws from its own stream, keyed by the drop's seed and a fixed purpose
name, so that adding draws in one part never shifts the values of another and a drop is reproducible
byte for byte from ``(persons, seed)``.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

__all__ = ["stream", "choose", "chance", "pick_rows"]


def stream(seed: int, purpose: str) -> np.random.Generator:
    """A generator for one purpose of one drop; the same (seed, purpose) always gives the same draws."""
    if seed < 0:
        raise ValueError("seed must be a non-negative integer")
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(purpose.encode("utf-8"))]))


def choose(rng: np.random.Generator, n: int, weights: Sequence[float] | np.ndarray) -> np.ndarray:
    """Draw ``n`` indices into ``weights`` with probability proportional to the weights."""
    w = np.asarray(weights, dtype=float)
    cdf = np.cumsum(w)
    cdf /= cdf[-1]
    idx = np.searchsorted(cdf, rng.random(n), side="right")
    return np.minimum(idx, len(w) - 1)


def chance(rng: np.random.Generator, p: float | np.ndarray, n: int) -> np.ndarray:
    """A boolean mask of length ``n``, each entry true with probability ``p`` (scalar or per-entry)."""
    return rng.random(n) < p


def pick_rows(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """``k`` distinct row positions out of ``n`` (all of them when ``k >= n``), in ascending order."""
    k = max(0, min(int(k), n))
    return np.sort(rng.choice(n, size=k, replace=False)) if k else np.empty(0, dtype=np.int64)
