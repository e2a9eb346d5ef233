"""Is this a cat or a dog at all? How far a photo lies from the training photos in a pretrained backbone's features.

A two-class model has to share every input between cat and dog, so a car still gets "dog 73%".
The pretrained model's pooled backbone features (1280 numbers a photo for MobileNetV2) describe
what a photo looks like; a photo whose features lie far from both classes' training photos is
probably neither. The distance: the mean cosine distance to the 10 most similar training photos.
The threshold is set so that a chosen share of real validation photos is flagged.
Calibrate: python -m catdog calibrate-neither --model models/catdog.keras --data ../shared/data/cats_vs_dogs_small
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
from keras import layers
from PIL import Image

from catdog.config import BUNDLED_MODEL, INFERENCE_BATCH, NEITHER_FLAG_RATE, NEITHER_NEIGHBOURS, NEITHER_SUFFIX
from catdog.photos import PhotoSource, load_photo, model_input

Photos = Sequence[Image.Image | PhotoSource] | np.ndarray  # photos or files, or pixels (n, size, size, 3) uint8


def features_layer(model: keras.Model) -> layers.Layer | None:
    """The pooling right after a pretrained backbone (a nested model), whose output is the features.

    None for a model without a backbone, such as the convnet from scratch: its features were learnt
    from cats and dogs alone, so they cannot tell what else a photo might be.
    """
    after_backbone = False
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            after_backbone = True
        elif after_backbone and len(layer.output.shape) == 2:  # (batch, channels): pooled
            return layer
    return None


def probability_and_features_model(model: keras.Model) -> keras.Model:
    """pixels → (dog probability (n, 1), features (n, channels)), both from one pass through the backbone."""
    layer = features_layer(model)
    if layer is None:
        raise ValueError(f"model {model.name} has no pretrained backbone")
    return keras.Model(model.inputs, [model.outputs[0], layer.output])


def detector_path(model_path: str | Path) -> Path:
    """Where a model's detector lives: models/catdog.keras → models/catdog.neither.npz."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.stem + NEITHER_SUFFIX)


@dataclass
class NeitherDetector:
    """The training photos' features and a distance threshold: "does this look like any photo seen in training?"

    Chosen by bench/neither_calibration.py over a Mahalanobis distance to the class means: both
    flag every drawn non-pet image, and this one leaves them further above its threshold. The
    fine-tuned model's features rather than plain ImageNet's: fewer real pets flagged (1.8% against
    2.2% of the test photos), and the classifier's own pass computes them.
    """

    bank: np.ndarray  # (training photos, channels) float32: each photo's features scaled to length 1
    threshold: float  # a distance above this is "neither"
    flag_rate: float  # the share of validation photos above the threshold when it was set
    model_path: Path  # the pretrained model whose features these are
    neighbours: int = NEITHER_NEIGHBOURS
    _model: keras.Model | None = field(default=None, repr=False)  # pixels → (probability, features)

    @classmethod
    def fit(
        cls,
        train_features: np.ndarray,
        validation_features: np.ndarray,
        model_path: str | Path,
        flag_rate: float = NEITHER_FLAG_RATE,
    ) -> NeitherDetector:
        """Keep the training photos' features (n, channels); set the threshold on the validation photos'."""
        bank = _unit(train_features).astype(np.float16).astype(np.float32)  # as saved: the threshold fits the file
        detector = cls(bank, np.inf, flag_rate, Path(model_path))
        detector.threshold = float(np.quantile(detector.distance(validation_features), 1 - flag_rate))
        return detector

    def distance(self, features: np.ndarray) -> np.ndarray:
        """(n,) mean cosine distances of features (n, channels) to the nearest training photos: 0 alike, 1 unlike."""
        similarity = _unit(features) @ self.bank.T  # (n, training photos)
        nearest = np.partition(similarity, -self.neighbours, axis=1)[:, -self.neighbours :]
        return 1 - nearest.mean(axis=1)

    def features(self, photos: Photos) -> tuple[np.ndarray, np.ndarray]:
        """(dog probabilities (n,), features (n, channels)) from the detector's model, in one pass.

        Raises PhotoError for a file that is not a readable photo.
        """
        return probabilities_and_features(self.model, self._pixels(photos))

    def score(self, photos: Photos) -> np.ndarray:
        """Distances (n,) of photos, files or pixels to the training photos; above `threshold` is "neither"."""
        return self.distance(self.features(photos)[1])

    def is_neither(self, photo: Image.Image | PhotoSource | np.ndarray) -> bool:
        """True when one photo (or its pixels, (height, width, 3) uint8) is probably neither a cat nor a dog."""
        photos = photo[None] if isinstance(photo, np.ndarray) else [photo]
        return bool(self.score(photos)[0] > self.threshold)

    @property
    def model(self) -> keras.Model:
        """The pretrained model, as pixels → (probability, features), loaded on first use."""
        if self._model is None:
            from catdog.model import load_model

            self.use_model(load_model(self.model_path))
        return self._model

    def use_model(self, model: keras.Model) -> None:
        """Share an already loaded copy of the detector's model (the classifier's, when they are the same file)."""
        self._model = probability_and_features_model(model)

    def save(self, path: str | Path) -> None:
        np.savez_compressed(
            path,
            bank=self.bank.astype(np.float16),  # 4 MB rather than 10: distances move by under 0.001
            threshold=self.threshold,
            flag_rate=self.flag_rate,
            neighbours=self.neighbours,
            model=self.model_path.name,  # beside the detector: the pair moves together
        )

    @classmethod
    def load(cls, path: str | Path) -> NeitherDetector:
        path = Path(path)
        with np.load(path) as saved:
            return cls(
                saved["bank"].astype(np.float32),
                float(saved["threshold"]),
                float(saved["flag_rate"]),
                path.with_name(str(saved["model"])),
                int(saved["neighbours"]),
            )

    def _pixels(self, photos: Photos) -> np.ndarray:
        """(n, size, size, 3) uint8 at the model's input size, whatever came in."""
        size = int(self.model.input_shape[1])
        if isinstance(photos, np.ndarray) and photos.shape[1:] == (size, size, 3):
            return photos.astype(np.uint8, copy=False)
        images = [_as_photo(photo) for photo in photos]
        if not images:
            return np.zeros((0, size, size, 3), np.uint8)
        return np.stack([model_input(image, size) for image in images])


