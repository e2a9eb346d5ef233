"""Is this a cat or a dog at all? How far a photo lies from the training photos in a pretrained backbone's features.

A two-class model has to share every input between cat and dog, so a car still gets "dog 73%".
The pretrained model's pooled backbone features (1280 numbers a photo for MobileNetV2) describe
what a photo looks like; a photo whose features lie far from those of the training photos of the
class it was given is probably neither. The training photos are kept together with varied views of
them (turned, cropped, dim, tinted, blurred, noisy, compressed: as phones take pets), and the
threshold is set on the validation photos and their varied views, a pet small in a big frame among
them, so that phone photos of real pets are rarely flagged (bench/neither_calibration.py). Drawings,
icons and screenshots closest to pets in features are still mostly flat colour, which photos are not:
that adds to their distance (flat_colour_margin).
The detector needs no TensorFlow where its model's LiteRT layers are saved (catdog.lite); fitting it
does (catdog.neither_fit).
Calibrate: python -m catdog calibrate-neither --model models/catdog.keras --data ../shared/data/cats_vs_dogs_small
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from catdog.config import (
    BUNDLED_MODEL,
    DOG_THRESHOLD,
    NEITHER_DIRECTIONS,
    NEITHER_FLAG_RATE,
    NEITHER_FLAT_FROM,
    NEITHER_FLAT_WEIGHT,
    NEITHER_NEIGHBOURS,
    NEITHER_SUFFIX,
)
from catdog.lite import LiteModel
from catdog.photos import PhotoSource, load_photo, model_input

Photos = Sequence[Image.Image | PhotoSource] | np.ndarray  # photos or files, or pixels (n, size, size, 3) uint8

_MODEL_LOAD = threading.Lock()  # a detector shared by many classifiers loads its model once


def detector_path(model_path: str | Path) -> Path:
    """Where a model's detector lives: models/catdog.keras → models/catdog.neither.npz."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.stem + NEITHER_SUFFIX)


