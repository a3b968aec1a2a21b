"""Clusters of records (one per person) from scored pairs, guarded against over-merging.

Connected components over the 'match' edges give the clusters, except where a component would hold
records that must not be one person:

* **NIK guard**: two records with different valid NIKs, each NIK agreeing with its own record's birth
  date and sex (``nik_agrees``), are different people — unless the NIKs are within
  ``nik_guard_max_distance`` edits (a typo) *and* the names agree (same letters; twins born the same
  day get consecutive NIK serials, so near NIKs with different names are siblings).
* **cannot-link** pairs given by a steward.

Such components are rebuilt with a union–find that adds their edges in descending weight order and
refuses any edge that would join two sets in conflict, so the component is cut at its weakest links.
Steward **must-link** pairs are added first (they ignore the NIK guard but not cannot-links).
Only conflicted components go through the union–find; everything else stays vectorised.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import OSA
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

__all__ = ["ClusterResult", "cluster_links", "components"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClusterResult:
    cluster_ids: np.ndarray
    components_cut: int
    edges_refused: int


def components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Connected-component label (int64) per record for the undirected edges (left, right)."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n)).tocsr()
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)


def _signature(name: str) -> str:
    """Letters of a name key in sorted order: equal for reordered, joined or split names."""
    return "".join(sorted(name.replace(" ", "")))


def _conflicting(a: set[tuple[str, str]], b: set[tuple[str, str]], max_distance: int) -> bool:
    """Two sets of (NIK, name signature) anchors conflict when any two NIKs differ by more than
    ``max_distance`` edits, or differ at all while their names differ too."""
    for nik_a, name_a in a:
        for nik_b, name_b in b:
            if nik_a == nik_b:
                continue
            if OSA.distance(nik_a, nik_b, score_cutoff=max_distance + 1) > max_distance:
                return True
            if name_a and name_b and name_a != name_b:
                return True
    return False


class _UnionFind:
    def __init__(
        self, anchors: dict[int, tuple[str, str]], forbidden: dict[int, set[int]], max_distance: int
    ) -> None:
        self.parent: dict[int, int] = {}
        self.members: dict[int, list[int]] = {}
        self.anchors: dict[int, set[tuple[str, str]]] = {}
        self.forbidden = forbidden
        self.max_distance = max_distance
        self._anchor_of = anchors

    def add(self, x: int) -> None:
        if x not in self.parent:
            self.parent[x] = x
            self.members[x] = [x]
            self.anchors[x] = {self._anchor_of[x]} if x in self._anchor_of else set()

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int, *, check_nik: bool) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        for x in self.members[rb]:
            for y in self.forbidden.get(x, ()):
                if y in self.parent and self.find(y) == ra:
                    return False
        if check_nik and _conflicting(self.anchors[ra], self.anchors[rb], self.max_distance):
            return False
        self.parent[rb] = ra
        self.members[ra].extend(self.members.pop(rb))
        self.anchors[ra] |= self.anchors.pop(rb)
        return True


def _normalise_pairs(pairs: np.ndarray | None, n: int) -> np.ndarray:
    if pairs is None or len(pairs) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if pairs.min() < 0 or pairs.max() >= n:
        raise IndexError("must-link/cannot-link pairs must be positional row numbers of the frame")
    return np.sort(pairs, axis=1)


def cluster_links(
    n: int,
    left: np.ndarray,
    right: np.ndarray,
    weight: np.ndarray,
    *,
    nik_anchor: np.ndarray | None = None,
    anchor_name: np.ndarray | None = None,
    max_nik_distance: int = 1,
    must_link: np.ndarray | None = None,
    cannot_link: np.ndarray | None = None,
) -> ClusterResult:
    """Cluster ids (int64, positional, numbered by first record) from match edges.

    ``left``/``right``/``weight`` are the accepted ('match') edges; ``nik_anchor`` holds per record the
    NIK that may anchor the guard ('' for none: invalid NIK, or one that disagrees with its record) and
    ``anchor_name`` its name key (NIKs one typo apart only stay together when their names agree);
    ``must_link``/``cannot_link`` are (k, 2) arrays of positional row numbers.
    """
    must = _normalise_pairs(must_link, n)
    cannot = _normalise_pairs(cannot_link, n)
    edge_l = np.concatenate([must[:, 0], np.asarray(left, dtype=np.int64)])
    edge_r = np.concatenate([must[:, 1], np.asarray(right, dtype=np.int64)])
    edge_w = np.concatenate([np.full(len(must), np.inf), np.asarray(weight, dtype=np.float64)])
    labels = components(n, edge_l, edge_r)

    conflicted = np.zeros(0, dtype=np.int64)
    if nik_anchor is not None:
        has = np.flatnonzero(nik_anchor != "")
        if len(has):
            pairs = np.unique(
                np.stack([labels[has], np.unique(nik_anchor[has], return_inverse=True)[1]]), axis=1
            )
            per_component = np.bincount(pairs[0], minlength=n)
            conflicted = np.flatnonzero(per_component >= 2)
    if len(cannot):
        same = labels[cannot[:, 0]] == labels[cannot[:, 1]]
        conflicted = np.union1d(conflicted, labels[cannot[same, 0]])

    cut = 0
    refused = 0
    if len(conflicted):
        in_conflict = np.isin(labels, conflicted)
        edge_in = in_conflict[edge_l]
        order = np.flatnonzero(edge_in)
        order = order[np.argsort(-edge_w[order], kind="stable")]
        nodes = np.flatnonzero(in_conflict)
        anchors = {
            int(i): (str(nik_anchor[i]), _signature(str(anchor_name[i])) if anchor_name is not None else "")
            for i in nodes
            if nik_anchor is not None and nik_anchor[i] != ""
        }
        forbidden: dict[int, set[int]] = {}
        for a, b in cannot.tolist():
            forbidden.setdefault(a, set()).add(b)
            forbidden.setdefault(b, set()).add(a)
        uf = _UnionFind(anchors, forbidden, max_nik_distance)
        for node in nodes.tolist():
            uf.add(node)
        n_must = len(must)
        for e in order.tolist():
            if not uf.union(int(edge_l[e]), int(edge_r[e]), check_nik=e >= n_must):
                refused += 1
        roots = np.array([uf.find(int(x)) for x in nodes], dtype=np.int64)
        labels = labels.copy()
        labels[nodes] = n + roots  # fresh labels that cannot collide with component labels
        cut = int(len(conflicted))
    _, first_seen, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(len(first_seen), dtype=np.int64)
    rank[np.argsort(first_seen, kind="stable")] = np.arange(len(first_seen))
    cluster_ids = rank[inverse].astype(np.int64)
    log.info("clustering: %d clusters; %d components re-cut, %d edges refused", len(first_seen), cut, refused)
    return ClusterResult(cluster_ids=cluster_ids, components_cut=cut, edges_refused=refused)
