"""Training speed: catdog's convnet against a rebuild of the book's 2nd-edition convnet, same epochs, same run.

Reports seconds per epoch and the wall time until validation accuracy first reaches 0.835.
Run from the repository root: python -m bench.train_speed [--epochs 60] [--only catdog|book] [--sizes 80 128]
The book's convnet takes about 39 s an epoch here: 60 epochs of both take about 55 minutes. --sizes trains
catdog's convnet at each image size in turn (the first is the baseline of the ratios); 30 epochs at 80 and 128
pixels take about 18 minutes on 2 AVX2 cores.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time

import keras
from keras import layers

from bench.common import REPO
from catdog.config import SHARED_DATASET, TrainConfig
from catdog.runs import Epoch, TrainingListener
from catdog.train import train

TARGET = 0.835


class BookClock(keras.callbacks.Callback):
    """Wall seconds since `started` and validation accuracy at each epoch end."""

    def __init__(self, started: float) -> None:
        super().__init__()
        self.started, self.records = started, []

    def on_epoch_end(self, epoch, logs=None):
        self.records.append(
            {
                "epoch": epoch + 1,
                "val_accuracy": float(logs["val_accuracy"]),
                "wall": time.perf_counter() - self.started,
            }
        )


class CatdogClock(TrainingListener):
    """The same, as a catdog.train listener."""

    def __init__(self, started: float) -> None:
        self.started, self.records = started, []

    def on_epoch_end(self, entry: Epoch) -> None:
        self.records.append(
            {
                "epoch": entry.epoch,
                "val_accuracy": entry.val_accuracy,
                "wall": time.perf_counter() - self.started,
            }
        )


def book_convnet() -> keras.Model:
    """Deep Learning with Python, 2nd edition, chapter 8: the small convnet with augmentation."""
    augmentation = keras.Sequential(
        [layers.RandomFlip("horizontal"), layers.RandomRotation(0.1), layers.RandomZoom(0.2)]
    )
    inputs = keras.Input(shape=(180, 180, 3))
    x = augmentation(inputs)
    x = layers.Rescaling(1.0 / 255)(x)
    for filters in (32, 64, 128, 256):
        x = layers.Conv2D(filters, 3, activation="relu")(x)
        x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(256, 3, activation="relu")(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(loss="binary_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
    return model


def run_book(epochs: int) -> list[dict]:
    keras.mixed_precision.set_global_policy("float32")
    started = time.perf_counter()
    load = {"image_size": (180, 180), "batch_size": 32}
    train_ds = keras.utils.image_dataset_from_directory(SHARED_DATASET / "train", **load)
    val_ds = keras.utils.image_dataset_from_directory(SHARED_DATASET / "validation", **load)
    clock = BookClock(started)
    book_convnet().fit(train_ds, validation_data=val_ds, epochs=epochs, callbacks=[clock], verbose=2)
    return clock.records


def run_catdog(epochs: int, image_size: int) -> list[dict]:
    clock = CatdogClock(time.perf_counter())
    config = TrainConfig(epochs=epochs, image_size=image_size)
    with tempfile.TemporaryDirectory() as out:
        train(config, SHARED_DATASET, f"{out}/bench.keras", listener=clock, verbose=2)
    return clock.records


def summary(name: str, records: list[dict]) -> dict:
    walls = [r["wall"] for r in records]
    per_epoch = statistics.median(b - a for a, b in zip([0.0, *walls], walls))
    reached = next((r for r in records if r["val_accuracy"] >= TARGET), None)
    result = {
        "model": name,
        "epochs": len(records),
        "median_seconds_per_epoch": round(per_epoch, 1),
        "best_val_accuracy": max(r["val_accuracy"] for r in records),
        "reached_target_at_epoch": reached and reached["epoch"],
        "seconds_to_target": reached and round(reached["wall"], 1),
        "total_seconds": round(walls[-1], 1),
        "history": records,
    }
    print(
        f"{name}: {result['median_seconds_per_epoch']} s/epoch, best val {result['best_val_accuracy']:.3f}, "
        + (
            f"reached {TARGET} at epoch {reached['epoch']} after {reached['wall']:.0f} s"
            if reached
            else f"did not reach {TARGET} in {len(records)} epochs ({walls[-1]:.0f} s)"
        )
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--only", choices=["catdog", "book"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[TrainConfig().image_size], help="catdog's image sizes")
    args = parser.parse_args()
    results = {}
    if args.only != "book":
        for size in args.sizes:
            results[f"catdog-{size}"] = summary(f"catdog at {size} px", run_catdog(args.epochs, size))
    if args.only != "catdog":
        results["book"] = summary("book", run_book(args.epochs))
    baseline, *others = results.values()
    for other in others:  # how many times longer than the first: an epoch, and the way to the target
        ratio = other["median_seconds_per_epoch"] / baseline["median_seconds_per_epoch"]
        line = f"{other['model']} / {baseline['model']}: {ratio:.2f}× the seconds per epoch"
        if baseline["seconds_to_target"]:
            reached = other["seconds_to_target"] or other["total_seconds"]
            bound = "" if other["seconds_to_target"] else "at least "
            line += f", {bound}{reached / baseline['seconds_to_target']:.2f}× the time to {TARGET}"
        print(line)
    out = REPO / "bench" / "results" / f"train_speed-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"saved {out}")


if __name__ == "__main__":
    main()
