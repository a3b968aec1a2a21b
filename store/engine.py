"""Opening the registry database: an engine for a URL, with the schema in place."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

from connectors.errors import ConnectorError
from store.schema import current_revision, head_revision, upgrade_schema

__all__ = ["RegistrySchemaError", "RegistryUnavailableError", "open_registry", "redact_url"]


class RegistryUnavailableError(ConnectorError):
    """The registry database cannot be opened or written."""


class RegistrySchemaError(RegistryUnavailableError):
    """The registry's schema is not the one this version expects: ``registry db upgrade`` fixes it."""


def redact_url(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<unparseable database URL>"


def open_registry(url: str, *, create: bool = True) -> sa.Engine:
    """An engine for the registry at ``url``, its schema at the newest migration.

    An empty database gets the schema (``create=True``: the migrations run); a registry whose schema is
    behind is refused with a message naming ``registry db upgrade``.

    SQLite gets WAL journaling (readers never block the nightly writer) and a busy timeout.
    """
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise RegistryUnavailableError(f"not a database URL: {redact_url(url)}") from None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        folder = Path(parsed.database).resolve().parent
        if not folder.is_dir():
            raise RegistryUnavailableError(f"folder {folder} for the registry database does not exist")
        if not create and not Path(parsed.database).exists():
            raise RegistryUnavailableError(f"no registry at {redact_url(url)}")
    # hide_parameters: a failed statement's message must not carry the personal data it was writing
    engine = sa.create_engine(url, hide_parameters=True)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        _check_schema(engine, url, create=create)
    except RegistryUnavailableError:
        engine.dispose()
        raise
    except sa.exc.OperationalError as error:
        engine.dispose()
        raise RegistryUnavailableError(
            f"cannot open the registry at {redact_url(url)}: {error.orig}"
        ) from None
    return engine


def _check_schema(engine: sa.Engine, url: str, *, create: bool) -> None:
    revision = current_revision(engine)
    if revision == head_revision():
        return
    if revision is None:
        tables = set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
        if not tables and create:
            upgrade_schema(engine)
            return
        if not tables:
            raise RegistryUnavailableError(f"no registry at {redact_url(url)}")
        raise RegistrySchemaError(
            f"the database at {redact_url(url)} holds tables but no registry schema revision: "
            "it predates schema migrations or is not a registry"
        )
    raise RegistrySchemaError(
        f"the registry at {redact_url(url)} has schema revision {revision}, this version needs "
        f"{head_revision()}: run `registry db upgrade --db {redact_url(url)}` first"
    )


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # a publish writes hundreds of thousands of rows and their indexes in one transaction
    cursor.execute("PRAGMA cache_size=-262144")  # KiB: 256 MiB of page cache
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()
