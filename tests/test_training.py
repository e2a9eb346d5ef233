"""catdog.train, catdog.model, catdog.runs and catdog.predict.Classifier, on tiny models trained in seconds.

Most tests reuse the session's `tiny_model` (conftest.py); the few extra training runs use a
handful of photos at 32×32 pixels and a width of 8 filters. The pretrained runs start from
MobileNet v1 0.25 (1 MB of ImageNet weights, from conftest.py's `keras_home`) on 24 photos.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import os
import subprocess
import sys
import threading
import weakref
from pathlib import Path
from types import SimpleNamespace

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import MOBILENET_WEIGHTS

import catdog.train
from catdog.augment import augment_batch
from catdog.config import BACKBONES, DOG_THRESHOLD, MIN_TRAIN_PHOTOS_PER_CLASS, SCRATCH_MODEL, TrainConfig
from catdog.data import DatasetError, DecodedPhotos, find_dataset
from catdog.explain import feature_map, head_heatmap, heatmap
from catdog.i18n import Message
from catdog.model import (
    WeightsUnavailable,
    build_model,
    input_size,
    load_model,
    predict_dog_probability,
)
from catdog.photos import load_photo, model_input
from catdog.predict import Classifier, Prediction
from catdog.runs import (
    Epoch,
    RunRecord,
    RunRecordError,
    list_runs,
    metadata_path,
    read_record,
    write_json_atomically,
)
from catdog.train import (
    BackboneFeatures,
    explain_failure,
    one_cycle_schedule,
    save_model,
    split_backbone,
    train,
    training_batches,
)
from catdog.wording import label_of

TINY = dict(image_size=32, width=8)


@pytest.fixture(scope="module")
def loaded_model(tiny_model):
    return load_model(tiny_model[0])


def photos_in(folder: Path) -> list[Path]:
    return sorted(folder.glob("*/*.jpg"))


class Listener:
    """A catdog.train listener that writes down what it hears, and the run record on disk when it hears it."""

    def __init__(self, record_path: Path | None = None) -> None:
        self.record_path = record_path
        self.prepared, self.batches_per_epoch, self.batches, self.epochs = [], [], [], []
        self.heatmap_photos: list[str] = []
        self.phases: list[tuple[str, dict]] = []  # (phase beginning, seconds of the phases so far)
        self.on_disk: dict[str, list] = {"prepare": [], "train_begin": [], "epoch_end": []}

    def _snapshot(self, when: str) -> None:
        if self.record_path is not None:
            self.on_disk[when].append(read_record(self.record_path))

    def on_prepare(self, stage, done, total):
        self.prepared.append((stage, done, total))
        self._snapshot("prepare")

    def on_phase(self, phase, seconds):
        self.phases.append((phase, seconds))

    def on_heatmap_photo(self, path):
        self.heatmap_photos.append(path)

    def on_train_begin(self, batches_per_epoch):
        self.batches_per_epoch.append(batches_per_epoch)
        self._snapshot("train_begin")

    def on_batch_end(self, epoch, batch, logs):
        self.batches.append((epoch, batch, sorted(logs)))

    def on_epoch_end(self, entry):
        self.epochs.append(entry)
        self._snapshot("epoch_end")


def _no_training(*args, **kwargs):
    raise AssertionError("training started although the dataset cannot be used")


# --- what a training run leaves behind -----------------------------------------------------------


def test_training_saves_the_model_and_its_run_record_beside_it(tiny_model):
    model_path, record = tiny_model
    assert isinstance(record, RunRecord)
    assert model_path.is_file() and model_path.stat().st_size > 0
    assert metadata_path(model_path) == model_path.with_suffix(".json")
    assert metadata_path(model_path).is_file()
    on_disk = json.loads(metadata_path(model_path).read_text())
    assert on_disk == json.loads(json.dumps(record.to_dict()))  # the returned record is what was written
    assert read_record(model_path) == record


def test_the_record_has_one_history_entry_per_epoch_with_loss_and_accuracy(tiny_model):
    _, record = tiny_model
    assert record.epochs_run == 1
    assert record.stopped_early is False
    assert record.status == "finished" and record.state == "finished"
    assert record.error_message() is None and record.pid is None  # the run ended: no process writes it any more
    assert len(record.history) == 1
    entry = record.history[0]
    assert entry.epoch == 1
    assert entry.phase == "" and "phase" not in entry.to_dict()  # a run from scratch has no phases
    assert record.phases == []
    for key in ("seconds", "accuracy", "loss", "val_accuracy", "val_loss"):
        assert isinstance(getattr(entry, key), float), key
    assert 0.0 <= entry.accuracy <= 1.0 and 0.0 <= entry.val_accuracy <= 1.0
    assert entry.loss > 0 and entry.val_loss > 0
    assert record.best_epoch == 1
    assert record.validation_accuracy == entry.val_accuracy
    assert record.seconds >= entry.seconds > 0


def test_the_record_has_the_config_and_the_data_it_was_trained_on(tiny_model, tiny_dataset):
    _, record = tiny_model
    saved = json.loads(metadata_path(tiny_model[0]).read_text())["config"]
    assert TrainConfig.from_dict(saved) == record.config  # the saved config rebuilds the same TrainConfig
    assert record.config == TrainConfig(**TINY, epochs=1, limit_per_class=12, batch_size=8)
    assert record.image_size == 32
    assert record.data == str(tiny_dataset.resolve())
    assert record.layout == "folders"
    assert record.train_photos == 24  # 12 per class
    assert record.validation_photos == 12
    assert record.unreadable == []
    assert record.name == "tiny"
    assert record.precision in ("float32", "bfloat16")


def test_the_test_accuracy_is_a_fraction_of_the_test_photos(tiny_model):
    _, record = tiny_model
    accuracy = record.test_accuracy
    assert isinstance(accuracy, float)
    assert 0.0 <= accuracy <= 1.0
    assert round(accuracy * 8) == pytest.approx(accuracy * 8, abs=1e-3)  # k of the 8 test photos


def test_a_model_trained_in_bfloat16_is_saved_in_float32(tiny_model, loaded_model):
    policies = {layer.dtype_policy.name for layer in loaded_model.layers[1:]}  # every layer after the input
    assert policies == {"float32"}, f"trained in {tiny_model[1].precision}"


def test_a_bfloat16_build_has_mixed_bfloat16_layers_and_puts_the_global_policy_back(monkeypatch):
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")  # whatever the caller had set, not Keras's default
    try:
        model = build_model(TrainConfig(**TINY), "bfloat16")
        assert keras.config.dtype_policy().name == "mixed_float16"
        assert {layer.dtype_policy.name for layer in model.layers[1:-1]} == {"mixed_bfloat16"}
        assert model.layers[-1].dtype_policy.name == "float32"  # probabilities in full precision

        model = build_model(TrainConfig(**TINY), "float32")
        assert {layer.dtype_policy.name for layer in model.layers[1:]} == {"float32"}
        assert keras.config.dtype_policy().name == "mixed_float16"

        def broken_pooling(*args, **kwargs):
            raise RuntimeError("a layer failed to build")

        monkeypatch.setattr(keras.layers, "MaxPooling2D", broken_pooling)
        with pytest.raises(RuntimeError, match="failed to build"):
            build_model(TrainConfig(**TINY), "bfloat16")
        assert keras.config.dtype_policy().name == "mixed_float16"  # put back even when the build fails
    finally:
        keras.config.set_dtype_policy(previous)


def test_saving_leaves_no_scratch_folder_behind(tiny_model):
    model_path, _ = tiny_model
    assert sorted(p.name for p in model_path.parent.iterdir()) == ["tiny.json", "tiny.keras", "tiny.lite.npz"]
    assert not list(model_path.parent.glob(".saving-*"))


# --- run records ---------------------------------------------------------------------------------


def test_the_record_of_the_shipped_convnet_written_by_an_earlier_version_loads_with_its_scores():
    """The convnet from scratch (the bundled model before the pretrained one) keeps an earlier version's record."""
    assert "epochs_run" in json.loads(metadata_path(SCRATCH_MODEL).read_text())  # the earlier version's schema
    record = read_record(SCRATCH_MODEL)
    assert isinstance(record, RunRecord)
    assert record.name == SCRATCH_MODEL.stem
    assert record.validation_accuracy == 0.901 and record.test_accuracy == 0.914
    assert record.epochs_run == 100 and record.best_epoch == 64
    assert record.config.width == 32 and record.config.epochs == 100
    assert record.image_size == 128
    assert record.config.pretrained is None  # from scratch: written before pretrained backbones existed
    assert record.status == "finished" and record.state == "finished"
    assert record.stopped_early is False
    assert all(entry.accuracy is not None and entry.val_accuracy is not None for entry in record.history)
    assert record.phase_seconds == {}  # written before phase times were kept


