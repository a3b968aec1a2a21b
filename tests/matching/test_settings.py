import pytest
import yaml

from matching import MatchSettings, MatchSettingsError, load_settings, settings_hash

pytestmark = pytest.mark.unit


def test_default_preset_loads_frozen_and_hash_is_stable(tmp_path):
    settings = load_settings()
    assert isinstance(settings, MatchSettings)
    with pytest.raises(Exception):  # noqa: B017 - pydantic frozen instance error
        settings.thresholds.match_weight = 0  # type: ignore[misc]
    copy = tmp_path / "copy.yaml"
    copy.write_text(yaml.safe_dump(settings.model_dump(mode="json")), encoding="utf-8")
    assert settings_hash(load_settings(copy)) == settings_hash(settings)
    changed = settings.model_copy(
        update={"thresholds": settings.thresholds.model_copy(update={"match_weight": 1.0})}
    )
    assert settings_hash(changed) != settings_hash(settings)


def write(tmp_path, data):
    path = tmp_path / "preset.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def base():
    return load_settings().model_dump(mode="json")


def test_typo_in_a_key_fails_at_load(tmp_path):
    data = base()
    data["blocking"]["max_blok_size"] = 3
    with pytest.raises(MatchSettingsError, match="max_blok_size"):
        load_settings(write(tmp_path, data))


def test_all_problems_are_reported_at_once(tmp_path):
    data = base()
    data["thresholds"] = {"match_weight": 1.0, "review_weight": 5.0}
    data["comparisons"][0]["thresholds"] = [0.5, 0.9]
    with pytest.raises(MatchSettingsError) as info:
        load_settings(write(tmp_path, data))
    assert "thresholds" in str(info.value) and "high to low" in str(info.value)


def test_training_rule_must_name_known_comparisons(tmp_path):
    data = base()
    data["em"]["training_rules"][0]["not_estimated"] = ["dob_typo"]
    with pytest.raises(MatchSettingsError, match="unknown comparisons"):
        load_settings(write(tmp_path, data))


def test_duplicate_rule_names_and_bad_files(tmp_path):
    data = base()
    data["blocking"]["rules"].append(dict(data["blocking"]["rules"][0]))
    with pytest.raises(MatchSettingsError, match="unique"):
        load_settings(write(tmp_path, data))
    with pytest.raises(MatchSettingsError, match="cannot read"):
        load_settings(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(MatchSettingsError, match="mapping"):
        load_settings(bad)
