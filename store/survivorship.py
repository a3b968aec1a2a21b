"""Survivorship rules: which source record supplies each golden field of a person.

Rules are data: one ``FieldRule`` per golden field (a frozen pydantic model; ``load_survivorship`` reads
the same shape from YAML). Every rule first keeps only the records that have a value, then ranks them:

- ``source_priority``: by the programme order ``priority`` (e.g. the civil registry first);
- ``most_recent``: by the record's ``updated_at`` (newest first; records without one come last);
- ``most_complete``: by the length of the value (longest first).

Ties go to ``priority``, then source name and record id, so the choice is deterministic.
``consistent_nik`` (for the NIK) puts first the NIKs whose encoded birth date and sex agree with the
record's own birth date and sex, before the rule's ranking.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict

__all__ = ["DEFAULT_SURVIVORSHIP", "FieldRule", "Survivorship", "load_survivorship", "nik_agrees"]

IDENTITY_ORDER = ("city", "health", "employment")
WORK_ORDER = ("employment", "city", "health")


class FieldRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    column: str
    rule: Literal["source_priority", "most_recent", "most_complete"] = "source_priority"
    priority: tuple[str, ...] = IDENTITY_ORDER
    consistent_nik: bool = False


class Survivorship(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    fields: dict[str, FieldRule]


def _rule(column: str, **options: object) -> FieldRule:
    return FieldRule(column=column, **options)  # type: ignore[arg-type]


DEFAULT_SURVIVORSHIP = Survivorship(
    fields={
        "nik": _rule("nik_std", consistent_nik=True),
        "full_name": _rule("name_std"),
        "birth_date": _rule("birth_date_std"),
        "sex": _rule("sex_std"),
        "phone": _rule("phone_std", rule="most_recent"),
        "address": _rule("address", rule="most_recent"),
        "rt": _rule("rt_std", rule="most_recent"),
        "rw": _rule("rw_std", rule="most_recent"),
        "kelurahan": _rule("kelurahan_std", rule="most_recent"),
        "kecamatan": _rule("kecamatan_std", rule="most_recent"),
        "kelurahan_code": _rule("kelurahan_code", rule="most_recent"),
        "occupation": _rule("occupation", priority=WORK_ORDER),
        "worker_category": _rule("worker_category", priority=WORK_ORDER),
    }
)


def load_survivorship(path: str | Path | None) -> Survivorship:
    """The rules in the YAML file at ``path`` (``{fields: {nik: {column: nik_std, ...}}}``); default: ours."""
    if path is None:
        return DEFAULT_SURVIVORSHIP
    return Survivorship.model_validate(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


def nik_agrees(nik: pd.Series, birth_date: pd.Series, sex: pd.Series) -> pd.Series:
    """True where the NIK's encoded birth date (DDMMYY, day + 40 for women) and sex match the record's.

    ``birth_date`` is ISO (``YYYY-MM-DD``), ``sex`` ``L``/``P``; missing parts count as not agreeing.
    """
    text = nik.astype("string")
    day = pd.to_numeric(text.str.slice(6, 8), errors="coerce")
    female = day > 40
    day = day.where(~female, day - 40)
    day_text = day.astype("Int64").astype("string").str.zfill(2)
    encoded = text.str.slice(10, 12) + "-" + text.str.slice(8, 10) + "-" + day_text
    own = birth_date.astype("string").str.slice(2, 10)
    sex_ok = sex.astype("string").eq(female.map({True: "P", False: "L"}).astype("string"))
    return (encoded.eq(own) & sex_ok).fillna(False).astype(bool)
