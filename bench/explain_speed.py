"""One Grad-CAM heatmap, once its model's gradient function is traced: each bundled model (target: under 300 ms).

Run from the repository root: python -m bench.explain_speed [--repeats 20]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from PIL import Image

from bench.common import median_ms, timed
from catdog.config import BUNDLED_MODELS, SHARED_DATASET
from catdog.explain import heatmap
from catdog.photos import load_photo
from catdog.predict import Classifier


def cpu() -> str:
    """The CPU's model name, and whether it has AMX (matrix units that oneDNN uses for convolutions)."""
    info = Path("/proc/cpuinfo").read_text()
    name = next(line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name"))
    return f"{name}, {'with' if ' amx_tile' in info else 'without'} AMX"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()

    print(cpu())
    photo = load_photo(SHARED_DATASET / "test" / "dogs" / "dog.4501.jpg")
    for path in BUNDLED_MODELS:
        time_heatmaps(Classifier.load(path), photo, args.repeats)


def time_heatmaps(classifier: Classifier, photo: Image.Image, repeats: int) -> None:
    pixels = classifier.classify_photo(photo).pixels
    started = time.perf_counter()
    heatmap(classifier.model, pixels)  # builds and traces the gradient function
    first = time.perf_counter() - started
    times = timed(lambda: heatmap(classifier.model, pixels), repeats)
    side = classifier.image_size
    print(
        f"{classifier.path.name} ({side}×{side}): first heatmap {first * 1000:.0f} ms, "
        f"then median {median_ms(times):.1f} ms, max {max(times) * 1000:.1f} ms over {repeats}"
    )


if __name__ == "__main__":
    main()
