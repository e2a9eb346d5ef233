"""catdog.train, catdog.model and catdog.predict.Classifier, on tiny models trained in seconds.

Most tests reuse the session's `tiny_model` (conftest.py); the few extra training runs use a
handful of photos at 32×32 pixels and a width of 8 filters.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import threading
import weakref
from pathlib import Path

import keras
import numpy as np
import pytest

from catdog.config import TrainConfig
from catdog.data import DatasetError, DecodedPhotos
from catdog.model import build_model, input_size, load_model, predict_dog_probability
from catdog.photos import load_photo, model_input
from catdog.predict import Classifier, Prediction
from catdog.runs import metadata_path, read_metadata, write_json_atomically
from catdog.train import augment_batch, save_model, train, training_batches

TINY = dict(image_size=32, width=8)


@pytest.fixture(scope="module")
def loaded_model(tiny_model):
    return load_model(tiny_model[0])


def photos_in(folder: Path) -> list[Path]:
    return sorted(folder.glob("*/*.jpg"))


# --- what a training run leaves behind -----------------------------------------------------------


def test_training_saves_the_model_and_its_metadata_beside_it(tiny_model):
    model_path, metadata = tiny_model
    assert model_path.is_file() and model_path.stat().st_size > 0
    assert metadata_path(model_path) == model_path.with_suffix(".json")
    assert metadata_path(model_path).is_file()
    on_disk = json.loads(metadata_path(model_path).read_text())
    assert on_disk == json.loads(json.dumps(metadata))  # the returned dict is what was written
    assert read_metadata(model_path) == on_disk


def test_the_metadata_has_one_history_entry_per_epoch_with_loss_and_accuracy(tiny_model):
    _, metadata = tiny_model
    assert metadata["epochs_run"] == 1
    assert metadata["stopped_early"] is False
    assert metadata["status"] == "finished"
    assert len(metadata["history"]) == 1
    entry = metadata["history"][0]
    assert entry["epoch"] == 1
    for key in ("accuracy", "loss", "val_accuracy", "val_loss"):
        assert isinstance(entry[key], float), key
    assert 0.0 <= entry["accuracy"] <= 1.0 and 0.0 <= entry["val_accuracy"] <= 1.0
    assert entry["loss"] > 0 and entry["val_loss"] > 0
    assert metadata["best_epoch"] == 1
    assert metadata["validation_accuracy"] == entry["val_accuracy"]


def test_the_metadata_records_the_config_and_the_data_it_was_trained_on(tiny_model, tiny_dataset):
    _, metadata = tiny_model
    config = TrainConfig(**metadata["config"])  # the saved config rebuilds the same TrainConfig
    assert config == TrainConfig(**TINY, epochs=1, limit_per_class=12, batch_size=8)
    assert metadata["image_size"] == 32
    assert metadata["data"] == str(tiny_dataset.resolve())
    assert metadata["layout"] == "folders"
    assert metadata["train_photos"] == 24  # 12 per class
    assert metadata["validation_photos"] == 12
    assert metadata["unreadable"] == []
    assert metadata["name"] == "tiny"
    assert metadata["precision"] in ("float32", "bfloat16")


def test_the_test_accuracy_is_a_fraction_of_the_test_photos(tiny_model):
    _, metadata = tiny_model
    accuracy = metadata["test_accuracy"]
    assert isinstance(accuracy, float)
    assert 0.0 <= accuracy <= 1.0
    assert round(accuracy * 8) == pytest.approx(accuracy * 8, abs=1e-3)  # k of the 8 test photos


def test_training_puts_the_global_precision_back_to_float32(tiny_model):
    assert keras.mixed_precision.global_policy().name == "float32"


def test_saving_leaves_no_scratch_folder_behind(tiny_model):
    model_path, _ = tiny_model
    assert sorted(p.name for p in model_path.parent.iterdir()) == ["tiny.json", "tiny.keras"]
    assert not list(model_path.parent.glob(".saving-*"))


# --- using the saved model ---------------------------------------------------------------------


def test_a_reloaded_model_agrees_with_the_classifier_photo_by_photo(tiny_model, tiny_dataset, loaded_model):
    model_path, _ = tiny_model
    paths = photos_in(tiny_dataset / "test")
    assert len(paths) == 8
    assert input_size(loaded_model) == 32
    pixels = np.stack([model_input(load_photo(path), 32) for path in paths])

    batch = predict_dog_probability(loaded_model, pixels)

    assert batch.shape == (len(paths),)
    assert np.all((batch >= 0) & (batch <= 1))
    classifier = Classifier.load(model_path)
    one_by_one = [classifier.classify(path).dog_probability for path in paths]
    assert np.allclose(batch, one_by_one, atol=1e-6)


def test_the_classifier_knows_its_input_size_and_metadata(tiny_model):
    model_path, metadata = tiny_model
    classifier = Classifier.load(model_path)
    assert classifier.image_size == 32
    assert classifier.path == model_path
    assert classifier.metadata["config"] == metadata["config"]


def test_a_prediction_carries_the_photo_the_pixels_and_a_verdict(tiny_model, shared_data):
    classifier = Classifier.load(tiny_model[0])
    prediction = classifier.classify(shared_data / "test" / "cats" / "cat.4501.jpg")
    assert isinstance(prediction, Prediction)
    assert prediction.photo.mode == "RGB"
    assert prediction.pixels.shape == (32, 32, 3) and prediction.pixels.dtype == np.uint8
    assert 0.0 <= prediction.dog_probability <= 1.0
    assert prediction.seconds > 0
    assert prediction.verdict.startswith(("Dog", "Cat", "Not sure"))


def test_the_classifier_accepts_uploaded_bytes_like_a_path(tiny_model, shared_data):
    classifier = Classifier.load(tiny_model[0])
    path = shared_data / "test" / "dogs" / "dog.4501.jpg"
    from_path = classifier.classify(path).dog_probability
    from_bytes = classifier.classify(path.read_bytes()).dog_probability
    assert from_bytes == pytest.approx(from_path, abs=1e-6)


def test_predicting_on_an_empty_batch_gives_an_empty_result(loaded_model):
    probabilities = predict_dog_probability(loaded_model, np.zeros((0, 32, 32, 3), np.uint8))
    assert probabilities.shape == (0,)


def test_a_batch_larger_than_one_chunk_gives_one_probability_per_photo(loaded_model):
    pixels = np.random.default_rng(0).integers(0, 256, (70, 32, 32, 3), dtype=np.uint8)
    probabilities = predict_dog_probability(loaded_model, pixels)
    assert probabilities.shape == (70,)
    assert probabilities.dtype == np.float32
    assert np.allclose(probabilities[64:], predict_dog_probability(loaded_model, pixels[64:]), atol=1e-6)


# --- saving -------------------------------------------------------------------------------------


def test_saving_over_an_existing_model_replaces_both_files_and_leaves_no_scratch(loaded_model, tmp_path):
    out = tmp_path / "models" / "mine.keras"
    save_model(loaded_model, {"version": 1}, out)
    save_model(loaded_model, {"version": 2}, out)
    assert json.loads(metadata_path(out).read_text()) == {"version": 2}
    assert sorted(p.name for p in out.parent.iterdir()) == ["mine.json", "mine.keras"]
    assert input_size(load_model(out)) == 32


def test_a_save_that_crashes_midway_leaves_the_previous_model_untouched(loaded_model, tmp_path, monkeypatch):
    out = tmp_path / "mine.keras"
    save_model(loaded_model, {"version": 1}, out)
    before = out.read_bytes()

    def crash_halfway(path, *args, **kwargs):
        Path(path).write_bytes(before[: len(before) // 2])  # half a model written...
        raise OSError("No space left on device")  # ...then the disk fills up

    monkeypatch.setattr(loaded_model, "save", crash_halfway)
    with pytest.raises(OSError, match="No space"):
        save_model(loaded_model, {"version": 2}, out)

    assert out.read_bytes() == before
    assert json.loads(metadata_path(out).read_text()) == {"version": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.json", "mine.keras"]


def test_rewriting_metadata_replaces_it_and_leaves_no_scratch_file(tmp_path):
    path = tmp_path / "run.json"
    write_json_atomically({"history": [1, 2]}, path)
    write_json_atomically({"history": [1, 2, 3]}, path)
    assert json.loads(path.read_text()) == {"history": [1, 2, 3]}
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]


def test_read_metadata_of_a_model_without_one_is_empty(tmp_path):
    assert read_metadata(tmp_path / "nothing.keras") == {}
    (tmp_path / "broken.json").write_text("{not json")
    assert read_metadata(tmp_path / "broken.keras") == {}


# --- awkward datasets ---------------------------------------------------------------------------


def test_a_corrupt_photo_in_the_training_folder_is_skipped_and_listed(tmp_path, make_dataset, not_a_photo):
    data = make_dataset(tmp_path / "data", train=4, validation=2, test=0)
    bad = not_a_photo(data / "train" / "cats" / "cat.0.jpg")
    out = tmp_path / "out" / "skips.keras"

    metadata = train(TrainConfig(**TINY, epochs=1, batch_size=4, augment=False), data, out)

    assert out.is_file()
    assert [path for path, _ in metadata["unreadable"]] == [str(bad)]
    assert "not an image" in metadata["unreadable"][0][1]
    assert metadata["train_photos"] == 8
    assert metadata["test_accuracy"] is None  # no test split
    assert [path for path, _ in read_metadata(out)["unreadable"]] == [str(bad)]


def _no_training(*args, **kwargs):
    raise AssertionError("training started although the dataset cannot be used")


@pytest.mark.parametrize("missing", ["train/dogs", "validation/dogs", "validation/cats"])
def test_a_dataset_missing_a_class_folder_is_refused_before_training(tmp_path, make_dataset, monkeypatch, missing):
    import shutil

    import catdog.train

    data = make_dataset(tmp_path / "data", train=2, validation=1, test=0)
    shutil.rmtree(data / missing)
    monkeypatch.setattr(catdog.train, "decode_photos", _no_training)
    monkeypatch.setattr(catdog.train, "build_model", _no_training)
    out = tmp_path / "out" / "never.keras"

    with pytest.raises(DatasetError, match="dog" if "dogs" in missing else "cat"):
        train(TrainConfig(**TINY, epochs=1), data, out)
    assert not out.parent.exists()


def test_a_dogs_folder_full_of_broken_files_is_refused_before_a_model_is_built(
    tmp_path, make_dataset, not_a_photo, monkeypatch
):
    import catdog.train

    data = make_dataset(tmp_path / "data", train=2, validation=1, test=0)
    for dog in (data / "train" / "dogs").iterdir():
        not_a_photo(dog)  # every training dog is now a text file with a .jpg name
    monkeypatch.setattr(catdog.train, "build_model", _no_training)

    with pytest.raises(DatasetError, match="readable"):
        train(TrainConfig(**TINY, epochs=1), data, tmp_path / "out" / "never.keras")
    assert not (tmp_path / "out").exists()


def test_a_stop_pressed_before_the_first_batch_ends_training_early_and_still_saves(tmp_path, tiny_dataset):
    stop = threading.Event()
    stop.set()
    out = tmp_path / "stopped.keras"

    metadata = train(TrainConfig(**TINY, epochs=3, limit_per_class=4, batch_size=4), tiny_dataset, out, stop=stop)

    assert metadata["stopped_early"] is True
    assert metadata["status"] == "stopped"
    assert metadata["epochs_run"] <= 1
    assert len(metadata["history"]) == metadata["epochs_run"]
    assert out.is_file()
    assert read_metadata(out)["stopped_early"] is True
    assert not list(tmp_path.glob(".saving-*"))


def test_a_listener_hears_the_batches_and_epochs_as_they_happen(tmp_path, tiny_dataset):
    class Listener:
        def __init__(self):
            self.batches_per_epoch, self.batches, self.epochs = None, [], []

        def on_train_begin(self, batches_per_epoch):
            self.batches_per_epoch = batches_per_epoch

        def on_batch_end(self, epoch, batch, logs):
            self.batches.append((epoch, batch, sorted(logs)))

        def on_epoch_end(self, record):
            self.epochs.append(record)

    listener = Listener()
    metadata = train(
        TrainConfig(**TINY, epochs=2, limit_per_class=4, batch_size=4, augment=False),
        tiny_dataset,
        tmp_path / "heard.keras",
        listener=listener,
    )
    assert listener.batches_per_epoch == 2  # 8 photos in batches of 4
    assert [(epoch, batch) for epoch, batch, _ in listener.batches] == [(1, 1), (1, 2), (2, 1), (2, 2)]
    assert {"accuracy", "loss"} <= set(listener.batches[0][2])
    assert [record["epoch"] for record in listener.epochs] == [1, 2]
    assert "val_accuracy" in listener.epochs[0]
    assert listener.epochs == metadata["history"]
    assert metadata["epochs_run"] == 2 and metadata["stopped_early"] is False


# --- augmentation -----------------------------------------------------------------------------


def half_dark_photo(size: int = 32) -> np.ndarray:
    """Black on the left, white on the right: which side is brighter says whether it was flipped."""
    photo = np.zeros((size, size, 3), np.uint8)
    photo[:, size // 2 :] = 255
    return photo


def test_augmentation_keeps_shape_and_dtype_and_is_reproducible_from_its_seed():
    pixels = np.random.default_rng(0).integers(0, 256, (4, 32, 32, 3), dtype=np.uint8)
    first = augment_batch(pixels, np.array([1, 2])).numpy()
    assert first.shape == pixels.shape and first.dtype == np.uint8
    assert np.array_equal(first, augment_batch(pixels, np.array([1, 2])).numpy())
    assert not np.array_equal(first, augment_batch(pixels, np.array([3, 4])).numpy())
    assert not np.array_equal(first, pixels)


def test_augmentation_of_a_plain_grey_photo_is_still_plain_grey():
    """Reflected edges and contrast around the photo's own mean add no black corners or colour casts."""
    grey = np.full((8, 32, 32, 3), 128, np.uint8)
    assert np.array_equal(augment_batch(grey, np.array([5, 6])).numpy(), grey)


