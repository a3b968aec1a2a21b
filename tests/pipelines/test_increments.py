"""Nightly increments end to end under the Prefect harness, on SQLite and PostgreSQL: day 1 in full,
day 2 (new, changed and deleted records, new duplicate registrations) incrementally, day 2 again."""

import pandas as pd
import pytest
import sqlalchemy as sa

from pipelines.evaluation import id_stability
from pipelines.flow import sync
from store import open_registry, read_links
from store.lock import RegistryBusyError, acquire_lock, release_lock

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def next_day(small_drop, tmp_path_factory):
    from synthetic import generate_next_day

    folder = tmp_path_factory.mktemp("day2")
    generate_next_day(small_drop, folder, seed=2, new_share=0.05, changed_share=0.04, deleted_share=0.02)
    return folder


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.db'}"
    return request.getfixturevalue("postgres_url")


def _links(db: str) -> pd.DataFrame:
    engine = open_registry(db, create=False)
    try:
        return read_links(engine)
    finally:
        engine.dispose()


_CONTENT = (
    "source_records", "persons", "match_pairs", "entity_history", "registry_id_redirects", "quarantine",
    "registry_meta",
)  # fmt: skip


def _state(db: str) -> dict[str, pd.DataFrame]:
    """The registry's content, without the run log and the run that last wrote each row."""
    engine = sa.create_engine(db)
    frames = {}
    try:
        with engine.connect() as connection:
            for table in _CONTENT:
                frame = pd.read_sql(sa.text(f'SELECT * FROM "{table}"'), connection)
                frame = frame.drop(columns=[c for c in ("run_id", "id", "pair_id") if c in frame])
                frames[table] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    finally:
        engine.dispose()
    return frames


def _run(drop, db, tmp_path, **more) -> dict:
    return sync(config=str(drop / "sources.yaml"), db=db, report_dir=str(tmp_path / "reports"), **more)


def test_day_two_keeps_ids_deletes_vanished_records_and_a_rerun_changes_nothing(
    prefect_server, small_drop, next_day, db, tmp_path
):
    _run(small_drop, db, tmp_path)
    day1 = _links(db)
    truth = pd.read_csv(small_drop / "truth.csv", dtype=str, keep_default_na=False)

    second = _run(next_day, db, tmp_path)
    assert second["read"] == {
        s: second["linked"].get(s, 0) + second["quarantined"].get(s, 0) for s in second["read"]
    }
    day2 = _links(db)
    stability = id_stability(day1, day2, truth)
    assert stability.right_persons > 300 and stability.changed == 0

    # records gone from the drop are held as deleted, not linked
    day2_truth = pd.read_csv(next_day / "truth.csv", dtype=str, keep_default_na=False)
    gone = day1.merge(day2_truth[["source", "record_id"]], how="left", indicator=True)
    gone = gone[gone["_merge"] == "left_only"]
    assert len(gone) > 0 and not set(gone["record_id"]) & set(day2["record_id"])
    engine = sa.create_engine(db)
    with engine.connect() as connection:
        deleted = connection.execute(
            sa.text("SELECT count(*) FROM source_records WHERE deleted_at IS NOT NULL")
        ).scalar()
        runs = connection.execute(sa.text("SELECT parameters, counts FROM runs ORDER BY started_at")).all()
    engine.dispose()
    assert deleted >= len(gone)
    assert '"incremental": true' in runs[-1][0] and '"touched_persons"' in runs[-1][1]

    before = _state(db)
    again = _run(next_day, db, tmp_path)
    assert again["new_persons"] == 0 and again["ids_disappeared"] == 0
    after = _state(db)
    for table in before:
        pd.testing.assert_frame_equal(before[table], after[table], obj=table)

    # a full rebuild gives the same ids to the people whose records did not change
    _run(next_day, db, tmp_path, full=True)
    rebuilt = _links(db)
    stability = id_stability(day2, rebuilt, day2_truth)
    assert stability.changed == 0


def _hashes(db: str) -> pd.DataFrame:
    engine = sa.create_engine(db)
    try:
        with engine.connect() as connection:
            return pd.read_sql(
                sa.text(
                    "SELECT source, record_id, content_hash FROM source_records WHERE deleted_at IS NULL"
                ),
                connection,
            )
    finally:
        engine.dispose()


