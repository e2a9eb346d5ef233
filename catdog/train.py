"""Train a model on a dataset folder and save it with its run record beside it.

From scratch (the book's convnet) or from a pretrained backbone in two phases: a new head on
the frozen backbone, then fine-tuning the backbone's top at a low learning rate. The frozen part
of a backbone runs once per photo (and per cached augmented view), never once per epoch.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from catdog.augment import augment_batch
from catdog.config import (
    CLASS_NAMES,
    DOG_THRESHOLD,
    FINE_TUNE_PATIENCE,
    INFERENCE_BATCH,
    MIN_TRAIN_PHOTOS_PER_CLASS,
    TrainConfig,
    log,
)
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
from catdog.runs import SCORES, Epoch, RunRecord, TrainingListener, dataset_name, metadata_path


class PhaseClock:
    """Where a run's time goes: the wall seconds of each phase, kept in the run record and told to the listener."""

    def __init__(self, record: RunRecord, listener: TrainingListener | None) -> None:
        self.record, self.listener = record, listener

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time what runs inside as phase `name`; a phase that runs twice (features) adds up."""
        if self.listener:
            self.listener.on_phase(name, dict(self.record.phase_seconds))
        started = time.perf_counter()
        try:
            yield
        finally:
            spent = self.record.phase_seconds.get(name, 0.0) + time.perf_counter() - started
            self.record.phase_seconds[name] = round(spent, 1)


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
        self.measure = None  # the model's training-mode pass, traced once: 0.5 s an epoch, against 0.8 s eager

    def on_test_begin(self, logs=None):
        if self.model.stop_training:  # this validation is cut short anyway
            return
        norms = [layer for layer in self.model.layers if isinstance(layer, keras.layers.BatchNormalization)]
        momentums = [layer.momentum for layer in norms]
        for layer in norms:
            layer.momentum = 0.0  # the statistics of this one batch replace the moving ones (the trace keeps the 0)
        if self.measure is None:
            self.measure = tf.function(lambda pixels: self.model(pixels, training=True))
        self.measure(self.pixels)
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
    title_key: str = "",
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
    named = dict(title=title, title_key=title_key, command=command, data=data)
    record = RunRecord(out_path.stem, config, pid=os.getpid(), **named)
    record.save(record_path)
    stop = stop or threading.Event()
    try:
        model = _train(record, record_path, Path(data_dir), listener, stop, verbose)
        record.status = "stopped" if stop.is_set() else "finished"
        if model is not None:
            with PhaseClock(record, listener).phase("saving"):
                save_model(model, out_path)
                if not stop.is_set():  # a stopped run ends at once: its model classifies through Keras
                    _save_lite(model, out_path)
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
    _check_enough_to_learn(dataset.root, np.array([label for _, label in train_items]))

    precision = record.precision = choose_precision(config.precision, config)
    keras.utils.set_random_seed(config.seed)
    progress = listener.on_prepare if listener else None
    if config.pretrained and not weights_cached(config.pretrained) and progress:
        progress("weights", 0, 1)  # Keras downloads them into its cache, once
    model = build_model(config, precision)  # first: a missing backbone fails before minutes of decoding
    total = len(train_items) + len(val_items)  # one progress bar over both splits
    clock = PhaseClock(record, listener)
    with clock.phase("decoding"):
        train_photos = decode_photos(train_items, config.image_size, progress=_counted(progress, 0, total))
        val_photos = decode_photos(val_items, config.image_size, progress=_counted(progress, len(train_items), total))
    if stop.is_set():  # pressed while the photos were decoded
        return None
    for split, photos in (("train", train_photos), ("validation", val_photos)):
        if len(np.unique(photos.labels)) < len(CLASS_NAMES):
            raise DatasetError("dataset_error.too_few", dataset.root, split=Message(f"split.{split}"))
    _check_enough_to_learn(dataset.root, train_photos.labels)  # readable ones: before any feature is computed
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
        _fit_transfer(model, record, train_photos, val_photos, callbacks, listener, stop, clock, verbose)
    else:
        sample = np.random.default_rng(config.seed).permutation(len(train_photos.labels))[:256]
        callbacks.append(CalibrateBatchNorm(train_photos.pixels[sample]))
        with clock.phase("training"):
            _fit_from_scratch(model, config, train_photos, val_photos, callbacks, verbose)
    if epoch_log.best_weights is None:
        return None
    # Saved in float32 without optimizer state: the file is a third of the size, and runs at
    # full speed on CPUs with no bfloat16 arithmetic.
    model = build_model(config)
    model.set_weights(epoch_log.best_weights)
    test_items = dataset.splits.get("test", [])
    if test_items and not stop.is_set():
        with clock.phase("test"):
            record.test_accuracy = round(accuracy(model, decode_photos(test_items, config.image_size)), 4)
    return model


def _check_enough_to_learn(root: Path, labels: np.ndarray) -> None:
    """Refuse a training split with fewer than MIN_TRAIN_PHOTOS_PER_CLASS photos of a class, naming the counts."""
    counts = [int(np.sum(labels == i)) for i in range(len(CLASS_NAMES))]
    if min(counts) < MIN_TRAIN_PHOTOS_PER_CLASS:
        cats, dogs = counts
        minimum = MIN_TRAIN_PHOTOS_PER_CLASS
        raise DatasetError("dataset_error.too_few_to_learn", root, cats=cats, dogs=dogs, minimum=minimum)


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


def _fit_transfer(
    model, record: RunRecord, train_photos, val_photos, callbacks, listener, stop, clock: PhaseClock, verbose
) -> None:
    """Phase 1: a new head on the frozen backbone. Phase 2: also the backbone's top, at a low learning rate.

    The frozen part of the backbone runs once per photo: the head learns from cached pooled features,
    fine-tuning from the cached input of the first fine-tuned layer, so a step runs the head, or the
    top blocks and the head, and nothing below. With augmentation both are also cached for
    config.augmented_views augmented views of each training photo, and each epoch shows each photo
    in one of its views, drawn at random. The head learns from the photos as they are, before the
    extra views are computed, so that a validation score shows within the first minute; without
    fine-tuning the views are for the head, which then waits for them.
    """
    config, epoch_log = record.config, callbacks[0]
    labels = train_photos.labels
    steps_per_epoch = math.ceil(len(labels) / config.batch_size)
    head_epochs = max(0, config.epochs - config.fine_tune_epochs)
    views = 1 + (config.augmented_views if config.augment else 0)
    head_views = 1 if config.fine_tune_epochs else views
    extract, fine_tuned = split_backbone(model, config.pretrained)
    keep_bottoms = config.fine_tune_epochs > 0
    train_cache = BackboneFeatures.empty(extract, len(labels), views, keep_bottoms)
    val_cache = BackboneFeatures.empty(extract, len(val_photos.labels), 1, keep_bottoms)
    tick = _ticker(listener, len(labels) * head_views + len(val_photos.labels))
    with clock.phase("features"):
        computed = train_cache.compute(extract, train_photos.pixels, head_views, config.seed, stop, tick)
        if not (computed and val_cache.compute(extract, val_photos.pixels, 1, config.seed, stop, tick)):
            return  # stopped: nothing learned, nothing saved
    epoch_log.keep = model  # the whole model's weights and heatmaps, whichever part of it is fitted
    if head_epochs:
        epoch_log.phase = "head"
        record.phases.append({"phase": "head", "first_epoch": 1, "trainable_weights": _count(model.trainable_weights)})
        # The frozen backbone maps the watched photo alike every epoch: once is enough, and each
        # epoch's heatmap then takes the head's weights alone (microseconds, not a backward pass).
        epoch_log.frozen_map = feature_map(model, epoch_log.heatmap_pixels)
        inputs = keras.Input(train_cache.pooled.shape[2:], name="features")
        head = keras.Model(inputs, model.get_layer("dog_probability")(model.get_layer("dropout")(inputs)))
        _compile(head, config.learning_rate, head_epochs * steps_per_epoch, config.weight_decay)
        with clock.phase("head"):
            head.fit(
                cached_batches(train_cache.pooled, labels, head_views, config.batch_size, config.seed),
                validation_data=(val_cache.pooled[0], val_photos.labels),
                epochs=head_epochs,
                steps_per_epoch=steps_per_epoch,
                callbacks=callbacks,
                shuffle=False,  # cached_batches shuffles
                verbose=verbose,
            )
        epoch_log.frozen_map = None
    if not config.fine_tune_epochs or stop.is_set():
        return
    if views > head_views:
        tick = _ticker(listener, len(labels) * (views - head_views))
        with clock.phase("features"):
            if not train_cache.compute(extract, train_photos.pixels, views, config.seed, stop, tick):
                return  # stopped: the head's best epoch is saved
    epoch_log.phase = "fine-tune"
    unfrozen = fine_tune_top(model, config.pretrained)
    record.phases.append(
        {
            "phase": "fine-tune",
            "first_epoch": head_epochs + 1,
            "from_layer": BACKBONES[config.pretrained].fine_tune_from,
            "trainable_weights": unfrozen + _count(model.get_layer("dog_probability").trainable_weights),
            "learning_rate": config.fine_tune_learning_rate,
            "views": views,
        }
    )
    steps = config.fine_tune_epochs * steps_per_epoch
    _compile(fine_tuned, config.fine_tune_learning_rate, steps, config.weight_decay)
    settled = keras.callbacks.EarlyStopping(monitor="val_loss", patience=FINE_TUNE_PATIENCE)
    with clock.phase("fine-tune"):
        fine_tuned.fit(
            cached_batches(train_cache.bottoms, labels, views, config.batch_size, config.seed),
            validation_data=(val_cache.bottoms[0], val_photos.labels),
            initial_epoch=head_epochs,
            epochs=config.epochs,
            steps_per_epoch=steps_per_epoch,
            callbacks=[*callbacks, settled],
            shuffle=False,  # cached_batches shuffles
            verbose=verbose,
        )


def split_backbone(model: keras.Model, backbone: str) -> tuple[keras.Model, keras.Model]:
    """(extract, fine_tuned): two models sharing the layers of a pretrained `model`, cut where fine-tuning starts.

    extract: pixels → (the first fine-tuned layer's input, the pooled features), (batch, 14, 14, 96)
    and (batch, 1280) for MobileNetV2. fine_tuned: that input, as cached in float16 → the dog
    probability, through the backbone's top, the pooling and the head. Training either trains `model`.
    """
    network = model.get_layer("backbone")
    cut = network.get_layer(BACKBONES[backbone].fine_tune_from).input
    bottom, top = keras.Model(network.input, cut), keras.Model(cut, network.output)
    pixels = keras.Input(model.input.shape[1:], dtype="uint8", name="pixels")
    below = bottom(model.get_layer("scale")(pixels), training=False)  # always inference mode, as in `model`
    extract = keras.Model(pixels, [below, model.get_layer("pool")(top(below, training=False))])
    cached = keras.Input(cut.shape[1:], dtype="float16", name="cached")
    x = model.get_layer("pool")(top(keras.ops.cast(cached, "float32"), training=False))
    fine_tuned = keras.Model(cached, model.get_layer("dog_probability")(model.get_layer("dropout")(x)))
    return extract, fine_tuned


@dataclass
class BackboneFeatures:
    """What the frozen part of a backbone makes of a split's photos, computed once for the whole run.

    View 0 is each photo as it is; views 1 on are augmented (catdog.augment), each with seeds of its own.
    """

    pooled: np.ndarray  # (views, n, channels) float32: what the head reads
    bottoms: np.ndarray | None  # (views, n, h, w, c) float16: what fine-tuning reads; None when nothing is fine-tuned
    ready: int = 0  # views computed so far

    @classmethod
    def empty(cls, extract: keras.Model, n: int, views: int, keep_bottoms: bool) -> BackboneFeatures:
        below, pooled = (tuple(output.shape[1:]) for output in extract.outputs)
        bottoms = np.empty((views, n, *below), np.float16) if keep_bottoms else None
        return cls(np.empty((views, n, *pooled), np.float32), bottoms)

    def compute(self, extract: keras.Model, pixels: np.ndarray, views: int, seed: int, stop, tick) -> bool:
        """Compute views self.ready to `views` - 1 of pixels (n, size, size, 3) uint8, a batch at a time.

        Returns False, at once, when `stop` is set; tick(photos) after each batch, for a progress bar.
        """
        n = len(pixels)
        for view in range(self.ready, views):
            for start in range(0, n, INFERENCE_BATCH):
                if stop.is_set():
                    return False
                batch = pixels[start : start + INFERENCE_BATCH]
                if view:  # seeds of its own for each view and batch, reproducible from the run's seed
                    batch = augment_batch(tf.constant(batch), tf.constant([seed, view * n + start], tf.int64))
                below, pooled = extract.predict_on_batch(batch)
                self.pooled[view, start : start + len(batch)] = pooled
                if self.bottoms is not None:
                    self.bottoms[view, start : start + len(batch)] = below
                tick(len(batch))
            self.ready = view + 1
        return True


def cached_batches(
    cache: np.ndarray, labels: np.ndarray, views: int, batch_size: int, seed: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Endless shuffled batches from a cache (views, n, ...): each pass over the n photos shows each one once,
    in one of its first `views` views, drawn at random."""
    rng = np.random.default_rng(seed)
    n = len(labels)
    while True:
        order, chosen = rng.permutation(n), rng.integers(0, views, n)
        for start in range(0, n, batch_size):
            photos = order[start : start + batch_size]
            yield cache[chosen[photos], photos], labels[photos]


def _ticker(listener: TrainingListener | None, total: int):
    """tick(photos): counts photos through the backbone and tells the listener, for the 'features' progress bar."""
    done = 0

    def tick(photos: int) -> None:
        nonlocal done
        done += photos
        if listener:
            listener.on_prepare("features", done, total)

    return tick


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
            num_parallel_calls=2,
        )
    # Fixed depths, tf.data's autotuner off: with it on, the iterator's end waited up to 45 s for one of its threads
    # after the last epoch (docs/models.md). The training step is 90% of an epoch, so two of each are enough.
    options = tf.data.Options()
    options.autotune.enabled = False
    return batches.prefetch(2).with_options(options)


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


def _save_lite(model: keras.Model, out_path: Path) -> None:
    """The model's LiteRT layers beside it, for verdicts without TensorFlow (catdog.lite); without them it
    still classifies, in Keras, so a failed conversion only costs speed."""
    from catdog.export import save_lite  # the converter: only once a model is saved

    try:
        save_lite(model, out_path)
    except Exception:  # noqa: BLE001 -- the model is saved and works without them
        log.warning("the LiteRT layers of %s could not be saved", out_path, exc_info=True)


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
