"""Fellegi–Sunter scoring without labels.

* **u** (level probabilities among non-matches) from comparison levels of uniformly random record
  pairs: virtually all random pairs are non-matches.
* **m** (level probabilities among matches) by expectation–maximisation with u held fixed, run on the
  distinct comparison patterns with their counts (a few hundred patterns stand for millions of
  pairs). Training uses Splink-style sessions: pairs from a training blocking rule, with the
  comparisons that rule conditions on left out (their levels are biased by the blocking).
* **lambda** (probability that two random records match) as the fixed point of
  ``lambda = expected matches among candidates / all record pairs``.
* **Term frequencies**: agreement on a value is adjusted by ``log2(u_exact / tf(value))`` so an exact
  match on a very common name (``SITI AMINAH``) counts less than one on a rare name.

A pair's match weight is ``log2(lambda / (1 - lambda)) + sum of log2(m / u)`` (+ TF adjustments);
null levels contribute 0. Probability = ``2**w / (1 + 2**w)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "FellegiSunterModel",
    "pattern_counts",
    "merge_pattern_counts",
    "level_counts",
    "estimate_u",
    "estimate_u_from_counts",
    "expectation_maximisation",
    "estimate_lambda",
    "EMResult",
    "default_m",
]


def pattern_counts(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct rows of an int8 level matrix: (patterns, counts, inverse index per row)."""
    if matrix.shape[0] == 0:
        return matrix.copy(), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    radix = int(matrix.max()) + 1
    code = np.zeros(matrix.shape[0], dtype=np.int64)
    for k in range(matrix.shape[1]):
        code = code * radix + matrix[:, k].astype(np.int64)
    unique, first, inverse, counts = np.unique(
        code, return_index=True, return_inverse=True, return_counts=True
    )
    return matrix[first], counts.astype(np.int64), inverse.astype(np.int64)


def merge_pattern_counts(
    parts: list[tuple[np.ndarray, np.ndarray]], width: int
) -> tuple[np.ndarray, np.ndarray]:
    """(patterns, counts) of several chunks' :func:`pattern_counts` merged: the same arrays (same
    order: patterns sorted lexicographically) as :func:`pattern_counts` of the concatenated matrix."""
    parts = [(p, c) for p, c in parts if len(c)]
    if not parts:
        return np.zeros((0, width), dtype=np.int8), np.zeros(0, dtype=np.int64)
    if len(parts) == 1:
        return parts[0][0], parts[0][1].astype(np.int64)
    patterns = np.concatenate([p for p, _ in parts])
    counts = np.concatenate([c for _, c in parts]).astype(np.int64)
    distinct, _, inverse = pattern_counts(patterns)
    merged = np.zeros(len(distinct), dtype=np.int64)
    np.add.at(merged, inverse, counts)
    return distinct, merged


def level_counts(matrix: np.ndarray, n_levels: list[int]) -> list[np.ndarray]:
    """How many rows of a level matrix have each level, per comparison (int64, summable over chunks)."""
    return [
        np.bincount(matrix[:, k], minlength=levels).astype(np.int64)[:levels]
        for k, levels in enumerate(n_levels)
    ]


def estimate_u(matrix: np.ndarray, n_levels: list[int], floor: float) -> list[np.ndarray]:
    """u per comparison and level from the levels of random pairs (level 0, null, gets NaN)."""
    return estimate_u_from_counts(level_counts(matrix, n_levels), floor)


def estimate_u_from_counts(counts_per_comparison: list[np.ndarray], floor: float) -> list[np.ndarray]:
    """u per comparison and level from :func:`level_counts` of random pairs (level 0, null, gets NaN)."""
    u = []
    for level_count in counts_per_comparison:
        counts = level_count.astype(np.float64)
        observed = counts[1:]
        probs = (observed + 0.5) / (observed.sum() + 0.5 * len(observed))  # smoothed, never zero
        probs = np.maximum(probs, floor)
        u.append(np.concatenate([[np.nan], probs / probs.sum()]))
    return u