@pytest.mark.parametrize(
    "damage",
    [
        {"test_accuracy": "high"},
        {"validation_accuracy": True},
        {"config": "small"},
        {"config": [32, 8]},
        {"history": [{"epoch": 1, "val_accuracy": 0.6, "heatmap": [[0.5, 1.0], [0.2]]}]},
        {"history": [{"epoch": 1, "val_accuracy": 0.6, "heatmap": [[0.5, 2.0]]}]},
        {"heatmap_photo": ["dog.1.jpg"]},
        {"phase_seconds": {"decoding": "long"}},
        {"phase_seconds": {"lunch": 30.0}},
        {"phase_seconds": [["decoding", 4.0]]},
    ],
    ids=[
        "test-accuracy-a-word",
        "validation-accuracy-a-bool",
        "config-a-word",
        "config-a-list",
        "heatmap-ragged",
        "heatmap-over-1",
        "heatmap-photo-a-list",
        "phase-seconds-a-word",
        "phase-seconds-unknown-phase",
        "phase-seconds-a-list",
    ],
)
def test_a_record_with_values_of_the_wrong_kind_is_unreadable_and_skipped_by_list_runs(tmp_path, damage):
    good = RunRecord("good", TrainConfig(epochs=3), history=[Epoch(1, val_accuracy=0.6)])
    good.save(tmp_path / "good.json")
    values = good.to_dict() | {"name": "damaged", "created": "2020-01-01T00:00:00+00:00"} | damage
    (tmp_path / "damaged.json").write_text(json.dumps(values))
    with pytest.raises(RunRecordError):
        RunRecord.from_dict(values)
    assert read_record(tmp_path / "damaged.keras") is None
    assert list_runs(tmp_path) == [read_record(tmp_path / "good.keras")]


def test_a_record_survives_the_round_trip_through_its_dict_and_json(tmp_path):
    record = RunRecord(
        "round-trip",
        TrainConfig.transfer("mobilenet", epochs=3, fine_tune_epochs=1, limit_per_class=100),
        status="failed",
        failure=Message("run_failed.could_not_start", {"reason": Message("dataset_error.cat_or_dog")}),
        command="python -m catdog train --pretrained mobilenet",
        data="/data/cats",
        layout="kaggle",
        precision="float32",
        train_photos=200,
        validation_photos=50,
        unreadable=[["/data/cats/cat.1.jpg", "not an image we can read"]],
        phases=[{"phase": "head", "first_epoch": 1, "trainable_weights": 257}],
        test_accuracy=0.75,
        seconds=12.5,
        phase_seconds={"decoding": 4.2, "features": 45.0, "head": 3.1},
        pid=4242,
        heatmap_photo="/data/cats/validation/dogs/dog.1.jpg",
    )
    for entry in (
        Epoch(1, 3.5, val_accuracy=0.8, phase="head", heatmap=[[0.0, 0.25], [1.0, 0.5]]),
        Epoch(2, val_accuracy=0.9),
    ):
        record.add_epoch(entry)
    assert RunRecord.from_dict(record.to_dict()) == record
    assert RunRecord.from_dict(json.loads(json.dumps(record.to_dict()))) == record
    record.save(tmp_path / "round-trip.json")
    assert read_record(tmp_path / "round-trip.keras") == record
    assert set(record.to_dict()) == {f.name for f in dataclasses.fields(RunRecord)}


def test_an_epoch_is_written_compactly_and_read_back_as_it_was():
    entry = Epoch(3, 2.5, 0.75, 0.52, 0.7, 0.58, phase="fine-tune", heatmap=[[0.0, 0.5], [1.0, 0.25]])
    assert Epoch.from_dict(json.loads(json.dumps(entry.to_dict()))) == entry
    scratch = Epoch(1, 2.0, accuracy=0.6, loss=0.7)
    assert scratch.to_dict() == {"epoch": 1, "seconds": 2.0, "accuracy": 0.6, "loss": 0.7}  # nothing unset
    assert Epoch.from_dict(scratch.to_dict()) == scratch


def test_an_epoch_whose_run_diverged_reads_with_its_nan_scores():
    entry = Epoch.from_dict(json.loads('{"epoch": 2, "accuracy": 0.5, "loss": NaN, "val_loss": Infinity}'))
    assert np.isnan(entry.loss) and entry.val_loss == float("inf") and entry.accuracy == 0.5


def test_an_epoch_written_by_an_earlier_version_reads_and_unknown_keys_are_skipped():
    # Before heatmaps and phases, with Keras's learning rate in the logs; then a key of some later version.
    old = {"epoch": 4, "seconds": 10.26, "accuracy": 0.58, "loss": 0.75, "val_accuracy": 0.6, "learning_rate": 0.003}
    assert Epoch.from_dict(old) == Epoch(4, 10.26, 0.58, 0.75, 0.6)
    assert Epoch.from_dict({"epoch": 1, "val_accuracy": 0.6, "colour": "red"}) == Epoch(1, val_accuracy=0.6)


