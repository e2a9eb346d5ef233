"""How good is a model on labelled photos: each photo's dog probability, and the numbers that follow from them.

Dog (label 1) is the positive class: a dog probability at or above the threshold says dog.
Everything but evaluate_photos is NumPy on the stored probabilities, so moving a threshold is free.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from catdog.config import CLASS_NAMES, DOG_THRESHOLD, EVALUATIONS_KEPT, INFERENCE_BATCH
from catdog.data import decode_photos, labelled_photos
from catdog.memory import release_memory

if TYPE_CHECKING:
    from catdog.predict import Classifier

Z_95 = 1.959964  # the standard normal quantile of a two-sided 95% interval
log = logging.getLogger("catdog")


@dataclass
class Evaluation:
    """One model's dog probability for each readable photo of a labelled set, in the set's order."""

    paths: list[str]
    labels: np.ndarray  # (n,) int: 0 cat, 1 dog
    dog_probabilities: np.ndarray  # (n,) float32
    unreadable: list[tuple[str, str]]  # (path, reason) of the files left out

    def said(self, threshold: float = DOG_THRESHOLD) -> np.ndarray:
        """(n,) int: the label each photo gets at this threshold."""
        return (self.dog_probabilities >= threshold).astype(int)


def evaluate_photos(
    classifier: Classifier,
    items: list[tuple[Path, int]],
    progress: Callable[[int, int], None] | None = None,
) -> Evaluation:
    """Classify every (path, label) photo, decoding and predicting INFERENCE_BATCH at a time.

    progress(done, total) is called after each batch, for a progress bar.
    """
    paths, labels, probabilities, unreadable = [], [], [], []
    for start in range(0, len(items), INFERENCE_BATCH):
        batch = items[start : start + INFERENCE_BATCH]
        photos = decode_photos(batch, classifier.image_size)  # the same decoding as one photo on the Classify page
        unreadable += photos.unreadable
        skipped = {path for path, _ in photos.unreadable}
        paths += [str(path) for path, _ in batch if str(path) not in skipped]
        labels.append(photos.labels.astype(int))
        probabilities.append(classifier.dog_probabilities(photos.pixels))
        if progress:
            progress(start + len(batch), len(items))
    return Evaluation(
        paths,
        np.concatenate(labels) if labels else np.zeros(0, int),
        np.concatenate(probabilities) if probabilities else np.zeros(0, np.float32),
        unreadable,
    )


def evaluation_key(model_path: Path, root: Path, split: str, items: list[tuple[Path, int]]) -> tuple:
    """What an evaluation is shared by: the model file and its modification time, the dataset, the split and
    its photos' names. A model file replaced since, or photos added, removed or renamed, are scored afresh
    (a photo overwritten in place under its own name is not noticed)."""
    photos = hashlib.sha256("\n".join(f"{path}\t{label}" for path, label in items).encode()).hexdigest()
    return str(model_path), model_path.stat().st_mtime, str(root), split, photos


class EvaluationFailed(RuntimeError):
    """The evaluation another visitor started for the same key ended without a result (an error, or they left)."""


class EvaluationStore:
    """Evaluations shared by every session of a server: each key is computed once, one computation at a time.

    A second visitor asking for a key being computed waits for that result; one asking for another key waits
    for the computation running now to end. The last `kept` evaluations are kept, the least recently asked
    for dropped first. Thread-safe: each Streamlit session runs in its own thread.
    """

    def __init__(self, kept: int = EVALUATIONS_KEPT) -> None:
        self.kept = kept
        self._done: OrderedDict[Hashable, Evaluation] = OrderedDict()  # least recently asked for first
        self._running: dict[Hashable, Future] = {}  # key: the result its computer will set
        self._lock = threading.Lock()  # guards _done and _running, held only briefly
        self._one_at_a_time = threading.Lock()  # held for a whole computation

    def get(self, key: Hashable) -> Evaluation | None:
        """The kept evaluation for key, or None; never computes."""
        with self._lock:
            if key in self._done:
                self._done.move_to_end(key)
            return self._done.get(key)

    def evaluate(
        self, key: Hashable, compute: Callable[[], Evaluation], waiting: Callable[[], None] | None = None
    ) -> Evaluation:
        """The evaluation for key: kept, awaited from whoever computes it now, or computed by `compute()` here.

        waiting() is called before this caller blocks on someone else's computation (to say so on the page).
        Raises EvaluationFailed if the computation awaited failed; compute()'s own error if this caller's did.
        A computation stopped by a BaseException that is no Exception (Streamlit stopping a script) is no failure:
        a caller waiting for it computes the key itself, or waits for another who does.
        """
        while True:
            with self._lock:
                if key in self._done:
                    self._done.move_to_end(key)
                    return self._done[key]
                running = self._running.get(key)
                if running is None:
                    result = self._running[key] = Future()
                    break
            if waiting:
                waiting()
            try:
                return running.result()
            except Exception as error:  # the computer's error is its own: this caller is told it failed
                raise EvaluationFailed(str(key)) from error
            except BaseException:  # the computer's thread was stopped (a visitor who left): try again, maybe here
                continue
        return self._compute(key, compute, result, waiting)

    def _compute(self, key: Hashable, compute: Callable[[], Evaluation], result: Future, waiting) -> Evaluation:
        if waiting and self._one_at_a_time.locked():
            waiting()
        try:
            with self._one_at_a_time:
                started = time.perf_counter()
                evaluation = compute()
        except BaseException as error:
            with self._lock:
                del self._running[key]
            result.set_exception(error)  # every waiter is told; nothing is kept, so the next ask computes again
            release_memory()
            raise
        with self._lock:
            self._done[key] = evaluation
            while len(self._done) > self.kept:
                self._done.popitem(last=False)
            del self._running[key]
        result.set_result(evaluation)
        seconds = time.perf_counter() - started
        log.info("evaluated %d photos in %.1f s, for every session", len(evaluation.paths), seconds)
        release_memory()  # the decoded batches and TensorFlow's buffers: large, and now garbage
        return evaluation


def accuracy(evaluation: Evaluation, threshold: float = DOG_THRESHOLD) -> float | None:
    """The share of photos labelled right at this threshold; None for no photos."""
    if not len(evaluation.labels):
        return None
    return float(np.mean(evaluation.said(threshold) == evaluation.labels))


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson's score interval for a proportion (95% by default).

    Unlike p ± z·sqrt(p(1-p)/n), it stays inside [0, 1] and is not zero-width at 0 or n successes,
    which matters for a good model on a few hundred photos.
    """
    if n <= 0:
        raise ValueError("an interval needs at least one photo")
    p = successes / n
    shrink = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / shrink
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / shrink
    return max(0.0, centre - half), min(1.0, centre + half)


