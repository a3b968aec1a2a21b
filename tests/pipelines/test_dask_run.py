"""Standardisation and matching on a real ``dask.distributed`` cluster (two worker processes, started
once for this module): the same links as the local executor, from the matching API and from
``registry run --executor dask --dask-address ...``."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from pipelines.cli import main

pytestmark = pytest.mark.integration

TODAY = dt.date(2026, 11, 27)


@pytest.fixture(scope="module")
def dask_cluster():
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        dashboard_address=None,
        worker_dashboard_address=None,
    ) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def dask_executor(dask_cluster):
    from distributed import Client

    from matching.executors import DaskExecutor

    with Client(dask_cluster, set_as_default=False) as client:
        # small pair chunks: the random, training and candidate pairs are all cut into several chunks
        yield DaskExecutor(client=client, pairs_per_chunk=40_000)


@pytest.fixture(scope="module")
def drop_2000(tmp_path_factory) -> pd.DataFrame:
    """The canonical records of a generated drop of 2,000 persons (about 4,100 records)."""
    from connectors import read_drop
    from synthetic import generate_drop

    folder = tmp_path_factory.mktemp("drop-2000")
    generate_drop(2000, folder, seed=5)
    return pd.concat(read_drop(folder / "sources.yaml").values(), ignore_index=True)


def _partition(links: pd.DataFrame) -> set[frozenset]:
    """The persons as sets of (source, record_id): registry ids themselves may be named differently."""
    keys = list(zip(links["source"], links["record_id"], strict=True))
    groups: dict[str, set] = {}
    for key, registry_id in zip(keys, links["registry_id"], strict=True):
        groups.setdefault(registry_id, set()).add(key)
    return {frozenset(group) for group in groups.values()}


def test_dask_and_local_executors_give_the_same_links(dask_executor, drop_2000):
    from matching import cluster_scored, load_settings, score_records, standardise_records

    settings = load_settings()
    settings = settings.model_copy(update={"em": settings.em.model_copy(update={"u_sample_pairs": 200_000})})
    assert dask_executor.partitions == 2

    local_std = standardise_records(drop_2000, today=TODAY)
    dask_std = standardise_records(drop_2000, today=TODAY, executor=dask_executor)
    pd.testing.assert_frame_equal(dask_std, local_std)

    local = score_records(local_std, settings)
    remote = score_records(dask_std, settings, executor=dask_executor)
    assert len(local) > 1000
    for name in ("left", "right", "matrix", "contributions", "weight", "probability", "decision_code"):
        assert np.array_equal(getattr(remote, name), getattr(local, name)), name
    assert remote.model == local.model
    local_links = cluster_scored(local_std, local, settings)
    remote_links = cluster_scored(dask_std, remote, settings)
    assert np.array_equal(remote_links.cluster_ids, local_links.cluster_ids)
    assert local_links.stats["decisions"]["match"] > 1000


def test_registry_run_on_a_dask_cluster_publishes_the_local_runs_registry(
    prefect_server, dask_cluster, small_drop, registry_copy, tmp_path
):
    def chunks_computed() -> dict[str, int]:
        prefixes = dask_cluster.scheduler.task_prefixes
        return {
            name: sum(p.state_counts["memory"] for key, p in prefixes.items() if name in key)
            for name in ("standardised_columns", "chunk_candidates", "chunk_scores")
        }

    before = chunks_computed()
    runner = CliRunner()
    db = f"sqlite:///{tmp_path / 'dask-registry.db'}"  # registry_copy is tmp_path / registry.db
    result = runner.invoke(
        main,
        ["run", "--config", str(small_drop / "sources.yaml"), "--db", db, "--report-dir", str(tmp_path),
         "--executor", "dask", "--dask-address", dask_cluster.scheduler_address],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "every record accounted for" in result.output
    after = chunks_computed()
    assert all(after[name] >= before[name] + 2 for name in after), (before, after)  # on both workers

    dask_csv, local_csv = tmp_path / "dask-links.csv", tmp_path / "local-links.csv"
    assert runner.invoke(main, ["export-links", "--db", db, "--out", str(dask_csv)]).exit_code == 0
    # registry_copy: the registry a local run (the default executor) published from the same drop
    assert (
        runner.invoke(main, ["export-links", "--db", registry_copy, "--out", str(local_csv)]).exit_code == 0
    )
    dask_links = pd.read_csv(dask_csv, dtype=str)
    local_links = pd.read_csv(local_csv, dtype=str)
    assert len(dask_links) == len(local_links) > 0
    assert _partition(dask_links) == _partition(local_links)


def test_run_refuses_a_dask_address_for_the_local_executor():
    run_help = CliRunner().invoke(main, ["run", "--help"]).output
    assert "--executor [local|dask]" in run_help and "--dask-address" in run_help
    result = CliRunner().invoke(main, ["run", "--executor", "local", "--dask-address", "tcp://127.0.0.1:1"])
    assert result.exit_code == 2
    assert "--executor dask" in result.output and "Traceback" not in result.output


@pytest.mark.unit
def test_the_executor_and_its_scheduler_can_come_from_the_environment(monkeypatch):
    from matching.executors import EXECUTOR_NAMES
    from pipelines.settings import EXECUTOR_CHOICES, RegistrySettings

    assert EXECUTOR_CHOICES == EXECUTOR_NAMES
    monkeypatch.delenv("REGISTRY_EXECUTOR", raising=False)
    monkeypatch.delenv("REGISTRY_DASK_ADDRESS", raising=False)
    assert (RegistrySettings().executor, RegistrySettings().dask_address) == ("local", None)
    monkeypatch.setenv("REGISTRY_EXECUTOR", "dask")
    monkeypatch.setenv("REGISTRY_DASK_ADDRESS", "tcp://dask-scheduler:8786")
    settings = RegistrySettings()
    assert (settings.executor, settings.dask_address) == ("dask", "tcp://dask-scheduler:8786")
