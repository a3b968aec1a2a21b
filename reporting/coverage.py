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

import pandas as pd
import sqlalchemy as sa

from store.models import Person

__all__ = [
    "INFORMAL_PATTERN",
    "NOT_WORKING",
    "coverage_gap",
    "export_outreach",
    "GAP_COLUMNS",
    "gap_by_area",
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
        statement = statement.where(
            sa.or_(Person.employment_active.is_(None), ~Person.employment_active),
            Person.occupation.is_not(None),
            Person.occupation != "",
            Person.occupation.not_in(sorted(NOT_WORKING)),
        )
    with engine.connect() as connection:
        return pd.read_sql(statement, connection)


def coverage_gap(persons: pd.DataFrame) -> pd.DataFrame:
    """The working persons without active employment insurance, with ``informal`` and
    ``employment_status`` (``never registered`` or ``lapsed``); informal workers first."""
    occupation = persons["occupation"].fillna("").astype(str).str.strip()
    working = occupation.ne("") & ~occupation.str.upper().isin(NOT_WORKING)
    gap = persons[working & ~persons["employment_active"].astype(bool)].copy()
    category = gap["worker_category"].fillna("").astype(str).str.upper()
    gap["informal"] = category.eq("BPU") | gap["occupation"].astype(str).str.contains(INFORMAL_PATTERN)
    gap["employment_status"] = (
        gap["in_employment"].astype(bool).map({True: "lapsed", False: "never registered"})
    )
    gap = gap.sort_values(
        ["informal", "kecamatan", "registry_id"], ascending=[False, True, True], kind="stable"
    )
    return gap.reset_index(drop=True)


def gap_by_area(gap: pd.DataFrame, *, top: int | None = None) -> pd.DataFrame:
    """Gap counts per ``kecamatan, occupation``: ``workers, informal, lapsed`` (largest first)."""
    if gap.empty:
        return pd.DataFrame(columns=["kecamatan", "occupation", "workers", "informal", "lapsed"])
    frame = gap.assign(
        kecamatan=gap["kecamatan"].fillna("(unknown)"),
        lapsed=gap["employment_status"].eq("lapsed"),
    )
    counts = frame.groupby(["kecamatan", "occupation"], as_index=False).agg(
        workers=("registry_id", "size"), informal=("informal", "sum"), lapsed=("lapsed", "sum")
    )
    counts = counts.sort_values(["workers", "kecamatan", "occupation"], ascending=[False, True, True])
    counts = counts.astype({"workers": "int64", "informal": "int64", "lapsed": "int64"})
    return (counts.head(top) if top else counts).reset_index(drop=True)


def export_outreach(engine: sa.Engine, out: str | Path, *, informal_only: bool = False) -> int:
    """Write the coverage gap (with contact details, for collective registration drives) to ``out``."""
    gap = coverage_gap(read_persons(engine, gap_only=True))
    if informal_only:
        gap = gap[gap["informal"]]
    gap.loc[:, _OUTREACH_COLUMNS].to_csv(out, index=False)
    return len(gap)
