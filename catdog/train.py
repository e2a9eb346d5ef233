"""Train a convnet from scratch on a dataset folder and save it with a metadata file beside it."""

from __future__ import annotations

import math
import os
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import keras
import numpy as np
import tensorflow as tf

from catdog.config import CLASS_NAMES, TrainConfig
from catdog.data import (
    DatasetError,
    DecodedPhotos,
    decode_photos,
    find_dataset,
    limit_per_class,
)
from catdog.model import (
    build_model,
    choose_precision,
    predict_dog_probability,
)
from catdog.runs import metadata_path, write_json_atomically


class TrainingListener(Protocol):
    """What a caller (the Train page's job) hears while a model trains."""

    def on_train_begin(self, batches_per_epoch: int) -> None: ...
    def on_batch_end(self, epoch: int, batch: int, logs: dict) -> None: ...
    def on_epoch_end(self, record: dict) -> None: ...


class EpochLog(keras.callbacks.Callback):
    """Keeps each epoch's metrics and wall time, and the weights of the best validation epoch."""

    def __init__(self, listener: TrainingListener | None = None) -> None:
        super().__init__()
        self.listener = listener
        self.history: list[dict] = []
        self.best_weights: list[np.ndarray] | None = None
        self._epoch = 0
        self._started = 0.0

    def on_train_begin(self, logs=None):
        if self.listener:
            self.listener.on_train_begin(self.params.get("steps") or 0)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch + 1
        self._started = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if self.listener:
            self.listener.on_batch_end(self._epoch, batch + 1, {k: float(v) for k, v in (logs or {}).items()})

    def on_epoch_end(self, epoch, logs=None):
        record = {"epoch": epoch + 1, "seconds": round(time.perf_counter() - self._started, 2)}
        record.update({k: round(float(v), 4) for k, v in (logs or {}).items() if k != "learning_rate"})
        self.history.append(record)
        if record.get("val_accuracy", -1) >= max(r.get("val_accuracy", -1) for r in self.history):
            self.best_weights = self.model.get_weights()
        if self.listener:
            self.listener.on_epoch_end(record)


class StopFlag(keras.callbacks.Callback):
    """Ends training after the current batch once `stop` is set (by a user pressing Stop)."""

    def __init__(self, stop: threading.Event) -> None:
        super().__init__()
        self.stop = stop

    def on_train_batch_end(self, batch, logs=None):
        if self.stop.is_set():
            self.model.stop_training = True


