"""The convnet: raw uint8 RGB pixels in, dog probability out, sized for a 2-core CPU."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
from keras import layers

from catdog.config import TrainConfig

# Keras's default 0.99 needs hundreds of steps before the statistics used at inference settle:
# with 63 batches an epoch, validation accuracy sat at 50% for the first epochs of a lesson.
BN_MOMENTUM = 0.9


def build_model(config: TrainConfig, precision: str = "float32") -> keras.Model:
    """A small residual convnet with batch normalisation and global pooling.

    A strided stem at 1/2 of the input, then three stages at 1/4, 1/8 and 1/16, each two 3×3
    convolutions with a shortcut; plain (not separable) convolutions, which use a CPU's
    matrix units best. Every layer gets its name and dtype here rather than from Keras's
    global state, which Streamlit resets (keras.backend.clear_session) after each page run:
    a model built anywhere in a Streamlit server comes out whole. (Train-page runs build
    theirs in a child process, which Streamlit never resets.)
    """
    dtype = "mixed_bfloat16" if precision == "bfloat16" else "float32"
    size, width = config.image_size, config.width
    inputs = keras.Input((size, size, 3), dtype="uint8", name="pixels")  # (batch, size, size, 3)
    x = layers.Rescaling(1 / 255, dtype=dtype, name="scale")(inputs)
    x = _conv_bn(x, width, "stem", dtype, strides=2)  # (batch, size/2, size/2, width)
    for stage, filters in enumerate((2 * width, 4 * width, 8 * width), start=1):
        x = _residual_block(x, filters, f"stage{stage}", dtype)
    x = layers.GlobalAveragePooling2D(dtype=dtype, name="pool")(x)  # (batch, 8 * width)
    x = layers.Dropout(config.dropout, seed=config.seed, dtype=dtype, name="dropout")(x)
    outputs = layers.Dense(1, activation="sigmoid", dtype="float32", name="dog_probability")(x)
    return keras.Model(inputs, outputs, name="catdog_convnet")


def choose_precision(requested: str = "auto") -> str:
    """bfloat16 where the CPU has native bfloat16 arithmetic (AVX-512 BF16 or AMX), else float32."""
    if requested != "auto":
        return requested
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "float32"
    return "bfloat16" if ("avx512_bf16" in flags or "amx_bf16" in flags) else "float32"


def load_model(path: str | Path) -> keras.Model:
    return keras.saving.load_model(path, compile=False)


def input_size(model: keras.Model) -> int:
    """The square side, in pixels, that this model's input expects."""
    return int(model.input_shape[1])


def predict_dog_probability(model: keras.Model, pixels: np.ndarray) -> np.ndarray:
    """Dog probabilities (n,) for pixels (n, size, size, 3) uint8.

    predict_on_batch reuses one traced function per model: about 5 ms for one photo here,
    against 50 ms for model.predict.
    """
    chunks = [model.predict_on_batch(pixels[i : i + 64]) for i in range(0, len(pixels), 64)]
    if not chunks:
        return np.zeros(0, np.float32)
    return np.concatenate([np.asarray(c, np.float32).reshape(-1) for c in chunks])


def _conv_bn(x, filters: int, name: str, dtype: str, strides: int = 1):
    x = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False, dtype=dtype, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM, dtype=dtype, name=f"{name}_bn")(x)
    return layers.Activation("relu", dtype=dtype, name=f"{name}_relu")(x)


def _residual_block(x, filters: int, name: str, dtype: str):
    """Halve the resolution, then two 3×3 convolutions with a 1×1 projection as shortcut."""
    x = layers.MaxPooling2D(2, dtype=dtype, name=f"{name}_pool")(x)
    shortcut = layers.Conv2D(filters, 1, use_bias=False, dtype=dtype, name=f"{name}_shortcut")(x)
    shortcut = layers.BatchNormalization(momentum=BN_MOMENTUM, dtype=dtype, name=f"{name}_shortcut_bn")(shortcut)
    x = _conv_bn(x, filters, f"{name}_a", dtype)
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, dtype=dtype, name=f"{name}_b_conv")(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM, dtype=dtype, name=f"{name}_b_bn")(x)
    x = layers.add([x, shortcut], dtype=dtype, name=f"{name}_add")
    return layers.Activation("relu", dtype=dtype, name=f"{name}_relu")(x)
