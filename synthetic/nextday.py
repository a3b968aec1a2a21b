"""The next night's drop from a previous one: some records vanish, some change, some are new.

Deleted rows are gone; changed rows keep their record id and get new content (and a bumped update
timestamp where the agency keeps one); every other row is carried over with identical content. New
records are new people, babies born into listed families, and new registrations (a second JKN
card, a new KPJ) of people already listed. ``truth.csv`` keeps each person's id.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from synthetic.additions import fresh_people, new_registrations, newborns
from synthetic.changes import (
    EMPLOYMENT_KINDS,
    HEALTH_KINDS,
    change_city,
    change_employment,
    change_health,
    plan_changes,
    stamps_on,
)
from synthetic.drop import DropSummary, summarize
from synthetic.facts import clean_nik, parse_dates, person_facts, reference_niks
from synthetic.identifiers import digits16
from synthetic.rng import pick_rows, stream
from synthetic.writer import (
    COLUMNS,
    FILES,
    RECORD_IDS,
    person_label,
    read_source,
    read_truth,
    write_source,
    write_sources_yaml,
    write_truth,
)

__all__ = ["generate_next_day"]

log = logging.getLogger(__name__)
_STAMPED = {"bpjs_kesehatan": "tgl_update", "penduduk_depok": "updated_at"}
_NAMES = {"bpjs_kesehatan": "nama_peserta", "bpjs_ketenagakerjaan": "nama"}


def _last_day(sources: dict[str, pd.DataFrame]) -> int:
    """The day of the latest update timestamp in a drop (the night it was exported)."""
    latest = max(str(sources[s][column].max()) for s, column in _STAMPED.items() if len(sources[s]))
    return int(parse_dates(pd.Series([latest[:10]]))[0])


def _fixes(
    frame: pd.DataFrame, source: str, persons: np.ndarray, best_nik: pd.Series, city_name: pd.Series
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per row: the person's best-known NIK and civil-registry name where they differ from the row
    (empty text elsewhere), and the rows where each differs."""
    wanted = pd.Series(persons).map(best_nik).fillna(0).astype(np.int64).to_numpy()
    nik_wrong = (wanted > 0) & (clean_nik(frame["nik"]) != wanted)
    nik = np.full(len(frame), "", dtype=object)
    nik[nik_wrong] = digits16(wanted[nik_wrong])
    official = pd.Series(persons).map(city_name)
    if source == "bpjs_ketenagakerjaan":
        official = official.str.title()
    known = official.notna().to_numpy()
    name_wrong = known & (official.to_numpy(object) != frame[_NAMES[source]].to_numpy(object))
    name = np.where(name_wrong, official.to_numpy(object), "")
    rows = {"nik_fix": np.flatnonzero(nik_wrong), "name_fix": np.flatnonzero(name_wrong)}
    return {"nik": nik, _NAMES[source]: name}, rows


