"""Errors raised while reading sources and writing the registry.

Hierarchy::

    RegistryError                      (base of every error this project raises on purpose)
    └── ConnectorError                 (a source or the registry store could not be used)
        ├── SourcesConfigError         (sources.yaml is invalid; lists every problem at once)
        ├── SourceUnavailableError     (transient: file not there yet, server unreachable; retried)
        └── SourceSchemaError          (terminal: the source is there but not in the agreed shape)

Messages name the source, file, line and column, never a personal value.
"""

from __future__ import annotations

__all__ = [
    "ConnectorError",
    "RegistryError",
    "SourceSchemaError",
    "SourceUnavailableError",
    "SourcesConfigError",
]


class RegistryError(Exception):
    """Base of every error this project raises on purpose: its message is meant for the user."""


class ConnectorError(RegistryError):
    """A source or the registry store could not be used."""


class SourcesConfigError(ConnectorError):
    """``sources.yaml`` is invalid. ``problems`` lists every problem found, not just the first."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = list(problems)
        listed = "; ".join(self.problems)
        super().__init__(f"{path}: {len(self.problems)} problem(s): {listed}")


class SourceUnavailableError(ConnectorError):
    """A source could not be reached: worth retrying (the file may arrive, the server may come back)."""

    def __init__(self, source: str, detail: str) -> None:
        self.source = source
        super().__init__(f"source {source!r} is unavailable: {detail}")


class SourceSchemaError(ConnectorError):
    """A source was read but is not in the agreed shape (missing column, wrong delimiter, bad bytes)."""

    def __init__(self, source: str, detail: str) -> None:
        self.source = source
        super().__init__(f"source {source!r}: {detail}")
