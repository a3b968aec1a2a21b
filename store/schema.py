"""The registry's schema under Alembic: upgrade to the newest revision, or say how far behind it is.

The migrations live in ``store/migrations`` (inside the package, so no ``alembic.ini`` is needed in the
working folder); ``registry db upgrade --db URL`` runs them. ``open_registry`` upgrades a new, empty
database itself and refuses a registry whose schema is behind, naming the command that upgrades it.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

__all__ = ["alembic_config", "current_revision", "head_revision", "upgrade_schema"]

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic config for the registry's migrations, bound to ``connection`` when given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: sa.Engine) -> str | None:
    """The revision the registry's schema is at (``None``: never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_schema(engine: sa.Engine, revision: str = "head") -> None:
    """Run the migrations up to ``revision``, in one transaction."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)