def probabilities_and_features(two_outputs: keras.Model, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(dog probabilities (n,), features (n, channels)) for pixels (n, size, size, 3) uint8, in batches."""
    probabilities, features = [], []
    for start in range(0, len(pixels), INFERENCE_BATCH):
        probability, feature = two_outputs.predict_on_batch(pixels[start : start + INFERENCE_BATCH])
        probabilities.append(np.asarray(probability, np.float32).reshape(-1))
        features.append(np.asarray(feature, np.float32))
    if not features:
        return np.zeros(0, np.float32), np.zeros((0, two_outputs.outputs[1].shape[-1]), np.float32)
    return np.concatenate(probabilities), np.concatenate(features)


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


def calibrate(model_path: str | Path, data: str | Path, flag_rate: float = NEITHER_FLAG_RATE) -> NeitherDetector:
    """A detector for a pretrained model: its training photos from data/train, its threshold from data/validation."""
    from catdog.data import decode_photos, labelled_photos
    from catdog.model import load_model

    model = load_model(model_path)
    two_outputs = probability_and_features_model(model)
    size = int(model.input_shape[1])
    train, validation = (decode_photos(labelled_photos(Path(data) / split), size) for split in ("train", "validation"))
    detector = NeitherDetector.fit(
        probabilities_and_features(two_outputs, train.pixels)[1],
        probabilities_and_features(two_outputs, validation.pixels)[1],
        model_path,
        flag_rate,
    )
    detector._model = two_outputs
    return detector


def _unit(features: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (float32): cosine similarity becomes a dot product. An all-zero row stays zero."""
    features = np.asarray(features, np.float32)
    return features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)


def _as_photo(photo: Image.Image | PhotoSource | np.ndarray) -> Image.Image:
    """An RGB photo from a photo, a file (raises PhotoError if unreadable) or pixels (height, width[, 3])."""
    if isinstance(photo, np.ndarray):
        return Image.fromarray(np.asarray(photo, np.uint8)).convert("RGB")
    if isinstance(photo, Image.Image):
        return photo.convert("RGB")
    return load_photo(photo)
