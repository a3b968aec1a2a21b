"""Reference tables shipped with the package (copies of ``shared/data``; public facts, no personal data).

- ``depok_kemendagri_2025.csv``: Depok's 11 kecamatan and 63 kelurahan with Kemendagri codes and NIK prefixes.
- ``depok_crosswalk_kemendagri_bps_postal.csv``: Kemendagri <-> BPS codes, spelling variants, postal codes.
- ``dukcapil_pekerjaan_codes.csv``: the civil registry's 89 occupation labels.
- ``name_first_token_top20_ericks.csv``, ``name_suffix_top15_by_gender_ericks.csv``: name statistics.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd

__all__ = ["depok_regions", "depok_crosswalk", "occupation_codes", "first_token_frequencies", "read_table"]


def read_table(name: str) -> pd.DataFrame:
    """Read one shipped reference CSV, every column as text."""
    with resources.files(__name__).joinpath(name).open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)


@cache
def depok_regions() -> pd.DataFrame:
    """Kemendagri 2025 rows for Kota Depok: kota, kecamatan and kelurahan levels."""
    return read_table("depok_kemendagri_2025.csv")


@cache
def depok_crosswalk() -> pd.DataFrame:
    """One row per kelurahan: Kemendagri code and name, BPS code and spelling, postal code."""
    return read_table("depok_crosswalk_kemendagri_bps_postal.csv")


@cache
def occupation_codes() -> pd.DataFrame:
    """The civil registry's 89 occupation codes (``kode``, ``pekerjaan``)."""
    return read_table("dukcapil_pekerjaan_codes.csv")


@cache
def first_token_frequencies() -> pd.DataFrame:
    """The 20 most frequent first name tokens in 169k Indonesian names, with counts by sex."""
    return read_table("name_first_token_top20_ericks.csv")
