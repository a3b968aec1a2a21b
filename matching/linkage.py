"""``link_records``: blocking → comparisons → Fellegi–Sunter scoring → guarded clustering.

Everything positional: pairs are int64 row numbers into the standardised frame, the result's
``cluster_ids`` line up with its rows. No truth labels are used anywhere: u comes from random pairs,
m from EM on training blocks, lambda from the candidate pairs themselves.

Partitioned: the per-record features (with the term frequencies of the whole frame) and the pairs
(blocking, random and training samples) are made here; the comparison levels of each chunk of pairs
are computed by an :class:`~matching.executors.Executor` (in this process or on a Dask cluster), which
returns level counts (u), distinct patterns with counts (EM sessions, lambda) or the level matrix
(candidates). EM runs here on the merged patterns; the candidates' weights are computed per chunk
again. The chunking changes nothing in the result.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from matching.blocking import block_pairs, key_codes, random_pairs, sample_pairs_in_blocks
from matching.clustering import cluster_links
from matching.comparisons import (
    Comparison,
    Features,
    ValueFrequencies,
    build_comparisons,
    comparison_matrix,
    term_frequencies,
)
from matching.errors import MatchInputError, MatchSettingsError
from matching.executors import Executor, LocalExecutor, chunk_bounds
from matching.frames import renumbered
from matching.scoring import (
    FellegiSunterModel,
    default_m,
    estimate_lambda,
    estimate_u_from_counts,
    expectation_maximisation,
    level_counts,
    merge_pattern_counts,
    pattern_counts,
)
from matching.settings import (
    MatchSettings,
    ThresholdSettings,
    load_settings,
    settings_hash,
    training_hash,
)

__all__ = [
    "REQUIRED_COLUMNS",
    "LinkageResult",
    "ScoredPairs",
    "cluster_scored",
    "link_records",
    "score_records",
    "population_frequencies",
    "scaled_model",
    "train_model",
]

log = logging.getLogger(__name__)

#: Standardised columns the default comparisons and the guard read.
REQUIRED_COLUMNS: tuple[str, ...] = (
    "nik_std",
    "nik_valid",
    "nik_agrees",
    "name_key",
    "birth_date_std",
    "sex_std",
)


@dataclass(frozen=True)
class LinkageResult:
    """Outcome of :func:`link_records` (see the package docstring for the fields)."""

    cluster_ids: np.ndarray
    pairs: pd.DataFrame
    stats: dict[str, object] = field(default_factory=dict)
    model: dict[str, object] = field(default_factory=dict)


class _Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._start = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = round(now - self._start, 3)
        self._start = now


def _tf_per_pair(features: list[Features], left: np.ndarray) -> list[np.ndarray | None]:
    out: list[np.ndarray | None] = []
    for feats in features:
        if feats.tf_code is None or feats.tf_freq is None:
            out.append(None)
            continue
        code = feats.tf_code[left]
        freq = np.full(len(left), np.nan)
        known = code >= 0
        freq[known] = feats.tf_freq[code[known]]
        out.append(freq)
    return out


# ---- chunk functions: run by the executor (in this process or on a Dask worker) -------------------
# ``shared`` is (comparisons, features) for the whole frame, sent to each worker once.


def _chunk_levels(pairs: tuple[np.ndarray, np.ndarray], shared: tuple) -> np.ndarray:
    comparisons, features = shared
    return comparison_matrix(comparisons, features, pairs[0], pairs[1])


def _chunk_level_counts(pairs: tuple[np.ndarray, np.ndarray], shared: tuple) -> list[np.ndarray]:
    return level_counts(_chunk_levels(pairs, shared), [c.n_levels for c in shared[0]])


def _chunk_patterns(pairs: tuple[np.ndarray, np.ndarray], shared: tuple) -> tuple[np.ndarray, np.ndarray]:
    patterns, counts, _ = pattern_counts(_chunk_levels(pairs, shared))
    return patterns, counts


def _chunk_candidates(pairs: tuple[np.ndarray, np.ndarray], shared: tuple) -> tuple[np.ndarray, ...]:
    matrix = _chunk_levels(pairs, shared)
    patterns, counts, _ = pattern_counts(matrix)
    return matrix, patterns, counts


def _chunk_scores(
    item: tuple[np.ndarray, np.ndarray],
    shared: tuple,
    model: FellegiSunterModel,
    thresholds: ThresholdSettings,
) -> tuple[np.ndarray, ...]:
    """(contributions, weight, probability, decision_code) of a chunk of (left, level matrix)."""
    comparisons, features = shared
    left, matrix = item
    contributions = model.contributions(matrix, _tf_per_pair(features, left))
    weight = (model.prior_weight + contributions.sum(axis=1, dtype=np.float64)).astype(np.float64)
    probability = 1.0 / (1.0 + np.exp2(-np.clip(weight, -1000, 1000)))
    decision_code = np.where(
        weight >= thresholds.match_weight, 0, np.where(weight >= thresholds.review_weight, 1, 2)
    )
    held = (decision_code == 0) & ~_meets_requirements(matrix, comparisons, thresholds.match_requires)
    decision_code[held] = 1
    return contributions, weight, probability, decision_code


def _pair_chunks(
    left: np.ndarray, right: np.ndarray, executor: Executor
) -> list[tuple[np.ndarray, np.ndarray]]:
    return [
        (left[a:b], right[a:b])
        for a, b in chunk_bounds(len(left), executor.pairs_per_chunk, executor.partitions)
    ]


def train_model(
    std: pd.DataFrame,
    comparisons: list[Comparison],
    features: list[Features],
    candidate_patterns: tuple[np.ndarray, np.ndarray],
    settings: MatchSettings,
    key_cache: dict | None = None,
    *,
    executor: Executor | None = None,
    shared: object = None,
) -> FellegiSunterModel:
    """Estimate u (random pairs), m (EM sessions on training blocks) and lambda (the candidates'
    distinct comparison patterns and their counts). ``shared``: ``executor.scatter((comparisons,
    features))`` when the caller has it already."""
    em = settings.em
    rng = np.random.default_rng(em.seed)
    n = len(std)
    n_levels = [c.n_levels for c in comparisons]
    total_pairs = n * (n - 1) / 2
    executor = executor or LocalExecutor()
    shared = executor.scatter((comparisons, features)) if shared is None else shared

    rl, rr = random_pairs(n, int(min(em.u_sample_pairs, max(total_pairs, 1))), rng)
    counted = executor.map(_chunk_level_counts, _pair_chunks(rl, rr, executor), shared)
    del rl, rr
    totals = [np.zeros(levels, dtype=np.int64) for levels in n_levels]
    for part in counted:
        for k, count in enumerate(part):
            totals[k] += count
    u = estimate_u_from_counts(totals, em.probability_floor)

    start = [default_m(k) for k in n_levels]
    estimates: list[list[np.ndarray]] = [[] for _ in comparisons]
    sessions = []
    cache = {} if key_cache is None else key_cache
    for rule in em.training_rules:
        codes = key_codes(std, rule.keys, cache)
        tl, tr = sample_pairs_in_blocks(
            codes, em.training_sample_pairs, settings.blocking.max_block_size, rng
        )
        active = [k for k, c in enumerate(comparisons) if c.name not in rule.not_estimated]
        session = {"rule": rule.name, "pairs": len(tl), "iterations": 0, "converged": False}
        if len(tl):
            parts = executor.map(_chunk_patterns, _pair_chunks(tl, tr, executor), shared)
            patterns, counts = merge_pattern_counts(parts, len(comparisons))
            result = expectation_maximisation(
                patterns,
                counts,
                u,
                start,
                active,
                max_iterations=em.max_iterations,
                tolerance=em.tolerance,
                floor=em.probability_floor,
            )
            for k in active:
                estimates[k].append(result.m[k])
            session.update(
                iterations=result.iterations,
                converged=result.converged,
                lambda_in_session=round(result.lambda_, 6),
                patterns=len(patterns),
            )
        sessions.append(session)
        log.info(
            "EM session %s: %d pairs, %d iterations, converged=%s",
            rule.name,
            session["pairs"],
            session["iterations"],
            session["converged"],
        )
    m = []
    for k, found in enumerate(estimates):
        if found:
            mean = np.nanmean(np.stack([x[1:] for x in found]), axis=0)
            m.append(np.concatenate([[np.nan], mean / mean.sum()]))
        else:
            log.warning(
                "comparison %s was estimated in no EM session; using the default m", comparisons[k].name
            )
            m.append(start[k])

    patterns, counts = candidate_patterns
    bayes = np.zeros(len(patterns))
    for k in range(len(comparisons)):
        w = np.log2(m[k]) - np.log2(u[k])
        w[0] = 0.0
        bayes += w[patterns[:, k]]
    lam, lam_iterations = estimate_lambda(patterns, counts, bayes, max(total_pairs, 1.0))
    return FellegiSunterModel(
        comparison_names=tuple(c.name for c in comparisons),
        level_names=tuple(c.level_names for c in comparisons),
        m=tuple(m),
        u=tuple(u),
        lambda_=lam,
        tf_levels=tuple(c.tf_levels if c.settings.term_frequency else () for c in comparisons),
        tf_minimum=tuple(c.settings.tf_minimum for c in comparisons),
        training={
            "sessions": sessions,
            "lambda_iterations": lam_iterations,
            "u_sample_pairs": int(min(em.u_sample_pairs, max(total_pairs, 1))),
        },
    )


def _meets_requirements(
    matrix: np.ndarray, comparisons: list[Comparison], alternatives: tuple[dict[str, tuple[str, ...]], ...]
) -> np.ndarray:
    """True for pairs satisfying at least one ``match_requires`` alternative (all, if none given)."""
    if not alternatives:
        return np.ones(matrix.shape[0], dtype=bool)
    position = {c.name: k for k, c in enumerate(comparisons)}
    ok = np.zeros(matrix.shape[0], dtype=bool)
    for alternative in alternatives:
        meets = np.ones(matrix.shape[0], dtype=bool)
        for name, levels in alternative.items():
            if name not in position:
                raise MatchSettingsError(f"match_requires names unknown comparison {name!r}")
            comparison = comparisons[position[name]]
            unknown = set(levels) - set(comparison.level_names)
            if unknown:
                raise MatchSettingsError(
                    f"match_requires: comparison {name!r} has no levels {sorted(unknown)}; "
                    f"its levels are {list(comparison.level_names)}"
                )
            codes = [comparison.level_names.index(level) for level in levels]
            meets &= np.isin(matrix[:, position[name]], codes)
        ok |= meets
    return ok


def _check_columns(std: pd.DataFrame, settings: MatchSettings) -> None:
    needed = set(REQUIRED_COLUMNS)
    needed |= {c.column for c in settings.comparisons if c.column}
    if any(c.kind == "place" for c in settings.comparisons):
        needed |= {"kelurahan_code", "kecamatan_code", "rw_std", "rt_std"}
    missing = sorted(needed - set(std.columns))
    if missing:
        raise MatchInputError(
            f"link_records needs standardised columns {missing}; run standardise_records first",
            columns=tuple(missing),
        )


@dataclass(frozen=True)
class ScoredPairs:
    """Candidate pairs with their comparison levels, weights and provisional decisions (before clustering).

    ``decision_code``: 0 match, 1 review, 2 non-match. Positional into the standardised frame it came from.
    """

    left: np.ndarray
    right: np.ndarray
    rule: pd.Categorical
    matrix: np.ndarray
    contributions: np.ndarray
    weight: np.ndarray
    probability: np.ndarray
    decision_code: np.ndarray
    comparison_names: tuple[str, ...]
    records: int
    stats: dict[str, object]
    model: dict[str, object]
    #: ``FellegiSunterModel.state`` of the model trained on this frame (``None`` when scored with a stored
    #: model): what an incremental run scores with after a full one.
    fitted: dict[str, object] | None = None

    def __len__(self) -> int:
        return len(self.left)


def score_records(
    std: pd.DataFrame,
    settings: MatchSettings | None = None,
    *,
    executor: Executor | None = None,
    model: dict[str, object] | None = None,
    population: pd.DataFrame | None = None,
    population_keys: dict | None = None,
    frequencies: dict[str, ValueFrequencies] | None = None,
    population_size: int | None = None,
    extra_pairs: tuple[str, np.ndarray, np.ndarray] | None = None,
) -> ScoredPairs:
    """Block, compare, train (no labels) and score: every candidate pair with its weight and decision.

    ``executor``: where the comparisons of chunks of pairs run (default: this process); the result is
    the same with any executor.

    Scoring part of a population (an incremental run: the frame holds only the records decided
    again): ``population`` holds the population's other records (at least the columns the term
    frequencies count; see ``Comparison.tf_values``) and ``model`` the ``ScoredPairs.fitted`` state of a
    model trained on the whole population (same :func:`training_hash`). Then nothing is trained: a pair
    gets the weight it would get in a run over the whole population (term frequencies counted over it,
    lambda scaled to its size). ``population_keys``: derived keys of ``population`` already computed
    (e.g. ``__name_tokens__``, row for row); ``frequencies``: the term frequencies of the frame and
    ``population`` together, when already counted (``population_frequencies``; then only
    ``len(population)`` is used, and ``population_size`` may stand for it: how many records the population
    holds besides the frame). ``extra_pairs``: ``(name, left, right)``, positional pairs
    compared and scored besides the blocking rules' (e.g. records that were one person before)."""
    settings = settings or load_settings()
    executor = executor or LocalExecutor()
    _check_columns(std, settings)
    if population_size is not None and frequencies is None:
        raise ValueError("population_size stands for a population whose frequencies were counted")
    timer = _Timer()
    std = renumbered(std)
    n = len(std)

    comparisons = build_comparisons(settings.comparisons)
    keys: dict = {}  # derived keys and name tokens, shared by features, blocking and training
    # term frequencies counted already (over the population) are looked up, not counted over the frame
    counted = frequencies or {}
    features = [c.prepare(std, keys, counted.get(c.name)) for c in comparisons]
    if frequencies is None and population is not None:
        _count_population_frequencies(comparisons, features, std, keys, population, population_keys)
    timer.lap("features")

    candidates = block_pairs(std, settings.blocking, keys, extra=extra_pairs)
    timer.lap("blocking")
    # the features (term frequencies of the whole frame) go to every worker once
    shared = executor.scatter((comparisons, features))
    chunks = _pair_chunks(candidates.left, candidates.right, executor)
    compared = executor.map(_chunk_candidates, chunks, shared)
    matrix = _concatenate([part[0] for part in compared], np.int8, (0, len(comparisons)))
    candidate_patterns = merge_pattern_counts([part[1:] for part in compared], len(comparisons))
    del compared
    timer.lap("comparisons")

    if model is None:
        fitted = train_model(
            std, comparisons, features, candidate_patterns, settings, keys, executor=executor, shared=shared
        )
    else:
        others = len(population) if population is not None else population_size or 0
        fitted = scaled_model(model, comparisons, settings, n + others)
    timer.lap("training")

    thresholds = settings.thresholds
    # a match_requires naming an unknown comparison or level fails here, even without candidate pairs
    _meets_requirements(matrix[:0], comparisons, thresholds.match_requires)
    items, start = [], 0
    for left, _ in chunks:
        items.append((left, matrix[start : start + len(left)]))
        start += len(left)
    scored = executor.map(_chunk_scores, items, shared, fitted, thresholds)
    contributions = _concatenate([part[0] for part in scored], np.float32, (0, len(comparisons)))
    weight = _concatenate([part[1] for part in scored], np.float64, (0,))
    probability = _concatenate([part[2] for part in scored], np.float64, (0,))
    decision_code = _concatenate([part[3] for part in scored], np.int64, (0,))
    del scored, items
    timer.lap("scoring")

    stats: dict[str, object] = {
        "records": n,
        "candidate_pairs": len(candidates),
        "pairs_per_rule": candidates.counts,
        "new_pairs_per_rule": candidates.new_counts,
        "em": fitted.training,
        "seconds": timer.seconds,
        "settings_hash": settings_hash(settings),
    }
    model_dict = {
        "settings_hash": settings_hash(settings),
        **fitted.to_dict(),
        "term_frequencies": {
            c.name: {
                "distinct_values": int(len(f.tf_freq)),
                "max_frequency": float(f.tf_freq.max(initial=0.0)),
            }
            for c, f in zip(comparisons, features, strict=True)
            if f.tf_freq is not None
        },
    }
    return ScoredPairs(
        left=candidates.left,
        right=candidates.right,
        rule=pd.Categorical.from_codes(
            candidates.rule.astype(np.int64), categories=list(candidates.rule_names)
        ),
        matrix=matrix,
        contributions=contributions,
        weight=weight,
        probability=probability,
        decision_code=decision_code,
        comparison_names=tuple(c.name for c in comparisons),
        records=n,
        stats=stats,
        model=model_dict,
        fitted=fitted.state(n, training_hash(settings)) if model is None else None,
    )


