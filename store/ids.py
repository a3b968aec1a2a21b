"""Registry ids: new persons get the next id; a person already in the registry keeps theirs.

Each former registry id has a *home*: the cluster holding most of its records (ties: the cluster whose
smallest record key is smallest). A cluster takes the oldest (smallest) id among the ids at home in
it. So when two former persons merge, the older id survives and the other is retired (it redirects to
the survivor); when a former person splits, the part holding more of its records keeps the id and the
other parts get new ids. ``id_changes`` turns a run's before/after ids into those events.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["IdChanges", "assign_registry_ids", "format_registry_id", "id_changes"]

ID_PREFIX = "RT"
ID_DIGITS = 10


def format_registry_id(number: int) -> str:
    return f"{ID_PREFIX}{number:0{ID_DIGITS}d}"


def assign_registry_ids(
    clusters: np.ndarray, previous_ids: pd.Series, next_number: int, keys: np.ndarray | None = None
) -> tuple[np.ndarray, int]:
    """Registry id per record, and the next unused id number.

    ``clusters``: cluster label per record (positional). ``previous_ids``: the registry id each record had
    before this run (positional, missing for records new to the registry). ``keys``: a stable key per
    record (e.g. ``source|record_id``) for breaking ties; by default the position.
    """
    clusters = np.asarray(clusters)
    keys = np.asarray(keys) if keys is not None else np.arange(len(clusters))
    if keys.dtype.kind not in "iu":
        keys = keys.astype(object)
    # keys by their rank in sorted order: the smallest key of a cluster is its smallest rank (a groupby
    # min over integers; over strings pandas falls back to Python). Integer keys are ranked as integers
    # (4.1M of them as Python objects: 5 s)
    rank, _ = pd.factorize(keys, sort=True)
    frame = pd.DataFrame(
        {"cluster": clusters, "registry_id": previous_ids.to_numpy(dtype=object), "key": rank}
    )
    first_key = frame.groupby("cluster", sort=False)["key"].min().rename("first_key")
    votes = (
        frame.dropna(subset=["registry_id"])
        .groupby(["registry_id", "cluster"], sort=False)
        .size()
        .rename("votes")
        .reset_index()
        .join(first_key, on="cluster")
    )
    homes = votes.sort_values(
        ["registry_id", "votes", "first_key"], ascending=[True, False, True], kind="stable"
    ).drop_duplicates("registry_id")
    # the oldest id at home in each cluster
    chosen = (
        homes.sort_values("registry_id", kind="stable").drop_duplicates("cluster").set_index("cluster")
    )["registry_id"]
    # each cluster once (in the order they first come, as grouped), its id; a cluster without one gets a
    # new id, in the order of its smallest key
    in_order = first_key.index
    ids_of_cluster = chosen.reindex(in_order).to_numpy(dtype=object)
    fresh = np.flatnonzero(pd.isna(ids_of_cluster))
    fresh = fresh[np.argsort(first_key.to_numpy()[fresh], kind="stable")]
    ids_of_cluster[fresh] = [format_registry_id(next_number + offset) for offset in range(len(fresh))]
    ids = ids_of_cluster[in_order.get_indexer(clusters)]
    return ids, next_number + len(fresh)


@dataclass(frozen=True)
class IdChanges:
    """What a run did to registry ids: ``(registry_id, other_registry_id, records)`` per event.

    ``merges``: other was merged into registry_id and retired. ``splits``: other was split off
    registry_id (which kept its id). ``new``: ids of new persons. ``retired``: ids left with no records.
    """

    merges: list[tuple[str, str, int]] = field(default_factory=list)
    splits: list[tuple[str, str, int]] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.merges or self.splits or self.new or self.retired)


def id_changes(previous_ids: pd.Series, new_ids: pd.Series, registry_before: set[str]) -> IdChanges:
    """The events between each record's id before (missing: new record) and after this run.

    ``registry_before``: every registry id the registry held before the run.
    """
    frame = pd.DataFrame({"old": previous_ids.to_numpy(dtype=object), "new": new_ids.to_numpy(dtype=object)})
    after = set(pd.unique(frame["new"]))
    moved = frame.dropna(subset=["old"]).groupby(["old", "new"], sort=True).size().rename("n").reset_index()
    changes = IdChanges()
    if moved.empty:
        # no record had an id before (a first run): nothing merged or split (and no look-up of every id
        # of the run: 7 s of a 2M first run)
        changes.retired.extend(sorted(registry_before - after))
        changes.new.extend(sorted(after - registry_before))
        return changes
    gone = moved[~moved["old"].isin(after)].sort_values(["old", "n"], ascending=[True, False])
    for old, new, count in gone.drop_duplicates("old").itertuples(index=False):
        changes.merges.append((new, old, int(count)))
    changes.retired.extend(sorted(registry_before - after - set(gone["old"])))
    born = moved[moved["new"].isin(after - registry_before) & moved["old"].isin(after)]
    for old, new, count in born.itertuples(index=False):
        changes.splits.append((old, new, int(count)))
    split_ids = set(born["new"])
    changes.new.extend(sorted(after - registry_before - split_ids))
    return changes
