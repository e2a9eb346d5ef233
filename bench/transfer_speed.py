"""The default pretrained run against its variants, and against an earlier version of catdog, in one run.

Trains on the 2,000 shared photos, one after the other, each variant of TrainConfig.transfer() named on
the command line, and reports: seconds to a validation accuracy of 0.97 and to the end (counted from
the call to catdog.train.train, so decoding and backbone features count), seconds per phase, test
accuracy, accuracy on the shifted test photos of bench/robustness.py (hidden-like photos), and the
memory of the cached backbone features. --baseline REV also runs `python -m catdog train --pretrained
mobilenet_v2` of an earlier commit (its defaults), from `git archive`, for at most --baseline-limit seconds.
Run from the repository root:
    python -m bench.transfer_speed                                    # the default and its variants
    ONEDNN_MAX_CPU_ISA=AVX2 python -m bench.transfer_speed default    # as on a laptop without AVX-512
    python -m bench.transfer_speed default --baseline 078665b --baseline-limit 300
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import REPO
from catdog.config import SHARED_DATASET, SHARED_WEIGHTS
from catdog.runs import Epoch, TrainingListener

TARGET = 0.97  # the goal for the default pretrained run: within 75 s, finished within 180 s
VARIANTS = {  # changes to TrainConfig.transfer("mobilenet_v2")
    "default": {},
    "augmented, 1 view": dict(augment=True, augmented_views=1),
    "augmented, 2 views": dict(augment=True, augmented_views=2),
    "augmented, 4 views": dict(augment=True, augmented_views=4),
    "no fine-tuning": dict(epochs=5, fine_tune_epochs=0),
    "augmented, 2 views, no fine-tuning": dict(augment=True, augmented_views=2, epochs=5, fine_tune_epochs=0),
}


class Clock(TrainingListener):
    """A catdog.train listener that notes wall seconds since `started` at each epoch end and phase start."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.epochs: list[tuple[Epoch, float]] = []  # each epoch's scores, and the wall seconds when it ended
        self.phases: list[tuple[str, float]] = []  # each phase, and the wall seconds when it began

    def on_phase(self, phase: str, seconds: dict[str, float]) -> None:
        self.phases.append((phase, round(time.perf_counter() - self.started, 1)))

    def on_epoch_end(self, entry: Epoch) -> None:
        self.epochs.append((entry, round(time.perf_counter() - self.started, 1)))


