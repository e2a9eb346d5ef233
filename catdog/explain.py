"""Look inside a model: where it looked (Grad-CAM), what one convolution's filters respond to, and augmentation.

Works on every catdog model, the convnet from scratch and a pretrained one with its nested
"backbone": the layers are found from the model's own shapes, never from a list of names.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf
from keras import layers
from PIL import Image

from catdog.augment import augment_batch
from catdog.lite import DOG_LOGIT, read_feature_maps, scaled

CONVOLUTIONS = (layers.Conv2D, layers.DepthwiseConv2D, layers.SeparableConv2D)

# Built on first use, once per model: tracing and graph building cost far more than one heatmap.
_grad_cams: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model → its Grad-CAM function
_layer_outputs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model → {layer path → function}


def feature_map_layer(model: keras.Model) -> str:
    """The last convolutional feature map, where global pooling takes over: "stage3_relu", "backbone/out_relu".

    The last place in the model that still knows where in the photo things are, so Grad-CAM looks there.
    """
    last = None
    for layer in model.layers:
        if isinstance(layer, layers.InputLayer):
            continue
        if len(layer.output.shape) != 4:  # (batch, height, width, channels) no more
            break
        last = layer
    if last is None:
        raise ValueError(f"model {model.name} has no 4-D feature map")
    if isinstance(last, keras.Model):  # a backbone: its own last feature map is its output
        return f"{last.name}/{feature_map_layer(last)}"
    return last.name


def heatmap(model: keras.Model, pixels: np.ndarray) -> np.ndarray:
    """Grad-CAM: where in one model input (size, size, 3) uint8 the evidence for the verdict lies.

    Returns a float32 (h, w) grid at the feature map's resolution, in [0, 1] (all zero when nothing
    speaks for the verdict). Each channel of the last feature map is weighted by the gradient of the
    verdict's score, averaged over the map; their weighted sum, where positive, is the heatmap.
    """
    return scaled(_grad_cam(model)(tf.constant(pixels[None])).numpy())


def feature_map(model: keras.Model, pixels: np.ndarray) -> np.ndarray:
    """What the global pooling of a model reads for one input (size, size, 3) uint8: (h, w, channels) float32."""
    up_to_pool = keras.Model(model.input, model.get_layer("pool").input)
    return np.asarray(up_to_pool(pixels[None], training=False), np.float32)[0]


def pooled_head(model: keras.Model) -> tuple[keras.Model, layers.Dense] | None:
    """(the model up to its global average pooling, its final unit) when it ends pooling → dropout → one sigmoid
    unit, as catdog's models do; None otherwise.

    Everything a verdict needs then follows from that one feature map: the pooled features (what
    catdog.neither compares), the probability, and Grad-CAM's heatmap (catdog.lite.read_feature_maps), in one
    model call.
    """
    *_, pool, unit = [layer for layer in model.layers if not isinstance(layer, layers.Dropout)]
    if not (
        isinstance(pool, layers.GlobalAveragePooling2D)
        and isinstance(unit, layers.Dense)
        and unit.activation is keras.activations.sigmoid
        and unit.units == 1
    ):
        return None
    return keras.Model(model.input, _call(pool).input_tensors[0]), unit


def head_heatmap(features: np.ndarray, unit: keras.layers.Dense) -> np.ndarray:
    """heatmap() of a feature map (h, w, channels) seen through pooling and `unit`, without the layers before.

    Training uses it on a frozen backbone's map, computed once, to draw each epoch's heatmap for free.
    """
    return read_feature_maps(features[None], *unit_weights(unit))[2][0]


def unit_weights(unit: keras.layers.Dense) -> tuple[np.ndarray, float]:
    """(kernel (channels,), bias) float32 of a one-unit dense layer: what catdog.lite.read_feature_maps reads."""
    kernel = keras.ops.convert_to_numpy(unit.kernel).astype(np.float32)[:, 0]
    return kernel, float(keras.ops.convert_to_numpy(unit.bias)[0])


def conv_layers(model: keras.Model) -> list[str]:
    """The convolutions, first to last; a nested backbone's as "backbone/Conv1"."""
    names = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            names += [f"{layer.name}/{name}" for name in conv_layers(layer)]
        elif isinstance(layer, CONVOLUTIONS):
            names.append(layer.name)
    return names


def activations(model: keras.Model, pixels: np.ndarray, layer: str) -> np.ndarray:
    """What one layer (a name from conv_layers) outputs for one model input: (h, w, channels) float32."""
    outputs = _layer_outputs.setdefault(model, {})
    if layer not in outputs:
        outputs[layer] = _layer_output(model, layer)
    return np.asarray(outputs[layer](tf.constant(pixels[None])), np.float32)[0]


