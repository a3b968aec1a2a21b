import sqlite3

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from connectors import SourceConfig, SourceSchemaError, SourceUnavailableError, read_source
from connectors.sql_source import redacted_url

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


def test_a_query_binds_its_params_as_values_never_as_sql(city_db):
    query = "SELECT id_penduduk, nik, nama_lengkap, jenis_kelamin, rt FROM penduduk WHERE rt = :rt"
    batch = read_source(_source(f"sqlite:///{city_db}", table=None, query=query, params={"rt": "012"}))
    assert list(batch.records["record_id"]) == ["7"]
    injected = read_source(
        _source(f"sqlite:///{city_db}", table=None, query=query, params={"rt": "x' OR '1'='1"})
    )
    assert injected.records.empty
    with sqlite3.connect(city_db) as connection:
        assert connection.execute("SELECT count(*) FROM penduduk").fetchone() == (2,)


@pytest.mark.parametrize("table", ["penduduk; DROP TABLE penduduk", "penduduk p", "a.b.c", "[penduduk]"])
def test_table_names_that_are_not_plain_identifiers_never_reach_the_database(tmp_path, table):
    with pytest.raises(ValidationError, match="plain identifier"):
        _source(f"sqlite:///{tmp_path / 'absent.db'}", table=table)
    # even a config built without validation is refused before any connection (no file is looked for)
    source = _source(f"sqlite:///{tmp_path / 'absent.db'}").model_copy(update={"table": table})
    with pytest.raises(SourceSchemaError, match="'table' is not a plain"):
        read_source(source)


def test_a_failing_query_is_a_schema_error_on_one_line(city_db):
    query = "SELECT id_penduduk, nama_lengkap FROM warga"
    with pytest.raises(SourceSchemaError) as caught:
        read_source(_source(f"sqlite:///{city_db}", table=None, query=query))
    message = str(caught.value)
    assert "no such table: warga" in message and "\n" not in message
    assert "[SQL" not in message and "SELECT" not in message


def test_connection_errors_never_show_the_password():
    url = "postgresql+psycopg://reader:Hunter2%40Secret@127.0.0.1:1/penduduk?sslmode=disable"
    with pytest.raises(SourceUnavailableError) as caught:
        read_source(_source(url))
    message = str(caught.value)
    assert "cannot connect to postgresql+psycopg://reader:***@127.0.0.1:1/penduduk" in message
    assert "Hunter2" not in message and "\n" not in message


def test_an_unusable_url_is_a_schema_error_without_the_password(tmp_path):
    with pytest.raises(SourceSchemaError) as caught:
        read_source(_source("nosuchdialect://reader:Hunter2@host/db"))
    assert "Hunter2" not in str(caught.value) and "reader:***@host" in str(caught.value)


def test_redacted_url_hides_passwords_also_in_the_query_string():
    assert redacted_url("postgresql://r:pw@h/d?password=pw2&sslmode=require") == (
        "postgresql://r:***@h/d?password=***&sslmode=require"
    )
    assert redacted_url("sqlite:///data/penduduk_depok.db") == "sqlite:///data/penduduk_depok.db"
    assert redacted_url("not a url") == "<unparseable database URL>"


@pytest.mark.postgres
def test_postgres_schema_qualified_table_bound_query_and_missing_table(postgres_url):
    engine = sa.create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE SCHEMA dukcapil"))
        connection.execute(
            sa.text(
                "CREATE TABLE dukcapil.penduduk (id_penduduk INTEGER PRIMARY KEY, nik TEXT,"
                " nama_lengkap TEXT, jenis_kelamin INTEGER, rt TEXT)"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO dukcapil.penduduk VALUES"
                " (12, NULL, 'SITI AMINAH', 2, '003'), (7, NULL, 'ASEP', 1, '012')"
            )
        )
    engine.dispose()
    batch = read_source(_source(postgres_url, table="dukcapil.penduduk"))
    assert list(batch.records["record_id"]) == ["7", "12"]
    query = "SELECT * FROM dukcapil.penduduk WHERE jenis_kelamin = :sex"
    assert list(
        read_source(_source(postgres_url, table=None, query=query, params={"sex": 2})).records["record_id"]
    ) == ["12"]
    with pytest.raises(SourceSchemaError, match="table dukcapil.warga does not exist"):
        read_source(_source(postgres_url, table="dukcapil.warga"))
