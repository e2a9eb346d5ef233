"""Is this a cat or a dog at all? How far a photo lies from the training photos in a pretrained backbone's features.

A two-class model has to share every input between cat and dog, so a car still gets "dog 73%".
The pretrained model's pooled backbone features (1280 numbers a photo for MobileNetV2) describe
what a photo looks like; a photo whose features lie far from those of the training photos of the
class it was given is probably neither. The training photos are kept together with varied views of
them (turned, cropped, dim, tinted, blurred, noisy, compressed: as phones take pets), and the
threshold is set on the validation photos and their varied views, a pet small in a big frame among
them, so that phone photos of real pets are rarely flagged (bench/neither_calibration.py).
Calibrate: python -m catdog calibrate-neither --model models/catdog.keras --data ../shared/data/cats_vs_dogs_small
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers
from PIL import Image, ImageFilter

from catdog.augment import augment_batch
from catdog.config import (
    BUNDLED_MODEL,
    DOG_THRESHOLD,
    INFERENCE_BATCH,
    NEITHER_CALIBRATION_VIEWS,
    NEITHER_DIRECTIONS,
    NEITHER_FLAG_RATE,
    NEITHER_NEIGHBOURS,
    NEITHER_SUFFIX,
    NEITHER_TRAINING_VIEWS,
)
from catdog.model import traced_call
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
    return keras.Model(model.input, [model.outputs[0], layer.output])  # one input, as the model's: no list


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
    _model: keras.Model | None = field(default=None, repr=False)  # pixels → (probability, features)

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

    def features(self, photos: Photos) -> tuple[np.ndarray, np.ndarray]:
        """(dog probabilities (n,), features (n, channels)) from the detector's model, in one pass.

        Raises PhotoError for a file that is not a readable photo.
        """
        return probabilities_and_features(self.model, self.inputs(photos))

    def score(self, photos: Photos) -> np.ndarray:
        """Distances (n,) of photos, files or pixels to the training photos; above `threshold` is "neither"."""
        probabilities, features = self.features(photos)
        return self.distance(features, probabilities)

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


def probabilities_and_features(two_outputs: keras.Model, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(dog probabilities (n,), features (n, channels)) for pixels (n, size, size, 3) uint8, in batches."""
    call = traced_call(two_outputs)
    probabilities, features = [], []
    for start in range(0, len(pixels), INFERENCE_BATCH):
        probability, feature = call(tf.constant(pixels[start : start + INFERENCE_BATCH]))
        probabilities.append(np.asarray(probability, np.float32).reshape(-1))
        features.append(np.asarray(feature, np.float32))
    if not features:
        return np.zeros(0, np.float32), np.zeros((0, two_outputs.outputs[1].shape[-1]), np.float32)
    return np.concatenate(probabilities), np.concatenate(features)


