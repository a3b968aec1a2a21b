"""The nightly deployment ``sync/nightly``: built here, served by ``registry serve``.

``registry serve`` creates (or updates) the deployment on the Prefect server named by
``PREFECT_API_URL`` and runs its flow runs from that one long-running process: the 02:00 (Asia/Jakarta)
schedule and any run an analyst starts with ``prefect deployment run sync/nightly``. Teams with a work
pool and workers deploy the same flow from ``prefect.yaml`` instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:  # Prefect is imported when a deployment is built, not with this module
    from prefect.deployments.runner import RunnerDeployment

__all__ = [
    "FULL_REBUILD_CRON",
    "FULL_REBUILD_SLUG",
    "NIGHTLY_CRON",
    "NIGHTLY_NAME",
    "NIGHTLY_TIMEZONE",
    "deployment_parameters",
    "nightly_deployment",
    "serve_deployments",
]

NIGHTLY_NAME = "nightly"
NIGHTLY_CRON = "0 2 * * *"
NIGHTLY_TIMEZONE = "Asia/Jakarta"
#: The weekly full rebuild (Sunday 04:00, after that night's increment): it trains the match model again
#: on every record, so that the increments, which score with the stored model, follow the population.
FULL_REBUILD_CRON = "0 4 * * 0"
FULL_REBUILD_SLUG = "weekly-full-rebuild"


def deployment_parameters(
    config: str | Path, db: str, report_dir: str | Path, match_settings: str | Path | None = None
) -> dict[str, object]:
    """Default parameters for runs of the deployment, with paths made absolute.

    Flow runs start in another process, perhaps in another folder: relative paths and relative SQLite
    URLs are resolved against this process's folder now.
    """
    return {
        "config": str(Path(config).resolve()),
        "db": absolute_sqlite_url(db),
        "report_dir": str(Path(report_dir).resolve()),
        "match_settings": str(Path(match_settings).resolve()) if match_settings else None,
    }


def absolute_sqlite_url(url: str) -> str:
    """``sqlite:///relative.db`` with its file made absolute; any other URL unchanged."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        return url
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or database in (None, "", ":memory:"):
        return url
    if Path(database).is_absolute() or database.startswith("file:"):
        return url
    return parsed.set(database=str(Path(database).resolve())).render_as_string(hide_password=False)


def nightly_deployment(
    *,
    config: str | Path,
    db: str,
    report_dir: str | Path,
    match_settings: str | Path | None = None,
    cron: str = NIGHTLY_CRON,
    timezone: str = NIGHTLY_TIMEZONE,
    full_cron: str | None = FULL_REBUILD_CRON,
) -> RunnerDeployment:
    """The deployment ``sync/nightly``: the flow on a cron schedule in a time zone, with defaults, and
    (unless ``full_cron`` is ``None``) a second schedule of full rebuilds (``full=True``)."""
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron

    from pipelines.flow import sync

    schedules = [Cron(cron, timezone=timezone)]
    if full_cron:
        schedules.append(
            Cron(full_cron, timezone=timezone, parameters={"full": True}, slug=FULL_REBUILD_SLUG)
        )
    return sync.to_deployment(
        name=NIGHTLY_NAME,
        schedules=schedules,
        parameters=deployment_parameters(config, db, report_dir, match_settings),
        description=(
            "Nightly registry sync: read the agencies' drop, link it, publish the registry. "
            "Override config/db/only/full/dry_run/threshold per run."
        ),
        tags=["unified-registry", "nightly"],
        concurrency_limit=1,  # a manual run and the nightly one never publish at the same time
        # The flow is loaded by module path: served runs work from any folder the package is installed in.
        entrypoint_type=EntrypointType.MODULE_PATH,
    )


def serve_deployments(*deployments: RunnerDeployment) -> None:
    """Create or update the deployments and run their flow runs from this process until stopped."""
    from prefect import serve

    serve(*deployments)
