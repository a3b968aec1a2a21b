"""Nothing lost: a real ``registry run`` killed with SIGKILL at any moment, or losing its database mid-run,
leaves the registry exactly as before the run or exactly as after it, and the next run completes.

Every run here is a real ``registry`` process in its own session (``os.killpg`` reaches anything it
started) talking to the session's Prefect test server (``PREFECT_API_URL``), so no run pays for a
temporary Prefect server of its own. A kill lands when the run prints a stage's log line (its output is
not a terminal, so it logs each stage), or from inside the publish transaction through
``store.publish._step_hook``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.integration

_TIMEOUT = 180  # seconds: a run that hangs is killed and fails the test

#: Volatile columns: which run wrote a row, and surrogate keys. Everything else must match exactly.
_IGNORED = {"run_id", "first_seen_run", "id", "pair_id", "started_at", "finished_at", "decided_at"}
_CONTENT_TABLES = (
    "source_records", "persons", "match_pairs", "quarantine", "entity_history", "registry_id_redirects",
    "registry_meta", "review_decisions", "runs",
)  # fmt: skip
_RUN_COLUMNS = ["status", "config_path", "settings_hash"]

#: ``python -c`` program: the ``registry`` command with a publish step hook taken from the environment.
#: ``REGISTRY_TEST_AT_STEP``: the step; ``REGISTRY_TEST_STEP_COMMAND``: a JSON argv to run there
#: (without it, the process SIGKILLs itself at that step).
_HOOKED_CLI = """
import json, os, signal, subprocess
import store.publish

step, command = os.environ["REGISTRY_TEST_AT_STEP"], os.environ.get("REGISTRY_TEST_STEP_COMMAND")

def hook(name):
    if name != step:
        return
    if command:
        subprocess.run(json.loads(command), check=True, capture_output=True)
    else:
        os.kill(os.getpid(), signal.SIGKILL)

store.publish._step_hook = hook
from pipelines.cli import main
main()
"""

_RECONCILED = re.compile(r"check: read ([\d,]+) = linked ([\d,]+) \+ quarantined ([\d,]+): every record")


# ---------------------------------------------------------------------------------------------- helpers


def registry_content(db: str) -> dict[str, pd.DataFrame]:
    """The registry's content, rows in a stable order, without run ids, timestamps or surrogate keys.

    ``source_records.deleted_at`` becomes whether the record is a tombstone; ``runs`` keeps only the
    status, config and settings of each published run (the run log grows by one row per publish).
    """
    engine = sa.create_engine(db)
    try:
        with engine.connect() as connection:
            present = set(sa.inspect(connection).get_table_names())
            content = {}
            for table in _CONTENT_TABLES:
                if table not in present:
                    continue
                frame = pd.read_sql(sa.text(f'SELECT * FROM "{table}"'), connection)
                if table == "source_records":
                    frame["deleted_at"] = frame["deleted_at"].notna()
                if table == "runs":
                    frame = frame[_RUN_COLUMNS]
                frame = frame.drop(columns=[c for c in frame.columns if c in _IGNORED]).astype(object)
                frame = frame.where(frame.notna(), None)
                columns = sorted(frame.columns)
                content[table] = frame[columns].sort_values(columns).reset_index(drop=True)
            return content
    finally:
        engine.dispose()


def assert_same_content(actual: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame], what: str):
    assert actual.keys() == expected.keys(), what
    for table in expected:
        pd.testing.assert_frame_equal(actual[table], expected[table], obj=f"{what}: {table}")


def lock_holder(db: str) -> tuple[str, int] | None:
    """(host, pid) holding the registry lock, if any."""
    engine = sa.create_engine(db)
    try:
        with engine.connect() as connection:
            row = connection.execute(sa.text("SELECT host, pid FROM registry_lock")).one_or_none()
    finally:
        engine.dispose()
    return (row.host, int(row.pid)) if row else None


def counts_reconcile(output: str) -> int:
    """The records read by a finished run, after checking its printed read = linked + quarantined."""
    found = _RECONCILED.search(output)
    assert found, output[-3000:]
    read, linked, quarantined = (int(group.replace(",", "")) for group in found.groups())
    assert read == linked + quarantined > 0
    return read


def _registry_env(**more: str) -> dict[str, str]:
    """The environment of a ``registry`` process: the session's Prefect server, line-buffered output."""
    from prefect.settings import PREFECT_API_URL

    api_url = PREFECT_API_URL.value()
    assert api_url, "the prefect_server fixture must be active"
    env = {**os.environ, "PREFECT_API_URL": api_url, "PYTHONUNBUFFERED": "1", **more}
    env.pop("REGISTRY_DB", None)
    return env


