"""Evaluating a model on the 500 shared test photos, as the Evaluate page does: decode and classify in batches.

Run from the repository root: python -m bench.evaluate_speed [MODEL.keras ...] [--repeats 3]
(default: the bundled models). The page must finish in under 20 s on a 2-core machine. The first
run of a model includes tracing its batch shapes; the load average is printed because a busy
machine (another process on the two cores) slows the model more than anything here.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from catdog.config import BUNDLED_MODELS, SHARED_DATASET
from catdog.data import decode_photos, labelled_photos
from catdog.evaluation import accuracy, evaluate_photos
from catdog.predict import Classifier


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("models", nargs="*", type=Path, default=list(BUNDLED_MODELS))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    items = labelled_photos(SHARED_DATASET / "test")
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    print(f"{len(items)} test photos; {cpu}, {os.cpu_count()} cores")
    for path in args.models:
        started = time.perf_counter()
        classifier = Classifier.load(path)
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        decode_photos(items, classifier.image_size)
        decode_s = time.perf_counter() - started
        runs = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            evaluation = evaluate_photos(classifier, items)
            runs.append(time.perf_counter() - started)
        median = statistics.median(runs)
        print(
            f"{path.name} ({classifier.image_size} px), load average {os.getloadavg()[0]:.1f}: "
            f"load {load_s:.1f} s; evaluate first {runs[0]:.1f} s, median {median:.1f} s of {args.repeats} "
            f"({len(items) / median:.0f} photos/s; decoding alone {decode_s:.1f} s), "
            f"accuracy {accuracy(evaluation):.3f}"
        )


if __name__ == "__main__":
    main()
