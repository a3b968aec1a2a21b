"""``ValidationWorker``: the same validation as ``validate_source``, run in a second process."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from expectations import FrameContractError, UnknownSourceError, ValidationRunError, validate_source
from expectations.worker import MAX_WORKER_ROWS, ValidationWorker, _sendable
from tests.expectations.test_validation import KESEHATAN_INDEX, KESEHATAN_ROWS


@pytest.fixture(scope="module")
def worker() -> Iterator[ValidationWorker]:
    with ValidationWorker() as started:
        yield started


def test_same_result_as_validating_here(worker: ValidationWorker, make_frame, tmp_path: Path) -> None:
    frame = make_frame("bpjs_kesehatan", KESEHATAN_ROWS, index=KESEHATAN_INDEX)
    here = validate_source(frame, "bpjs_kesehatan")
    there = worker.validate(frame, "bpjs_kesehatan", tmp_path / "docs")

    assert len(there.quarantined) == 6  # the frame has rows to quarantine
    pd.testing.assert_frame_equal(there.passed, here.passed)
    pd.testing.assert_frame_equal(there.quarantined, here.quarantined)
    assert there.outcomes == here.outcomes
    assert there.source == "bpjs_kesehatan"
    assert there.gx_result["statistics"] == here.gx_result["statistics"]
    # the passed rows are the caller's own row objects, taken from its frame
    assert there.passed["full_name"].iloc[0] is frame.loc[there.passed.index[0], "full_name"]
    # Data Docs were built by the worker where they were asked for
    assert there.data_docs_index == tmp_path / "docs" / "index.html"
    assert there.data_docs_index.is_file()


def test_the_workers_log_lines_are_logged_here(
    worker: ValidationWorker, make_frame, caplog: pytest.LogCaptureFixture
) -> None:
    frame = make_frame("penduduk_depok", [{}, {"record_id": None}])
    with caplog.at_level(logging.INFO, logger="expectations"):
        worker.validate(frame, "penduduk_depok")
    lines = [(record.name, record.getMessage()) for record in caplog.records]
    assert (
        "expectations.validation",
        "source penduduk_depok: 2 rows, 1 passed, 1 quarantined, 32 of 33 expectations met",
    ) in lines


def test_errors_raised_there_are_raised_here(worker: ValidationWorker, make_frame) -> None:
    frame = make_frame("bpjs_kesehatan", [{}])
    with pytest.raises(UnknownSourceError):
        worker.validate(frame, "bpjs_kesehatan_2")
    with pytest.raises(FrameContractError, match="missing columns nik") as raised:
        worker.validate(frame.drop(columns=["nik"]), "bpjs_kesehatan")
    assert raised.value.source == "bpjs_kesehatan"
    assert raised.value.columns == ("nik",)
    # and the worker goes on validating
    assert len(worker.validate(frame, "bpjs_kesehatan").passed) == 1


def test_frames_submitted_without_waiting_come_back_in_order(
    worker: ValidationWorker, make_frame, caplog: pytest.LogCaptureFixture
) -> None:
    big = make_frame("bpjs_kesehatan", KESEHATAN_ROWS * 300)
    small = make_frame("penduduk_depok", [{}, {"record_id": None}])
    with caplog.at_level(logging.INFO, logger="expectations"):
        pending = [worker.submit(big, "bpjs_kesehatan"), worker.submit(small, "penduduk_depok")]
        results = [item.result() for item in reversed(pending)]  # asked for in either order
    assert [len(result.passed) for result in results] == [
        1,
        len(validate_source(big, "bpjs_kesehatan").passed),
    ]
    assert [result.source for result in results] == ["penduduk_depok", "bpjs_kesehatan"]
    # each result's log lines are logged when it is asked for, in the calling thread
    sources = [
        record.getMessage().split(":")[0]
        for record in caplog.records
        if record.name == "expectations.validation"
    ]
    assert sources == ["source penduduk_depok", "source bpjs_kesehatan"]


def test_closing_with_a_frame_in_flight_does_not_wait_for_it(make_frame) -> None:
    worker = ValidationWorker()
    pending = worker.submit(make_frame("bpjs_kesehatan", KESEHATAN_ROWS * 300), "bpjs_kesehatan")
    worker.close()
    assert worker._process.wait(timeout=30) != 0  # killed, not left validating
    with pytest.raises(ValidationRunError, match="the validation worker process ended"):
        pending.result()
    worker.close()  # twice is fine


def test_a_worker_that_died_is_a_clear_error(make_frame) -> None:
    with ValidationWorker() as dead:
        dead._process.kill()
        dead._process.wait()
        with pytest.raises(
            ValidationRunError, match=r"source bpjs_kesehatan: the validation worker process ended"
        ):
            dead.validate(make_frame("bpjs_kesehatan", [{}]), "bpjs_kesehatan")


def test_only_small_frames_are_sent() -> None:
    assert ValidationWorker.fits(pd.DataFrame(index=range(MAX_WORKER_ROWS)))
    assert not ValidationWorker.fits(pd.DataFrame(index=range(MAX_WORKER_ROWS + 1)))


def test_a_script_without_a_main_guard_is_not_run_again(tmp_path: Path) -> None:
    """multiprocessing's spawn would run the calling script again in the worker; a fresh interpreter
    does not."""
    script = tmp_path / "nightly.py"
    script.write_text(
        textwrap.dedent(
            """
            from expectations.worker import ValidationWorker
            from tests.expectations.conftest import build_frame

            print("script ran")
            with ValidationWorker() as worker:
                result = worker.validate(build_frame("bpjs_kesehatan", [{}, {}]), "bpjs_kesehatan")
            print("passed", len(result.passed))
            """
        )
    )
    root = Path(__file__).resolve().parents[2]
    completed = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout.splitlines() == ["script ran", "passed 2"]


class _Unpicklable(Exception):
    def __init__(self, message: str, detail: object) -> None:  # pickle calls it with ``message`` alone
        super().__init__(message)
        self.detail = detail


def test_an_error_that_cannot_travel_comes_back_as_what_it_was() -> None:
    kept = FrameContractError("source bpjs_kesehatan: missing columns nik", source="bpjs_kesehatan")
    assert _sendable(kept, "bpjs_kesehatan") is kept
    replaced = _sendable(_Unpicklable("metric failed", object()), "bpjs_kesehatan")
    assert isinstance(replaced, ValidationRunError)
    assert str(replaced) == "source bpjs_kesehatan: _Unpicklable: metric failed"
    assert replaced.source == "bpjs_kesehatan"
