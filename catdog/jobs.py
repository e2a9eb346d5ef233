"""A training run in a child process of the server; pages poll it and never block on it.

A child process rather than a thread: training takes both cores and gigabytes for minutes, and in
the server's own process it would hold Python's lock against every visitor's page while a crash or
an out-of-memory kill of the run would take the whole server down. In a child, the server stays
standing and the operating system gets all of the run's memory back when it ends.

The child writes the run record (catdog.train.train does); it reports to the server with the
message types below, which a thread of the server applies to the TrainingJob that pages read. A
child that dies without a word (killed, out of memory) cannot write its end: the server writes
that failure into the record instead.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.machinery
import multiprocessing
import os
import queue
import re
import signal
import sys
import threading
import time
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from catdog.config import TrainConfig, log
from catdog.i18n import DEFAULT_LANGUAGE, Message, TranslatedError
from catdog.runs import (
    RUNNING,
    Epoch,
    RunRecord,
    TrainingListener,
    dataset_name,
    metadata_path,
    read_record,
    remove_leftovers,
)

LOCK_NAME = ".training.lock"  # in the models folder, held by the training process while it runs

_lock = threading.Lock()
_current: TrainingJob | None = None  # the one job this server process runs or last ran
_starters: dict[str, str] = {}  # run name: the visitor who started it from this server (its owner)
# A fresh interpreter for each run: forking a process that has TensorFlow's threads running is unsafe.
_SPAWN = multiprocessing.get_context("spawn")


# --- what the training process reports -------------------------------------------------------------


@dataclass
class Preparing:
    stage: str  # "decoding" the photos, or computing a backbone's "features"
    done: int
    total: int


@dataclass
class PhaseBegan:
    phase: str  # one of catdog.runs.PHASE_NAMES
    seconds: dict[str, float]  # the wall seconds of each phase so far


@dataclass
class TrainBegan:
    batches_per_epoch: int


@dataclass
class BatchEnded:
    epoch: int  # counted from 1
    batch: int  # counted from 1 within the epoch
    logs: dict  # accuracy and loss so far in this epoch


@dataclass
class HeatmapPhoto:
    path: str  # the validation photo whose heatmap each epoch's entry holds


@dataclass
class EpochEnded:
    entry: Epoch  # the run record's history entry, with the heatmap of HeatmapPhoto's photo


@dataclass
class Finished:
    record: RunRecord  # as saved, finished or stopped


@dataclass
class Failed:
    message: Message  # one sentence for a person, in the language of whoever reads it


class JobBusy(TranslatedError, RuntimeError):
    """Refusal to start a second job while one runs; the message names the running job."""


class TrainingJob:
    """Process, status, history and stop flag of one run. Never touches any UI.

    status goes "preparing" (decoding photos) → "training" → "finished", "stopped" or "failed".
    """

    def __init__(
        self,
        config: TrainConfig,
        data_dir: str | Path,
        out_path: str | Path,
        owner: str = "",
        title: str = "",
        title_key: str = "",
    ) -> None:
        self.owner = owner  # who started it (a visitor's session): only they may stop it
        self.data_dir = Path(data_dir)
        self.out_path = Path(out_path)
        data = dataset_name(self.data_dir)
        self.record = RunRecord(
            self.out_path.stem, config, title=title, title_key=title_key, command="Train page", data=data
        )
        self.preparing: Preparing | None = None  # what the run does before its first batch
        self.phase = ""  # the phase running now (catdog.runs.PHASE_NAMES); record.phase_seconds has those done
        self.batch_points: list[Epoch] = []  # accuracy and loss at a fractional epoch (2.25), as batches end
        self.current_epoch = 0  # epochs started so far
        self.current_batch = 0  # batches finished in the current epoch
        self.batches_per_epoch = 0
        self.requested = time.time()  # Start: the run's time counts from here, in the training process too
        self.finished: float | None = None  # time.time() when this server saw the run end
        self._first_batch: tuple[float, float] | None = None  # (monotonic time, progress) when it ended
        self._estimate: tuple[float, float] | None = None  # (monotonic time, seconds left) at the last batch
        self._stop = _SPAWN.Event()  # shared with the child process
        self._process = None  # the child process, once started
        self._thread = threading.Thread(target=self._run, name=f"train-{self.name}", daemon=True)

    @property
    def name(self) -> str:
        return self.record.name

    def title(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The run's name for a person reading in `lang` (RunRecord.display_name)."""
        return self.record.display_name(lang)

    @property
    def config(self) -> TrainConfig:
        return self.record.config

    @property
    def status(self) -> str:
        return self.record.status

    @property
    def error(self) -> str | None:
        """Why the run failed, in English (for logs and tests); a page reads record.error_message in its language."""
        return self.record.error_message()

    @property
    def running(self) -> bool:
        return self.status in RUNNING

    @property
    def stopping(self) -> bool:
        """Asked to stop, and not yet ended."""
        return self.running and self._stop.is_set()

    @property
    def seconds(self) -> float:
        """Since Start; once ended, the training process's own count, which the runs table shows too."""
        if self.record.seconds:
            return self.record.seconds
        return (self.finished or time.time()) - self.requested

    @property
    def progress(self) -> float:
        """Fraction of all batches done, from 0 to 1."""
        if not self.batches_per_epoch:
            return 0.0
        done = max(0, self.current_epoch - 1) * self.batches_per_epoch + self.current_batch
        return min(1.0, done / (self.config.epochs * self.batches_per_epoch))

    @property
    def seconds_left(self) -> float | None:
        """Counts down from the estimate made at the last batch; None before the second epoch or while stopping.

        The estimate takes the time per batch since the first (which also traced the model) with the
        validation passes in between, so it need not grow during the next one: it never grows
        while nothing happens.
        """
        if self._estimate is None or self.stopping:
            return None
        at, left = self._estimate
        return max(0.0, left - (time.monotonic() - at))

    def stop(self) -> None:
        """Ask the run to end after the current batch; what it learned in its whole epochs is still saved."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def apply(self, message) -> None:
        """Bring this job up to date with one report from the training process."""
        if isinstance(message, Preparing):
            self.preparing = message
        elif isinstance(message, PhaseBegan):
            self.phase, self.record.phase_seconds = message.phase, message.seconds
        elif isinstance(message, HeatmapPhoto):
            self.record.heatmap_photo = message.path
        elif isinstance(message, TrainBegan):
            self.batches_per_epoch = message.batches_per_epoch
            self.record.status = "training"
        elif isinstance(message, BatchEnded):
            self._batch_ended(message)
        elif isinstance(message, EpochEnded):
            self.record.add_epoch(message.entry)
        elif isinstance(message, Finished):
            self.record = message.record
        elif isinstance(message, Failed):
            self.record.fail(message.message)
        else:
            raise TypeError(f"unknown report from the training process: {message!r}")

    def _batch_ended(self, message: BatchEnded) -> None:
        self.current_epoch, self.current_batch = message.epoch, message.batch
        now = time.monotonic()
        if self._first_batch is None:
            self._first_batch = (now, self.progress)
        elif message.epoch > 1:  # a validation pass lies between the first batch and this one
            at, progress = self._first_batch
            self._estimate = (now, (now - at) * (1 - self.progress) / (self.progress - progress))
        at = round(message.epoch - 1 + message.batch / max(1, self.batches_per_epoch), 3)
        scores = {name: round(value, 4) for name, value in message.logs.items() if name in ("accuracy", "loss")}
        self.batch_points.append(Epoch(at, **scores))

    def _record_vanished(self, exit_code: int | None) -> None:
        """The training process ended without a word (killed, out of memory): write its failure into NAME.json,
        which it left saying "training", so that the runs table and this job say the same."""
        record = read_record(self.out_path)
        if record is not None and record.status not in RUNNING:  # it ended, then died before it could report
            self.record = record
            return
        record = record or self.record  # none on disk: it died before it wrote one
        record.fail(_vanished(exit_code))
        record.pid, record.seconds = None, round(time.time() - self.requested, 1)
        record.save(metadata_path(self.out_path))
        self.record = record

    def _run(self) -> None:
        """Start the child process and apply its reports here until it ends."""
        reports = _SPAWN.Queue()
        run = (self.record.command, self.record.title, self.record.title_key, self.requested)
        process = self._process = _SPAWN.Process(
            target=_train_and_report,
            args=(self.config, self.data_dir, self.out_path, reports, self._stop, *run),
            name=f"train-{self.name}",
            daemon=True,  # ends with the server
        )
        try:
            with _main_script_left_out():
                process.start()
            while self.running:
                try:
                    self.apply(reports.get(timeout=1))
                except queue.Empty:
                    if not process.is_alive():
                        self._record_vanished(process.exitcode)
        except Exception as error:  # noqa: BLE001 -- the job ends with a message; the server carries on
            self.apply(Failed(Message("run_failed.crash", {"error": f"{type(error).__name__}: {error}"})))
        finally:
            self.finished = time.time()
            if process.is_alive():  # only when this thread failed: the child would train on unwatched
                self._stop.set()
                process.join(timeout=30)
                process.kill()
            process.join()


class _Reporter(TrainingListener):
    """The listener inside the child process: turns each call into a message for the server."""

    def __init__(self, reports) -> None:
        self.reports = reports

    def on_prepare(self, stage: str, done: int, total: int) -> None:
        self.reports.put(Preparing(stage, done, total))

    def on_phase(self, phase: str, seconds: dict[str, float]) -> None:
        self.reports.put(PhaseBegan(phase, seconds))

    def on_heatmap_photo(self, path: str) -> None:
        self.reports.put(HeatmapPhoto(path))

    def on_train_begin(self, batches_per_epoch: int) -> None:
        self.reports.put(TrainBegan(batches_per_epoch))

    def on_batch_end(self, epoch: int, batch: int, logs: dict) -> None:
        self.reports.put(BatchEnded(epoch, batch, logs))

    def on_epoch_end(self, entry: Epoch) -> None:
        self.reports.put(EpochEnded(entry))


@contextlib.contextmanager
def _main_script_left_out() -> Iterator[None]:
    """Start a process without running the server's main script in it first.

    A spawned process runs the parent's __main__ again, from its file when it has no module name:
    under Streamlit that is the app's script (app.py), which would draw the whole app in the
    training process, logging "missing ScriptRunContext!" for each call, before training. A
    stand-in named "__main__" is one that multiprocessing runs nothing for.
    """
    main = sys.modules.get("__main__")
    if main is None or getattr(main, "__spec__", None) is not None:  # python -m ...: run by name, harmlessly
        yield
        return
    stand_in = types.ModuleType("__main__")
    stand_in.__spec__ = importlib.machinery.ModuleSpec("__main__", None)
    sys.modules["__main__"] = stand_in
    try:
        yield
    finally:
        if sys.modules.get("__main__") is stand_in:  # unless a Streamlit run installed its own meanwhile
            sys.modules["__main__"] = main


def _train_and_report(
    config: TrainConfig,
    data_dir: Path,
    out_path: Path,
    reports,
    stop,
    command: str,
    title: str,
    title_key: str,
    requested: float,
) -> None:
    """The child process: train, then report the record or one plain sentence about the failure."""
    from catdog.train import explain_failure, train

    _end_with_parent()
    lock = _hold_lock(out_path.parent)
    if lock is None:
        log.error("training process %s holds the lock of %s", _holder(out_path.parent), out_path.parent)
        reports.put(Failed(Message("run_failed.busy")))
        return
    try:
        named = dict(command=command, title=title, title_key=title_key, requested=requested)
        record = train(config, data_dir, out_path, _Reporter(reports), stop, **named)
        reports.put(Finished(record))
    except TranslatedError as error:  # one a person can cause (no dataset, no ImageNet weights offline): no traceback
        log.warning("training %s failed: %s", out_path.name, error)
        reports.put(Failed(explain_failure(error)))
    except Exception as error:  # noqa: BLE001 -- the job ends with a message; the server and other models carry on
        log.error("training %s failed", out_path.name, exc_info=error)  # the detail, for the server log
        reports.put(Failed(explain_failure(error)))
    finally:
        os.close(lock)


def _end_with_parent() -> None:
    """End this process when the server that started it ends (even by kill -9), rather than train on unwatched."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:  # an orphan is adopted by another process
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def _hold_lock(models_dir: Path) -> int | None:
    """An exclusive lock on models_dir's lock file, held until the descriptor closes or the process dies."""
    models_dir.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(models_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        return None
    os.ftruncate(descriptor, 0)
    os.write(descriptor, str(os.getpid()).encode())
    return descriptor


def _holder(models_dir: Path) -> str | None:
    """The process id ('1234') of the training process that holds models_dir's lock, else None."""
    lock = models_dir / LOCK_NAME
    if not lock.is_file():
        return None
    with open(lock, "rb") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return file.read().decode(errors="replace").strip() or "?"
    return None


def _vanished(exit_code: int | None) -> Message:
    """What is known about a training process that ended without a word."""
    if exit_code is not None and exit_code < 0:
        killed = "run_failed.killed_oom" if exit_code == -signal.SIGKILL else "run_failed.killed"
        return Message(killed, {"signal": signal.Signals(-exit_code).name})
    return Message("run_failed.ended", {"code": exit_code})


def start_job(
    config: TrainConfig,
    data_dir: str | Path,
    models_dir: str | Path,
    name: str,
    owner: str = "",
    title: str = "",
    title_key: str = "",
) -> TrainingJob:
    """Start a run saved as models_dir/NAME.keras (NAME made safe) and shown as `title` (what its starter typed),
    else as `title_key` says (RunRecord.title_key); raises JobBusy while another run is going.

    Another run is this server's, or any process's that holds the models folder's lock (a run
    started by a server that was restarted since, say).
    """
    global _current
    with _lock:
        if _current is not None and _current.running:
            raise JobBusy("busy.training", title=_current.record.title_said(), progress=f"{_current.progress:.0%}")
        holder = _holder(Path(models_dir))
        if holder:  # its process id is for the operator: visitors read that another run is going
            log.warning("training process %s holds the lock of %s", holder, models_dir)
            raise JobBusy("busy.other_process")
        remove_leftovers(models_dir)  # no run is going: what a killed save left behind is garbage
        out_path = Path(models_dir) / f"{safe_name(name, models_dir)}.keras"
        _current = TrainingJob(config, data_dir, out_path, owner, title, title_key)
        _starters[_current.name] = owner
        _current._thread.start()
        return _current


def current_job() -> TrainingJob | None:
    return _current


def starter(name: str) -> str:
    """Who started the run `name` from this server (TrainingJob.owner); "" when nobody known did: a run of the
    command line, or of this server before it restarted."""
    return _starters.get(name, "")


def forget_job(job: TrainingJob) -> None:
    """Have no current job, when `job` is it and has ended (its run was deleted): no page shows it any more."""
    global _current
    with _lock:
        if _current is job and not job.running:
            _current = None


def safe_name(name: str, models_dir: str | Path) -> str:
    """A file name made of letters, digits, '-' and '_' that no existing run or model uses."""
    base = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")[:48] or "run"
    candidate, n = base, 2
    while (Path(models_dir) / f"{candidate}.keras").exists() or (Path(models_dir) / f"{candidate}.json").exists():
        candidate, n = f"{base}-{n}", n + 1
    return candidate
