"""How models hold up on photos unlike Kaggle's: the shared test split, shifted in ways real photos are.

Each shift is made here from the 500 shared test photos (no outside photos exist on this machine):
a small pet in a big frame on a wooden floor, dim light, a warm lamp's colour cast, an
overexposed shot, black and white, and a soft, heavily compressed phone snapshot.
Run from the repository root: python -m bench.robustness [MODEL.keras ...]   (default: the bundled ones)
"""

from __future__ import annotations

import argparse
import io
import json
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter, ImageOps

from bench.common import REPO
from catdog.config import BUNDLED_MODELS, SHARED_DATASET


def wooden_floor(size: tuple[int, int], rng: np.random.Generator) -> Image.Image:
    """Planks of varying brown with grain: the floor under many pets in people's photos."""
    width, height = size
    plank = int(rng.integers(40, 90))
    rows = np.arange(height)[:, None]
    tone = rng.uniform(0.55, 1.0, size=height // plank + 1)[rows // plank]  # (height, 1)
    grain = 0.08 * np.sin(np.arange(width)[None, :] / rng.uniform(3, 9) + rows * 0.3) + rng.normal(
        0, 0.03, (height, width)
    )
    base = np.array([150, 100, 60], np.float32)
    pixels = np.clip(base * (tone + grain)[..., None], 0, 255).astype(np.uint8)
    return Image.fromarray(pixels)


def small_in_big_frame(photo: Image.Image, rng: np.random.Generator) -> Image.Image:
    scale = rng.uniform(0.3, 0.45)
    canvas = wooden_floor((960, 720), rng)
    pet = photo.resize((int(photo.width * 960 * scale / photo.width), int(photo.height * 960 * scale / photo.width)))
    x = int(rng.integers(0, canvas.width - pet.width))
    y = int(rng.integers(0, max(1, canvas.height - pet.height)))
    canvas.paste(pet, (x, y))
    return canvas


def phone_snapshot(photo: Image.Image, rng: np.random.Generator) -> Image.Image:
    big = photo.resize((photo.width * 3, photo.height * 3), Image.Resampling.BICUBIC).filter(
        ImageFilter.GaussianBlur(2)
    )
    out = io.BytesIO()
    big.save(out, "JPEG", quality=35)
    return Image.open(io.BytesIO(out.getvalue())).convert("RGB")


SHIFTS = {
    "as is": lambda photo, rng: photo,
    "small pet on a wooden floor": small_in_big_frame,
    "dim light": lambda photo, rng: ImageEnhance.Brightness(photo).enhance(0.3),
    "warm lamp": lambda photo, rng: Image.merge(
        "RGB", [band.point(lambda v, f=f: min(255, int(v * f))) for band, f in zip(photo.split(), (1.25, 0.95, 0.55))]
    ),
    "overexposed": lambda photo, rng: ImageEnhance.Brightness(photo).enhance(1.9),
    "black and white": lambda photo, rng: ImageOps.grayscale(photo).convert("RGB"),
    "soft, compressed phone snapshot": phone_snapshot,
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("models", nargs="*", type=Path, default=list(BUNDLED_MODELS))
    args = parser.parse_args()

    from catdog.data import labelled_photos
    from catdog.model import predict_dog_probability
    from catdog.photos import load_photo, model_input
    from catdog.predict import Classifier
    from catdog.wording import label_of

    items = labelled_photos(SHARED_DATASET / "test")
    photos = [load_photo(path) for path, _ in items]
    labels = np.array([label for _, label in items])
    classifiers = [Classifier.load(path) for path in args.models]
    results: dict[str, dict[str, float]] = {}
    print(f"{'':34}" + "".join(f"{c.path.stem[:24]:>26}" for c in classifiers))
    for shift, change in SHIFTS.items():
        rng = np.random.default_rng(0)  # the same shifted photos for every model
        shifted = [change(photo, rng) for photo in photos]
        row = {}
        for classifier in classifiers:
            pixels = np.stack([model_input(photo, classifier.image_size) for photo in shifted])
            said = np.array([label_of(p) == "dog" for p in predict_dog_probability(classifier.model, pixels)])
            row[classifier.path.stem] = round(float(np.mean(said == (labels == 1))), 3)
        results[shift] = row
        print(f"{shift:34}" + "".join(f"{row[c.path.stem]:>26.3f}" for c in classifiers), flush=True)
    out = REPO / "bench" / "results" / f"robustness-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"saved {out}")


if __name__ == "__main__":
    main()
