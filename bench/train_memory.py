"""A server-like process during a default Train-page run: peak memory, and classification speed meanwhile.

Run from the repository root: python -m bench.train_memory [--epochs 2]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import SHARED_DATA, phone_jpeg
from catdog.config import BUNDLED_MODEL, TrainConfig
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
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    classifier = Classifier.load(BUNDLED_MODEL)
    photo = phone_jpeg(SHARED_DATA / "test" / "cats" / "cat.4501.jpg")
    idle = [classifier.classify(photo).seconds for _ in range(10)]
    print(f"model loaded and used: {resident_mb('VmRSS'):.0f} MB resident")
    with tempfile.TemporaryDirectory() as models:
        job = start_job(TrainConfig(epochs=args.epochs), SHARED_DATA, models, "memory")
        busy = []
        while job.running:
            time.sleep(1)
            if job.status == "training":
                busy.append(classifier.classify(photo).seconds)
        print(
            f"after a default run ({job.status}, {len(job.epochs)} epochs on {job.metadata.get('train_photos')} "
            f"photos): peak {resident_mb('VmHWM'):.0f} MB resident, now {resident_mb('VmRSS'):.0f} MB"
        )
        print(
            f"one 12 MP photo classified: median {statistics.median(idle) * 1000:.0f} ms idle, "
            f"{statistics.median(busy) * 1000:.0f} ms while training ({len(busy)} photos)"
        )


if __name__ == "__main__":
    main()
