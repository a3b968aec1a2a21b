"""One Prefect test server per test session (a real API over a temporary database), and one small drop."""

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def prefect_server():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def small_drop(tmp_path_factory) -> Path:
    """A generated drop of 400 persons (≈ 800 records) with its sources.yaml and truth.csv."""
    from synthetic import generate_drop

    folder = tmp_path_factory.mktemp("drop")
    generate_drop(400, folder, seed=11)
    return folder
