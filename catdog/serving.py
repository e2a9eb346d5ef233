"""Serving a class at once from one process: concurrent photos through the model together, repeats from memory.

Thirty visitors who upload at the same moment would otherwise each call the model from their own
thread, thirty small calls fighting for two cores. A Batcher gathers what arrives within a few
milliseconds (and whatever queued while the model was busy) into one call. A ResultCache answers a
photo seen before (a class all pressing "Random test photo", one shared sample) without the model.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from queue import Empty, SimpleQueue
from typing import Generic, TypeVar

Item, Result = TypeVar("Item"), TypeVar("Result")

log = logging.getLogger("catdog")


class Batcher(Generic[Item, Result]):
    """One worker thread that runs `run_batch` on many callers' items at once, each caller getting its own result.

    run_batch(items) returns one result per item, in order. Should it fail on a batch, each item is
    run again alone, so one bad item fails only its own caller. A caller waits at most timeout_s.
    """

    def __init__(
        self, run_batch: Callable[[list[Item]], Sequence[Result]], max_batch: int, wait_s: float, name: str = "batcher"
    ) -> None:
        self.run_batch, self.max_batch, self.wait_s = run_batch, max_batch, wait_s
        self.batch_sizes: list[int] = []  # the size of every call made, the last 1,000: for tests and logs
        self._queue: SimpleQueue[tuple[Item, Future]] = SimpleQueue()
        self._worker = threading.Thread(target=self._work, name=f"catdog-{name}", daemon=True)
        self._start = threading.Lock()

    def __call__(self, item: Item, timeout_s: float | None = None) -> Result:
        """The result for one item; raises what run_batch raised for it alone, or TimeoutError after timeout_s."""
        future = self.submit(item)
        try:
            return future.result(timeout_s)
        except TimeoutError:
            future.cancel()  # still queued: the worker skips it
            raise

    def submit(self, item: Item) -> Future:
        with self._start:
            if not self._worker.is_alive():
                self._worker.start()
        future: Future = Future()
        self._queue.put((item, future))
        return future

    def _work(self) -> None:
        while True:
            batch = [self._queue.get()]
            deadline = time.monotonic() + self.wait_s
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get(timeout=max(0.0, deadline - time.monotonic())))
                except Empty:
                    break
            batch = [(item, future) for item, future in batch if future.set_running_or_notify_cancel()]
            if batch:
                self._run(batch)

    def _run(self, batch: list[tuple[Item, Future]]) -> None:
        self.batch_sizes = [*self.batch_sizes[-999:], len(batch)]
        try:
            results = self.run_batch([item for item, _ in batch])
            if len(results) != len(batch):
                raise ValueError(f"run_batch gave {len(results)} results for {len(batch)} items")
        except Exception as error:  # noqa: BLE001 -- the callers get it; the worker goes on
            if len(batch) == 1:
                batch[0][1].set_exception(error)
                return
            log.warning("a batch of %d failed (%s): each item again alone", len(batch), error)
            for one in batch:
                self._run([one])
            return
        for (_, future), result in zip(batch, results):
            future.set_result(result)


Value = TypeVar("Value")


class ResultCache(Generic[Value]):
    """The most recently used results, at most max_entries of them and max_bytes in all (by size_of each).

    A value larger than max_bytes is never kept. Safe to share between threads.
    """

    def __init__(self, max_entries: int, max_bytes: int, size_of: Callable[[Value], int]) -> None:
        self.max_entries, self.max_bytes, self.size_of = max_entries, max_bytes, size_of
        self.bytes = 0
        self._values: OrderedDict[Hashable, tuple[Value, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._values)

    def get(self, key: Hashable) -> Value | None:
        with self._lock:
            if key not in self._values:
                return None
            self._values.move_to_end(key)
            return self._values[key][0]

    def put(self, key: Hashable, value: Value) -> None:
        size = self.size_of(value)
        with self._lock:
            if key in self._values:
                self.bytes -= self._values.pop(key)[1]
            if size > self.max_bytes or self.max_entries < 1:
                return
            self._values[key] = (value, size)
            self.bytes += size
            while len(self._values) > self.max_entries or self.bytes > self.max_bytes:
                self.bytes -= self._values.popitem(last=False)[1][1]
