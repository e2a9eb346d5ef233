"""Models and their run records on disk: NAME.keras beside NAME.json, one RunRecord per run."""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path, PurePath

from catdog.config import (
    BUNDLED_MODELS,
    DATA_DIR,
    GUESSING_BAND,
    LITE_SUFFIX,
    NEITHER_SUFFIX,
    SHARED_DATASET,
    TrainConfig,
)
from catdog.i18n import DEFAULT_LANGUAGE, Message, translate

AUTOMATIC_TITLE = "run_title.automatic"  # a title_key: the run is named from its dataset, settings and start time
RUNNING = ("preparing", "training")  # a run in one of these is going, or was cut off ("interrupted")
PHASES = ("", "head", "fine-tune")  # of an epoch: from scratch, or a pretrained backbone's two phases
SCORES = ("accuracy", "loss", "val_accuracy", "val_loss")  # the Epoch fields that Keras's logs fill
# Where a run's time goes, in the order they run: a pretrained run decodes, computes its backbone's features,
# fits the head, computes its augmented views' features, fine-tunes; a run from scratch decodes and trains.
PHASE_NAMES = ("decoding", "features", "head", "fine-tune", "training", "test", "saving")


class RunRecordError(ValueError):
    """A run file that is not a run record (damaged, or values of the wrong kind)."""


@dataclass(frozen=True)
class Epoch:
    """One epoch's scores, as a run record's history keeps them; Keras's names, None where a run has none.

    Also a point of the live chart's training curve, drawn batch by batch: then `epoch` has a
    fraction (2.25 is a quarter into epoch 3) and only accuracy and loss are set.
    """

    epoch: int | float  # counted from 1
    seconds: float | None = None  # its wall time, validation included
    accuracy: float | None = None  # on the training photos, averaged over the epoch (NaN: the run diverged)
    loss: float | None = None
    val_accuracy: float | None = None  # on the validation photos, after the epoch
    val_loss: float | None = None
    phase: str = ""  # one of PHASES
    # Where the model looked in the run's heatmap_photo after this epoch: a grid at its feature map's size,
    # rows top to bottom, values 0 to 1.
    heatmap: list[list[float]] | None = None

    def to_dict(self) -> dict:
        """For NAME.json: the fields that are set, so a record stays small and older versions read it."""
        return {name: value for name, value in asdict(self).items() if value is not None and value != ""}

    @classmethod
    def from_dict(cls, values) -> Epoch:
        """Read a history entry written by this or an earlier version (unknown keys are skipped); raises
        RunRecordError for one whose values are of the wrong kind."""
        if not isinstance(values, dict):
            raise RunRecordError(f"a history entry is {values!r}, not an epoch")
        epoch = values.get("epoch")
        if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 1:
            raise RunRecordError(f"a history entry's epoch is {epoch!r}, not a number from 1")
        for name in ("seconds", *SCORES):  # NaN allowed: a run can diverge
            value = values.get(name)
            if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
                raise RunRecordError(f"epoch {epoch}: {name} is {value!r}, not a number")
        if values.get("phase", "") not in PHASES:
            raise RunRecordError(f"epoch {epoch}: phase is {values['phase']!r}, not one of {PHASES}")
        if values.get("heatmap") is not None and not _is_grid(values["heatmap"]):
            raise RunRecordError(f"epoch {epoch}: its heatmap is not a grid of numbers from 0 to 1")
        known = {f.name for f in fields(cls)}
        return cls(**{name: value for name, value in values.items() if name in known and value is not None})


class TrainingListener:
    """What a caller (the Train page's job, the CLI, a benchmark) hears while a model trains: each does nothing
    here, so a listener overrides only what it wants to hear."""

    def on_prepare(self, stage: str, done: int, total: int) -> None:
        """Decoding or features: `done` of `total` photos."""

    def on_phase(self, phase: str, seconds: dict[str, float]) -> None:
        """A phase (PHASE_NAMES) begins; `seconds` holds the wall seconds of each phase so far."""

    def on_heatmap_photo(self, path: str) -> None:
        """The validation photo whose heatmap each epoch has."""

    def on_train_begin(self, batches_per_epoch: int) -> None:
        """Fitting begins."""

    def on_batch_end(self, epoch: int, batch: int, logs: dict) -> None:
        """A training batch ended; `logs` holds its loss and accuracy."""

    def on_epoch_end(self, entry: Epoch) -> None:
        """An epoch ended, validated; its entry is in the run record's history."""