@pytest.mark.parametrize(
    "entry",
    [
        {"epoch": 1, "heatmap": [[0.5, 1.0], [0.2]]},
        {"epoch": 1, "heatmap": [[0.5, 2.0]]},
        {"epoch": 1, "heatmap": []},
        {"epoch": 1, "heatmap": "hot"},
        {"epoch": 1, "val_accuracy": "high"},
        {"epoch": 1, "loss": True},
        {"epoch": 1, "phase": "warm-up"},
        {"epoch": 0},
        {"epoch": 1.5},
        {"val_accuracy": 0.6},
        [1, 0.6],
    ],
    ids=[
        "heatmap-ragged",
        "heatmap-over-1",
        "heatmap-empty",
        "heatmap-a-word",
        "score-a-word",
        "score-a-bool",
        "unknown-phase",
        "epoch-0",
        "epoch-a-fraction",
        "no-epoch",
        "a-list",
    ],
)
def test_an_epoch_with_values_of_the_wrong_kind_is_refused(entry):
    with pytest.raises(RunRecordError):
        Epoch.from_dict(entry)


def test_a_record_from_before_failure_messages_shows_its_english_sentence_in_any_language(tmp_path):
    old = RunRecord("old", TrainConfig(epochs=3), status="failed").to_dict()
    del old["failure"]
    old["error"] = "The server ran out of memory."  # all that records kept then
    (tmp_path / "old.json").write_text(json.dumps(old))
    record = read_record(tmp_path / "old.keras")
    assert record.status == "failed"
    assert record.error_message() == record.error_message("zh") == "The server ran out of memory."
    record.save(tmp_path / "old.json")  # written again, it keeps the sentence in the one field there is
    assert "error" not in json.loads((tmp_path / "old.json").read_text())
    assert read_record(tmp_path / "old.keras").error_message() == "The server ran out of memory."


def test_a_finished_record_from_before_failure_messages_has_no_failure(tmp_path):
    old = RunRecord("old", TrainConfig(epochs=3), status="finished").to_dict()
    del old["failure"]
    old["error"] = None
    assert RunRecord.from_dict(old).error_message() is None


def test_add_epoch_keeps_the_best_validation_epoch():
    record = RunRecord("best", TrainConfig(epochs=3))
    for epoch, val_accuracy in enumerate([0.6, 0.7, 0.65], start=1):
        record.add_epoch(Epoch(epoch, val_accuracy=val_accuracy))
    assert record.best_epoch == 2 and record.validation_accuracy == 0.7
    assert record.epochs_run == 3 and not record.stopped_early


def test_a_run_left_training_by_a_process_that_has_ended_is_interrupted():
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    left_behind = RunRecord("crashed", TrainConfig(), status="training", pid=ended.pid)
    assert left_behind.state == "interrupted"
    assert dataclasses.replace(left_behind, status="preparing").state == "interrupted"
    assert dataclasses.replace(left_behind, pid=None).state == "interrupted"  # no process was ever named
    going = dataclasses.replace(left_behind, pid=os.getpid())  # this process is alive
    assert going.state == "training"
    assert dataclasses.replace(going, status="preparing").state == "preparing"
    assert dataclasses.replace(left_behind, status="finished").state == "finished"  # an ended run stays ended


def test_read_record_of_a_model_without_one_is_none(tmp_path):
    assert read_record(tmp_path / "nothing.keras") is None
    (tmp_path / "broken.json").write_text("{not json")
    assert read_record(tmp_path / "broken.keras") is None
    (tmp_path / "list.json").write_text("[1, 2]")
    assert read_record(tmp_path / "list.keras") is None
    assert list_runs(tmp_path) == []
    assert list_runs(tmp_path / "missing") == []


def test_a_record_without_a_name_takes_the_file_name(tmp_path):
    values = RunRecord("", TrainConfig()).to_dict()
    del values["name"]
    (tmp_path / "unnamed.json").write_text(json.dumps(values))
    assert read_record(tmp_path / "unnamed.keras").name == "unnamed"


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


def test_the_classifier_knows_its_input_size_and_run_record(tiny_model):
    model_path, record = tiny_model
    classifier = Classifier.load(model_path)
    assert classifier.image_size == 32
    assert classifier.path == model_path
    assert classifier.record == record
    assert classifier.record.config == record.config


def test_a_classifier_without_a_run_record_has_none(loaded_model, tmp_path):
    out = tmp_path / "bare.keras"
    save_model(loaded_model, out)
    assert Classifier.load(out).record is None


def test_a_prediction_carries_the_pixels_and_a_verdict(tiny_model, photos_of):
    classifier = Classifier.load(tiny_model[0])
    prediction = classifier.classify(photos_of("test", "cats")[0])
    assert isinstance(prediction, Prediction)
    assert prediction.pixels.shape == (32, 32, 3) and prediction.pixels.dtype == np.uint8
    assert 0.0 <= prediction.dog_probability <= 1.0
    assert prediction.seconds > 0
    assert prediction.verdict.startswith(("Dog", "Cat", "Not sure"))
    assert prediction.label == label_of(prediction.dog_probability)
    assert prediction.verdict.startswith("Not sure") or prediction.verdict.lower().startswith(prediction.label)


def test_the_label_is_dog_from_the_threshold_up():
    assert label_of(DOG_THRESHOLD) == "dog"  # exactly at the threshold: a dog
    assert label_of(np.nextafter(DOG_THRESHOLD, 0)) == "cat"
    assert label_of(0.0) == "cat" and label_of(1.0) == "dog"
    assert label_of(np.float32(0.93)) == "dog"  # what a model returns


def test_the_classifier_accepts_uploaded_bytes_like_a_path(tiny_model, photos_of):
    classifier = Classifier.load(tiny_model[0])
    path = photos_of("test", "dogs")[0]
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


def test_saving_over_an_existing_model_and_record_replaces_both_and_leaves_no_scratch(loaded_model, tmp_path):
    out = tmp_path / "models" / "mine.keras"
    save_model(loaded_model, out)
    RunRecord("mine", TrainConfig(**TINY), status="training").save(metadata_path(out))
    save_model(build_model(TrainConfig(**dict(TINY, image_size=48))), out)
    RunRecord("mine", TrainConfig(**dict(TINY, image_size=48)), status="finished").save(metadata_path(out))
    assert input_size(load_model(out)) == 48  # the second model
    assert read_record(out).status == "finished" and read_record(out).image_size == 48
    assert sorted(p.name for p in out.parent.iterdir()) == ["mine.json", "mine.keras"]


