"""The server's shared evaluations (catdog.evaluation.EvaluationStore): four visitors pressing Evaluate on the same
model and photos cause one computation, and two computations never run at once."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from catdog.evaluation import Evaluation, EvaluationFailed, EvaluationStore, evaluation_key

VISITORS = 6


def an_evaluation(name: str) -> Evaluation:
    return Evaluation([name], np.array([1]), np.array([0.9], np.float32), [])


class CountingComputation:
    """compute() for the store: counts calls, and how many ran at the same moment at most."""

    def __init__(self, seconds: float = 0.2) -> None:
        self.seconds, self.calls, self.running, self.most_at_once = seconds, 0, 0, 0
        self._lock = threading.Lock()

    def __call__(self, name: str = "photo.jpg") -> Evaluation:
        with self._lock:
            self.calls += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        time.sleep(self.seconds)
        with self._lock:
            self.running -= 1
        return an_evaluation(name)


def at_once(*calls) -> list:
    """Run each call on its own thread, all released together; returns each one's result or exception."""
    start, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(index: int, call) -> None:
        start.wait()
        try:
            results[index] = call()
        except BaseException as error:  # a test thread reports whatever ended it
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_visitors_asking_for_the_same_evaluation_at_once_share_one_computation():
    store, compute = EvaluationStore(), CountingComputation()
    waited = []
    results = at_once(*[lambda: store.evaluate("key", compute, waiting=lambda: waited.append(1))] * VISITORS)
    assert compute.calls == 1
    assert all(result is results[0] for result in results), "every visitor gets the one result"
    assert len(waited) == VISITORS - 1, "each visitor but the computer is told it waits"
    assert store.evaluate("key", compute) is results[0] and compute.calls == 1, "and later visitors get it kept"


def test_evaluations_of_different_models_run_one_at_a_time():
    store, compute = EvaluationStore(), CountingComputation(seconds=0.1)
    results = at_once(*[lambda name=f"model-{i}": store.evaluate(name, lambda: compute(name)) for i in range(4)])
    assert compute.calls == 4
    assert compute.most_at_once == 1, "never two computations at the same moment"
    assert sorted(result.paths[0] for result in results) == [f"model-{i}" for i in range(4)]


def test_a_failed_computation_is_reported_to_its_waiters_and_kept_by_nobody():
    store, started, release = EvaluationStore(), threading.Event(), threading.Event()

    def failing() -> Evaluation:
        started.set()
        release.wait(10)
        raise MemoryError("the photos did not fit")

    outcome = {}

    def computer() -> None:
        with pytest.raises(MemoryError):  # the computer sees its own error
            store.evaluate("key", failing)
        outcome["computer"] = "raised"

    thread = threading.Thread(target=computer)
    thread.start()
    started.wait(10)
    waiter = threading.Thread(target=lambda: outcome.update(waiter=_error_of(lambda: store.evaluate("key", failing))))
    waiter.start()
    time.sleep(0.1)  # the waiter is waiting on the running computation
    release.set()
    thread.join(10)
    waiter.join(10)
    assert outcome["computer"] == "raised"
    assert isinstance(outcome["waiter"], EvaluationFailed)
    assert isinstance(outcome["waiter"].__cause__, MemoryError)

    compute = CountingComputation(seconds=0)
    assert store.evaluate("key", compute).paths == ["photo.jpg"] and compute.calls == 1, "asked again, computed anew"


def test_a_computation_stopped_midway_is_taken_over_by_a_waiting_visitor():
    """A visitor who leaves mid-evaluation stops its script (a BaseException): whoever waited computes it instead."""

    class ScriptStopped(BaseException):
        pass

    store, started, release = EvaluationStore(), threading.Event(), threading.Event()

    def stopped() -> Evaluation:
        started.set()
        release.wait(10)
        raise ScriptStopped

    leaver = threading.Thread(target=lambda: _error_of(lambda: store.evaluate("key", stopped)))
    leaver.start()
    started.wait(10)
    compute, result = CountingComputation(seconds=0), {}
    waiter = threading.Thread(target=lambda: result.update(evaluation=store.evaluate("key", compute)))
    waiter.start()
    time.sleep(0.1)
    release.set()
    leaver.join(10)
    waiter.join(10)
    assert compute.calls == 1 and result["evaluation"].paths == ["photo.jpg"]


def test_a_model_file_replaced_or_photos_added_are_evaluated_afresh(tmp_path: Path):
    model = tmp_path / "pets.keras"
    model.write_bytes(b"a model")
    photos = [(tmp_path / "cats" / "cat.1.jpg", 0), (tmp_path / "dogs" / "dog.1.jpg", 1)]
    store, compute = EvaluationStore(), CountingComputation(seconds=0)

    first = evaluation_key(model, tmp_path, "test", photos)
    store.evaluate(first, compute)
    store.evaluate(evaluation_key(model, tmp_path, "test", photos), compute)
    assert compute.calls == 1, "the same file and photos: kept"

    os.utime(model, (model.stat().st_atime, model.stat().st_mtime + 10))  # a retrained model saved over it
    store.evaluate(evaluation_key(model, tmp_path, "test", photos), compute)
    assert compute.calls == 2
    store.evaluate(evaluation_key(model, tmp_path, "test", photos + [(tmp_path / "dogs" / "dog.2.jpg", 1)]), compute)
    assert compute.calls == 3, "a photo added to the split"
    store.evaluate(evaluation_key(model, tmp_path, "validation", photos), compute)
    assert compute.calls == 4, "another split"


def test_the_store_keeps_only_the_most_recently_asked_evaluations():
    store, compute = EvaluationStore(kept=2), CountingComputation(seconds=0)
    for key in ("a", "b", "a", "c"):  # "a" asked again, so "b" is the least recently asked when "c" comes
        store.evaluate(key, lambda key=key: compute(key))
    assert compute.calls == 3
    assert store.get("b") is None
    assert store.get("a").paths == ["a"] and store.get("c").paths == ["c"]
    store.evaluate("b", lambda: compute("b"))
    assert compute.calls == 4, "a dropped evaluation is computed again when asked"


def _error_of(call) -> BaseException | None:
    try:
        call()
    except BaseException as error:  # returned for the test to look at
        return error
    return None
