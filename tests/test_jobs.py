"""catdog.jobs: training runs in a child process, as the Train page starts, watches and stops them.

Every run here trains on the session's tiny dataset (12 training photos per class, so three
batches of 8 an epoch) at 32 × 32 pixels with 8 filters, and every test waits for its job to end:
no training process outlives the test that started it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from catdog import jobs
from catdog.config import TrainConfig
from catdog.jobs import JobBusy, TrainingJob, current_job, safe_name, start_job
from catdog.model import input_size, load_model
from catdog.runs import metadata_path, read_metadata

TINY = dict(image_size=32, width=8, limit_per_class=12, batch_size=8, augment=False)
BATCHES_PER_EPOCH = 3  # 24 training photos in batches of 8
WAIT = 120  # seconds: a tiny run takes a few; the machine may be busy


@pytest.fixture(autouse=True)
def no_job_left_running(monkeypatch):
    """Each test starts with no current job, and a job it leaves running is stopped and waited for."""
    monkeypatch.setattr(jobs, "_current", None)
    yield
    job = current_job()
    if job is not None and job.running:
        job.stop()
        job.wait(WAIT)


def wait_until(condition, timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


# --- one run, watched from start to finish ---------------------------------------------------------


@pytest.fixture(scope="module")
def watched_run(tiny_dataset: Path, tmp_path_factory: pytest.TempPathFactory):
    """A 3-epoch run, plus what was seen while it ran.

    seen["polled"]: the statuses this thread saw while polling the job, as the page does;
    seen["batches"]: (status, progress, number of batch points) right after each batch;
    seen["on_disk"]: the run's JSON file as read right after each epoch ended.
    """
    seen: dict = {"polled": [], "batches": [], "on_disk": []}
    on_batch_end, on_epoch_end = TrainingJob.on_batch_end, TrainingJob.on_epoch_end

    def watch_batch(self, epoch, batch, logs):
        on_batch_end(self, epoch, batch, logs)
        seen["batches"].append((self.status, self.progress, len(self.batches)))

    def watch_epoch(self, record):
        on_epoch_end(self, record)
        seen["on_disk"].append(read_metadata(self.out_path))

    models_dir = tmp_path_factory.mktemp("watched_run")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jobs, "_current", None)
        patch.setattr(TrainingJob, "on_batch_end", watch_batch)
        patch.setattr(TrainingJob, "on_epoch_end", watch_epoch)
        job = start_job(TrainConfig(epochs=3, **TINY), tiny_dataset, models_dir, "watched")
        while job.running:
            if not seen["polled"] or seen["polled"][-1] != job.status:
                seen["polled"].append(job.status)
            time.sleep(0.005)
        job.wait(WAIT)
    return job, seen


def test_a_run_reports_its_progress_batch_by_batch_then_finishes(watched_run):
    job, seen = watched_run
    assert job.status == "finished", job.error
    assert job.error is None and not job.running
    assert seen["polled"][0] == "preparing" and "training" in seen["polled"]
    assert job.batches_per_epoch == BATCHES_PER_EPOCH
    # Each batch adds a point and moves the progress bar forward, up to 100%.
    statuses, progress, points = zip(*seen["batches"])
    assert set(statuses) == {"training"}
    assert list(points) == list(range(1, 3 * BATCHES_PER_EPOCH + 1))
    assert list(progress) == sorted(progress) and progress[0] > 0
    assert progress[-1] == pytest.approx(1.0)
    assert job.progress == pytest.approx(1.0)
    assert [point["epoch"] for point in job.batches] == sorted(point["epoch"] for point in job.batches)
    assert all({"accuracy", "loss"} <= set(point) for point in job.batches)
    # One record per epoch, with validation scores.
    assert [record["epoch"] for record in job.epochs] == [1, 2, 3]
    for record in job.epochs:
        assert 0.0 <= record["val_accuracy"] <= 1.0 and record["val_loss"] > 0
    assert job.best_val_accuracy == max(record["val_accuracy"] for record in job.epochs)
    assert job.seconds_left is not None and job.seconds_left == pytest.approx(0.0, abs=1e-6)


def test_the_run_file_is_written_at_each_epoch_end_while_the_run_trains(watched_run):
    job, seen = watched_run
    snapshots = seen["on_disk"]
    assert [len(s["history"]) for s in snapshots] == [1, 2, 3]
    assert [s["epochs_run"] for s in snapshots] == [1, 2, 3]
    assert {s["status"] for s in snapshots} == {"training"}
    assert {s["name"] for s in snapshots} == {"watched"}
    assert snapshots[0]["config"] == job.config.to_dict()
    assert snapshots[-1]["history"] == job.epochs
    assert not job.out_path.with_name(".saving-watched.json").exists()
    assert not [p for p in job.out_path.parent.iterdir() if p.name.startswith(".saving-")]  # no scratch left


def test_the_saved_model_loads_and_its_metadata_matches_the_run(watched_run):
    job, _ = watched_run
    assert job.out_path == job.out_path.parent / "watched.keras" and job.out_path.is_file()
    model = load_model(job.out_path)
    assert input_size(model) == 32
    metadata = read_metadata(job.out_path)
    assert metadata["status"] == "finished" and metadata["epochs_run"] == 3
    assert [r["val_accuracy"] for r in metadata["history"]] == [r["val_accuracy"] for r in job.epochs]
    assert metadata["history"] == json.loads(json.dumps(job.epochs))
    assert metadata == json.loads(json.dumps(job.metadata))  # the file is what train() returned
    assert metadata["validation_accuracy"] == job.best_val_accuracy


# --- stopping, refusing, failing -------------------------------------------------------------------


@pytest.fixture(scope="module")
def refused_then_stopped(tiny_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """A long run, a second start refused while it goes, then a stop once it has trained a batch."""
    models_dir = tmp_path_factory.mktemp("refused_then_stopped")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jobs, "_current", None)
        job = start_job(TrainConfig(epochs=50, **TINY), tiny_dataset, models_dir, "first run")
        refusal = None
        try:
            try:
                start_job(TrainConfig(epochs=1, **TINY), tiny_dataset, models_dir, "second")
            except JobBusy as busy:
                refusal = busy
            current_after_refusal = current_job()
            trained = wait_until(lambda: job.batches or not job.running)
        finally:
            job.stop()
            job.wait(WAIT)
    return SimpleNamespace(
        job=job, refusal=refusal, current=current_after_refusal, trained=trained, models_dir=models_dir
    )


def test_a_second_run_is_refused_while_one_is_going_and_the_refusal_names_it(refused_then_stopped):
    run = refused_then_stopped
    assert isinstance(run.refusal, JobBusy)
    assert "“first-run” is still training" in str(run.refusal)
    assert run.current is run.job  # the running job was left alone
    assert not list(run.models_dir.glob("second*"))


def test_stop_ends_the_run_early_and_still_saves_what_it_learned(refused_then_stopped):
    job = refused_then_stopped.job
    assert refused_then_stopped.trained, "the run never trained"
    assert job.status == "stopped", job.error
    assert not job.running and job.progress < 1.0
    assert job.batches and len(job.epochs) < 50
    assert job.out_path == refused_then_stopped.models_dir / "first-run.keras" and job.out_path.is_file()
    metadata = read_metadata(job.out_path)
    assert metadata["status"] == "stopped" and metadata["stopped_early"] is True
    assert input_size(load_model(job.out_path)) == 32


def break_no_dogs(root: Path, make_dataset, not_a_photo) -> None:
    make_dataset(root, train=4, validation=2, test=0, class_folders=("cats",))


def break_unreadable_dogs(root: Path, make_dataset, not_a_photo) -> None:
    make_dataset(root, train=4, validation=2, test=0)
    for photo in (root / "train" / "dogs").iterdir():
        not_a_photo(photo)


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (break_no_dogs, "has no dog photos"),
        (break_unreadable_dogs, "has too few readable photos of each class"),
    ],
    ids=["no dogs folder", "only unreadable dogs"],
)
def test_a_broken_dataset_fails_with_a_plain_message_and_leaves_other_models_alone(
    tmp_path, make_dataset, not_a_photo, tiny_model, breakage, expected
):
    data, models = tmp_path / "data", tmp_path / "models"
    breakage(data, make_dataset, not_a_photo)
    models.mkdir()
    earlier = models / "earlier.keras"
    shutil.copyfile(tiny_model[0], earlier)
    shutil.copyfile(metadata_path(tiny_model[0]), metadata_path(earlier))
    before = {p.name: p.read_bytes() for p in models.iterdir()}

    job = start_job(TrainConfig(epochs=1, **TINY), data, models, "../../broken run")
    job.wait(WAIT)
    assert job.status == "failed" and not job.running
    assert expected in job.error, job.error
    assert job.error[0].isupper() and job.error.endswith(".")
    for noise in ("Traceback", "DatasetError", 'File "', "\n"):
        assert noise not in job.error
    # The failed run is recorded beside the others (its name made safe) and nothing else changed.
    assert job.out_path == models / "broken-run.keras" and not job.out_path.exists()
    record = read_metadata(job.out_path)
    assert record["status"] == "failed" and record["error"] == job.error and record["history"] == []
    assert {p.name: p.read_bytes() for p in models.iterdir() if p.name != "broken-run.json"} == before


def test_a_training_process_killed_midway_fails_the_run_and_the_server_carries_on(tiny_dataset, tmp_path):
    """What the kernel's out-of-memory killer does to a run too big for the server."""
    job = start_job(TrainConfig(epochs=50, **TINY), tiny_dataset, tmp_path, "killed")
    assert wait_until(lambda: job.batches or not job.running), "the run never trained"
    assert job._process.pid != os.getpid()
    os.kill(job._process.pid, signal.SIGKILL)
    job.wait(WAIT)
    assert job.status == "failed" and not job.running
    assert job.error == "The training process ended unexpectedly (exit code -9): the server probably ran out of memory."
    record = read_metadata(job.out_path)
    assert record["status"] == "failed" and record["error"] == job.error
    assert not job.out_path.exists()
    after = start_job(TrainConfig(epochs=1, **TINY), tiny_dataset, tmp_path, "after")  # the next run is allowed
    after.wait(WAIT)
    assert after.status == "finished", after.error


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_the_model_builds_whole_even_if_the_app_clears_the_keras_session_mid_build(monkeypatch, precision):
    """The Train page redraws every second while a run prepares, and Streamlit ends every script
    run by clearing the Keras session (streamlit/runtime/scriptrunner/script_runner.py,
    _clean_problem_modules), which resets the layer-name counters and the dtype policy of every
    thread. Here that happens, as it can in the app, between layers of build_model: a model that
    took its layer names from those counters failed the run with 'The name "conv2d" is used 2 times'."""
    import keras

    from catdog.model import build_model

    real_pooling = keras.layers.MaxPooling2D

    def pooling_while_a_script_run_ends(*args, **kwargs):
        keras.backend.clear_session()
        return real_pooling(*args, **kwargs)

    monkeypatch.setattr(keras.layers, "MaxPooling2D", pooling_while_a_script_run_ends)
    model = build_model(TrainConfig(**TINY), precision)
    names = [layer.name for layer in model.layers]
    assert len(names) == len(set(names))
    policies = {layer.dtype_policy.name for layer in model.layers[1:-1]}  # between the input and the output
    assert policies == {"mixed_bfloat16" if precision == "bfloat16" else "float32"}
    assert model.layers[-1].dtype_policy.name == "float32"  # probabilities in full precision


# --- names -----------------------------------------------------------------------------------------


def test_safe_name_keeps_letters_digits_dashes_and_underscores(tmp_path):
    name = safe_name("../../etc/passwd", tmp_path)
    assert name == "etc-passwd"
    assert "/" not in name and "." not in name
    assert safe_name("aug-100pc_0312 run #2!", tmp_path) == "aug-100pc_0312-run-2"
    assert safe_name("...///", tmp_path) == "run"  # nothing usable left
    assert safe_name("", tmp_path) == "run"
    assert len(safe_name("x" * 200, tmp_path)) == 48


def test_safe_name_never_reuses_the_name_of_a_model_or_a_run(tmp_path):
    (tmp_path / "mine.keras").write_bytes(b"")
    assert safe_name("mine", tmp_path) == "mine-2"
    (tmp_path / "mine-2.json").write_text("{}")  # a run recorded without a model (failed or interrupted)
    assert safe_name("mine", tmp_path) == "mine-3"
    assert safe_name("other", tmp_path) == "other"
