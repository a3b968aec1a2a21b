"""Equal text values of a canonical frame share one ``str`` object (memory), values unchanged."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from connectors import SourceConfig
from connectors.batch import stripped_text
from connectors.csv_source import read_csv_source
from connectors.sql_source import read_sql_source

pytestmark = pytest.mark.unit

KELURAHAN = ["BEJI", " BEJI TIMUR ", "KEMIRI MUKA", "", "PONDOK CINA"]
STATUS = ["AKTIF", "NON AKTIF", "AKTIF "]


def _objects(column: pd.Series) -> int:
    return len({id(value) for value in column})


def _one_object_per_value(column: pd.Series) -> None:
    values = column.to_numpy(dtype=object)
    assert {type(value) for value in values} <= {str, type(None)}
    assert _objects(column) == column.nunique() + int(any(value is None for value in values))


def _expected(raw: list[str]) -> list[str | None]:
    return [value.strip() or None for value in raw]


def _rows(count: int) -> tuple[list[str], list[str], list[str]]:
    ids = [f"{n:013d}" for n in range(count)]
    kelurahan = [KELURAHAN[n % len(KELURAHAN)] for n in range(count)]
    status = [STATUS[(n * 7) % len(STATUS)] for n in range(count)]
    return ids, kelurahan, status


@pytest.mark.parametrize("count", [40, 20_000])  # all shared below the sample size; sampled above it
@pytest.mark.parametrize("fast", [True, False])
def test_a_csv_sources_repeated_values_are_one_object_each(tmp_path: Path, count: int, fast: bool):
    ids, kelurahan, status = _rows(count)
    path = tmp_path / "bpjs.csv"
    lines = ["no_kartu,nama,kelurahan,status"]
    lines += [f"{n},NAMA {n},{kel},{st}" for n, kel, st in zip(ids, kelurahan, status, strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    source = SourceConfig(
        name="bpjs_kesehatan",
        programme="health",
        kind="csv",
        path=path,
        delimiter=",",
        columns={
            "record_id": "no_kartu",
            "full_name": "nama",
            "kelurahan": "kelurahan",
            "membership_status": "status",
        },
    )
    records = read_csv_source(source, fast=fast).records
    assert records["kelurahan"].tolist() == _expected(kelurahan)
    assert records["membership_status"].tolist() == _expected(status)
    assert records["record_id"].tolist() == ids
    assert records["full_name"].tolist() == [f"NAMA {n}" for n in ids]
    for column in ("source", "kelurahan", "membership_status", "sex"):
        _one_object_per_value(records[column])
    assert _objects(records["source"]) == 1
    assert records["kelurahan"].dtype == object


def test_a_sql_sources_repeated_values_are_one_object_each(tmp_path: Path):
    ids, kelurahan, status = _rows(12_000)
    path = tmp_path / "penduduk.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE penduduk (id TEXT, nama TEXT, kelurahan TEXT, status TEXT)")
        connection.executemany(
            "INSERT INTO penduduk VALUES (?, ?, ?, ?)",
            [(n, f"NAMA {n}", kel, st) for n, kel, st in zip(ids, kelurahan, status, strict=True)],
        )
    source = SourceConfig(
        name="penduduk_depok",
        programme="city",
        kind="sql",
        url=f"sqlite:///{path}",
        table="penduduk",
        columns={
            "record_id": "id",
            "full_name": "nama",
            "kelurahan": "kelurahan",
            "marital_status": "status",
        },
    )
    fast, reference = read_sql_source(source), read_sql_source(source, fast=False)
    pd.testing.assert_frame_equal(fast.records, reference.records, check_exact=True)
    for records in (fast.records, reference.records):
        assert records["kelurahan"].tolist() == _expected(kelurahan)
        for column in ("source", "kelurahan", "marital_status"):
            _one_object_per_value(records[column])


def test_stripped_text_values_are_unchanged():
    raw = [" A ", "A", "", None, "  ", "B\u00a0", "\tC"] * 3000
    stripped = stripped_text(pa.array(raw, type=pa.string()))
    assert stripped.tolist() == [None if value is None else value.strip() or None for value in raw]
    assert _objects(pd.Series(stripped)) == 3 + 1
