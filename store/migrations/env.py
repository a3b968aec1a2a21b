"""Alembic environment for the registry: driven in code by ``store.schema`` (no alembic.ini needed).

The connection comes in ``config.attributes["connection"]``; the target metadata is the registry's models.
"""

from alembic import context

import store  # noqa: F401  (every model module registers its tables on Base)
from store.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
