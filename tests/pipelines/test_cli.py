"""The ``registry`` command end to end: samples → run → exports → evaluate, and its error handling."""

import re

import pandas as pd
import pytest
from click.testing import CliRunner

from pipelines.cli import main

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cli_drop(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli-drop")
    result = CliRunner().invoke(main, ["samples", "--persons", "300", "--out", str(folder), "--seed", "3"])
    assert result.exit_code == 0, result.output
    return folder


def test_samples_writes_the_three_exports_truth_and_config(cli_drop):
    names = {path.name for path in cli_drop.iterdir()}
    assert {"bpjs_kesehatan.csv", "bpjs_ketenagakerjaan.csv", "penduduk_depok.db", "truth.csv"} <= names
    assert "sources.yaml" in names


def test_run_then_exports_cover_every_record_and_evaluate_scores_it(prefect_server, cli_drop, tmp_path):
    runner = CliRunner()
    db = f"sqlite:///{tmp_path / 'registry.db'}"
    result = runner.invoke(
        main, ["run", "--config", str(cli_drop / "sources.yaml"), "--db", db, "--report-dir", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "every record accounted for" in result.output
    assert re.search(r"registry persons: [\d,]+", result.output)
    assert "report:" in result.output and "registry: sqlite:///" in result.output

    links_csv, quarantine_csv = tmp_path / "links.csv", tmp_path / "quarantine.csv"
    assert runner.invoke(main, ["export-links", "--db", db, "--out", str(links_csv)]).exit_code == 0
    assert runner.invoke(main, ["export-quarantine", "--db", db, "--out", str(quarantine_csv)]).exit_code == 0
    links = pd.read_csv(links_csv, dtype=str)
    quarantine = pd.read_csv(quarantine_csv, dtype=str)
    truth = pd.read_csv(cli_drop / "truth.csv", dtype=str)
    held = set(map(tuple, links[["source", "record_id"]].to_numpy()))
    held |= set(map(tuple, quarantine[["source", "record_id"]].to_numpy()))
    assert held == set(map(tuple, truth[["source", "record_id"]].to_numpy()))

    evaluated = runner.invoke(main, ["evaluate", "--truth", str(cli_drop / "truth.csv"), "--db", db])
    assert evaluated.exit_code == 0, evaluated.output
    f1 = float(re.search(r"F1: ([\d.]+)", evaluated.output).group(1))
    assert f1 >= 0.95

    # The options reach the flow: a dry run refreshing one source, with another threshold.
    dry = runner.invoke(
        main,
        ["run", "--config", str(cli_drop / "sources.yaml"), "--db", db, "--report-dir", str(tmp_path),
         "--only", "bpjs_kesehatan", "--dry-run", "--threshold", "8"],
    )  # fmt: skip
    assert dry.exit_code == 0, dry.output
    assert "dry run: nothing was published" in dry.output
    assert re.search(r"penduduk_depok .* \(carried over\)", dry.output)
    assert "\x1b[" not in dry.output  # not a terminal: plain lines, no live display
    assert runner.invoke(main, ["export-links", "--db", db, "--out", str(links_csv)]).exit_code == 0
    pd.testing.assert_frame_equal(pd.read_csv(links_csv, dtype=str), links)


def test_user_errors_are_one_line_with_exit_status_2(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["run", "--config", str(tmp_path / "absent.yaml"), "--db", "sqlite://"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"registry: error: {tmp_path / 'absent.yaml'}: 1 problem(s): file not found"
    ]
    assert "Traceback" not in result.output

    result = runner.invoke(
        main, ["export-links", "--db", f"sqlite:///{tmp_path / 'none.db'}", "--out", "x.csv"]
    )
    assert result.exit_code == 2
    assert "no registry at" in result.output and "Traceback" not in result.output

    result = runner.invoke(main, ["run", "--only", "bpjs_nowhere"])
    assert result.exit_code == 2 and "bpjs_nowhere" in result.output


def test_run_and_serve_list_their_options():
    runner = CliRunner()
    run_help = runner.invoke(main, ["run", "--help"]).output
    for option in ("--config", "--db", "--only", "--full", "--dry-run", "--threshold", "--report-dir"):
        assert option in run_help
    assert "bpjs_kesehatan" in run_help
    serve_help = runner.invoke(main, ["serve", "--help"]).output
    assert "sync/nightly" in serve_help and "--config" in serve_help and "--db" in serve_help


def test_the_console_script_keeps_the_exit_status_and_every_line_of_output(tmp_path):
    """``console_main`` leaves with ``os._exit`` (no module teardown): the same status and piped output
    as ``main`` leaving the normal way."""
    import subprocess
    import sys

    def registry(entry: str, *arguments: str) -> subprocess.CompletedProcess:
        code = f"from pipelines.cli import {entry}; {entry}()"
        return subprocess.run(
            [sys.executable, "-c", code, *arguments], capture_output=True, text=True, timeout=120
        )

    nowhere = f"sqlite:///{tmp_path / 'none.db'}"
    for arguments in (
        ["--help"],
        ["samples", "--persons", "20", "--out", str(tmp_path / "drop"), "--seed", "1"],
        ["no-such-command"],
        ["export-links", "--db", nowhere, "--out", str(tmp_path / "links.csv")],
    ):
        fast, normal = registry("console_main", *arguments), registry("main", *arguments)
        outcome = (fast.returncode, fast.stdout, fast.stderr)
        assert outcome == (normal.returncode, normal.stdout, normal.stderr)
        assert fast.stdout or fast.stderr
    assert fast.returncode == 2 and fast.stderr.startswith("registry: error:")


def test_a_temporary_prefect_server_that_does_not_come_up_is_one_line_naming_the_remedy(tmp_path):
    """Without PREFECT_API_URL a run starts a temporary server; on a fresh machine that server first
    creates its database. When it does not answer in time the run says so in one line (no traceback)."""
    import os
    import subprocess
    import sys

    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect-home"), PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="1"
    )
    code = "from pipelines.cli import console_main; console_main()"
    arguments = ["run", "--config", "data/samples/sources.yaml", "--db", f"sqlite:///{tmp_path / 'r.db'}"]
    completed = subprocess.run(
        [sys.executable, "-c", code, *arguments], capture_output=True, text=True, timeout=300, env=env
    )
    assert completed.returncode == 2, completed.stderr[-2000:]
    errors = [line for line in completed.stderr.splitlines() if line.startswith("registry: error:")]
    assert len(errors) == 1
    assert errors[0].startswith("registry: error: the temporary Prefect server did not answer within 1 s")
    assert "PREFECT_API_URL" in errors[0]
    assert "Traceback" not in completed.stderr
    assert not (tmp_path / "r.db").exists()


def test_runs_wait_longer_than_prefects_default_for_their_temporary_server(monkeypatch):
    from prefect.settings import Settings

    from pipelines.cli import TEMPORARY_SERVER_TIMEOUT, _quiet_third_parties

    monkeypatch.delenv("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", raising=False)
    _quiet_third_parties()
    assert Settings().server.ephemeral.startup_timeout_seconds == TEMPORARY_SERVER_TIMEOUT > 20
