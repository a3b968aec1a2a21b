import pandas as pd
import pytest

from reporting.coverage import GAP_COLUMNS, coverage_gap, gap_by_area, gap_by_kecamatan, gap_totals, in_gap

pytestmark = pytest.mark.unit


def _persons():
    rows = [
        # id, occupation, category, kecamatan, in_employment, employment_active
        ("R1", "Pengemudi Ojek Online", "BPU", "Beji", True, False),  # informal, lapsed
        ("R2", "WIRASWASTA", None, "Beji", False, False),  # informal (city label), never registered
        ("R3", "Kurir Paket", "BPU", "Beji", True, True),  # covered: not in the gap
        ("R4", "KARYAWAN SWASTA", None, "Cimanggis", False, False),  # formal worker, never registered
        ("R5", "PELAJAR/MAHASISWA", None, "Beji", False, False),  # not working
        ("R6", None, None, "Beji", False, False),  # occupation unknown
        ("R7", "Ojol", "BPU", None, False, False),  # informal, kecamatan unknown
        ("R8", "SOPIR", None, "Beji", False, False),  # informal
        ("R9", "PENSIUNAN", None, "Cimanggis", False, False),  # not working
    ]
    frame = pd.DataFrame(
        rows,
        columns=["registry_id", "occupation", "worker_category", "kecamatan", "in_employment",
                 "employment_active"],
    )  # fmt: skip
    return frame.assign(full_name="X", in_health=True, in_city=True, health_active=True)


def test_gap_holds_working_people_without_active_employment_insurance():
    gap = coverage_gap(_persons())
    assert set(gap["registry_id"]) == {"R1", "R2", "R4", "R7", "R8"}
    informal = dict(zip(gap["registry_id"], gap["informal"], strict=True))
    assert informal == {"R1": True, "R2": True, "R4": False, "R7": True, "R8": True}
    status = dict(zip(gap["registry_id"], gap["employment_status"], strict=True))
    assert status["R1"] == "lapsed" and status["R2"] == "never registered"
    # informal workers come first
    assert gap["informal"].tolist() == [True, True, True, True, False]


def test_gap_counts_by_kecamatan_and_occupation():
    counts = gap_by_area(coverage_gap(_persons()))
    assert int(counts["workers"].sum()) == 5
    assert int(counts["informal"].sum()) == 4
    assert int(counts["lapsed"].sum()) == 1
    beji = counts[counts["kecamatan"] == "Beji"]
    assert set(beji["occupation"]) == {"Pengemudi Ojek Online", "WIRASWASTA", "SOPIR"}
    assert counts[counts["kecamatan"] == "(unknown)"]["workers"].tolist() == [1]
    assert gap_by_area(coverage_gap(_persons().iloc[[2, 4]])).empty


def test_kinds_of_person_counted_give_the_counts_of_their_persons():
    persons = pd.concat([_persons()] * 3, ignore_index=True)
    persons["registry_id"] = [f"R{n}" for n in range(len(persons))]
    kind = [name for name in GAP_COLUMNS if name != "registry_id"]
    counted = persons.groupby(kind, dropna=False).size().rename("persons").reset_index()
    assert len(counted) < len(persons)
    gap, kinds = coverage_gap(persons), in_gap(counted)
    pd.testing.assert_frame_equal(gap_by_area(kinds), gap_by_area(gap))
    pd.testing.assert_frame_equal(gap_by_kecamatan(kinds), gap_by_kecamatan(gap))
    assert gap_totals(kinds) == gap_totals(gap) == {"workers": 15, "informal": 12, "lapsed": 3}
