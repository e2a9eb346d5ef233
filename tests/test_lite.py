"""A model's LiteRT layers saved beside it (catdog.lite): the same verdicts, checks and heatmaps as Keras, without
TensorFlow; used only while they match the model file, and written by training."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
from conftest import REPO
from test_serving import from_threads, made_photos

from catdog.config import BUNDLED_MODEL, BUNDLED_MODELS, SCRATCH_MODEL
from catdog.lite import LiteModel, file_digest, lite_path
from catdog.predict import Classifier
from catdog.runs import delete_run, metadata_path


@pytest.mark.parametrize("model", BUNDLED_MODELS, ids=lambda path: path.stem)
def test_each_bundled_model_ships_the_litert_layers_of_its_own_file(model):
    assert LiteModel.beside(model) is not None, f"run catdog.export.save_lite on {model.name} again"
    assert Classifier.load(model).model.__class__ is LiteModel


@pytest.fixture(scope="module", params=[BUNDLED_MODEL, SCRATCH_MODEL], ids=["pretrained", "from scratch"])
def both(request, tmp_path_factory):
    """(the model through LiteRT, the same file through Keras: a copy without its LiteRT layers)."""
    alone = tmp_path_factory.mktemp("keras_only") / request.param.name
    shutil.copyfile(request.param, alone)
    through_keras = Classifier.load(alone)
    through_keras.detector = Classifier.load(request.param).detector  # the same "neither" detector for both
    return Classifier.load(request.param), through_keras


def test_litert_gives_the_verdict_neither_check_and_heatmap_keras_gives(both):
    lite, through_keras = both
    assert isinstance(lite.model, LiteModel) and isinstance(through_keras.model, keras.Model)
    photos = made_photos(8)
    from_lite = [lite.classify_photo(photo) for photo in photos]
    from_keras = [through_keras.classify_photo(photo) for photo in photos]
    assert len({round(p.dog_probability, 3) for p in from_keras}) > 1  # photos that differ: a mix-up would show
    for one, other in zip(from_lite, from_keras):
        np.testing.assert_array_equal(one.pixels, other.pixels)
        assert one.dog_probability == pytest.approx(other.dog_probability, abs=1e-4)
        assert one.neither_distance == pytest.approx(other.neither_distance, abs=1e-4)
        assert one.neither == other.neither
        np.testing.assert_allclose(one.heatmap, other.heatmap, atol=1e-3)
    pixels = np.stack([p.pixels for p in from_lite])
    np.testing.assert_allclose(lite.dog_probabilities(pixels), through_keras.dog_probabilities(pixels), atol=1e-4)


def test_what_one_convolution_outputs_comes_from_the_keras_model_loaded_when_first_asked(both):
    lite, through_keras = both
    assert lite._keras is None or isinstance(lite._keras, keras.Model)
    layer = lite.conv_layers()[0]
    assert lite.conv_layers() == through_keras.conv_layers()
    pixels = made_photos(1)[0].resize((lite.image_size,) * 2).convert("RGB")
    pixels = np.asarray(pixels, np.uint8)
    np.testing.assert_allclose(lite.activations(pixels, layer), through_keras.activations(pixels, layer), atol=1e-4)
    assert isinstance(lite.model, LiteModel)  # verdicts stay in LiteRT


def test_layers_made_from_another_version_of_the_file_are_not_used(tmp_path):
    model = tmp_path / "mine.keras"
    shutil.copyfile(SCRATCH_MODEL, model)
    shutil.copyfile(lite_path(BUNDLED_MODEL), lite_path(model))  # another model's: its digest differs
    assert LiteModel.beside(model) is None
    classifier = Classifier.load(model)
    assert isinstance(classifier.model, keras.Model)
    assert 0 <= classifier.classify_photo(made_photos(1)[0]).dog_probability <= 1


def test_a_damaged_layers_file_falls_back_to_keras_with_a_line_in_the_log(tmp_path, caplog):
    model = tmp_path / "mine.keras"
    shutil.copyfile(SCRATCH_MODEL, model)
    lite_path(model).write_bytes(b"PK\x03\x04 not an npz at all")
    with caplog.at_level("WARNING", logger="catdog"):
        assert LiteModel.beside(model) is None
    assert "mine.lite.npz could not be used" in caplog.text
    assert isinstance(Classifier.load(model).model, keras.Model)


def test_predict_of_the_bundled_model_never_imports_tensorflow(photos_of):
    cat, dog = photos_of("test", "cats")[0], photos_of("test", "dogs")[0]
    script = textwrap.dedent(
        f"""
        import sys
        from catdog.cli import main
        code = main(["predict", "--json", {str(cat)!r}, {str(dog)!r}])
        print("tensorflow" in sys.modules, "keras" in sys.modules, code)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    *verdicts, imported = done.stdout.strip().splitlines()
    assert imported == "False False 0", done.stderr
    assert [json.loads(line)["label"] for line in verdicts] == ["cat", "dog"]
    assert all(json.loads(line)["neither"] is False for line in verdicts)


def test_a_trained_model_gets_its_litert_layers_and_classifies_through_them(tiny_model):
    model_path, record = tiny_model
    assert "saving" in record.phase_seconds
    lite = LiteModel.beside(model_path)
    assert lite is not None
    pixels = np.stack([np.asarray(photo.resize((32, 32)), np.uint8) for photo in made_photos(4)])
    from catdog.model import load_model, predict_dog_probability

    expected = predict_dog_probability(load_model(model_path), pixels)
    np.testing.assert_allclose(lite.dog_probabilities(pixels), expected, atol=1e-4)
    assert file_digest(model_path) == str(np.load(lite_path(model_path))["source"])


def test_deleting_a_run_deletes_what_was_saved_beside_its_model(tiny_model, tmp_path):
    model_path, _ = tiny_model
    mine = tmp_path / "mine.keras"
    for source, copy in ((model_path, mine), (metadata_path(model_path), metadata_path(mine))):
        shutil.copyfile(source, copy)
    shutil.copyfile(lite_path(model_path), lite_path(mine))
    (tmp_path / "mine.neither.npz").write_bytes(b"a detector")
    delete_run(tmp_path, "mine")
    assert sorted(path.name for path in tmp_path.iterdir()) == []


def test_many_threads_share_one_litert_model_and_each_gets_its_own_maps():
    lite = LiteModel.beside(SCRATCH_MODEL)
    size = lite.input_shape[1]
    pixels = [np.asarray(photo.resize((size, size)), np.uint8) for photo in made_photos(12)]
    alone = [lite.read(one[None])[0][0] for one in pixels]
    together = from_threads(lambda i: lite.read(pixels[i][None])[0][0], range(len(pixels)))
    np.testing.assert_array_equal(together, alone)
