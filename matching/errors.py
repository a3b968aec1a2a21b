"""Errors raised by the matching core.

Hierarchy::

    MatchingError                 base of everything raised on purpose by ``matching``
    ├── MatchSettingsError        a preset/settings problem, or a blocking rule that would explode
    │                             (carries ``rule`` and ``pair_count`` when a pair ceiling is exceeded)
    └── MatchInputError           the frame handed to the matcher lacks required standardised columns

Messages name settings keys, rules, columns and counts, never a personal value.
"""

from __future__ import annotations

__all__ = ["MatchingError", "MatchSettingsError", "MatchInputError"]


class MatchingError(Exception):
    """Base class of the matching core's errors."""


class MatchSettingsError(MatchingError, ValueError):
    """Invalid match settings, or a blocking rule that produces more candidate pairs than allowed."""

    def __init__(self, message: str, *, rule: str | None = None, pair_count: int | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.pair_count = pair_count


class MatchInputError(MatchingError, ValueError):
    """The input frame is missing columns the matcher needs (standardise it first)."""

    def __init__(self, message: str, *, columns: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.columns = columns
