"""Matching core of the Unified Registry: one row per real person across BPJS Kesehatan,
BPJS Ketenagakerjaan and the Depok civil registry.

Pure pandas/numpy/rapidfuzz; no I/O besides the shipped reference tables and presets::

    std = standardise_records(frame)          # canonical frame -> + standardised columns
    settings = load_settings()                 # presets/default.yaml, frozen pydantic
    result = link_records(std, settings)       # LinkageResult
    p, r, f1 = pairwise_scores(result.cluster_ids, true_person_ids)

``LinkageResult.cluster_ids`` (int64, positional) gives one id per person; ``pairs`` lists every
candidate pair (positional ``left < right``, ``rule``, ``weight``, ``probability``, ``decision``,
``<comparison>_level`` and ``<comparison>_weight``); ``stats`` counts pairs per blocking rule,
EM sessions and seconds per stage; ``model`` is the JSON-serialisable trained model.

Standardisation and comparison/scoring run partitioned, on an executor (``matching.executors``): in
this process by default, or on a ``dask.distributed`` cluster, with the same result::

    with open_executor("dask", "tcp://dask-scheduler:8786") as executor:
        std = standardise_records(frame, executor=executor)
        result = link_records(std, settings, executor=executor)
"""

from matching.errors import MatchingError, MatchInputError, MatchSettingsError
from matching.evaluation import pairwise_scores
from matching.executors import DaskExecutor, Executor, LocalExecutor, open_executor
from matching.linkage import LinkageResult, ScoredPairs, cluster_scored, link_records, score_records
from matching.settings import MatchSettings, load_settings, settings_hash
from matching.standardise import STANDARDISED_COLUMNS, standardise_records

__all__ = [
    "standardise_records",
    "link_records",
    "score_records",
    "cluster_scored",
    "ScoredPairs",
    "MatchSettings",
    "load_settings",
    "LinkageResult",
    "pairwise_scores",
    "settings_hash",
    "STANDARDISED_COLUMNS",
    "MatchingError",
    "MatchSettingsError",
    "MatchInputError",
    "Executor",
    "LocalExecutor",
    "DaskExecutor",
    "open_executor",
]
