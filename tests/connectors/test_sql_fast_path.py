"""The fast SQL path (rows fetched once, text made column-wise) gives exactly what ``pandas.read_sql`` gave.

``read_sql_source(source)`` and ``read_sql_source(source, fast=False)`` (through ``pandas.read_sql`` and
its typing, as before the fast path) must hand back identical records, whatever the column types: text
with whitespace, integers with and without NULLs (also past 2**53), reals, mixed types, blobs, dates.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

import pandas as pd
import pytest
import sqlalchemy as sa

from connectors import SourceConfig, SourceSchemaError, load_sources_config
from connectors.sql_source import _rows, read_sql_source

pytestmark = pytest.mark.unit

COLUMNS = ("record_id", "full_name", "nik", "kk_number", "birth_place", "birth_date", "sex", "address")
COLUMNS += ("rt", "rw", "kelurahan", "kecamatan", "occupation", "marital_status", "updated_at")


def assert_same_as_read_sql(source: SourceConfig) -> None:
    try:
        fast = read_sql_source(source)
    except SourceSchemaError as error:
        with pytest.raises(SourceSchemaError) as reference_error:
            read_sql_source(source, fast=False)
        assert str(reference_error.value) == str(error)
        return
    reference = read_sql_source(source, fast=False)
    pd.testing.assert_frame_equal(fast.records, reference.records, check_exact=True)
    pd.testing.assert_frame_equal(fast.rejected, reference.rejected, check_exact=True)
    assert fast.notes == reference.notes
    for column in fast.records.columns.drop("source_row"):
        assert {type(value) for value in fast.records[column]} <= {str, type(None)}


def _source(url: str, names: list[str], **options) -> SourceConfig:
    """Canonical fields mapped, in order, onto ``names``."""
    return SourceConfig(
        name="penduduk_depok",
        programme="city",
        kind="sql",
        url=url,
        columns=dict(zip(COLUMNS, names, strict=False)),
        **({"table": "penduduk"} | options),
    )


#: One column per kind of value a driver hands back; SQLite keeps each value's own type.
VALUES = {
    "id": [5, 3, 9, 1, 7, 2],
    "text": ["  SITI AMINAH ", "", None, "\u3000ASEP\u00a0", "BUDI", "\t"],
    "text_no_nulls": ["A", " B", "C ", "", "漢字", "E"],
    "ints": [1, 2, 3, 4, 5, 6],
    "ints_nulls": [1, None, 3, None, 2**53, -(2**53)],
    "big_ints": [2**62, -(2**62), 3, 4, 2**53 + 1, 0],
    "big_ints_nulls": [2**53 + 1, None, 3, 4, 5, 6],
    "reals": [1.0, 2.5, None, -0.0, 1e20, 3.0],
    "whole_reals": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
    "mixed": ["003", 3, None, 2.5, "X", 7],
    "int_and_text": [1, "2", 3, "4", 5, "6"],
    "blobs": [b"\x00\x01", None, b"abc", b"", b"x", b" y "],
    "text_and_blob": ["A", b"B", "C", None, "E", "F"],
    "nulls": [None] * 6,
    "dates": ["2024-01-02", "2023-12-31", None, "1990-08-17", "2000-02-29", "1985-08-17"],
    "stamps": ["2024-01-02 03:04:05", None, "2024-01-02 03:04:05.123456", "2020-01-01 00:00:00", None, None],
}
DECLARED = {
    "id": "INTEGER PRIMARY KEY",
    "dates": "DATE",
    "stamps": "DATETIME",
    "reals": "REAL",
    "whole_reals": "NUMERIC",
    "blobs": "BLOB",
}


@pytest.fixture
def typed_db(tmp_path):
    path = tmp_path / "penduduk_depok.db"
    names = list(VALUES)
    with sqlite3.connect(path) as connection:
        declared = ", ".join(f"{name} {DECLARED.get(name, '')}" for name in names)
        connection.execute(f"CREATE TABLE penduduk ({declared})")
        rows = list(zip(*(VALUES[name] for name in names), strict=True))
        connection.executemany(f"INSERT INTO penduduk VALUES ({', '.join('?' * len(names))})", rows)
        connection.execute(f"CREATE TABLE kosong ({declared})")
    return path


@pytest.mark.parametrize("column", [name for name in VALUES if name != "id"])
def test_every_kind_of_column_reads_as_read_sql_reads_it(typed_db, column):
    url = f"sqlite:///{typed_db}"
    assert_same_as_read_sql(_source(url, ["id", column]))
    assert_same_as_read_sql(_source(url, [column, "id"]))  # as the record id: ordered by it
    query = f"SELECT id, {column} FROM penduduk ORDER BY id"
    assert_same_as_read_sql(_source(url, ["id", column], table=None, query=query))


def test_all_columns_at_once_and_an_empty_table(typed_db):
    url = f"sqlite:///{typed_db}"
    names = [name for name in VALUES if name not in ("dates", "stamps")]
    assert_same_as_read_sql(_source(url, names))
    assert_same_as_read_sql(_source(url, names, table="kosong"))
    query = "SELECT * FROM penduduk WHERE id > :low"
    assert_same_as_read_sql(_source(url, names, table=None, query=query, params={"low": 100}))


def test_a_query_naming_a_column_twice(typed_db):
    url = f"sqlite:///{typed_db}"
    query = "SELECT id, text, text, ints FROM penduduk"
    source = _source(url, ["id", "text", "ints"], table=None, query=query)
    try:
        fast = read_sql_source(source)
    except Exception as error:  # whatever read_sql made of it, the fast path makes the same
        with pytest.raises(type(error)):
            read_sql_source(source, fast=False)
        return
    reference = read_sql_source(source, fast=False)
    pd.testing.assert_frame_equal(fast.records, reference.records, check_exact=True)


def test_text_keeps_the_drivers_strings_and_strips_like_arrow(typed_db):
    batch = read_sql_source(_source(f"sqlite:///{typed_db}", ["id", "text", "big_ints_nulls", "mixed"]))
    records = batch.records
    assert records["record_id"].tolist() == ["1", "2", "3", "5", "7", "9"]
    assert records["full_name"].tolist() == ["ASEP", None, None, "SITI AMINAH", "BUDI", None]
    assert records["nik"].tolist() == ["4", "6", None, "9007199254740992", "5", "3"]  # via floats
    assert records["kk_number"].tolist() == ["2.5", "7", "3", "003", "X", None]


def test_the_generated_drop(tmp_path):
    from synthetic import generate_drop

    generate_drop(persons=800, out_dir=tmp_path, seed=2)
    (source,) = (
        source for source in load_sources_config(tmp_path / "sources.yaml").sources if source.kind == "sql"
    )
    assert_same_as_read_sql(source)
    assert len(read_sql_source(source).records) > 500


@pytest.mark.postgres
def test_postgres_types(postgres_url):
    engine = sa.create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "CREATE TABLE penduduk (id BIGINT PRIMARY KEY, nama TEXT, tgl DATE, ts TIMESTAMP,"
                " tstz TIMESTAMPTZ, num NUMERIC(10, 2), flag BOOLEAN, small SMALLINT, big BIGINT,"
                " real DOUBLE PRECISION, kode VARCHAR(3), tags TEXT[], raw BYTEA, uid UUID)"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO penduduk VALUES"
                " (2, ' SITI ', '1990-08-17', '2024-01-02 03:04:05', '2024-01-02 03:04:05+07', 12.50, true,"
                "  3, 9007199254740993, 2.5, '003', ARRAY['a','b'], '\\x0001',"
                "  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),"
                " (1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),"
                " (3, '', '2000-02-29', '2020-01-01 00:00:00', NULL, 7, false, 4, 5, 1.0, 'X', '{}', '',"
                "  NULL)"
            )
        )
    engine.dispose()
    names = [
        "id",
        "nama",
        "tgl",
        "ts",
        "tstz",
        "num",
        "flag",
        "small",
        "big",
        "real",
        "kode",
        "tags",
        "raw",
        "uid",
    ]
    assert_same_as_read_sql(_source(postgres_url, names))
    query = "SELECT * FROM penduduk WHERE flag OR flag IS NULL ORDER BY id"
    assert_same_as_read_sql(_source(postgres_url, names, table=None, query=query))


@pytest.mark.parametrize("value", [dt.date(2024, 1, 2), dt.datetime(2024, 1, 2, 3, 4), 1.5, True, "x"])
def test_bound_parameters_of_other_types(typed_db, value):
    query = "SELECT id, text, ints FROM penduduk WHERE :value IS NOT NULL"
    url = f"sqlite:///{typed_db}"
    assert_same_as_read_sql(
        _source(url, ["id", "text", "ints"], table=None, query=query, params={"value": value})
    )


def test_the_drivers_tuples_are_taken_where_sqlalchemy_would_not_change_a_value(typed_db):
    engine = sa.create_engine(f"sqlite:///{typed_db}")
    try:
        with engine.connect() as connection:
            plain = connection.execute(sa.text("SELECT id, text, reals FROM penduduk ORDER BY id"))
            assert [type(row) for row in _rows(plain)] == [tuple] * 6
            # a DATE column comes back from SQLAlchemy as dates (a result processor): its rows are kept
            table = sa.Table("penduduk", sa.MetaData(), autoload_with=connection)
            typed = connection.execute(sa.select(table.c.id, table.c.dates).order_by(table.c.id))
            rows = _rows(typed)
            assert {type(row) for row in rows} == {sa.Row}
            assert dt.date(2024, 1, 2) in [row.dates for row in rows]
    finally:
        engine.dispose()
