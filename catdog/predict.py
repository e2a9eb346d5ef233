"""Classify photos with a saved model (.keras, or an exported .tflite): the verdict, and where the model looked.

TensorFlow is imported only for a Keras model (catdog.model, .neither and .explain import it): a .tflite
file classifies through LiteRT alone, and `python -m catdog predict` of one starts seconds sooner.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from catdog.photos import PhotoSource, load_photo, model_input
from catdog.runs import RunRecord, read_record
from catdog.tflite import TFLiteModel
from catdog.wording import label_of, verdict

if TYPE_CHECKING:
    from catdog.neither import NeitherDetector


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
        if path.suffix.lower() == ".tflite":
            model = TFLiteModel.load(path)
            return cls(model, path, int(model.input_shape[1]), read_record(path))
        from catdog.model import load_model
        from catdog.neither import for_model

        model = load_model(path)
        detector = None
        if check_neither:
            detector = for_model(path)
            if detector.model_path.resolve() == path.resolve():
                detector.use_model(model)
        classifier = cls(model, path, int(model.input_shape[1]), read_record(path), detector)
        # Trace now, not on a visitor's photo, and only what classify calls: one graph for the bundled model, not two.
        classifier.classify_pixels(np.zeros((classifier.image_size, classifier.image_size, 3), np.uint8))
        return classifier

    def classify(self, source: PhotoSource) -> Prediction:
        """Raises PhotoError for anything that is not a readable photo."""
        started = time.perf_counter()
        prediction = self.classify_photo(load_photo(source))
        prediction.seconds = time.perf_counter() - started
        return prediction

    def classify_photo(self, photo: Image.Image) -> Prediction:
        """An upright RGB photo (from load_photo) already in memory: what a page keeps for its visitor."""
        started = time.perf_counter()
        prediction = self.classify_pixels(model_input(photo, self.image_size), photo)
        prediction.seconds = time.perf_counter() - started
        return prediction

    def classify_pixels(self, pixels: np.ndarray, photo: Image.Image | None = None) -> Prediction:
        """One model input (size, size, 3) uint8; `photo`, the photo it came from, for another model's detector."""
        started = time.perf_counter()
        detector, distance = self.detector, None
        if detector is not None and detector.model_path.resolve() == self.path.resolve():
            probabilities, features = detector.features(pixels[None])  # one pass: the verdict and the features
            probability, distance = float(probabilities[0]), float(detector.distance(features, probabilities)[0])
        else:
            probability = float(self.dog_probabilities(pixels[None])[0])
            if detector is not None:
                distance = float(detector.score([pixels if photo is None else photo])[0])
        threshold = None if detector is None else detector.threshold
        return Prediction(pixels, probability, time.perf_counter() - started, distance, threshold)

    def dog_probabilities(self, pixels: np.ndarray) -> np.ndarray:
        """(n,) float32 dog probabilities for model inputs (n, size, size, 3) uint8."""
        if isinstance(self.model, TFLiteModel):
            return self.model.dog_probabilities(pixels)
        from catdog.model import predict_dog_probability

        return predict_dog_probability(self.model, pixels)

    @property
    def explains(self) -> bool:
        """Whether heatmap() works: a Keras model can show where it looked; an exported .tflite file cannot."""
        return not isinstance(self.model, TFLiteModel)

    def heatmap(self, pixels: np.ndarray) -> np.ndarray:
        """Where the model looked in one model input (size, size, 3) uint8: Grad-CAM, (h, w) in [0, 1].

        Its first call traces the model's Grad-CAM (a few CPU seconds for MobileNetV2): call it only
        for a model whose heatmap will be shown.
        """
        from catdog.explain import heatmap

        return heatmap(self.model, pixels)

    def conv_layers(self) -> list[str]:
        """The model's convolutions, first to last: the layers activations() can show."""
        from catdog.explain import conv_layers

        return conv_layers(self.model)

    def activations(self, pixels: np.ndarray, layer: str) -> np.ndarray:
        """What one convolution (a name from conv_layers) outputs for one model input: (h, w, channels) float32."""
        from catdog.explain import activations

        return activations(self.model, pixels, layer)
