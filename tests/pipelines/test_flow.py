"""Smoke tests of the ``sync`` flow under the real Prefect test harness."""

import shutil
import sqlite3

import pandas as pd
import pytest

from connectors import SourceSchemaError
from pipelines.flow import sync
from store import open_registry, read_links, read_quarantine

pytestmark = pytest.mark.integration


def _source_records(drop) -> pd.DataFrame:
    """(source, record_id) of every record in the drop, read straight from the files."""
    health = pd.read_csv(drop / "bpjs_kesehatan.csv", dtype=str, keep_default_na=False)
    employment = pd.read_csv(drop / "bpjs_ketenagakerjaan.csv", sep=";", dtype=str, keep_default_na=False)
    with sqlite3.connect(drop / "penduduk_depok.db") as connection:
        city = pd.read_sql("SELECT CAST(id_penduduk AS TEXT) AS record_id FROM penduduk", connection)
    return pd.concat(
        [
            pd.DataFrame({"source": "bpjs_kesehatan", "record_id": health["no_kartu"]}),
            pd.DataFrame({"source": "bpjs_ketenagakerjaan", "record_id": employment["kpj"]}),
            city.assign(source="penduduk_depok")[["source", "record_id"]],
        ],
        ignore_index=True,
    )


def test_sync_links_every_record_or_quarantines_it(prefect_server, small_drop, tmp_path):
    db = f"sqlite:///{tmp_path / 'registry.db'}"
    result = sync(config=str(small_drop / "sources.yaml"), db=db, report_dir=str(tmp_path / "reports"))

    expected = _source_records(small_drop)
    read = result["read"]
    assert sum(read.values()) == len(expected)
    for source in read:
        assert read[source] == result["linked"].get(source, 0) + result["quarantined"].get(source, 0)
    assert 0 < result["persons"] < len(expected)

    engine = open_registry(db, create=False)
    links, quarantine = read_links(engine), read_quarantine(engine)
    engine.dispose()
    held = pd.concat([links[["source", "record_id"]], quarantine[["source", "record_id"]]])
    assert sorted(map(tuple, held.to_numpy())) == sorted(map(tuple, expected.to_numpy()))
    assert (tmp_path / "reports" / f"run-{result['run_id']}.html").is_file()


def test_running_the_same_drop_again_keeps_every_registry_id(prefect_server, small_drop, tmp_path):
    db = f"sqlite:///{tmp_path / 'registry.db'}"
    arguments = {"config": str(small_drop / "sources.yaml"), "db": db, "report_dir": str(tmp_path)}
    sync(**arguments)
    engine = open_registry(db, create=False)
    before = read_links(engine)
    second = sync(**arguments)
    after = read_links(engine)
    engine.dispose()
    pd.testing.assert_frame_equal(before, after)
    assert second["new_persons"] == 0


def test_a_broken_source_fails_the_run_and_leaves_the_registry_as_it_was(
    prefect_server, small_drop, tmp_path
):
    db = f"sqlite:///{tmp_path / 'registry.db'}"
    sync(config=str(small_drop / "sources.yaml"), db=db, report_dir=str(tmp_path))
    engine = open_registry(db, create=False)
    before = read_links(engine)

    broken = tmp_path / "broken"
    shutil.copytree(small_drop, broken)
    health = pd.read_csv(broken / "bpjs_kesehatan.csv", dtype=str, keep_default_na=False)
    health.drop(columns=["nama_peserta"]).to_csv(broken / "bpjs_kesehatan.csv", index=False)
    with pytest.raises(SourceSchemaError, match="bpjs_kesehatan.csv.*nama_peserta"):
        sync(config=str(broken / "sources.yaml"), db=db, report_dir=str(tmp_path))
    pd.testing.assert_frame_equal(read_links(engine), before)
    engine.dispose()


def test_bad_rows_reach_the_quarantine_with_reasons_and_counts_reconcile(
    prefect_server, small_drop, tmp_path
):
    drop = tmp_path / "drop"
    shutil.copytree(small_drop, drop)
    health_path = drop / "bpjs_kesehatan.csv"
    health = pd.read_csv(health_path, dtype=str, keep_default_na=False)
    health.loc[0, "nama_peserta"] = ""
    health.loc[1, "no_kartu"] = health.loc[2, "no_kartu"]
    health.to_csv(health_path, index=False)
    with health_path.open("a", encoding="utf-8") as handle:
        handle.write("0000000000999,too,few,fields\n")
    db = f"sqlite:///{tmp_path / 'registry.db'}"

    result = sync(config=str(drop / "sources.yaml"), db=db, report_dir=str(tmp_path))

    assert result["read"]["bpjs_kesehatan"] == len(health) + 1
    assert result["quarantined"]["bpjs_kesehatan"] == 3
    assert result["linked"]["bpjs_kesehatan"] == len(health) - 2
    engine = open_registry(db, create=False)
    quarantine = read_quarantine(engine).set_index("record_id")["reason"]
    engine.dispose()
    assert (
        quarantine[health.loc[0, "no_kartu"]] == "full_name: empty"
        or "full_name" in quarantine[health.loc[0, "no_kartu"]]
    )
    assert quarantine[health.loc[2, "no_kartu"]].startswith("record_id: duplicate of row")
    assert quarantine[f"bpjs_kesehatan.csv@line{len(health) + 2}"].startswith(
        "malformed row: row has 4 fields"
    )
