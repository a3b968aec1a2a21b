"""``ValidationWorker``: ``validate_source`` in a second process that imports GX while this one reads.

Importing GX takes about two seconds of one core, every run. A nightly increment validates only its new
and changed rows (a few thousand), so for it the import is a large part of the validate stage, and it
comes after the reading (the drop and the registry), which keeps one core busy and leaves the other idle.
A full run of sources that fit (``MAX_WORKER_ROWS``) also validates each source there while this process
reads the next one. The worker is a fresh interpreter (``python -c``: nothing of this process, Prefect's
threads included, is copied into it, and no script of the caller's is run again there) that imports GX as
soon as it starts, on that other core, while this process reads. ``validate`` then sends it the rows over
a socket pair (pickled, as ``multiprocessing.connection`` frames them) and waits for what
``validate_source`` found there. ``submit`` sends them without waiting (a thread of this process sends
and receives; the frames are validated one after another, in the order sent), so that this process goes
on reading the next source while GX validates the last one; ``PendingValidation.result`` waits.

Same results as ``validate_source`` here: the same function runs on the same rows. The rows that passed
are not sent back: the worker names them by position and they are taken from the frame here (same index,
same columns, same objects). The worker's log lines (``expectations`` at this process's level, anything
at WARNING or above) come back with the result and are logged here by the same loggers; an error raised
there is raised here. Meant for frames of up to ``MAX_WORKER_ROWS`` rows: the rows travel pickled, so
larger frames are validated in the calling process (``fits``). POSIX only (the socket is passed as a file
descriptor), as the rest of the deployment.
"""

from __future__ import annotations

import logging
import os
import pickle
import socket
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from os import PathLike
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pandas as pd

from expectations.errors import ValidationRunError
from expectations.outcomes import SourceValidation

__all__ = ["MAX_WORKER_ROWS", "PendingValidation", "ValidationWorker"]

#: Frames of at most this many rows are sent to the worker (``ValidationWorker.fits``): every source of
#: a Depok drop (the largest has 1.8M rows; the worker then held up to 4.9 GB, BENCHMARKS.md); larger
#: ones are validated where they are.
MAX_WORKER_ROWS = 2_000_000
#: The loggers whose lines come back from the worker at this process's level.
_OUR_LOGGER = "expectations"


class ValidationWorker:
    """A process that imports GX when created and runs ``validate_source`` on the frames sent to it."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        # a fresh interpreter (not multiprocessing's spawn: that runs the caller's main script again in
        # the child, which breaks a script that calls the flow without an ``if __name__`` guard)
        self._process = subprocess.Popen(
            [sys.executable, "-c", f"from expectations.worker import serve; serve({theirs.fileno()})"],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            # it imports what this process can import, from wherever this process runs
            env={**os.environ, "PYTHONPATH": os.pathsep.join(path for path in sys.path if path)},
        )
        theirs.close()
        self._connection = Connection(ours.detach())
        # sends the frames and waits for the answers, so that ``submit`` returns at once
        self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="validation-worker")
        self._pending: list[Future[_Found]] = []

    @staticmethod
    def fits(frame: pd.DataFrame) -> bool:
        """Whether ``frame`` is small enough to be sent (``MAX_WORKER_ROWS``)."""
        return len(frame) <= MAX_WORKER_ROWS

    def validate(
        self, frame: pd.DataFrame, source: str, data_docs_dir: str | PathLike[str] | None = None
    ) -> SourceValidation:
        """``validate_source(frame, source, data_docs_dir)``, run in the worker."""
        return self.submit(frame, source, data_docs_dir).result()

    def submit(
        self, frame: pd.DataFrame, source: str, data_docs_dir: str | PathLike[str] | None = None
    ) -> PendingValidation:
        """Send ``frame`` to be validated as ``validate`` does, without waiting for the result."""
        level = logging.getLogger(_OUR_LOGGER).getEffectiveLevel()
        docs = None if data_docs_dir is None else str(data_docs_dir)
        exchange = self._sender.submit(self._exchange, (frame, source, docs, level))
        self._pending.append(exchange)
        return PendingValidation(frame, source, exchange)

    def _exchange(self, request: tuple[pd.DataFrame, str, str | None, int]) -> _Found:
        """In the sending thread: send one request and receive its answer (one at a time: answers come
        back in the order of the requests)."""
        source = request[1]
        try:
            self._connection.send(request)
            return self._connection.recv()
        except (EOFError, OSError) as error:
            code = self._process.poll()
            raise ValidationRunError(
                f"source {source}: the validation worker process ended (exit code {code})", source=source
            ) from error

    def close(self) -> None:
        """Stop the worker: closing the connection ends it (not waited for: the interpreter's exit
        takes it most of a second; ``subprocess`` reaps it later). A frame still being validated is
        not waited for either: the worker is killed, which ends the sending thread's wait."""
        if any(not exchange.done() for exchange in self._pending):
            self._process.kill()
            self._sender.shutdown(wait=True)
        self._sender.shutdown(wait=False)
        self._pending.clear()
        self._connection.close()

    def __enter__(self) -> ValidationWorker:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class PendingValidation:
    """A frame sent to the worker (``ValidationWorker.submit``); ``result`` waits for its validation."""

    def __init__(self, frame: pd.DataFrame, source: str, exchange: Future[_Found]) -> None:
        self.frame, self.source = frame, source
        self._exchange = exchange

    def result(self) -> SourceValidation:
        """What ``validate_source`` found in the worker, with its log lines logged here (in the calling
        thread, so that they belong to the caller's task run) and its error raised here."""
        found = self._exchange.result()
        for record in found.log_records:
            logger = logging.getLogger(record.name)
            if logger.isEnabledFor(record.levelno):
                logger.handle(record)
        if found.error is not None:
            raise found.error
        return SourceValidation(
            source=found.source,
            passed=self.frame.iloc[found.passed],
            quarantined=found.quarantined,
            outcomes=found.outcomes,
            gx_result=found.gx_result,
            data_docs_index=found.data_docs_index,
        )


