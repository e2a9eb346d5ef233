"""Train a model on a dataset folder and save it with its run record beside it.

From scratch (the book's convnet) or from a pretrained backbone in two phases: a new head on
the frozen backbone, then fine-tuning the backbone's top at a low learning rate.
"""

from __future__ import annotations

import math
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Protocol

import keras
import numpy as np
import tensorflow as tf

from catdog.augment import augment_batch
from catdog.config import CLASS_NAMES, DOG_THRESHOLD, INFERENCE_BATCH, TrainConfig
from catdog.data import DatasetError, DecodedPhotos, decode_photos, find_dataset, limit_per_class
from catdog.explain import feature_map, head_heatmap, heatmap
from catdog.i18n import Message
from catdog.model import (
    BACKBONES,
    WeightsUnavailable,
    build_model,
    fine_tune_top,
    predict_dog_probability,
    weights_cached,
)
from catdog.precision import choose_precision
from catdog.runs import SCORES, Epoch, RunRecord, dataset_name, metadata_path


class TrainingListener(Protocol):
    """What a caller (the Train page's job) hears while a model trains."""

    def on_prepare(self, stage: str, done: int, total: int) -> None: ...
    def on_heatmap_photo(self, path: str) -> None: ...  # the validation photo whose heatmap each epoch has
    def on_train_begin(self, batches_per_epoch: int) -> None: ...
    def on_batch_end(self, epoch: int, batch: int, logs: dict) -> None: ...
    def on_epoch_end(self, entry: Epoch) -> None: ...


class EpochLog(keras.callbacks.Callback):
    """Adds each epoch's scores (and where the model looked) to the run record, saves it, and keeps the weights of
    the best validation epoch."""

    def __init__(self, record: RunRecord, record_path: Path, listener: TrainingListener | None) -> None:
        super().__init__()
        self.record, self.record_path, self.listener = record, record_path, listener
        self.phase = ""  # "head" or "fine-tune" for a pretrained backbone, "" from scratch
        self.keep: keras.Model | None = None  # whose weights to keep, when a phase fits only the head
        self.best_weights: list[np.ndarray] | None = None
        self.heatmap_pixels: np.ndarray | None = None  # (size, size, 3) uint8: the photo whose heatmap each epoch gets
        self.frozen_map: np.ndarray | None = None  # its backbone's (h, w, channels) map, while that cannot change
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
        if self.model.stop_training:  # cut short by Stop, its validation too: not a whole epoch's scores
            return
        seconds = round(time.perf_counter() - self._started, 2)
        scores = {name: round(float(value), 4) for name, value in (logs or {}).items() if name in SCORES}
        # Two decimals: finer steps than a colour map shows, and a small record.
        looked = None if self.heatmap_pixels is None else np.round(self._heatmap().astype(np.float64), 2).tolist()
        entry = Epoch(epoch + 1, seconds, phase=self.phase, heatmap=looked, **scores)
        self.record.add_epoch(entry)
        if self.record.best_epoch == entry.epoch:
            self.best_weights = (self.keep or self.model).get_weights()
        self.record.save(self.record_path)
        if self.listener:
            self.listener.on_epoch_end(entry)

    def _heatmap(self) -> np.ndarray:
        """Where the model, as it is now, looks in the watched photo: (h, w) in [0, 1], at the feature map's size."""
        model = self.keep or self.model  # the whole model, also while only its head is fitted
        if self.frozen_map is not None:
            return head_heatmap(self.frozen_map, model.get_layer("dog_probability"))
        return heatmap(model, self.heatmap_pixels)


class CalibrateBatchNorm(keras.callbacks.Callback):
    """Before each validation, set batch norm's statistics from training photos under the current weights.

    Its moving averages trail weights that change fast: with 100 photos a class (7 batches an
    epoch), validation sat at 50% for the first epochs of a lesson, while the same weights with
    their statistics measured afresh scored 56-63% (catdog's "precise batch norm").
    """

    def __init__(self, pixels: np.ndarray) -> None:
        super().__init__()
        self.pixels = pixels  # (n, size, size, 3) uint8, unaugmented, like the validation photos

    def on_test_begin(self, logs=None):
        if self.model.stop_training:  # this validation is cut short anyway
            return
        norms = [layer for layer in self.model.layers if isinstance(layer, keras.layers.BatchNormalization)]
        momentums = [layer.momentum for layer in norms]
        for layer in norms:
            layer.momentum = 0.0  # the statistics of this one batch replace the moving ones
        self.model(self.pixels, training=True)
        for layer, momentum in zip(norms, momentums):
            layer.momentum = momentum


