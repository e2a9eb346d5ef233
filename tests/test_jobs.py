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
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from catdog import jobs
from catdog.config import TrainConfig
from catdog.data import find_dataset
from catdog.i18n import Message, translate
from catdog.jobs import (
    BatchEnded,
    EpochEnded,
    Failed,
    Finished,
    HeatmapPhoto,
    JobBusy,
    PhaseBegan,
    Preparing,
    TrainBegan,
    TrainingJob,
    current_job,
    forget_job,
    safe_name,
    start_job,
)
from catdog.lite import lite_path
from catdog.model import input_size, load_model
from catdog.runs import Epoch, RunRecord, metadata_path, prune_runs, read_record

REPO = Path(__file__).resolve().parents[1]

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
    seen["batches"]: (status, progress, number of batch points) right after each batch was applied;
    seen["on_disk"]: the run record on disk as read right after each epoch's report was applied.
    """
    seen: dict = {"polled": [], "batches": [], "on_disk": []}
    apply = TrainingJob.apply

    def watch(self, message):
        apply(self, message)
        if isinstance(message, BatchEnded):
            seen["batches"].append((self.status, self.progress, len(self.batch_points)))
        elif isinstance(message, EpochEnded):
            seen["on_disk"].append(read_record(self.out_path))

    models_dir = tmp_path_factory.mktemp("watched_run")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jobs, "_current", None)
        patch.setattr(TrainingJob, "apply", watch)
        job = start_job(TrainConfig(epochs=3, **TINY), tiny_dataset, models_dir, "watched")
        while job.running:
            if not seen["polled"] or seen["polled"][-1] != job.status:
                seen["polled"].append(job.status)
            time.sleep(0.005)
        job.wait(WAIT)
    return job, seen


@pytest.mark.slow
def test_a_run_reports_its_progress_batch_by_batch_then_finishes(watched_run):
    job, seen = watched_run
    assert job.status == "finished", job.error
    assert job.error is None and not job.running
    assert seen["polled"][0] == "preparing" and "training" in seen["polled"]
    assert job.batches_per_epoch == BATCHES_PER_EPOCH
    assert job.preparing == Preparing("decoding", 36, 36)  # the 24 training and 12 validation photos, decoded first
    # Each batch adds a point and moves the progress bar forward, up to 100%.
    statuses, progress, points = zip(*seen["batches"])
    assert set(statuses) == {"training"}
    assert list(points) == list(range(1, 3 * BATCHES_PER_EPOCH + 1))
    assert list(progress) == sorted(progress) and progress[0] > 0
    assert progress[-1] == pytest.approx(1.0)
    assert job.progress == pytest.approx(1.0)
    assert (job.current_epoch, job.current_batch) == (3, BATCHES_PER_EPOCH)
    assert [point.epoch for point in job.batch_points] == sorted(point.epoch for point in job.batch_points)
    assert all(point.accuracy is not None and point.loss is not None for point in job.batch_points)
    # One history entry per epoch, with validation scores.
    history = job.record.history
    assert [entry.epoch for entry in history] == [1, 2, 3]
    for entry in history:
        assert 0.0 <= entry.val_accuracy <= 1.0 and entry.val_loss > 0
    assert job.record.validation_accuracy == max(entry.val_accuracy for entry in history)
    assert job.seconds_left is not None and job.seconds_left == pytest.approx(0.0, abs=1e-6)
    # One number for the run's time, from Start to its end: the page's, the record's and so the runs table's.
    assert job.seconds == job.record.seconds == read_record(job.out_path).seconds > 0


@pytest.mark.slow
def test_the_job_learns_the_watched_photo_and_where_the_model_looked_in_it_after_each_epoch(watched_run, tiny_dataset):
    job, seen = watched_run
    first_dog = next(path for path, label in find_dataset(tiny_dataset).splits["validation"] if label == 1)
    assert job.record.heatmap_photo == str(first_dog.resolve())
    assert {s.heatmap_photo for s in seen["on_disk"]} == {job.record.heatmap_photo}  # known while it trains
    for entry in job.record.history:
        grid = np.array(entry.heatmap)
        assert grid.shape == (2, 2)  # the feature map of 32-pixel photos
        assert np.isfinite(grid).all() and grid.min() >= 0 and grid.max() == 1  # scaled to a maximum of 1
    # Each epoch's heatmap reached the server as that epoch ended, as the record on disk had it.
    assert [s.history[-1].heatmap for s in seen["on_disk"]] == [e.heatmap for e in job.record.history]


@pytest.mark.slow
def test_the_run_file_is_written_at_each_epoch_end_while_the_run_trains(watched_run):
    job, seen = watched_run
    snapshots = seen["on_disk"]
    assert [len(s.history) for s in snapshots] == [1, 2, 3]
    assert [s.epochs_run for s in snapshots] == [1, 2, 3]
    assert {s.status for s in snapshots} == {"training"}
    assert {s.name for s in snapshots} == {"watched"}
    assert {s.command for s in snapshots} == {"Train page"}
    assert snapshots[0].config == job.config
    assert snapshots[-1].history == job.record.history
    # The training process writes the record; the server (this process) only reads it.
    assert {s.pid for s in snapshots} == {job._process.pid}
    assert not [p for p in job.out_path.parent.iterdir() if p.name.startswith(".saving-")]  # no scratch left


@pytest.mark.slow
def test_the_saved_model_loads_and_its_record_matches_the_run(watched_run):
    job, _ = watched_run
    assert job.out_path == job.out_path.parent / "watched.keras" and job.out_path.is_file()
    model = load_model(job.out_path)
    assert input_size(model) == 32
    record = read_record(job.out_path)
    assert record.status == "finished" and record.state == "finished" and record.epochs_run == 3
    assert record.pid is None  # the run ended
    assert [r.val_accuracy for r in record.history] == [r.val_accuracy for r in job.record.history]
    assert record.history == job.record.history
    assert record.to_dict() == json.loads(json.dumps(job.record.to_dict()))  # the file is what train() returned
    assert record.validation_accuracy == job.record.validation_accuracy


# --- stopping, refusing, failing -------------------------------------------------------------------


@pytest.fixture(scope="module")
def refused_then_stopped(tiny_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """A long run, a second start refused while it goes, then a stop once it has trained an epoch and a batch.

    .stop_seconds: from the stop to the server's job reporting the run ended (the page's "stopped").
    """
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
            trained = wait_until(lambda: job.record.history and job.current_epoch > 1 or not job.running)
        finally:
            job.stop()
            stopped = time.monotonic()
            wait_until(lambda: not job.running)
            stop_seconds = time.monotonic() - stopped
            job.wait(WAIT)
    return SimpleNamespace(
        job=job,
        refusal=refusal,
        current=current_after_refusal,
        trained=trained,
        models_dir=models_dir,
        stop_seconds=stop_seconds,
    )


@pytest.mark.slow
def test_a_second_run_is_refused_while_one_is_going_and_the_refusal_names_it(refused_then_stopped):
    run = refused_then_stopped
    assert isinstance(run.refusal, JobBusy)
    assert "“first-run” is still training" in str(run.refusal)
    assert run.current is run.job  # the running job was left alone
    assert not list(run.models_dir.glob("second*"))


@pytest.mark.slow
def test_stop_ends_the_run_early_and_still_saves_what_it_learned(refused_then_stopped):
    job = refused_then_stopped.job
    assert refused_then_stopped.trained, "the run never trained"
    assert job.status == "stopped", job.error
    assert not job.running and job.progress < 1.0
    assert job.batch_points and job.record.epochs_run < 50
    assert job.out_path == refused_then_stopped.models_dir / "first-run.keras" and job.out_path.is_file()
    record = read_record(job.out_path)
    assert record.status == "stopped" and record.stopped_early is True
    assert job.record == record  # the job holds the record the training process ended with
    assert input_size(load_model(job.out_path)) == 32
    assert not lite_path(job.out_path).exists()  # its LiteRT layers are skipped, to end at once
    # Within about a second of its current batch: the epoch's validation is cut short and the test split
    # skipped (here a batch takes milliseconds; the margin is for a busy machine).
    assert refused_then_stopped.stop_seconds < 2.0, refused_then_stopped.stop_seconds
    assert record.test_accuracy is None
    assert [entry.epoch for entry in record.history] == list(range(1, record.epochs_run + 1))  # whole epochs only


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
@pytest.mark.slow
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
    record = read_record(job.out_path)
    assert record.status == "failed" and record.error_message() == job.error and record.history == []
    assert record.state == "failed" and record.pid is None
    after = {p.name: p.read_bytes() for p in models.iterdir() if p.name not in ("broken-run.json", jobs.LOCK_NAME)}
    assert after == before


@pytest.mark.slow
def test_a_training_process_killed_midway_fails_the_run_and_the_server_carries_on(tiny_dataset, tmp_path):
    """What the kernel's out-of-memory killer does to a run too big for the server."""
    job = start_job(TrainConfig(epochs=50, **TINY), tiny_dataset, tmp_path, "killed")
    assert wait_until(lambda: job.batch_points or not job.running), "the run never trained"
    killed = job._process.pid
    os.kill(killed, signal.SIGKILL)
    job.wait(WAIT)
    assert job.status == "failed" and not job.running
    assert job.error == "The training process was killed by SIGKILL (the system's out-of-memory killer sends this)."
    # The server wrote the end the training process could not: the runs table says what this page says.
    record = read_record(job.out_path)
    assert record.status == "failed" and record.state == "failed" and record.pid is None
    assert record.error_message() == job.error and record.error_message("zh") == job.record.error_message("zh")
    assert record == job.record and record.train_photos == 24  # the record the process had written, now ended
    assert not job.out_path.exists()
    after = start_job(TrainConfig(epochs=1, **TINY), tiny_dataset, tmp_path, "after")  # the next run is allowed
    after.wait(WAIT)
    assert after.status == "finished", after.error


