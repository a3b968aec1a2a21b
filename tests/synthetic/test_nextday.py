"""The next night's drop: deletions, changes and new records on top of a previous drop."""

from __future__ import annotations

import filecmp

import pandas as pd
import pytest

from synthetic import generate_next_day

from .conftest import SEED, read_drop
from .test_generator import FORMATS, IDS, SOURCES, records_with_person

pytestmark = pytest.mark.unit
STAMPS = {"bpjs_kesehatan": "tgl_update", "penduduk_depok": "updated_at"}


def _by_id(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    return frame.set_index(frame[IDS[source]].astype(str))


def _split(drop, next_drop, source):
    before, after = _by_id(drop[source], source), _by_id(next_drop[source], source)
    kept = before.index.intersection(after.index)
    changed = [i for i in kept if not before.loc[i].equals(after.loc[i])]
    return before, after, kept, changed


@pytest.mark.parametrize("source", SOURCES)
def test_shares_of_deleted_changed_and_new_records(drop, next_drop, source):
    before, after, kept, changed = _split(drop, next_drop, source)
    deleted = len(before) - len(kept)
    new = len(after) - len(kept)
    assert 0.002 <= deleted / len(before) <= 0.01
    assert 0.012 <= len(changed) / len(kept) <= 0.03
    assert new > 0
    total_before = sum(len(drop[s]) for s in SOURCES)
    total_new = sum(len(next_drop[s]) for s in SOURCES) - sum(
        len(_by_id(drop[s], s).index.intersection(_by_id(next_drop[s], s).index)) for s in SOURCES
    )
    assert 0.007 <= total_new / total_before <= 0.014


@pytest.mark.parametrize("source", SOURCES)
def test_next_day_keeps_the_documented_formats(next_drop, source):
    frame = next_drop[source]
    assert frame[IDS[source]].is_unique
    for column, pattern in FORMATS[source].items():
        values = frame[column].astype(str)
        assert values.str.fullmatch(pattern).all(), f"{source}.{column}"


def test_unchanged_rows_are_carried_over_byte_for_byte(drop_dir, next_dir):
    for name in ("bpjs_kesehatan.csv", "bpjs_ketenagakerjaan.csv"):
        old = set((drop_dir / name).read_text(encoding="utf-8").splitlines())
        new = (next_dir / name).read_text(encoding="utf-8").splitlines()
        carried = sum(line in old for line in new)
        assert carried / len(old) > 0.96, name


@pytest.mark.parametrize("source", ["bpjs_kesehatan", "penduduk_depok"])
def test_changed_rows_get_a_fresh_update_timestamp(drop, next_drop, source):
    before, after, kept, changed = _split(drop, next_drop, source)
    column = STAMPS[source]
    last = before[column].str[:10].max()
    today = after[column].str[:10].max()
    assert today == (pd.Timestamp(last) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    assert (after.loc[changed, column].str[:10] == today).all()
    unchanged = kept.difference(changed)
    assert (after.loc[unchanged, column] == before.loc[unchanged, column]).all()
    new = after.index.difference(before.index)
    assert (after.loc[new, column].str[:10] == today).all()


def test_health_changes_are_moves_phones_statuses_and_corrections(drop, next_drop):
    before, after, _, changed = _split(drop, next_drop, "bpjs_kesehatan")
    diff = {c: int((before.loc[changed, c] != after.loc[changed, c]).sum()) for c in before.columns}
    for column in ("alamat", "no_hp", "status_peserta", "nik", "nama_peserta", "tgl_update"):
        assert diff[column] > 0, column
    assert diff["no_kartu"] == 0 and diff["tgl_lahir"] == 0
    # A corrected NIK is the one the civil registry holds for the same person.
    city = (
        records_with_person(drop, "penduduk_depok").drop_duplicates("person_id").set_index("person_id")["nik"]
    )
    truth = drop["truth"].set_index(["source", "record_id"])["person_id"]
    fixed = [i for i in changed if before.loc[i, "nik"] != after.loc[i, "nik"]]
    persons = [truth[("bpjs_kesehatan", i)] for i in fixed]
    agree = [
        city.get(p) == after.loc[i, "nik"] for i, p in zip(fixed, persons, strict=True) if p in city.index
    ]
    assert agree and sum(agree) / len(agree) > 0.9


def test_employment_changes_correct_and_fill_niks(drop, next_drop, tmp_path):
    before, after, _, changed = _split(drop, next_drop, "bpjs_ketenagakerjaan")
    corrected = [i for i in changed if before.loc[i, "nik"] != after.loc[i, "nik"]]
    assert corrected and all(
        after.loc[i, "nik"].isdigit() and len(after.loc[i, "nik"]) == 16 for i in corrected
    )
    assert any(before.loc[i, "status"] != after.loc[i, "status"] for i in changed)
    # Collectively registered workers get their NIK filled in later.
    from synthetic import generate_drop

    generate_drop(6000, tmp_path / "a", seed=SEED)
    generate_next_day(tmp_path / "a", tmp_path / "b", seed=SEED)
    old, new = (read_drop(tmp_path / x)["bpjs_ketenagakerjaan"].set_index("kpj") for x in ("a", "b"))
    kept = old.index.intersection(new.index)
    assert ((old.loc[kept, "nik"] == "") & (new.loc[kept, "nik"] != "")).sum() >= 2


def test_city_moves_take_the_whole_family_card(drop, next_drop):
    before, after, _, changed = _split(drop, next_drop, "penduduk_depok")
    moved = [i for i in changed if before.loc[i, "alamat"] != after.loc[i, "alamat"]]
    assert moved
    for kk in after.loc[moved, "no_kk"].unique()[:20]:
        family = after[after["no_kk"] == kk]
        assert family["alamat"].nunique() == 1


def test_truth_keeps_person_ids_and_adds_new_people(drop, next_drop):
    old, new = drop["truth"], next_drop["truth"]
    for source in SOURCES:
        ids = set(next_drop[source][IDS[source]].astype(str))
        part = new[new["source"] == source]
        assert set(part["record_id"]) == ids and part["record_id"].is_unique
    merged = old.merge(new, on=["source", "record_id"], suffixes=("_old", "_new"))
    assert (merged["person_id_old"] == merged["person_id_new"]).all()
    added = new.merge(old, on=["source", "record_id"], how="left", indicator=True)
    added = added[added["_merge"] == "left_only"]
    known = set(old["person_id"])
    assert added["person_id_x"].isin(known).any()  # new cards/KPJs of people already listed
    assert (~added["person_id_x"].isin(known)).any()  # new people
    newcomers = added.loc[~added["person_id_x"].isin(known), "person_id_x"]
    assert newcomers.str[1:].astype(int).min() > old["person_id"].str[1:].astype(int).max()
    jkn_new = added[(added["source"] == "bpjs_kesehatan") & added["person_id_x"].isin(known)]
    tk_new = added[(added["source"] == "bpjs_ketenagakerjaan") & added["person_id_x"].isin(known)]
    assert len(jkn_new) and len(tk_new)


def test_new_people_do_not_reuse_listed_niks(drop, next_drop):
    old_city = records_with_person(drop, "penduduk_depok")
    new_city = records_with_person(next_drop, "penduduk_depok")
    newcomers = new_city[~new_city["person_id"].isin(set(old_city["person_id"]))]
    assert len(newcomers)
    assert not newcomers["nik"].isin(set(old_city["nik"])).any()
    # Babies are born onto a family card that is already listed.
    assert newcomers["no_kk"].isin(set(old_city["no_kk"])).any()


def test_next_day_is_deterministic_and_chains(drop_dir, next_dir, tmp_path):
    generate_next_day(drop_dir, tmp_path / "again", seed=SEED)
    for name in ("bpjs_kesehatan.csv", "bpjs_ketenagakerjaan.csv", "truth.csv", "penduduk_depok.db"):
        assert filecmp.cmp(next_dir / name, tmp_path / "again" / name, shallow=False), name
    summary = generate_next_day(next_dir, tmp_path / "third", seed=SEED + 1)
    third = read_drop(tmp_path / "third")
    assert summary.records == len(third["truth"])
    assert (tmp_path / "third" / "sources.yaml").read_bytes() == (next_dir / "sources.yaml").read_bytes()