def test_an_increment_scored_with_the_stored_model_keeps_the_ids_of_unchanged_people(
    prefect_server, small_drop, next_day, tmp_path, monkeypatch
):
    # the default keeps small registries training their own model (m of rare levels rests on few pairs);
    # here the stored model of the 400-person day 1 scores the increment
    monkeypatch.setenv("REGISTRY_STORED_MODEL_MIN_RECORDS", "0")
    db = f"sqlite:///{tmp_path / 'registry.db'}"
    _run(small_drop, db, tmp_path)
    day1, hashes1 = _links(db), _hashes(db)
    engine = sa.create_engine(db)
    with engine.connect() as connection:
        stored = connection.execute(
            sa.text("SELECT value FROM registry_meta WHERE key = 'match_model'")
        ).scalar()
    engine.dispose()
    assert stored is not None and '"records": 806' in stored

    _run(next_day, db, tmp_path)
    day2, hashes2 = _links(db), _hashes(db)
    engine = sa.create_engine(db)
    with engine.connect() as connection:
        parameters, counts = connection.execute(
            sa.text("SELECT parameters, counts FROM runs ORDER BY started_at DESC LIMIT 1")
        ).one()
        still = connection.execute(
            sa.text("SELECT value FROM registry_meta WHERE key = 'match_model'")
        ).scalar()
    engine.dispose()
    assert '"stored_model": true' in parameters and '"touched_persons"' in counts
    assert still == stored  # an increment does not retrain the model

    # a person none of whose records changed keeps their id (a changed record is decided afresh)
    truth = pd.read_csv(small_drop / "truth.csv", dtype=str, keep_default_na=False)
    keys = ["source", "record_id"]
    changed = hashes1.merge(hashes2, on=keys, suffixes=("", "_now"))
    changed = changed[changed["content_hash"] != changed["content_hash_now"]]
    touched = set(truth.merge(changed[keys], on=keys)["person_id"])
    steady = truth[~truth["person_id"].isin(touched)]
    stability = id_stability(day1, day2, steady)
    assert stability.right_persons > 300 and stability.changed == 0
    # ... and so does everyone whose day-1 cluster was right (a changed record stays with its person
    # unless its own evidence turns against them)
    assert id_stability(day1, day2, truth).changed == 0

    before = _state(db)
    _run(next_day, db, tmp_path)
    after = _state(db)
    for table in before:
        pd.testing.assert_frame_equal(before[table], after[table], obj=table)


def _last_counts(db: str) -> dict:
    import json

    engine = sa.create_engine(db)
    try:
        with engine.connect() as connection:
            counts = connection.execute(
                sa.text("SELECT counts FROM runs ORDER BY started_at DESC LIMIT 1")
            ).scalar_one()
    finally:
        engine.dispose()
    return json.loads(counts)


def test_neighbours_no_fresh_record_could_pair_with_are_left_as_they_are(
    prefect_server, small_drop, next_day, tmp_path, monkeypatch
):
    import shutil

    import pipelines.flow

    monkeypatch.setenv("REGISTRY_STORED_MODEL_MIN_RECORDS", "0")
    pruned = f"sqlite:///{tmp_path / 'pruned.db'}"
    _run(small_drop, pruned, tmp_path)
    shutil.copyfile(tmp_path / "pruned.db", tmp_path / "every.db")
    every = f"sqlite:///{tmp_path / 'every.db'}"

    _run(next_day, pruned, tmp_path)
    # the same night deciding every neighbour sharing a block with a new or changed record again
    plan_increment = pipelines.flow.plan_increment
    monkeypatch.setattr(
        pipelines.flow, "plan_increment", lambda *args, model=None, **more: plan_increment(*args, **more)
    )
    _run(next_day, every, tmp_path)

    assert (
        _last_counts(pruned)["increment"]["touched_persons"]
        < _last_counts(every)["increment"]["touched_persons"]
    )
    links = _links(pruned).merge(_links(every), on=["source", "record_id"], how="outer")
    assert len(links) > 800
    assert (links["registry_id_x"] == links["registry_id_y"]).all()


