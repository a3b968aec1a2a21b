import json

import pandas as pd
import pytest

from store.golden import build_persons
from store.survivorship import FieldRule, Survivorship, load_survivorship, nik_agrees

pytestmark = pytest.mark.unit

PROGRAMMES = {"bpjs_kesehatan": "health", "bpjs_ketenagakerjaan": "employment", "penduduk_depok": "city"}


def test_nik_agrees_decodes_birth_date_and_sex():
    niks = pd.Series(["3276015708900001", "3276011708900001", None])
    agrees = nik_agrees(niks, pd.Series(["1990-08-17"] * 3), pd.Series(["P", "P", "P"]))
    assert list(agrees) == [True, False, False]


def test_the_nik_agreeing_with_birth_date_and_sex_wins_over_source_priority(records_factory):
    records = records_factory(
        [
            {"source": "penduduk_depok", "record_id": "1", "registry_id": "RT1",
             "nik_std": "3276011708900001",
             "birth_date_std": "1990-08-17", "sex_std": "P"},
            {"source": "bpjs_kesehatan", "record_id": "0001", "registry_id": "RT1",
             "nik_std": "3276015708900001", "birth_date_std": "1990-08-17", "sex_std": "P"},
        ]
    )  # fmt: skip
    person = build_persons(records, PROGRAMMES, "run-1").iloc[0]
    assert person["nik"] == "3276015708900001"
    provenance = json.loads(person["provenance"])
    assert provenance["nik"] == ["bpjs_kesehatan", "0001"]
    assert provenance["birth_date"] == ["penduduk_depok", "1"]  # the civil registry first


def test_most_recent_and_most_complete_rules_and_provenance(records_factory):
    records = records_factory(
        [
            {"source": "penduduk_depok", "record_id": "1", "registry_id": "RT1", "phone_std": "628111",
             "updated_at": "2024-01-01 00:00:00", "name_std": "SITI"},
            {"source": "bpjs_kesehatan", "record_id": "0001", "registry_id": "RT1", "phone_std": "628222",
             "updated_at": "2026-01-01 00:00:00", "name_std": "SITI AMINAH"},
            {"source": "bpjs_ketenagakerjaan", "record_id": "9", "registry_id": "RT2", "name_std": "ASEP"},
        ]
    )  # fmt: skip
    rules = Survivorship(
        fields={
            "phone": FieldRule(column="phone_std", rule="most_recent"),
            "full_name": FieldRule(column="name_std", rule="most_complete"),
            "nik": FieldRule(column="nik_std"),
        }
    )
    persons = build_persons(records, PROGRAMMES, "run-1", rules).set_index("registry_id")
    assert persons.loc["RT1", "phone"] == "628222" and persons.loc["RT1", "full_name"] == "SITI AMINAH"
    assert json.loads(persons.loc["RT1", "provenance"]) == {
        "phone": ["bpjs_kesehatan", "0001"],
        "full_name": ["bpjs_kesehatan", "0001"],
    }
    assert persons.loc["RT2", "nik"] is None
    assert json.loads(persons.loc["RT2", "provenance"]) == {"full_name": ["bpjs_ketenagakerjaan", "9"]}


def test_survivorship_yaml_is_validated(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("fields:\n  nik: {column: nik_std, rule: most_recent}\n")
    assert load_survivorship(path).fields["nik"].rule == "most_recent"
    path.write_text("fields:\n  nik: {column: nik_std, rul: most_recent}\n")
    with pytest.raises(ValueError):
        load_survivorship(path)