def population_frequencies(
    settings: MatchSettings,
    parts: Sequence[tuple[pd.DataFrame, dict] | tuple[pd.DataFrame, dict, np.ndarray | None]],
) -> dict[str, ValueFrequencies]:
    """The term frequencies of every term-frequency comparison over the records of ``parts`` together
    (each a standardised frame, or the registry's stored columns of its records, with its derived keys
    already computed, e.g. ``__name_tokens__``; and optionally the positions of the frame's records to
    count, ``None``: all): what :func:`score_records` counts over its frame and ``population``, counted
    once for an increment's bounds (``matching.bounds``) and its scoring.

    Positions spare the caller taking the rows of every column (at 400k rows, ≈ 55 ms per column of
    text) where only the compared values are needed."""
    out: dict[str, ValueFrequencies] = {}
    for comparison in build_comparisons(settings.comparisons):
        if comparison.settings.term_frequency:
            values = []
            for frame, keys, *selection in parts:
                part = np.asarray(comparison.tf_values(frame, dict(keys)), dtype=object)
                rows = selection[0] if selection else None
                values.append(part if rows is None else part[np.asarray(rows, dtype=np.intp)])
            out[comparison.name] = ValueFrequencies.of(
                np.concatenate(values) if values else np.zeros(0, object)
            )
    return out


