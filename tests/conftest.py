"""Test-wide settings: no analytics calls from third-party libraries, ever (the sandbox has no network)."""

import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "connectors,matching,expectations,store,reporting,pipelines")
