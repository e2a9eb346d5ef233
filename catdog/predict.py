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
from catdog.export import TFLiteModel
from catdog.i18n import DEFAULT_LANGUAGE, translate
from catdog.model import input_size, load_model, predict_dog_probability
from catdog.neither import NeitherDetector, for_model
from catdog.photos import PhotoSource, load_photo, model_input
from catdog.runs import RunRecord, read_record


@dataclass
class Prediction:
    pixels: np.ndarray  # (size, size, 3) uint8: exactly what the model received
    dog_probability: float
    seconds: float  # resize and model call (and decoding, for classify)
    # How unlike the training photos it looks (catdog.neither), and the detector's limit; None: not checked.
    neither_distance: float | None = None
    neither_threshold: float | None = None

    @property
    def neither(self) -> bool:
        """Probably neither a cat nor a dog: further from the training photos than the detector allows."""
        return self.neither_distance is not None and self.neither_distance > self.neither_threshold

    @property
    def label(self) -> str:
        return label_of(self.dog_probability)

    @property
    def verdict(self) -> str:
        return verdict(self.dog_probability)


def label_of(dog_probability: float) -> str:
    """The class name: dog at or above the decision threshold, else cat."""
    return CLASS_NAMES[int(dog_probability >= DOG_THRESHOLD)]


def percent(probability: float, lang: str = DEFAULT_LANGUAGE) -> str:
    """A probability for people, by one rule everywhere: whole percents, and never 0% or 100%.

    The model is never certain, so 0.9996 reads "over 99%" (not "100.0%") and 0.0002 "under 1%".
    """
    if probability > 0.99:
        return translate("percent.over_99", lang)
    if probability < 0.01:
        return translate("percent.under_1", lang)
    return f"{probability:.0%}"


def is_unsure(dog_probability: float) -> bool:
    """Near the middle, where the verdict says "not sure" rather than cat or dog."""
    low, high = UNSURE_BAND
    return low < dog_probability < high


def verdict(dog_probability: float, lang: str = DEFAULT_LANGUAGE) -> str:
    """'Dog — 88% sure', 'Cat — over 99% sure', or 'Not sure (54% dog)' near the middle."""
    if is_unsure(dog_probability):
        return translate("verdict.unsure", lang, percent=percent(dog_probability, lang))
    label = label_of(dog_probability)
    sure = dog_probability if label == "dog" else 1 - dog_probability
    return translate(f"verdict.{label}", lang, percent=percent(sure, lang))


@dataclass
class Classifier:
    """A loaded model with what it needs to turn a photo into a probability."""

    model: object  # keras.Model, or a TFLiteModel for an exported .tflite file
    path: Path
    image_size: int
    record: RunRecord | None  # how it was trained, when its run record was saved beside it
    detector: NeitherDetector | None = None  # says when a photo is neither a cat nor a dog

    @classmethod
    def load(cls, path: str | Path, check_neither: bool = True) -> Classifier:
        """A .keras model, or a .tflite file exported from one: both classify through the same calls.

        check_neither: a .keras model also gets its "neither" detector (catdog.neither.for_model).
        The bundled pretrained model's detector shares the loaded model, so one pass gives both the
        probability and the features; any other model's detector brings the bundled model's backbone.
        """
        path = Path(path)
        tflite = path.suffix.lower() == ".tflite"
        model = TFLiteModel.load(path) if tflite else load_model(path)
        size = input_size(model)
        predict_dog_probability(model, np.zeros((1, size, size, 3), np.uint8))  # trace now, not on a visitor's photo
        detector = None
        if check_neither and not tflite:
            detector = for_model(path)
            if detector.model_path.resolve() == path.resolve():
                detector.use_model(model)
        return cls(model, path, size, read_record(path), detector)

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
        detector, distance = self.detector, None
        if detector is not None and detector.model_path.resolve() == self.path.resolve():
            probabilities, features = detector.features(pixels[None])  # one pass: the verdict and the features
            probability, distance = float(probabilities[0]), float(detector.distance(features)[0])
        else:
            probability = float(predict_dog_probability(self.model, pixels[None])[0])
            if detector is not None:
                distance = float(detector.score([photo])[0])
        threshold = None if detector is None else detector.threshold
        return Prediction(pixels, probability, time.perf_counter() - started, distance, threshold)


def evaluate_folder(model_path: str | Path, folder: str | Path) -> dict:
    """Accuracy, confusion matrix (rows: true cat, dog; columns: said cat, dog) and unreadable files."""
    evaluation = evaluate_photos(Classifier.load(model_path), labelled_photos(folder))
    return {
        "accuracy": accuracy(evaluation),
        "n": len(evaluation.labels),
        "confusion": confusion(evaluation).tolist(),
        "unreadable": [path for path, _ in evaluation.unreadable],
    }