def _count_population_frequencies(
    comparisons: list[Comparison],
    features: list[Features],
    std: pd.DataFrame,
    keys: dict,
    population: pd.DataFrame,
    population_keys: dict | None,
) -> None:
    """Term frequencies over the frame and the rest of the population (``population``), in place."""
    population = renumbered(population)
    population_keys = dict(population_keys or {})
    for comparison, feats in zip(comparisons, features, strict=True):
        if feats.tf_code is None:
            continue
        try:
            others = comparison.tf_values(population, population_keys)
        except MatchInputError:
            log.warning(
                "term frequencies of %s counted in the frame only: the population lacks its column",
                comparison.name,
            )
            continue
        feats.tf_code, feats.tf_freq = term_frequencies(comparison.tf_values(std, keys), others)


def scaled_model(
    state: dict[str, object], comparisons: list[Comparison], settings: MatchSettings, records: int
) -> FellegiSunterModel:
    """The stored model (``ScoredPairs.fitted``) for a population of ``records`` records."""
    names = [c.name for c in comparisons]
    levels = [list(c.level_names) for c in comparisons]
    if (
        state.get("training_hash") != training_hash(settings)
        or state.get("comparison_names") != names
        or state.get("level_names") != levels
    ):
        raise MatchSettingsError("the stored model was trained with other match settings; train a new one")
    return FellegiSunterModel.from_state(state, records)


