"""Reading and writing a drop: the three agency files, ``truth.csv`` and ``sources.yaml``.

Columns that start with ``_`` are the generator's diagnostics and are never written. CSVs are UTF-8
with ``\\n`` line ends; the civil registry is a fresh SQLite file with the documented column types.
Existing files are overwritten.
"""

from __future__ import annotations

import sqlite3
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from synthetic.civil import CITY_COLUMNS, CITY_TYPES
from synthetic.employment import EMPLOYMENT_COLUMNS
from synthetic.health import HEALTH_COLUMNS

__all__ = [
    "FILES",
    "DELIMITERS",
    "COLUMNS",
    "write_source",
    "write_truth",
    "write_sources_yaml",
    "read_source",
    "read_truth",
    "person_label",
    "RECORD_IDS",
]

#: File name of each source in a drop.
FILES = {
    "bpjs_kesehatan": "bpjs_kesehatan.csv",
    "bpjs_ketenagakerjaan": "bpjs_ketenagakerjaan.csv",
    "penduduk_depok": "penduduk_depok.db",
}
#: Field delimiter of each CSV source.
DELIMITERS = {"bpjs_kesehatan": ",", "bpjs_ketenagakerjaan": ";"}
#: Column order of each source.
COLUMNS = {
    "bpjs_kesehatan": HEALTH_COLUMNS,
    "bpjs_ketenagakerjaan": EMPLOYMENT_COLUMNS,
    "penduduk_depok": CITY_COLUMNS,
}
#: The record-id column of each source.
RECORD_IDS = {"bpjs_kesehatan": "no_kartu", "bpjs_ketenagakerjaan": "kpj", "penduduk_depok": "id_penduduk"}
TRUTH_FILE = "truth.csv"
SOURCES_FILE = "sources.yaml"


def person_label(person_id: np.ndarray) -> np.ndarray:
    """The person id written in ``truth.csv`` (``P00000001``) for integer person numbers."""
    return np.array([f"P{x:08d}" for x in np.asarray(person_id).tolist()], dtype=object)


def write_source(source: str, frame: pd.DataFrame, out_dir: Path) -> Path:
    """Write one source's records (diagnostic columns dropped) and return the file's path."""
    path = Path(out_dir) / FILES[source]
    columns = list(COLUMNS[source])
    if source == "penduduk_depok":
        path.unlink(missing_ok=True)
        with sqlite3.connect(path) as con:
            con.execute("PRAGMA journal_mode=OFF")
            con.execute("PRAGMA synchronous=OFF")
            body = ", ".join(f"{name} {kind}" for name, kind in CITY_TYPES)
            con.execute(f"CREATE TABLE penduduk ({body})")
            ordered = frame.sort_values("id_penduduk", kind="stable")
            rows = zip(*(ordered[c].tolist() for c in columns), strict=True)
            con.executemany(f"INSERT INTO penduduk VALUES ({', '.join('?' * len(columns))})", rows)
        con.close()
    else:
        frame[columns].to_csv(
            path, sep=DELIMITERS[source], index=False, lineterminator="\n", encoding="utf-8"
        )
    return path


def write_truth(parts: dict[str, tuple[np.ndarray, np.ndarray]], out_dir: Path) -> Path:
    """Write ``truth.csv`` from ``{source: (record_ids, person_labels)}`` in file order."""
    path = Path(out_dir) / TRUTH_FILE
    frames = [
        pd.DataFrame({"source": source, "record_id": np.asarray(ids).astype(str), "person_id": persons})
        for source, (ids, persons) in parts.items()
    ]
    pd.concat(frames, ignore_index=True).to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
    return path


def write_sources_yaml(out_dir: Path) -> Path:
    """Copy the package's ``sources.yaml`` (the mapping the pipeline reads) into the drop."""
    path = Path(out_dir) / SOURCES_FILE
    path.write_bytes(resources.files("synthetic").joinpath(SOURCES_FILE).read_bytes())
    return path


def read_source(source: str, drop_dir: Path, compact: bool = False) -> pd.DataFrame:
    """One source of a drop exactly as written: every CSV cell as text, city rows in id order.

    ``compact`` keeps text in Arrow-backed strings, a fraction of the memory of Python strings.
    """
    path = Path(drop_dir) / FILES[source]
    text = "string[pyarrow]" if compact else str
    if source == "penduduk_depok":
        with sqlite3.connect(path) as con:
            chunks = pd.read_sql_query("SELECT * FROM penduduk ORDER BY id_penduduk", con, chunksize=250_000)
            frames = []
            for chunk in chunks:
                columns = [c for c in chunk.columns if chunk[c].dtype == object]
                frames.append(chunk.astype(dict.fromkeys(columns, text)) if compact else chunk)
        con.close()
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(COLUMNS[source]))
    return pd.read_csv(path, sep=DELIMITERS[source], dtype=text, keep_default_na=False, na_filter=False)


def read_truth(drop_dir: Path, compact: bool = False) -> pd.DataFrame:
    """``truth.csv`` of a drop, as text."""
    text = "string[pyarrow]" if compact else str
    return pd.read_csv(Path(drop_dir) / TRUTH_FILE, dtype=text, keep_default_na=False, na_filter=False)
