"""Where the time of `python -m catdog predict PHOTO` goes: interpreter, TensorFlow import, model load, prediction.

Run from the repository root: python -m bench.cli_startup [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PHOTO = REPO.parent / "shared" / "data" / "cats_vs_dogs_small" / "test" / "dogs" / "dog.4501.jpg"

# Runs in a fresh interpreter each time, so every import is cold, as in the CLI.
STEPS = """
import time; t0 = time.perf_counter()
import tensorflow, keras; t1 = time.perf_counter()
from catdog.predict import Classifier; c = Classifier.load("models/catdog.keras"); t2 = time.perf_counter()
c.classify("{photo}"); t3 = time.perf_counter()
c.classify("{photo}"); t4 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2, t4 - t3)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    walls, steps = [], []
    for _ in range(args.repeats):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "catdog", "predict", str(PHOTO)], cwd=REPO, check=True, capture_output=True
        )
        walls.append(time.perf_counter() - started)
        out = subprocess.run(
            [sys.executable, "-c", STEPS.format(photo=PHOTO)], cwd=REPO, check=True, capture_output=True, text=True
        ).stdout
        steps.append([float(x) for x in out.split()])
    median = [statistics.median(column) for column in zip(*steps)]
    print(
        f"python -m catdog predict (one photo): median wall {statistics.median(walls):.2f} s over {args.repeats} runs"
    )
    print(
        f"  import TensorFlow + Keras {median[0]:.2f} s, load model (and trace it) {median[1]:.2f} s, "
        f"first prediction {median[2]:.2f} s, a second prediction {median[3] * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