def varied_views(
    pixels: np.ndarray, views: int, seed: int, small_in_frame: bool = False
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """`views` varied views of each photo (n, size, size, 3) uint8: (which photos (b,), views (b, size, size, 3)).

    A view is turned, zoomed, shifted and flipped by the training's augmentation, then lit, tinted,
    blurred, noised and compressed as phones take photos; small_in_frame also shrinks the pet onto a
    blurred corner of another photo, as in a photo of a whole room. Made INFERENCE_BATCH photos at a
    time, so memory stays flat on a split of any size.
    """
    rng = np.random.default_rng(seed)
    for start in range(0, len(pixels), INFERENCE_BATCH):
        batch = pixels[start : start + INFERENCE_BATCH]
        for view in range(views):
            warped = augment_batch(tf.constant(batch), tf.constant([seed, start * views + view], tf.int64)).numpy()
            if small_in_frame:
                warped = _small_in_frame(warped, rng)
            yield np.arange(start, start + len(batch)), _as_phones_take_them(warped, rng)


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
    """A detector for a pretrained model: data/train and varied views of it as the bank, the threshold from
    data/validation and its varied views (a few minutes for 3,000 photos on 2 cores: every view is a pass)."""
    from catdog.data import decode_photos, labelled_photos
    from catdog.model import load_model

    two_outputs = probability_and_features_model(load_model(model_path))
    size = int(two_outputs.input_shape[1])
    train, validation = (decode_photos(labelled_photos(Path(data) / split), size) for split in ("train", "validation"))
    _, train_features = probabilities_and_features(two_outputs, train.pixels)
    which, _, view_features = _views_features(two_outputs, train.pixels, NEITHER_TRAINING_VIEWS, seed=0)
    training = np.concatenate([train_features, view_features]), np.concatenate([train.labels, train.labels[which]])
    judged = [
        probabilities_and_features(two_outputs, validation.pixels),
        _views_features(two_outputs, validation.pixels, NEITHER_CALIBRATION_VIEWS, seed=1)[1:],
        _views_features(two_outputs, validation.pixels, 1, seed=2, small_in_frame=True)[1:],
    ]
    features, probabilities = (np.concatenate([part[index] for part in judged]) for index in (1, 0))
    detector = NeitherDetector.fit(training, (features, probabilities), model_path, flag_rate, len(train.pixels))
    detector._model = two_outputs
    return detector


def _views_features(
    two_outputs: keras.Model, pixels: np.ndarray, views: int, seed: int, small_in_frame: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(which photo each view is of (m,), dog probabilities (m,), features (m, channels)) of varied_views."""
    parts = [
        (which, *probabilities_and_features(two_outputs, batch))
        for which, batch in varied_views(pixels, views, seed, small_in_frame)
    ]
    if not parts:
        return np.zeros(0, int), *probabilities_and_features(two_outputs, pixels[:0])
    return tuple(np.concatenate(column) for column in zip(*parts))


def _as_phones_take_them(pixels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each photo (n, size, size, 3) uint8 darker or brighter, often tinted, blurred or noisy, sometimes grey,
    always JPEG-compressed: the ways phone photos of pets differ from the dataset's."""
    views = []
    for photo in pixels.astype(np.float32):
        photo *= np.exp(rng.uniform(np.log(0.3), np.log(1.8)))  # dim room to overexposed
        if rng.random() < 0.5:
            photo *= rng.uniform(0.6, 1.25, 3)  # a lamp's or a screen's colour cast
        if rng.random() < 0.15:
            photo = np.repeat(photo.mean(axis=2, keepdims=True), 3, axis=2)
        if rng.random() < 0.5:
            photo += rng.normal(0, rng.uniform(2, 15), photo.shape)  # sensor noise in low light
        image = Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8))
        if rng.random() < 0.5:
            image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 2.0)))  # shake or focus
        compressed = io.BytesIO()
        image.save(compressed, "JPEG", quality=int(rng.integers(20, 95)))
        views.append(np.asarray(Image.open(compressed).convert("RGB")))
    return np.stack(views)


def _small_in_frame(pixels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each photo (n, size, size, 3) uint8 shrunk to 35-70% a side, somewhere on a blurred, enlarged corner of
    another photo of the batch: a pet across a room, on a floor or a sofa like the dataset's."""
    n, size = len(pixels), pixels.shape[1]
    framed = []
    for index, photo in enumerate(pixels):
        other = pixels[(index + 1 + rng.integers(max(n - 1, 1))) % n]
        side = int(size * rng.uniform(0.3, 0.5))
        left, top = rng.integers(0, size - side + 1, 2)
        background = Image.fromarray(other).crop((left, top, left + side, top + side))
        background = background.resize((size, size), Image.Resampling.BILINEAR)
        background = background.filter(ImageFilter.GaussianBlur(rng.uniform(1, 4)))
        shrunk = Image.fromarray(photo).resize((int(size * rng.uniform(0.35, 0.7)),) * 2, Image.Resampling.BILINEAR)
        background.paste(shrunk, tuple(int(v) for v in rng.integers(0, size - shrunk.width + 1, 2)))
        framed.append(np.asarray(background))
    return np.stack(framed)


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
