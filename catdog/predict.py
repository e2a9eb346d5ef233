"""Classify photos with a saved model: one photo, many photos, or a whole labelled folder."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from catdog.config import CLASS_NAMES, DOG_THRESHOLD, UNSURE_BAND
from catdog.data import decode_photos, labelled_photos
from catdog.model import input_size, load_model, predict_dog_probability
from catdog.photos import PhotoSource, load_photo, model_input
from catdog.runs import RunRecord, read_record


@dataclass
class Prediction:
    photo: Image.Image  # upright RGB, at most MAX_SIDE pixels a side
    pixels: np.ndarray  # (size, size, 3) uint8: exactly what the model received
    dog_probability: float
    seconds: float  # decode, resize and model call together

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


def verdict(dog_probability: float) -> str:
    """'Dog — 88% sure', 'Cat — over 99% sure', or 'Not sure (54% dog)' near the middle."""
    low, high = UNSURE_BAND
    if low < dog_probability < high:
        return f"Not sure ({dog_probability:.0%} dog)"
    label = label_of(dog_probability)
    sure = dog_probability if label == "dog" else 1 - dog_probability
    return f"{label.capitalize()} — {'over 99%' if sure > 0.99 else f'{sure:.0%}'} sure"


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
        photo = load_photo(source)
        pixels = model_input(photo, self.image_size)
        probability = float(predict_dog_probability(self.model, pixels[None])[0])
        return Prediction(photo, pixels, probability, time.perf_counter() - started)


def evaluate_folder(model_path: str | Path, folder: str | Path) -> dict:
    """Accuracy, confusion matrix (rows: true cat, dog; columns: said cat, dog) and unreadable files."""
    classifier = Classifier.load(model_path)
    photos = decode_photos(labelled_photos(folder), classifier.image_size)
    said = (predict_dog_probability(classifier.model, photos.pixels) >= DOG_THRESHOLD).astype(int)
    true = photos.labels.astype(int)
    confusion = np.zeros((len(CLASS_NAMES), len(CLASS_NAMES)), int)
    np.add.at(confusion, (true, said), 1)  # confusion[true label, said label]
    n = len(photos.labels)
    return {
        "accuracy": float(np.mean(said == true)) if n else None,
        "n": n,
        "confusion": confusion.tolist(),
        "unreadable": [path for path, _ in photos.unreadable],
    }
