"""A training run in a child process of the server; pages poll it and never block on it.

A child process rather than a thread: Streamlit clears the Keras session after every script
run (streamlit/runtime/scriptrunner/script_runner.py, _clean_problem_modules), which empties
TensorFlow's kernel cache in the whole process, and the Train page reruns every 2 s. A crash or
an out-of-memory kill of the run also leaves the server standing.
"""

from __future__ import annotations

import multiprocessing
import queue
import re
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from catdog.config import TrainConfig
from catdog.runs import metadata_path, write_json_atomically

_lock = threading.Lock()
_current: TrainingJob | None = None  # the one job this server process runs or last ran
# A fresh interpreter for each run: forking a process that has TensorFlow's threads running is unsafe.
_SPAWN = multiprocessing.get_context("spawn")


class JobBusy(RuntimeError):
    """Refusal to start a second job while one runs; the message names the running job."""


class TrainingJob:
    """Process, status, history and stop flag of one run. Never touches any UI.

    A thread of the server relays what the child process reports to this object's on_* methods.

    status goes "preparing" (decoding photos) → "training" → "finished", "stopped" or "failed".
    """

    def __init__(self, config: TrainConfig, data_dir: str | Path, out_path: str | Path) -> None:
        self.config = config
        self.data_dir = Path(data_dir)
        self.out_path = Path(out_path)
        self.name = self.out_path.stem
        self.status = "preparing"
        self.error: str | None = None
        self.epochs: list[dict] = []  # one record per finished epoch, with validation scores
        self.batches: list[dict] = []  # {"epoch": 2.25, "accuracy": .., "loss": ..} as batches end
        self.epoch = 0  # epochs started so far
        self.batch = 0  # batches finished in the current epoch
        self.batches_per_epoch = 0
        self.created = datetime.now(UTC).isoformat(timespec="seconds")
        self.started = time.monotonic()
        self._first_batch: tuple[float, float] | None = None  # (time, progress) when it ended
        self.finished: float | None = None
        self.metadata: dict = {}
        self._stop = _SPAWN.Event()  # shared with the child process
        self._process = None  # the child process, once started
        self._thread = threading.Thread(target=self._run, name=f"train-{self.name}", daemon=True)

    @property
    def running(self) -> bool:
        return self.status in ("preparing", "training")

    @property
    def seconds(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    @property
    def progress(self) -> float:
        """Fraction of all batches done, from 0 to 1."""
        if not self.batches_per_epoch:
            return 0.0
        done = max(0, self.epoch - 1) * self.batches_per_epoch + self.batch
        return min(1.0, done / (self.config.epochs * self.batches_per_epoch))

    @property
    def seconds_left(self) -> float | None:
        """Extrapolated from the batches after the first, which also traces the model."""
        if self._first_batch is None or self.progress <= self._first_batch[1]:
            return None
        at, progress = self._first_batch
        return (time.monotonic() - at) * (1 - self.progress) / (self.progress - progress)

    @property
    def best_val_accuracy(self) -> float | None:
        scores = [r["val_accuracy"] for r in self.epochs if "val_accuracy" in r]
        return max(scores) if scores else None

    def stop(self) -> None:
        """Ask the run to end after the current batch; what it learned so far is still saved."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def record(self) -> dict:
        """What is written to NAME.json while the run grows (finished runs get train()'s metadata)."""
        return {
            "name": self.name,
            "created": self.created,
            "status": self.status,
            "error": self.error,
            "data": str(self.data_dir),
            "config": self.config.to_dict(),
            "image_size": self.config.image_size,
            "epochs_run": len(self.epochs),
            "seconds": round(self.seconds, 1),
            "validation_accuracy": self.best_val_accuracy,
            "history": self.epochs,
        }

    def on_train_begin(self, batches_per_epoch: int) -> None:
        self.batches_per_epoch = batches_per_epoch
        self.status = "training"

    def on_batch_end(self, epoch: int, batch: int, logs: dict) -> None:
        self.epoch, self.batch = epoch, batch
        if self._first_batch is None:
            self._first_batch = (time.monotonic(), self.progress)
        point = {"epoch": round(epoch - 1 + batch / max(1, self.batches_per_epoch), 3)}
        point.update({k: round(v, 4) for k, v in logs.items() if k in ("accuracy", "loss")})
        self.batches.append(point)

    def on_epoch_end(self, record: dict) -> None:
        self.epochs.append(record)
        write_json_atomically(self.record(), metadata_path(self.out_path))  # a restart loses at most this run

    def _run(self) -> None:
        """Start the child process and apply its reports here until it ends."""
        reports = _SPAWN.Queue()
        command = f"Train page: {self.config.to_dict()}"
        process = self._process = _SPAWN.Process(
            target=_train_and_report,
            args=(self.config, self.data_dir, self.out_path, reports, self._stop, command),
            name=f"train-{self.name}",
            daemon=True,  # ends with the server
        )
        try:
            process.start()
            self._apply_reports(reports, process)
        except Exception as error:  # noqa: BLE001 -- the job ends with a message; the server and other models carry on
            self.error = str(error) if isinstance(error, _RunFailed) else _explain(error)
            self.status = "failed"
            write_json_atomically(self.record(), metadata_path(self.out_path))
        finally:
            self.finished = time.monotonic()
            if process.is_alive():  # only when this thread failed: the child would train on unwatched
                self._stop.set()
                process.join(timeout=30)
                process.kill()
            process.join()

    def _apply_reports(self, reports, process) -> None:
        while True:
            try:
                kind, payload = reports.get(timeout=1)
            except queue.Empty:
                if process.is_alive():
                    continue
                code = process.exitcode
                raise _RunFailed(
                    f"The training process ended unexpectedly (exit code {code})"
                    + (": the server probably ran out of memory." if code == -9 else ".")
                ) from None
            if kind == "failed":
                raise _RunFailed(payload)
            if kind == "finished":
                self.metadata = payload
                # Written again: the child saved it before this thread had applied every report.
                write_json_atomically(payload, metadata_path(self.out_path))
                self.status = payload["status"]
                return
            getattr(self, kind)(*payload)


class _RunFailed(Exception):
    """The child process reported a failure in a plain sentence, or vanished."""


class _Reporter:
    """The listener inside the child process: forwards each call to the server's TrainingJob."""

    def __init__(self, reports) -> None:
        self.reports = reports

    def on_train_begin(self, batches_per_epoch: int) -> None:
        self.reports.put(("on_train_begin", (batches_per_epoch,)))

    def on_batch_end(self, epoch: int, batch: int, logs: dict) -> None:
        self.reports.put(("on_batch_end", (epoch, batch, logs)))

    def on_epoch_end(self, record: dict) -> None:
        self.reports.put(("on_epoch_end", (record,)))


def _train_and_report(config: TrainConfig, data_dir: Path, out_path: Path, reports, stop, command: str) -> None:
    """The child process: train, then report the metadata or one plain sentence about the failure."""
    import traceback

    from catdog.train import train

    try:
        reports.put(("finished", train(config, data_dir, out_path, _Reporter(reports), stop, command=command)))
    except Exception as error:  # noqa: BLE001 -- the job ends with a message; the server and other models carry on
        traceback.print_exc()
        reports.put(("failed", _explain(error)))


def start_job(config: TrainConfig, data_dir: str | Path, models_dir: str | Path, name: str) -> TrainingJob:
    """Start a run saved as models_dir/NAME.keras; raises JobBusy while another run is going."""
    global _current
    with _lock:
        if _current is not None and _current.running:
            raise JobBusy(f"“{_current.name}” is still training ({_current.progress:.0%} done); stop it or wait.")
        _current = TrainingJob(config, data_dir, Path(models_dir) / f"{safe_name(name, models_dir)}.keras")
        _current._thread.start()
        return _current


def current_job() -> TrainingJob | None:
    return _current


def safe_name(name: str, models_dir: str | Path) -> str:
    """A file name made of letters, digits, '-' and '_' that no existing run or model uses."""
    base = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")[:48] or "run"
    candidate, n = base, 2
    while (Path(models_dir) / f"{candidate}.keras").exists() or (Path(models_dir) / f"{candidate}.json").exists():
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _explain(error: Exception) -> str:
    if isinstance(error, MemoryError) or "OOM" in str(error) or "out of memory" in str(error).lower():
        return "The server ran out of memory. Try fewer photos per class, a smaller image size or a smaller batch."
    from catdog.data import DatasetError

    if isinstance(error, DatasetError):
        return str(error)[:1].upper() + str(error)[1:] + "."
    return f"Training failed: {type(error).__name__}: {error}"
