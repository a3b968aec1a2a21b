"""The canonical person schema: the one shape every source is mapped onto.

Agency column names live only in ``sources.yaml`` (the source mapping). Everything downstream of the
connectors speaks these canonical snake_case names. Every canonical column holds text exactly as the
agency sent it (stripped; empty cells become missing); parsing and correcting is the standardise stage's
job, so that the registry can always show what a source really said.
"""

from __future__ import annotations

import pandas as pd

__all__ = [
    "CANONICAL_COLUMNS",
    "CANONICAL_FIELDS",
    "PROGRAMMES",
    "SOURCE_NAMES",
    "empty_canonical_frame",
]

#: The three agencies whose exports the registry links, by their canonical source name.
SOURCE_NAMES: tuple[str, ...] = ("bpjs_kesehatan", "bpjs_ketenagakerjaan", "penduduk_depok")

#: The programme a source stands for: membership in it is a coverage flag of a registry person.
PROGRAMMES: tuple[str, ...] = ("health", "employment", "city")

#: Fields a source may map (``columns:`` in sources.yaml), with what each means.
CANONICAL_FIELDS: dict[str, str] = {
    "record_id": "the source's own record id, unique within the source and stable night to night",
    "nik": "national identity number (NIK), as sent",
    "kk_number": "family card number (Nomor KK), as sent",
    "full_name": "full name, as sent (titles, abbreviations and old spellings included)",
    "birth_place": "place of birth",
    "birth_date": "date of birth, as sent (any of the agencies' formats)",
    "sex": "sex code, as sent (L/P, Laki-laki/Perempuan, 1/2)",
    "address": "street address or free-text domicile",
    "rt": "RT (neighbourhood unit), when sent separately",
    "rw": "RW (community unit), when sent separately",
    "kelurahan": "village (kelurahan), when sent separately",
    "kecamatan": "district (kecamatan), when sent separately",
    "phone": "phone number, as sent",
    "occupation": "occupation, as sent",
    "worker_category": "employment-insurance category (PU, BPU, JAKON)",
    "jkn_segment": "health-insurance segment (PBI, PPU, PBPU, BP)",
    "membership_status": "membership status at the agency (AKTIF, TIDAK AKTIF, NONAKTIF)",
    "membership_start": "membership start date",
    "marital_status": "marital status",
    "updated_at": "last change at the agency",
}

#: Columns of a canonical frame: provenance first, then the mapped fields.
#: ``source_row`` names the row in error messages and quarantine reasons: for CSV the physical line the
#: record starts on (the header is line 1, so the first data row is usually 2), for SQL the 1-based
#: position in record-id order.
CANONICAL_COLUMNS: tuple[str, ...] = ("source", "source_row", *CANONICAL_FIELDS)


def empty_canonical_frame() -> pd.DataFrame:
    """A canonical frame with no rows and every column present."""
    frame = pd.DataFrame({column: pd.Series(dtype="object") for column in CANONICAL_COLUMNS})
    frame["source_row"] = frame["source_row"].astype("int64")
    return frame
