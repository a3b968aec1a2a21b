"""Reading the registry back out: links, quarantine, persons (CSV exports and frames).

Links and persons can be exported *pseudonymised* (a ``Pseudonymiser``), for agencies that must not
receive raw NIKs (UU 27/2022 on personal data protection):

- links gain ``nik_pseudonym``: the keyed pseudonym of each record's own (standardised) NIK;
- persons carry ``nik_pseudonym`` instead of ``nik``, and no other direct identifier: name, phone,
  street address and RT/RW are left out and the birth date is cut to ``birth_year``. What stays is
  what coverage work needs: registry id, sex, birth year, kelurahan/kecamatan, occupation, worker
  category, the coverage flags and the record count.

The same NIK gives the same pseudonym in both files and in every run under the same key, so the
files join on ``registry_id`` or on ``nik_pseudonym``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from store.models import Person, QuarantineEntry, SourceRecord
from store.pseudonyms import Pseudonymiser

__all__ = [
    "PERSON_COLUMNS",
    "PSEUDONYMISED_PERSON_COLUMNS",
    "export_links",
    "export_persons",
    "export_quarantine",
    "read_links",
    "read_person_export",
    "read_quarantine",
]

#: The columns of the persons export: golden attributes and coverage flags.
PERSON_COLUMNS = (
    "registry_id", "nik", "full_name", "birth_date", "sex", "phone", "address", "rt", "rw", "kelurahan",
    "kecamatan", "kelurahan_code", "occupation", "worker_category", "in_health", "in_employment",
    "in_city", "health_active", "employment_active", "record_count",
)  # fmt: skip
#: The columns of the pseudonymised persons export: no name, phone, street address, RT/RW or full
#: birth date; the NIK only as its keyed pseudonym.
PSEUDONYMISED_PERSON_COLUMNS = (
    "registry_id", "nik_pseudonym", "birth_year", "sex", "kelurahan_code", "kelurahan", "kecamatan",
    "occupation", "worker_category", "in_health", "in_employment", "in_city", "health_active",
    "employment_active", "record_count",
)  # fmt: skip


def read_links(engine: sa.Engine, pseudonymiser: Pseudonymiser | None = None) -> pd.DataFrame:
    """``source, record_id, registry_id`` for every live source record the registry holds (records
    deleted from their source stay in the registry as tombstones but are not listed); with a
    ``pseudonymiser``, also ``nik_pseudonym`` (the record's standardised NIK, pseudonymised)."""
    columns = [SourceRecord.source, SourceRecord.record_id, SourceRecord.registry_id]
    if pseudonymiser is not None:
        columns.append(SourceRecord.nik_std)
    statement = (
        sa.select(*columns)
        .where(SourceRecord.deleted_at.is_(None))
        .order_by(SourceRecord.source, SourceRecord.record_id)
    )
    # dtype=str would turn a missing NIK into the string "None": only the id columns are cast
    ids = dict.fromkeys(("source", "record_id", "registry_id"), str)
    with engine.connect() as connection:
        links = pd.read_sql(statement, connection, dtype=ids)
    if pseudonymiser is not None:
        links["nik_pseudonym"] = pseudonymiser.column(links.pop("nik_std"))
    return links


def read_quarantine(engine: sa.Engine) -> pd.DataFrame:
    """``source, record_id, reason`` for every source row in quarantine."""
    statement = sa.select(QuarantineEntry.source, QuarantineEntry.record_id, QuarantineEntry.reason).order_by(
        QuarantineEntry.source, QuarantineEntry.id
    )
    with engine.connect() as connection:
        return pd.read_sql(statement, connection, dtype=str)


def read_person_export(engine: sa.Engine, pseudonymiser: Pseudonymiser | None = None) -> pd.DataFrame:
    """Every registry person, one row each in registry-id order: ``PERSON_COLUMNS``, or with a
    ``pseudonymiser`` the ``PSEUDONYMISED_PERSON_COLUMNS`` (direct identifiers never read)."""
    if pseudonymiser is None:
        wanted = PERSON_COLUMNS
    else:
        wanted = tuple(c for c in PSEUDONYMISED_PERSON_COLUMNS if c not in ("nik_pseudonym", "birth_year"))
        wanted = (*wanted, "nik", "birth_date")
    statement = sa.select(*(getattr(Person, column) for column in wanted)).order_by(Person.registry_id)
    with engine.connect() as connection:
        persons = pd.read_sql(statement, connection)
    for flag in ("in_health", "in_employment", "in_city", "health_active", "employment_active"):
        persons[flag] = persons[flag].astype(bool)
    persons["record_count"] = persons["record_count"].astype("int64")
    if pseudonymiser is None:
        return persons.loc[:, list(PERSON_COLUMNS)]
    persons["nik_pseudonym"] = pseudonymiser.column(persons.pop("nik"))
    birth_date = persons.pop("birth_date").astype("string")
    persons["birth_year"] = birth_date.str.extract(r"^(\d{4})", expand=False).astype("Int64")
    return persons.loc[:, list(PSEUDONYMISED_PERSON_COLUMNS)]


def export_links(engine: sa.Engine, out: str | Path, pseudonymiser: Pseudonymiser | None = None) -> int:
    """Write ``source,record_id,registry_id`` (``,nik_pseudonym`` with a ``pseudonymiser``) to ``out``;
    returns the number of rows written."""
    links = read_links(engine, pseudonymiser)
    links.to_csv(out, index=False)
    return len(links)


def export_quarantine(engine: sa.Engine, out: str | Path) -> int:
    """Write ``source,record_id,reason`` to ``out``; returns the number of rows written."""
    quarantine = read_quarantine(engine)
    quarantine.to_csv(out, index=False)
    return len(quarantine)


def export_persons(engine: sa.Engine, out: str | Path, pseudonymiser: Pseudonymiser | None = None) -> int:
    """Write every registry person (``read_person_export``) to ``out``; returns the number of rows."""
    persons = read_person_export(engine, pseudonymiser)
    persons.to_csv(out, index=False)
    return len(persons)
