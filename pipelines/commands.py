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

__all__ = ["fail", "pseudonymiser_option", "with_registry"]

T = TypeVar("T")


def fail(message: str) -> None:
    """End the command with one line on stderr and exit status 2 (never a traceback)."""
    click.echo(f"registry: error: {message}", err=True)
    sys.exit(2)


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
