"""Keyed pseudonyms for NIKs, for files shared with agencies that must not receive raw NIKs (UU 27/2022).

A pseudonym is ``hmac:`` followed by the hex HMAC-SHA256 of the NIK's UTF-8 bytes under a secret key:
the same NIK gives the same pseudonym under the same key (across exports and runs), so shared files can
be joined on it, while without the key it cannot be reversed or recomputed — not even by trying every
possible NIK, which an unkeyed hash would allow (a NIK has only ~10^10 plausible values). The prefix
keeps a pseudonym from ever being mistaken for a NIK. A missing NIK stays missing.

The key comes from ``REGISTRY_PSEUDONYMISE_KEY`` (at least 32 bytes; e.g. ``openssl rand -hex 32``) and
is never printed, logged or shown in a repr. Changing the key changes every pseudonym.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping

import pandas as pd

from connectors.errors import RegistryError

__all__ = ["KEY_VARIABLE", "MIN_KEY_BYTES", "PREFIX", "PseudonymKeyError", "Pseudonymiser"]

#: The environment variable that holds the key.
KEY_VARIABLE = "REGISTRY_PSEUDONYMISE_KEY"
#: The shortest key accepted, in bytes (of its UTF-8 encoding): as long as the HMAC-SHA256 output.
MIN_KEY_BYTES = 32
#: What every pseudonym starts with.
PREFIX = "hmac:"


class PseudonymKeyError(RegistryError):
    """The pseudonymisation key is missing or too short (the message never shows the key)."""


class Pseudonymiser:
    """Turns NIKs into keyed pseudonyms; holds the key without ever showing it."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes | str) -> None:
        key = key.encode("utf-8") if isinstance(key, str) else bytes(key)
        if len(key) < MIN_KEY_BYTES:
            raise PseudonymKeyError(
                f"the pseudonymisation key is too short: it needs at least {MIN_KEY_BYTES} bytes "
                "(e.g. the output of `openssl rand -hex 32`)"
            )
        self._key = key

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Pseudonymiser:
        """The pseudonymiser keyed by ``REGISTRY_PSEUDONYMISE_KEY``."""
        environ = os.environ if environ is None else environ
        key = environ.get(KEY_VARIABLE)
        if not key:
            raise PseudonymKeyError(
                f"--pseudonymise needs a key: set {KEY_VARIABLE} to a secret of at least "
                f"{MIN_KEY_BYTES} bytes (e.g. the output of `openssl rand -hex 32`)"
            )
        try:
            return cls(key)
        except PseudonymKeyError:
            raise PseudonymKeyError(
                f"{KEY_VARIABLE} is too short: the key needs at least {MIN_KEY_BYTES} bytes "
                "(e.g. the output of `openssl rand -hex 32`)"
            ) from None

    def __repr__(self) -> str:
        return "Pseudonymiser(key=<hidden>)"

    def __reduce__(self):  # type: ignore[no-untyped-def]
        raise TypeError("a Pseudonymiser holds a secret key and is not pickled")

    def pseudonym(self, nik: object) -> str | None:
        """``hmac:<64 hex digits>`` for a NIK; ``None`` for a missing one (None, NaN or blank)."""
        if nik is None or (pd.api.types.is_scalar(nik) and pd.isna(nik)):
            return None
        text = str(nik).strip()
        if not text:
            return None
        return PREFIX + hmac.new(self._key, text.encode("utf-8"), hashlib.sha256).hexdigest()

    def column(self, niks: pd.Series) -> pd.Series:
        """The pseudonyms of a column of NIKs (missing ones stay missing); same index, object dtype."""
        return pd.Series([self.pseudonym(nik) for nik in niks], index=niks.index, dtype=object)
