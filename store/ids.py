"""Registry ids: new persons get the next id; a person already in the registry keeps theirs.

A cluster of records inherits the registry id that most of its members already carry. When two
former persons merge, the id held by more members (then the older, smaller id) survives; when a
former person splits, the part holding more of its records keeps the id and the rest get new ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["assign_registry_ids", "format_registry_id"]

ID_PREFIX = "RT"
ID_DIGITS = 10


def format_registry_id(number: int) -> str:
    return f"{ID_PREFIX}{number:0{ID_DIGITS}d}"


def assign_registry_ids(
    clusters: np.ndarray, previous_ids: pd.Series, next_number: int
) -> tuple[np.ndarray, int]:
    """Registry id per record, and the next unused id number.

    ``clusters``: cluster label per record (positional). ``previous_ids``: the registry id each record had
    before this run (positional, missing for records new to the registry).
    """
    clusters = np.asarray(clusters)
    previous = pd.Series(previous_ids.to_numpy(dtype=object), dtype="object")
    votes = (
        pd.DataFrame({"cluster": clusters, "registry_id": previous})
        .dropna(subset=["registry_id"])
        .groupby(["cluster", "registry_id"], sort=False)
        .size()
        .rename("votes")
        .reset_index()
    )
    # Largest claim first; ties go to the older (smaller) id. Each old id and each cluster used once.
    votes = votes.sort_values(["votes", "registry_id"], ascending=[False, True], kind="stable")
    chosen: dict[object, str] = {}
    taken: set[str] = set()
    for cluster, registry_id in zip(
        votes["cluster"].to_numpy(), votes["registry_id"].to_numpy(), strict=True
    ):
        if cluster in chosen or registry_id in taken:
            continue
        chosen[cluster] = registry_id
        taken.add(registry_id)
    unique_clusters = pd.unique(clusters)
    fresh = [cluster for cluster in unique_clusters if cluster not in chosen]
    for offset, cluster in enumerate(fresh):
        chosen[cluster] = format_registry_id(next_number + offset)
    ids = pd.Series(clusters).map(chosen).to_numpy(dtype=object)
    return ids, next_number + len(fresh)
