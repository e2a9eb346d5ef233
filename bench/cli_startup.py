"""Where the time of `python -m catdog predict PHOTO` goes: the bundled .keras model through its LiteRT layers
(catdog.lite), the same file alone (a copy without them: Keras and TensorFlow), and a .tflite export.

Run from the repository root: python -m bench.cli_startup [--repeats 5] [--tflite FILE]
Every run is a fresh interpreter, so every import is cold, as in the CLI. Without --tflite, the bundled
model is exported to a temporary float .tflite first (about a minute). The machine's load average is
printed before and after: on a shared machine, compare medians taken at the same load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PHOTO = REPO.parent / "shared" / "data" / "cats_vs_dogs_small" / "test" / "dogs" / "dog.4501.jpg"

# The .keras path step by step, in a fresh interpreter; prints the seconds of each step.
KERAS_STEPS = """
import time; t0 = time.perf_counter()
import catdog.cli; t1 = time.perf_counter()
import tensorflow, keras; t2 = time.perf_counter()
from catdog.predict import Classifier; c = Classifier.load("{model}"); t3 = time.perf_counter()
c.classify("{photo}"); t4 = time.perf_counter()
c.classify("{photo}"); t5 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)
"""
KERAS_STEP_NAMES = (
    "import catdog's CLI",
    "import TensorFlow + Keras",
    "load the model and its detector (and trace)",
    "first photo",
    "a second photo",
)


def wall(argv: list[str]) -> float:
    """Seconds one `python -m catdog ...` takes, start to exit."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "catdog", *argv], cwd=REPO, check=True, capture_output=True)
    return time.perf_counter() - started


def load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--tflite", type=Path, help="a .tflite export of the bundled model (default: made here)")
    args = parser.parse_args()
    print(f"load average before: {load()}")
    with tempfile.TemporaryDirectory() as scratch:
        tflite = args.tflite
        if tflite is None:
            tflite = Path(scratch) / "catdog.tflite"
            subprocess.run(
                [sys.executable, "-m", "catdog", "export", "--format", "tflite", "--out", str(tflite)],
                cwd=REPO,
                check=True,
                capture_output=True,
            )
        alone = Path(scratch) / "catdog.keras"  # no catdog.lite.npz beside it: Keras runs it
        shutil.copyfile(REPO / "models" / "catdog.keras", alone)
        lite_walls, keras_walls, tflite_walls, steps = [], [], [], []
        for _ in range(args.repeats):  # interleaved, so a change of load touches all alike
            lite_walls.append(wall(["predict", str(PHOTO)]))
            keras_walls.append(wall(["predict", "--model", str(alone), str(PHOTO)]))
            tflite_walls.append(wall(["predict", "--model", str(tflite), str(PHOTO)]))
            out = subprocess.run(
                [sys.executable, "-c", KERAS_STEPS.format(photo=PHOTO, model=alone)],
                cwd=REPO,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            steps.append([float(x) for x in out.split()])
    print(f"load average after: {load()}")
    for name, walls in (
        ("models/catdog.keras (its LiteRT layers)", lite_walls),
        ("the same .keras alone (Keras)", keras_walls),
        ("the same model as .tflite", tflite_walls),
    ):
        runs = ", ".join(f"{seconds:.1f}" for seconds in walls)
        print(f"predict one photo with {name}: median {statistics.median(walls):.2f} s over {args.repeats} ({runs})")
    median = [statistics.median(column) for column in zip(*steps)]
    print(
        "  .keras alone, step by step (medians): "
        + ", ".join(f"{n} {s:.2f} s" for n, s in zip(KERAS_STEP_NAMES, median))
    )


if __name__ == "__main__":
    main()
