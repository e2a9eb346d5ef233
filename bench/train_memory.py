"""A server-like process during a default Train-page run: memory, and classification and training speed.

The loop does what an open Train page does to the server every LIVE_PANEL_SECONDS: a script run,
which ends with Streamlit's keras.backend.clear_session() and gc.collect(2), plus one 12 MP photo
classified. The run itself trains in its own process, as from the Train page.
Run from the repository root: python -m bench.train_memory [--epochs 3]
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import tempfile
import time
from pathlib import Path

import keras

from bench.common import phone_jpeg
from catdog.config import BUNDLED_MODEL, LIVE_PANEL_SECONDS, SHARED_DATASET, TrainConfig
from catdog.jobs import start_job
from catdog.predict import Classifier


def resident_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    classifier = Classifier.load(BUNDLED_MODEL)
    photo = phone_jpeg(SHARED_DATASET / "test" / "cats" / "cat.4501.jpg")
    idle = [classifier.classify(photo).seconds for _ in range(10)]
    print(f"server with the model loaded and used: {resident_mb('VmRSS'):.0f} MB resident")
    with tempfile.TemporaryDirectory() as models:
        job = start_job(TrainConfig(epochs=args.epochs), SHARED_DATASET, models, "memory")
        busy = []
        while job.running:
            time.sleep(LIVE_PANEL_SECONDS)
            keras.backend.clear_session()  # what Streamlit does at the end of every script run
            gc.collect(2)
            if job.status == "training":
                busy.append(classifier.classify(photo).seconds)
        job.wait()
        child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        seconds = [entry.seconds for entry in job.record.history]
        print(
            f"after a default run ({job.status}, {job.record.epochs_run} epochs on {job.record.train_photos} "
            f"photos): server peak {resident_mb('VmHWM'):.0f} MB resident, training process peak {child_mb:.0f} MB"
        )
        print(f"training epochs, seconds: {seconds}, median {statistics.median(seconds):.1f} s")
        print(
            f"one 12 MP photo classified: median {statistics.median(idle) * 1000:.0f} ms idle, "
            f"{statistics.median(busy) * 1000:.0f} ms while training ({len(busy)} photos)"
        )


if __name__ == "__main__":
    main()
