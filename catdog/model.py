"""The models: raw uint8 RGB pixels in, dog probability out.

Two kinds: the book's small convnet trained from scratch, and a pretrained ImageNet backbone
(MobileNet) with a new head. Both keep their input scaling inside the model, so every saved
model takes the same uint8 pixels and the app, the CLI and any export treat them alike.
"""

from __future__ import annotations

import contextlib
import weakref
import zipfile
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from catdog.config import BACKBONES, INFERENCE_BATCH, PRETRAINED_IMAGE_SIZE, TrainConfig
from catdog.i18n import TranslatedError
from catdog.wording import UnusableModel

_traced_calls: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model → its traced call (traced_call)


class WeightsUnavailable(TranslatedError, RuntimeError):
    """The ImageNet weights are neither in Keras's cache nor downloadable; the message says what to do."""


def build_model(config: TrainConfig, precision: str = "float32") -> keras.Model:
    """The model config describes: the book's convnet, or a pretrained backbone with a new head."""
    with _dtype_policy("mixed_bfloat16" if precision == "bfloat16" else "float32"):
        if config.pretrained:
            return build_transfer_model(config)
        return build_convnet(config)


def build_convnet(config: TrainConfig) -> keras.Model:
    """A small residual convnet with batch normalisation and global pooling.

    A strided stem down to 1/4 of the input, then three stages at 1/4, 1/8 and 1/16, each two 3×3
    convolutions with a shortcut; plain (not separable) convolutions, which use a CPU's matrix
    units best. Layers are named for what they are: the names show in the layer views.
    """
    size, width = config.image_size, config.width
    inputs = keras.Input((size, size, 3), dtype="uint8", name="pixels")  # (batch, size, size, 3)
    x = layers.Rescaling(1 / 255, name="scale")(inputs)
    x = layers.Conv2D(width, 3, strides=2, padding="same", use_bias=False, name="stem_conv")(x)  # size/2
    # Pooled before batch norm and ReLU, not after: max pooling commutes with ReLU and with batch norm's
    # per-channel scaling (while positive), and these two memory-bound layers then see a quarter of the pixels.
    # A training step took about 6% less time (212-227 ms against 231-237 at 96 px, AVX2, interleaved runs).
    x = layers.MaxPooling2D(2, name="stem_pool")(x)  # (batch, size/4, size/4, width)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.Activation("relu", name="stem_relu")(x)
    for stage, filters in enumerate((2 * width, 4 * width, 8 * width), start=1):
        x = _residual_block(x, filters, f"stage{stage}", halve=stage > 1)
    x = layers.GlobalAveragePooling2D(name="pool")(x)  # (batch, 8 * width)
    x = layers.Dropout(config.dropout, seed=config.seed, name="dropout")(x)
    outputs = layers.Dense(1, activation="sigmoid", dtype="float32", name="dog_probability")(x)
    return keras.Model(inputs, outputs, name="catdog_convnet")


def build_transfer_model(config: TrainConfig) -> keras.Model:
    """An ImageNet backbone, frozen, with a new head: pixels → [-1, 1] → backbone → pooling → dog probability.

    The backbone is one nested layer named "backbone" and is always called in inference mode, so
    its batch-norm statistics stay ImageNet's even while its top is fine-tuned.
    """
    size = config.image_size
    inputs = keras.Input((size, size, 3), dtype="uint8", name="pixels")
    x = layers.Rescaling(1 / 127.5, offset=-1, name="scale")(inputs)  # MobileNet's preprocess_input
    backbone = load_backbone(config.pretrained, size)
    backbone.trainable = False
    x = backbone(x, training=False)  # (batch, 7, 7, channels) at 224 px
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    x = layers.Dropout(config.dropout, seed=config.seed, name="dropout")(x)
    outputs = layers.Dense(1, activation="sigmoid", dtype="float32", name="dog_probability")(x)
    return keras.Model(inputs, outputs, name=f"catdog_{config.pretrained}")


