"""catdog.precision: bfloat16 only where a tiny training step runs in it, and faster; a failed run's one line."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import keras
import pytest
import tensorflow as tf
from conftest import TINY_CONFIG

import catdog.precision
from catdog.cli import main
from catdog.config import TrainConfig
from catdog.precision import choose_precision, probe_bfloat16
from catdog.runs import read_record

REPO = Path(__file__).resolve().parents[1]
OPTIONS = {"image_size": "--image-size", "width": "--width", "epochs": "--epochs", "limit_per_class": "--limit"}
OPTIONS["batch_size"] = "--batch-size"
TINY_ARGS = [arg for name, option in OPTIONS.items() for arg in (option, str(TINY_CONFIG[name]))]  # the tiny model's


@pytest.fixture
def steps(monkeypatch):
    """Stand-in probe steps: steps(float32=seconds, bfloat16=seconds or an error); counts the steps built."""
    built = []

    def stand_in(float32: float, bfloat16: float | Exception):
        def training_step(dtype):
            built.append(dtype.name)
            took = float32 if dtype == tf.float32 else bfloat16

            def step():
                if isinstance(took, Exception):
                    raise took  # when run, as oneDNN's missing kernels fail
                time.sleep(took)

            return step

        monkeypatch.setattr(catdog.precision, "_training_step", training_step)
        return built

    probe_bfloat16.cache_clear()
    yield stand_in
    probe_bfloat16.cache_clear()  # later tests probe this machine for real


def test_a_bfloat16_step_that_fails_means_float32_even_when_asked_for(steps, caplog):
    caplog.set_level(logging.INFO, logger="catdog")
    steps(float32=0.001, bfloat16=tf.errors.AbortedError(None, None, "could not create a primitive descriptor"))
    assert choose_precision("auto", TrainConfig()) == "float32"
    assert choose_precision("bfloat16", TrainConfig()) == "float32"  # asked for, but it does not run
    assert "bfloat16 was asked for but does not run here" in caplog.text
    assert "could not create a primitive descriptor" in probe_bfloat16().bfloat16_error


def test_auto_takes_bfloat16_only_where_it_is_faster_and_never_for_a_backbone(steps):
    steps(float32=0.004, bfloat16=0.001)
    assert choose_precision("auto", TrainConfig()) == "bfloat16"
    assert choose_precision("auto", TrainConfig.transfer("mobilenet")) == "float32"  # backbones stay float32
    assert choose_precision("bfloat16", TrainConfig.transfer("mobilenet")) == "bfloat16"  # asked for explicitly
    assert choose_precision("float32", TrainConfig()) == "float32"

    probe_bfloat16.cache_clear()
    steps(float32=0.001, bfloat16=0.004)  # runs, but emulated: slower
    assert choose_precision("auto", TrainConfig()) == "float32"
    assert choose_precision("bfloat16", TrainConfig()) == "bfloat16"


def test_the_probe_runs_once_per_process(steps):
    built = steps(float32=0.001, bfloat16=0.001)
    for _ in range(3):
        choose_precision("auto", TrainConfig())
    assert built == ["float32", "bfloat16"]


def test_float32_asked_for_or_a_backbone_needs_no_probe(steps):
    built = steps(float32=0.001, bfloat16=0.001)
    choose_precision("float32", TrainConfig())
    choose_precision("auto", TrainConfig.transfer("mobilenet_v2"))
    assert built == []


@pytest.mark.slow
def test_a_default_run_with_onednn_held_to_avx2_trains_in_float32(tiny_dataset, tmp_path):
    """Under ONEDNN_MAX_CPU_ISA=AVX2 a CPU's bfloat16 flag says nothing of what oneDNN runs: the probe decides."""
    out = tmp_path / "avx2.keras"
    result = subprocess.run(
        [sys.executable, "-m", "catdog", "--lang", "en", "train", "--data", str(tiny_dataset), "--out", str(out)]
        + TINY_ARGS,
        cwd=REPO,
        env={**os.environ, "ONEDNN_MAX_CPU_ISA": "AVX2"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    record = read_record(out)
    assert record.status == "finished" and record.precision == "float32"


@pytest.mark.slow
def test_bfloat16_asked_for_where_it_fails_trains_in_float32_and_says_so(steps, tiny_dataset, tmp_path, capsys):
    steps(float32=0.001, bfloat16=tf.errors.AbortedError(None, None, "could not create a primitive descriptor"))
    out = tmp_path / "asked.keras"

    argv = ["train", "--lang", "en", "--data", str(tiny_dataset), "--out", str(out), "--precision", "bfloat16"]
    code = main(argv + TINY_ARGS)

    assert code == 0
    assert "bfloat16 does not run on this computer: trained in float32 instead" in capsys.readouterr().err
    assert read_record(out).precision == "float32"


@pytest.mark.parametrize(
    ("lang", "line"),
    [
        (
            "en",
            "error: TensorFlow could not compute a training step (AbortedError). "
            "Try again with fewer photos per class, a smaller image size or a smaller batch.",
        ),
        (
            "zh",
            "错误：TensorFlow 无法完成一步训练（AbortedError）。请减少每类的照片数、缩小图像尺寸或减小批大小后重试。",
        ),
    ],
)
def test_a_run_that_tensorflow_fails_ends_in_one_line_for_a_person(
    lang, line, monkeypatch, tiny_dataset, tmp_path, capsys
):
    graph_error = "Graph execution error:\n\nDetected at node Conv2D defined at (most recent call last):\n  File ..."

    def fails(*args, **kwargs):
        raise tf.errors.AbortedError(None, None, graph_error)

    monkeypatch.setattr(keras.Model, "fit", fails)
    out = tmp_path / "fails.keras"

    code = main(["train", "--lang", lang, "--data", str(tiny_dataset), "--out", str(out)] + TINY_ARGS)

    captured = capsys.readouterr()
    assert code == 1
    assert captured.err.splitlines() == [line]  # no traceback, no graph nodes
    record = read_record(out)
    assert record.status == "failed" and line.endswith(record.error_message(lang))  # the Train page's words
