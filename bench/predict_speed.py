"""One 12-megapixel phone JPEG to a dog probability, catdog's way against the book's way.

Run from the repository root: python -m bench.predict_speed [--model models/catdog.keras] [--repeats 30]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import keras
import numpy as np

from bench.common import median_ms, phone_jpeg, timed
from catdog.config import BUNDLED_MODEL, SHARED_DATASET
from catdog.predict import Classifier


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, default=BUNDLED_MODEL)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()

    classifier = Classifier.load(args.model)
    size = classifier.image_size
    photo = phone_jpeg(SHARED_DATASET / "test" / "dogs" / "dog.4501.jpg")
    with tempfile.NamedTemporaryFile(suffix=".jpg") as f:
        f.write(photo)
        f.flush()

        def book_way():
            # Deep Learning with Python: load_img(target_size) → img_to_array → predict.
            image = keras.utils.load_img(f.name, target_size=(size, size))
            return classifier.model.predict(np.expand_dims(keras.utils.img_to_array(image), 0), verbose=0)

        ours = timed(lambda: classifier.classify(f.name), args.repeats)
        book = timed(book_way, args.repeats)
    pixels = classifier.classify(photo).pixels[None]
    model_only = timed(lambda: classifier.model.predict_on_batch(pixels), args.repeats)
    book_model_only = timed(lambda: classifier.model.predict(pixels, verbose=0), args.repeats)

    print(f"model {args.model} ({size}×{size}), 12 MP phone JPEG, median of {args.repeats}")
    print(
        f"end to end: catdog {median_ms(ours):.1f} ms, book's way {median_ms(book):.1f} ms, "
        f"ratio {median_ms(book) / median_ms(ours):.1f}×"
    )
    ours_ms, book_ms = median_ms(model_only), median_ms(book_model_only)
    print(
        f"model call alone: catdog (predict_on_batch) {ours_ms:.1f} ms, model.predict {book_ms:.1f} ms, "
        f"ratio {book_ms / ours_ms:.1f}×"
    )


if __name__ == "__main__":
    main()
