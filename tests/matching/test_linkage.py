import json

import numpy as np
import pandas as pd
import pytest

from matching import (
    LinkageResult,
    MatchInputError,
    MatchSettingsError,
    link_records,
    pairwise_scores,
    settings_hash,
    standardise_records,
)

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def linked(people, fast_settings):
    frame = people.drop(columns=["person"]).set_axis(np.arange(len(people)) * 10 + 5)  # any index
    std = standardise_records(frame)
    return std, link_records(std, fast_settings)


def test_links_a_small_synthetic_drop_without_labels(people, linked):
    _, result = linked
    p, r, f1 = pairwise_scores(result.cluster_ids, people["person"].to_numpy())
    assert p >= 0.995 and r >= 0.97 and f1 >= 0.98


def test_twins_are_not_merged(people, linked):
    _, result = linked
    ids = result.cluster_ids
    twins = np.flatnonzero(people["person"].to_numpy() % 25 == 1)
    merged = 0
    for i in twins[:200]:
        sibling = np.flatnonzero(people["person"].to_numpy() == people["person"].iloc[i] - 1)
        merged += int(np.isin(ids[sibling], ids[i]).any())
    assert merged == 0


def test_result_shape_and_pair_columns(linked, fast_settings):
    std, result = linked
    assert isinstance(result, LinkageResult)
    assert result.cluster_ids.dtype == np.int64 and len(result.cluster_ids) == len(std)
    pairs = result.pairs
    expected = ["left", "right", "rule", "weight", "probability", "decision"]
    assert list(pairs.columns[:6]) == expected
    for name in ("name", "birth_date", "nik", "sex", "phone", "place"):
        assert f"{name}_level" in pairs and f"{name}_weight" in pairs
    assert pairs["left"].dtype == np.int64 and (pairs["left"] < pairs["right"]).all()
    assert pairs["right"].max() < len(std)
    assert set(pairs["decision"].cat.categories) == {"match", "review", "non-match"}
    assert set(pairs["rule"].cat.categories) == {r.name for r in fast_settings.blocking.rules}
    assert not pairs.duplicated(["left", "right"]).any()
    assert ((pairs["probability"] >= 0) & (pairs["probability"] <= 1)).all()
    component_sum = pairs[[c for c in pairs if c.endswith("_weight")]].sum(axis=1)
    prior = result.model["prior_weight"]
    assert np.allclose(component_sum + prior, pairs["weight"], atol=1e-3)
    # every 'match' lies inside one cluster (pairs the guard separated are shown as 'review')
    matched = pairs[pairs["decision"] == "match"]
    assert (result.cluster_ids[matched["left"]] == result.cluster_ids[matched["right"]]).all()


def test_stats_and_model_are_reportable(linked, fast_settings):
    _, result = linked
    stats = result.stats
    assert stats["candidate_pairs"] == len(result.pairs)
    assert set(stats["pairs_per_rule"]) == {r.name for r in fast_settings.blocking.rules}
    assert sum(stats["new_pairs_per_rule"].values()) == len(result.pairs)
    assert {"blocking", "comparisons", "training", "scoring", "clustering"} <= set(stats["seconds"])
    assert all(s["converged"] for s in stats["em"]["sessions"])
    assert result.model["settings_hash"] == settings_hash(fast_settings)
    text = json.dumps(result.model)
    assert "lambda" in text and "term_frequencies" in json.loads(text)
    weights = {
        c["name"]: {lv["name"]: lv["weight"] for lv in c["levels"]} for c in result.model["comparisons"]
    }
    assert weights["name"]["exact"] > 5 > weights["name"]["else"]
    assert weights["nik"]["exact"] > 5 > weights["nik"]["else"]


def test_steward_decisions_are_applied(linked, fast_settings):
    std, result = linked
    matched = result.pairs[result.pairs["decision"] == "match"].iloc[0]
    a, b = int(matched["left"]), int(matched["right"])
    separate = link_records(std, fast_settings, cannot_link=np.array([[a, b]]))
    assert separate.cluster_ids[a] != separate.cluster_ids[b]
    shown = separate.pairs.set_index(["left", "right"]).loc[(a, b), "decision"]
    assert shown == "review" and separate.stats["matches_separated"] >= 1
    c = int(np.flatnonzero(result.cluster_ids != result.cluster_ids[a])[0])
    joined = link_records(std, fast_settings, must_link=np.array([[a, c]]))
    assert joined.cluster_ids[a] == joined.cluster_ids[c]


def test_needs_standardised_columns_and_respects_pair_ceiling(people, fast_settings, std):
    with pytest.raises(MatchInputError, match="standardise_records"):
        link_records(people, fast_settings)
    tight = fast_settings.model_copy(
        update={"blocking": fast_settings.blocking.model_copy(update={"pair_ceiling": 1})}
    )
    with pytest.raises(MatchSettingsError) as info:
        link_records(std, tight)
    assert info.value.rule == "dob_first_token" and info.value.pair_count == 4


def test_unknown_level_in_match_requires_is_reported(std, fast_settings):
    bad = fast_settings.model_copy(
        update={
            "thresholds": fast_settings.thresholds.model_copy(
                update={"match_requires": ({"name": ("exactly",)},)}
            )
        }
    )
    with pytest.raises(MatchSettingsError, match="exactly"):
        link_records(std, bad)


def test_tiny_inputs(fast_settings):
    empty = standardise_records(pd.DataFrame({"source": [], "record_id": [], "full_name": []}))
    result = link_records(empty, fast_settings)
    assert len(result.cluster_ids) == 0 and len(result.pairs) == 0
    one = standardise_records(pd.DataFrame({"source": ["x"], "record_id": ["1"], "full_name": ["BUDI"]}))
    assert link_records(one, fast_settings).cluster_ids.tolist() == [0]


def test_scoring_then_clustering_is_link_records(linked, fast_settings):
    from matching import cluster_scored, score_records

    std, whole = linked
    scored = score_records(std, fast_settings)
    split = cluster_scored(std, scored, fast_settings)
    assert len(scored) == len(whole.pairs)
    assert (split.cluster_ids == whole.cluster_ids).all()
    pd.testing.assert_frame_equal(split.pairs, whole.pairs)
    with pytest.raises(MatchInputError, match="scored pairs are for"):
        cluster_scored(std.iloc[:-1], scored, fast_settings)
