"""Overnight edits to existing records: people move, change phones, lapse, get their NIK or name
corrected. Each function edits the chosen rows of one source in place (record ids never change) and
returns how many rows got each kind of change.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from synthetic.addresses import (
    PADDED,
    draw_addresses,
    draw_kelurahan,
    jkn_region_names,
    jkn_street_lines,
    tk_address_lines,
)
from synthetic.calendar import format_timestamps
from synthetic.phones import draw_phones, format_local, format_tk
from synthetic.regions import kelurahan_table
from synthetic.rng import choose

__all__ = [
    "HEALTH_KINDS",
    "EMPLOYMENT_KINDS",
    "CITY_KINDS",
    "plan_changes",
    "change_health",
    "change_employment",
    "change_city",
    "stamps_on",
]

HEALTH_KINDS = (
    ("move", 35),
    ("phone", 25),
    ("status", 15),
    ("nik_fix", 10),
    ("name_fix", 10),
    ("segment", 5),
)
EMPLOYMENT_KINDS = (("move", 30), ("phone", 25), ("status", 20), ("nik_fix", 20), ("name_fix", 5))
CITY_KINDS = (("move", 45), ("occupation", 25), ("marital", 20), ("nik_fix", 10))
_SEGMENT_CHANGE = {"PBPU": "PBI", "PBI": "PBPU", "PPU": "PBPU", "BP": "PBPU"}
_MARITAL_CHANGE = {"BELUM KAWIN": "KAWIN", "KAWIN": "CERAI HIDUP", "KAWIN TERCATAT": "CERAI MATI"}
_CITY_JOBS = (
    "KARYAWAN SWASTA",
    "WIRASWASTA",
    "PEDAGANG",
    "BURUH HARIAN LEPAS",
    "MENGURUS RUMAH TANGGA",
    "PELAJAR/MAHASISWA",
    "BELUM/TIDAK BEKERJA",
    "SOPIR",
    "LAINNYA",
    "PENSIUNAN",
)


class _Rows:
    """Edits to some rows of a frame: ``set(column, rows, values)`` collects, ``apply`` writes them
    column by column without copying untouched columns."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.edits: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}

    def get(self, column: str, rows: np.ndarray) -> np.ndarray:
        return self.frame[column].to_numpy(object)[rows] if len(rows) else np.empty(0, dtype=object)

    def set(self, column: str, rows: np.ndarray, values) -> None:
        if len(rows):
            self.edits.setdefault(column, []).append((np.asarray(rows), np.asarray(values, dtype=object)))

    def apply(self) -> None:
        for column, edits in self.edits.items():
            values = self.frame[column].to_numpy(object).copy()
            for rows, new in edits:
                values[rows] = new
            self.frame[column] = pd.array(values, dtype=self.frame[column].dtype)


def stamps_on(rng: np.random.Generator, n: int, day: int) -> np.ndarray:
    """``n`` timestamps during one day."""
    return format_timestamps(np.full(n, day, dtype=np.int64), rng.integers(6 * 3600, 23 * 3600, n))


def _kinds(rng: np.random.Generator, n: int, table: tuple[tuple[str, float], ...]) -> np.ndarray:
    names = np.array([name for name, _ in table], dtype=object)
    return names[choose(rng, n, [w for _, w in table])]


