"""Helpers shared by the ``registry`` commands: one-line user errors, opening an existing registry and
the pseudonymisation key of ``--pseudonymise``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import click
import sqlalchemy as sa

from pipelines.settings import RegistrySettings

if TYPE_CHECKING:
    from store.pseudonyms import Pseudonymiser

__all__ = ["DATABASE_ERRORS", "database_unavailable", "fail", "pseudonymiser_option", "with_registry"]

#: Errors of a registry database that went away or cannot be reached (not errors of the SQL itself).
DATABASE_ERRORS = (sa.exc.OperationalError, sa.exc.InterfaceError)

T = TypeVar("T")


def fail(message: str) -> None:
    """End the command with one line on stderr and exit status 2 (never a traceback)."""
    click.echo(f"registry: error: {message}", err=True)
    sys.exit(2)


def database_unavailable(url: str, error: sa.exc.DBAPIError) -> str:
    """One line for a registry database that went away: the URL without password, the driver's first
    line (never the SQL statement or its parameters, which can hold personal data)."""
    from store import redact_url

    reason = str(error.orig if error.orig is not None else type(error).__name__).strip()
    return f"registry database unavailable: {redact_url(url)}: {reason.splitlines()[0] if reason else '?'}"


def with_registry(db: str | None, action: Callable[[sa.Engine], T]) -> T:
    """Run ``action`` on the existing registry at ``db`` (default: the configured one)."""
    from connectors.errors import RegistryError
    from store import open_registry

    url = db or RegistrySettings().db
    try:
        engine = open_registry(url, create=False)
        try:
            return action(engine)
        finally:
            engine.dispose()
    except RegistryError as error:
        fail(str(error))
    except OSError as error:
        fail(f"{error.filename or ''}: {error.strerror}")
    except DATABASE_ERRORS as error:
        fail(database_unavailable(url, error))
    raise AssertionError("unreachable")  # fail() exits


def pseudonymiser_option(pseudonymise: bool) -> Pseudonymiser | None:
    """The pseudonymiser keyed by ``REGISTRY_PSEUDONYMISE_KEY`` when ``--pseudonymise`` was given.

    A missing or short key ends the command with one line naming the variable (never the key), before
    the registry is opened or any file is written.
    """
    if not pseudonymise:
        return None
    from store.pseudonyms import Pseudonymiser, PseudonymKeyError

    try:
        return Pseudonymiser.from_environment()
    except PseudonymKeyError as error:
        fail(str(error))
    raise AssertionError("unreachable")  # fail() exits
