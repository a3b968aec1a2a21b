"""Pairwise precision, recall and F1 of a predicted clustering against a reference labelling.

Pairs are counted through cluster sizes (``k * (k - 1) / 2`` per cluster and per intersection of a
predicted and a true cluster), so the cost is O(n log n) and no pair list is built.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["pairwise_scores", "pair_count"]


def pair_count(labels: np.ndarray) -> int:
    """Number of record pairs sharing a label."""
    _, sizes = np.unique(labels, return_counts=True)
    sizes = sizes.astype(np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def pairwise_scores(predicted, truth) -> tuple[float, float, float]:
    """(precision, recall, F1) over record pairs; labels are any hashable values, one per record.

    With no predicted pairs precision is 1.0; with no true pairs recall is 1.0.
    """
    pred = pd.factorize(pd.Series(np.asarray(predicted, dtype=object)))[0].astype(np.int64)
    true = pd.factorize(pd.Series(np.asarray(truth, dtype=object)))[0].astype(np.int64)
    if len(pred) != len(true):
        raise ValueError(f"labelings differ in length: {len(pred)} vs {len(true)}")
    predicted_pairs = pair_count(pred)
    true_pairs = pair_count(true)
    both = pair_count(pred * (int(true.max(initial=0)) + 1) + true)
    precision = both / predicted_pairs if predicted_pairs else 1.0
    recall = both / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
