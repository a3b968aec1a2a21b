import numpy as np
import pandas as pd
import pytest

from store.ids import assign_registry_ids, format_registry_id, id_changes

pytestmark = pytest.mark.unit


def _assign(clusters, previous, next_number=10):
    return assign_registry_ids(np.array(clusters), pd.Series(previous, dtype=object), next_number)


def test_new_clusters_get_consecutive_new_ids():
    ids, next_number = _assign([0, 0, 1], [None, None, None])
    assert list(ids) == [format_registry_id(10), format_registry_id(10), format_registry_id(11)]
    assert next_number == 12
    assert format_registry_id(10) == "RT0000000010"


def test_a_person_keeps_their_id_when_a_new_record_joins():
    ids, next_number = _assign([5, 5, 5], ["RT0000000003", "RT0000000003", None])
    assert set(ids) == {"RT0000000003"}
    assert next_number == 10


def test_merge_keeps_the_older_id():
    ids, _ = _assign([0, 0, 0], ["RT0000000007", "RT0000000007", "RT0000000002"])
    assert set(ids) == {"RT0000000002"}
    ids, _ = _assign([0, 0], ["RT0000000007", "RT0000000002"])
    assert set(ids) == {"RT0000000002"}


def test_split_leaves_the_id_with_the_larger_part():
    ids, next_number = _assign([0, 0, 1], ["RT0000000004"] * 3)
    assert list(ids[:2]) == ["RT0000000004", "RT0000000004"]
    assert ids[2] == format_registry_id(10)
    assert next_number == 11


def test_a_split_part_that_merges_elsewhere_does_not_take_the_id():
    # RT4 splits: its larger part keeps RT4; the smaller part joins RT9's person, which keeps RT9
    ids, next_number = _assign([0, 0, 1, 1], ["RT0000000004", "RT0000000004", "RT0000000004", "RT0000000009"])
    assert list(ids) == ["RT0000000004", "RT0000000004", "RT0000000009", "RT0000000009"]
    assert next_number == 10


def test_id_changes_name_merges_splits_new_and_retired_ids():
    old = pd.Series(["RT2", "RT7", "RT4", "RT4", "RT4", None], dtype=object)
    new = pd.Series(["RT2", "RT2", "RT4", "RT4", "RT10", "RT11"], dtype=object)
    changes = id_changes(old, new, {"RT2", "RT4", "RT7", "RT8"})
    assert changes.merges == [("RT2", "RT7", 1)]
    assert changes.splits == [("RT4", "RT10", 1)]
    assert changes.new == ["RT11"] and changes.retired == ["RT8"]
    assert not id_changes(old.iloc[:1], new.iloc[:1], {"RT2"})