class StopFlag(keras.callbacks.Callback):
    """Ends training after the current batch once `stop` is set (by a user pressing Stop).

    Keras still validates after a batch that stopped training, and a validation pass over 1,000
    photos takes seconds: it is cut short after its first batch, or its current one.
    """

    def __init__(self, stop: threading.Event) -> None:
        super().__init__()
        self.stop = stop

    def on_train_batch_end(self, batch, logs=None):
        if self.stop.is_set():
            self.model.stop_training = True

    def on_test_begin(self, logs=None):
        self.on_test_batch_end(0)

    def on_test_batch_end(self, batch, logs=None):
        if self.stop.is_set():
            self.model.stop_training = self.model.stop_evaluating = True


def train(
    config: TrainConfig,
    data_dir: str | Path,
    out_path: str | Path,
    listener: TrainingListener | None = None,
    stop: threading.Event | None = None,  # or multiprocessing's Event, from a parent process
    verbose: int = 0,
    command: str = "",
    title: str = "",
    requested: float | None = None,
) -> RunRecord:
    """Train, keep the best validation epoch, score the test split if any, save the model; returns the record.

    This process is the one writer of the run record (NAME.json): at the start, after every epoch,
    and at the end, finished, stopped or failed (then the error is raised again). A run stopped
    before its first epoch ended learned nothing and saves no model; a stopped run skips the test
    split, so that it ends within a second of its current batch. `requested` is the time.time()
    at which the run was asked for (the Train page's Start): the run's time counts from then.
    """
    requested = requested or time.time()
    out_path = Path(out_path)
    record_path = metadata_path(out_path)
    data = dataset_name(data_dir)
    record = RunRecord(out_path.stem, config, title=title, command=command, data=data, pid=os.getpid())
    record.save(record_path)
    stop = stop or threading.Event()
    try:
        model = _train(record, record_path, Path(data_dir), listener, stop, verbose)
        record.status = "stopped" if stop.is_set() else "finished"
        if model is not None:
            save_model(model, out_path)
    except Exception as error:
        record.fail(explain_failure(error))
        raise
    finally:
        record.seconds, record.pid = round(time.time() - requested, 1), None
        record.save(record_path)
    return record


def _train(record, record_path, data_dir, listener, stop, verbose) -> keras.Model | None:
    """Everything between an empty record and a float32 model with the best epoch's weights (None: no epoch ended)."""
    config = record.config
    dataset = find_dataset(data_dir)
    record.layout = dataset.layout
    train_items = limit_per_class(dataset.splits.get("train", []), config.limit_per_class)
    val_items = dataset.splits.get("validation", [])
    for split, items in (("train", train_items), ("validation", val_items)):
        missing = [name for i, name in enumerate(CLASS_NAMES) if not any(label == i for _, label in items)]
        if missing:
            # "the train split of … has no cat or dog photos": a class, or both, each a word of the catalogue
            animals = Message("dataset_error.cat_or_dog") if len(missing) > 1 else Message(f"class.{missing[0]}")
            raise DatasetError(
                "dataset_error.no_photos", dataset.root, split=Message(f"split.{split}"), animals=animals
            )

    precision = record.precision = choose_precision(config.precision, config)
    keras.utils.set_random_seed(config.seed)
    progress = listener.on_prepare if listener else None
    if config.pretrained and not weights_cached(config.pretrained) and progress:
        progress("weights", 0, 1)  # Keras downloads them into its cache, once
    model = build_model(config, precision)  # first: a missing backbone fails before minutes of decoding
    total = len(train_items) + len(val_items)  # one progress bar over both splits
    train_photos = decode_photos(train_items, config.image_size, progress=_counted(progress, 0, total))
    val_photos = decode_photos(val_items, config.image_size, progress=_counted(progress, len(train_items), total))
    if stop.is_set():  # pressed while the photos were decoded
        return None
    for split, photos in (("train", train_photos), ("validation", val_photos)):
        if len(np.unique(photos.labels)) < len(CLASS_NAMES):
            raise DatasetError("dataset_error.too_few", dataset.root, split=Message(f"split.{split}"))
    record.train_photos, record.validation_photos = len(train_photos.labels), len(val_photos.labels)
    record.unreadable = [list(pair) for pair in train_photos.unreadable + val_photos.unreadable]
    record.status = "training"

    epoch_log = EpochLog(record, record_path, listener)
    record.heatmap_photo, epoch_log.heatmap_pixels = heatmap_photo(val_items, val_photos)
    if listener:
        listener.on_heatmap_photo(record.heatmap_photo)
    record.save(record_path)
    callbacks = [epoch_log, StopFlag(stop)]
    if config.pretrained:
        _fit_transfer(model, record, train_photos, val_photos, callbacks, listener, stop, verbose)
    else:
        sample = np.random.default_rng(config.seed).permutation(len(train_photos.labels))[:256]
        callbacks.append(CalibrateBatchNorm(train_photos.pixels[sample]))
        _fit_from_scratch(model, config, train_photos, val_photos, callbacks, verbose)
    if epoch_log.best_weights is None:
        return None
    # Saved in float32 without optimizer state: the file is a third of the size, and runs at
    # full speed on CPUs with no bfloat16 arithmetic.
    model = build_model(config)
    model.set_weights(epoch_log.best_weights)
    test_items = dataset.splits.get("test", [])
    if test_items and not stop.is_set():
        record.test_accuracy = round(accuracy(model, decode_photos(test_items, config.image_size)), 4)
    return model