def gone(pid: int) -> bool:
    """The process has ended (a zombie left unreaped counts as ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.mark.slow
def test_a_training_process_ends_with_the_server_that_started_it(tiny_dataset, tmp_path):
    """kill -9 on the server: its run must not train on unwatched, write a model later, or hold the folder."""
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            f"sys.path.insert(0, {str(REPO)!r})\n"
            "from catdog.config import TrainConfig\n"
            "from catdog.jobs import start_job\n"
            f"start_job(TrainConfig(epochs=500, **{TINY!r}), {str(tiny_dataset)!r}, {str(tmp_path)!r}, 'orphan')\n"
            "time.sleep(300)\n",
        ]
    )
    try:
        record_path = tmp_path / "orphan.json"
        assert wait_until(lambda: (r := read_record(record_path)) is not None and r.status == "training")
        child = read_record(record_path).pid
        assert child not in (None, server.pid) and not gone(child)
    finally:
        server.kill()
        server.wait()
    assert wait_until(lambda: gone(child), timeout=15), "the training process outlived its server"
    # Its threads may still be ending a moment after it shows as a zombie; then the lock is free.
    assert wait_until(lambda: jobs._holder(tmp_path) is None, timeout=30), "its lock outlived it"
    assert read_record(record_path).state == "interrupted"
    assert not (tmp_path / "orphan.keras").exists()
    after = start_job(TrainConfig(epochs=1, **TINY), tiny_dataset, tmp_path, "after")  # the folder is free again
    after.wait(WAIT)
    assert after.status == "finished", after.error


@pytest.mark.slow
def test_a_run_of_another_process_in_the_same_models_folder_refuses_a_start_until_it_ends(tiny_dataset, tmp_path):
    """A server restarted while its old run still trains (or a second server on the same folder) waits for it."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import sys, time; sys.path.insert(0, {str(REPO)!r}); from pathlib import Path\n"
            "from catdog.jobs import _hold_lock\n"
            f"assert _hold_lock(Path({str(tmp_path)!r})) is not None\n"
            "print('holding', flush=True); time.sleep(120)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(JobBusy, match="another training process is still running") as busy:
            start_job(TrainConfig(epochs=1, **TINY), tiny_dataset, tmp_path, "second")
        assert str(holder.pid) not in busy.value.message()  # a process id is for the operator's log
        assert current_job() is None and not list(tmp_path.glob("second*"))
    finally:
        holder.kill()
        holder.wait()
    job = start_job(TrainConfig(epochs=1, **TINY), tiny_dataset, tmp_path, "second")  # the lock died with it
    job.wait(WAIT)
    assert job.status == "finished", job.error