def test_a_save_that_crashes_midway_leaves_the_previous_model_untouched(loaded_model, tmp_path, monkeypatch):
    out = tmp_path / "mine.keras"
    save_model(loaded_model, out)
    before = out.read_bytes()

    def crash_halfway(path, *args, **kwargs):
        Path(path).write_bytes(before[: len(before) // 2])  # half a model written...
        raise OSError("No space left on device")  # ...then the disk fills up

    monkeypatch.setattr(loaded_model, "save", crash_halfway)
    with pytest.raises(OSError, match="No space"):
        save_model(loaded_model, out)

    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.keras"]


@pytest.mark.slow
def test_a_run_whose_save_crashes_is_recorded_as_failed_and_keeps_the_previous_model(
    tiny_model, tiny_dataset, tmp_path, monkeypatch
):
    out = tmp_path / "mine.keras"
    out.write_bytes(tiny_model[0].read_bytes())  # a model saved by an earlier run of the same name
    before = out.read_bytes()

    def crash_halfway(self, path, *args, **kwargs):
        Path(path).write_bytes(b"half a model")
        raise OSError("No space left on device")

    monkeypatch.setattr(keras.Model, "save", crash_halfway)
    with pytest.raises(OSError, match="No space"):  # the error still reaches the caller
        train(TrainConfig(**TINY, epochs=1, limit_per_class=4, batch_size=4), tiny_dataset, out)

    assert out.read_bytes() == before
    record = read_record(out)
    assert record.status == "failed" and record.state == "failed"
    assert record.error_message() == "Training failed: OSError: No space left on device"
    assert record.pid is None and record.epochs_run == 1  # what it learned is recorded, though not saved
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.json", "mine.keras"]


def test_rewriting_a_record_replaces_it_and_leaves_no_scratch_file(tmp_path):
    path = tmp_path / "run.json"
    write_json_atomically({"history": [1, 2]}, path)
    write_json_atomically({"history": [1, 2, 3]}, path)
    assert json.loads(path.read_text()) == {"history": [1, 2, 3]}
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]


# --- awkward datasets ---------------------------------------------------------------------------


@pytest.mark.slow
def test_a_corrupt_photo_in_the_training_folder_is_skipped_and_listed(tmp_path, make_dataset, not_a_photo):
    data = make_dataset(tmp_path / "data", train=4, validation=2, test=0)
    bad = not_a_photo(data / "train" / "cats" / "notes.jpg")
    out = tmp_path / "out" / "skips.keras"

    record = train(TrainConfig(**TINY, epochs=1, batch_size=4, augment=False), data, out)

    assert out.is_file()
    assert [path for path, _ in record.unreadable] == [str(bad)]
    assert "not an image" in record.unreadable[0][1]
    assert record.train_photos == 8
    assert record.test_accuracy is None  # no test split
    assert [path for path, _ in read_record(out).unreadable] == [str(bad)]


@pytest.mark.parametrize("missing", ["train/dogs", "validation/dogs", "validation/cats"])
def test_a_dataset_missing_a_class_folder_is_refused_before_training(tmp_path, make_dataset, monkeypatch, missing):
    import shutil

    data = make_dataset(tmp_path / "data", train=2, validation=1, test=0)
    shutil.rmtree(data / missing)
    monkeypatch.setattr(catdog.train, "decode_photos", _no_training)
    monkeypatch.setattr(catdog.train, "build_model", _no_training)
    out = tmp_path / "out" / "never.keras"

    with pytest.raises(DatasetError, match="dog" if "dogs" in missing else "cat"):
        train(TrainConfig(**TINY, epochs=1), data, out)
    # Only the run's record is left, saying why it failed.
    assert [p.name for p in out.parent.iterdir()] == ["never.json"]
    record = read_record(out)
    assert record.status == "failed" and record.history == [] and record.pid is None
    assert ("dog" if "dogs" in missing else "cat") in record.error_message()


def test_a_dogs_folder_full_of_broken_files_is_refused_before_training(
    tmp_path, make_dataset, not_a_photo, monkeypatch
):
    data = make_dataset(tmp_path / "data", train=4, validation=1, test=0)
    for dog in (data / "train" / "dogs").iterdir():
        not_a_photo(dog)  # every training dog is now a text file with a .jpg name
    monkeypatch.setattr(keras.Model, "fit", _no_training)

    with pytest.raises(DatasetError, match="readable"):
        train(TrainConfig(**TINY, epochs=1), data, tmp_path / "out" / "never.keras")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["never.json"]
    why = read_record(tmp_path / "out" / "never.keras").error_message()
    assert why.endswith("has too few readable photos of each class.")


def test_a_stop_pressed_before_the_first_epoch_ended_saves_no_model_but_its_record(tmp_path, tiny_dataset):
    """Nothing learned: a model saved then would only guess, and take a place in the picker."""
    stop = threading.Event()
    stop.set()
    out = tmp_path / "stopped.keras"

    record = train(TrainConfig(**TINY, epochs=3, limit_per_class=4, batch_size=4), tiny_dataset, out, stop=stop)

    assert record.stopped_early is True
    assert record.status == "stopped" and record.state == "stopped"
    assert record.history == [] and record.test_accuracy is None
    assert not out.exists()
    assert read_record(out) == record
    assert not list(tmp_path.glob(".saving-*"))


@pytest.mark.slow
def test_a_stop_during_validation_cuts_it_short_and_keeps_only_whole_epochs(tmp_path, tiny_dataset, monkeypatch):
    stop = threading.Event()
    calibrate = catdog.train.CalibrateBatchNorm.on_test_begin
    validations = []

    def stop_in_the_second_validation(self, logs=None):
        validations.append(self.model.stop_training)
        if len(validations) == 2:
            stop.set()  # after the validation began: its first batch sees it
        calibrate(self, logs)

    monkeypatch.setattr(catdog.train.CalibrateBatchNorm, "on_test_begin", stop_in_the_second_validation)
    out = tmp_path / "stopped.keras"
    config = TrainConfig(**TINY, epochs=5, limit_per_class=4, batch_size=4, augment=False)
    record = train(config, tiny_dataset, out, stop=stop)

    assert len(validations) == 2  # no third epoch
    assert record.status == "stopped" and [entry.epoch for entry in record.history] == [1]  # not the cut one
    assert record.best_epoch == 1 and record.test_accuracy is None  # the test split is skipped: ended at once
    assert out.is_file() and read_record(out) == record


def test_the_stop_flag_ends_training_and_any_validation_going_on():
    stop = threading.Event()
    flag = catdog.train.StopFlag(stop)
    model = SimpleNamespace(stop_training=False, stop_evaluating=False)
    flag.set_model(model)
    flag.on_train_batch_end(0)
    flag.on_test_batch_end(0)
    assert (model.stop_training, model.stop_evaluating) == (False, False)
    stop.set()
    flag.on_test_batch_end(3)  # pressed during a validation pass: it ends after this batch
    assert (model.stop_training, model.stop_evaluating) == (True, True)
    model.stop_evaluating = False  # as Keras resets it for the validation after a stopped epoch
    flag.on_test_begin()
    assert model.stop_evaluating is True


@pytest.fixture(scope="module")
def heard_run(tiny_dataset, tmp_path_factory):
    """A 2-epoch run on 8 photos with a listener that also reads the run record on disk each time it hears."""
    out = tmp_path_factory.mktemp("heard") / "heard.keras"
    listener = Listener(metadata_path(out))
    config = TrainConfig(**TINY, epochs=2, limit_per_class=4, batch_size=4, augment=False)
    record = train(config, tiny_dataset, out, listener=listener, command="pytest")
    return SimpleNamespace(out=out, listener=listener, record=record)


@pytest.mark.slow
def test_a_listener_hears_the_preparation_batches_and_epochs_as_they_happen(heard_run):
    listener, record = heard_run.listener, heard_run.record
    # The 8 training photos, then the 12 validation photos: one count, before the first batch.
    assert listener.prepared == [("decoding", 8, 20), ("decoding", 20, 20)]
    assert listener.batches_per_epoch == [2]  # 8 photos in batches of 4
    assert [(epoch, batch) for epoch, batch, _ in listener.batches] == [(1, 1), (1, 2), (2, 1), (2, 2)]
    assert {"accuracy", "loss"} <= set(listener.batches[0][2])
    assert [entry.epoch for entry in listener.epochs] == [1, 2]
    assert listener.epochs[0].val_accuracy is not None
    assert listener.epochs == record.history
    assert record.epochs_run == 2 and record.stopped_early is False


@pytest.mark.slow
def test_the_run_record_on_disk_follows_the_run_from_preparing_to_finished(heard_run):
    on_disk, record = heard_run.listener.on_disk, heard_run.record
    # While decoding: preparing, by this process, nothing counted yet.
    assert len(on_disk["prepare"]) == 2  # the training photos, then the validation photos
    for preparing in on_disk["prepare"]:
        assert preparing.status == "preparing" and preparing.pid == os.getpid()
        assert preparing.command == "pytest" and preparing.config == record.config
    # Before the first epoch: training, with the photos counted.
    (training,) = on_disk["train_begin"]
    assert training.status == "training" and training.pid == os.getpid()
    assert training.train_photos == 8 and training.validation_photos == 12 and training.history == []
    # After each epoch: that epoch added.
    assert [len(r.history) for r in on_disk["epoch_end"]] == [1, 2]
    assert {r.status for r in on_disk["epoch_end"]} == {"training"}
    assert on_disk["epoch_end"][-1].history == record.history
    # At the end: finished, and no process named any more.
    assert read_record(heard_run.out) == record
    assert record.status == "finished" and record.pid is None and record.seconds > 0


# --- where the model looked, epoch by epoch ------------------------------------------------------


def first_validation_dog(dataset: Path) -> Path:
    return next(path for path, label in find_dataset(dataset).splits["validation"] if label == 1)


def feature_map_size(config: TrainConfig) -> tuple[int, int]:
    """(h, w) of the map that the model's global pooling reads: Grad-CAM's resolution."""
    return tuple(build_model(config).get_layer("pool").input.shape[1:3])


def assert_heatmap(grid, size: tuple[int, int]) -> None:
    grid = np.array(grid)
    assert grid.shape == size
    assert np.isfinite(grid).all() and grid.min() >= 0 and grid.max() <= 1


@pytest.mark.slow
def test_each_epoch_records_where_the_model_looked_in_the_first_validation_dog_photo(heard_run, tiny_dataset):
    listener, record = heard_run.listener, heard_run.record
    assert record.heatmap_photo == str(first_validation_dog(tiny_dataset).resolve())
    assert listener.heatmap_photos == [record.heatmap_photo]  # said once, before the first epoch
    assert listener.on_disk["train_begin"][0].heatmap_photo == record.heatmap_photo
    size = feature_map_size(record.config)
    assert size == (2, 2)  # 32 pixels, halved by the stem and three stages
    for entry in record.history:
        assert_heatmap(entry.heatmap, size)
    assert [entry.heatmap for entry in listener.epochs] == [entry.heatmap for entry in record.history]


def test_an_epochs_heatmap_is_the_grad_cam_of_the_weights_that_epoch_ended_with(tiny_model, loaded_model):
    """The tiny model trained one epoch, so the saved weights are the ones its only heatmap was computed from."""
    _, record = tiny_model
    (entry,) = record.history
    pixels = model_input(load_photo(record.heatmap_photo), record.image_size)
    # Trained in bfloat16 where the CPU computes it, saved in float32: the same map, rounded differently.
    tolerance = 0.05 if record.precision == "bfloat16" else 0.01
    assert np.abs(np.array(entry.heatmap) - heatmap(loaded_model, pixels)).max() <= tolerance


def test_while_the_head_trains_on_cached_features_its_heatmap_is_grad_cam_of_the_whole_model(keras_home, photos_of):
    """The backbone is frozen then: the photo's feature map, computed once, and the head's weights make the heatmap."""
    model = build_model(TrainConfig.transfer("mobilenet"))
    unit = model.get_layer("dog_probability")
    pixels = model_input(load_photo(photos_of("validation", "dogs")[0]), 224)
    features = feature_map(model, pixels)
    assert features.shape == (7, 7, 256)
    rng = np.random.default_rng(0)
    seen = []
    for _ in range(3):  # as the head's weights change from epoch to epoch
        unit.kernel.assign(rng.normal(size=unit.kernel.shape).astype("float32"))
        unit.bias.assign(rng.normal(size=unit.bias.shape).astype("float32"))
        expected = heatmap(model, pixels)
        assert np.allclose(head_heatmap(features, unit), expected, atol=1e-4)
        seen.append(expected)
    assert not np.allclose(seen[0], seen[1])  # Grad-CAM follows the weights as they are now


# --- from a pretrained backbone ------------------------------------------------------------------

TRANSFER = dict(epochs=2, fine_tune_epochs=1, limit_per_class=12, batch_size=8)  # one head epoch, one fine-tune


@pytest.fixture(scope="module")
def transfer_run(keras_home, tiny_dataset, tmp_path_factory):
    """MobileNet v1 0.25 with a new head, without augmentation: one head epoch, then one fine-tuning epoch.

    Also keeps the model as it was in memory when it was saved, to compare with the saved file.
    """
    out = tmp_path_factory.mktemp("transfer") / "mobilenet.keras"
    listener = Listener()
    in_memory = {}

    def keep_and_save(model, path):
        in_memory["model"] = model
        real_save_model(model, path)

    real_save_model = catdog.train.save_model
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(catdog.train, "save_model", keep_and_save)
        config = TrainConfig.transfer("mobilenet", augment=False, **TRANSFER)
        record = train(config, tiny_dataset, out, listener=listener)
    return SimpleNamespace(out=out, record=record, listener=listener, model=in_memory["model"])


@pytest.mark.slow
def test_a_pretrained_run_trains_the_head_then_fine_tunes_and_records_both_phases(transfer_run):
    record = transfer_run.record
    assert record.status == "finished" and record.error_message() is None
    assert record.config == TrainConfig.transfer("mobilenet", augment=False, **TRANSFER)
    assert record.config.pretrained == "mobilenet" and record.image_size == 224
    assert record.precision == "float32"  # backbones stay float32
    head, fine_tune = record.phases
    assert head["phase"] == "head" and head["first_epoch"] == 1
    assert fine_tune["phase"] == "fine-tune" and fine_tune["first_epoch"] == 2
    assert fine_tune["from_layer"] == BACKBONES["mobilenet"].fine_tune_from
    assert fine_tune["learning_rate"] == record.config.fine_tune_learning_rate
    assert head["trainable_weights"] == 256 + 1  # the head alone: 256 features → one probability
    assert fine_tune["trainable_weights"] > head["trainable_weights"]  # the backbone's top as well
    assert [(entry.epoch, entry.phase) for entry in record.history] == [(1, "head"), (2, "fine-tune")]
    for entry in record.history:
        assert 0.0 <= entry.val_accuracy <= 1.0 and entry.loss > 0
    assert record.best_epoch in (1, 2) and record.validation_accuracy == max(e.val_accuracy for e in record.history)
    assert record.train_photos == 24 and record.validation_photos == 12
    assert round(record.test_accuracy * 8) == pytest.approx(record.test_accuracy * 8, abs=1e-3)
    assert read_record(transfer_run.out) == record


@pytest.mark.slow
def test_without_augmentation_the_head_trains_on_features_computed_once(transfer_run):
    prepared = transfer_run.listener.prepared
    stages = [stage for stage, _, _ in prepared]
    assert stages == ["decoding"] * stages.count("decoding") + ["features"] * stages.count("features")
    # 24 training + 12 validation photos, decoded, then through the backbone
    assert ("decoding", 36, 36) in prepared and prepared[-1] == ("features", 36, 36)
    assert transfer_run.listener.batches_per_epoch == [3, 3]  # each phase: 24 photos in batches of 8
    epochs = [epoch for epoch, _, _ in transfer_run.listener.batches]
    assert epochs == [1, 1, 1, 2, 2, 2]


@pytest.mark.slow
def test_a_pretrained_run_records_where_it_looked_in_both_phases_at_the_backbones_resolution(transfer_run):
    record = transfer_run.record
    assert [entry.phase for entry in record.history] == ["head", "fine-tune"]
    for entry in record.history:
        assert_heatmap(entry.heatmap, (7, 7))  # 224 pixels, halved five times by MobileNet


@pytest.mark.slow
def test_a_pretrained_model_takes_raw_224_pixel_photos_and_loads_like_any_other(transfer_run, tiny_dataset):
    model = load_model(transfer_run.out)  # Keras's safe mode: no code runs from the file
    assert model.input_shape == (None, 224, 224, 3) and model.inputs[0].dtype == "uint8"
    assert input_size(model) == 224
    paths = photos_in(tiny_dataset / "test")[:4]
    pixels = np.stack([model_input(load_photo(path), 224) for path in paths])
    in_memory = predict_dog_probability(transfer_run.model, pixels)
    classifier = Classifier.load(transfer_run.out)
    assert classifier.image_size == 224 and classifier.record == transfer_run.record
    from_file = [classifier.classify(path).dog_probability for path in paths]
    assert np.allclose(from_file, in_memory, atol=1e-5)


@pytest.mark.slow
def test_a_pretrained_run_records_how_long_each_phase_took_and_says_when_each_begins(transfer_run):
    record, heard = transfer_run.record, transfer_run.listener.phases
    assert [phase for phase, _ in heard] == ["decoding", "features", "head", "fine-tune", "test", "saving"]
    assert heard[0][1] == {} and set(heard[-1][1]) == {"decoding", "features", "head", "fine-tune", "test"}
    assert set(record.phase_seconds) == {"decoding", "features", "head", "fine-tune", "test", "saving"}
    assert all(seconds >= 0 for seconds in record.phase_seconds.values())
    assert sum(record.phase_seconds.values()) <= record.seconds + 0.5  # the rest: starting
    # Fitting the head, each epoch as long as its history entry says; it reads features computed before.
    assert record.phase_seconds["head"] >= record.history[0].seconds - 0.1


@pytest.mark.slow
def test_with_augmentation_the_backbone_runs_once_per_cached_view_and_never_during_an_epoch(
    keras_home, tiny_dataset, tmp_path, monkeypatch
):
    listener = Listener()
    augmented = []

    def counted(pixels, seed):
        augmented.append(int(pixels.shape[0]))
        return augment_batch(pixels, seed)

    monkeypatch.setattr(catdog.train, "augment_batch", counted)
    config = TrainConfig.transfer("mobilenet", augment=True, augmented_views=2, **TRANSFER)
    record = train(config, tiny_dataset, tmp_path / "augmented.keras", listener=listener)

    assert record.status == "finished", record.error_message()
    assert [entry.phase for entry in record.history] == ["head", "fine-tune"]
    assert record.phases[1]["views"] == 3  # the photos as they are, and two augmented views
    assert augmented == [24, 24]  # each training photo augmented once per view, before the fine-tuning
    features = [(done, total) for stage, done, total in listener.prepared if stage == "features"]
    # First the 24 training and 12 validation photos as they are (for the head), then the 2 × 24 views.
    assert features[:2] == [(24, 36), (36, 36)] and features[2:] == [(24, 48), (48, 48)]
    heard = [phase for phase, _ in listener.phases]
    assert heard == ["decoding", "features", "head", "features", "fine-tune", "test", "saving"]
    assert input_size(load_model(tmp_path / "augmented.keras")) == 224


@pytest.fixture(scope="module")
def mobilenet_parts(keras_home, tiny_dataset):
    """MobileNet v1 0.25 with a new head, cut where fine-tuning starts, and 5 validation photos at 224 px."""
    model = build_model(TrainConfig.transfer("mobilenet"))
    pixels = np.stack([model_input(load_photo(path), 224) for path in photos_in(tiny_dataset / "validation")[:5]])
    return SimpleNamespace(model=model, parts=split_backbone(model, "mobilenet"), pixels=pixels)


def test_the_cache_holds_each_photo_and_its_augmented_views_as_the_frozen_backbone_sees_them(mobilenet_parts):
    model, (extract, fine_tuned), pixels = mobilenet_parts.model, mobilenet_parts.parts, mobilenet_parts.pixels
    ticks = []
    cache = BackboneFeatures.empty(extract, 5, views=3, keep_bottoms=True)
    assert cache.compute(extract, pixels, 3, seed=7, stop=threading.Event(), tick=ticks.append)

    # (views, photos, ...): the pooled features the head reads, and the input of conv_dw_12 (15 × 15 after
    # its padding) in float16, what fine-tuning reads.
    assert cache.pooled.shape == (3, 5, 256) and cache.pooled.dtype == np.float32
    assert cache.bottoms.shape == (3, 5, 15, 15, 128) and cache.bottoms.dtype == np.float16
    assert cache.ready == 3 and ticks == [5, 5, 5]
    # View 0 is the photo as it is: what the whole model pools and predicts from.
    pooled = keras.Model(model.input, model.get_layer("pool").output).predict_on_batch(pixels)
    assert np.allclose(cache.pooled[0], pooled, atol=1e-4)
    from_cache = np.asarray(fine_tuned(cache.bottoms[0], training=False)).reshape(-1)
    assert np.allclose(from_cache, predict_dog_probability(model, pixels), atol=2e-3)  # float16 rounding
    # The augmented views differ from the photo and from each other, and come back alike from the same seed.
    assert not np.allclose(cache.pooled[1], cache.pooled[0], atol=1e-2)
    assert not np.allclose(cache.pooled[2], cache.pooled[1], atol=1e-2)
    again = BackboneFeatures.empty(extract, 5, views=3, keep_bottoms=False)
    again.compute(extract, pixels, 3, seed=7, stop=threading.Event(), tick=lambda n: None)
    assert again.bottoms is None and np.allclose(again.pooled, cache.pooled, atol=1e-5)


def test_what_fine_tuning_fits_is_the_whole_models_top_and_head_and_nothing_below_the_cut(mobilenet_parts):
    model, (_, fine_tuned) = mobilenet_parts.model, mobilenet_parts.parts
    backbone = model.get_layer("backbone")
    fitted = {id(weight) for weight in fine_tuned.weights}
    assert id(backbone.get_layer("conv_pw_13").kernel) in fitted  # the same variables, not a copy
    assert id(model.get_layer("dog_probability").kernel) in fitted
    assert id(backbone.get_layer("conv1").kernel) not in fitted  # nothing below the cut runs


@pytest.mark.slow
def test_a_stop_during_the_feature_pass_ends_it_at_once_and_saves_nothing(
    keras_home, tiny_dataset, tmp_path, monkeypatch
):
    stop = threading.Event()

    class StopAtFirstFeatures(Listener):
        def on_prepare(self, stage, done, total):
            super().on_prepare(stage, done, total)
            if stage == "features":
                stop.set()

    listener = StopAtFirstFeatures()
    out = tmp_path / "stopped.keras"
    monkeypatch.setattr(catdog.train, "INFERENCE_BATCH", 8)  # 24 training photos: 3 batches of features
    config = TrainConfig.transfer("mobilenet", augment=False, **TRANSFER)
    record = train(config, tiny_dataset, out, listener=listener, stop=stop)

    assert [(stage, done) for stage, done, _ in listener.prepared if stage == "features"] == [("features", 8)]
    assert record.status == "stopped" and record.history == [] and record.test_accuracy is None
    assert listener.batches == []  # no step was fitted
    assert [phase for phase, _ in listener.phases] == ["decoding", "features"]
    assert "features" in record.phase_seconds and "head" not in record.phase_seconds
    assert not out.exists() and read_record(out) == record


@pytest.mark.slow
def test_fine_tuning_stops_early_once_validation_stops_improving(keras_home, tiny_dataset, tmp_path):
    # At a learning rate of 0 nothing changes: the second fine-tuning epoch does no better than the first.
    config = TrainConfig.transfer(
        "mobilenet", augment=False, epochs=5, fine_tune_epochs=4, fine_tune_learning_rate=0.0, limit_per_class=12
    )
    config = dataclasses.replace(config, batch_size=8)
    record = train(config, tiny_dataset, tmp_path / "settled.keras")

    assert record.status == "finished"
    assert [entry.phase for entry in record.history] == ["head", "fine-tune", "fine-tune"]  # not 4 of them
    assert record.history[1].val_loss == record.history[2].val_loss
    assert record.stopped_early is True and (tmp_path / "settled.keras").is_file()


@pytest.mark.parametrize("pretrained", [None, "mobilenet"])
def test_three_photos_of_a_class_are_refused_before_decoding(tmp_path, make_dataset, monkeypatch, pretrained):
    assert MIN_TRAIN_PHOTOS_PER_CLASS > 3
    data = make_dataset(tmp_path / "data", train=3, validation=2, test=0)
    monkeypatch.setattr(catdog.train, "decode_photos", _no_training)
    monkeypatch.setattr(catdog.train, "build_model", _no_training)
    config = TrainConfig.transfer(pretrained) if pretrained else TrainConfig(**TINY, epochs=1)

    with pytest.raises(DatasetError) as refused:
        train(config, data, tmp_path / "out" / "never.keras")
    why = refused.value.message()
    assert why == (
        f"the train split of data has 3 cat and 3 dog photos; training needs at least "
        f"{MIN_TRAIN_PHOTOS_PER_CLASS} readable photos of each class"
    )
    assert "至少" in refused.value.message("zh")
    assert read_record(tmp_path / "out" / "never.keras").status == "failed"


@pytest.mark.slow
def test_too_few_readable_photos_of_a_class_are_refused_before_any_feature_is_computed(
    keras_home, tmp_path, make_dataset, not_a_photo, monkeypatch
):
    data = make_dataset(tmp_path / "data", train=5, validation=2, test=0)
    for cat in sorted((data / "train" / "cats").iterdir())[:2]:
        not_a_photo(cat)  # 3 readable cats of 5 files
    monkeypatch.setattr(BackboneFeatures, "compute", _no_training)

    with pytest.raises(DatasetError, match="has 3 cat and 5 dog photos"):
        train(TrainConfig.transfer("mobilenet"), data, tmp_path / "out" / "never.keras")


def test_missing_weights_without_a_network_raise_weights_unavailable_naming_the_file_and_folder(offline_keras_home):
    assert BACKBONES["mobilenet"].weights_file == MOBILENET_WEIGHTS  # the name Keras downloads it under
    with pytest.raises(WeightsUnavailable) as unavailable:
        build_model(TrainConfig.transfer("mobilenet"))
    message = str(unavailable.value)
    assert MOBILENET_WEIGHTS in message
    assert str(offline_keras_home.home / "models") in message
    assert [url.rsplit("/", 1)[-1] for url in offline_keras_home.fetched] == [MOBILENET_WEIGHTS]  # it tried once


def test_a_pretrained_run_without_its_weights_fails_before_decoding_and_records_why(
    offline_keras_home, tiny_dataset, tmp_path, monkeypatch
):
    monkeypatch.setattr(catdog.train, "decode_photos", _no_training)
    out = tmp_path / "offline.keras"
    with pytest.raises(WeightsUnavailable):
        train(TrainConfig.transfer("mobilenet", **TRANSFER), tiny_dataset, out)
    record = read_record(out)
    assert record.status == "failed" and not out.exists()
    why = record.error_message()
    assert why.startswith("Training could not start: the ImageNet weights of MobileNet v1 0.25 could not")
    assert MOBILENET_WEIGHTS in why and why.endswith(".")


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


def test_the_training_stream_is_the_same_for_the_same_seed_and_runs_without_the_autotuner():
    """Its autotuner's thread kept fit from returning for up to 45 s after the last epoch (docs/speed.md)."""
    pixels = np.random.default_rng(0).integers(0, 256, (40, 32, 32, 3), dtype=np.uint8)
    photos = DecodedPhotos(pixels=pixels, labels=np.arange(40, dtype=np.float32) % 2, unreadable=[])
    config = TrainConfig(**TINY, batch_size=8)
    first, again = ([batch.numpy() for batch, _ in training_batches(photos, config).take(6)] for _ in range(2))
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))  # two map calls at once keep order
    assert training_batches(photos, config).options().autotune.enabled is False


