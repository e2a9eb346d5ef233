"""Cat or dog? A catdog model exported as TensorFlow Lite, on its own: NumPy, Pillow and a TFLite interpreter.

    python -m catdog export --format tflite --out catdog.tflite     # in the catdog repository
    python predict_tflite.py catdog.tflite photo.jpg [more.jpg ...]   # anywhere

Prints each photo's dog probability. The photo is prepared step by step as the app prepares it
(catdog/photos.py: load_photo, then model_input), so the numbers are the app's: upright by its
EXIF orientation, RGB with transparency on white, shrunk to 1024 pixels a side, squashed to the
model's square with the same filter, uint8. The model scales the pixels itself.
Needs `pip install numpy pillow` and either `ai-edge-litert` (LiteRT) or `tensorflow`; prints nothing else.
"""

import contextlib
import os
import sys
import warnings

import numpy as np
from PIL import Image, ImageOps

MAX_SIDE = 1024  # the app keeps photos at most this big before squashing them to the model's input


def load_photo(path: str) -> Image.Image:
    """The upright RGB photo, at most MAX_SIDE pixels a side."""
    image = Image.open(path)
    if image.format == "JPEG":
        image.draft("RGB", (MAX_SIDE // 2, MAX_SIDE // 2))  # decode at reduced scale, as the app does
    image.seek(0)  # an animation's first frame
    image = ImageOps.exif_transpose(image)
    image = to_rgb(image)
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return image


def to_rgb(image: Image.Image) -> Image.Image:
    """RGB, with transparent pixels on white and 16-bit or float pixels scaled to 8 bits."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        pixels = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") or pixels.max() > 255 else 255.0
        if image.mode == "F" and pixels.max() <= 1.0:
            top = 1.0
        image = Image.fromarray(np.clip(pixels * (255.0 / top), 0, 255).astype(np.uint8), "L")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba).convert("RGB")
    return image.convert("RGB")


def model_input(photo: Image.Image, size: int) -> np.ndarray:
    """(1, size, size, 3) uint8: the whole photo squashed to the model's square."""
    square = photo.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(square, dtype=np.uint8)[None]


def interpreter(model_path: str):
    """LiteRT's interpreter, or else the copy inside TensorFlow, ready to run; made without a word on stderr."""
    with quiet_stderr():
        try:
            from ai_edge_litert.interpreter import Interpreter  # LiteRT, TensorFlow Lite's new name
        except ImportError:
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's later log lines too
            import tensorflow as tf

            Interpreter = tf.lite.Interpreter  # noqa: N806 -- a class, named as one
        model = Interpreter(model_path=model_path)
        model.allocate_tensors()
    return model


@contextlib.contextmanager
def quiet_stderr():
    """Nothing on stderr inside: TensorFlow's start-up lines, LiteRT's "Created TensorFlow Lite XNNPACK delegate"
    (both from C++, straight to file descriptor 2) and tf.lite's "Interpreter is deprecated" (it points to LiteRT).
    A failure still raises its exception, shown after this ends."""
    sys.stderr.flush()
    terminal = os.dup(2)
    with open(os.devnull, "wb") as null:
        os.dup2(null.fileno(), 2)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        sys.stderr.flush()
        os.dup2(terminal, 2)
        os.close(terminal)


def main(model_path: str, photos: list[str]) -> None:
    model = interpreter(model_path)
    (pixels,), (probability,) = model.get_input_details(), model.get_output_details()
    size = int(pixels["shape"][1])  # 224 for the bundled MobileNetV2, 128 for the convnet from scratch
    for path in photos:
        model.set_tensor(pixels["index"], model_input(load_photo(path), size))
        model.invoke()
        dog = float(model.get_tensor(probability["index"])[0, 0])
        print(f"{path}: {dog:.4f} dog probability ({'dog' if dog >= 0.5 else 'cat'})")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(f"usage: python {sys.argv[0]} MODEL.tflite PHOTO [PHOTO ...]")
    main(sys.argv[1], sys.argv[2:])
