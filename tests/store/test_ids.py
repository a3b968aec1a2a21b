import numpy as np
import pandas as pd
import pytest

from store.ids import assign_registry_ids, format_registry_id

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


def test_merge_keeps_the_id_held_by_more_records_then_the_older_id():
    ids, _ = _assign([0, 0, 0], ["RT0000000007", "RT0000000007", "RT0000000002"])
    assert set(ids) == {"RT0000000007"}
    ids, _ = _assign([0, 0], ["RT0000000007", "RT0000000002"])
    assert set(ids) == {"RT0000000002"}


def test_split_leaves_the_id_with_the_larger_part():
    ids, next_number = _assign([0, 0, 1], ["RT0000000004"] * 3)
    assert list(ids[:2]) == ["RT0000000004", "RT0000000004"]
    assert ids[2] == format_registry_id(10)
    assert next_number == 11
