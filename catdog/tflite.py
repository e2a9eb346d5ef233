"""Run an exported .tflite file as the app runs a Keras model: LiteRT's interpreter behind predict_on_batch."""

from __future__ import annotations

import threading
import warnings
from pathlib import Path

import numpy as np

from catdog.config import INFERENCE_BATCH
from catdog.tensorflow_logs import start_up_lines_dropped


class TFLiteModel:
    """A .tflite file behind what the app uses of a Keras model: input_shape and predict_on_batch.

    So a Classifier, evaluate_photos and the CLI treat an exported file as they treat the model it came from.
    Thread-safe: one batch at a time under a lock, as a server's visitors share it.
    """

    def __init__(self, content: bytes) -> None:
        self.interpreter = interpreter(content)
        self._lock = threading.Lock()
        (self.input,) = self.interpreter.get_input_details()
        (self.output,) = self.interpreter.get_output_details()
        self.input_shape = (None, *map(int, self.input["shape"][1:]))  # (None, size, size, 3), as Keras gives it

    @classmethod
    def load(cls, path: str | Path) -> TFLiteModel:
        return cls(Path(path).read_bytes())

    def predict_on_batch(self, pixels: np.ndarray) -> np.ndarray:
        """(n, 1) float32 dog probabilities for (n, size, size, 3) uint8 pixels."""
        index = self.input["index"]
        with self._lock:
            if tuple(self.interpreter.get_input_details()[0]["shape"]) != pixels.shape:
                self.interpreter.resize_tensor_input(index, pixels.shape)
                self.interpreter.allocate_tensors()
            self.interpreter.set_tensor(index, pixels)
            self.interpreter.invoke()
            return self.interpreter.get_tensor(self.output["index"]).copy()  # the interpreter reuses its buffer

    def dog_probabilities(self, pixels: np.ndarray) -> np.ndarray:
        """(n,) float32 dog probabilities for (n, size, size, 3) uint8 pixels, INFERENCE_BATCH at a time."""
        batch = INFERENCE_BATCH
        chunks = [self.predict_on_batch(pixels[i : i + batch]) for i in range(0, len(pixels), batch)]
        return np.concatenate([chunk.reshape(-1) for chunk in chunks]) if chunks else np.zeros(0, np.float32)


def interpreter(content: bytes, threads: int | None = None):
    """A .tflite file's interpreter, its tensors allocated: LiteRT's where its package (ai-edge-litert) is
    installed, else the copy inside TensorFlow. threads: None leaves LiteRT's own choice."""
    with start_up_lines_dropped():  # LiteRT's "INFO: Created TensorFlow Lite XNNPACK delegate for CPU."
        made = _interpreter(content, threads)
        made.allocate_tensors()
    return made


def _interpreter(content: bytes, threads: int | None):
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter  # noqa: N806 -- a class, named as one
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "\\s*Warning: tf.lite.Interpreter is deprecated")  # it points to LiteRT
        return Interpreter(model_content=content, num_threads=threads)
