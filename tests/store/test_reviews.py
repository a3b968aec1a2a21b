import getpass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from store import publish_run
from store.reviews import (
    ReviewError,
    decision_constraints,
    read_decisions,
    record_decision,
    review_queue,
    steward_constraints,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def records(records_factory):
    return records_factory(
        [
            {"source": "penduduk_depok", "record_id": "1", "cluster": 0, "full_name": "SITI AMINAH",
             "nik": "3276015708900001", "phone": "081234567890"},
            {"source": "bpjs_kesehatan", "record_id": "0001", "cluster": 1, "full_name": "SITI AMINA",
             "nik": "3276015708900001"},
            {"source": "bpjs_ketenagakerjaan", "record_id": "10000000001", "cluster": 2, "full_name": "ASEP"},
            {"source": "penduduk_depok", "record_id": "2", "cluster": 3, "full_name": "ASEP S"},
        ]
    )  # fmt: skip


def _pairs(*rows):
    columns = ["source_l", "record_id_l", "source_r", "record_id_r", "weight", "probability", "decision"]
    return pd.DataFrame(list(rows), columns=columns)


@pytest.fixture
def published(registry, records, outcome_factory):
    pairs = _pairs(
        ("penduduk_depok", "1", "bpjs_kesehatan", "0001", 9.5, 0.99, "review"),
        ("bpjs_ketenagakerjaan", "10000000001", "penduduk_depok", "2", 4.0, 0.9, "review"),
    )
    publish_run(registry, outcome_factory(records, pairs=pairs))
    return registry


def _pair_id(queue, record_id):
    return int(queue.loc[queue["record_id_l"].eq(record_id) | queue["record_id_r"].eq(record_id),
                         "pair_id"].iloc[0])  # fmt: skip


def test_queue_lists_review_pairs_highest_weight_first_with_both_records(published):
    queue = review_queue(published)
    assert list(queue["weight"]) == [9.5, 4.0]
    first = queue.iloc[0]
    assert {first["full_name_l"], first["full_name_r"]} == {"SITI AMINAH", "SITI AMINA"}
    assert queue["decision"].isna().all() and not queue["stale"].any()


def test_decisions_are_keyed_by_records_and_leave_the_queue(published, records, outcome_factory):
    queue = review_queue(published)
    record_decision(published, _pair_id(queue, "0001"), "non-match", by="steward-a", note="different mothers")
    record_decision(published, _pair_id(queue, "2"), "match", by=getpass.getuser())
    decisions = read_decisions(published)
    assert len(decisions) == 2
    non_match = decisions[decisions["decision"] == "non-match"].iloc[0]
    # the key is in (source, record_id) order, whichever side the pair had it
    assert (non_match["source_l"], non_match["record_id_l"]) == ("bpjs_kesehatan", "0001")
    assert non_match["decided_by"] == "steward-a" and non_match["note"] == "different mothers"
    assert review_queue(published).empty
    assert len(review_queue(published, include_decided=True)) == 2

    # a later decision on the same pair replaces the earlier one
    record_decision(published, _pair_id(queue, "0001"), "match", by="steward-b")
    assert set(read_decisions(published)["decision"]) == {"match"}


def test_a_decision_whose_record_changed_is_flagged_stale(published, records, outcome_factory):
    queue = review_queue(published)
    record_decision(published, _pair_id(queue, "0001"), "non-match", by="steward")
    changed = records.copy()
    changed.loc[changed["record_id"] == "0001", "phone"] = "089912345678"
    pairs = _pairs(("penduduk_depok", "1", "bpjs_kesehatan", "0001", 9.5, 0.99, "review"))
    publish_run(published, outcome_factory(changed, pairs=pairs, run_id="run-2"))
    assert read_decisions(published)["stale"].tolist() == [True]
    queue = review_queue(published)
    assert queue["stale"].tolist() == [True] and queue["decision"].tolist() == ["non-match"]


def test_unknown_pair_or_decision_is_refused(published):
    with pytest.raises(ReviewError, match="no pair 999"):
        record_decision(published, 999, "match", by="x")
    with pytest.raises(ReviewError, match="decision must be"):
        record_decision(published, 1, "maybe", by="x")


def test_decisions_become_positional_constraints_for_a_run(published, records):
    queue = review_queue(published)
    record_decision(published, _pair_id(queue, "0001"), "non-match", by="s")
    record_decision(published, _pair_id(queue, "2"), "match", by="s")
    # the next run's frame has other row positions, and one record is gone
    frame = records.iloc[[3, 2, 1, 0]].reset_index(drop=True)
    must_link, cannot_link = steward_constraints(published, frame)
    assert must_link.dtype == np.int64 and must_link.shape == (1, 2)
    assert sorted(must_link[0]) == [0, 1]
    assert sorted(cannot_link[0]) == [2, 3]
    must_link, cannot_link = steward_constraints(published, frame.iloc[:3])
    assert cannot_link.shape == (0, 2) and must_link.shape == (1, 2)


def test_no_decisions_give_empty_constraints(records):
    must_link, cannot_link = decision_constraints(pd.DataFrame(), records)
    assert must_link.shape == (0, 2) and cannot_link.shape == (0, 2)


def test_decisions_since_the_last_run_are_counted(published, records, outcome_factory):
    from store.reviews import decisions_since_last_run

    assert decisions_since_last_run(published) == 0
    queue = review_queue(published)
    record_decision(published, _pair_id(queue, "0001"), "non-match", by="s")
    assert decisions_since_last_run(published) == 1
    pairs = _pairs(("penduduk_depok", "1", "bpjs_kesehatan", "0001", 9.5, 0.99, "review"))
    later = datetime.now(UTC) + timedelta(seconds=1)
    publish_run(published, outcome_factory(records, pairs=pairs, run_id="run-2", started_at=later))
    assert decisions_since_last_run(published) == 0
