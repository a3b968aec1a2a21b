import json

import numpy as np
import pandas as pd
import pytest

from store.golden import _lexsort, build_persons
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


def test_blank_values_are_missing_and_values_that_are_not_text_count(records_factory):
    records = records_factory(
        [
            {"source": "penduduk_depok", "record_id": "1", "registry_id": "RT1", "name_std": " \u3000\t",
             "rt_std": 7},
            {"source": "bpjs_kesehatan", "record_id": "2", "registry_id": "RT1", "name_std": "SITI",
             "rt_std": ""},
            {"source": "bpjs_kesehatan", "record_id": "3", "registry_id": "RT2", "name_std": "\n"},
        ]
    )  # fmt: skip
    persons = build_persons(records, PROGRAMMES, "run-1").set_index("registry_id")
    assert persons.loc["RT1", "full_name"] == "SITI" and persons.loc["RT1", "rt"] == 7
    assert persons.loc["RT2", "full_name"] is None
    assert json.loads(persons.loc["RT2", "provenance"]) == {}


def test_ties_go_to_the_record_id_in_string_order(records_factory):
    records = records_factory(
        [
            {"source": "bpjs_kesehatan", "record_id": record_id, "registry_id": registry_id,
             "name_std": f"NAMA {record_id}", "phone_std": f"62{number}", "updated_at": "2026-01-01"}
            for number, (registry_id, record_id) in enumerate(
                [("RT1", "9"), ("RT1", "10"), ("RT2", "é"), ("RT2", "z"),
                 ("RT3", "b\U0001f600"), ("RT3", "b\uffff")]
            )
        ]
    )  # fmt: skip
    persons = build_persons(records, PROGRAMMES, "run-1").set_index("registry_id")
    assert list(persons["full_name"]) == ["NAMA 10", "NAMA z", "NAMA b\uffff"]
    assert list(persons["phone"]) == ["621", "623", "625"]


def test_registry_ids_given_apart_from_the_records_give_the_same_rows(records_factory):
    records = records_factory(
        [
            {"source": "penduduk_depok", "record_id": "1", "name_std": "SITI",
             "membership_status": " aktif "},
            {"source": "bpjs_kesehatan", "record_id": "2", "name_std": "ASEP",
             "membership_status": "AKTIF"},
            {"source": "bpjs_ketenagakerjaan", "record_id": "3", "name_std": "SITI A"},
        ]
    )  # fmt: skip
    registry_ids = np.asarray(["RT2", "RT1", "RT2"], dtype=object)
    given = build_persons(records, PROGRAMMES, "run-1", registry_ids=registry_ids)
    pd.testing.assert_frame_equal(
        given, build_persons(records.assign(registry_id=registry_ids), PROGRAMMES, "run-1")
    )
    assert list(given["registry_id"]) == ["RT1", "RT2"] and list(given["record_count"]) == [1, 2]
    assert list(given["health_active"]) == [True, False] and list(given["in_employment"]) == [False, True]


def test_the_nik_chosen_is_the_one_a_sort_of_every_record_chooses():
    rng = np.random.default_rng(3)

    def identity() -> tuple[str | None, str, str | None]:
        """A NIK, mostly encoding the birth date and sex it comes with."""
        birth_date = f"19{rng.integers(60, 99)}-0{rng.integers(1, 9)}-1{rng.integers(0, 9)}"
        sex = rng.choice(["L", "P", None])
        day = int(birth_date[8:10]) + (40 if (sex == "P") == (rng.random() < 0.8) else 0)
        nik = f"327601{day:02d}{birth_date[5:7]}{birth_date[2:4]}{rng.integers(0, 3):04d}"
        return (None if rng.random() < 0.1 else nik), birth_date, sex

    people = [identity() for _ in range(150)]
    rows = []
    for number in range(500):
        person = int(rng.integers(0, len(people)))
        # most records of a person alike, some not: both ways of deciding are taken
        nik, birth_date, sex = people[person] if rng.random() < 0.6 else identity()
        rows.append(
            {"source": rng.choice(list(PROGRAMMES)), "record_id": f"{number:05d}",
             "registry_id": f"RT{person:03d}", "nik_std": nik, "birth_date_std": birth_date, "sex_std": sex,
             "updated_at": None, "membership_status": None}
        )  # fmt: skip
    records = pd.DataFrame(rows)
    rules = Survivorship(fields={"nik": FieldRule(column="nik_std", consistent_nik=True)})
    persons = build_persons(records, PROGRAMMES, "run-1", rules).set_index("registry_id")
    # the rule spelt out: every record with a NIK, agreeing ones first, then the programme, source, id
    candidates = records[records["nik_std"].notna()]
    candidates = candidates.assign(
        disagrees=~nik_agrees(candidates["nik_std"], candidates["birth_date_std"], candidates["sex_std"]),
        priority=candidates["source"].map(PROGRAMMES).map({"city": 0, "health": 1, "employment": 2}),
    )
    assert candidates["disagrees"].any() and not candidates["disagrees"].all()
    expected = candidates.sort_values(["registry_id", "disagrees", "priority", "source", "record_id"])
    expected = expected.drop_duplicates("registry_id").set_index("registry_id")
    assert persons["nik"].dropna().to_dict() == expected["nik_std"].to_dict()
    provenance = persons["provenance"].map(json.loads)
    assert {registry_id: tuple(chosen["nik"]) for registry_id, chosen in provenance.items() if chosen} == {
        registry_id: (row.source, row.record_id) for registry_id, row in expected.iterrows()
    }


@pytest.mark.parametrize("widest", [3, 2**40])  # one combined key, or too wide for one: numpy's lexsort
def test_records_sort_as_numpys_lexsort(widest):
    rng = np.random.default_rng(widest % 97)
    keys = [
        rng.integers(-5, 5, 500),
        rng.integers(0, widest, 500),
        rng.integers(-3, 3, 500),
        rng.integers(0, 40, 500),
    ]
    assert list(_lexsort(keys)) == list(np.lexsort(keys))
