"""Classify photos with a saved model: one photo, many photos, or a whole labelled folder."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from catdog.config import CLASS_NAMES, DOG_THRESHOLD, UNSURE_BAND
from catdog.data import labelled_photos
from catdog.evaluation import accuracy, confusion, evaluate_photos
from catdog.model import input_size, load_model, predict_dog_probability
from catdog.photos import PhotoSource, load_photo, model_input
from catdog.runs import RunRecord, read_record


@dataclass
class Prediction:
    pixels: np.ndarray  # (size, size, 3) uint8: exactly what the model received
    dog_probability: float
    seconds: float  # resize and model call (and decoding, for classify)

    @property
    def label(self) -> str:
        return label_of(self.dog_probability)

    @property
    def verdict(self) -> str:
        return verdict(self.dog_probability)


@dataclass
class Unreadable:
    """A photo that could not be classified, and why, in words for a person."""

    reason: str


def label_of(dog_probability: float) -> str:
    """The class name: dog at or above the decision threshold, else cat."""
    return CLASS_NAMES[int(dog_probability >= DOG_THRESHOLD)]


def percent(probability: float) -> str:
    """A probability for people, by one rule everywhere: whole percents, and never 0% or 100%.

    The model is never certain, so 0.9996 reads "over 99%" (not "100.0%") and 0.0002 "under 1%".
    """
    if probability > 0.99:
        return "over 99%"
    if probability < 0.01:
        return "under 1%"
    return f"{probability:.0%}"


def verdict(dog_probability: float) -> str:
    """'Dog — 88% sure', 'Cat — over 99% sure', or 'Not sure (54% dog)' near the middle."""
    low, high = UNSURE_BAND
    if low < dog_probability < high:
        return f"Not sure ({percent(dog_probability)} dog)"
    label = label_of(dog_probability)
    sure = dog_probability if label == "dog" else 1 - dog_probability
    return f"{label.capitalize()} — {percent(sure)} sure"


@dataclass
class Classifier:
    """A loaded model with what it needs to turn a photo into a probability."""

    model: object  # keras.Model
    path: Path
    image_size: int
    record: RunRecord | None  # how it was trained, when its run record was saved beside it

    @classmethod
    def load(cls, path: str | Path) -> Classifier:
        model = load_model(path)
        size = input_size(model)
        predict_dog_probability(model, np.zeros((1, size, size, 3), np.uint8))  # trace now, not on a visitor's photo
        return cls(model, Path(path), size, read_record(path))

    def classify(self, source: PhotoSource) -> Prediction:
        """Raises PhotoError for anything that is not a readable photo."""
        started = time.perf_counter()
        prediction = self.classify_photo(load_photo(source))
        prediction.seconds = time.perf_counter() - started
        return prediction

    def classify_photo(self, photo: Image.Image) -> Prediction:
        """An upright RGB photo (from load_photo) already in memory: what a page keeps for its visitor."""
        started = time.perf_counter()
        pixels = model_input(photo, self.image_size)
        probability = float(predict_dog_probability(self.model, pixels[None])[0])
        return Prediction(pixels, probability, time.perf_counter() - started)


def evaluate_folder(model_path: str | Path, folder: str | Path) -> dict:
    """Accuracy, confusion matrix (rows: true cat, dog; columns: said cat, dog) and unreadable files."""
    evaluation = evaluate_photos(Classifier.load(model_path), labelled_photos(folder))
    return {
        "accuracy": accuracy(evaluation),
        "n": len(evaluation.labels),
        "confusion": confusion(evaluation).tolist(),
        "unreadable": [path for path, _ in evaluation.unreadable],
    }
