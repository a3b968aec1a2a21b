"""Indonesian phone numbers to E.164 digits (``62`` + national number without the trunk 0).

Accepted: ``08…``, ``+628…``, ``628…``, ``8…`` (trunk zero lost in a numeric cell), ``+62 0812…``
(a stray trunk zero after the country code), landlines ``(021) 7777-1234``. Validity (domain.md §4.2):
mobile ``8[1-35-9]`` + 7–10 digits; landline area code 2–3 digits (``21``, ``251`` …) + 5–8 digits.
Placeholders (one digit repeated after the operator prefix) become missing. Digits of other scripts
(full-width ``０８１２…``, Arabic-Indic ``٠٨١٢…``) are read as the digits they are, never dropped.
"""

from __future__ import annotations

import pandas as pd
import pyarrow.compute as pc

from matching.text import arrow_text, ascii_digits, from_arrow, on_distinct

__all__ = ["standardise_phone"]

_MOBILE = r"8[1-35-9]\d{7,10}"
_LANDLINE = r"(?:(?:21|22|24|31|61)\d{7,8}|[2-79]\d{2}\d{6,7})"


def _standardise_distinct(raw: pd.Series) -> pd.Series:
    text = pc.utf8_trim_whitespace(ascii_digits(arrow_text(raw)))
    text = pc.replace_substring_regex(text, r"\.0+$", "")  # numeric cell read back as float text
    digits = pc.replace_substring_regex(text, r"\D", "")
    national = pc.if_else(pc.starts_with(digits, "62"), pc.utf8_slice_codeunits(digits, 2), digits)
    national = pc.utf8_ltrim(national, characters="0")
    ok = pc.or_(
        pc.match_substring_regex(national, f"^{_MOBILE}$"),
        pc.match_substring_regex(national, f"^{_LANDLINE}$"),
    )
    rest = pc.utf8_slice_codeunits(national, 1)
    first = pc.utf8_slice_codeunits(rest, 0, 1)
    repeated = pc.equal(rest, pc.binary_repeat(first, pc.utf8_length(rest)))
    tail = pc.utf8_slice_codeunits(national, 2)
    repeated = pc.or_(
        repeated, pc.equal(tail, pc.binary_repeat(pc.utf8_slice_codeunits(tail, 0, 1), pc.utf8_length(tail)))
    )
    keep = pc.fill_null(pc.and_(ok, pc.invert(repeated)), False)
    out = from_arrow(pc.if_else(keep, pc.binary_join_element_wise("62", national, ""), None), raw.index)
    return out


def standardise_phone(values: pd.Series) -> pd.Series:
    """E.164 digit strings (``'6281234567890'``) or None; same index as the input."""
    return on_distinct(values, _standardise_distinct)