def load_backbone(name: str, size: int = PRETRAINED_IMAGE_SIZE) -> keras.Model:
    """keras.applications' network with ImageNet weights, from Keras's cache or downloaded into it once."""
    spec = BACKBONES[name]
    construct = getattr(keras.applications, spec.application)
    try:
        backbone = construct(
            input_shape=(size, size, 3), alpha=spec.alpha, include_top=False, weights="imagenet", name="backbone"
        )
    except Exception as error:  # noqa: BLE001 -- Keras raises a bare Exception when the download fails
        if "URL fetch failure" not in str(error) and not isinstance(error, OSError):
            raise
        raise WeightsUnavailable(
            "weights.unavailable",
            backbone=BACKBONES[name].title,
            file=spec.weights_file,
            folder=str(weights_cache_dir()),
        ) from None
    return backbone


def weights_cache_dir() -> Path:
    """Where keras.applications looks for (and downloads) ImageNet weights: $KERAS_HOME/models."""
    from keras.src.backend.config import keras_home

    return Path(keras_home()) / "models"


def weights_cached(name: str) -> bool:
    return (weights_cache_dir() / BACKBONES[name].weights_file).is_file()


def fine_tune_top(model: keras.Model, backbone_name: str) -> int:
    """Unfreeze the backbone from its fine-tuning layer on (batch norm stays frozen); returns the weights unfrozen."""
    backbone = model.get_layer("backbone")
    backbone.trainable = True
    names = [layer.name for layer in backbone.layers]
    start = names.index(BACKBONES[backbone_name].fine_tune_from)
    for i, layer in enumerate(backbone.layers):
        layer.trainable = i >= start and not isinstance(layer, layers.BatchNormalization)
    return sum(int(np.prod(w.shape)) for w in backbone.trainable_weights)


def load_model(path: str | Path) -> keras.Model:
    return keras.saving.load_model(path, compile=False)


def check_model(path: str | Path) -> UnusableModel | None:
    """None when the file loads as a cat-or-dog model (square RGB photos in, one probability out), else why not.

    It loads the model (a second or two for the bundled one): callers check each version of a file once.
    """
    path = Path(path)
    why = _why_unusable(path)
    return None if why is None else UnusableModel(path, why)


def _why_unusable(path: Path) -> str | None:
    """The catalogue key saying why the file cannot be used, or None when it can."""
    if path.is_dir():
        return "unusable.folder"
    try:
        with path.open("rb") as file:
            start = file.read(4)
    except FileNotFoundError:
        return "unusable.gone"
    except OSError:
        return "unusable.unreadable"
    if not start:
        return "unusable.empty"
    if not zipfile.is_zipfile(path):  # a .keras file is a ZIP whose directory sits at its very end
        return "unusable.not_keras"
    try:
        model = load_model(path)
        shape, output = model.input_shape, model.output_shape
    except Exception as error:  # noqa: BLE001 -- any file may lie here, and Keras fails on them in many ways
        return _load_failure(error)
    # (None, size, size, 3) in, (None, 1) out: what Classifier feeds and reads.
    square = isinstance(shape, tuple) and len(shape) == 4 and shape[1] is not None and shape[1] == shape[2]
    if not (square and shape[3] == 3):
        return "unusable.not_square"
    if not (isinstance(output, tuple) and tuple(output[1:]) == (1,)):
        return "unusable.not_one_probability"
    return None


def _load_failure(error: Exception) -> str:
    """Keras's error as a catalogue key for a visitor's sentence; its own text names folders and Python classes."""
    text = str(error)
    # Keras states these cases only in its messages; an unknown one gets the general sentence.
    if "safe_mode" in text or "for security" in text:
        return "unusable.safe_mode"
    if "Could not locate" in text or "deserialize" in text:
        return "unusable.unknown_layer"
    return "unusable.keras_failed"


def input_size(model: keras.Model) -> int:
    """The square side, in pixels, that this model's input expects."""
    return int(model.input_shape[1])