@dataclass(frozen=True)
class _Found:
    """What the worker sends back: ``validate_source``'s result less the passed rows (their positions
    in the frame instead), or the error it raised; and the log lines of the call."""

    log_records: list[logging.LogRecord]
    error: BaseException | None = None
    source: str = ""
    passed: np.ndarray | None = None
    quarantined: pd.DataFrame | None = None
    outcomes: list[Any] | None = None
    gx_result: dict[str, Any] | None = None
    data_docs_index: Path | None = None


def serve(fd: int) -> None:  # pragma: no cover - runs in the worker process
    """The worker: import GX, then validate each frame received on the connection ``fd`` until it
    closes."""
    import great_expectations  # noqa: F401

    import expectations.validation  # noqa: F401

    connection = Connection(fd)
    while True:
        try:
            frame, source, data_docs_dir, level = connection.recv()
        except EOFError:
            return
        connection.send(_validate(frame, source, data_docs_dir, level))


class _Collect(logging.Handler):
    """Keeps, in order, the lines of ``expectations`` at ``level`` and every line at WARNING or above,
    made picklable (message formatted, exception as text)."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level_of_ours = level
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        ours = record.name == _OUR_LOGGER or record.name.startswith(f"{_OUR_LOGGER}.")
        if record.levelno < (self.level_of_ours if ours else logging.WARNING):
            return
        message = record.getMessage()
        if record.exc_info:
            message = f"{message}\n{logging.Formatter().formatException(record.exc_info)}"
        record.msg, record.args, record.exc_info, record.exc_text = message, None, None, None
        self.records.append(record)


def _validate(
    frame: pd.DataFrame, source: str, data_docs_dir: str | None, level: int
) -> _Found:  # pragma: no cover - runs in the worker process (tests run it through the worker)
    from expectations.validation import validate_source

    # the lines of ``expectations`` reach the root logger's handlers at ``level``, others at WARNING
    root, collect = logging.getLogger(), _Collect(level)
    logging.getLogger(_OUR_LOGGER).setLevel(level)
    root.addHandler(collect)
    try:
        result = validate_source(frame, source, data_docs_dir)
    except Exception as error:  # sent back and raised in the calling process
        return _Found(collect.records, error=_sendable(error, source))
    finally:
        root.removeHandler(collect)
    return _Found(
        collect.records,
        source=result.source,
        passed=frame.index.get_indexer(result.passed.index),
        quarantined=result.quarantined,
        outcomes=result.outcomes,
        gx_result=result.gx_result,
        data_docs_index=result.data_docs_index,
    )


def _sendable(error: Exception, source: str) -> Exception:
    """``error``, or a ``ValidationRunError`` saying what it was when it cannot be pickled (an exception
    class of GX's whose arguments do not round-trip)."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return ValidationRunError(f"source {source}: {type(error).__name__}: {error}", source=source)
    return error
