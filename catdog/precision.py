"""Which precision a training run computes in: bfloat16 where it runs here, natively and faster; else float32.

A CPU's flags cannot tell: oneDNN may be held below them (ONEDNN_MAX_CPU_ISA=AVX2 on a CPU with
AVX-512 BF16 left every bfloat16 convolution unable to run), and macOS and Windows have no
/proc/cpuinfo. So the first run in a process times one tiny training step in each precision
(a fraction of a second), and later runs in that process reuse the answer.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass

from catdog.config import BFLOAT16_TIME_SHARE, TrainConfig, log

PROBE_REPEATS = 5  # timed steps per precision, after one untimed warm-up; the fastest counts


@dataclass(frozen=True)
class Probe:
    """What the probe measured: the fastest step in each precision, in seconds, or why bfloat16 failed."""

    float32_seconds: float
    bfloat16_seconds: float | None  # None: bfloat16 failed to run
    bfloat16_error: str = ""  # the failure, for the log

    @property
    def bfloat16_faster(self) -> bool:
        if self.bfloat16_seconds is None:
            return False
        return self.bfloat16_seconds <= BFLOAT16_TIME_SHARE * self.float32_seconds


def choose_precision(requested: str, config: TrainConfig) -> str:
    """The precision a run computes in, "float32" or "bfloat16", for config.precision `requested`.

    "auto" takes bfloat16 where the probe found it runs and is faster, but never for a pretrained
    backbone: MobileNet's depthwise convolutions ran no faster in bfloat16 (0.92 s against 0.89 s
    for 64 photos at 224 px, on an AMX CPU). "bfloat16", asked for, is taken wherever it runs.
    """
    if requested == "float32" or (requested == "auto" and config.pretrained):
        return "float32"
    probe = probe_bfloat16()
    if probe.bfloat16_seconds is None:
        if requested == "bfloat16":
            log.info("bfloat16 was asked for but does not run here: training in float32")
        return "float32"
    return "bfloat16" if requested == "bfloat16" or probe.bfloat16_faster else "float32"


@functools.cache
def probe_bfloat16() -> Probe:
    """Time one tiny training step in float32 and in bfloat16, once per process."""
    import tensorflow as tf

    started = time.perf_counter()
    float32_step = _training_step(tf.float32)
    try:
        bfloat16_step = _training_step(tf.bfloat16)
        float32_seconds, bfloat16_seconds = _fastest(float32_step, bfloat16_step)
    except Exception as error:  # noqa: BLE001 -- any failure of bfloat16 means float32; the log says which
        probe = Probe(_fastest(float32_step)[0], None, _summary(error))
    else:
        probe = Probe(float32_seconds, bfloat16_seconds)
    log.info(
        "precision probe in %.0f ms: float32 step %.2f ms, bfloat16 %s",
        1000 * (time.perf_counter() - started),
        1000 * probe.float32_seconds,
        f"{1000 * probe.bfloat16_seconds:.2f} ms" if probe.bfloat16_seconds is not None else probe.bfloat16_error,
    )
    return probe


def _fastest(*steps: Callable[[], float]) -> list[float]:
    """The fastest of PROBE_REPEATS runs of each step, after a warm-up; interleaved, so a busy moment hits all."""
    for step in steps:
        step()  # traces the graph and sets up oneDNN's kernels: not what a training step costs
    best = [float("inf")] * len(steps)
    for _ in range(PROBE_REPEATS):
        for i, step in enumerate(steps):
            started = time.perf_counter()
            step()
            best[i] = min(best[i], time.perf_counter() - started)
    return best


def _summary(error: Exception) -> str:
    """The error's type and the line that says what went wrong (TensorFlow's first lines say where)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    said = next((line for line in lines if "exception" in line.lower()), lines[-1] if lines else "")
    return f"{type(error).__name__}: {said}"


def _training_step(dtype) -> Callable[[], float]:
    """One convolution's forward and backward pass (filter and input gradients) on 8 images of 32 × 32, in dtype.

    The three convolutions are where training a convnet spends its time, and where oneDNN either
    has a bfloat16 kernel or fails; the step runs as a graph, as model.fit runs it. Written out
    rather than taped: tracing a GradientTape took longer than the whole probe does.
    """
    import numpy as np
    import tensorflow as tf

    random = np.random.default_rng(0)
    images = tf.constant(random.uniform(size=(8, 32, 32, 32)), dtype)  # (batch, height, width, channels)
    kernel = tf.constant(random.normal(size=(3, 3, 32, 32)) * 0.1, dtype)  # (3, 3, channels in, channels out)
    strides = [1, 1, 1, 1]

    @tf.function
    def step():
        outputs = tf.nn.relu(tf.nn.conv2d(images, kernel, strides, "SAME"))  # standing in for their gradient
        kernel_gradient = tf.raw_ops.Conv2DBackpropFilter(
            input=images, filter_sizes=tf.shape(kernel), out_backprop=outputs, strides=strides, padding="SAME"
        )
        image_gradient = tf.raw_ops.Conv2DBackpropInput(
            input_sizes=tf.shape(images), filter=kernel, out_backprop=outputs, strides=strides, padding="SAME"
        )
        # One number back: fetching it waits for the step, and copies next to nothing.
        return tf.reduce_sum(tf.cast(kernel_gradient, tf.float32)) + tf.reduce_sum(tf.cast(image_gradient, tf.float32))

    return lambda: float(step())