def confusion(evaluation: Evaluation, threshold: float = DOG_THRESHOLD) -> np.ndarray:
    """(2, 2) counts: confusion[true label, said label], rows cat then dog."""
    counts = np.zeros((len(CLASS_NAMES), len(CLASS_NAMES)), int)
    np.add.at(counts, (evaluation.labels, evaluation.said(threshold)), 1)
    return counts


def roc_point(evaluation: Evaluation, threshold: float = DOG_THRESHOLD) -> tuple[float, float]:
    """(false positive rate, true positive rate) at this threshold: cats said dog, dogs said dog."""
    (cats_said_cat, cats_said_dog), (dogs_said_cat, dogs_said_dog) = confusion(evaluation, threshold)
    return cats_said_dog / max(1, cats_said_cat + cats_said_dog), dogs_said_dog / max(1, dogs_said_cat + dogs_said_dog)


def roc_curve(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(false positive rates, true positive rates, thresholds), from (0, 0) to (1, 1).

    One point per distinct score t, for "dog when the score is at least t"; the first point's
    threshold is +inf (nothing said dog). Raises ValueError without both classes: there is no curve.
    """
    labels, scores = np.asarray(labels).astype(bool), np.asarray(scores, float)
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if not positives or not negatives:
        raise ValueError("a ROC curve needs photos of both classes")
    order = np.argsort(-scores, kind="stable")
    scores, labels = scores[order], labels[order]
    last_of_each_score = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]  # tied photos move together
    true_positives = np.cumsum(labels)[last_of_each_score]
    false_positives = np.cumsum(~labels)[last_of_each_score]
    return (
        np.r_[0.0, false_positives / negatives],
        np.r_[0.0, true_positives / positives],
        np.r_[np.inf, scores[last_of_each_score]],
    )


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    """Area under the ROC curve: the chance that a random dog scores above a random cat (a tie counts half).

    1 is a perfect ranking, 0.5 a coin's; None without both classes.
    """
    try:
        false_positive_rates, true_positive_rates, _ = roc_curve(labels, scores)
    except ValueError:
        return None
    widths = np.diff(false_positive_rates)
    return float(np.sum(widths * (true_positive_rates[1:] + true_positive_rates[:-1]) / 2))  # trapezoids


def most_confident_mistakes(evaluation: Evaluation, threshold: float = DOG_THRESHOLD, count: int = 6) -> list[int]:
    """Indices of the wrongly labelled photos, the surest first: a cat at 99% dog before a cat at 60% dog."""
    wrong = np.flatnonzero(evaluation.said(threshold) != evaluation.labels)
    distance_from_truth = np.abs(evaluation.dog_probabilities[wrong] - evaluation.labels[wrong])
    return wrong[np.argsort(-distance_from_truth, kind="stable")][:count].tolist()


def least_certain(evaluation: Evaluation, threshold: float = DOG_THRESHOLD, count: int = 6) -> list[int]:
    """Indices of the photos closest to the threshold, the closest first: a small nudge would flip them."""
    closeness = np.abs(evaluation.dog_probabilities - threshold)
    return np.argsort(closeness, kind="stable")[:count].tolist()


def cell_photos(
    evaluation: Evaluation, true_label: int, said_label: int, threshold: float = DOG_THRESHOLD
) -> list[int]:
    """Indices of the photos in one confusion cell, the furthest from their true label first.

    In a cell of mistakes that is the surest mistake first; in a right cell, the narrowest escape.
    """
    members = np.flatnonzero((evaluation.labels == true_label) & (evaluation.said(threshold) == said_label))
    distance_from_truth = np.abs(evaluation.dog_probabilities[members] - true_label)
    return members[np.argsort(-distance_from_truth, kind="stable")].tolist()


def per_photo(evaluation: Evaluation, threshold: float = DOG_THRESHOLD) -> list[dict]:
    """One row per photo: path, true label, dog probability (4 decimals), predicted label, correct."""
    said = evaluation.said(threshold)
    return [
        {
            "path": path,
            "true label": CLASS_NAMES[label],
            "dog probability": round(float(probability), 4),
            "predicted label": CLASS_NAMES[said_label],
            "correct": bool(label == said_label),
        }
        for path, label, probability, said_label in zip(
            evaluation.paths, evaluation.labels, evaluation.dog_probabilities, said
        )
    ]


def evaluate_folder(classifier: Classifier, folder: str | Path) -> dict:
    """Accuracy, confusion matrix (rows: true cat, dog; columns: said cat, dog) and unreadable files."""
    evaluation = evaluate_photos(classifier, labelled_photos(folder))
    return {
        "accuracy": accuracy(evaluation),
        "n": len(evaluation.labels),
        "confusion": confusion(evaluation).tolist(),
        "unreadable": [path for path, _ in evaluation.unreadable],
    }
