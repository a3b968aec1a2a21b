"""Scoring the registry against a generated drop's truth (samples only: real drops have no truth)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from connectors.errors import RegistryError
from matching import pairwise_scores
from store import read_links

__all__ = ["IdStability", "RegistryScores", "evaluate_registry", "id_stability"]


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


@dataclass(frozen=True)
class IdStability:
    """Of the persons whose cluster was right before (exactly one true person's linked records), how
    many still carry their registry id on every record of theirs the registry still holds."""

    right_persons: int
    kept: int
    #: of the others, how many still carry their id on most of their records (a part split off)
    kept_by_most: int = 0

    @property
    def changed(self) -> int:
        return self.right_persons - self.kept


def id_stability(before: pd.DataFrame, after: pd.DataFrame, truth: pd.DataFrame) -> IdStability:
    """``before``/``after``: ``source, record_id, registry_id`` (``read_links``); ``truth``: the first
    drop's ``source, record_id, person_id``."""
    keys = ["source", "record_id"]
    joined = before.merge(truth[[*keys, "person_id"]], on=keys, how="inner")
    per_id = joined.groupby("registry_id")["person_id"].agg(["nunique", "first", "size"])
    per_person = joined.groupby("person_id").size()
    right = per_id[
        (per_id["nunique"] == 1) & (per_id["size"].to_numpy() == per_person[per_id["first"]].to_numpy())
    ]
    mine = joined[joined["registry_id"].isin(right.index)]
    now = mine.merge(after, on=keys, how="inner", suffixes=("", "_after"))
    share = (
        now.assign(same=now["registry_id_after"] == now["registry_id"]).groupby("registry_id")["same"].mean()
    )
    gone = set(right.index) - set(now["registry_id"])  # every record of theirs left the sources
    return IdStability(
        right_persons=len(right) - len(gone),
        kept=int((share == 1.0).sum()),
        kept_by_most=int(((share > 0.5) & (share < 1.0)).sum()),
    )
