import pandas as pd
import pytest
import sqlalchemy as sa

from store import ConservationError, export_links, export_quarantine, publish_run, read_links
from store.models import Person, Run

pytestmark = pytest.mark.integration


@pytest.fixture
def records(records_factory):
    return records_factory(
        [
            {"source": "penduduk_depok", "record_id": "1", "cluster": 0, "name_std": "SITI AMINAH",
             "nik_std": "3276015708900001", "kelurahan_std": "Beji"},
            {"source": "bpjs_kesehatan", "record_id": "0001", "cluster": 0, "name_std": "SITI AMINAH S.E.",
             "membership_status": "AKTIF", "phone_std": "6281234567890"},
            {"source": "bpjs_ketenagakerjaan", "record_id": "10000000001", "cluster": 1,
             "name_std": "ASEP", "membership_status": "NONAKTIF", "worker_category": "BPU",
             "occupation": "Pengemudi Ojek Online"},
        ]
    )  # fmt: skip


def test_publish_holds_every_record_with_its_person_and_reconciles(registry, records, outcome_factory):
    quarantine = pd.DataFrame(
        [{"source": "bpjs_kesehatan", "record_id": "0002", "source_row": 3, "reason": "full_name: empty"}]
    )
    summary = publish_run(registry, outcome_factory(records, quarantine))
    assert summary.read == {"bpjs_kesehatan": 2, "bpjs_ketenagakerjaan": 1, "penduduk_depok": 1}
    assert summary.linked == {"bpjs_kesehatan": 1, "bpjs_ketenagakerjaan": 1, "penduduk_depok": 1}
    assert summary.quarantined == {"bpjs_kesehatan": 1}
    assert summary.balanced and summary.persons == 2 and summary.new_persons == 2

    links = read_links(registry)
    by_record = dict(zip(links["record_id"], links["registry_id"], strict=True))
    assert by_record["1"] == by_record["0001"] != by_record["10000000001"]

    with registry.connect() as connection:
        persons = pd.read_sql(sa.select(Person), connection).set_index("registry_id")
        runs = pd.read_sql(sa.select(Run), connection)
    siti = persons.loc[by_record["1"]]
    assert siti["full_name"] == "SITI AMINAH"  # the civil registry wins survivorship
    assert siti["nik"] == "3276015708900001" and siti["phone"] == "6281234567890"
    assert bool(siti["in_city"]) and bool(siti["in_health"]) and bool(siti["health_active"])
    assert not bool(siti["in_employment"])
    asep = persons.loc[by_record["10000000001"]]
    assert bool(asep["in_employment"]) and not bool(asep["employment_active"])
    assert asep["worker_category"] == "BPU" and asep["occupation"] == "Pengemudi Ojek Online"
    assert list(runs["status"]) == ["succeeded"]


def test_unbalanced_counts_publish_nothing(registry, records, outcome_factory):
    publish_run(registry, outcome_factory(records))
    before = read_links(registry)
    outcome = outcome_factory(
        records.iloc[:2], run_id="run-2", rows_read={"bpjs_kesehatan": 1, "penduduk_depok": 1,
                                                         "bpjs_ketenagakerjaan": 1}
    )  # fmt: skip
    with pytest.raises(ConservationError, match="bpjs_ketenagakerjaan: read 1 != linked 0"):
        publish_run(registry, outcome)
    pd.testing.assert_frame_equal(read_links(registry), before)
    with registry.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(Run)).scalar() == 1


def test_ids_survive_the_next_run_and_new_people_get_new_ids(
    registry, records, records_factory, outcome_factory
):
    publish_run(registry, outcome_factory(records))
    first = read_links(registry).set_index("record_id")["registry_id"]
    newcomer = records_factory([{"source": "bpjs_kesehatan", "record_id": "0009", "cluster": 7}])
    second_night = pd.concat([records, newcomer], ignore_index=True)
    second_night["cluster"] = [3, 3, 4, 9]  # labels differ from run to run; ids must not
    summary = publish_run(registry, outcome_factory(second_night, run_id="run-2"))
    second = read_links(registry).set_index("record_id")["registry_id"]
    assert (second[first.index] == first).all()
    assert second["0009"] not in set(first)
    assert summary.new_persons == 1


