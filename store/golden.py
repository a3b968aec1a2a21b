"""Golden records: one row per registry person, built from that person's source records.

Each golden field is chosen by its survivorship rule (``store.survivorship``; by default: identity from
the civil registry, then the health insurer, then the employment insurer; the NIK that agrees with the
birth date and sex first; phone and address the most recent; occupation and worker category from the
employment insurer). ``provenance`` (JSON) names, for every golden field, the source record that
supplied it. Coverage flags say which programmes hold the person and whether that membership is active.
"""

from __future__ import annotations

import json

import pandas as pd

from store.survivorship import DEFAULT_SURVIVORSHIP, FieldRule, Survivorship, nik_agrees

__all__ = ["ACTIVE_STATUSES", "build_persons"]

#: Membership statuses that mean "covered now".
ACTIVE_STATUSES = frozenset({"AKTIF"})


def build_persons(
    records: pd.DataFrame,
    programmes: dict[str, str],
    run_id: str,
    survivorship: Survivorship = DEFAULT_SURVIVORSHIP,
) -> pd.DataFrame:
    """One golden row per ``registry_id`` in ``records`` (standardised records with ``registry_id``)."""
    programme = records["source"].map(programmes)
    frame = records.assign(_programme=programme).reset_index(drop=True)
    ids = pd.Index(pd.unique(frame["registry_id"])).sort_values()
    golden = pd.DataFrame(index=ids)
    golden.index.name = "registry_id"
    provenance: dict[str, pd.Series] = {}
    for name, rule in survivorship.fields.items():
        values, origin = _survivor(frame, rule)
        golden[name] = values.reindex(ids)
        provenance[name] = origin.reindex(ids)
    status = frame["membership_status"].fillna("").astype(str).str.upper().str.strip()
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
    persons = golden.join(coverage)
    persons["run_id"] = run_id
    origins = pd.DataFrame(provenance, index=ids)
    persons["provenance"] = [
        json.dumps(
            {field: origin for field, origin in row.items() if isinstance(origin, list)}, sort_keys=True
        )
        for row in origins.to_dict("records")
    ]
    persons = persons.astype(object).where(persons.notna(), None)
    return persons.reset_index()


def _survivor(frame: pd.DataFrame, rule: FieldRule) -> tuple[pd.Series, pd.Series]:
    """The surviving value per registry id, and ``[source, record_id]`` of the record that gave it."""
    values = frame[rule.column]
    has = values.notna() & values.astype(str).str.strip().ne("")
    candidates = frame.loc[has, ["registry_id", "source", "record_id", "_programme"]].assign(
        _value=values[has]
    )
    rank = {name: position for position, name in enumerate(rule.priority)}
    candidates["_priority"] = candidates["_programme"].map(rank).fillna(len(rank))
    keys, ascending = [], []
    if rule.consistent_nik:
        agrees = nik_agrees(values[has], frame.loc[has, "birth_date_std"], frame.loc[has, "sex_std"])
        candidates["_agrees"] = agrees.to_numpy()
        keys.append("_agrees")
        ascending.append(False)
    if rule.rule == "most_recent":
        candidates["_recent"] = frame.loc[has, "updated_at"].fillna("").astype(str).to_numpy()
        keys.append("_recent")
        ascending.append(False)
    elif rule.rule == "most_complete":
        candidates["_length"] = candidates["_value"].astype(str).str.len()
        keys.append("_length")
        ascending.append(False)
    ordered = candidates.sort_values(
        ["registry_id", *keys, "_priority", "source", "record_id"],
        ascending=[True, *ascending, True, True, True],
        kind="stable",
    ).drop_duplicates("registry_id")
    ordered = ordered.set_index("registry_id")
    origin = pd.Series(
        [
            [source, record_id]
            for source, record_id in zip(ordered["source"], ordered["record_id"], strict=True)
        ],
        index=ordered.index,
        dtype=object,
    )
    return ordered["_value"], origin
