"""Shared small drops for the generator tests (generated once per test session)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from synthetic import generate_drop, generate_next_day

PERSONS = 2000
SEED = 7


def read_drop(folder: Path) -> dict[str, pd.DataFrame]:
    """The three sources and the truth of a drop, every CSV cell as text."""
    with sqlite3.connect(folder / "penduduk_depok.db") as con:
        city = pd.read_sql_query("SELECT * FROM penduduk ORDER BY id_penduduk", con)
    con.close()
    return {
        "bpjs_kesehatan": pd.read_csv(folder / "bpjs_kesehatan.csv", dtype=str, keep_default_na=False),
        "bpjs_ketenagakerjaan": pd.read_csv(
            folder / "bpjs_ketenagakerjaan.csv", sep=";", dtype=str, keep_default_na=False
        ),
        "penduduk_depok": city,
        "truth": pd.read_csv(folder / "truth.csv", dtype=str, keep_default_na=False),
    }


@pytest.fixture(scope="session")
def drop_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("drop")
    generate_drop(PERSONS, folder, seed=SEED)
    return folder


@pytest.fixture(scope="session")
def drop(drop_dir) -> dict[str, pd.DataFrame]:
    return read_drop(drop_dir)


@pytest.fixture(scope="session")
def next_dir(drop_dir, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("next")
    generate_next_day(drop_dir, folder, seed=SEED)
    return folder


@pytest.fixture(scope="session")
def next_drop(next_dir) -> dict[str, pd.DataFrame]:
    return read_drop(next_dir)
