"""Errors raised by the orchestration itself (the stages raise their own packages' errors).

Hierarchy::

    RegistryError                      (connectors.errors: base of every error raised on purpose)
    └── SyncError                      (a sync run cannot go ahead as asked)
        └── SyncParametersError        (the run's parameters contradict each other or the drop)

Messages name sources and parameters, never a personal value.
"""

from __future__ import annotations

from connectors.errors import RegistryError

__all__ = ["SyncError", "SyncParametersError"]


class SyncError(RegistryError):
    """A sync run cannot go ahead as asked."""


class SyncParametersError(SyncError):
    """The run's parameters contradict each other or the drop (e.g. ``only`` names an unknown source)."""
