"""The coverage gap — the reason the registry exists: working people with no active employment insurance.

A person is *working* when the registry knows an occupation for them that is not one of the civil
registry's not-working labels (child, pupil, homemaker, retired, unemployed). Among them, the gap is
everyone without an *active* BPJS Ketenagakerjaan membership (never registered, or lapsed). A worker is
*informal* (gig or own-account work, the BPU segment) when the employment insurer files them as BPU or
their occupation reads like ojek-online driving, courier or delivery work, trading, freelancing, day
labour and the like (domain notes §2.3: the civil registry has no "ojol" or "kurir" code, so such people
show up there as WIRASWASTA, SOPIR, BURUH HARIAN LEPAS, ...).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from store.models import Person

__all__ = [
    "INFORMAL_PATTERN",
    "NOT_WORKING",
    "count_gap_candidates",
    "coverage_gap",
    "export_outreach",
    "GAP_COLUMNS",
    "gap_by_area",
    "gap_by_kecamatan",
    "gap_totals",
    "in_gap",
    "read_persons",
]

#: Civil-registry / insurer occupation labels that mean "not working" (upper-cased, exact).
NOT_WORKING = frozenset(
    {
        "BELUM/TIDAK BEKERJA", "PELAJAR/MAHASISWA", "PELAJAR", "MAHASISWA", "MENGURUS RUMAH TANGGA",
        "IBU RUMAH TANGGA", "PENSIUNAN",
    }
)  # fmt: skip
#: Occupation words of informal, gig and own-account work (case-insensitive, anywhere in the text).
INFORMAL_PATTERN = re.compile(
    r"ojek|ojol|kurir|driver|pengemudi|sopir|rider|pengantar|mitra|pedagang|penjual|warung|lepas|"
    r"freelance|kreator|konten|buruh|wiraswasta|tukang|pembantu|transportasi|perdagangan|reseller",
    re.IGNORECASE,
)
_OUTREACH_COLUMNS = [
    "registry_id", "full_name", "nik", "phone", "address", "rt", "rw", "kelurahan", "kecamatan",
    "occupation", "worker_category", "informal", "employment_status",
]  # fmt: skip


#: The person columns ``coverage_gap`` reads.
GAP_COLUMNS = (
    "registry_id", "occupation", "worker_category", "kecamatan", "in_employment", "employment_active",
)  # fmt: skip


def read_persons(
    engine: sa.Engine, *, columns: tuple[str, ...] | None = None, gap_only: bool = False
) -> pd.DataFrame:
    """Registry persons (golden attributes and coverage flags), by registry id.

    ``columns``: only these (default: all). ``gap_only``: only persons without active employment
    insurance whose occupation may be work (the coverage gap's candidates, filtered in the database:
    an empty occupation or one of ``NOT_WORKING`` as it stands is left out; ``coverage_gap`` decides).
    """
    selected = [getattr(Person, name) for name in columns] if columns else [Person]
    statement = sa.select(*selected).order_by(Person.registry_id)
    if gap_only:
        statement = statement.where(*_gap_candidates())
    with engine.connect() as connection:
        return pd.read_sql(statement, connection)


def count_gap_candidates(connection: sa.Connection) -> pd.DataFrame:
    """The coverage gap's candidates counted in the database: one row per kind of person (the
    ``GAP_COLUMNS`` but ``registry_id``) with ``persons``, how many there are of that kind.

    Counting in the database spares fetching a row per candidate; ``in_gap`` and the ``gap_*`` counts take
    these rows as they take ``read_persons`` rows. The index ``ix_persons_gap`` holds exactly these
    columns: the count reads it alone, not the golden records (keep both in step).
    """
    kind = [getattr(Person, name) for name in GAP_COLUMNS if name != "registry_id"]
    statement = sa.select(*kind, sa.func.count().label("persons")).where(*_gap_candidates()).group_by(*kind)
    return pd.read_sql(statement, connection)


def _gap_candidates() -> list[sa.ColumnElement[bool]]:
    """The conditions of ``read_persons(gap_only=True)``."""
    return [
        sa.or_(Person.employment_active.is_(None), ~Person.employment_active),
        Person.occupation.is_not(None),
        Person.occupation != "",
        Person.occupation.not_in(sorted(NOT_WORKING)),
    ]


def coverage_gap(persons: pd.DataFrame) -> pd.DataFrame:
    """The working persons without active employment insurance, with ``informal`` and
    ``employment_status`` (``never registered`` or ``lapsed``); informal workers first."""
    gap = in_gap(persons).sort_values(
        ["informal", "kecamatan", "registry_id"], ascending=[False, True, True], kind="stable"
    )
    return gap.reset_index(drop=True)


def in_gap(persons: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``persons`` (persons, or ``count_gap_candidates`` kinds of person) that are in the
    coverage gap, in their order, with ``informal`` and ``employment_status``."""
    occupation = persons["occupation"].fillna("").astype(str).str.strip()
    working = occupation.ne("") & ~occupation.str.upper().isin(NOT_WORKING)
    gap = persons[working & ~persons["employment_active"].astype(bool)].copy()
    category = gap["worker_category"].fillna("").astype(str).str.upper()
    gap["informal"] = category.eq("BPU") | gap["occupation"].astype(str).str.contains(INFORMAL_PATTERN)
    gap["employment_status"] = (
        gap["in_employment"].astype(bool).map({True: "lapsed", False: "never registered"})
    )
    return gap


