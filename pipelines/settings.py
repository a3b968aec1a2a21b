"""Typed configuration, read once at the edge (CLI or flow entry) from options and ``REGISTRY_*`` env."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["RegistrySettings"]


class RegistrySettings(BaseSettings):
    """Defaults for a run; each can be set by ``REGISTRY_<NAME>`` in the environment or by an option."""

    model_config = SettingsConfigDict(env_prefix="REGISTRY_", frozen=True, extra="ignore")

    config: Path = Path("data/samples/sources.yaml")
    db: str = "sqlite:///registry.db"
    report_dir: Path = Path("reports")
    match_settings: Path | None = None
