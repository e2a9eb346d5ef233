"""A catdog model's verdicts without TensorFlow: its layers up to the last feature map, run by LiteRT.

Importing TensorFlow takes about 5 s, and loading and tracing a model a few more; LiteRT starts in a
fifth of a second and runs MobileNetV2's layers on one photo in about 8 ms on 2 cores. Training saves
those layers, converted, beside the model (NAME.lite.npz, with the final unit's weights and the
model file's digest); what follows the feature map, global pooling and one sigmoid unit, is a few
lines of NumPy (read_feature_maps). So a page and `predict` get the probability, the features the
"neither" check compares, and Grad-CAM's heatmap from one LiteRT call, with no TensorFlow at all.
The file is used only while its digest matches the model's: a replaced .keras falls back to Keras.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import threading
from pathlib import Path

import numpy as np

from catdog.config import DOG_THRESHOLD, LITE_SUFFIX, log
from catdog.tflite import interpreter

# The decision threshold as a logit: Grad-CAM follows the dog's logit above it and the cat's below.
DOG_LOGIT = math.log(DOG_THRESHOLD / (1 - DOG_THRESHOLD))
# One photo a call: batches run no faster on a CPU (16 photos took as long one by one), and a new batch
# size costs 75 ms to reallocate. Two threads halve a photo's time; more buy little for one photo.
_THREADS = min(os.cpu_count() or 1, 2)


def lite_path(model_path: str | Path) -> Path:
    """Where a model's LiteRT layers live: models/catdog.keras → models/catdog.lite.npz."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.stem + LITE_SUFFIX)


def file_digest(path: str | Path) -> str:
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


class LiteModel:
    """A catdog model (ending global pooling → one sigmoid unit) as LiteRT's feature map and NumPy's unit.

    Thread-safe: one interpreter, one photo at a time under a lock.
    """

    def __init__(self, content: bytes, kernel: np.ndarray, bias: float) -> None:
        self.interpreter = interpreter(content, _THREADS)
        (self.input,) = self.interpreter.get_input_details()
        (self.output,) = self.interpreter.get_output_details()
        size = tuple(int(side) for side in self.input["shape"][1:])
        if int(self.input["shape"][0]) != 1:
            self.interpreter.resize_tensor_input(self.input["index"], (1, *size))
            self.interpreter.allocate_tensors()
        self.input_shape = (None, *size)  # (None, size, size, 3), as Keras gives it
        self.kernel, self.bias = np.asarray(kernel, np.float32).reshape(-1), float(bias)
        self._lock = threading.Lock()

    @classmethod
    def beside(cls, model_path: str | Path) -> LiteModel | None:
        """The LiteRT layers saved beside a .keras model, when they were made from this very file; else None
        (none saved, made from another version of the file, or unreadable)."""
        path = lite_path(model_path)
        if not path.is_file():
            return None
        try:
            with np.load(path) as saved:
                if str(saved["source"]) != file_digest(model_path):
                    log.info("%s was made from another version of %s: using Keras", path.name, Path(model_path).name)
                    return None
                return cls(saved["tflite"].tobytes(), saved["kernel"], float(saved["bias"]))
        except Exception:  # noqa: BLE001 -- a damaged or foreign file: the .keras model still works
            log.warning("%s could not be used: using Keras", path, exc_info=True)
            return None

    @staticmethod
    def save(content: bytes, kernel: np.ndarray, bias: float, model_path: str | Path) -> Path:
        """Write NAME.lite.npz beside the model it was converted from, whole or not at all."""
        path = lite_path(model_path)
        buffer = io.BytesIO()
        np.savez(
            buffer,
            tflite=np.frombuffer(content, np.uint8),
            kernel=np.asarray(kernel, np.float32).reshape(-1),
            bias=np.float32(bias),
            source=file_digest(model_path),
        )
        scratch = path.with_name(f".saving-{path.name}")
        scratch.write_bytes(buffer.getvalue())
        os.replace(scratch, path)
        return path

    def feature_maps(self, pixels: np.ndarray) -> np.ndarray:
        """The last feature maps (n, h, w, channels) float32 of model inputs (n, size, size, 3) uint8."""
        maps = []
        with self._lock:
            for one in pixels:
                self.interpreter.set_tensor(self.input["index"], one[None])
                self.interpreter.invoke()
                maps.append(self.interpreter.get_tensor(self.output["index"])[0].copy())  # its buffer is reused
        return np.stack(maps) if maps else np.zeros((0, *self.output["shape"][1:]), np.float32)

    def read(self, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(dog probabilities (n,), pooled features (n, channels), heatmaps (n, h, w)) of model inputs."""
        return read_feature_maps(self.feature_maps(pixels), self.kernel, self.bias)

    def dog_probabilities(self, pixels: np.ndarray) -> np.ndarray:
        """(n,) float32 dog probabilities for (n, size, size, 3) uint8 pixels."""
        return self.read(pixels)[0]


def read_feature_maps(maps: np.ndarray, kernel: np.ndarray, bias: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dog probabilities (n,), pooled features (n, channels), heatmaps (n, h, w)) of last feature maps
    (n, h, w, channels) seen through global average pooling and one sigmoid unit (kernel (channels,), bias).

    Through pooling and one dense unit (the dropout between them does nothing outside training), the
    gradient that Grad-CAM averages per channel is the unit's weight over h·w: the heatmap is the map
    weighted by the kernel, where positive for the verdict's class, scaled to a maximum of 1.
    """
    maps = np.asarray(maps, np.float32)
    kernel = np.asarray(kernel, np.float32).reshape(-1)
    pooled = maps.mean(axis=(1, 2))
    logits = pooled @ kernel + bias
    signs = np.where(logits >= DOG_LOGIT, 1.0, -1.0).astype(np.float32)  # the verdict's class: dog, or cat
    cams = np.maximum(signs[:, None, None] * (maps @ kernel), 0)
    probabilities = (1 / (1 + np.exp(-logits))).astype(np.float32)
    return probabilities, pooled, np.stack([scaled(cam) for cam in cams]) if len(cams) else cams


def scaled(cam: np.ndarray) -> np.ndarray:
    """A non-negative map scaled to a maximum of 1, float32; all zero when nothing speaks for the verdict."""
    top = cam.max()
    return (cam / top if top > 0 else np.zeros_like(cam)).astype(np.float32)