@pytest.mark.slow
def test_what_a_killed_save_left_behind_is_removed_before_the_next_run(tiny_dataset, tmp_path):
    half_saved = tmp_path / ".saving-k2j4"
    half_saved.mkdir()
    (half_saved / "big-run.keras").write_bytes(b"")  # 0 bytes: the save was killed
    (tmp_path / ".saving-x81.json").write_text('{"name": ')
    keep = tmp_path / "finished.keras"
    keep.write_bytes(b"a model")
    job = start_job(TrainConfig(epochs=1, **TINY), tiny_dataset, tmp_path, "next")
    assert not half_saved.exists() and not (tmp_path / ".saving-x81.json").exists()
    assert keep.read_bytes() == b"a model"
    job.wait(WAIT)
    assert job.status == "finished", job.error


def test_a_public_server_keeps_only_its_newest_runs_and_never_a_bundled_model(tmp_path, monkeypatch):
    bundled = tmp_path / "bundled.keras"
    monkeypatch.setattr("catdog.runs.BUNDLED_MODELS", (bundled,))
    for day, name in enumerate(["bundled", "oldest", "old", "new", "newest"], start=1):
        (tmp_path / f"{name}.keras").write_bytes(b"model")
        record = RunRecord(name, TrainConfig(), created=f"2026-11-0{day}T10:00:00+00:00", status="finished")
        record.save(metadata_path(tmp_path / f"{name}.keras"))
    going = RunRecord("going", TrainConfig(), created="2026-10-01T10:00:00+00:00", status="training", pid=os.getpid())
    going.save(metadata_path(tmp_path / "going.keras"))

    assert sorted(prune_runs(tmp_path, keep=2)) == ["old", "oldest"]
    left = sorted(p.name for p in tmp_path.iterdir())
    kept = [f"{name}.{suffix}" for name in ("bundled", "new", "newest") for suffix in ("keras", "json")]
    assert left == sorted([*kept, "going.json"])  # the run still going is not counted, nor deleted