def test_the_convnet_pools_its_stem_before_batch_norm_and_ends_at_a_sixteenth_of_the_photo():
    model = build_model(TrainConfig(image_size=80, width=8))
    assert tuple(model.get_layer("stem_bn").input.shape[1:]) == (20, 20, 8)  # a quarter of the pixels to normalise
    assert tuple(model.get_layer("pool").input.shape[1:]) == (5, 5, 64)


def test_batch_norm_statistics_are_measured_afresh_before_each_validation_and_momentum_comes_back():
    model = build_model(TrainConfig(**TINY))
    pixels = np.random.default_rng(0).integers(0, 256, (16, 32, 32, 3), dtype=np.uint8)
    model.stop_training = False  # as fit sets it
    calibrate = catdog.train.CalibrateBatchNorm(pixels)
    calibrate.set_model(model)
    before_the_stem_norm = keras.Model(model.input, model.get_layer("stem_bn").input)
    norm = model.get_layer("stem_bn")
    for _ in range(2):  # traced on the first validation, and the trace keeps doing it
        calibrate.on_test_begin()
        expected = before_the_stem_norm(pixels).numpy().mean(axis=(0, 1, 2))
        assert np.allclose(norm.moving_mean.numpy(), expected, atol=1e-4)
        assert norm.momentum == 0.99
        stem = model.get_layer("stem_conv")
        stem.kernel.assign(stem.kernel * 2)  # new weights: the next validation must measure new statistics