def test_a_quarantine_whose_row_numbers_became_floats_is_written_as_integers(
    registry, records, outcome_factory
):
    # a missing row number next to whole ones makes pandas' column float (3.0, NaN): COPY on PostgreSQL
    # must not be handed "3.0" for an integer column
    quarantine = pd.DataFrame(
        {
            "source": ["bpjs_kesehatan", "bpjs_kesehatan"],
            "record_id": ["0002", "0003"],
            "source_row": [3.0, float("nan")],
            "reason": ["full_name: empty", "record_id: duplicate"],
        }
    )
    summary = publish_run(registry, outcome_factory(records, quarantine))
    assert summary.quarantined == {"bpjs_kesehatan": 2} and summary.balanced
    with registry.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT record_id, source_row FROM quarantine ORDER BY record_id")
        ).all()
    assert [tuple(row) for row in rows] == [("0002", 3), ("0003", None)]


def test_exports_list_every_record_and_every_quarantined_row(registry, records, outcome_factory, tmp_path):
    quarantine = pd.DataFrame(
        [{"source": "penduduk_depok", "record_id": "penduduk_depok@row9", "source_row": 9,
          "reason": "record_id: missing"}]
    )  # fmt: skip
    publish_run(registry, outcome_factory(records, quarantine))
    assert export_links(registry, tmp_path / "links.csv") == 3
    assert export_quarantine(registry, tmp_path / "quarantine.csv") == 1
    links = pd.read_csv(tmp_path / "links.csv", dtype=str)
    assert list(links.columns) == ["source", "record_id", "registry_id"]
    assert "0001" in set(links["record_id"])  # leading zeros kept
    exported = pd.read_csv(tmp_path / "quarantine.csv", dtype=str)
    assert list(exported.columns) == ["source", "record_id", "reason"]
    assert exported.iloc[0].to_dict() == {
        "source": "penduduk_depok",
        "record_id": "penduduk_depok@row9",
        "reason": "record_id: missing",
    }


def _pairs(registry) -> set[tuple[str, str, str]]:
    with registry.connect() as connection:
        rows = connection.execute(sa.text("SELECT record_id_l, record_id_r, decision FROM match_pairs")).all()
    return {(min(left, right), max(left, right), decision) for left, right, decision in rows}


def test_an_increment_replaces_the_pairs_it_compared_and_keeps_the_others(
    registry, records_factory, outcome_factory
):
    def pair(left, right, decision):
        return {"source_l": "bpjs_kesehatan", "record_id_l": left, "source_r": "bpjs_kesehatan",
                "record_id_r": right, "weight": 1.0, "probability": 0.6, "decision": decision}  # fmt: skip

    day1 = records_factory(
        [
            {"source": "bpjs_kesehatan", "record_id": record_id, "cluster": cluster, "full_name": name}
            for record_id, cluster, name in [("a1", 0, "ADI"), ("a2", 0, "ADI"), ("b1", 1, "BUDI"),
                                             ("c1", 2, "CITRA")]
        ]
    )  # fmt: skip
    pairs1 = pd.DataFrame(
        [pair("a1", "a2", "match"), pair("a2", "b1", "review"), pair("a1", "c1", "review"),
         pair("b1", "c1", "review")]
    )  # fmt: skip
    publish_run(registry, outcome_factory(day1, pairs=pairs1))
    person_a = read_links(registry).set_index("record_id")["registry_id"]["a1"]

    # night 2: a2 changed, so person A is decided again; B and C are not
    night = day1.iloc[:2].copy()
    night.loc[1, "full_name"] = "ADI SAPUTRA"
    outcome = outcome_factory(
        night,
        run_id="run-2",
        rows_read={"bpjs_kesehatan": 4},
        pairs=pd.DataFrame([pair("a1", "a2", "match")]),
        touched=frozenset({person_a}),
        vanished=pd.DataFrame(columns=["source", "record_id"]),
    )
    publish_run(registry, outcome)

    assert _pairs(registry) == {
        ("a1", "a2", "match"),  # compared again tonight
        ("a1", "c1", "review"),  # an unchanged record of A with a person not decided again: kept
        ("b1", "c1", "review"),  # neither decided again
    }  # a2 changed: its pair with b1 was of the old content
