import numpy as np
import pytest

from matching.clustering import cluster_links, components

pytestmark = pytest.mark.unit


def same(ids, a, b):
    return ids[a] == ids[b]


def test_components_and_numbering_by_first_record():
    out = cluster_links(6, np.array([4, 0]), np.array([5, 2]), np.array([10.0, 10.0]))
    assert out.cluster_ids.tolist() == [0, 1, 0, 2, 3, 3]
    assert components(3, np.array([], dtype=np.int64), np.array([], dtype=np.int64)).tolist() == [0, 1, 2]


def test_nik_guard_cuts_the_weakest_link():
    # 0 and 1 hold different self-consistent NIKs; 2 (no NIK) links to both, more strongly to 0.
    anchors = np.array(["3276015708900001", "3276011203850007", ""], dtype=object)
    out = cluster_links(3, np.array([0, 1]), np.array([2, 2]), np.array([20.0, 9.0]), nik_anchor=anchors)
    ids = out.cluster_ids
    assert same(ids, 0, 2) and not same(ids, 1, 2)
    assert out.components_cut == 1 and out.edges_refused == 1


def test_nik_guard_allows_one_typo_apart_and_can_be_off():
    anchors = np.array(["3276015708900001", "3276015708900007"], dtype=object)
    ids = cluster_links(2, np.array([0]), np.array([1]), np.array([9.0]), nik_anchor=anchors).cluster_ids
    assert same(ids, 0, 1)
    far = np.array(["3276015708900001", "3276011203850007"], dtype=object)
    assert not same(
        cluster_links(2, np.array([0]), np.array([1]), np.array([9.0]), nik_anchor=far).cluster_ids, 0, 1
    )
    assert same(cluster_links(2, np.array([0]), np.array([1]), np.array([9.0])).cluster_ids, 0, 1)


def test_chain_through_many_records_is_cut_once():
    anchors = np.array(["3276015708900001", "", "", "", "3276011203850007"], dtype=object)
    left, right = np.array([0, 1, 2, 3]), np.array([1, 2, 3, 4])
    weight = np.array([30.0, 25.0, 5.0, 28.0])
    ids = cluster_links(5, left, right, weight, nik_anchor=anchors).cluster_ids
    assert same(ids, 0, 2) and same(ids, 3, 4) and not same(ids, 2, 3)


def test_steward_must_and_cannot_links():
    ids = cluster_links(
        4,
        np.array([0]),
        np.array([1]),
        np.array([9.0]),
        must_link=np.array([[2, 3]]),
        cannot_link=np.array([[1, 0]]),
    ).cluster_ids
    assert not same(ids, 0, 1) and same(ids, 2, 3)
    with pytest.raises(IndexError):
        cluster_links(2, np.array([0]), np.array([1]), np.array([1.0]), must_link=np.array([[0, 5]]))


def test_must_link_overrides_the_nik_guard():
    anchors = np.array(["3276015708900001", "3276011203850007"], dtype=object)
    ids = cluster_links(
        2,
        np.array([], dtype=np.int64),
        np.array([], dtype=np.int64),
        np.array([]),
        nik_anchor=anchors,
        must_link=np.array([[0, 1]]),
    ).cluster_ids
    assert same(ids, 0, 1)