def test_a_second_run_while_one_holds_the_registry_is_refused(prefect_server, small_drop, db, tmp_path):
    engine = open_registry(db)
    acquire_lock(engine, "20261127T020000-abcdef")
    try:
        state = sync(
            config=str(small_drop / "sources.yaml"), db=db, report_dir=str(tmp_path), return_state=True
        )
        assert state.is_failed()
        with pytest.raises(
            RegistryBusyError, match="another run is writing this registry: run 20261127T020000"
        ):
            state.result()
    finally:
        release_lock(engine, "20261127T020000-abcdef")
        engine.dispose()


@pytest.mark.unit
def test_earlier_decisions_stand_where_the_drop_brought_no_new_evidence():
    import numpy as np

    from matching import ScoredPairs, load_settings
    from pipelines.increments import Increment, keep_previous_decisions

    settings = load_settings()
    match, review = settings.thresholds.match_weight, settings.thresholds.review_weight
    in_band = (match + review) / 2
    # records: 0, 1 unchanged of person A; 2 unchanged of person B; 3 changed, was A's; 4 new;
    # 5 changed, was A's
    previous = np.array(["RT1", "RT1", "RT2", "RT1", None, "RT1"], dtype=object)
    fresh = np.array([False, False, False, True, True, True])
    left = np.array([0, 1, 0, 3, 3, 2, 1, 0])
    right = np.array([2, 2, 3, 2, 4, 4, 3, 5])
    weight = np.array([match + 5, in_band, in_band, in_band, match + 1, match + 2, review - 5, review - 1])
    code = np.array([0, 1, 1, 1, 0, 0, 2, 2])
    k = len(left)
    # the pairs' evidence (comparison weights without the prior): the prior is -20 bits
    contributions = (weight + 20.0).reshape(-1, 1)
    contributions[7] = review - 2  # the second changed record's evidence is against A
    scored = ScoredPairs(
        left=left, right=right, rule=pd.Categorical(["r"] * k), matrix=np.zeros((k, 1), dtype=np.int8),
        contributions=contributions, weight=weight, probability=np.full(k, 0.5), decision_code=code,
        comparison_names=("x",), records=6, stats={}, model={},
    )  # fmt: skip
    increment = Increment(
        records=pd.DataFrame(index=range(6)), touched=frozenset({"RT1", "RT2"}), vanished=pd.DataFrame(),
        must_link=np.zeros((0, 2), dtype=np.int64), previous_ids=previous, fresh=fresh,
    )  # fmt: skip

    kept = keep_previous_decisions(scored, increment, settings).decision_code

    assert kept[0] == 1  # unchanged A and unchanged B: held apart before, not merged by a direct match
    assert kept[1] == 1  # ... and a review pair between them stays review
    assert kept[2] == 0  # the changed record stays with A while its evidence is in the review band
    assert kept[3] == 1  # the changed record and B: no earlier link to keep
    assert kept[4] == 0 and kept[5] == 0  # pairs with a new record are decided by the model alone
    assert kept[6] == 0  # below the review weight, but the evidence alone (no prior) is for A: kept
    assert kept[7] == 2  # the evidence itself is against A: the changed record is decided afresh
    assert list(scored.decision_code) == [0, 1, 1, 1, 0, 0, 2, 2]  # the input is left as it was


def _neighbours_by_codes_of_everything(held, stable, fresh, settings):
    """The neighbourhood as the matcher's blocking sees it: block codes of every held and fresh record."""
    import numpy as np

    from matching.blocking import key_codes
    from pipelines.increments import _BLOCKING_COLUMNS

    n_held = len(held)
    frame = pd.concat([held[_BLOCKING_COLUMNS], fresh[_BLOCKING_COLUMNS]], ignore_index=True)
    counted = np.concatenate([stable, np.ones(len(fresh), dtype=bool)])
    hit, cache = np.zeros(n_held, dtype=bool), {}
    for rule in settings.blocking.rules:
        limit = rule.max_block_size or settings.blocking.max_block_size
        codes = key_codes(frame, rule.keys, cache)
        sizes = np.bincount(codes[counted & (codes >= 0)], minlength=int(codes.max(initial=-1)) + 1)
        wanted = np.unique(codes[n_held:])
        wanted = wanted[(wanted >= 0)]
        hit |= np.isin(codes[:n_held], wanted[sizes[wanted] <= limit])
    return set(held.loc[hit & stable, "registry_id"])