def registry_process(
    arguments: list[str],
    *,
    kill_at: str | None = None,
    at_step: str | None = None,
    step_command: list[str] | None = None,
    env: dict[str, str] | None = None,
) -> tuple[int, str, int]:
    """Run ``registry <arguments>`` in its own session; (exit status, stdout + stderr, pid).

    ``kill_at``: SIGKILL the whole process group when a line of its output contains this text.
    ``at_step``: a publish step (``store.publish._step_hook``) at which the process kills itself, or
    runs ``step_command`` when given.
    """
    extra = {}
    if at_step is None:
        command = [sys.executable, "-m", "pipelines.cli", *arguments]
    else:
        command = [sys.executable, "-c", _HOOKED_CLI, *arguments]
        extra["REGISTRY_TEST_AT_STEP"] = at_step
        if step_command is not None:
            extra["REGISTRY_TEST_STEP_COMMAND"] = json.dumps(step_command)
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**(env or _registry_env()), **extra},
        start_new_session=True,
    )

    def kill_group() -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)

    timed_out = threading.Event()

    def on_timeout() -> None:
        timed_out.set()
        kill_group()

    watchdog = threading.Timer(_TIMEOUT, on_timeout)
    watchdog.start()
    lines = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if kill_at is not None and kill_at in line:
                kill_group()
                kill_at = None
        status = process.wait()
    finally:
        watchdog.cancel()
        kill_group()  # anything the run left behind in its group
        process.wait()
    assert not timed_out.is_set(), f"registry {arguments[0]} still running after {_TIMEOUT} s:\n{lines[-50:]}"
    return status, "".join(lines), process.pid


def run_arguments(drop: Path, db: str, reports: Path) -> list[str]:
    return ["run", "--config", str(drop / "sources.yaml"), "--db", db, "--report-dir", str(reports)]


def sqlite_copy(source: Path, target: Path) -> str:
    with sqlite3.connect(source) as original, sqlite3.connect(target) as copy:
        original.backup(copy)
    return f"sqlite:///{target}"


@pytest.fixture(scope="module")
def next_night(small_drop, tmp_path_factory) -> Path:
    """The night after ``small_drop``: some records new, some changed, some gone."""
    from synthetic import generate_next_day

    folder = tmp_path_factory.mktemp("next-night")
    generate_next_day(small_drop, folder, seed=5, new_share=0.03, changed_share=0.05, deleted_share=0.02)
    if not (folder / "sources.yaml").exists():
        (folder / "sources.yaml").write_text((small_drop / "sources.yaml").read_text())
    return folder


def _killed(status: int, output: str) -> None:
    assert status == -signal.SIGKILL, f"exit status {status}, not killed:\n{output[-3000:]}"


# ------------------------------------------------------------------------------------------------ tests


