"""Run one GX suite over one pandas frame, in an ephemeral GX context built for that one call.

``gx.get_context(mode="ephemeral")`` swaps a process-wide "current project" singleton, so context,
data source, suite and validation are built and used inside one call, under a process-wide lock (two
threads validating at once would otherwise run against each other's context). The context keeps
everything in memory: nothing is written to the working directory, progress bars and analytics are off.

Data Docs, when asked for, are built by the same ephemeral context: its validation-results store is in
memory, and a Data Docs site with a filesystem backend pointing at the requested folder renders from it.
No file-backed context is needed. The site's index lists the validations of that one context, i.e. of
this call: give each source its own folder (building two sources into one folder leaves both validation
pages on disk, but the index links only the last).
The site's pages are rendered by GX's own page views with one change: their compiled Jinja templates
are kept for the rest of the process (``expectations.docs_views``), so only the first build compiles them.

The result format returns the unexpected rows by their ``source_row`` (the frame's named index) and
leaves out the unexpected values themselves, so neither the result nor Data Docs carry personal data.

GX's pandas engine fingerprints each frame it is given (``pd.util.hash_pandas_object`` of every value,
then md5) for one batch marker, ``pandas_data_fingerprint``, whenever the frame's shallow memory is under
its ``HASH_THRESHOLD``. Nothing here reads that marker, and hashing every value of a source is about a
tenth of the validate stage; ``run_suite`` sets the threshold to 0, which leaves the marker out.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:  # GX is imported on first use: importing it takes seconds
    import great_expectations as gx
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResult
    from great_expectations.data_context.types.base import DataContextConfig

__all__ = ["DATA_DOCS_SITE", "ID_COLUMN", "RESULT_FORMAT", "run_suite"]

logger = logging.getLogger(__name__)

#: The frame handed to GX is indexed by this column; results name rows by it.
ID_COLUMN = "source_row"

#: Every unexpected row's id (COMPLETE: no 200-row cap), no values, no pandas query string.
RESULT_FORMAT: dict[str, Any] = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": [ID_COLUMN],
    "exclude_unexpected_values": True,
    "return_unexpected_index_query": False,
    "partial_unexpected_count": 0,
    "include_unexpected_rows": False,
}

DATA_DOCS_SITE = "registry_quality"

_GX_LOCK = threading.Lock()


def _context_config() -> DataContextConfig:
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    return DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )


def run_suite(
    frame: pd.DataFrame,
    suite: gx.ExpectationSuite,
    *,
    data_docs_dir: Path | None = None,
) -> ExpectationSuiteValidationResult:
    """Validate ``frame`` (indexed by ``source_row``) against ``suite``; optionally build Data Docs.

    The suite must be a fresh object (``suite_for`` makes one per call): adding it to the context
    gives its expectations ids.
    """
    if frame.index.name != ID_COLUMN:
        raise ValueError(f"run_suite needs a frame indexed by {ID_COLUMN!r}")
    os.environ["GX_ANALYTICS_ENABLED"] = "False"
    import great_expectations as gx

    with _GX_LOCK:
        _no_frame_fingerprint()
        context = gx.get_context(mode="ephemeral", project_config=_context_config())
        data_source = context.data_sources.add_pandas(name=f"{suite.name}_frame")
        asset = data_source.add_dataframe_asset(name=suite.name)
        batch_definition = asset.add_batch_definition_whole_dataframe(name="whole_frame")
        suite = context.suites.add(suite)
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"validate_{suite.name}", data=batch_definition, suite=suite)
        )
        result = validation.run(batch_parameters={"dataframe": frame}, result_format=RESULT_FORMAT)
        if data_docs_dir is not None:
            _build_data_docs(context, data_docs_dir)
    logger.info(
        "GX suite %s: %d rows, %d of %d expectations met",
        suite.name,
        len(frame),
        result.statistics.get("successful_expectations", 0),
        result.statistics.get("evaluated_expectations", 0),
    )
    return result


def _no_frame_fingerprint() -> None:
    """Stop GX's pandas engine from hashing every value of a frame for its fingerprint batch marker (see
    the module docstring): it fingerprints frames whose shallow memory is under ``HASH_THRESHOLD``."""
    from great_expectations.execution_engine import pandas_execution_engine

    if hasattr(pandas_execution_engine, "HASH_THRESHOLD"):
        pandas_execution_engine.HASH_THRESHOLD = 0


#: The sections of GX's default Data Docs site.
_DOCS_SECTIONS = ("expectations", "validations", "profiling")


def _view(class_name: str) -> dict[str, str]:
    """A Data Docs view of ``expectations.docs_views`` (GX's page views, compiled templates kept)."""
    return {"module_name": "expectations.docs_views", "class_name": class_name}


def _build_data_docs(context: Any, data_docs_dir: Path) -> None:
    data_docs_dir.mkdir(parents=True, exist_ok=True)
    context.add_data_docs_site(
        site_name=DATA_DOCS_SITE,
        site_config={
            "class_name": "SiteBuilder",
            "site_index_builder": {
                "class_name": "DefaultSiteIndexBuilder",
                "view": _view("CachedJinjaIndexPageView"),
            },
            # GX's default sections (merged into its defaults), with views that keep compiled templates
            "site_section_builders": {
                section: {"view": _view("CachedJinjaPageView")} for section in _DOCS_SECTIONS
            },
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(data_docs_dir.resolve()),
            },
        },
    )
    context.build_data_docs(site_names=[DATA_DOCS_SITE])
    logger.info("GX Data Docs built in %s", data_docs_dir)
