import sqlite3

import pytest

from connectors import SourceConfig, SourceSchemaError, SourceUnavailableError, read_source

pytestmark = pytest.mark.unit

COLUMNS = {
    "record_id": "id_penduduk",
    "nik": "nik",
    "full_name": "nama_lengkap",
    "sex": "jenis_kelamin",
    "rt": "rt",
}


@pytest.fixture
def city_db(tmp_path):
    path = tmp_path / "penduduk_depok.db"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE penduduk (id_penduduk INTEGER PRIMARY KEY, nik TEXT, nama_lengkap TEXT,"
            " jenis_kelamin INTEGER, rt TEXT, catatan TEXT)"
        )
        connection.executemany(
            "INSERT INTO penduduk VALUES (?, ?, ?, ?, ?, ?)",
            [
                (12, "3276015708900001", "SITI AMINAH", 2, "003", "x"),
                (7, None, "ASEP SUNANDAR", 1, "012", None),
            ],
        )
    return path


def _source(url: str, **kwargs) -> SourceConfig:
    options = {"table": "penduduk"} | kwargs
    return SourceConfig(
        name="penduduk_depok", programme="city", kind="sql", url=url, columns=COLUMNS, **options
    )


def test_reads_a_table_as_text_in_record_id_order(city_db):
    batch = read_source(_source(f"sqlite:///{city_db}"))
    records = batch.records
    assert list(records["record_id"]) == ["7", "12"]
    assert list(records["sex"]) == ["1", "2"]
    assert records.loc[0, "nik"] is None
    assert records.loc[1, "rt"] == "003"
    assert list(records["source_row"]) == [1, 2]
    assert batch.rows_read == 2


def test_reads_a_query(city_db):
    query = "SELECT id_penduduk, nik, nama_lengkap, jenis_kelamin, rt FROM penduduk WHERE jenis_kelamin = 2"
    batch = read_source(_source(f"sqlite:///{city_db}", table=None, query=query))
    assert list(batch.records["record_id"]) == ["12"]


def test_missing_table_and_missing_column_are_schema_errors(city_db, tmp_path):
    with pytest.raises(SourceSchemaError, match="table warga does not exist"):
        read_source(_source(f"sqlite:///{city_db}", table="warga"))
    with sqlite3.connect(city_db) as connection:
        connection.execute("ALTER TABLE penduduk DROP COLUMN rt")
    with pytest.raises(SourceSchemaError, match="missing required column.*rt"):
        read_source(_source(f"sqlite:///{city_db}"))


def test_missing_database_file_is_unavailable_and_not_created(tmp_path):
    absent = tmp_path / "penduduk_depok.db"
    with pytest.raises(SourceUnavailableError, match="does not exist"):
        read_source(_source(f"sqlite:///{absent}"))
    assert not absent.exists()


def test_unreachable_server_is_unavailable():
    url = "postgresql+psycopg://reader:pw@127.0.0.1:1/penduduk"
    with pytest.raises(SourceUnavailableError) as caught:
        read_source(_source(url))
    assert "pw" not in str(caught.value)
