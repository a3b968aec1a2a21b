"""Typed configuration, read once at the edge (CLI or flow entry) from options and ``REGISTRY_*`` env."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, get_args

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["EXECUTOR_CHOICES", "SOURCE_CHOICES", "STAGES", "ExecutorName", "RegistrySettings", "SourceName"]

#: A source the sync can be told to refresh alone (``only``): ``connectors.schema.SOURCE_NAMES``, spelled
#: out here so that the CLI's help and the Prefect UI's form list them without importing the connectors.
SourceName = Literal["bpjs_kesehatan", "bpjs_ketenagakerjaan", "penduduk_depok"]
SOURCE_CHOICES: tuple[str, ...] = get_args(SourceName)

#: Where standardisation and matching run (``matching.executors``; spelled out here for the same reason).
ExecutorName = Literal["local", "dask"]
EXECUTOR_CHOICES: tuple[str, ...] = get_args(ExecutorName)

#: The stages that run as Prefect tasks, in flow order (each has a ``<stage>_timeout`` setting).
STAGES: tuple[str, ...] = (
    "ingest", "validate", "hold", "standardise", "match", "cluster", "publish", "report",
)  # fmt: skip

_HOUR = 3600.0


class RegistrySettings(BaseSettings):
    """Defaults for a run; each can be set by ``REGISTRY_<NAME>`` in the environment or by an option.

    The orchestration settings (retries, delays, timeouts) apply to the Prefect tasks of the flow and
    are read when a run starts, in the process that runs the flow.
    """

    model_config = SettingsConfigDict(env_prefix="REGISTRY_", frozen=True, extra="ignore")

    config: Path = Path("data/samples/sources.yaml")
    db: str = "sqlite:///registry.db"
    report_dir: Path = Path("reports")
    match_settings: Path | None = None

    # Where standardisation and matching run: "local" (this process) or "dask" (a dask.distributed
    # cluster: the scheduler at dask_address, e.g. tcp://10.0.0.5:8786, or a temporary LocalCluster on
    # this machine when no address is given). Same links either way.
    executor: ExecutorName = "local"
    dask_address: str | None = None
    # The local executor's processes for matching: this one and (local_processes - 1) helpers forked for
    # each chunked step of comparing pairs (matching.executors.LocalExecutor); default: the machine's
    # cores, at most 2 (each helper copies the pages of the data it touches: more of them, more memory).
    # Same links either way.
    local_processes: int = Field(default_factory=lambda: min(os.cpu_count() or 1, 2), ge=1, le=64)
    # A full rebuild of a SQLite registry has its records bound by a forked helper into a scratch
    # database next to the registry, then copied in (store.staging): it needs room there for about the
    # records' table again (3.6 GB at 2M persons) while it publishes. False: insert them directly.
    staged_publish: bool = True

    # An incremental run scores its frame with the model the last full run trained on every record
    # (no training, no padding) when that run had at least this many records; below it, m of rare
    # comparison levels rests on too few pairs (some at the floor), so each increment trains its own.
    stored_model_min_records: int = Field(default=30_000, ge=0)

    # Reading a source: transient errors (file not there yet, server unreachable) are retried with
    # exponential backoff: retry_delay, 2 x retry_delay, 4 x retry_delay, ...
    source_retries: int = Field(default=3, ge=0, le=50)
    retry_delay: float = Field(default=60.0, ge=0, description="seconds before the first retry")

    # Per-stage timeouts in seconds (generous: a stuck stage fails the run instead of hanging all night).
    ingest_timeout: float = Field(default=1 * _HOUR, gt=0)
    validate_timeout: float = Field(default=1 * _HOUR, gt=0)
    hold_timeout: float = Field(default=1 * _HOUR, gt=0)
    standardise_timeout: float = Field(default=1 * _HOUR, gt=0)
    match_timeout: float = Field(default=4 * _HOUR, gt=0)
    cluster_timeout: float = Field(default=1 * _HOUR, gt=0)
    publish_timeout: float = Field(default=1 * _HOUR, gt=0)
    report_timeout: float = Field(default=0.5 * _HOUR, gt=0)

    def timeout(self, stage: str) -> float:
        """The timeout of a stage, in seconds."""
        return float(getattr(self, f"{stage}_timeout"))
