"""A full rebuild writes records from the outcome's columns and golden rows a chunk of whole persons at a
time: the registry must be exactly the one a publish in one piece leaves, on SQLite and PostgreSQL."""

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

import store.publish as publish_module
from store import open_registry, publish_run
from store.golden import build_persons, build_persons_in_chunks
from store.models import (
    EntityHistory,
    MatchPair,
    Person,
    QuarantineEntry,
    RegistryIdRedirect,
    RegistryMeta,
    SourceRecord,
)

from .conftest import PROGRAMMES, make_outcome, make_records

pytestmark = pytest.mark.integration

ONE_PIECE = 10**9
SOURCES = list(PROGRAMMES)


def _drop(seed: int, persons: int = 60) -> pd.DataFrame:
    """Standardised records of ``persons`` people (1-4 records each, over the three sources), with
    missing values, ties in ``updated_at`` and disagreeing NIKs, so every survivorship rule has to choose."""
    rng = np.random.default_rng(seed)
    rows = []
    for person in range(persons):
        for number in range(int(rng.integers(1, 5))):
            source = SOURCES[int(rng.integers(0, 3))]
            maybe = rng.random(8) < 0.25
            rows.append(
                {
                    "source": source,
                    "record_id": f"{person:04d}-{number}",
                    "cluster": person,
                    "name_std": None if maybe[0] else f"NAMA {person} {'X' * int(rng.integers(0, 3))}",
                    "nik_std": None if maybe[1] else f"3276{int(rng.integers(0, 10**12)):012d}",
                    "birth_date_std": None
                    if maybe[2]
                    else f"19{int(rng.integers(50, 99))}-0{number + 1}-1{number}",
                    "sex_std": None if maybe[3] else ("L", "P")[int(rng.integers(0, 2))],
                    "phone_std": None if maybe[4] else f"628{int(rng.integers(0, 10**9)):09d}",
                    "address": None if maybe[5] else f"JL {int(rng.integers(0, 50))}",
                    "updated_at": None if maybe[6] else f"2026-0{int(rng.integers(1, 4))}-01",
                    "membership_status": (None, "AKTIF", "NONAKTIF", " aktif ")[int(rng.integers(0, 4))],
                    "occupation": None if maybe[7] else f"PEKERJAAN {int(rng.integers(0, 5))}",
                    "worker_category": ("PU", "BPU", None)[int(rng.integers(0, 3))],
                    "kelurahan_std": f"KEL {person % 7}",
                    "rt_std": f"{person % 9:03d}",
                }
            )
    return make_records(rows)


def _outcome(records: pd.DataFrame, run_id: str):
    quarantine = pd.DataFrame(
        [
            {
                "source": "bpjs_kesehatan",
                "record_id": f"Q{run_id}",
                "source_row": 99,
                "reason": "nik: invalid",
            },
            {"source": "penduduk_depok", "record_id": "", "source_row": None, "reason": "record_id: empty"},
        ]
    )
    quarantine["source_row"] = quarantine["source_row"].astype("Int64")  # as a run's (no row: NULL)
    pairs = pd.DataFrame(
        {
            "source_l": records["source"].to_numpy()[:25],
            "record_id_l": records["record_id"].to_numpy()[:25],
            "source_r": records["source"].to_numpy()[1:26],
            "record_id_r": records["record_id"].to_numpy()[1:26],
            "weight": np.linspace(-3.5, 12.25, 25),
            "probability": np.linspace(0.01, 0.99, 25),
            "decision": ["match"] * 20 + ["review"] * 5,
        }
    )
    return make_outcome(records, quarantine, run_id=run_id, pairs=pairs)


