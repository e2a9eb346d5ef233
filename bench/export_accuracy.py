"""What exporting costs: each bundled model as .keras, float TFLite and int8 TFLite, on the 500 shared test photos.

Run from the repository root: python -m bench.export_accuracy [MODEL.keras ...] (default: the bundled models).
Prints, per file: its size, test accuracy, the gap to the Keras model's dog probability (99th
percentile and largest) and the photos whose label changes, and ms per photo one at a time, as the Classify page calls
it (resize and model call; the photos are decoded beforehand). The int8 file calibrates on 200
photos of the model's training split, as `python -m catdog export --quantize int8` does.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np

from catdog.config import BUNDLED_MODELS, SHARED_DATASET
from catdog.data import labelled_photos
from catdog.evaluation import accuracy, evaluate_photos
from catdog.export import tflite_bytes
from catdog.photos import load_photo
from catdog.predict import Classifier
from catdog.tflite import TFLiteModel

TIMED_PHOTOS = 50  # classified one at a time, twice: the first pass warms caches


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("models", nargs="*", type=Path, default=list(BUNDLED_MODELS))
    args = parser.parse_args()

    items = labelled_photos(SHARED_DATASET / "test")
    timed_photos = [load_photo(path) for path, _ in items[:: len(items) // TIMED_PHOTOS][:TIMED_PHOTOS]]
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    print(f"{len(items)} test photos; {cpu}, {os.cpu_count()} cores")
    for path in args.models:
        keras_classifier = Classifier.load(path)
        reference = evaluate_photos(keras_classifier, items)
        print(f"\n{path.name} ({keras_classifier.image_size} px), load average {os.getloadavg()[0]:.1f}")
        columns = ("size", "accuracy", "p99 gap", "max gap", "flipped", "ms/photo", "convert")
        print(f"  {'file':<14}" + "".join(f"{column:>10}" for column in columns))
        files = [("keras", path.stat().st_size, keras_classifier, 0.0)]
        for quantize in ("float", "int8"):
            started = time.perf_counter()
            content = tflite_bytes(path, quantize)
            seconds = time.perf_counter() - started
            model = TFLiteModel(content)
            files.append(
                (f"tflite {quantize}", len(content), Classifier(model, path, model.input_shape[1], None), seconds)
            )
        for name, size, classifier, seconds in files:
            evaluation = reference if classifier is keras_classifier else evaluate_photos(classifier, items)
            gap = np.abs(evaluation.dog_probabilities - reference.dog_probabilities)
            flipped = int(np.sum(evaluation.said() != reference.said()))
            print(
                f"  {name:<14}{size / 1e6:>8.2f}MB{accuracy(evaluation):>10.3f}{np.percentile(gap, 99):>10.4f}"
                f"{gap.max():>10.4f}{flipped:>10}{ms_per_photo(classifier, timed_photos):>10.1f}{seconds:>9.0f}s"
            )


def ms_per_photo(classifier: Classifier, photos: list) -> float:
    """Median ms of classify_photo over the photos, after one warm-up pass."""
    times = []
    for warm_up in (True, False):
        for photo in photos:
            started = time.perf_counter()
            classifier.classify_photo(photo)
            if not warm_up:
                times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


if __name__ == "__main__":
    main()