def predict_dog_probability(model: keras.Model, pixels: np.ndarray) -> np.ndarray:
    """Dog probabilities (n,) for pixels (n, size, size, 3) uint8, through the model's one traced call."""
    return predict_outputs(model, pixels).reshape(-1)


def predict_outputs(model: keras.Model, pixels: np.ndarray) -> np.ndarray:
    """A one-output model's outputs (n, ...) float32 for pixels (n, size, size, 3) uint8, INFERENCE_BATCH at a time."""
    call = traced_call(model)
    batch = INFERENCE_BATCH
    chunks = [np.asarray(call(tf.constant(pixels[i : i + batch])), np.float32) for i in range(0, len(pixels), batch)]
    if not chunks:
        return np.zeros((0, *model.output_shape[1:]), np.float32)
    return np.concatenate(chunks)


def traced_call(model: keras.Model) -> Callable[[tf.Tensor], object]:
    """The model in inference mode as one graph for any batch of its uint8 input, traced on first use.

    A concrete function: its calls skip TensorFlow's retracing count, which tallies every model's
    first trace of the same Python function (as predict_on_batch's are) as a retrace of one
    function and, after five models, warns "triggered tf.function retracing". A call takes about
    as long as predict_on_batch's (5 ms for one photo here, against 50 ms for model.predict).
    """
    if model not in _traced_calls:
        spec = tf.TensorSpec((None, *model.input_shape[1:]), model.inputs[0].dtype)
        model_ref = weakref.ref(model)  # the graph holds the weights, not the model: the cache lets it go
        _traced_calls[model] = tf.function(lambda pixels: model_ref()(pixels, training=False)).get_concrete_function(
            spec
        )
    return _traced_calls[model]


@contextlib.contextmanager
def _dtype_policy(name: str):
    """Keras's global dtype policy for the layers built inside, then back to what it was."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def _conv_bn(x, filters: int, name: str):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def _residual_block(x, filters: int, name: str, halve: bool = True):
    """Halve the resolution (unless the stem did), then two 3×3 convolutions with a 1×1 projection as shortcut."""
    if halve:
        x = layers.MaxPooling2D(2, name=f"{name}_pool")(x)
    shortcut = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_shortcut")(x)
    shortcut = layers.BatchNormalization(name=f"{name}_shortcut_bn")(shortcut)
    x = _conv_bn(x, filters, f"{name}_a")
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_b_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_b_bn")(x)
    x = layers.add([x, shortcut], name=f"{name}_add")
    return layers.Activation("relu", name=f"{name}_relu")(x)


def features_layer(model: keras.Model) -> layers.Layer | None:
    """The pooling right after a pretrained backbone (a nested model), whose output is the features.

    None for a model without a backbone, such as the convnet from scratch: its features were learnt
    from cats and dogs alone, so they cannot tell what else a photo might be.
    """
    after_backbone = False
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            after_backbone = True
        elif after_backbone and len(layer.output.shape) == 2:  # (batch, channels): pooled
            return layer
    return None


def probability_and_features_model(model: keras.Model) -> keras.Model:
    """pixels → (dog probability (n, 1), features (n, channels)), both from one pass through the backbone."""
    layer = features_layer(model)
    if layer is None:
        raise ValueError(f"model {model.name} has no pretrained backbone")
    return keras.Model(model.input, [model.outputs[0], layer.output])  # one input, as the model's: no list


def probabilities_and_features(two_outputs: keras.Model, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(dog probabilities (n,), features (n, channels)) for pixels (n, size, size, 3) uint8, in batches."""
    call = traced_call(two_outputs)
    probabilities, features = [], []
    for start in range(0, len(pixels), INFERENCE_BATCH):
        probability, feature = call(tf.constant(pixels[start : start + INFERENCE_BATCH]))
        probabilities.append(np.asarray(probability, np.float32).reshape(-1))
        features.append(np.asarray(feature, np.float32))
    if not features:
        return np.zeros(0, np.float32), np.zeros((0, two_outputs.outputs[1].shape[-1]), np.float32)
    return np.concatenate(probabilities), np.concatenate(features)