def shifted_test_photos(image_size: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """({shift: pixels (500, size, size, 3) uint8}, labels): bench/robustness.py's shifts of the test split."""
    from bench.robustness import SHIFTS
    from catdog.data import labelled_photos
    from catdog.photos import load_photo, model_input

    items = labelled_photos(SHARED_DATASET / "test")
    photos = [load_photo(path) for path, _ in items]
    shifted = {}
    for shift, change in SHIFTS.items():
        rng = np.random.default_rng(0)  # the same shifted photos as bench/robustness.py
        shifted[shift] = np.stack([model_input(change(photo, rng), image_size) for photo in photos])
    return shifted, np.array([label for _, label in items])


def robustness(model_path: Path, shifted: dict[str, np.ndarray], labels: np.ndarray) -> dict[str, float]:
    from catdog.config import DOG_THRESHOLD
    from catdog.model import load_model, predict_dog_probability

    model = load_model(model_path)
    scores = {}
    for shift, pixels in shifted.items():
        said_dog = predict_dog_probability(model, pixels) >= DOG_THRESHOLD
        scores[shift] = round(float(np.mean(said_dog == (labels == 1))), 3)
    return scores


def cache_megabytes(config, train_photos: int) -> float:
    """What the cached features of the training photos take: pooled features, and the fine-tuned layer's input."""
    if not config.fine_tune_epochs:
        return 0.0
    views = 1 + (config.augmented_views if config.augment else 0)
    return round(views * train_photos * (14 * 14 * 96 * 2 + 1280 * 4) / 1e6, 1)  # MobileNetV2 at 224 px


def run_variant(name: str, changes: dict, shifted, labels) -> dict:
    from catdog.config import TrainConfig
    from catdog.train import train

    config = TrainConfig.transfer("mobilenet_v2", **changes)
    clock = Clock()
    with tempfile.TemporaryDirectory() as out:
        model_path = Path(out) / "variant.keras"
        record = train(config, SHARED_DATASET, model_path, listener=clock)
        shifts = robustness(model_path, shifted, labels)
    reached = next((wall for e, wall in clock.epochs if e.val_accuracy >= TARGET), None)
    result = {
        "variant": name,
        "config": config.to_dict(),
        "seconds_to_target": reached,
        "total_seconds": record.seconds,
        "phase_seconds": record.phase_seconds,
        "phases_began": clock.phases,
        "best_val_accuracy": record.validation_accuracy,
        "best_epoch": record.best_epoch,
        "epochs_run": record.epochs_run,
        "test_accuracy": record.test_accuracy,
        "shifts": shifts,
        "shift_mean": round(statistics.mean(v for k, v in shifts.items() if k != "as is"), 4),
        "cache_mb": cache_megabytes(config, record.train_photos),
        "epochs": [e.to_dict() | {"wall": wall} for e, wall in clock.epochs],
    }
    print(
        f"{name}: {TARGET} after {reached} s; {record.seconds:.0f} s in all {record.phase_seconds}; "
        f"validation {record.validation_accuracy} (epoch {record.best_epoch} of {record.epochs_run}); "
        f"test {record.test_accuracy}; shifts mean {result['shift_mean']} {shifts}; cache {result['cache_mb']} MB",
        flush=True,
    )
    return result


def run_baseline(rev: str, limit: float, keras_home: str) -> dict:
    """The default pretrained run of commit `rev`, as a user runs it, stopped after `limit` seconds."""
    with tempfile.TemporaryDirectory() as scratch:
        checkout = Path(scratch) / "main"
        archive = subprocess.run(["git", "archive", rev], cwd=REPO, capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(checkout, filter="data")
        (Path(scratch) / "shared").symlink_to(SHARED_DATASET.parents[1])  # its ../shared, as beside a clone
        out = Path(scratch) / "baseline.keras"
        command = [sys.executable, "-m", "catdog", "train", "--data", str(SHARED_DATASET), "--out", str(out)]
        env = os.environ | {"KERAS_HOME": keras_home, "TF_CPP_MIN_LOG_LEVEL": "2"}
        started = time.perf_counter()
        process = subprocess.Popen(
            [*command, "--pretrained", "mobilenet_v2"], cwd=checkout, env=env, stdout=subprocess.DEVNULL
        )
        ended_at: list[float] = []  # wall seconds when each epoch's entry appeared in its record
        record = {}
        while process.poll() is None and time.perf_counter() - started < limit:
            time.sleep(1)
            try:
                record = json.loads(out.with_suffix(".json").read_text())
            except (OSError, ValueError):
                continue
            ended_at += [round(time.perf_counter() - started)] * (len(record["history"]) - len(ended_at))
        finished = process.poll() is not None
        process.kill()
        process.wait()
        if finished:
            record = json.loads(out.with_suffix(".json").read_text())
    history = record.get("history", [])
    reached = next((wall for e, wall in zip(history, ended_at) if e.get("val_accuracy", 0) >= TARGET), None)
    result = {
        "variant": f"baseline {rev}",
        "finished": finished,
        "limit_seconds": limit,
        "seconds_to_target": reached,
        "total_seconds": record.get("seconds") if finished else None,
        "epochs_run": len(history),
        "epochs_planned": record.get("config", {}).get("epochs"),
        "best_val_accuracy": record.get("validation_accuracy"),
        "test_accuracy": record.get("test_accuracy"),
        "epochs": [e | {"wall": wall} for e, wall in zip(history, ended_at)],
    }
    done = "finished" if finished else f"stopped after {limit:.0f} s"
    print(
        f"baseline {rev}: {done}; {TARGET} after {reached} s; {len(history)} of {result['epochs_planned']} epochs; "
        f"validation {result['best_val_accuracy']}; test {result['test_accuracy']}; epoch ends at {ended_at} s",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("variants", nargs="*", default=list(VARIANTS), help=f"any of: {', '.join(VARIANTS)}")
    parser.add_argument("--baseline", metavar="REV", help="also run this commit's default pretrained run")
    parser.add_argument("--baseline-limit", type=float, default=300, metavar="SECONDS")
    args = parser.parse_args()
    unknown = [name for name in args.variants if name not in VARIANTS]
    if unknown:
        parser.error(f"unknown variants {unknown}: choose from {list(VARIANTS)}")

    home = tempfile.mkdtemp(prefix="keras-home-")
    os.makedirs(f"{home}/models")
    for weights in SHARED_WEIGHTS.glob("*.h5"):
        shutil.copy(weights, f"{home}/models/")
    os.environ["KERAS_HOME"] = home  # read when Keras is imported, below
    isa = os.environ.get("ONEDNN_MAX_CPU_ISA", "all the CPU has")
    print(f"ONEDNN_MAX_CPU_ISA: {isa}; {os.cpu_count()} cores", flush=True)

    results = []
    if args.baseline:
        results.append(run_baseline(args.baseline, args.baseline_limit, home))
    shifted, labels = shifted_test_photos(224) if args.variants else ({}, None)
    for name in args.variants:
        results.append(run_variant(name, VARIANTS[name], shifted, labels))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:.0f} MB (the shifted test photos take about 530 MB of it)")
    out = REPO / "bench" / "results" / f"transfer_speed-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"isa": isa, "peak_mb": round(peak), "results": results}, indent=2))
    print(f"saved {out}")
    shutil.rmtree(home)


if __name__ == "__main__":
    main()
