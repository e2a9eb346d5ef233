"""Export a model for use outside the app: its .keras file, or TensorFlow Lite, float or int8-quantized.

Every catdog model takes raw uint8 pixels and scales them inside, so an exported file needs only
the photo prepared as catdog/photos.py prepares it: docs/predict_tflite.py does that with NumPy
and Pillow alone. Both TFLite files keep the model's uint8 (batch, size, size, 3) input and give a
float32 (batch, 1) dog probability. Inside, the int8 file computes in 8-bit integers, weights and
activations alike, with ranges calibrated on photos of the model's own training split.

    python -m catdog export --model models/catdog.keras --format tflite --quantize int8 --out catdog-int8.tflite
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from catdog.config import (
    CALIBRATION_PHOTOS,
    CLASS_NAMES,
    EXPORT_FORMATS,
    EXPORT_QUANTIZATIONS,
    PROJECT_DIR,
)
from catdog.data import DatasetError, find_dataset
from catdog.evaluation import accuracy, evaluate_photos
from catdog.explain import pooled_head, unit_weights
from catdog.i18n import TranslatedError
from catdog.lite import LiteModel
from catdog.model import input_size, load_model
from catdog.photos import PhotoError, load_photo, model_input
from catdog.predict import Classifier
from catdog.runs import dataset_folder, read_record
from catdog.tensorflow_logs import start_up_lines_dropped
from catdog.tflite import TFLiteModel

# The standalone example that classifies a photo with an exported .tflite file, as the app would.
PREDICT_SNIPPET = PROJECT_DIR / "docs" / "predict_tflite.py"


class ExportError(TranslatedError, ValueError):
    """An export that cannot be made (no photos to calibrate with, a file that is no model); says why, for a person."""


@dataclass(frozen=True)
class Download:
    """An exported model in memory: what a page hands to st.download_button."""

    data: bytes
    filename: str  # NAME.keras, NAME.tflite or NAME-int8.tflite
    mime: str


def export_bytes(
    model_path: str | Path, format: str = "tflite", quantize: str = "float", photos: list[Path] | None = None
) -> Download:
    """The model at model_path exported in memory, for a download button.

    The bytes depend only on the file and the arguments, and converting MobileNetV2 takes from
    half a minute (float) to minutes (int8, on a busy 2-core machine): a page caches this on
    (path, the file's modification time, format, quantize).
    """
    name = Path(model_path).stem
    if format == "keras":
        if quantize != "float":
            raise ExportError("export.error.keras_not_quantized")
        return Download(Path(model_path).read_bytes(), f"{name}.keras", "application/octet-stream")
    if format != "tflite":
        raise ExportError("export.error.unknown_format", formats=", ".join(EXPORT_FORMATS), format=repr(format))
    suffix = "" if quantize == "float" else f"-{quantize}"
    return Download(tflite_bytes(model_path, quantize, photos), f"{name}{suffix}.tflite", "application/octet-stream")


def export_keras(model_path: str | Path, out: str | Path) -> Path:
    """A copy of the .keras file: it already holds the preprocessing, so it classifies exactly as the app does."""
    load_keras(model_path)  # refuse a file that is no model rather than copy it
    shutil.copyfile(model_path, out)
    return Path(out)


def export_tflite(
    model_path: str | Path, out: str | Path, quantize: str = "float", photos: list[Path] | None = None
) -> Path:
    """Write the model as a .tflite file; int8 calibrates on `photos`, by default its own training photos."""
    Path(out).write_bytes(tflite_bytes(model_path, quantize, photos))
    return Path(out)


def tflite_bytes(model_path: str | Path, quantize: str = "float", photos: list[Path] | None = None) -> bytes:
    """The model converted to TensorFlow Lite, offline: through a SavedModel, Keras 3's path to the converter."""
    if quantize not in EXPORT_QUANTIZATIONS:
        raise ExportError(
            "export.error.unknown_quantization", quantizations=", ".join(EXPORT_QUANTIZATIONS), quantize=repr(quantize)
        )
    model = load_keras(model_path)
    pixels = None
    if quantize == "int8":
        pixels = calibration_pixels(photos or calibration_photos(model_path), input_size(model))
    return converted(model, pixels)


def save_lite(model: keras.Model, model_path: str | Path) -> Path | None:
    """Save a catdog model's layers up to its last feature map for LiteRT beside its .keras file (catdog.lite),
    so that its verdicts, "neither" checks and heatmaps need no TensorFlow. None for a model that does not end
    in pooling and one sigmoid unit. Converting takes 3 s for the convnet and 15 s for MobileNetV2 on 2 cores."""
    head = pooled_head(model)
    if head is None:
        return None
    return LiteModel.save(converted(head[0]), *unit_weights(head[1]), model_path)


def converted(model: keras.Model, pixels: np.ndarray | None = None) -> bytes:
    """The model as a .tflite file's bytes; int8 when given calibration pixels (n, size, size, 3) uint8."""
    with tempfile.TemporaryDirectory() as saved, start_up_lines_dropped():  # the converter's log lines
        model.export(saved, format="tf_saved_model", verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(saved)
        if pixels is not None:
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.representative_dataset = lambda: ([photo[None]] for photo in pixels)  # (1, size, size, 3)
            # Every layer in int8 or the conversion fails; the uint8 input and the float output stay,
            # turned into int8 by a CAST and QUANTIZE at the start and back by a DEQUANTIZE at the end.
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        return converter.convert()


def load_keras(model_path: str | Path):
    """The Keras model, or ExportError for a file that is not one."""
    try:
        return load_model(model_path)
    except Exception as error:  # noqa: BLE001 -- Keras fails on a file that is no model in many ways
        raise ExportError("export.error.not_a_model", detail=str(error), model=model_path) from None


def calibration_photos(model_path: str | Path, count: int = CALIBRATION_PHOTOS) -> list[Path]:
    """Photos from the training split of the dataset the model's run record names."""
    data = trained_on(read_record(model_path))
    if data is None:
        raise ExportError("export.error.no_dataset")
    return training_photos(data, count)


def trained_on(record) -> Path | None:
    """The dataset a run record names, where it is on this machine, or None."""
    return None if record is None else dataset_folder(record.data)


def training_photos(data: str | Path, count: int = CALIBRATION_PHOTOS) -> list[Path]:
    """`count` photos of the dataset's training split, half cats and half dogs, spread evenly over each class."""
    try:
        train = find_dataset(data).splits.get("train", [])
    except DatasetError as error:
        raise ExportError("export.error.bad_dataset", reason=error.said) from None
    chosen, share = [], max(1, count // len(CLASS_NAMES))
    for label in range(len(CLASS_NAMES)):
        members = [path for path, item_label in train if item_label == label]
        chosen += members[:: max(1, len(members) // share)][:share]
    if not chosen:
        raise ExportError("export.error.no_photos", data=data)
    return chosen


def calibration_pixels(photos: list[Path], size: int) -> np.ndarray:
    """(n, size, size, 3) uint8: the photos exactly as the app feeds them to the model; unreadable ones left out."""
    pixels = []
    for photo in photos:
        try:
            pixels.append(model_input(load_photo(photo), size))
        except PhotoError:
            continue
    if not pixels:
        raise ExportError("export.error.unreadable_photos")
    return np.stack(pixels)


def tflite_test_accuracy(content: bytes, model_path: str | Path) -> float | None:
    """The TFLite file's accuracy on the test split the model was scored on; None when that split is not found.

    What the picker shows beside the model's own test accuracy: what quantizing cost.
    """
    record = read_record(model_path)
    data = trained_on(record)
    try:
        test = find_dataset(data).splits.get("test", []) if data else []
    except DatasetError:
        return None
    if not test:
        return None
    model = TFLiteModel(content)
    return accuracy(evaluate_photos(Classifier(model, Path(model_path), input_size(model), record), test))
