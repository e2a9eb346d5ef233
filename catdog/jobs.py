"""A training run in a background thread of the server; pages poll it and never block on it."""

from __future__ import annotations

import re
import threading
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from catdog.config import TrainConfig
from catdog.runs import metadata_path, write_json_atomically

_lock = threading.Lock()
_current: TrainingJob | None = None  # the one job this server process runs or last ran


class JobBusy(RuntimeError):
    """Refusal to start a second job while one runs; the message names the running job."""


class TrainingJob:
    """Thread, status, history and stop flag of one run. Never touches any UI.

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
        self._stop = threading.Event()
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
        from catdog.train import (
            train,  # TensorFlow loads in this thread, not the page's
        )

        try:
            self.metadata = train(
                self.config,
                self.data_dir,
                self.out_path,
                listener=self,
                stop=self._stop,
                command=f"Train page: {self.config.to_dict()}",
            )
            self.status = self.metadata["status"]
        except Exception as error:  # noqa: BLE001 -- the job ends with a message; the server and other models carry on
            self.error = _explain(error)
            self.status = "failed"
            traceback.print_exc()
            write_json_atomically(self.record(), metadata_path(self.out_path))
        finally:
            self.finished = time.monotonic()


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
