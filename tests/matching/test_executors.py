"""Executors: any chunking of the records and of the pairs gives the unpartitioned result, bit for bit.

The Dask executor itself (a real two-process cluster) is tested in tests/pipelines/test_dask_run.py;
here the local executor is cut into small chunks, which runs the same chunk functions and merges."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from matching import MatchingError, MatchSettingsError, cluster_scored, score_records, standardise_records
from matching.executors import CHUNKS_PER_PROCESS, LocalExecutor, chunk_bounds, open_executor
from matching.scoring import merge_pattern_counts, pattern_counts

pytestmark = pytest.mark.unit

TODAY = dt.date(2026, 11, 27)
_SCORED = ("left", "right", "matrix", "contributions", "weight", "probability", "decision_code")


def assert_same_scores(a, b) -> None:
    for name in _SCORED:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and np.array_equal(x, y), name
    assert a.model == b.model
    assert list(a.rule) == list(b.rule)


@pytest.mark.parametrize(
    ("total", "per_chunk", "at_least"), [(0, 5, 1), (1, 5, 4), (10, 3, 1), (10, 100, 4), (7, 7, 1)]
)
def test_chunk_bounds_cover_the_range_in_order(total, per_chunk, at_least):
    bounds = chunk_bounds(total, per_chunk, at_least)
    assert [i for start, stop in bounds for i in range(start, stop)] == list(range(total))
    assert all(0 < stop - start <= per_chunk for start, stop in bounds)
    assert len(bounds) >= min(at_least, total)


def test_merged_pattern_counts_equal_those_of_the_whole_matrix():
    rng = np.random.default_rng(3)
    matrix = rng.integers(0, 6, size=(5000, 5)).astype(np.int8)
    matrix[:, 1] = rng.integers(0, 3, size=5000)  # a column whose maximum differs between chunks
    patterns, counts, _ = pattern_counts(matrix)
    parts = [pattern_counts(matrix[a:b])[:2] for a, b in chunk_bounds(len(matrix), 700)]
    merged_patterns, merged_counts = merge_pattern_counts(parts, 5)
    assert np.array_equal(merged_patterns, patterns) and merged_patterns.dtype == patterns.dtype
    assert np.array_equal(merged_counts, counts)
    empty_patterns, empty_counts = merge_pattern_counts([], 5)
    assert empty_patterns.shape == (0, 5) and len(empty_counts) == 0


def test_chunked_standardisation_equals_the_whole_frame(people):
    frame = people.drop(columns=["person"]).set_axis(np.arange(len(people)) * 3 + 1)
    whole = standardise_records(frame, today=TODAY)
    chunked = standardise_records(frame, today=TODAY, executor=LocalExecutor(records_per_chunk=173))
    pd.testing.assert_frame_equal(chunked, whole)


def test_a_nik_equal_to_a_kk_number_in_another_chunk_is_still_kk_like():
    # record 0's NIK is the KK number of record 3 (another household, another birth date): kk_like, as
    # in the unpartitioned run, although the two land in different chunks
    frame = pd.DataFrame(
        {
            "nik": ["3276011708050003", "3276015502900004", None, "3276010101850001", "3276011708050003"],
            "kk_number": [None, None, None, "3276011708050003", None],
            "full_name": ["ANDI", "SITI", "BUDI", "RINA", "ANDI"],
            "birth_date": ["1985-01-01", "1990-02-15", None, "1985-01-01", "2005-08-17"],
            "sex": ["L", "P", "L", "P", "L"],
        }
    )
    whole = standardise_records(frame, today=TODAY)
    assert whole["nik_issue"].iloc[0] == "kk_like" and whole["nik_valid"].iloc[4]
    for per_chunk in (1, 2, 3):
        chunked = standardise_records(frame, today=TODAY, executor=LocalExecutor(records_per_chunk=per_chunk))
        pd.testing.assert_frame_equal(chunked, whole)


def test_chunked_scoring_and_clustering_equal_the_unpartitioned_run(people, fast_settings):
    std = standardise_records(people.drop(columns=["person"]), today=TODAY)
    whole = score_records(std, fast_settings)
    chunked = score_records(std, fast_settings, executor=LocalExecutor(pairs_per_chunk=997))
    assert_same_scores(chunked, whole)
    assert np.array_equal(
        cluster_scored(std, chunked, fast_settings).cluster_ids,
        cluster_scored(std, whole, fast_settings).cluster_ids,
    )


def test_open_executor_refuses_unknown_names_and_an_address_without_dask():
    with open_executor("local") as executor:
        assert executor.name == "local" and executor.map(pow, [2, 3], 2) == [4, 9]
    with pytest.raises(MatchSettingsError, match="unknown executor"), open_executor("spark"):
        pass
    with pytest.raises(MatchSettingsError, match="--executor dask"), open_executor("local", "tcp://h:8786"):
        pass


def test_helper_processes_score_standardise_and_cluster_as_one_process_does(people, fast_settings):
    frame = people.drop(columns=["person"])
    one = LocalExecutor(records_per_chunk=211, pairs_per_chunk=997)
    two = LocalExecutor(records_per_chunk=211, pairs_per_chunk=997, processes=2)
    std = standardise_records(frame, today=TODAY, executor=one)
    pd.testing.assert_frame_equal(standardise_records(frame, today=TODAY, executor=two), std)
    whole = score_records(std, fast_settings, executor=one)
    forked = score_records(std, fast_settings, executor=two)
    assert_same_scores(forked, whole)
    assert np.array_equal(
        cluster_scored(std, forked, fast_settings).cluster_ids,
        cluster_scored(std, whole, fast_settings).cluster_ids,
    )


def _square_and_pid(item: int, offset: int) -> tuple[int, int]:
    import os

    return item * item + offset, os.getpid()


def test_chunks_are_shared_between_this_process_and_the_helpers_in_order():
    import os

    executor = LocalExecutor(processes=3)
    assert executor.partitions == 3 * CHUNKS_PER_PROCESS
    results = executor.map(_square_and_pid, range(40), 1)
    assert [value for value, _ in results] == [i * i + 1 for i in range(40)]
    # one chunk, or one process: no helper
    assert LocalExecutor(processes=3).map(_square_and_pid, [4], 0) == [(16, os.getpid())]
    assert {pid for _, pid in LocalExecutor().map(_square_and_pid, range(4), 0)} == {os.getpid()}


def _slow_in_a_helper(item: int, parent: int) -> tuple[int, int]:
    import os
    import time

    if os.getpid() != parent:
        time.sleep(1.0)
    return item, os.getpid()


def test_a_slow_helper_takes_fewer_chunks():
    import os

    results = LocalExecutor(processes=2).map(_slow_in_a_helper, range(10), os.getpid())
    assert [item for item, _ in results] == list(range(10))
    pids = [pid for _, pid in results]
    # the helper took the first chunk and was still in it when this process had done the other nine
    assert pids[0] != os.getpid()
    assert pids[1:] == [os.getpid()] * 9


def test_a_chunk_that_fails_in_a_helper_raises_here():
    def failing(item: int) -> int:
        if item == 0:
            raise ValueError("chunk 0 is bad")
        return item

    with pytest.raises(ValueError, match="chunk 0 is bad"):
        LocalExecutor(processes=2).map(failing, range(4))


def test_a_helper_that_dies_ends_the_map_with_a_clear_error():
    import os
    import signal

    parent = os.getpid()

    def killed(item: int) -> int:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return item

    with pytest.raises(
        MatchingError, match="helper process .* ended while it ran killed .*LOCAL_PROCESSES=1"
    ):
        LocalExecutor(processes=2).map(killed, range(4))


def test_the_local_executor_needs_a_process():
    with pytest.raises(MatchSettingsError, match="at least 1 process"):
        LocalExecutor(processes=0)
    with open_executor("local", processes=2) as executor:
        assert executor.processes == 2


def test_a_map_inside_a_forked_map_runs_in_a_loop_where_it_is_called():
    import os

    def inner_pids(item: int) -> tuple[int, set[int]]:
        results = LocalExecutor(processes=2).map(_square_and_pid, range(4), 0)
        return os.getpid(), {pid for _, pid in results}

    outer = LocalExecutor(processes=2).map(inner_pids, range(4))
    assert all(inner == {pid} for pid, inner in outer)
    assert len({pid for pid, _ in outer}) == 2