def default_m(n_levels: int) -> np.ndarray:
    """A neutral starting point for EM: most mass on the most similar level, decaying geometrically."""
    raw = 0.5 ** np.arange(n_levels - 1) * np.linspace(1.0, 0.2, n_levels - 1)
    raw[0] = max(raw[0], 4 * raw[1:].sum()) if n_levels > 2 else raw[0]
    return np.concatenate([[np.nan], raw / raw.sum()])


def _log_likelihoods(patterns: np.ndarray, probs: list[np.ndarray], active: list[int]) -> np.ndarray:
    total = np.zeros(patterns.shape[0], dtype=np.float64)
    for k in active:
        table = np.log(np.nan_to_num(probs[k], nan=1.0))
        table[0] = 0.0
        total += table[patterns[:, k]]
    return total


@dataclass(frozen=True)
class EMResult:
    m: list[np.ndarray]
    lambda_: float
    iterations: int
    converged: bool
    active: list[int]


def expectation_maximisation(
    patterns: np.ndarray,
    counts: np.ndarray,
    u: list[np.ndarray],
    m_start: list[np.ndarray],
    active: list[int],
    *,
    max_iterations: int,
    tolerance: float,
    floor: float,
    lambda_start: float = 0.3,
) -> EMResult:
    """EM for m (comparisons in ``active`` only) and the session's lambda, u fixed."""
    m = [x.copy() for x in m_start]
    lam = lambda_start
    weights = counts.astype(np.float64)
    log_u = _log_likelihoods(patterns, u, active)
    converged = False
    iteration = 0
    for iteration in range(1, max_iterations + 1):  # noqa: B007
        log_m = _log_likelihoods(patterns, m, active)
        log_odds = np.log(lam) - np.log1p(-lam) + log_m - log_u
        posterior = 1.0 / (1.0 + np.exp(-np.clip(log_odds, -700, 700)))
        matched = weights * posterior
        new_lam = float(np.clip(matched.sum() / weights.sum(), 1e-9, 1 - 1e-9))
        change = abs(new_lam - lam)
        for k in active:
            levels = len(m[k])
            mass = np.bincount(patterns[:, k], weights=matched, minlength=levels)[:levels]
            observed = mass[1:]
            if observed.sum() <= 0:
                continue
            probs = np.maximum(observed / observed.sum(), floor)
            new = np.concatenate([[np.nan], probs / probs.sum()])
            change = max(change, float(np.nanmax(np.abs(new - m[k]))))
            m[k] = new
        lam = new_lam
        if change < tolerance:
            converged = True
            break
    return EMResult(m=m, lambda_=lam, iterations=iteration, converged=converged, active=list(active))


def estimate_lambda(
    patterns: np.ndarray,
    counts: np.ndarray,
    bayes_log2: np.ndarray,
    total_pairs: float,
    *,
    max_iterations: int = 200,
    tolerance: float = 1e-9,
) -> tuple[float, int]:
    """Fixed point of lambda = sum of match posteriors over candidates / all record pairs.

    ``bayes_log2`` is the per-pattern sum of log2(m/u) (TF adjustments excluded)."""
    lam = min(0.5, max(counts.sum() / max(total_pairs, 1.0), 1e-12))
    for iteration in range(1, max_iterations + 1):
        log2_odds = np.log2(lam) - np.log2(1 - lam) + bayes_log2
        posterior = 1.0 / (1.0 + np.exp2(-np.clip(log2_odds, -1000, 1000)))
        new = float(np.clip((counts * posterior).sum() / total_pairs, 1e-15, 0.5))
        if abs(new - lam) <= tolerance * max(lam, 1e-15):
            return new, iteration
        lam = new
    return lam, max_iterations


