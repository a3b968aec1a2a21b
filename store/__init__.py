"""The registry store: the system of record that the nightly sync publishes into.

Its own room (not part of ``connectors``) because the registry is not a source: it has a schema,
ids that must never change under other agencies, atomic publishing and reconciliation rules.
"""

from store.engine import RegistrySchemaError, RegistryUnavailableError, open_registry, redact_url
from store.exports import export_links, export_quarantine, read_links, read_quarantine
from store.publish import ConservationError, PublishSummary, RunOutcome, publish_run
from store.reviews import ReviewDecision  # noqa: F401  (its table is part of the registry's metadata)

__all__ = [
    "ConservationError",
    "PublishSummary",
    "RegistrySchemaError",
    "RegistryUnavailableError",
    "RunOutcome",
    "export_links",
    "export_quarantine",
    "open_registry",
    "publish_run",
    "read_links",
    "read_quarantine",
    "redact_url",
]
