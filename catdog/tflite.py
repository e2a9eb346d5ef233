"""Run an exported .tflite file as the app runs a Keras model: LiteRT's interpreter behind predict_on_batch."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from catdog.config import INFERENCE_BATCH
from catdog.tensorflow_logs import start_up_lines_dropped


class TFLiteModel:
    """A .tflite file behind what the app uses of a Keras model: input_shape and predict_on_batch.

    So a Classifier, evaluate_photos and the CLI treat an exported file as they treat the model it came from.
    """

    def __init__(self, content: bytes) -> None:
        with start_up_lines_dropped():  # LiteRT's "INFO: Created TensorFlow Lite XNNPACK delegate for CPU."
            self.interpreter = _interpreter(content)
            self.interpreter.allocate_tensors()
        (self.input,) = self.interpreter.get_input_details()
        (self.output,) = self.interpreter.get_output_details()
        self.input_shape = (None, *map(int, self.input["shape"][1:]))  # (None, size, size, 3), as Keras gives it

    @classmethod
    def load(cls, path: str | Path) -> TFLiteModel:
        return cls(Path(path).read_bytes())

    def predict_on_batch(self, pixels: np.ndarray) -> np.ndarray:
        """(n, 1) float32 dog probabilities for (n, size, size, 3) uint8 pixels."""
        index = self.input["index"]
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


def _interpreter(content: bytes):
    """LiteRT's interpreter where its package (ai-edge-litert) is installed, else the copy inside TensorFlow."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter  # noqa: N806 -- a class, named as one
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "\\s*Warning: tf.lite.Interpreter is deprecated")  # it points to LiteRT
        return Interpreter(model_content=content)
