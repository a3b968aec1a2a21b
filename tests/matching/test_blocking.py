import itertools

import numpy as np
import pandas as pd
import pytest

from matching.blocking import (
    block_pairs,
    derive_key,
    key_codes,
    pairs_in_blocks,
    random_pairs,
    sample_pairs_in_blocks,
)
from matching.errors import MatchInputError, MatchSettingsError
from matching.settings import BlockingRule, BlockingSettings

pytestmark = pytest.mark.unit


def brute_pairs(codes):
    out = set()
    for code in set(codes.tolist()) - {-1}:
        out |= set(itertools.combinations(np.flatnonzero(codes == code).tolist(), 2))
    return out


def test_pairs_in_blocks_equals_brute_force():
    codes = np.random.default_rng(1).integers(-1, 40, size=800)
    left, right = pairs_in_blocks(codes, max_block_size=10_000)
    assert left.dtype == np.int64 and right.dtype == np.int64
    assert (left < right).all()
    assert set(zip(left.tolist(), right.tolist(), strict=True)) == brute_pairs(codes)


def test_oversized_blocks_are_skipped():
    codes = np.array([0, 0, 0, 0, 1, 1, -1, 2])
    left, right = pairs_in_blocks(codes, max_block_size=3)
    assert list(zip(left.tolist(), right.tolist(), strict=True)) == [(4, 5)]


def test_sampled_pairs_are_distinct_within_block_pairs():
    rng = np.random.default_rng(2)
    codes = rng.integers(0, 30, size=600)
    everything = brute_pairs(codes)
    left, right = sample_pairs_in_blocks(codes, 1000, 10_000, rng)
    sample = set(zip(left.tolist(), right.tolist(), strict=True))
    assert len(sample) == 1000 and sample <= everything
    left, right = sample_pairs_in_blocks(codes, 10**9, 10_000, rng)
    assert set(zip(left.tolist(), right.tolist(), strict=True)) == everything


def test_random_pairs_are_distinct_records():
    left, right = random_pairs(5, 1000, np.random.default_rng(3))
    assert (left < right).all() and right.max() <= 4


def test_key_codes_missing_any_key_gives_minus_one():
    frame = pd.DataFrame({"a": ["x", "x", None, "y"], "b": ["1", "1", "1", None]})
    codes = key_codes(frame, ("a", "b"))
    assert codes[0] == codes[1] and codes[2] == -1 and codes[3] == -1


def test_derived_keys(std):
    assert derive_key(std, "name_first").iloc[0] == "MUHAMAD"  # folded: doubled letters squeezed
    assert derive_key(std, "name_last").iloc[0] == "SUPRAPTO"
    assert derive_key(std, "birth_year").iloc[0] == "1965"
    assert derive_key(std, "nik_prefix12").iloc[0] == "327601170865"
    assert derive_key(std, "nik_prefix12").iloc[1] is None
    with pytest.raises(MatchInputError):
        derive_key(std, "no_such_key")


def test_block_pairs_union_first_rule_and_records_without_nik(std):
    settings = BlockingSettings(
        rules=(
            BlockingRule(name="nik", keys=("nik_std",)),
            BlockingRule(name="dob_first", keys=("birth_date_std", "name_first")),
            BlockingRule(name="dob", keys=("birth_date_std",)),
        )
    )
    pairs = block_pairs(std, settings)
    found = {
        (int(a), int(b)): pairs.rule_names[r]
        for a, b, r in zip(pairs.left, pairs.right, pairs.rule, strict=True)
    }
    assert found[(0, 2)] == "nik"  # NIK rule comes first
    assert found[(0, 1)] == "dob_first"  # the TK record without a NIK is still found
    assert found[(0, 5)] == "dob"  # same birthday, different name
    assert pairs.counts == {"nik": 1, "dob_first": 4, "dob": 7}
    assert pairs.new_counts == {"nik": 1, "dob_first": 3, "dob": 3}
    assert len(set(found)) == len(pairs)


def test_pairs_given_by_the_caller_join_the_candidates_after_the_rules(std):
    settings = BlockingSettings(rules=(BlockingRule(name="nik", keys=("nik_std",)),))
    given = ("former_person", np.array([2, 3, 4, 4]), np.array([0, 4, 3, 4]))  # (2, 0) is a NIK pair too

    pairs = block_pairs(std, settings, extra=given)

    found = {
        (int(a), int(b)): pairs.rule_names[r]
        for a, b, r in zip(pairs.left, pairs.right, pairs.rule, strict=True)
    }
    assert found[(0, 2)] == "nik" and found[(3, 4)] == "former_person"
    assert (4, 4) not in found and len(found) == len(pairs) == 2
    assert pairs.counts == {"nik": 1, "former_person": 3}
    assert pairs.new_counts == {"nik": 1, "former_person": 1}


def test_pair_ceiling_names_the_rule(std):
    settings = BlockingSettings(rules=(BlockingRule(name="dob", keys=("birth_date_std",)),), pair_ceiling=2)
    with pytest.raises(MatchSettingsError, match="'dob'.*7 candidate pairs") as info:
        block_pairs(std, settings)
    assert info.value.rule == "dob" and info.value.pair_count == 7
