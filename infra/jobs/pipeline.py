"""The bounded pipeline a sync run fetches through: a thread pool that keeps at most ``2 * workers``
requests ahead of the consumer, so the realm's request budget stays busy while pages are written, and
memory stays bounded however many pages a run reads.

Its threads outlive the run (``PipelineThreads``, one set per sync service): ``Thread.start`` returns only
once the new thread runs, so a run that started its own threads sent its first requests one scheduling
delay apart, on a busy machine several milliseconds each, while an incremental sync's whole cost is one
round trip of those requests."""

from __future__ import annotations

import threading
import weakref
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

__all__ = ["BoundedPipeline", "PipelineThreads"]

T = TypeVar("T")
R = TypeVar("R")


class PipelineThreads:
    """Idle pipeline threads kept between runs: thread pools by size, each lent to one run at a time
    (``BoundedPipeline``) and taken back once that run's work is over. Thread-safe."""

    def __init__(self, name: str = "sync-pipeline") -> None:
        self._name = name
        self._lock = threading.Lock()
        self._idle: dict[int, list[ThreadPoolExecutor]] = {}
        self._closed = False

    def take(self, workers: int) -> ThreadPoolExecutor:
        with self._lock:
            idle = self._idle.get(workers)
            if idle:
                return idle.pop()
        return ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"{self._name}-{workers}")

    def give_back(self, workers: int, executor: ThreadPoolExecutor) -> None:
        with self._lock:
            if not self._closed:
                self._idle.setdefault(workers, []).append(executor)
                return
        executor.shutdown(wait=False)

    def close(self) -> None:
        """Stop the idle threads (a pool lent out stops when it is given back to a closed set)."""
        with self._lock:
            idle, self._idle, self._closed = self._idle, {}, True
        for executors in idle.values():
            for executor in executors:
                executor.shutdown(wait=False)


class BoundedPipeline:
    """``workers`` threads; ``ordered`` and ``as_completed`` run a function over tasks, at most
    ``2 * workers`` ahead of the consumer. Close with ``shutdown`` (pending work is cancelled, running work
    waited for). The threads come from ``threads`` when given (and go back to it), else are its own."""

    def __init__(self, workers: int, name: str, threads: PipelineThreads | None = None) -> None:
        self.workers = max(1, workers)
        self._threads = threads
        self._executor = (threads.take(self.workers) if threads is not None
                          else ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix=name))
        self._futures: weakref.WeakSet[Future[Any]] = weakref.WeakSet()  # weak: finished pages are not kept

    def submit(self, fn: Callable[..., R], *args: Any) -> Future[R]:
        future = self._executor.submit(fn, *args)
        if self._threads is not None:
            self._futures.add(future)
        return future

    def ordered(self, tasks: Sequence[T], fn: Callable[[T], R], started: dict[T, Future[R]] | None = None
                ) -> Iterator[tuple[T, Future[R]]]:
        """Each task with its future, in task order (``started``: futures already submitted, taken from it)."""
        window = max(2, self.workers * 2)
        pending: deque[tuple[T, Future[R]]] = deque()
        started = started if started is not None else {}
        for task in tasks:
            future = started.pop(task, None)
            pending.append((task, future if future is not None else self.submit(fn, task)))
            if len(pending) >= window:
                yield pending.popleft()
        while pending:
            yield pending.popleft()

    def as_completed(self, tasks: Sequence[T], fn: Callable[[T], R], started: dict[T, Future[R]] | None = None
                     ) -> Iterator[tuple[T, Future[R]]]:
        """Like ``ordered`` but yielding each task as soon as it is done (no head-of-line blocking)."""
        window = max(2, self.workers * 2)
        started = started if started is not None else {}
        queue = deque(tasks)
        running: dict[Future[R], T] = {}
        while queue or running:
            while queue and len(running) < window:
                task = queue.popleft()
                future = started.pop(task, None)
                running[future if future is not None else self.submit(fn, task)] = task
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                yield running.pop(future), future

    def shutdown(self) -> None:
        if self._threads is None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            return
        pending = list(self._futures)
        for future in pending:
            future.cancel()
        wait(pending)  # what already runs ends before the threads serve another run
        self._threads.give_back(self.workers, self._executor)