def test_kill_9_at_any_stage_leaves_the_registry_before_or_after_the_run(
    prefect_server, published, next_night, tmp_path
):
    """SQLite: kills during matching and inside the publish transaction leave the registry as before,
    a kill right after the commit leaves it as the run published it, and each next run takes the dead
    run's lock over and completes; the night run again after all that changes nothing but the run log."""
    db = sqlite_copy(published.db_file, tmp_path / "registry.db")
    before = registry_content(db)
    arguments = run_arguments(next_night, db, tmp_path / "reports")

    status, output, pid = registry_process(arguments, kill_at="stage match started")
    _killed(status, output)
    assert "stage validate finished" in output
    assert_same_content(registry_content(db), before, "killed during matching")
    assert lock_holder(db) == (socket.gethostname(), pid), "the dead run's lock is left behind"

    # the next run takes that lock over and is killed inside the publish transaction
    status, output, pid = registry_process(arguments, at_step="records")
    _killed(status, output)
    assert "stage publish started" in output
    assert_same_content(registry_content(db), before, "killed inside the publish transaction")
    assert lock_holder(db) == (socket.gethostname(), pid)

    # killed once the publish has committed (its log line comes after the commit), before the report
    status, output, _ = registry_process(arguments, kill_at=" published: ")
    _killed(status, output)
    assert "stage report finished" not in output
    after = registry_content(db)
    assert len(after["runs"]) == len(before["runs"]) + 1, "the run's log row commits with its records"
    assert not after["source_records"].equals(before["source_records"]), "the next night changed records"

    status, output, _ = registry_process(arguments)
    assert status == 0, output[-3000:]
    counts_reconcile(output)
    assert lock_holder(db) is None
    again = registry_content(db)
    assert len(again["runs"]) == len(after["runs"]) + 1
    assert_same_content(
        {table: frame for table, frame in again.items() if table != "runs"},
        {table: frame for table, frame in after.items() if table != "runs"},
        "the night after a kill after the commit, run again",
    )


@pytest.mark.postgres
def test_kill_9_or_a_lost_server_inside_the_publish_transaction_on_postgres(
    prefect_server, small_drop, next_night, throwaway_postgres, tmp_path
):
    """PostgreSQL (a cluster of this test's own: the session's server stays up for the other tests):
    a run SIGKILLed inside the publish transaction leaves the registry as before; so does a run whose
    server stops (``pg_ctl stop -m immediate``) there, and that run ends with one line naming the
    registry, exit status 2, no traceback and no personal value. Once the server is back the next run
    takes the lock over and succeeds."""
    from pipelines.flow import sync

    cluster = throwaway_postgres
    admin = sa.create_engine(cluster.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text('CREATE DATABASE "registry"'))
    admin.dispose()
    db = sa.make_url(cluster.url).set(database="registry").render_as_string(hide_password=False)
    state = sync(
        config=str(small_drop / "sources.yaml"), db=db, report_dir=str(tmp_path / "r0"), return_state=True
    )
    assert state.is_completed(), state.message
    before = registry_content(db)
    arguments = run_arguments(next_night, db, tmp_path / "reports")

    status, output, pid = registry_process(arguments, at_step="records")
    _killed(status, output)
    assert_same_content(registry_content(db), before, "killed inside the publish transaction")
    assert lock_holder(db) == (socket.gethostname(), pid)

    status, output, pid = registry_process(arguments, at_step="records", step_command=cluster.stop_command())
    assert status == 2, output[-5000:]
    last = output.rstrip("\n").splitlines()[-1]
    expected = rf"registry: error: registry database unavailable: {re.escape(db)}: [^\n]+"
    assert re.fullmatch(expected, last), last
    assert "Traceback" not in output, output[-5000:]
    # SQLAlchemy puts a failed statement's parameters (names, NIKs, phones) into its error messages,
    # which Prefect logs and stores as the task run's state message, unless the engine hides them
    assert "[parameters:" not in output, "SQL parameters in the output: the engine needs hide_parameters"
    assert not re.search(r"(?<!\d)\d{16}(?!\d)", output), "a NIK-like number in the output"

    cluster.start()
    assert_same_content(registry_content(db), before, "the server lost inside the publish transaction")
    assert lock_holder(db) == (socket.gethostname(), pid)  # its release failed: the server was down

    status, output, _ = registry_process(arguments)
    assert status == 0, output[-3000:]
    counts_reconcile(output)
    assert lock_holder(db) is None
    assert len(registry_content(db)["runs"]) == len(before["runs"]) + 1