def test_augmentation_flips_about_half_the_photos_and_keeps_what_they_show():
    augmented = augment_batch(np.stack([half_dark_photo()] * 400), np.array([7, 8])).numpy().astype(float)
    left, right = augmented[:, :, :16].mean(axis=(1, 2, 3)), augmented[:, :, 16:].mean(axis=(1, 2, 3))
    assert np.all(np.abs(left - right) > 40)  # turned at most 36°, zoomed and shifted a little: still two halves
    assert 0.4 < np.mean(left > right) < 0.6


def test_the_training_stream_augments_each_pass_differently_and_only_when_asked():
    photos = DecodedPhotos(pixels=half_dark_photo()[None], labels=np.array([1.0], np.float32), unreadable=[])
    config = TrainConfig(**TINY, batch_size=1)
    passes = [pixels.numpy()[0] for pixels, _ in training_batches(photos, config).take(3)]
    assert not np.array_equal(passes[0], passes[1]) and not np.array_equal(passes[1], passes[2])
    unaugmented = training_batches(photos, dataclasses.replace(config, augment=False))
    plain = [pixels.numpy()[0] for pixels, _ in unaugmented.take(2)]
    assert all(np.array_equal(p, photos.pixels[0]) for p in plain)


# --- bugs fixed once, kept fixed ---------------------------------------------------------------


def test_one_epoch_on_fewer_photos_than_a_batch_still_trains(tmp_path, tiny_dataset):
    config = TrainConfig(**TINY, epochs=1, limit_per_class=4)  # 8 photos, default batch_size 32
    metadata = train(config, tiny_dataset, tmp_path / "one-step.keras")
    assert metadata["epochs_run"] == 1


def test_a_model_that_is_no_longer_used_is_freed_after_predicting():
    model = build_model(TrainConfig(**TINY))
    predict_dog_probability(model, np.zeros((1, 32, 32, 3), np.uint8))
    alive = weakref.ref(model)
    del model
    gc.collect()
    assert alive() is None


def test_a_metadata_write_that_fails_leaves_no_scratch_file(tmp_path):
    path = tmp_path / "run.json"
    write_json_atomically({"version": 1}, path)
    with pytest.raises(TypeError):
        write_json_atomically({"version": 2, "not json": object()}, path)
    assert json.loads(path.read_text()) == {"version": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]


def test_train_config_round_trips_through_its_dict():
    config = TrainConfig(**TINY, epochs=3, limit_per_class=7)
    assert TrainConfig(**config.to_dict()) == config
    assert set(config.to_dict()) == {field.name for field in dataclasses.fields(TrainConfig)}
