"""Stage timing and progress: the flow times each stage; a terminal can watch the stages go by.

The flow wraps each stage in :meth:`StageClock.stage`. That records the stage's duration (for the run's
artifact) and logs a line when the stage starts and ends (the Prefect UI shows these). Listeners
registered with :func:`watching` are told too: ``registry run`` uses one to draw a live display with
rich when its output is a terminal (:class:`TerminalProgress`); elsewhere the log lines are the
progress. Events carry stage names and counts only.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeVar

__all__ = ["StageClock", "StageEvent", "StageListener", "TerminalProgress", "watching"]

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class StageEvent:
    """``start`` (with ``total`` steps when known), ``advance`` (one step done), ``finish`` or ``fail``."""

    stage: str
    kind: Literal["start", "advance", "finish", "fail"]
    total: int | None = None
    done: int = 0
    seconds: float = 0.0


class StageListener(Protocol):
    def __call__(self, event: StageEvent) -> None: ...


_listeners: list[StageListener] = []
_lock = threading.Lock()


@contextmanager
def watching(listener: StageListener) -> Iterator[None]:
    """Tell ``listener`` about every stage event of the runs in this process while the block runs."""
    with _lock:
        _listeners.append(listener)
    try:
        yield
    finally:
        with _lock:
            _listeners.remove(listener)


def _notify(event: StageEvent) -> None:
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        try:
            listener(event)
        except Exception:  # a display problem must never fail a run
            log.debug("progress listener failed", exc_info=True)


@dataclass
class StageClock:
    """Seconds spent per stage of one run, in the order the stages ran."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str, total: int | None = None) -> Iterator[Callable[[T], T]]:
        """Time the block as stage ``name``; it gets ``advance(value) -> value`` to count steps done."""
        done = 0

        def advance(value: T) -> T:
            nonlocal done
            done += 1
            _notify(StageEvent(name, "advance", total=total, done=done))
            return value

        log.info("stage %s started", name)
        _notify(StageEvent(name, "start", total=total))
        started = time.perf_counter()
        try:
            yield advance
        except BaseException:
            seconds = time.perf_counter() - started
            self.seconds[name] = self.seconds.get(name, 0.0) + seconds
            log.warning("stage %s failed after %.1f s", name, seconds)
            _notify(StageEvent(name, "fail", total=total, done=done, seconds=seconds))
            raise
        seconds = time.perf_counter() - started
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds
        log.info("stage %s finished in %.1f s", name, seconds)
        _notify(StageEvent(name, "finish", total=total, done=done, seconds=seconds))


class TerminalProgress:
    """A live rich display of the stages: a spinner and elapsed time per stage, steps where counted.

    Use as a context manager around the run and register it with :func:`watching`.
    """

    def __init__(self, console=None) -> None:  # type: ignore[no-untyped-def]
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.console = console or Console(stderr=True)
        self._progress = Progress(
            SpinnerColumn(finished_text="[green]✓[/]"),
            TextColumn("{task.description:<12}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        self._tasks: dict[str, object] = {}

    def __enter__(self) -> TerminalProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._progress.stop()

    def __call__(self, event: StageEvent) -> None:
        progress = self._progress
        if event.kind == "start":
            self._tasks[event.stage] = progress.add_task(event.stage, total=event.total)
            return
        task_id = self._tasks.get(event.stage)
        if task_id is None:
            return
        if event.kind == "advance":
            progress.update(task_id, completed=event.done)  # type: ignore[arg-type]
        elif event.kind == "finish":
            steps = event.total or max(event.done, 1)
            progress.update(task_id, total=steps, completed=steps)  # type: ignore[arg-type]
        else:
            progress.update(task_id, description=f"[red]{event.stage} failed[/]")  # type: ignore[arg-type]
            progress.stop_task(task_id)  # type: ignore[arg-type]