# --- bugs fixed once, kept fixed ---------------------------------------------------------------


@pytest.mark.slow
def test_one_epoch_on_fewer_photos_than_a_batch_still_trains(tmp_path, tiny_dataset):
    config = TrainConfig(**TINY, epochs=1, limit_per_class=4)  # 8 photos, default batch_size 32
    record = train(config, tiny_dataset, tmp_path / "one-step.keras")
    assert record.epochs_run == 1 and record.status == "finished"


def test_a_model_that_is_no_longer_used_is_freed_after_predicting():
    model = build_model(TrainConfig(**TINY))
    predict_dog_probability(model, np.zeros((1, 32, 32, 3), np.uint8))
    alive = weakref.ref(model)
    del model
    gc.collect()
    assert alive() is None


def test_a_record_write_that_fails_leaves_no_scratch_file(tmp_path):
    path = tmp_path / "run.json"
    write_json_atomically({"version": 1}, path)
    with pytest.raises(TypeError):
        write_json_atomically({"version": 2, "not json": object()}, path)
    assert json.loads(path.read_text()) == {"version": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]


def test_train_config_round_trips_through_its_dict():
    config = TrainConfig(**TINY, epochs=3, limit_per_class=7)
    assert TrainConfig(**config.to_dict()) == config
    assert TrainConfig.from_dict(config.to_dict()) == config
    assert set(config.to_dict()) == {field.name for field in dataclasses.fields(TrainConfig)}
    # A key this version no longer knows (from an older or newer record) is ignored.
    assert TrainConfig.from_dict(config.to_dict() | {"stem_filters": 16}) == config


