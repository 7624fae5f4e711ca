"""The bounded pipeline a sync run fetches through: a thread pool that keeps at most ``2 * workers``
requests ahead of the consumer, so the realm's request budget stays busy while pages are written, and
memory stays bounded however many pages a run reads."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

__all__ = ["BoundedPipeline"]

T = TypeVar("T")
R = TypeVar("R")


class BoundedPipeline:
    """``workers`` threads; ``ordered`` and ``as_completed`` run a function over tasks, at most
    ``2 * workers`` ahead of the consumer. Close with ``shutdown`` (pending work is cancelled)."""

    def __init__(self, workers: int, name: str) -> None:
        self.workers = max(1, workers)
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix=name)

    def submit(self, fn: Callable[..., R], *args: Any) -> Future[R]:
        return self._executor.submit(fn, *args)

    def ordered(self, tasks: Sequence[T], fn: Callable[[T], R], started: dict[T, Future[R]] | None = None
                ) -> Iterator[tuple[T, Future[R]]]:
        """Each task with its future, in task order (``started``: futures already submitted, taken from it)."""
        window = max(2, self.workers * 2)
        pending: deque[tuple[T, Future[R]]] = deque()
        started = started if started is not None else {}
        for task in tasks:
            future = started.pop(task, None)
            pending.append((task, future if future is not None else self._executor.submit(fn, task)))
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
                running[future if future is not None else self._executor.submit(fn, task)] = task
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                yield running.pop(future), future

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