@dataclass
class NeitherDetector:
    """The training photos' features and a distance threshold: "does this look like the pets seen in training?"

    A photo's distance: the mean cosine distance to its NEITHER_NEIGHBOURS most similar training
    photos (or varied views of them) of the class the model gave it. Features are compared within
    the NEITHER_DIRECTIONS directions along which the training photos' features vary most: a photo's
    share outside them counts as distance, which is where drawings, textures and objects lie, and
    the file stays small. Chosen by bench/neither_calibration.py and docs/models.md.
    """

    directions: np.ndarray  # (channels, directions) float32: orthonormal, the training features' main directions
    bank: np.ndarray  # (training views, directions) float32: each view's unit-length features, projected
    classes: np.ndarray  # (training views,) int: 0 cat, 1 dog, the class of each row of bank
    threshold: float  # a distance above this is "neither"
    flag_rate: float  # the share of validation photos and their views above the threshold when it was set
    photos: int  # training photos the bank was made of (each with NEITHER_TRAINING_VIEWS varied views)
    model_path: Path  # the pretrained model whose features these are
    neighbours: int = NEITHER_NEIGHBOURS
    # A LiteModel, or a Keras model pixels → (probability, features) (catdog.model).
    _model: object | None = field(default=None, repr=False)

    @classmethod
    def fit(
        cls,
        training: tuple[np.ndarray, np.ndarray],
        validation: tuple[np.ndarray, np.ndarray],
        model_path: str | Path,
        flag_rate: float = NEITHER_FLAG_RATE,
        photos: int | None = None,
    ) -> NeitherDetector:
        """Keep training (features (n, channels), classes (n,)); set the threshold on validation (features,
        dog probabilities), so that `flag_rate` of those are flagged. photos: how many training photos
        the rows came from (default: one per row)."""
        features, classes = np.asarray(training[0], np.float32), np.asarray(training[1]).astype(int)
        unit = _unit(features)
        _, spread, right = np.linalg.svd(unit, full_matrices=False)  # uncentred: the directions pets' features span
        spanned = int(np.sum(spread > spread[0] * 1e-6))  # fewer photos than channels span fewer directions
        directions = _as_saved(right[: min(NEITHER_DIRECTIONS, spanned)].T)
        bank = _as_saved(unit @ directions)
        detector = cls(directions, bank, classes, np.inf, flag_rate, photos or len(classes), Path(model_path))
        detector.threshold = float(np.quantile(detector.distance(*validation), 1 - flag_rate))
        return detector

    def distance(self, features: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
        """(n,) mean cosine distances of features (n, channels) to the nearest training views of the class
        each dog probability (n,) says: 0 alike, 1 unlike."""
        projected = _unit(features) @ self.directions  # (n, directions): shorter the more lies outside them
        said = (np.asarray(probabilities).reshape(-1) >= DOG_THRESHOLD).astype(int)
        distances = np.ones(len(projected), np.float32)
        for label in np.unique(said):
            rows, bank = said == label, self.bank[self.classes == label]
            nearest = min(self.neighbours, len(bank))
            if nearest == 0:
                continue  # no training photo of that class: unlike anything seen
            similarity = projected[rows] @ bank.T  # (photos of this class, training views of it)
            distances[rows] = 1 - np.partition(similarity, -nearest, axis=1)[:, -nearest:].mean(axis=1)
        return distances

    def judge(self, features: np.ndarray, probabilities: np.ndarray, pixels: np.ndarray) -> np.ndarray:
        """(n,) what `threshold` is compared with: each photo's distance, plus flat colour's margin of its model
        input pixels (n, size, size, 3) uint8."""
        return self.distance(features, probabilities) + flat_colour_margin(pixels)

    def features(self, photos: Photos) -> tuple[np.ndarray, np.ndarray]:
        """(dog probabilities (n,), features (n, channels)) from the detector's model, in one pass.

        Raises PhotoError for a file that is not a readable photo.
        """
        return self._read(self.inputs(photos))

    def score(self, photos: Photos) -> np.ndarray:
        """judge() of photos, files or pixels: above `threshold` is "neither"."""
        pixels = self.inputs(photos)
        probabilities, features = self._read(pixels)
        return self.judge(features, probabilities, pixels)

    def _read(self, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        model = self.model
        if isinstance(model, LiteModel):
            return model.read(pixels)[:2]
        from catdog.model import probabilities_and_features

        return probabilities_and_features(model, pixels)

    def is_neither(self, photo: Image.Image | PhotoSource | np.ndarray) -> bool:
        """True when one photo (or its pixels, (height, width, 3) uint8) is probably neither a cat nor a dog."""
        photos = photo[None] if isinstance(photo, np.ndarray) else [photo]
        return bool(self.score(photos)[0] > self.threshold)

    @property
    def model(self):
        """The pretrained model, loaded on first use: its LiteRT layers where saved beside it, else Keras."""
        with _MODEL_LOAD:
            if self._model is None:
                model = LiteModel.beside(self.model_path)
                if model is None:
                    from catdog.model import load_model

                    model = load_model(self.model_path)
                self.use_model(model)
        return self._model

    def use_model(self, model) -> None:
        """Share an already loaded copy of the detector's model (the classifier's, when they are the same file):
        a LiteModel, or a Keras model."""
        if not isinstance(model, LiteModel):
            from catdog.model import probability_and_features_model

            model = probability_and_features_model(model)
        self._model = model

    def save(self, path: str | Path) -> None:
        np.savez_compressed(
            path,
            directions=self.directions.astype(np.float16),  # as fitted: the threshold was set on these values
            bank=self.bank.astype(np.float16),
            classes=self.classes.astype(np.uint8),
            threshold=self.threshold,
            flag_rate=self.flag_rate,
            photos=self.photos,
            neighbours=self.neighbours,
            model=self.model_path.name,  # beside the detector: the pair moves together
        )

    @classmethod
    def load(cls, path: str | Path) -> NeitherDetector:
        path = Path(path)
        with np.load(path) as saved:
            return cls(
                saved["directions"].astype(np.float32),
                saved["bank"].astype(np.float32),
                saved["classes"].astype(int),
                float(saved["threshold"]),
                float(saved["flag_rate"]),
                int(saved["photos"]),
                path.with_name(str(saved["model"])),
                int(saved["neighbours"]),
            )

    def inputs(self, photos: Photos) -> np.ndarray:
        """What the detector's model receives: (n, size, size, 3) uint8 at its input size, whatever came in."""
        size = int(self.model.input_shape[1])
        if isinstance(photos, np.ndarray) and photos.shape[1:] == (size, size, 3):
            return photos.astype(np.uint8, copy=False)
        images = [_as_photo(photo) for photo in photos]
        if not images:
            return np.zeros((0, size, size, 3), np.uint8)
        return np.stack([model_input(image, size) for image in images])


def for_model(model_path: str | Path) -> NeitherDetector:
    """The detector saved beside a model, else the bundled model's.

    A model without a pretrained backbone (the convnet from scratch) has none of its own: the
    bundled model's ImageNet features judge what its photos look like.
    """
    own = detector_path(model_path)
    path = own if own.is_file() else detector_path(BUNDLED_MODEL)
    return _loaded_detector(str(path.resolve()), path.stat().st_mtime)


@functools.lru_cache(maxsize=8)
def _loaded_detector(path: str, modified: float) -> NeitherDetector:
    """One detector per file version: every model that falls back to the bundled one shares it, and with
    it one copy of the bundled model's backbone (about 0.1 GB), rather than loading its own."""
    return NeitherDetector.load(path)


def flat_share(pixels: np.ndarray) -> np.ndarray:
    """(n,) the share of each image's pixels (n, height, width, 3) that equal their right and lower neighbours.

    Sensor noise and texture make neighbouring pixels of a photo differ, even in a smooth wall; a drawing,
    an icon or a screenshot repeats one colour exactly across whole areas. Each pixel's three bytes are
    compared as one 32-bit number: 0.5 ms for a 224 px photo, against 2 ms channel by channel.
    """
    pixels = np.asarray(pixels, np.uint8)
    n, height, width = pixels.shape[:3]
    if height < 2 or width < 2:
        return np.zeros(n, np.float32)
    padded = np.zeros((n, height, width, 4), np.uint8)
    padded[..., :3] = pixels
    colours = padded.view(np.uint32)[..., 0]  # (n, height, width): one number per colour
    here = colours[:, :-1, :-1]
    same = (colours[:, :-1, 1:] == here) & (colours[:, 1:, :-1] == here)
    return same.mean(axis=(1, 2)).astype(np.float32)


def flat_colour_margin(pixels: np.ndarray) -> np.ndarray:
    """(n,) what a mostly flat-coloured image adds to its distance: 0 for photos (config.NEITHER_FLAT_FROM)."""
    return (NEITHER_FLAT_WEIGHT * np.maximum(0, flat_share(pixels) - NEITHER_FLAT_FROM)).astype(np.float32)


def _unit(features: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (float32): cosine similarity becomes a dot product. An all-zero row stays zero."""
    features = np.asarray(features, np.float32)
    return features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)


def _as_saved(values: np.ndarray) -> np.ndarray:
    """float32 values rounded as the file keeps them (float16), so a threshold fitted here holds after loading."""
    return np.asarray(values, np.float16).astype(np.float32)


def _as_photo(photo: Image.Image | PhotoSource | np.ndarray) -> Image.Image:
    """An RGB photo from a photo, a file (raises PhotoError if unreadable) or pixels (height, width[, 3])."""
    if isinstance(photo, np.ndarray):
        return Image.fromarray(np.asarray(photo, np.uint8)).convert("RGB")
    if isinstance(photo, Image.Image):
        return photo.convert("RGB")
    return load_photo(photo)