def _fit_from_scratch(model, config: TrainConfig, train_photos, val_photos, callbacks, verbose) -> None:
    steps_per_epoch = math.ceil(len(train_photos.labels) / config.batch_size)
    _compile(model, config.learning_rate, config.epochs * steps_per_epoch, config.weight_decay)
    model.fit(
        training_batches(train_photos, config),
        validation_data=validation_batches(val_photos),
        epochs=config.epochs,
        steps_per_epoch=steps_per_epoch,
        callbacks=callbacks,
        shuffle=False,  # the stream is already shuffled
        verbose=verbose,
    )


def _fit_transfer(model, record: RunRecord, train_photos, val_photos, callbacks, listener, stop, verbose) -> None:
    """Phase 1: the new head on the frozen backbone. Phase 2: also the backbone's top, at a low learning rate.

    Without augmentation the frozen backbone sees the same photos every epoch, so phase 1 computes
    each photo's features once and fits the head alone on them (seconds an epoch, not a minute).
    """
    config, epoch_log = record.config, callbacks[0]
    steps_per_epoch = math.ceil(len(train_photos.labels) / config.batch_size)
    head_epochs = max(0, config.epochs - config.fine_tune_epochs)
    spec = BACKBONES[config.pretrained]
    if head_epochs:
        epoch_log.phase = "head"
        record.phases.append({"phase": "head", "first_epoch": 1, "trainable_weights": _count(model.trainable_weights)})
        fitted = model
        train_data, val_data = training_batches(train_photos, config), validation_batches(val_photos)
        if not config.augment:
            fitted, train_data, val_data = _head_on_features(model, config, train_photos, val_photos, listener)
            epoch_log.keep = model
            # The frozen backbone maps the watched photo alike every epoch: once is enough, and each
            # epoch's heatmap then takes the head's weights alone (microseconds, not a backward pass).
            epoch_log.frozen_map = feature_map(model, epoch_log.heatmap_pixels)
        _compile(fitted, config.learning_rate, head_epochs * steps_per_epoch, config.weight_decay)
        fitted.fit(
            train_data,
            validation_data=val_data,
            epochs=head_epochs,
            steps_per_epoch=steps_per_epoch,
            callbacks=callbacks,
            shuffle=False,  # the stream is already shuffled
            verbose=verbose,
        )
        epoch_log.keep = epoch_log.frozen_map = None
    if config.fine_tune_epochs and not stop.is_set():
        epoch_log.phase = "fine-tune"
        unfrozen = fine_tune_top(model, config.pretrained)
        record.phases.append(
            {
                "phase": "fine-tune",
                "first_epoch": head_epochs + 1,
                "from_layer": spec.fine_tune_from,
                "trainable_weights": unfrozen + _count(model.get_layer("dog_probability").trainable_weights),
                "learning_rate": config.fine_tune_learning_rate,
            }
        )
        _compile(model, config.fine_tune_learning_rate, config.fine_tune_epochs * steps_per_epoch, config.weight_decay)
        model.fit(
            training_batches(train_photos, config),
            validation_data=validation_batches(val_photos),
            initial_epoch=head_epochs,
            epochs=config.epochs,
            steps_per_epoch=steps_per_epoch,
            callbacks=callbacks,
            shuffle=False,  # the stream is already shuffled
            verbose=verbose,
        )


