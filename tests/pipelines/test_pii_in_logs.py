"""Nothing leaked: a whole ``registry run`` at DEBUG prints no NIK, phone number or name of its drop, and
neither do the flow run's logs, states and artifacts on the Prefect server.

The run is a real ``registry`` process on a generated drop, talking to the session's Prefect test server;
every NIK and KK number, every phone number (as the agencies wrote it, digits only, 08…, 62… and
+62…) and every full name of the drop's files is looked for in everything it printed and everything
the server holds for its flow run.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.integration

_FLOW_RUN = re.compile(r"/runs/flow-run/([0-9a-f-]{36})")


@pytest.fixture(scope="module")
def pii_drop(tmp_path_factory) -> Path:
    from synthetic import generate_drop

    folder = tmp_path_factory.mktemp("pii-drop")
    generate_drop(300, folder, seed=23)
    return folder


def _personal_values(drop: Path) -> tuple[set[str], set[str], set[str]]:
    """(NIKs and KK numbers, phone numbers in every written form, full names) of the drop's files."""
    health = pd.read_csv(drop / "bpjs_kesehatan.csv", dtype=str, keep_default_na=False)
    employment = pd.read_csv(drop / "bpjs_ketenagakerjaan.csv", sep=";", dtype=str, keep_default_na=False)
    with sqlite3.connect(drop / "penduduk_depok.db") as connection:
        city = pd.read_sql("SELECT nik, no_kk, nama_lengkap FROM penduduk", connection).astype(str)
    numbers = {*health["nik"], *employment["nik"], *city["nik"], *city["no_kk"]}
    numbers = {value.strip() for value in numbers if len(re.sub(r"\D", "", value)) >= 10}
    phones = set()
    for raw in {*health["no_hp"], *employment["telepon"]}:
        digits = re.sub(r"\D", "", raw)
        national = digits[1:] if digits.startswith("0") else digits[2:] if digits.startswith("62") else digits
        if len(national) < 8:
            continue
        phones |= {raw.strip(), digits, f"0{national}", f"62{national}", f"+62{national}"}
    names = {*health["nama_peserta"], *employment["nama"], *city["nama_lengkap"]}
    names = {" ".join(name.split()) for name in names if len(name.strip()) >= 3}
    assert len(numbers) > 300 and len(phones) > 300 and len(names) > 300
    return numbers, phones, names


def _prefect_record(flow_run_id: str) -> str:
    """Everything the Prefect server holds for the flow run: logs, states of the run and its task
    runs, its parameters and its artifacts."""
    from prefect import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        FlowRunFilter,
        FlowRunFilterId,
        LogFilter,
        LogFilterFlowRunId,
    )

    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(flow_run_id)
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run.id])))
        task_runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run.id]))
        )
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run.id]))
        )
    assert logs and task_runs and artifacts, "the flow run's record on the Prefect server"
    parts = [flow_run.model_dump_json()]
    parts += [log.message for log in logs]
    parts += [task_run.model_dump_json() for task_run in task_runs]
    parts += [artifact.model_dump_json() for artifact in artifacts]
    return "\n".join(parts)


def _leaks(text: str, numbers: set[str], phones: set[str], names: set[str]) -> list[str]:
    found = sorted(value for value in numbers | phones if value in text)
    by_length = sorted(names, key=len, reverse=True)
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(name) for name in by_length) + r")\b", re.IGNORECASE)
    found += sorted({match.group(0) for match in pattern.finditer(text)})
    return found


def test_a_debug_run_prints_and_records_no_nik_phone_or_name(prefect_server, pii_drop, tmp_path):
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "REGISTRY_LOG_LEVEL": "DEBUG"}
    env.pop("PREFECT_LOGGING_LEVEL", None)
    completed = subprocess.run(
        [
            sys.executable, "-m", "pipelines.cli", "run", "--config", str(pii_drop / "sources.yaml"),
            "--db", f"sqlite:///{tmp_path / 'registry.db'}", "--report-dir", str(tmp_path / "reports"),
        ],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    printed = completed.stdout + completed.stderr
    assert completed.returncode == 0, printed[-3000:]
    assert "every record accounted for" in completed.stdout
    assert "| DEBUG   |" in completed.stderr, "the run logged at DEBUG"
    numbers, phones, names = _personal_values(pii_drop)

    assert _leaks(printed, numbers, phones, names) == [], "personal values in the run's output"
    flow_run = _FLOW_RUN.search(printed)
    assert flow_run, "the run names its flow run"
    assert _leaks(_prefect_record(flow_run.group(1)), numbers, phones, names) == [], (
        "personal values in the flow run's logs, states or artifacts on the Prefect server"
    )
