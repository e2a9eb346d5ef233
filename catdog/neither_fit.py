"""Fitting the "neither" detector (catdog.neither): a pretrained model's features of the training photos and of
varied views of them, as phones take pets. Needs TensorFlow, unlike the detector itself.

Calibrate: python -m catdog calibrate-neither --model models/catdog.keras --data ../shared/data/cats_vs_dogs_small
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from PIL import Image, ImageFilter

from catdog.augment import augment_batch
from catdog.config import (
    INFERENCE_BATCH,
    NEITHER_CALIBRATION_VIEWS,
    NEITHER_FLAG_RATE,
    NEITHER_TRAINING_VIEWS,
)
from catdog.model import probabilities_and_features, probability_and_features_model
from catdog.neither import NeitherDetector


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
