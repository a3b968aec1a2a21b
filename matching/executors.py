"""Where the partitioned work of matching runs: in this process, or on a ``dask.distributed`` cluster.

The matching core splits its two heavy stages into independent chunks: standardisation into chunks of
records, comparison and scoring into chunks of record pairs. An executor maps a plain function over
those chunks; the global steps between them (blocking, term frequencies, EM on the merged pattern
counts, clustering) stay in the calling process. Both executors run the *same* chunk functions on the
*same* chunks, so a run gives the same links whichever executor it used.

* :class:`LocalExecutor` — this machine: a loop in this process, and with ``processes`` > 1 also
  helper processes forked from it (``concurrent.futures.ProcessPoolExecutor``, ``fork``): they inherit
  the data every chunk needs instead of receiving it, and each process (helpers and this one) takes
  the next chunk not yet taken when it finishes one, so a core shared with another program slows the
  map by the work it loses, not by a fixed share waiting on it. Helpers send their results back
  pickled. Where ``fork`` is not available, a loop.
* :class:`DaskExecutor` — ``distributed.Client``: an existing scheduler (``tcp://host:8786``) or, with
  no address, a temporary ``LocalCluster`` on this machine. Data every chunk needs (the per-record
  comparison features) is scattered to the workers once; the chunks are scattered and mapped with
  ``client.submit``; results come back in chunk order.

Use :func:`open_executor` (a context manager) to get one by name.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, Literal

from matching.errors import MatchingError, MatchSettingsError

__all__ = [
    "EXECUTOR_NAMES",
    "DaskExecutor",
    "Executor",
    "ExecutorName",
    "LocalExecutor",
    "chunk_bounds",
    "open_executor",
]

log = logging.getLogger(__name__)
_DASK_LOGGER = logging.getLogger("distributed")

ExecutorName = Literal["local", "dask"]
EXECUTOR_NAMES: tuple[str, ...] = ("local", "dask")

#: Records per standardisation chunk, and record pairs per comparison chunk (both bound the memory one
#: chunk takes; the results do not depend on them).
RECORDS_PER_CHUNK = 250_000
PAIRS_PER_CHUNK = 500_000
#: Chunks per process a forking local executor cuts its work into, at least (see ``_map_forked``).
CHUNKS_PER_PROCESS = 4


def chunk_bounds(total: int, per_chunk: int, min_chunks: int = 1) -> list[tuple[int, int]]:
    """``[start, stop)`` bounds cutting ``range(total)`` into near-equal consecutive chunks of at most
    ``per_chunk`` items, and into at least ``min_chunks`` of them when there are that many items."""
    if total <= 0:
        return []
    count = max(math.ceil(total / max(per_chunk, 1)), min(max(min_chunks, 1), total))
    edges = [total * i // count for i in range(count + 1)]
    return list(zip(edges[:-1], edges[1:], strict=True))


class Executor:
    """Maps a function over chunks. ``partitions``: how many chunks keep every worker busy."""

    name: str = "executor"
    records_per_chunk: int = RECORDS_PER_CHUNK
    pairs_per_chunk: int = PAIRS_PER_CHUNK

    @property
    def partitions(self) -> int:
        return 1

    def scatter(self, value: Any) -> Any:
        """A handle to ``value`` for :meth:`map`'s ``shared`` arguments (sent to each worker once)."""
        return value

    def map(self, function: Callable[..., Any], items: Sequence[Any], *shared: Any) -> list[Any]:
        """``[function(item, *shared) for item in items]``, in order."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the executor holds (a no-op for the local one)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalExecutor(Executor):
    """Runs the chunks on this machine: in this process, one after the other; with ``processes`` > 1,
    ``processes - 1`` forked helper processes take a share of them (see the module docstring).

    The helpers are forked for each ``map`` of two or more chunks and end with it, so they hold no
    more than that map's data; what they inherit is shared with this process until either writes to it
    (copy on write: touching a Python object's reference count copies its page). On a platform without
    ``fork`` (``multiprocessing.get_all_start_methods``), ``processes`` is 1.
    """

    name = "local"

    def __init__(
        self,
        *,
        records_per_chunk: int = RECORDS_PER_CHUNK,
        pairs_per_chunk: int = PAIRS_PER_CHUNK,
        processes: int = 1,
    ):
        if processes < 1:
            raise MatchSettingsError(f"the local executor needs at least 1 process, not {processes}")
        self.records_per_chunk = records_per_chunk
        self.pairs_per_chunk = pairs_per_chunk
        self.processes = processes if "fork" in multiprocessing.get_all_start_methods() else 1

    @property
    def partitions(self) -> int:
        # a few chunks per process, so that they can be shared out as the processes come free
        return 1 if self.processes == 1 else self.processes * CHUNKS_PER_PROCESS

    def map(self, function: Callable[..., Any], items: Sequence[Any], *shared: Any) -> list[Any]:
        items = list(items)
        if self.processes == 1 or len(items) < 2 or _INHERITED is not None:
            return [function(item, *shared) for item in items]
        return _map_forked(function, items, shared, self.processes - 1)


#: What the helpers of ``_map_forked`` call each chunk with: ``(function, shared)``, set before they are
#: forked (they inherit it; nothing of it is pickled). One forked map at a time per process: a map
#: started while another one forks (from another thread) runs here, in a loop.
_INHERITED: tuple[Callable[..., Any], tuple[Any, ...]] | None = None


def _run_inherited(item: Any) -> Any:
    """In a helper: one chunk, with the function and shared data inherited from the parent."""
    assert _INHERITED is not None, "a helper process runs chunks only for _map_forked"
    function, shared = _INHERITED
    return function(item, *shared)


def _map_forked(
    function: Callable[..., Any], items: list[Any], shared: tuple[Any, ...], helpers: int
) -> list[Any]:
    """``[function(item, *shared) for item in items]``, shared out as the processes come free: this
    process and ``helpers`` forked ones each take the next chunk not yet taken when they finish one (a
    helper slowed down by another program on its core takes fewer); results in the items' order."""
    global _INHERITED
    lock = threading.Lock()
    finished_all = threading.Condition(lock)
    results: list[Any] = [None] * len(items)
    failures: list[BaseException] = []
    taken = 0
    outstanding = 0

    def take() -> int | None:
        nonlocal taken
        with lock:
            if failures or taken >= len(items):
                return None
            taken += 1
            return taken - 1

    def give_to_helper(index: int) -> None:
        nonlocal outstanding
        with lock:
            outstanding += 1
        try:
            future = pool.submit(_run_inherited, items[index])
        except BaseException:
            with lock:
                outstanding -= 1
            raise
        future.add_done_callback(lambda done: helper_finished(index, done))

    def helper_finished(index: int, future: Future[Any]) -> None:
        # (in the pool's thread, or here when the future was done already)
        nonlocal outstanding
        try:
            results[index] = future.result()
            following = take()
            if following is not None:
                give_to_helper(following)
        except BaseException as error:  # noqa: BLE001 (raised in the caller's thread, below)
            with lock:
                failures.append(error)
        with lock:
            outstanding -= 1
            finished_all.notify_all()

    _INHERITED = (function, shared)
    pool = ProcessPoolExecutor(max_workers=helpers, mp_context=multiprocessing.get_context("fork"))
    try:
        # the helpers are forked at the first submit, with ``_INHERITED`` set
        for _ in range(helpers):
            first = take()
            if first is not None:
                give_to_helper(first)
        while (index := take()) is not None:
            results[index] = function(items[index], *shared)
        with lock:
            while outstanding:
                finished_all.wait()
        if failures:
            raise failures[0]
        return results
    except BrokenProcessPool as error:
        raise MatchingError(
            f"a helper process of the local executor ended while it ran {function.__name__} (out of "
            "memory?); run with fewer processes (REGISTRY_LOCAL_PROCESSES=1)"
        ) from error
    finally:
        with lock:
            taken = len(items)  # nothing more is handed out
        _INHERITED = None
        # on an error here, the chunks not yet started are dropped and the running ones waited for
        pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor(Executor):
    """Runs the chunks on a ``dask.distributed`` cluster.

    ``address``: the scheduler (``tcp://host:8786``); without one, a ``LocalCluster`` of worker
    processes on this machine is started and closed with the executor. ``client``: use an existing
    ``distributed.Client`` instead (not closed by :meth:`close`). Every worker needs this project
    installed (the chunk functions are imported there by name).
    """

    name = "dask"

    def __init__(
        self,
        address: str | None = None,
        *,
        client: Any = None,
        n_workers: int | None = None,
        records_per_chunk: int = RECORDS_PER_CHUNK,
        pairs_per_chunk: int = PAIRS_PER_CHUNK,
        timeout: float = 30.0,
    ) -> None:
        import dask
        from distributed import Client, LocalCluster

        self.records_per_chunk = records_per_chunk
        self.pairs_per_chunk = pairs_per_chunk
        self._cluster = None
        self._quieted: int | None = None
        self._owns_client = client is None
        if client is not None:
            self.client = client
        elif address:
            try:
                self.client = Client(address, timeout=timeout, set_as_default=False)
            except (OSError, TimeoutError) as error:
                raise MatchSettingsError(f"cannot reach the Dask scheduler at {address}: {error}") from None
        else:
            # the temporary cluster's scheduler and nannies log into this process: warnings only
            self._quieted = _DASK_LOGGER.level
            _DASK_LOGGER.setLevel(logging.WARNING)
            try:
                with dask.config.set({"logging.distributed": "warning"}):  # the worker processes too
                    self._cluster = LocalCluster(
                        n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0"
                    )
                self.client = Client(self._cluster, set_as_default=False)
            except BaseException:
                self.close()
                raise
        log.info(
            "dask executor: scheduler %s, %d worker threads", self.client.scheduler.address, self.partitions
        )

    @property
    def partitions(self) -> int:
        return max(sum(self.client.nthreads().values()), 1)

    def scatter(self, value: Any) -> Any:
        # in a list: a tuple or dict would be scattered item by item
        [future] = self.client.scatter([value], broadcast=True, hash=False)
        return future

    def map(self, function: Callable[..., Any], items: Sequence[Any], *shared: Any) -> list[Any]:
        if not items:
            return []
        # chunks go to the cluster as data (scatter), not inside the task graph
        chunks = self.client.scatter(list(items), hash=False)
        futures = [self.client.submit(function, chunk, *shared, pure=False) for chunk in chunks]
        try:
            return self.client.gather(futures)
        finally:
            del futures, chunks

    def close(self) -> None:
        if self._owns_client and getattr(self, "client", None) is not None:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()
        if self._quieted is not None:
            _DASK_LOGGER.setLevel(self._quieted)


@contextmanager
def open_executor(
    name: str | None = "local", address: str | None = None, *, processes: int = 1, **options: Any
) -> Iterator[Executor]:
    """The executor called ``name`` (``local`` or ``dask``; ``address``: the Dask scheduler;
    ``processes``: the local executor's), closed on exit. An address without ``dask`` is refused, so a
    typo never silently runs everything locally."""
    name = (name or "local").lower()
    if name not in EXECUTOR_NAMES:
        raise MatchSettingsError(f"unknown executor {name!r}; choose one of {', '.join(EXECUTOR_NAMES)}")
    if name == "local" and address:
        raise MatchSettingsError("a Dask scheduler address needs the dask executor (--executor dask)")
    executor: Executor = (
        DaskExecutor(address, **options) if name == "dask" else LocalExecutor(processes=processes, **options)
    )
    try:
        yield executor
    finally:
        executor.close()
