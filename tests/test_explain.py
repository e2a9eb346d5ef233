"""Looking inside a model: Grad-CAM heatmaps, layer activations, augmented copies, and `python -m catdog explain`."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from catdog.cli import JSON_HEATMAP_CELLS, main
from catdog.config import BUNDLED_MODEL, SCRATCH_MODEL, TrainConfig
from catdog.explain import (
    activation_grid,
    activations,
    augmented_versions,
    conv_layers,
    feature_map_layer,
    heatmap,
)
from catdog.photos import heatmap_over_photo, load_photo, model_input, overlay
from catdog.predict import Classifier

REPO = Path(__file__).resolve().parents[1]
GREY = (128, 128, 128)


@pytest.fixture(scope="module", params=[SCRATCH_MODEL, BUNDLED_MODEL], ids=["from scratch", "pretrained"])
def classifier(request) -> Classifier:
    """Each bundled model, loaded once for this file."""
    return Classifier.load(request.param)


@pytest.fixture(scope="module")
def dogs(photos_of) -> list[Path]:
    return photos_of("test", "dogs")[:8]


def layer_at(model, path: str):
    """The layer that a path from conv_layers names: "stem_conv", or "backbone/Conv1" inside the backbone."""
    for name in path.split("/"):
        model = model.get_layer(name)
    return model


def dog_on_one_side(dog: Path, left: bool) -> Image.Image:
    """A 2:1 photo: the dog squeezed into one half, plain grey in the other."""
    canvas = Image.new("RGB", (512, 256), GREY)
    canvas.paste(load_photo(dog).resize((256, 256)), (0 if left else 256, 0))
    return canvas


# --- Grad-CAM ---------------------------------------------------------------------------------------


def test_the_feature_map_is_found_in_each_bundled_model_even_inside_its_backbone(classifier):
    expected = {SCRATCH_MODEL: "stage3_relu", BUNDLED_MODEL: "backbone/out_relu"}[classifier.path]
    assert feature_map_layer(classifier.keras_model()) == expected


def test_a_heatmap_is_a_finite_grid_in_0_1_at_the_feature_maps_resolution(classifier, dogs):
    pixels = model_input(load_photo(dogs[0]), classifier.image_size)
    heat = heatmap(classifier.keras_model(), pixels)
    side = classifier.image_size // {SCRATCH_MODEL: 16, BUNDLED_MODEL: 32}[classifier.path]
    assert heat.dtype == np.float32 and heat.shape == (side, side)
    assert np.isfinite(heat).all()
    assert heat.min() >= 0 and heat.max() == pytest.approx(1)
    assert heat.std() > 0.05  # not flat


def test_the_heatmap_is_brightest_on_the_half_of_the_photo_where_the_dog_is(classifier, dogs):
    margins = []
    for i, dog in enumerate(dogs):
        left = i % 2 == 0
        canvas = dog_on_one_side(dog, left)
        over = heatmap_over_photo(canvas, heatmap(classifier.keras_model(), model_input(canvas, classifier.image_size)))
        assert over.shape == (256, 512)
        dog_half, grey_half = (over[:, :256], over[:, 256:]) if left else (over[:, 256:], over[:, :256])
        margins.append(dog_half.mean() - grey_half.mean())
    assert sum(margin > 0 for margin in margins) >= 6, margins
    assert np.mean(margins) > 0.1, margins


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_a_freshly_built_convnet_has_its_feature_map_found_and_a_heatmap(precision):
    from catdog.model import build_model

    model = build_model(TrainConfig(image_size=32, width=8), precision)
    assert feature_map_layer(model) == "stage3_relu"
    heat = heatmap(model, np.random.default_rng(0).integers(0, 256, (32, 32, 3), np.uint8))
    assert heat.shape == (2, 2) and np.isfinite(heat).all() and 0 <= heat.min() <= heat.max() <= 1


def test_a_freshly_built_mobilenet_model_has_its_feature_map_found_inside_the_backbone(keras_home):
    from catdog.model import build_model

    model = build_model(TrainConfig.transfer("mobilenet"))
    assert feature_map_layer(model) == "backbone/conv_pw_13_relu"
    heat = heatmap(model, np.random.default_rng(0).integers(0, 256, (224, 224, 3), np.uint8))
    assert heat.shape == (7, 7) and np.isfinite(heat).all() and 0 <= heat.min() <= heat.max() <= 1


def test_the_heatmap_is_stretched_over_the_upright_photo_keeping_left_and_top():
    heat = np.zeros((7, 7), np.float32)
    heat[0, :] = 1  # the top row: the top of the photo
    heat[:, 0] = 0.5  # the left column, below it: the photo's left side
    landscape, portrait = Image.new("RGB", (300, 200)), Image.new("RGB", (200, 300))
    over = heatmap_over_photo(landscape, heat)
    assert over.shape == (200, 300) and over.dtype == np.float32
    assert over.min() >= 0 and over.max() <= 1
    assert over[:20].mean() > 0.8 > over[-20:].mean()
    assert over[50:, :20].mean() > over[50:, -20:].mean() + 0.3
    assert heatmap_over_photo(landscape, heat, JSON_HEATMAP_CELLS).shape == (21, 32)
    assert heatmap_over_photo(portrait, heat, JSON_HEATMAP_CELLS).shape == (32, 21)


def test_the_overlay_is_the_photo_tinted_red_where_hot_and_blue_where_cold():
    photo = Image.new("RGB", (300, 200), GREY)
    heat = np.zeros((7, 7), np.float32)
    heat[:, :3] = 1  # the left side is hot
    tinted = np.asarray(overlay(photo, heat), int)
    assert tinted.shape == (200, 300, 3)
    hot, cold = tinted[:, :60].mean(axis=(0, 1)), tinted[:, -60:].mean(axis=(0, 1))  # (red, green, blue)
    assert hot[0] > hot[2] + 50 and hot[0] > hot[1] + 50
    assert cold[2] > cold[0] + 50 and cold[2] > cold[1] + 50


# --- layers and their activations ----------------------------------------------------------------


def test_conv_layers_lists_the_convolutions_first_to_last_with_a_backbones_inside_it(classifier):
    names = conv_layers(classifier.keras_model())
    expected = {SCRATCH_MODEL: ["stem_conv", "stage3_shortcut"], BUNDLED_MODEL: ["backbone/Conv1", "backbone/Conv_1"]}
    assert [names[0], names[-1]] == expected[classifier.path]
    assert len(names) == len(set(names)) > 8


def test_the_first_convolutions_activations_are_what_it_computes_on_the_scaled_photo(classifier, dogs):
    model, pixels = classifier.keras_model(), model_input(load_photo(dogs[0]), classifier.image_size)
    first = conv_layers(model)[0]
    scaled = pixels / 255 if classifier.path == SCRATCH_MODEL else pixels / 127.5 - 1  # MobileNet's [-1, 1]
    act = activations(model, pixels, first)
    reference = np.asarray(layer_at(model, first)(scaled[None].astype(np.float32)))[0]
    assert act.shape == (classifier.image_size // 2, classifier.image_size // 2, layer_at(model, first).filters)
    np.testing.assert_allclose(act, reference, rtol=1e-3, atol=1e-3)


def test_a_deeper_layers_activations_have_one_channel_per_filter(classifier, dogs):
    pixels = model_input(load_photo(dogs[0]), classifier.image_size)
    deeper = {SCRATCH_MODEL: ("stage2_a_conv", 16), BUNDLED_MODEL: ("backbone/block_13_expand", 14)}
    name, side = deeper[classifier.path]
    assert name in conv_layers(classifier.keras_model())
    act = activations(classifier.keras_model(), pixels, name)
    assert act.shape == (side, side, layer_at(classifier.keras_model(), name).filters)
    assert np.isfinite(act).all() and act.std() > 0


def test_the_activation_grid_shows_each_channel_as_its_own_black_to_white_tile():
    act = np.random.default_rng(0).normal(size=(10, 12, 40)).astype(np.float32)
    act[..., 1] *= 1000  # a loud channel
    act[..., 2] = 3.0  # a flat one
    grid = activation_grid(act, columns=8, max_channels=32)
    assert grid.mode == "L" and grid.size == (8 * 13 - 1, 4 * 11 - 1)  # 32 of the 40, 8 a row, 1 px apart
    pixels = np.asarray(grid)

    def tile(i: int) -> np.ndarray:
        top, left = (i // 8) * 11, (i % 8) * 13
        return pixels[top : top + 10, left : left + 12]

    for i in (0, 1, 31):
        assert tile(i).min() == 0 and tile(i).max() == 255
    assert tile(2).max() == 0


# --- augmentation -----------------------------------------------------------------------------------


def test_augmented_versions_differ_from_the_photo_and_each_other_and_repeat_with_the_seed(dogs):
    pixels = model_input(load_photo(dogs[0]), 128)
    versions = augmented_versions(pixels, 4, seed=7)
    assert len(versions) == 4
    for i, version in enumerate(versions):
        assert version.dtype == np.uint8 and version.shape == pixels.shape
        assert not np.array_equal(version, pixels)
        assert all(not np.array_equal(version, other) for other in versions[i + 1 :])
    again, other_seed = augmented_versions(pixels, 4, seed=7), augmented_versions(pixels, 4, seed=8)
    assert all(np.array_equal(a, b) for a, b in zip(versions, again))
    assert not np.array_equal(versions[0], other_seed[0])


# --- python -m catdog explain -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def photos(photos_of) -> list[Path]:
    return [photos_of("test", "dogs")[0], photos_of("test", "cats")[0]]


def test_explain_writes_each_photo_with_its_heatmap_into_the_folder_it_makes(photos, tmp_path, capsys):
    out = tmp_path / "heatmaps" / "today"
    code = main(["explain", "--model", str(SCRATCH_MODEL), "--out", str(out), *map(str, photos)])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0 and len(lines) == 2
    for photo, line in zip(photos, lines):
        image = out / f"{photo.stem}-heatmap.png"
        assert line.startswith(f"{photo}: ") and line.endswith(f"heatmap in {image}")
        with Image.open(image) as written:
            assert written.size == load_photo(photo).size


def test_explain_json_gives_the_verdict_and_the_heatmap_over_the_photo(photos, tmp_path, capsys):
    code = main(["explain", "--json", "--model", str(SCRATCH_MODEL), "--out", str(tmp_path), *map(str, photos)])
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    classifier = Classifier.load(SCRATCH_MODEL)
    for photo, record in zip(photos, records):
        assert set(record) == {"path", "dog_probability", "label", "heatmap", "neither"}
        assert record["path"] == str(photo)
        prediction = classifier.classify_photo(load_photo(photo))
        assert record["dog_probability"] == pytest.approx(prediction.dog_probability, abs=1e-4)
        assert record["label"] == prediction.label
        assert record["neither"] == prediction.neither  # the check the page shows, in the JSON too
        width, height = load_photo(photo).size
        rows = record["heatmap"]
        assert max(len(rows), len(rows[0])) == JSON_HEATMAP_CELLS
        assert len(rows[0]) / len(rows) == pytest.approx(width / height, rel=0.1)
        values = np.array(rows)
        assert values.min() >= 0 and values.max() <= 1 and values.std() > 0
        assert np.array_equal(values, values.round(3))


def test_explain_reports_an_unreadable_photo_carries_on_and_exits_1(photos, tmp_path, not_a_photo, capsys):
    bad = not_a_photo(tmp_path / "notes.jpg")
    argv = ["explain", "--json", "--model", str(SCRATCH_MODEL), "--out", str(tmp_path / "out")]
    code = main([*argv, str(bad), str(photos[0])])
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 1
    assert set(records[0]) == {"path", "error"} and records[0]["path"] == str(bad)
    assert records[1]["path"] == str(photos[0])
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"{photos[0].stem}-heatmap.png"]


def test_explain_keeps_both_heatmaps_of_two_photos_with_the_same_name(photos, tmp_path, capsys):
    twins = []
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        twins.append(tmp_path / folder / "pet.jpg")
        twins[-1].write_bytes(photos[len(twins) - 1].read_bytes())
    assert main(["explain", "--model", str(SCRATCH_MODEL), "--out", str(tmp_path / "out"), *map(str, twins)]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["pet-2-heatmap.png", "pet-heatmap.png"]


def test_explain_without_out_writes_into_a_heatmaps_folder_not_the_current_one(photos, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["explain", "--model", str(SCRATCH_MODEL), str(photos[0])]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["heatmaps"]
    assert [p.name for p in (tmp_path / "heatmaps").iterdir()] == [f"{photos[0].stem}-heatmap.png"]


def test_explain_with_a_missing_model_exits_2(photos, tmp_path, capsys):
    assert main(["explain", "--model", str(tmp_path / "nope.keras"), str(photos[0])]) == 2
    assert "no model" in capsys.readouterr().err


def test_the_command_line_imports_tensorflow_only_for_commands_that_need_it():
    check = "import sys, catdog.cli; catdog.cli.parser(); print('tensorflow' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", check], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr


def test_switching_between_models_never_warns_of_tensorflow_retracing(tiny_model, dogs, tmp_path):
    """A page that shows seven models' verdicts and heatmaps traces each model once, under a fixed signature, and
    TensorFlow's "triggered tf.function retracing" (after five traces of one function) never reaches the log."""
    said = []
    listener = logging.Handler()
    listener.emit = lambda record: said.append(record.getMessage())
    tensorflow_log = logging.getLogger("tensorflow")
    tensorflow_log.addHandler(listener)
    try:
        for n in range(7):
            model = shutil.copyfile(tiny_model[0], tmp_path / f"model-{n}.keras")
            classifier = Classifier.load(model, check_neither=False)
            for batch in (1, 3):
                classifier.dog_probabilities(np.zeros((batch, 32, 32, 3), np.uint8))
            classifier.heatmap(classifier.classify(dogs[0]).pixels)
    finally:
        tensorflow_log.removeHandler(listener)
    assert not [line for line in said if "retracing" in line], said