# --- reports from the training process -------------------------------------------------------------


def fresh_job(tmp_path: Path, epochs: int = 2) -> TrainingJob:
    """A job as start_job makes it, with no process started: each test applies reports by hand."""
    return TrainingJob(TrainConfig(epochs=epochs, **TINY), tmp_path / "data", tmp_path / "models" / "by-hand.keras")


def test_a_phase_report_says_which_phase_runs_and_how_long_the_earlier_ones_took(tmp_path):
    job = fresh_job(tmp_path)
    assert job.phase == "" and job.record.phase_seconds == {}
    job.apply(PhaseBegan("decoding", {}))
    job.apply(PhaseBegan("features", {"decoding": 4.2}))
    assert job.phase == "features" and job.record.phase_seconds == {"decoding": 4.2}


def test_each_report_from_the_training_process_updates_the_job(tmp_path):
    job = fresh_job(tmp_path)
    assert job.status == "preparing" and job.running and job.preparing is None
    assert job.record.command == "Train page" and job.name == "by-hand"

    job.apply(Preparing("decoding", 50, 100))
    assert job.preparing == Preparing("decoding", 50, 100) and job.status == "preparing"

    job.apply(HeatmapPhoto("/data/validation/dogs/dog.1.jpg"))
    assert job.record.heatmap_photo == "/data/validation/dogs/dog.1.jpg"

    job.apply(TrainBegan(batches_per_epoch=3))
    assert job.status == "training" and job.batches_per_epoch == 3 and job.progress == 0.0

    job.apply(BatchEnded(1, 1, {"accuracy": 0.5, "loss": 0.69, "learning_rate": 0.001}))
    assert (job.current_epoch, job.current_batch) == (1, 1)
    assert job.batch_points == [Epoch(0.333, accuracy=0.5, loss=0.69)]  # no learning rate on the chart
    assert job.progress == pytest.approx(1 / 6)  # one batch of 2 epochs × 3

    first = Epoch(1, accuracy=0.55, loss=0.68, val_accuracy=0.6, val_loss=0.67)
    job.apply(EpochEnded(replace(first, heatmap=[[0.0, 1.0], [0.5, 0.25]])))
    job.apply(EpochEnded(replace(first, epoch=2, val_accuracy=0.58, heatmap=[[1.0, 0.0], [0.5, 0.25]])))
    assert [entry.epoch for entry in job.record.history] == [1, 2]
    assert job.record.history[-1].heatmap == [[1.0, 0.0], [0.5, 0.25]]  # what the page draws
    assert job.record.validation_accuracy == 0.6 and job.record.best_epoch == 1  # the best epoch, not the last
    assert job.running

    ended = RunRecord("by-hand", job.config, status="finished", history=job.record.history, test_accuracy=0.75)
    job.apply(Finished(ended))
    assert job.record is ended
    assert job.status == "finished" and not job.running and job.error is None