def train(
    config: TrainConfig,
    data_dir: str | Path,
    out_path: str | Path,
    listener: TrainingListener | None = None,
    stop: threading.Event | None = None,  # or multiprocessing's Event, from a parent process
    verbose: int = 0,
    command: str = "",
) -> dict:
    """Train, keep the best validation epoch, score the test split if any, save; returns the metadata."""
    started = time.perf_counter()
    dataset = find_dataset(data_dir)
    train_items = limit_per_class(dataset.splits.get("train", []), config.limit_per_class)
    val_items = dataset.splits.get("validation", [])
    for split, items in (("train", train_items), ("validation", val_items)):
        missing = [name for i, name in enumerate(CLASS_NAMES) if not any(label == i for _, label in items)]
        if missing:
            raise DatasetError(f"the {split} split of {dataset.root} has no {' or '.join(missing)} photos")

    precision = choose_precision(config.precision)
    keras.utils.set_random_seed(config.seed)
    train_photos = decode_photos(train_items, config.image_size)
    val_photos = decode_photos(val_items, config.image_size)
    for split, photos in (("train", train_photos), ("validation", val_photos)):
        if len(np.unique(photos.labels)) < len(CLASS_NAMES):
            raise DatasetError(f"the {split} split of {dataset.root} has too few readable photos of each class")

    model = build_model(config, precision)
    steps_per_epoch = math.ceil(len(train_photos.labels) / config.batch_size)
    model.compile(
        optimizer=keras.optimizers.AdamW(
            learning_rate=one_cycle_schedule(config, steps_per_epoch), weight_decay=config.weight_decay
        ),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    epoch_log = EpochLog(listener)
    model.fit(
        training_batches(train_photos, config),
        validation_data=tf.data.Dataset.from_tensor_slices((val_photos.pixels, val_photos.labels)).batch(64),
        epochs=config.epochs,
        steps_per_epoch=steps_per_epoch,
        shuffle=False,  # the stream is already shuffled
        callbacks=[epoch_log, StopFlag(stop or threading.Event())],
        verbose=verbose,
    )
    # Saved in float32 without optimizer state: the file is a third of the size, and runs at
    # full speed on CPUs with no bfloat16 arithmetic.
    weights = epoch_log.best_weights or model.get_weights()
    model = build_model(config)
    model.set_weights(weights)

    test_items = dataset.splits.get("test", [])
    test_accuracy = accuracy(model, decode_photos(test_items, config.image_size)) if test_items else None
    best = max(epoch_log.history, key=lambda r: r.get("val_accuracy", -1)) if epoch_log.history else {}
    metadata = {
        "name": Path(out_path).stem,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "data": str(Path(data_dir).resolve()),
        "layout": dataset.layout,
        "config": config.to_dict(),
        "precision": precision,
        "image_size": config.image_size,
        "train_photos": len(train_photos.labels),
        "validation_photos": len(val_photos.labels),
        "unreadable": train_photos.unreadable + val_photos.unreadable,
        "status": "stopped" if stop is not None and stop.is_set() else "finished",
        "epochs_run": len(epoch_log.history),
        "stopped_early": len(epoch_log.history) < config.epochs,
        "seconds": round(time.perf_counter() - started, 1),
        "best_epoch": best.get("epoch"),
        "validation_accuracy": best.get("val_accuracy"),
        "test_accuracy": None if test_accuracy is None else round(test_accuracy, 4),
        "history": epoch_log.history,
    }
    save_model(model, metadata, out_path)
    return metadata


def one_cycle_schedule(config: TrainConfig, steps_per_epoch: int) -> keras.optimizers.schedules.LearningRateSchedule:
    """Warm up for the first 10% of steps, then cosine down to zero: fast and stable from scratch."""
    total = max(1, config.epochs * steps_per_epoch)
    warmup = max(1, total // 10)
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=config.learning_rate / 10,
        decay_steps=max(1, total - warmup),
        warmup_target=config.learning_rate,
        warmup_steps=warmup,
    )


def training_batches(photos: DecodedPhotos, config: TrainConfig) -> tf.data.Dataset:
    """An endless stream of shuffled batches, augmented on the fly when config.augment is on.

    Endless, so that fit keeps one iterator for the whole run: a fresh iterator each epoch
    stalled the first batch of most epochs by 6-9 s here (a third of an epoch).
    """
    batches = (
        tf.data.Dataset.from_tensor_slices((photos.pixels, photos.labels))
        .shuffle(len(photos.labels), seed=config.seed, reshuffle_each_iteration=True)
        .repeat()
        .batch(config.batch_size)
    )
    if config.augment:
        # A fresh pair of seeds for each batch, reproducible from config.seed.
        seeds = tf.data.Dataset.random(seed=config.seed, rerandomize_each_iteration=True).batch(2)
        batches = tf.data.Dataset.zip(batches, seeds).map(
            lambda pixels_labels, seed: (augment_batch(pixels_labels[0], seed), pixels_labels[1]),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    return batches.prefetch(tf.data.AUTOTUNE)


def augment_batch(pixels: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Randomly flip, turn (±36°), zoom (±20%), shift (±10%) and change the contrast (±20%) of each photo.

    The four geometric changes are composed into one affine map per photo and applied in a
    single resampling pass, with reflected edges. An epoch's augmentation took 1.3 s here,
    against 2.3 s for one Keras layer per change, on the cores the training step needs too.
    A cat turned or zoomed is still a cat.
    """
    n, size = tf.shape(pixels)[0], tf.cast(tf.shape(pixels)[1], tf.float32)
    flip, angle, zoom, shift_x, shift_y, contrast = tf.unstack(
        tf.random.stateless_uniform((6, n), seed, minval=-1.0, maxval=1.0)
    )
    flip = tf.where(flip < 0, -1.0, 1.0)
    angle, zoom, contrast = angle * 0.2 * math.pi, 1 + 0.2 * zoom, 1 + 0.2 * contrast
    cos, sin = tf.cos(angle) * zoom, tf.sin(angle) * zoom
    # Each output pixel p reads the input at centre + zoom · rotate · flip · (p - centre) + shift.
    a0, a1, b0, b1 = cos * flip, -sin, sin * flip, cos
    centre = (size - 1) / 2
    a2 = centre + 0.1 * size * shift_x - (a0 + a1) * centre
    b2 = centre + 0.1 * size * shift_y - (b0 + b1) * centre
    zeros = tf.zeros_like(a0)
    warped = tf.raw_ops.ImageProjectiveTransformV3(
        images=tf.cast(pixels, tf.float32),
        transforms=tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1),
        output_shape=tf.shape(pixels)[1:3],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="REFLECT",
    )
    mean = tf.reduce_mean(warped, axis=(1, 2), keepdims=True)
    contrasted = (warped - mean) * contrast[:, None, None, None] + mean
    return tf.cast(tf.clip_by_value(contrasted, 0, 255), tf.uint8)


def accuracy(model: keras.Model, photos: DecodedPhotos) -> float:
    probabilities = predict_dog_probability(model, photos.pixels)
    return float(np.mean((probabilities > 0.5) == (photos.labels > 0.5))) if len(probabilities) else float("nan")


def save_model(model: keras.Model, metadata: dict, out_path: str | Path) -> None:
    """Write NAME.keras and NAME.json atomically: a crash mid-save never leaves a half-written model."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_path.parent, prefix=".saving-") as scratch:
        model_tmp = Path(scratch) / out_path.name
        model.save(model_tmp)
        os.replace(model_tmp, out_path)
    write_json_atomically(metadata, metadata_path(out_path))
