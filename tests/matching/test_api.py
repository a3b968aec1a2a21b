import pytest

import matching

pytestmark = pytest.mark.unit

PUBLIC = {
    "standardise_records",
    "link_records",
    "MatchSettings",
    "load_settings",
    "LinkageResult",
    "pairwise_scores",
}


def test_public_api_is_explicit():
    assert set(matching.__all__) >= PUBLIC
    for name in matching.__all__:
        assert hasattr(matching, name), name


def test_error_hierarchy():
    assert issubclass(matching.MatchSettingsError, matching.MatchingError)
    assert issubclass(matching.MatchInputError, matching.MatchingError)
    err = matching.MatchSettingsError("too many pairs", rule="dob", pair_count=10)
    assert (err.rule, err.pair_count) == ("dob", 10)
