"""How good is a model on labelled photos: each photo's dog probability, and the numbers that follow from them.

Dog (label 1) is the positive class: a dog probability at or above the threshold says dog.
Everything but evaluate_photos is NumPy on the stored probabilities, so moving a threshold is free.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from catdog.config import CLASS_NAMES, DOG_THRESHOLD, INFERENCE_BATCH
from catdog.data import decode_photos, labelled_photos

if TYPE_CHECKING:
    from catdog.predict import Classifier

Z_95 = 1.959964  # the standard normal quantile of a two-sided 95% interval


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