def _second_night(records: pd.DataFrame) -> pd.DataFrame:
    """Two persons merge, one splits, records vanish and new ones arrive."""
    day2 = records.copy()
    day2.loc[day2["cluster"] == 1, "cluster"] = 2  # merge
    split = day2.index[day2["cluster"] == 3]
    day2.loc[split[: len(split) // 2 + 1], "cluster"] = 1000  # split (or a person moved whole)
    day2 = day2[~day2["record_id"].str.startswith(("0005-", "0006-0"))]  # vanished
    new = _drop(seed=99, persons=5)
    new["record_id"] = "new-" + new["record_id"]
    new["cluster"] = new["cluster"] + 2000
    day2 = pd.concat([day2, new], ignore_index=True)
    day2["source_row"] = np.arange(1, len(day2) + 1)
    return day2.sample(frac=1.0, random_state=3).reset_index(drop=True)  # another order of the rows


_TABLES = {
    SourceRecord: [SourceRecord.source, SourceRecord.record_id],
    Person: [Person.registry_id],
    MatchPair: [MatchPair.pair_id],
    EntityHistory: [EntityHistory.id],
    RegistryIdRedirect: [RegistryIdRedirect.retired_id],
    QuarantineEntry: [QuarantineEntry.id],
    RegistryMeta: [RegistryMeta.key],
}


def _contents(engine: sa.Engine) -> dict[str, pd.DataFrame]:
    """Every table a run writes, ordered by its key (typed by the models: booleans as booleans)."""
    contents = {}
    with engine.connect() as connection:
        for model, order in _TABLES.items():
            table = model.__table__
            rows = connection.execute(sa.select(*table.columns).order_by(*order)).all()
            frame = pd.DataFrame(
                [tuple(row) for row in rows], columns=[column.key for column in table.columns]
            )
            if "deleted_at" in frame:
                frame["deleted_at"] = frame["deleted_at"].notna()  # a time of its own per registry
            contents[model.__tablename__] = frame
    return contents


def _assert_same_registry(engine: sa.Engine, reference: sa.Engine) -> None:
    mine, theirs = _contents(engine), _contents(reference)
    for table, frame in theirs.items():
        assert len(frame), table  # every table has rows to compare
        if engine.dialect.name != reference.dialect.name:
            # PostgreSQL's sequences go on after a delete where SQLite starts again: the same rows in the
            # same order (the frames are ordered by id), not the same numbers
            surrogate = [name for name in ("id", "pair_id") if name in frame]
            frame, mine[table] = frame.drop(columns=surrogate), mine[table].drop(columns=surrogate)
        pd.testing.assert_frame_equal(mine[table], frame, check_dtype=False, obj=table)


@pytest.mark.parametrize("records_per_chunk", [1, 5])
def test_a_chunked_full_rebuild_leaves_the_registry_a_publish_in_one_piece_leaves(
    registry, tmp_path, monkeypatch, records_per_chunk
):
    reference = open_registry(f"sqlite:///{tmp_path / 'one-piece.db'}")
    day1 = _drop(seed=7)
    day2 = _second_night(day1)
    try:
        publish_run(reference, _outcome(day1, "run-1"), records_per_chunk=ONE_PIECE)
        publish_run(reference, _outcome(day2, "run-2"), records_per_chunk=ONE_PIECE)
        monkeypatch.setattr(publish_module, "_BATCH", 7)  # rows inserted a few at a time too
        first = publish_run(registry, _outcome(day1, "run-1"), records_per_chunk=records_per_chunk)
        second = publish_run(registry, _outcome(day2, "run-2"), records_per_chunk=records_per_chunk)
        assert first.persons == day1["cluster"].nunique()
        assert second.merged and second.deleted and second.new_persons and second.balanced
        _assert_same_registry(registry, reference)
    finally:
        reference.dispose()


@pytest.mark.parametrize("records_per_chunk", [1, 2, 3, 11, ONE_PIECE])
def test_golden_rows_built_in_chunks_are_those_built_at_once(records_per_chunk):
    records = _drop(seed=11).sample(frac=1.0, random_state=5).reset_index(drop=True)
    registry_ids = np.asarray([f"RT{cluster:010d}" for cluster in records["cluster"]], dtype=object)
    whole = build_persons(records.assign(registry_id=registry_ids), PROGRAMMES, "run-1")
    parts = list(
        build_persons_in_chunks(
            records, registry_ids, PROGRAMMES, "run-1", records_per_chunk=records_per_chunk
        )
    )
    assert all(len(part) for part in parts)
    if records_per_chunk == ONE_PIECE:
        assert len(parts) == 1
    else:
        # whole persons per chunk, at most records_per_chunk records unless one person has more
        sizes = [int(part["record_count"].sum()) for part in parts]
        assert all(
            size <= records_per_chunk or len(part) == 1 for size, part in zip(sizes, parts, strict=True)
        )
    pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), whole)


def test_golden_rows_in_chunks_of_no_records():
    records = _drop(seed=1).iloc[0:0]
    assert list(build_persons_in_chunks(records, np.zeros(0, dtype=object), PROGRAMMES, "run-1")) == []


@pytest.mark.parametrize(
    "sources",
    [
        ["bpjs_kesehatan", "bpjs_ketenagakerjaan", "penduduk_depok"],
        ["a", "ab", "a_b", "a b", "b", "A", "aé"],  # a name that is a prefix of another, "|" > "_" > " "
        ["a|", "a", "a|b"],  # "|" in a name: the strings themselves
    ],
)
def test_key_ranks_sort_as_the_source_and_record_id_strings(sources):
    rng = np.random.default_rng(len(sources))
    alphabet = list("0a_|Z ~é9")
    keys = pd.DataFrame(
        {
            "source": [sources[int(i)] for i in rng.integers(0, len(sources), 400)],
            "record_id": ["".join(rng.choice(alphabet, int(rng.integers(0, 5)))) for _ in range(400)],
        }
    )
    strings = (keys["source"] + "|" + keys["record_id"]).to_numpy(dtype=object)
    expected, _ = pd.factorize(strings, sort=True)
    ranks, _ = pd.factorize(publish_module._key_ranks(keys), sort=True)
    np.testing.assert_array_equal(ranks, expected)
