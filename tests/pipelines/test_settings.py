"""Run settings: ``REGISTRY_*`` defaults, retries and timeouts."""

import pytest
from pydantic import ValidationError

from connectors import SOURCE_NAMES
from pipelines.settings import SOURCE_CHOICES, STAGES, RegistrySettings

pytestmark = pytest.mark.unit


def test_the_sources_offered_are_the_connectors_sources():
    assert SOURCE_CHOICES == SOURCE_NAMES


def test_defaults_are_generous_and_every_stage_has_a_timeout(monkeypatch):
    for name in ("SOURCE_RETRIES", "RETRY_DELAY"):
        monkeypatch.delenv(f"REGISTRY_{name}", raising=False)
    settings = RegistrySettings()
    assert settings.source_retries == 3 and settings.retry_delay == 60
    assert all(settings.timeout(stage) >= 1800 for stage in STAGES)
    assert settings.timeout("match") > settings.timeout("ingest")


def test_the_environment_sets_retries_delays_and_timeouts(monkeypatch):
    monkeypatch.setenv("REGISTRY_SOURCE_RETRIES", "5")
    monkeypatch.setenv("REGISTRY_RETRY_DELAY", "0.5")
    monkeypatch.setenv("REGISTRY_MATCH_TIMEOUT", "120")
    settings = RegistrySettings()
    assert (settings.source_retries, settings.retry_delay, settings.timeout("match")) == (5, 0.5, 120)


def test_nonsense_is_refused(monkeypatch):
    monkeypatch.setenv("REGISTRY_PUBLISH_TIMEOUT", "0")
    with pytest.raises(ValidationError):
        RegistrySettings()


def test_the_local_executor_uses_up_to_two_cores_unless_told(monkeypatch):
    import os

    monkeypatch.delenv("REGISTRY_LOCAL_PROCESSES", raising=False)
    assert RegistrySettings().local_processes == min(os.cpu_count() or 1, 2)
    monkeypatch.setenv("REGISTRY_LOCAL_PROCESSES", "1")
    assert RegistrySettings().local_processes == 1
    monkeypatch.setenv("REGISTRY_LOCAL_PROCESSES", "0")
    with pytest.raises(ValidationError):
        RegistrySettings()


def test_a_full_rebuild_stages_its_records_unless_told(monkeypatch):
    monkeypatch.delenv("REGISTRY_STAGED_PUBLISH", raising=False)
    assert RegistrySettings().staged_publish is True
    monkeypatch.setenv("REGISTRY_STAGED_PUBLISH", "false")
    assert RegistrySettings().staged_publish is False
