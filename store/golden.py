"""Golden records: one row per registry person, built from that person's source records.

Survivorship (first version): each attribute comes from the most trusted source that has it — the
civil registry, then the health insurer, then the employment insurer — except the occupation and
worker category, which the employment insurer knows best. Coverage flags say which programmes hold
the person and whether that membership is active.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["ACTIVE_STATUSES", "build_persons"]

#: Source priority for identity attributes (lower wins).
IDENTITY_PRIORITY = {"city": 0, "health": 1, "employment": 2}
#: Source priority for work attributes (lower wins).
WORK_PRIORITY = {"employment": 0, "city": 1, "health": 2}
#: Membership statuses that mean "covered now".
ACTIVE_STATUSES = frozenset({"AKTIF"})

_IDENTITY = {
    "nik": "nik_std",
    "full_name": "name_std",
    "birth_date": "birth_date_std",
    "sex": "sex_std",
    "phone": "phone_std",
    "address": "address",
    "rt": "rt_std",
    "rw": "rw_std",
    "kelurahan": "kelurahan_std",
    "kecamatan": "kecamatan_std",
    "kelurahan_code": "kelurahan_code",
}
_WORK = {"occupation": "occupation", "worker_category": "worker_category"}


def build_persons(records: pd.DataFrame, programmes: dict[str, str], run_id: str) -> pd.DataFrame:
    """One golden row per ``registry_id`` in ``records`` (standardised records with ``registry_id``)."""
    programme = records["source"].map(programmes)
    frame = records.assign(_programme=programme)
    identity = _first_by_priority(frame, IDENTITY_PRIORITY, _IDENTITY)
    work = _first_by_priority(frame, WORK_PRIORITY, _WORK)
    status = frame["membership_status"].fillna("").str.upper().str.strip()
    flags = pd.DataFrame(
        {
            "registry_id": frame["registry_id"],
            "in_health": programme.eq("health"),
            "in_employment": programme.eq("employment"),
            "in_city": programme.eq("city"),
            "health_active": programme.eq("health") & status.isin(ACTIVE_STATUSES),
            "employment_active": programme.eq("employment") & status.isin(ACTIVE_STATUSES),
        }
    )
    coverage = flags.groupby("registry_id", sort=True).any()
    coverage["record_count"] = frame.groupby("registry_id", sort=True).size()
    persons = identity.join(work).join(coverage)
    persons["run_id"] = run_id
    return persons.reset_index()


def _first_by_priority(frame: pd.DataFrame, priority: dict[str, int], fields: dict[str, str]) -> pd.DataFrame:
    ordered = frame.assign(_rank=frame["_programme"].map(priority)).sort_values(
        ["registry_id", "_rank", "source", "record_id"], kind="stable"
    )
    columns = ordered[["registry_id", *fields.values()]].copy()
    columns.columns = ["registry_id", *fields.keys()]
    # groupby.first() takes the first non-missing value of each column, in priority order.
    return columns.groupby("registry_id", sort=True).first()
