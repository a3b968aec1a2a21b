"""Connectors: every source in (CSV files, SQL tables) and, in ``store``, the registry out.

Each connector maps an agency's columns onto the canonical person schema (``connectors.schema``) using
the mapping in ``sources.yaml`` (``connectors.config``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from connectors.batch import REJECTED_COLUMNS, SourceBatch
from connectors.config import DropConfig, SourceConfig, load_sources_config
from connectors.csv_source import read_csv_source
from connectors.errors import (
    ConnectorError,
    RegistryError,
    SourceSchemaError,
    SourcesConfigError,
    SourceUnavailableError,
)
from connectors.schema import CANONICAL_COLUMNS, CANONICAL_FIELDS, PROGRAMMES, SOURCE_NAMES
from connectors.sql_source import read_sql_source

__all__ = [
    "CANONICAL_COLUMNS",
    "CANONICAL_FIELDS",
    "PROGRAMMES",
    "REJECTED_COLUMNS",
    "SOURCE_NAMES",
    "ConnectorError",
    "DropConfig",
    "RegistryError",
    "SourceBatch",
    "SourceConfig",
    "SourceSchemaError",
    "SourceUnavailableError",
    "SourcesConfigError",
    "load_sources_config",
    "read_drop",
    "read_source",
]


def read_source(source: SourceConfig) -> SourceBatch:
    """Read one configured source with the connector for its kind."""
    if source.kind == "csv":
        return read_csv_source(source)
    return read_sql_source(source)


def read_drop(config_path: str | Path) -> dict[str, pd.DataFrame]:
    """Every source of a drop as canonical records, by source name (rejected rows left out).

    A convenience for analysis and benchmarks; the pipeline reads source by source with ``read_source``
    so that rejected rows reach the quarantine.
    """
    config = load_sources_config(config_path)
    return {source.name: read_source(source).records for source in config.sources}