def _concatenate(parts: list[np.ndarray], dtype: type, empty_shape: tuple[int, ...]) -> np.ndarray:
    if not parts:
        return np.zeros(empty_shape, dtype=dtype)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def cluster_scored(
    std: pd.DataFrame,
    scored: ScoredPairs,
    settings: MatchSettings | None = None,
    *,
    must_link: np.ndarray | None = None,
    cannot_link: np.ndarray | None = None,
) -> LinkageResult:
    """Persons from scored pairs: guarded connected components over the 'match' pairs.

    ``must_link``/``cannot_link``: optional (k, 2) arrays of positional row numbers (steward decisions).
    """
    settings = settings or load_settings()
    timer = _Timer()
    std = renumbered(std)
    n = len(std)
    if n != scored.records:
        raise MatchInputError(f"scored pairs are for {scored.records} records, the frame has {n}", columns=())
    decision_code = scored.decision_code.copy()
    accepted = decision_code == 0
    anchor = np.where(
        std["nik_valid"].to_numpy(dtype=bool)
        & std["nik_agrees"].astype("boolean").fillna(False).to_numpy(dtype=bool),
        std["nik_std"].astype("object").fillna("").to_numpy(dtype=object),
        "",
    ).astype(object)
    clusters = cluster_links(
        n,
        scored.left[accepted],
        scored.right[accepted],
        scored.weight[accepted],
        nik_anchor=anchor if settings.clustering.nik_guard else None,
        anchor_name=std["name_key"].astype("object").fillna("").to_numpy(dtype=object),
        max_nik_distance=settings.clustering.nik_guard_max_distance,
        must_link=must_link,
        cannot_link=cannot_link,
    )
    # a 'match' the guard or a steward's cannot-link kept apart is shown as 'review': every 'match'
    # pair lies inside one cluster
    separated = accepted & (clusters.cluster_ids[scored.left] != clusters.cluster_ids[scored.right])
    decision_code[separated] = 1
    timer.lap("clustering")

    columns: dict[str, object] = {
        "left": scored.left,
        "right": scored.right,
        "rule": scored.rule,
        "weight": scored.weight,
        "probability": scored.probability,
        "decision": pd.Categorical.from_codes(decision_code, categories=["match", "review", "non-match"]),
    }
    for k, name in enumerate(scored.comparison_names):
        columns[f"{name}_level"] = scored.matrix[:, k]
    for k, name in enumerate(scored.comparison_names):
        columns[f"{name}_weight"] = scored.contributions[:, k]
    # no copy: the frame's columns are the scored arrays (at Depok scale 20M pairs, gigabytes); a dict's
    # columns are otherwise copied into one block per dtype
    pairs = pd.DataFrame(columns, copy=False)
    timer.lap("output")

    counts = np.bincount(decision_code, minlength=3)
    stats: dict[str, object] = {
        **scored.stats,
        "decisions": {"match": int(counts[0]), "review": int(counts[1]), "non-match": int(counts[2])},
        "clusters": int(clusters.cluster_ids.max() + 1) if n else 0,
        "components_cut": clusters.components_cut,
        "matches_separated": int(separated.sum()),
        "edges_refused": clusters.edges_refused,
        "seconds": {**dict(scored.stats.get("seconds", {})), **timer.seconds},  # type: ignore[arg-type]
    }
    log.info("linked %d records into %d clusters from %d candidate pairs", n, stats["clusters"], len(scored))
    return LinkageResult(cluster_ids=clusters.cluster_ids, pairs=pairs, stats=stats, model=scored.model)


def link_records(
    std: pd.DataFrame,
    settings: MatchSettings | None = None,
    *,
    must_link: np.ndarray | None = None,
    cannot_link: np.ndarray | None = None,
    executor: Executor | None = None,
) -> LinkageResult:
    """Link the records of a standardised frame into persons: :func:`score_records` (on ``executor``)
    then :func:`cluster_scored`.

    ``must_link``/``cannot_link``: optional (k, 2) arrays of positional row numbers (steward decisions).
    """
    settings = settings or load_settings()
    scored = score_records(std, settings, executor=executor)
    return cluster_scored(std, scored, settings, must_link=must_link, cannot_link=cannot_link)