def gap_by_area(gap: pd.DataFrame, *, top: int | None = None) -> pd.DataFrame:
    """Gap counts per ``kecamatan, occupation``: ``workers, informal, lapsed`` (largest first).

    ``gap``: ``coverage_gap`` persons, or ``in_gap`` kinds of person (with ``persons``).
    """
    if gap.empty:
        return pd.DataFrame(columns=["kecamatan", "occupation", "workers", "informal", "lapsed"])
    frame = _counted(gap)
    counts = frame.groupby(["kecamatan", "occupation"], as_index=False)[
        ["workers", "informal", "lapsed"]
    ].sum()
    counts = counts.sort_values(["workers", "kecamatan", "occupation"], ascending=[False, True, True])
    counts = counts.astype({"workers": "int64", "informal": "int64", "lapsed": "int64"})
    return (counts.head(top) if top else counts).reset_index(drop=True)


def gap_by_kecamatan(gap: pd.DataFrame) -> pd.DataFrame:
    """Gap counts per ``kecamatan``: ``workers, informal`` (largest first); ``gap`` as for ``gap_by_area``."""
    if gap.empty:
        return pd.DataFrame(columns=["kecamatan", "workers", "informal"])
    counts = _counted(gap).groupby("kecamatan", as_index=False)[["workers", "informal"]].sum()
    counts = counts.sort_values(["workers", "kecamatan"], ascending=[False, True])
    return counts.astype({"workers": "int64", "informal": "int64"}).reset_index(drop=True)


def gap_totals(gap: pd.DataFrame) -> dict[str, int]:
    """``workers, informal, lapsed`` in the whole gap; ``gap`` as for ``gap_by_area``."""
    counts = _counted(gap) if len(gap) else pd.DataFrame(columns=["workers", "informal", "lapsed"])
    return {column: int(counts[column].sum()) for column in ("workers", "informal", "lapsed")}


def _counted(gap: pd.DataFrame) -> pd.DataFrame:
    """Per row of ``gap``: its ``kecamatan`` (``(unknown)`` when missing), ``occupation`` and how many
    ``workers``, of them ``informal`` and ``lapsed``, it stands for."""
    workers = gap["persons"].to_numpy() if "persons" in gap.columns else np.ones(len(gap), dtype="int64")
    return pd.DataFrame(
        {
            "kecamatan": gap["kecamatan"].fillna("(unknown)"),
            "occupation": gap["occupation"],
            "workers": workers,
            "informal": np.where(gap["informal"].to_numpy(dtype=bool), workers, 0),
            "lapsed": np.where(gap["employment_status"].eq("lapsed").to_numpy(), workers, 0),
        }
    )


def export_outreach(engine: sa.Engine, out: str | Path, *, informal_only: bool = False) -> int:
    """Write the coverage gap (with contact details, for collective registration drives) to ``out``."""
    gap = coverage_gap(read_persons(engine, gap_only=True))
    if informal_only:
        gap = gap[gap["informal"]]
    gap.loc[:, _OUTREACH_COLUMNS].to_csv(out, index=False)
    return len(gap)