def activation_grid(act: np.ndarray, columns: int = 8, max_channels: int = 32) -> Image.Image:
    """The first channels of activations (h, w, channels) as greyscale tiles, each stretched to black..white.

    Each tile gets its own range, so a weak channel's pattern shows as clearly as a strong one's;
    a flat channel is black. Tiles are one white pixel apart.
    """
    channels = act[..., :max_channels].astype(np.float32)
    h, w, n = channels.shape
    low = channels.min(axis=(0, 1))
    spread = channels.max(axis=(0, 1)) - low
    tiles = (channels - low) / np.where(spread > 0, spread, 1) * 255
    columns = min(columns, n)
    rows = math.ceil(n / columns)
    grid = np.full((rows * (h + 1) - 1, columns * (w + 1) - 1), 255, np.uint8)
    for i in range(n):
        top, left = (i // columns) * (h + 1), (i % columns) * (w + 1)
        grid[top : top + h, left : left + w] = tiles[..., i].round()
    return Image.fromarray(grid)


def augmented_versions(pixels: np.ndarray, count: int, seed: int) -> list[np.ndarray]:
    """`count` random variations of one model input (size, size, 3) uint8, by the training's own augmentation."""
    batch = tf.constant(np.repeat(pixels[None], count, axis=0))
    return list(augment_batch(batch, tf.constant([seed, 0], tf.int64)).numpy())


def _grad_cam(model: keras.Model) -> Callable[[tf.Tensor], tf.Tensor]:
    """The model's Grad-CAM as one traced function, pixels (1, size, size, 3) → unnormalised (h, w) map."""
    if model in _grad_cams:
        return _grad_cams[model]
    unit = model.layers[-1]
    if not (isinstance(unit, layers.Dense) and unit.activation is keras.activations.sigmoid):
        raise ValueError(f"model {model.name} does not end in one sigmoid unit, as catdog's models do")
    # A backbone's feature map is its output, so the tensor leaving it in the outer model is the one.
    feature_layer = model.get_layer(feature_map_layer(model).split("/")[0])
    # pixels → (feature map, what the sigmoid unit reads). The unit's logit is computed below rather
    # than its probability: a confident verdict's probability rounds to 1.0, and its gradient to 0.
    inner = keras.Model(model.input, [_call(feature_layer).output_tensors[0], _call(unit).input_tensors[0]])
    spec = tf.TensorSpec((1, *model.input_shape[1:]), model.inputs[0].dtype)

    @tf.function
    def grad_cam(pixels: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            features, pooled = inner(pixels, training=False)  # (1, h, w, channels), (1, channels)
            logit = keras.ops.matmul(tf.cast(pooled, tf.float32), unit.kernel) + unit.bias  # (1, 1)
            score = tf.where(logit >= DOG_LOGIT, logit, -logit)  # the verdict's: dog's logit, or cat's
        gradients = tf.cast(tape.gradient(score, features), tf.float32)
        weights = tf.reduce_mean(gradients, axis=(1, 2))  # (1, channels): how much each channel speaks for it
        cam = tf.reduce_sum(tf.cast(features, tf.float32) * weights[:, None, None, :], axis=-1)
        return tf.nn.relu(cam)[0]

    # Traced here, once per model: calls of a concrete function escape TensorFlow's retracing warning, which
    # counts each model's first trace of this same grad_cam as a retrace (catdog.model.traced_call).
    _grad_cams[model] = grad_cam.get_concrete_function(spec)
    return _grad_cams[model]


def _layer_output(model: keras.Model, path: str) -> Callable[[tf.Tensor], tf.Tensor]:
    """A function from the model's input to one layer's output: "stage1_a_conv", or "backbone/Conv1" inside."""
    name, _, inner = path.partition("/")
    layer = model.get_layer(name)
    if not inner:
        upto = keras.Model(model.inputs, _call(layer).output_tensors[0])
        return lambda pixels: upto(pixels, training=False)
    front = keras.Model(model.inputs, _call(layer).input_tensors[0])  # up to where the backbone takes over
    rest = _layer_output(layer, inner)
    return lambda pixels: rest(front(pixels, training=False))


def _call(layer: keras.Layer):
    """Keras's record of the layer's call in the model it was built into: its input and output tensors there.

    That is what layer.input and layer.output read, except on a nested model, whose own .input and
    .output belong to its inner graph.
    """
    return layer._inbound_nodes[0]