def _head_on_features(model, config, train_photos, val_photos, listener):
    """(head model, training batches, validation batches) over backbone features computed once."""
    pooled = model.get_layer("pool").output
    features = keras.Model(model.input, pooled)
    inputs = keras.Input(pooled.shape[1:], name="features")
    head = keras.Model(inputs, model.get_layer("dog_probability")(model.get_layer("dropout")(inputs)))
    total, done = len(train_photos.labels) + len(val_photos.labels), 0

    def compute(pixels: np.ndarray) -> np.ndarray:
        nonlocal done
        chunks = []
        for i in range(0, len(pixels), INFERENCE_BATCH):
            chunks.append(np.asarray(features.predict_on_batch(pixels[i : i + INFERENCE_BATCH])))
            done += len(chunks[-1])
            if listener:
                listener.on_prepare("features", done, total)
        return np.concatenate(chunks)

    train_features, val_features = compute(train_photos.pixels), compute(val_photos.pixels)
    batches = (
        tf.data.Dataset.from_tensor_slices((train_features, train_photos.labels))
        .shuffle(len(train_features), seed=config.seed, reshuffle_each_iteration=True)
        .repeat()
        .batch(config.batch_size)
    )
    validation = tf.data.Dataset.from_tensor_slices((val_features, val_photos.labels)).batch(256)
    return head, batches, validation


def heatmap_photo(items: list[tuple[Path, int]], photos: DecodedPhotos) -> tuple[str, np.ndarray]:
    """(path, pixels) of the validation photo whose heatmap each epoch records: the first readable dog photo.

    The same photo for every run on a dataset, so a class can compare where two runs looked.
    """
    unreadable = {path for path, _ in photos.unreadable}
    readable = [path for path, _ in items if str(path) not in unreadable]  # in the order of photos.pixels
    first_dog = int(np.flatnonzero(photos.labels == CLASS_NAMES.index("dog"))[0])
    return str(Path(readable[first_dog]).resolve()), photos.pixels[first_dog]


def _compile(model: keras.Model, peak_learning_rate: float, steps: int, weight_decay: float) -> None:
    optimizer = keras.optimizers.AdamW(one_cycle_schedule(peak_learning_rate, steps), weight_decay=weight_decay)
    model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"])


def one_cycle_schedule(peak: float, total_steps: int) -> keras.optimizers.schedules.LearningRateSchedule:
    """Warm up for the first 10% of steps, then cosine down to zero: fast and stable."""
    total = max(1, total_steps)
    warmup = max(1, total // 10)
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=peak / 10, decay_steps=max(1, total - warmup), warmup_target=peak, warmup_steps=warmup
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


def validation_batches(photos: DecodedPhotos) -> tf.data.Dataset:
    return tf.data.Dataset.from_tensor_slices((photos.pixels, photos.labels)).batch(INFERENCE_BATCH)


def accuracy(model: keras.Model, photos: DecodedPhotos) -> float:
    probabilities = predict_dog_probability(model, photos.pixels)
    said_dog = probabilities >= DOG_THRESHOLD
    return float(np.mean(said_dog == (photos.labels == 1))) if len(probabilities) else float("nan")


def save_model(model: keras.Model, out_path: Path) -> None:
    """Write NAME.keras atomically: a crash mid-save never leaves a half-written model."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_path.parent, prefix=".saving-") as scratch:
        model_tmp = Path(scratch) / out_path.name
        model.save(model_tmp)
        os.replace(model_tmp, out_path)


def explain_failure(error: Exception) -> Message:
    """One sentence for a person about why a run failed, to be read in their language."""
    if isinstance(error, MemoryError) or "OOM" in str(error) or "out of memory" in str(error).lower():
        return Message("run_failed.out_of_memory")
    if isinstance(error, DatasetError | WeightsUnavailable):
        return Message("run_failed.could_not_start", {"reason": error.said})
    if isinstance(error, tf.errors.OpError):  # its text is a page of graph nodes and C++ files: for the log
        return Message("run_failed.tensorflow", {"kind": type(error).__name__})
    return Message("run_failed.crash", {"error": f"{type(error).__name__}: {error}"})


def _counted(progress, before: int, total: int):
    """progress(stage, done, total) for one split, counting on from `before` photos of `total` in all."""
    return progress and (lambda stage, done, _: progress(stage, before + done, total))


def _count(weights) -> int:
    return sum(int(np.prod(w.shape)) for w in weights)