def test_the_transfer_defaults_suit_a_pretrained_backbone_and_take_changes():
    config = TrainConfig.transfer("mobilenet")
    assert config.pretrained == "mobilenet" and config.image_size == 224
    assert 0 < config.fine_tune_epochs < config.epochs < TrainConfig().epochs
    assert TrainConfig.transfer().pretrained == "mobilenet_v2"
    changed = TrainConfig.transfer("mobilenet", epochs=2, augment=False)
    assert (changed.epochs, changed.augment, changed.image_size) == (2, False, 224)


def test_the_one_cycle_schedule_warms_up_to_its_peak_then_decays_to_zero():
    schedule = one_cycle_schedule(1e-3, 100)
    rates = [float(schedule(step)) for step in (0, 10, 55, 100)]
    assert rates[0] == pytest.approx(1e-4)  # a tenth of the peak
    assert rates[1] == pytest.approx(1e-3)  # the peak, after 10% of the steps
    assert rates[1] > rates[2] > rates[3]
    assert rates[3] == pytest.approx(0.0, abs=1e-9)
    assert float(one_cycle_schedule(1e-3, 1)(0)) > 0  # a run of a single step still learns


def test_failures_are_explained_in_one_sentence_for_a_person():
    assert "ran out of memory" in explain_failure(MemoryError()).text()
    assert "ran out of memory" in explain_failure(RuntimeError("OOM when allocating tensor")).text()
    no_dogs = {"split": Message("split.train"), "animals": Message("class.dog")}
    dataset = DatasetError("dataset_error.no_photos", "/srv/data/pets", **no_dogs)  # named, never its path
    assert explain_failure(dataset).text() == "Training could not start: the train split of pets has no dog photos."
    assert explain_failure(dataset).text("zh") == "训练无法开始：pets 的训练集中没有狗的照片。"
    weights = WeightsUnavailable("weights.unavailable", backbone="MobileNet v1 0.25", file="w.h5", folder="/k")
    assert explain_failure(weights).text().startswith("Training could not start: the ImageNet weights of MobileNet")
    assert explain_failure(ValueError("bad")).text() == "Training failed: ValueError: bad"
    graph_error = tf.errors.AbortedError(None, None, "Graph execution error:\n\nDetected at node Conv2D defined at")
    assert explain_failure(graph_error).text() == (  # what failed and what to try; the graph's nodes are for the log
        "TensorFlow could not compute a training step (AbortedError). "
        "Try again with fewer photos per class, a smaller image size or a smaller batch."
    )
