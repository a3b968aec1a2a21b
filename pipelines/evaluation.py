"""Scoring the registry against a generated drop's truth (samples only: real drops have no truth)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from connectors.errors import RegistryError
from matching import pairwise_scores
from store import read_links

__all__ = ["RegistryScores", "evaluate_registry"]


@dataclass(frozen=True)
class RegistryScores:
    records: int
    unlinked: int
    true_pairs: int
    predicted_pairs: int
    precision: float
    recall: float
    f1: float


def evaluate_registry(engine: sa.Engine, truth_path: Path) -> RegistryScores:
    """Pairwise scores over the records present in both the registry and ``truth.csv``."""
    truth = pd.read_csv(truth_path, dtype=str, keep_default_na=False)
    missing = {"source", "record_id", "person_id"} - set(truth.columns)
    if missing:
        raise RegistryError(f"{truth_path}: missing column(s) {', '.join(sorted(missing))}")
    links = read_links(engine)
    joined = truth.merge(links, on=["source", "record_id"], how="inner")
    predicted = pd.factorize(joined["registry_id"])[0]
    actual = pd.factorize(joined["person_id"])[0]
    precision, recall, f1 = pairwise_scores(predicted, actual)
    return RegistryScores(
        records=len(joined),
        unlinked=len(truth) - len(joined),
        true_pairs=_pairs(actual),
        predicted_pairs=_pairs(predicted),
        precision=precision,
        recall=recall,
        f1=f1,
    )


def _pairs(labels) -> int:  # type: ignore[no-untyped-def]
    sizes = pd.Series(labels).value_counts().to_numpy()
    return int((sizes * (sizes - 1) // 2).sum())