def plan_changes(
    rng: np.random.Generator,
    n: int,
    target: int,
    table: tuple[tuple[str, float], ...],
    candidates: dict[str, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Rows to change and the kind of change for each: kinds listed in ``candidates`` take their share
    of ``target`` from their candidate rows (corrections come from rows that are wrong), the other
    kinds from any row not yet chosen."""
    total = sum(w for _, w in table)
    chosen = np.zeros(n, dtype=bool)
    rows, kinds = [], []
    for kind, weight in table:
        if kind not in candidates:
            continue
        pool = candidates[kind][~chosen[candidates[kind]]]
        take = pool[rng.permutation(len(pool))[: round(target * weight / total)]]
        chosen[take] = True
        rows.append(take)
        kinds += [kind] * len(take)
    free = np.flatnonzero(~chosen)
    rest = free[rng.permutation(len(free))[: max(target - int(chosen.sum()), 0)]]
    others = tuple((k, w) for k, w in table if k not in candidates)
    rows.append(rest)
    kinds = np.array(kinds + list(_kinds(rng, len(rest), others)), dtype=object)
    return np.concatenate(rows).astype(np.int64), kinds


def _new_addresses(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    kel = draw_kelurahan(rng, n)
    street, rt, rw = draw_addresses(rng, kel)
    return kel, street, rt, rw


def change_health(
    rng, frame: pd.DataFrame, rows: np.ndarray, kinds: np.ndarray, fixes: dict[str, np.ndarray], today: int
) -> Counter:
    """Edit health-insurance rows (kinds from :data:`HEALTH_KINDS`; ``fixes`` holds the corrected
    ``nik`` and ``nama_peserta`` per frame row); ``tgl_update`` of every edited row moves to ``today``."""
    edit = _Rows(frame)
    for kind, column in (("nik_fix", "nik"), ("name_fix", "nama_peserta")):
        sel = rows[kinds == kind]
        edit.set(column, sel, fixes[column][sel])
    sel = rows[kinds == "move"]
    kel, street, rt, rw = _new_addresses(rng, len(sel))
    edit.set("alamat", sel, jkn_street_lines(rng, street, rt, rw))
    kelurahan, kecamatan = jkn_region_names(rng, kel)
    edit.set("kelurahan", sel, kelurahan)
    edit.set("kecamatan", sel, kecamatan)
    sel = rows[kinds == "phone"]
    edit.set("no_hp", sel, format_local(draw_phones(rng, len(sel))))
    sel = rows[kinds == "status"]
    edit.set(
        "status_peserta", sel, np.where(edit.get("status_peserta", sel) == "AKTIF", "TIDAK AKTIF", "AKTIF")
    )
    sel = rows[kinds == "segment"]
    edit.set("segmen", sel, [_SEGMENT_CHANGE.get(s, "PBPU") for s in edit.get("segmen", sel)])
    edit.set("tgl_update", rows, stamps_on(rng, len(rows), today))
    edit.apply()
    return Counter(kinds.tolist())


def change_employment(
    rng, frame: pd.DataFrame, rows: np.ndarray, kinds: np.ndarray, fixes: dict[str, np.ndarray]
) -> Counter:
    """Edit employment-insurance rows (kinds from :data:`EMPLOYMENT_KINDS`; ``fixes`` holds the
    corrected ``nik`` and ``nama`` per frame row). This export has no update timestamp."""
    edit = _Rows(frame)
    for kind, column in (("nik_fix", "nik"), ("name_fix", "nama")):
        sel = rows[kinds == kind]
        edit.set(column, sel, fixes[column][sel])
    sel = rows[kinds == "move"]
    kel, street, rt, rw = _new_addresses(rng, len(sel))
    edit.set("alamat_domisili", sel, tk_address_lines(rng, street, rt, rw, kel))
    sel = rows[kinds == "phone"]
    edit.set("telepon", sel, format_tk(rng, draw_phones(rng, len(sel))))
    sel = rows[kinds == "status"]
    edit.set("status", sel, np.where(edit.get("status", sel) == "AKTIF", "NONAKTIF", "AKTIF"))
    edit.apply()
    return Counter(kinds.tolist())


def _families(rng, no_kk: np.ndarray, kinds: np.ndarray, target: int) -> tuple[np.ndarray, np.ndarray]:
    """Pick rows in random order until ``target`` rows are chosen; a move takes everyone on the KK."""
    order = np.argsort(no_kk, kind="stable")
    keys = no_kk[order]
    chosen = np.zeros(len(no_kk), dtype=bool)
    rows: list[np.ndarray] = []
    row_kinds: list[np.ndarray] = []
    count = 0
    for row in rng.permutation(len(no_kk)).tolist():
        if count >= target:
            break
        if chosen[row]:
            continue
        if kinds[row] == "move":
            lo, hi = np.searchsorted(keys, no_kk[row], "left"), np.searchsorted(keys, no_kk[row], "right")
            group = order[lo:hi]
            group = group[~chosen[group]]
        else:
            group = np.array([row])
        chosen[group] = True
        rows.append(group)
        row_kinds.append(np.full(len(group), kinds[row], dtype=object))
        count += len(group)
    if not rows:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=object)
    return np.concatenate(rows).astype(np.int64), np.concatenate(row_kinds)


def change_city(rng, frame: pd.DataFrame, target: int, nik_fixes: np.ndarray, today: int) -> Counter:
    """Edit about ``target`` civil-registry rows (kinds from :data:`CITY_KINDS`). Moves are per family
    card: everyone on the KK moves together. ``nik_fixes`` holds a corrected NIK per row where the
    insurers agree on a different one (empty otherwise). ``updated_at`` of edited rows moves to ``today``."""
    edit = _Rows(frame)
    no_kk = frame["no_kk"].to_numpy(object)
    kinds = _kinds(rng, len(frame), CITY_KINDS)
    wrong = np.flatnonzero(nik_fixes != "")
    kinds[kinds == "nik_fix"] = "occupation"
    kinds[wrong[rng.random(len(wrong)) < 0.5]] = "nik_fix"
    rows, kinds = _families(rng, no_kk, kinds, target)
    edit.set("nik", rows[kinds == "nik_fix"], nik_fixes[rows[kinds == "nik_fix"]])
    table = kelurahan_table()
    moving = rows[kinds == "move"]
    families, at = np.unique(no_kk[moving], return_inverse=True)
    kel, street, rt, rw = _new_addresses(rng, len(families))
    edit.set("alamat", moving, street[at])
    edit.set("rt", moving, PADDED[rt[at]])
    edit.set("rw", moving, PADDED[rw[at]])
    edit.set("kelurahan", moving, table["kelurahan"].to_numpy(object)[kel[at]])
    edit.set("kecamatan", moving, table["kecamatan"].to_numpy(object)[kel[at]])
    sel = rows[kinds == "occupation"]
    jobs = np.array(_CITY_JOBS, dtype=object)
    new_jobs = jobs[rng.integers(0, len(jobs), len(sel))]
    same = new_jobs == edit.get("pekerjaan", sel)
    new_jobs[same] = np.where(new_jobs[same] == "WIRASWASTA", "KARYAWAN SWASTA", "WIRASWASTA")
    edit.set("pekerjaan", sel, new_jobs)
    sel = rows[kinds == "marital"]
    edit.set("status_kawin", sel, [_MARITAL_CHANGE.get(s, "KAWIN") for s in edit.get("status_kawin", sel)])
    edit.set("updated_at", rows, stamps_on(rng, len(rows), today))
    edit.apply()
    return Counter(kinds.tolist())