@pytest.mark.unit
@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("max_block_size", [2, 4, 1000])
def test_neighbours_are_the_records_sharing_a_kept_block_with_a_fresh_one(seed, max_block_size):
    import numpy as np

    from matching import load_settings
    from pipelines.increments import _neighbours, held_name_tokens

    rng = np.random.default_rng(seed)

    def frame(size: int) -> pd.DataFrame:
        tokens = np.array(["ADI", "BUDI", "SITI", "DEWI", "AGUS", ""], dtype=object)
        names = [" ".join(t for t in rng.choice(tokens, rng.integers(1, 4)) if t) for _ in range(size)]
        pick = lambda values: rng.choice(np.array(values, dtype=object), size)  # noqa: E731
        return pd.DataFrame(
            {
                "nik_std": pick(["3276010101900001", "3276010101900002", None, ""]),
                "name_key": names,
                "birth_date_std": pick(["1990-01-01", "1990-01-02", "1985-05-05", None]),
                "sex_std": pick(["L", "P", None]),
                "phone_std": pick(["628111", "628222", None, "", "628333"]),
                "kelurahan_code": pick(["32.76.01.1001", "32.76.01.1002", None]),
            }
        )

    held = frame(300).assign(registry_id=[f"RT{i // 2:010d}" for i in range(300)])
    fresh = frame(20)
    stable = rng.random(len(held)) > 0.1
    base = load_settings()
    rules = tuple(rule.model_copy(update={"max_block_size": None}) for rule in base.blocking.rules)
    settings = base.model_copy(
        update={
            "blocking": base.blocking.model_copy(update={"rules": rules, "max_block_size": max_block_size})
        }
    )

    found, tokens, _ = _neighbours(held, stable, fresh, settings)

    assert found == _neighbours_by_codes_of_everything(held, stable, fresh, settings)
    assert tokens is not None and len(tokens) == len(held)
    # the held records' name tokens computed beforehand (while the worker validates): the same
    again, tokens_again, _ = _neighbours(
        held, stable, fresh, settings, held_tokens=held_name_tokens(held, settings)
    )
    assert again == found
    pd.testing.assert_frame_equal(tokens_again, tokens)
    if max_block_size == 1000:
        assert found  # the small vocabularies make neighbours on every seed


@pytest.mark.unit
def test_held_name_tokens_only_when_a_rule_is_keyed_on_them():
    from matching import load_settings
    from pipelines.increments import held_name_tokens

    held = pd.DataFrame({"name_key": ["SITI AMINAH", None, "BUDI"]})
    settings = load_settings()
    tokens = held_name_tokens(held, settings)
    assert tokens is not None and tokens["first"].tolist() == ["SITI", "", "BUDI"]
    without = tuple(
        rule
        for rule in settings.blocking.rules
        if not {"name_first", "name_last", "name_sorted"} & set(rule.keys)
    )
    assert len(without) < len(settings.blocking.rules)
    plain = settings.model_copy(update={"blocking": settings.blocking.model_copy(update={"rules": without})})
    assert held_name_tokens(held, plain) is None


@pytest.mark.unit
def test_records_that_were_one_person_are_compared_again_when_one_of_them_changed():
    import numpy as np

    from pipelines.increments import FORMER_PERSON_RULE, Increment

    # 0, 1 unchanged of RT1; 2 changed, was RT1's; 3 new; 4 unchanged of RT2; 5 changed, was RT2's
    increment = Increment(
        records=pd.DataFrame(index=range(6)), touched=frozenset({"RT1", "RT2"}), vanished=pd.DataFrame(),
        must_link=np.zeros((0, 2), dtype=np.int64),
        previous_ids=np.array(["RT1", "RT1", "RT1", None, "RT2", "RT2"], dtype=object),
        fresh=np.array([False, False, True, True, False, True]),
    )  # fmt: skip

    name, left, right = increment.pairs_of_former_persons()

    assert name == FORMER_PERSON_RULE
    # every pair with a changed record; the unchanged ones are tied by must_link, the new one is new
    assert sorted(zip(left.tolist(), right.tolist(), strict=True)) == [(0, 2), (1, 2), (4, 5)]
