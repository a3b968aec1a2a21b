"""The match model of the last full run, kept in the registry for the incremental runs that follow.

A full run trains the Fellegi–Sunter model (m, u, lambda) on every live record; an incremental run
decides only a small frame again and scores it with that model (``matching.score_records(model=…)``),
so that a pair gets the weight a full run would give it. The model is a few kilobytes of JSON in
``registry_meta`` under ``match_model``, written in the full run's publish transaction (so it always
belongs to the registry state next to it); ``registry run --full`` trains and stores a new one.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from store.models import RegistryMeta

__all__ = ["read_match_model", "write_match_model"]

_KEY = "match_model"


def read_match_model(engine: sa.Engine) -> dict[str, Any] | None:
    """The stored model state (``matching.ScoredPairs.fitted``), or ``None`` when no full run stored one."""
    with engine.connect() as connection:
        value = connection.execute(sa.select(RegistryMeta.value).where(RegistryMeta.key == _KEY)).scalar()
    return json.loads(value) if value else None


def write_match_model(connection: sa.Connection, state: dict[str, Any]) -> None:
    """Store ``state`` in the caller's transaction, replacing the previous model."""
    connection.execute(sa.delete(RegistryMeta).where(RegistryMeta.key == _KEY))
    connection.execute(sa.insert(RegistryMeta), {"key": _KEY, "value": json.dumps(state, sort_keys=True)})