@dataclass(frozen=True)
class FellegiSunterModel:
    """m, u and lambda of a trained model, plus term-frequency settings; scores level matrices."""

    comparison_names: tuple[str, ...]
    level_names: tuple[tuple[str, ...], ...]
    m: tuple[np.ndarray, ...]
    u: tuple[np.ndarray, ...]
    lambda_: float
    tf_levels: tuple[tuple[int, ...], ...]
    tf_minimum: tuple[float, ...]
    tf_max_adjustment: float = 10.0
    training: dict[str, object] = field(default_factory=dict)

    @property
    def prior_weight(self) -> float:
        return float(np.log2(self.lambda_) - np.log2(1 - self.lambda_))

    def state(self, records: int, training_hash: str) -> dict[str, object]:
        """Everything needed to score with this model again (full precision, JSON-serialisable).

        ``records``: the size of the frame it was trained on (lambda is a share of that frame's record
        pairs); ``training_hash``: :func:`matching.settings.training_hash` of its settings."""
        return {
            "version": 1,
            "training_hash": training_hash,
            "records": int(records),
            "comparison_names": list(self.comparison_names),
            "level_names": [list(names) for names in self.level_names],
            "m": [[float(x) for x in values] for values in self.m],
            "u": [[float(x) for x in values] for values in self.u],
            "lambda": float(self.lambda_),
            "tf_levels": [list(levels) for levels in self.tf_levels],
            "tf_minimum": [float(x) for x in self.tf_minimum],
            "tf_max_adjustment": float(self.tf_max_adjustment),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], records: int) -> FellegiSunterModel:
        """The model of :meth:`state`, for a population of ``records`` records.

        Lambda is the expected share of matching pairs among all record pairs: with the matches growing
        like the records and the pairs like their square, it scales by (n - 1) / (records - 1), n the
        records it was trained on; m, u and the term-frequency settings are the trained ones."""
        trained_on = int(state["records"])
        lam = float(state["lambda"]) * max(trained_on - 1, 1) / max(records - 1, 1)
        return cls(
            comparison_names=tuple(state["comparison_names"]),
            level_names=tuple(tuple(names) for names in state["level_names"]),
            m=tuple(np.asarray(values, dtype=np.float64) for values in state["m"]),
            u=tuple(np.asarray(values, dtype=np.float64) for values in state["u"]),
            lambda_=float(np.clip(lam, 1e-15, 0.5)),
            tf_levels=tuple(tuple(int(x) for x in levels) for levels in state["tf_levels"]),
            tf_minimum=tuple(float(x) for x in state["tf_minimum"]),
            tf_max_adjustment=float(state["tf_max_adjustment"]),
            training={"stored": True, "trained_on_records": trained_on, "scaled_to_records": int(records)},
        )

    def level_weights(self) -> list[np.ndarray]:
        """log2(m/u) per comparison and level (0 for the null level)."""
        out = []
        for m, u in zip(self.m, self.u, strict=True):
            w = np.log2(m) - np.log2(u)
            w[0] = 0.0
            out.append(w)
        return out

    def contributions(self, matrix: np.ndarray, tf_freq: list[np.ndarray | None] | None = None) -> np.ndarray:
        """Per-pair, per-comparison weights (float32, shape pairs x comparisons).

        ``tf_freq[k]`` holds, per pair, the frequency of the agreed value (NaN where not applicable)."""
        out = np.empty(matrix.shape, dtype=np.float32)
        for k, weights in enumerate(self.level_weights()):
            column = weights[matrix[:, k]]
            freq = tf_freq[k] if tf_freq is not None else None
            if freq is not None and self.tf_levels[k]:
                u_exact = self.u[k][1]
                apply = np.isin(matrix[:, k], self.tf_levels[k]) & ~np.isnan(freq)
                adjust = np.log2(u_exact) - np.log2(np.maximum(freq[apply], self.tf_minimum[k]))
                column[apply] += np.clip(adjust, -self.tf_max_adjustment, self.tf_max_adjustment)
            out[:, k] = column
        return out

    def to_dict(self) -> dict[str, object]:
        """JSON-serialisable description (m/u per level, lambda, weights, training diagnostics)."""
        comparisons = []
        for k, name in enumerate(self.comparison_names):
            weights = self.level_weights()[k]
            comparisons.append(
                {
                    "name": name,
                    "levels": [
                        {
                            "level": i,
                            "name": level,
                            "m": None if i == 0 else round(float(self.m[k][i]), 8),
                            "u": None if i == 0 else round(float(self.u[k][i]), 10),
                            "weight": round(float(weights[i]), 4),
                            "term_frequency": i in self.tf_levels[k],
                        }
                        for i, level in enumerate(self.level_names[k])
                    ],
                }
            )
        return {
            "lambda": float(self.lambda_),
            "prior_weight": round(self.prior_weight, 4),
            "comparisons": comparisons,
            "training": self.training,
        }