@dataclass
class RunRecord:
    """Everything known about one training run; the training process writes it (the server only when that process
    died without a word: catdog.jobs), everything else reads it."""

    name: str  # the file name, NAME.keras beside NAME.json: letters, digits, '-' and '_'
    config: TrainConfig
    title: str = ""  # its name for people, as its starter typed it
    # Else a catalogue key that names it in each reader's language: a lesson step's title, or AUTOMATIC_TITLE
    # ("cats_vs_dogs_small · 100 per class · no augmentation · 14:05", worded from the record's own fields).
    title_key: str = ""
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    status: str = "preparing"  # preparing → training → finished | stopped | failed
    failure: Message | None = None  # why a failed run failed, a sentence to read in any language
    command: str = ""  # how it was started: a command line, or "Train page"
    data: str = ""  # the dataset folder
    layout: str = ""  # "folders" or "kaggle"
    precision: str = ""  # "float32" or "bfloat16", as trained; saved models are float32
    train_photos: int = 0
    validation_photos: int = 0
    unreadable: list[list[str]] = field(default_factory=list)  # [path, reason] of photos skipped
    history: list[Epoch] = field(default_factory=list)  # one per whole epoch, in order
    phases: list[dict] = field(default_factory=list)  # a pretrained run's phases: head, then fine-tune
    best_epoch: int | None = None  # the epoch whose weights were kept
    validation_accuracy: float | None = None  # at best_epoch
    test_accuracy: float | None = None  # of the kept weights, on the test split when there is one
    seconds: float = 0.0  # wall time of the whole run, decoding and saving included
    # Wall seconds of each of PHASE_NAMES that ran ({} in records from before them); the rest of `seconds` is
    # starting (the model, its weights) and saving.
    phase_seconds: dict[str, float] = field(default_factory=dict)
    pid: int | None = None  # the process writing this record while the run is going
    heatmap_photo: str = ""  # the validation photo watched during training (records before it have none)

    @property
    def epochs_run(self) -> int:
        return len(self.history)

    @property
    def image_size(self) -> int:
        return self.config.image_size

    @property
    def stopped_early(self) -> bool:
        return self.epochs_run < self.config.epochs

    def title_said(self) -> Message:
        """Its name for people, to be read in any language: see `title` and `title_key`; else its file's name."""
        if self.title or not self.title_key:
            return Message("run_title.as_typed", {"title": self.title or self.name})
        if self.title_key == AUTOMATIC_TITLE:
            return automatic_title(self.data, self.config, datetime.fromisoformat(self.created).astimezone())
        return Message(self.title_key)

    def display_name(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return self.title_said().text(lang)

    @property
    def guessing(self) -> bool:
        """It scored about what a coin toss scores: it has learned nothing yet."""
        low, high = GUESSING_BAND
        scores = (self.validation_accuracy, self.test_accuracy)
        return any(score is not None and low <= score <= high for score in scores)

    @property
    def state(self) -> str:
        """The status, or "interrupted" for a run left preparing or training by a process that is gone."""
        if self.status in RUNNING and not _process_alive(self.pid):
            return "interrupted"
        return self.status

    def fail(self, why: Message) -> None:
        self.status, self.failure = "failed", why

    def error_message(self, lang: str = DEFAULT_LANGUAGE) -> str | None:
        """Why the run failed, in `lang` (an older record's, which kept only English, in English); else None."""
        return self.failure.text(lang) if self.failure else None

    def add_epoch(self, entry: Epoch) -> None:
        """Append one epoch's scores and keep best_epoch and validation_accuracy on the best so far."""
        self.history.append(entry)
        best = max(self.history, key=lambda e: -1 if e.val_accuracy is None else e.val_accuracy)
        self.best_epoch, self.validation_accuracy = best.epoch, best.val_accuracy

    def to_dict(self) -> dict:
        values = asdict(self)
        values["config"] = self.config.to_dict()
        values["history"] = [entry.to_dict() for entry in self.history]
        return values

    @classmethod
    def from_dict(cls, values: dict) -> RunRecord:
        """Read a record written by this or an earlier version; raises RunRecordError for anything else."""
        if not isinstance(values, dict) or not isinstance(values.get("config"), dict):
            raise RunRecordError("not a run record")
        known = {f.name: f for f in fields(cls)}
        kept = {key: value for key, value in values.items() if key in known}
        try:
            kept["config"] = TrainConfig.from_dict(values["config"])
        except (TypeError, ValueError) as error:
            raise RunRecordError(f"its config is not readable ({error})") from None
        if kept.get("pid") is not None and (not isinstance(kept["pid"], int) or isinstance(kept["pid"], bool)):
            raise RunRecordError(f"pid is {kept['pid']!r}, not a process id")
        for name in ("validation_accuracy", "test_accuracy", "seconds"):
            if kept.get(name) is not None and not _is_number(kept[name]):
                raise RunRecordError(f"{name} is {kept[name]!r}, not a number")
        texts = ("name", "title", "title_key", "created", "status", "command", "data", "layout", "precision")
        for name in (*texts, "heatmap_photo"):
            if name in kept and not isinstance(kept[name], str):
                raise RunRecordError(f"{name} is {kept[name]!r}, not text")
        times = kept.get("phase_seconds", {})
        if not isinstance(times, dict) or not all(name in PHASE_NAMES and _is_number(s) for name, s in times.items()):
            raise RunRecordError(f"phase_seconds is {times!r}, not seconds per phase")
        if not isinstance(kept.get("history", []), list):
            raise RunRecordError("its history is not a list of epochs")
        kept["history"] = [Epoch.from_dict(entry) for entry in kept.get("history", [])]
        if kept.get("failure") is not None:
            try:
                kept["failure"] = Message.from_dict(kept["failure"])
            except (TypeError, KeyError, AttributeError):
                raise RunRecordError(f"failure is {kept['failure']!r}, not a message") from None
        elif isinstance(values.get("error"), str):  # a record from before `failure`: its English sentence
            kept["failure"] = Message("run_failed.as_recorded", {"reason": values["error"]})
        kept.setdefault("name", "")
        return cls(**kept)

    def save(self, path: str | Path) -> None:
        """Write the record as JSON, atomically: a reader never sees half a file."""
        write_json_atomically(self.to_dict(), path)


def automatic_title(data: str, config: TrainConfig, when: datetime) -> Message:
    """A run's name in words a class can read, in any language: 'cats_vs_dogs_small · 100 per class · no
    augmentation · 14:05' (`data` names the dataset as RunRecord.data does; its last folder is shown)."""
    photos = (
        Message("run_title.per_class", {"count": config.limit_per_class})
        if config.limit_per_class
        else Message("run_title.all_photos")
    )
    augmentation = Message("run_title.augmentation" if config.augment else "run_title.no_augmentation")
    parts = {"dataset": PurePath(data).name, "photos": photos, "augmentation": augmentation, "time": f"{when:%H:%M}"}
    return Message("run_title.automatic", parts)


def run_title(data_dir: str | Path, config: TrainConfig, when: datetime, lang: str = DEFAULT_LANGUAGE) -> str:
    """automatic_title in `lang`: what the Train page suggests before a run starts."""
    return automatic_title(str(data_dir), config, when).text(lang)


def phase_name(phase: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """One of PHASE_NAMES in words ('fine-tune' → 'fine-tuning'), in `lang`."""
    return translate(f"phase.{phase.replace('-', '_')}", lang)


def phase_times(seconds: dict[str, float], lang: str = DEFAULT_LANGUAGE) -> str:
    """'decoding the photos 4 s · the backbone's features 45 s · …': a run's phase_seconds, in the order they ran."""
    times = [
        translate("train.phase_time", lang, phase=phase_name(name, lang), seconds=f"{seconds[name]:.0f}")
        for name in PHASE_NAMES
        if name in seconds
    ]
    return " · ".join(times)


def dataset_name(data_dir: str | Path) -> str:
    """How a run record names its dataset: by its path in the data folder (or beside the clone, in ../shared),
    so that a record made on one machine finds the same dataset on another; elsewhere, by its full path."""
    folder = Path(data_dir).resolve()
    for root in (DATA_DIR.resolve(), SHARED_DATASET.parent.resolve()):
        if folder.is_relative_to(root) and folder != root:
            return folder.relative_to(root).as_posix()
    return str(folder)


def dataset_folder(name: str) -> Path | None:
    """The folder a run record's dataset name (dataset_name) stands for on this machine, or None.

    Records written before dataset_name held the full path of the machine that trained them: there,
    the folder's own name is looked up in the data folder and in ../shared.
    """
    if not name:
        return None
    named = Path(name)
    candidates = [named] if named.is_absolute() else []
    for root in (DATA_DIR, SHARED_DATASET.parent):
        candidates += [root / named, root / named.name]
    return next((folder for folder in candidates if folder.is_dir()), None)


def metadata_path(model_path: str | Path) -> Path:
    return Path(model_path).with_suffix(".json")


def read_record(model_path: str | Path) -> RunRecord | None:
    """The run record saved beside a model (or at NAME.json), or None when there is none or it is unreadable."""
    try:
        record = RunRecord.from_dict(json.loads(metadata_path(model_path).read_text()))
    except (OSError, ValueError):  # RunRecordError and JSON errors are ValueErrors
        return None
    record.name = record.name or Path(model_path).stem
    return record


def write_json_atomically(data: dict, path: str | Path) -> None:
    """Write to a temporary file and rename it: a reader never sees half a file."""
    path = Path(path)
    text = json.dumps(data, indent=2)  # fails here, before anything is written, if data is not JSON
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=".saving-", suffix=".json", delete=False) as f:
        scratch = Path(f.name)
        try:
            f.write(text)
        except OSError:
            scratch.unlink(missing_ok=True)
            raise
    scratch.chmod(0o644)  # temporary files are private; a saved run is not
    os.replace(scratch, path)


def list_models(models_dir: str | Path) -> list[Path]:
    """Every saved model in models_dir, the bundled ones first (the default first), then the newest first."""
    models_dir = Path(models_dir)
    found = sorted(models_dir.glob("*.keras"), key=_modified, reverse=True) if models_dir.is_dir() else []
    bundled = [p for p in BUNDLED_MODELS if p.is_file()]
    return bundled + [p for p in found if p.resolve() not in {b.resolve() for b in bundled}]


def list_runs(models_dir: str | Path) -> list[RunRecord]:
    """Every readable run record in models_dir (finished or not), newest first."""
    models_dir = Path(models_dir)
    records = [read_record(p) for p in models_dir.glob("*.json")] if models_dir.is_dir() else []
    return sorted((r for r in records if r is not None), key=lambda r: r.created, reverse=True)


def remove_leftovers(models_dir: str | Path) -> list[str]:
    """Delete the scratch files and folders (.saving-*) that a save killed midway left; returns their names.

    Only call it when no run is going: a save in progress writes the same names.
    """
    models_dir = Path(models_dir)
    removed = []
    for leftover in models_dir.glob(".saving-*") if models_dir.is_dir() else []:
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
        removed.append(leftover.name)
    return removed


def prune_runs(models_dir: str | Path, keep: int) -> list[str]:
    """Delete all but the newest `keep` runs (model and record) in models_dir; bundled models are never touched.

    A public server that lets visitors train would otherwise fill its disk, a few MB a run.
    """
    ended = [r for r in list_runs(models_dir) if r.state not in RUNNING]
    removed = []
    for record in ended[keep:]:
        try:
            delete_run(models_dir, record.name)
        except ValueError:  # a bundled model
            continue
        removed.append(record.name)
    return removed


def delete_run(models_dir: str | Path, name: str) -> None:
    """Delete a run's model, its record and what is saved beside it; raises ValueError for a bundled model or a
    run still going."""
    model = Path(models_dir) / f"{name}.keras"
    if model.resolve() in {p.resolve() for p in BUNDLED_MODELS}:
        raise ValueError(f"{name} is a bundled model")
    record = read_record(model)
    if record is not None and record.state in RUNNING:
        raise ValueError(f"{name} is still training")
    model.unlink(missing_ok=True)
    metadata_path(model).unlink(missing_ok=True)
    for suffix in (LITE_SUFFIX, NEITHER_SUFFIX):  # its LiteRT layers and "neither" detector, where saved
        model.with_name(model.stem + suffix).unlink(missing_ok=True)


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # a link to nowhere, or a file deleted since it was listed
        return 0.0


def _is_grid(rows) -> bool:
    """Rows of equal length of numbers from 0 to 1: a heatmap that a page can draw."""
    if not isinstance(rows, list) or not rows or not all(isinstance(row, list) and row for row in rows):
        return False
    values = [value for row in rows for value in row]
    return len({len(row) for row in rows}) == 1 and all(_is_number(value) and 0 <= value <= 1 for value in values)


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _process_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        return True
    try:  # Linux: a process that ended but was not reaped (as under a container's bare init) is a zombie
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True
