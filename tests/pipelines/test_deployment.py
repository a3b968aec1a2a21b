"""The nightly deployment: built with the schedule and defaults operations need, and ``prefect.yaml`` agrees.

``registry serve`` itself blocks, serving; these tests build the deployment it serves, apply it to the
test server and read it back, without starting a runner.
"""

from pathlib import Path

import pytest
import yaml
from prefect import get_client

from pipelines.deployment import (
    FULL_REBUILD_CRON,
    FULL_REBUILD_SLUG,
    NIGHTLY_CRON,
    NIGHTLY_NAME,
    NIGHTLY_TIMEZONE,
    absolute_sqlite_url,
    deployment_parameters,
    nightly_deployment,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.unit
def test_relative_paths_and_sqlite_files_become_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    parameters = deployment_parameters("drop/sources.yaml", "sqlite:///registry.db", "reports")
    assert parameters == {
        "config": str(tmp_path / "drop" / "sources.yaml"),
        "db": f"sqlite:///{tmp_path / 'registry.db'}",
        "report_dir": str(tmp_path / "reports"),
        "match_settings": None,
    }
    assert absolute_sqlite_url("sqlite:////srv/registry.db") == "sqlite:////srv/registry.db"
    assert absolute_sqlite_url("sqlite://") == "sqlite://"
    postgres = "postgresql+psycopg://reader@db.example/registry"
    assert absolute_sqlite_url(postgres) == postgres


@pytest.mark.integration
def test_the_nightly_deployment_runs_at_two_in_jakarta_with_the_configured_defaults(prefect_server, tmp_path):
    deployment = nightly_deployment(
        config=tmp_path / "sources.yaml", db=f"sqlite:///{tmp_path / 'registry.db'}", report_dir=tmp_path
    )
    assert deployment.name == NIGHTLY_NAME == "nightly"
    assert deployment.entrypoint == "pipelines.flow.sync"
    deployment_id = deployment.apply()
    try:
        with get_client(sync_client=True) as client:
            stored = client.read_deployment_by_name("sync/nightly")
        assert stored.id == deployment_id
        [weekly] = [item for item in stored.schedules if item.slug == FULL_REBUILD_SLUG]
        [nightly] = [item for item in stored.schedules if item.slug != FULL_REBUILD_SLUG]
        assert (nightly.schedule.cron, nightly.schedule.timezone) == ("0 2 * * *", "Asia/Jakarta")
        assert nightly.active and not nightly.parameters
        # the weekly full rebuild retrains the match model the increments score with
        assert (weekly.schedule.cron, weekly.schedule.timezone) == ("0 4 * * 0", "Asia/Jakarta")
        assert weekly.active and weekly.parameters == {"full": True} and weekly.slug == FULL_REBUILD_SLUG
        assert stored.parameters["config"] == str(tmp_path / "sources.yaml")
        assert stored.parameters["db"] == f"sqlite:///{tmp_path / 'registry.db'}"
        assert stored.global_concurrency_limit.limit == 1
        assert {"config", "db", "only", "full", "dry_run", "threshold"} <= set(
            stored.parameter_openapi_schema["properties"]
        )
    finally:
        with get_client(sync_client=True) as client:
            client.delete_deployment(deployment_id)


@pytest.mark.unit
def test_prefect_yaml_deploys_the_same_flow_on_the_same_schedule():
    document = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    [deployment] = document["deployments"]
    assert deployment["name"] == NIGHTLY_NAME
    module, _, function = deployment["entrypoint"].partition(":")
    assert (ROOT / module).is_file() and function == "sync"
    nightly, weekly = deployment["schedules"]
    assert (nightly["cron"], nightly["timezone"]) == (NIGHTLY_CRON, NIGHTLY_TIMEZONE)
    assert (weekly["cron"], weekly["timezone"], weekly["slug"]) == (
        FULL_REBUILD_CRON,
        NIGHTLY_TIMEZONE,
        FULL_REBUILD_SLUG,
    )
    assert weekly["parameters"] == {"full": True}
    assert set(deployment["parameters"]) >= {"config", "db"}
    assert "password" not in yaml.safe_dump(deployment["parameters"]).lower()
