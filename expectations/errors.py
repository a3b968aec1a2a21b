"""Errors raised by the data-quality stage.

Hierarchy::

    RegistryError                    (connectors.errors: base of every error the project raises on purpose)
    └── DataQualityError             base of everything this package raises
        ├── UnknownSourceError       no suite for that source name (also a ValueError)
        ├── FrameContractError       the frame breaks the canonical-frame contract (missing columns,
        │                            unusable ``source_row``, rows of another source); terminal
        └── ValidationRunError       GX could not evaluate an expectation, or its result cannot be read
                                     back into quarantine rows; terminal (a bug or an incompatible GX)

Rows that merely fail an expectation are *not* errors: they end up in quarantine or in the outcomes.
Messages name the source, the column and row numbers, never a personal value.
"""

from __future__ import annotations

from connectors.errors import RegistryError

__all__ = [
    "DataQualityError",
    "FrameContractError",
    "UnknownSourceError",
    "ValidationRunError",
]


class DataQualityError(RegistryError):
    """Base class of the errors of the data-quality stage."""

    def __init__(self, message: str, *, source: str | None = None) -> None:
        super().__init__(message)
        self.source = source


class UnknownSourceError(DataQualityError, ValueError):
    """There is no expectation suite for this source name."""


class FrameContractError(DataQualityError):
    """The frame handed in is not a canonical frame of the named source."""

    def __init__(self, message: str, *, source: str | None = None, columns: tuple[str, ...] = ()) -> None:
        super().__init__(message, source=source)
        self.columns = columns


class ValidationRunError(DataQualityError):
    """GX failed to evaluate an expectation, or returned a result this package cannot interpret."""

    def __init__(
        self, message: str, *, source: str | None = None, expectations: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message, source=source)
        self.expectations = expectations