def _insert(frame: pd.DataFrame, new: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Existing rows in their order, new rows at random positions among them."""
    if not len(new):
        return frame
    new = new[frame.columns].astype(frame.dtypes.to_dict())
    keys = np.r_[np.arange(len(frame)) * 1.0, rng.random(len(new)) * max(len(frame), 1)]
    merged = pd.concat([frame, new], ignore_index=True)
    return merged.iloc[np.argsort(keys, kind="stable")].reset_index(drop=True)


def generate_next_day(
    previous_dir: str | Path,
    out_dir: str | Path,
    seed: int,
    new_share: float = 0.01,
    changed_share: float = 0.02,
    deleted_share: float = 0.005,
) -> DropSummary:
    """Write the night after the drop in ``previous_dir`` into ``out_dir`` (may be the same folder).

    Shares are fractions of the previous drop's records per source: ``deleted_share`` vanish,
    ``changed_share`` of the rest change, and new records add up to ``new_share`` of the previous
    total. Deterministic for the same previous drop and seed.
    """
    rng = stream(seed, "next_day")
    sources = {source: read_source(source, Path(previous_dir), compact=True) for source in FILES}
    truth = read_truth(Path(previous_dir), compact=True)
    truth_person = truth["person_id"].str.slice(1).astype(np.int64)
    person_of: dict[str, np.ndarray] = {}
    for source, frame in sources.items():
        part = truth["source"] == source
        mapping = pd.Series(truth_person[part].to_numpy(), index=truth.loc[part, "record_id"].astype(object))
        found = mapping.reindex(frame[RECORD_IDS[source]].astype(str).astype(object))
        if found.isna().any():
            raise ValueError(f"truth.csv does not cover every record of {source}")
        person_of[source] = found.to_numpy(np.int64)
    next_person = int(truth_person.max()) + 1
    del truth, truth_person
    today = _last_day(sources) + 1
    total = sum(len(frame) for frame in sources.values())
    taken = {s: pd.to_numeric(f[RECORD_IDS[s]]).to_numpy(np.int64) for s, f in sources.items()}
    taken_niks = np.unique(np.concatenate([clean_nik(f["nik"]) for f in sources.values()]))
    next_city_id = int(taken["penduduk_depok"].max(initial=0)) + 1
    niks = reference_niks(sources, person_of)
    city = sources["penduduk_depok"]
    city_name = pd.Series(city["nama_lengkap"].to_numpy(object), index=person_of["penduduk_depok"])
    city_name = city_name[~city_name.index.duplicated()]

    # New records are planned from a sample of listed people, read back before anything changes.
    target_new = round(new_share * total)
    n_fresh = round(0.45 * target_new / 2.05)
    n_births = round(0.08 * target_new / 1.85)
    known = np.unique(np.r_[person_of["penduduk_depok"], person_of["bpjs_kesehatan"]])
    sample = rng.choice(known, size=min(len(known), 2 * target_new + 60 * n_births + 50), replace=False)
    facts = person_facts(sources, person_of, np.sort(sample))
    has_tk = np.isin(facts.index.to_numpy(), person_of["bpjs_ketenagakerjaan"])

    counts: dict[str, Counter] = {}
    for source in FILES:
        frame = sources[source]
        gone = pick_rows(rng, len(frame), round(deleted_share * len(frame)))
        keep = np.setdiff1d(np.arange(len(frame)), gone)
        frame = sources[source] = frame.iloc[keep].reset_index(drop=True)
        persons = person_of[source] = person_of[source][keep]
        target = round(changed_share * len(frame))
        if source == "penduduk_depok":
            insured = pd.Series(persons).map(niks["insured"]).fillna(0).astype(np.int64).to_numpy()
            wrong = (insured > 0) & (clean_nik(frame["nik"]) != insured)
            nik_fixes = np.where(wrong, np.array([f"{x:016d}" for x in insured.tolist()], dtype=object), "")
            counts[source] = change_city(rng, frame, target, nik_fixes, today)
        else:
            fixes, wrong_rows = _fixes(frame, source, persons, niks["best"], city_name)
            kinds_table = HEALTH_KINDS if source == "bpjs_kesehatan" else EMPLOYMENT_KINDS
            rows, kinds = plan_changes(rng, len(frame), target, kinds_table, wrong_rows)
            if source == "bpjs_kesehatan":
                counts[source] = change_health(rng, frame, rows, kinds, fixes, today)
            else:
                counts[source] = change_employment(rng, frame, rows, kinds, fixes)
        counts[source]["deleted"] = len(gone)
    del niks, city_name

    additions: list[dict[str, pd.DataFrame]] = []
    if n_fresh:
        fresh = fresh_people(
            n_fresh, int(rng.integers(2**31)), next_person, today, taken_niks, taken, next_city_id
        )
        additions.append(fresh)
        next_person += n_fresh
        next_city_id += len(fresh["penduduk_depok"])
        taken_niks = np.union1d(taken_niks, np.concatenate([clean_nik(f["nik"]) for f in fresh.values()]))
    if n_births:
        born = newborns(
            rng,
            int(rng.integers(2**31)),
            facts,
            n_births,
            today,
            next_person,
            taken_niks,
            taken,
            next_city_id,
        )
        if born:
            additions.append(born)
            next_person += len(born["penduduk_depok"])
    produced = sum(len(frame) for part in additions for frame in part.values())
    remaining = max(target_new - produced, 0)
    count_jkn = round(0.7 * remaining)
    additions.append(
        new_registrations(
            rng, int(rng.integers(2**31)), facts, has_tk, count_jkn, remaining - count_jkn, today, taken
        )
    )

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    truth_parts: dict[str, tuple] = {}
    paths: dict[str, Path] = {}
    for source in FILES:
        new = [part[source] for part in additions if source in part and len(part[source])]
        new_frame = (
            pd.concat(new, ignore_index=True) if new else pd.DataFrame(columns=[*COLUMNS[source], "_person"])
        )
        if source in _STAMPED and len(new_frame):
            new_frame[_STAMPED[source]] = stamps_on(rng, len(new_frame), today)
        frame = sources[source].assign(_person=person_of[source])
        frame = _insert(frame, new_frame.astype({"_person": np.int64}), rng)
        if source == "penduduk_depok":
            frame = frame.sort_values("id_penduduk", kind="stable").reset_index(drop=True)
        paths[source] = write_source(source, frame, out)
        truth_parts[source] = (
            frame[RECORD_IDS[source]].to_numpy(),
            person_label(frame["_person"].to_numpy()),
        )
        counts[source]["new"] = len(new_frame)
        log.info("%s: %s", source, dict(counts[source]))
        del frame, sources[source]
    paths["truth"] = write_truth(truth_parts, out)
    paths["sources"] = write_sources_yaml(out)
    return summarize(out, truth_parts, paths)
