"""The stages as plain functions: which sources a run reads, its match settings, what it carries over."""

from types import SimpleNamespace

import pandas as pd
import pytest
import sqlalchemy as sa

from connectors import load_sources_config, read_source
from matching import load_settings, settings_hash
from pipelines import stages
from pipelines.errors import SyncParametersError
from store import open_registry


@pytest.fixture(scope="module")
def drop_config(small_drop):
    return load_sources_config(small_drop / "sources.yaml")


@pytest.mark.unit
def test_without_only_every_source_is_read(drop_config):
    plan = stages.plan_sources(drop_config, None, full=True)
    assert plan.refresh == drop_config.sources and plan.held == ()


@pytest.mark.unit
def test_only_splits_the_sources_in_the_order_of_the_drop(drop_config):
    plan = stages.plan_sources(drop_config, ["penduduk_depok", "bpjs_kesehatan"])
    assert [source.name for source in plan.refresh] == ["bpjs_kesehatan", "penduduk_depok"]
    assert plan.held_names == ("bpjs_ketenagakerjaan",)


@pytest.mark.unit
def test_only_must_name_configured_sources_and_cannot_go_with_full(drop_config):
    partial = drop_config.model_copy(update={"sources": drop_config.sources[:2]})
    with pytest.raises(SyncParametersError, match="penduduk_depok.*does not configure"):
        stages.plan_sources(partial, ["penduduk_depok"])
    with pytest.raises(SyncParametersError, match="exclude each other"):
        stages.plan_sources(drop_config, ["bpjs_kesehatan"], full=True)


@pytest.mark.unit
def test_a_threshold_overrides_only_the_match_weight():
    default = load_settings()
    assert stages.match_settings(None, None) == default
    stricter = stages.match_settings(None, default.thresholds.match_weight + 4)
    assert stricter.thresholds.match_weight == default.thresholds.match_weight + 4
    assert stricter.thresholds.review_weight == default.thresholds.review_weight
    assert stricter.model_copy(update={"thresholds": default.thresholds}) == default
    assert settings_hash(stricter) != settings_hash(default)


@pytest.mark.unit
@pytest.mark.parametrize("threshold", [-1000.0, float("nan"), float("inf")])
def test_a_threshold_that_makes_no_sense_is_refused(threshold):
    with pytest.raises(SyncParametersError, match="threshold"):
        stages.match_settings(None, threshold)


@pytest.mark.integration
def test_held_sources_come_back_as_the_connector_read_them(drop_config, registry_copy):
    engine = open_registry(registry_copy, create=False)
    try:
        snapshot = stages.read_registry(engine, drop_config.sources)
        with engine.connect() as connection:
            persons = connection.execute(sa.text("SELECT count(*) FROM persons")).scalar_one()
    finally:
        engine.dispose()
    assert snapshot.persons == persons
    for source, held in zip(drop_config.sources, snapshot.held, strict=True):
        batch = read_source(source)
        validated = stages.validate_batch(batch)
        assert held.source == source.name and held.programme == source.programme
        assert held.rows_read == batch.rows_read
        pd.testing.assert_frame_equal(held.records, validated.records.reset_index(drop=True))
        assert len(held.quarantine) == len(validated.quarantine)


@pytest.mark.unit
def test_the_coverage_overlap_counts_persons_per_combination_of_programmes():
    outcome = SimpleNamespace(
        records=pd.DataFrame(
            {
                "source": ["bpjs_kesehatan", "penduduk_depok", "penduduk_depok", "bpjs_ketenagakerjaan"],
                "cluster": [0, 0, 1, 2],
            }
        ),
        programmes={
            "bpjs_kesehatan": "health",
            "bpjs_ketenagakerjaan": "employment",
            "penduduk_depok": "city",
        },
    )
    overlap = stages.coverage_overlap(outcome)
    rows = {tuple(row[:3]): row[3] for row in overlap.itertuples(index=False)}
    assert rows == {(True, False, True): 1, (False, False, True): 1, (False, True, False): 1}