def test_a_failure_report_ends_the_job_with_its_message(tmp_path):
    job = fresh_job(tmp_path)
    job.apply(TrainBegan(batches_per_epoch=3))
    job.apply(Failed(Message("run_failed.out_of_memory")))
    assert job.status == "failed" and not job.running
    assert job.error == translate("run_failed.out_of_memory")  # English, as the CLI and logs read it
    assert job.record.error_message("zh") == translate("run_failed.out_of_memory", "zh")  # a visitor's language


def test_a_training_process_that_vanished_is_written_down_as_failed_with_what_it_had_learned(tmp_path):
    job = fresh_job(tmp_path, epochs=3)
    on_disk = RunRecord("by-hand", job.config, status="training", pid=os.getpid(), train_photos=24)
    on_disk.add_epoch(Epoch(1, accuracy=0.55, loss=0.68, val_accuracy=0.6, val_loss=0.67))
    on_disk.save(metadata_path(job.out_path))  # as the training process left it after its first epoch
    job.apply(TrainBegan(batches_per_epoch=3))
    job.requested -= 30  # Start was pressed half a minute ago
    job._record_vanished(-signal.SIGKILL)
    record = read_record(job.out_path)
    assert record.status == "failed" and record.pid is None and record.seconds >= 30
    assert record.error_message() == job.error == translate("run_failed.killed_oom", signal="SIGKILL")
    assert record.history == on_disk.history and record.train_photos == 24  # what it had written is kept
    assert job.record == record


def test_a_training_process_that_vanished_before_writing_a_record_leaves_one_that_says_so(tmp_path):
    job = fresh_job(tmp_path)
    job._record_vanished(1)
    record = read_record(job.out_path)
    assert record.status == "failed" and record.name == "by-hand" and record.command == "Train page"
    assert record.error_message() == job.error == "The training process ended unexpectedly (exit code 1)."


def test_a_training_process_that_ended_its_record_then_vanished_keeps_that_end(tmp_path):
    job = fresh_job(tmp_path)
    RunRecord("by-hand", job.config, status="finished", test_accuracy=0.75).save(metadata_path(job.out_path))
    job._record_vanished(0)
    assert job.status == "finished" and job.error is None and job.record.test_accuracy == 0.75
    assert read_record(job.out_path).status == "finished"


@pytest.mark.parametrize("message", ["on_epoch_end", {"epoch": 1}, None], ids=["method-name", "dict", "none"])
def test_a_report_of_an_unknown_kind_is_refused(tmp_path, message):
    job = fresh_job(tmp_path)
    with pytest.raises(TypeError, match="unknown report"):
        job.apply(message)
    assert job.status == "preparing" and job.record.history == [] and job.batch_points == []


def test_a_deleted_runs_job_is_forgotten_once_it_has_ended(tmp_path, monkeypatch):
    job = fresh_job(tmp_path)
    monkeypatch.setattr(jobs, "_current", job)
    forget_job(job)
    assert current_job() is job  # still going: the pages follow it
    job.apply(Failed(Message("run_failed.out_of_memory")))
    forget_job(fresh_job(tmp_path))
    assert current_job() is job  # another job: nothing changes
    forget_job(job)
    assert current_job() is None


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


def test_a_run_without_imagenet_weights_offline_logs_one_line_for_the_server_not_a_traceback(
    offline_keras_home, tiny_dataset, tmp_path, monkeypatch, caplog
):
    """What the training process does when a Train page starts a pretrained run on a machine without network."""
    import logging
    import queue
    import threading

    from conftest import MOBILENET_WEIGHTS

    monkeypatch.setattr(jobs, "_end_with_parent", lambda: None)  # run here, in the test's process: no server to watch
    reports, out = queue.Queue(), tmp_path / "models" / "offline.keras"
    config = TrainConfig.transfer("mobilenet", epochs=2, fine_tune_epochs=1)
    run = dict(command="Train page", title="offline", title_key="", requested=time.time())
    with caplog.at_level(logging.WARNING, logger="catdog"):
        jobs._train_and_report(config, tiny_dataset, out, reports, threading.Event(), **run)
    said = [reports.get_nowait() for _ in range(reports.qsize())]
    assert isinstance(said[-1], Failed) and said[-1].message.key == "run_failed.could_not_start"
    (logged,) = [record for record in caplog.records if record.name == "catdog"]
    assert logged.exc_info is None and "Traceback" not in caplog.text  # the reason is expected: no stack for it
    assert logged.getMessage().startswith("training offline.keras failed: ")
    assert MOBILENET_WEIGHTS in logged.getMessage()  # what to fetch, as the page says
