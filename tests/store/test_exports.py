"""The registry's CSV exports: links and persons, plain and pseudonymised (no raw NIK, no direct
identifiers in the pseudonymised files; the same NIK, the same pseudonym in both)."""

import pandas as pd
import pytest

from store import publish_run
from store.exports import (
    PERSON_COLUMNS,
    PSEUDONYMISED_PERSON_COLUMNS,
    export_links,
    export_persons,
    read_links,
    read_person_export,
)
from store.pseudonyms import Pseudonymiser

pytestmark = pytest.mark.integration

KEY = "an-agency-sharing-key-of-32-bytes-or-more"
SITI_NIK = "3276015708900001"
SITI_PHONE = "6281234567890"


@pytest.fixture
def published(registry, records_factory, outcome_factory):
    records = records_factory(
        [
            {"source": "penduduk_depok", "record_id": "1", "cluster": 0, "name_std": "SITI AMINAH",
             "full_name": "Siti Aminah", "nik": SITI_NIK, "nik_std": SITI_NIK,
             "birth_date_std": "1990-08-17", "sex_std": "P", "address": "JL. MERANTI 4", "rt_std": "004",
             "rw_std": "001", "kelurahan_std": "BEJI", "kecamatan_std": "BEJI"},
            {"source": "bpjs_kesehatan", "record_id": "0001", "cluster": 0, "name_std": "SITI AMINAH S.E.",
             "nik": SITI_NIK, "nik_std": SITI_NIK, "membership_status": "AKTIF", "phone_std": SITI_PHONE,
             "phone": "0812-3456-7890"},
            {"source": "bpjs_ketenagakerjaan", "record_id": "10000000001", "cluster": 1,
             "name_std": "ASEP", "membership_status": "NONAKTIF", "worker_category": "BPU",
             "occupation": "Pengemudi Ojek Online"},
        ]
    )  # fmt: skip
    publish_run(registry, outcome_factory(records))
    return registry


def test_plain_exports_keep_their_columns(published, tmp_path):
    assert list(read_links(published).columns) == ["source", "record_id", "registry_id"]
    out = tmp_path / "persons.csv"
    assert export_persons(published, out) == 2
    persons = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert tuple(persons.columns) == PERSON_COLUMNS
    siti = persons[persons["nik"] == SITI_NIK].iloc[0]
    assert (siti["full_name"], siti["phone"], siti["birth_date"]) == ("SITI AMINAH", SITI_PHONE, "1990-08-17")
    assert (siti["in_health"], siti["in_city"], siti["in_employment"]) == ("True", "True", "False")
    assert siti["record_count"] == "2"


def test_pseudonymised_files_hold_no_nik_and_no_direct_identifier(published, tmp_path):
    keyed = Pseudonymiser(KEY)
    links_csv, persons_csv = tmp_path / "links.csv", tmp_path / "persons.csv"
    assert export_links(published, links_csv, keyed) == 3
    assert export_persons(published, persons_csv, keyed) == 2
    for path in (links_csv, persons_csv):
        text = path.read_text(encoding="utf-8")
        for identifier in (SITI_NIK, SITI_PHONE, "SITI", "Siti", "MERANTI", "1990-08-17", "0812"):
            assert identifier not in text, f"{identifier!r} in {path.name}"
    persons = pd.read_csv(persons_csv, dtype=str, keep_default_na=False)
    assert tuple(persons.columns) == PSEUDONYMISED_PERSON_COLUMNS
    assert not {"nik", "full_name", "phone", "address", "rt", "rw", "birth_date"} & set(persons.columns)
    siti = persons[persons["nik_pseudonym"] != ""].iloc[0]
    assert siti["nik_pseudonym"] == keyed.pseudonym(SITI_NIK)
    assert (siti["birth_year"], siti["sex"], siti["kecamatan"]) == ("1990", "P", "BEJI")
    asep = persons[persons["nik_pseudonym"] == ""].iloc[0]  # no NIK: stays missing
    assert (asep["worker_category"], asep["in_employment"], asep["birth_year"]) == ("BPU", "True", "")


def test_the_same_nik_gives_the_same_pseudonym_in_both_files_and_across_runs(published):
    keyed = Pseudonymiser(KEY)
    links = read_links(published, keyed)
    assert list(links.columns) == ["source", "record_id", "registry_id", "nik_pseudonym"]
    persons = read_person_export(published, keyed).set_index("registry_id")
    siti_links = links[links["record_id"].isin(["1", "0001"])]
    assert siti_links["nik_pseudonym"].nunique() == 1
    siti_id = siti_links["registry_id"].iloc[0]
    assert persons.loc[siti_id, "nik_pseudonym"] == siti_links["nik_pseudonym"].iloc[0]
    assert links.loc[links["record_id"] == "10000000001", "nik_pseudonym"].isna().all()
    # another export with the same key (a later run, a new process): the same pseudonyms
    pd.testing.assert_frame_equal(read_person_export(published, Pseudonymiser(KEY)), persons.reset_index())
    # another key: other pseudonyms
    other = read_person_export(published, Pseudonymiser("another-key-" + "x" * 32)).set_index("registry_id")
    assert other.loc[siti_id, "nik_pseudonym"] != persons.loc[siti_id, "nik_pseudonym"]
