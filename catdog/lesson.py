"""The chapter's lesson as data: three runs on the same 100 photos per class, with a teacher's notes for each.

(1) from scratch without augmentation: it overfits; (2) the same with augmentation; (3) a pretrained
backbone. A page shows one button per step, then the three runs on one chart
(catdog.charts.training_figure(lesson_histories(...), "accuracy")) and a photo's heatmap under each
model (lesson_models). `python -m bench.lesson_time` times the steps on this machine.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from catdog.config import LESSON_FINE_TUNE_EPOCHS, LESSON_TRANSFER_EPOCHS, SMALL_DATA_PER_CLASS, TrainConfig
from catdog.i18n import DEFAULT_LANGUAGE, translate
from catdog.runs import Epoch, RunRecord, dataset_folder, list_runs


@dataclass(frozen=True)
class LessonStep:
    """One step of the lesson: the run it trains, and what the teacher says around it.

    The words are catalogue keys (catdog/locales/), said in the visitor's language with catdog.i18n.translate;
    each note is 2-4 short sentences.
    """

    key: str  # stable: widget keys and the page's session state use it
    config: TrainConfig
    run_name: str  # the model's file name in the models folder (start_job makes it unique)
    title: str  # key of the step's name: its heading, its run's title and its curves' name on the chart
    before: str  # key of what to say before pressing the button
    during: str  # key of what to point at while it trains
    after: str  # key of what to ask once it has finished


_SMALL_DATA = TrainConfig.small_data()

LESSON_STEPS = (
    LessonStep(
        key="overfit",
        config=_SMALL_DATA,
        run_name="lesson-1-small-data",
        title="lesson.overfit.title",
        before="lesson.overfit.before",
        during="lesson.overfit.during",
        after="lesson.overfit.after",
    ),
    LessonStep(
        key="augment",
        config=replace(_SMALL_DATA, augment=True),
        run_name="lesson-2-augmentation",
        title="lesson.augment.title",
        before="lesson.augment.before",
        during="lesson.augment.during",
        after="lesson.augment.after",
    ),
    LessonStep(
        key="pretrained",
        config=TrainConfig.transfer(
            limit_per_class=SMALL_DATA_PER_CLASS,
            augment=False,  # each photo's backbone features computed once, as it is: augmentation is step 2's story
            epochs=LESSON_TRANSFER_EPOCHS,
            fine_tune_epochs=LESSON_FINE_TUNE_EPOCHS,
        ),
        run_name="lesson-3-pretrained",
        title="lesson.pretrained.title",
        before="lesson.pretrained.before",
        during="lesson.pretrained.during",
        after="lesson.pretrained.after",
    ),
)


def lesson_step(record: RunRecord) -> LessonStep | None:
    """The step a run belongs to: the one whose config it trained with, whatever its name.

    By config, not name: start_job renames a second "lesson-1-small-data" to "…-2", and the Train
    page's small-data option trains exactly step 1, which is the same experiment.
    """
    return next((step for step in LESSON_STEPS if step.config == record.config), None)


def _folder(record: RunRecord) -> Path | None:
    """The dataset folder a run was trained on, on this machine: records name it in more than one way."""
    folder = dataset_folder(record.data)
    return folder and folder.resolve()


def lesson_runs(models_dir: str | Path, data_dir: str | Path | None = None) -> dict[str, RunRecord | None]:
    """Step key → the latest finished run of that step in models_dir (on data_dir, when given), or None.

    Stopped and failed runs do not count: a stopped step 1 has not overfitted yet.
    """
    data = Path(data_dir).resolve() if data_dir is not None else None
    latest: dict[str, RunRecord | None] = {step.key: None for step in LESSON_STEPS}
    for record in list_runs(models_dir):  # newest first
        step = lesson_step(record)
        if step and latest[step.key] is None and record.state == "finished" and data in (None, _folder(record)):
            latest[step.key] = record
    return latest


def lesson_histories(runs: dict[str, RunRecord | None], lang: str = DEFAULT_LANGUAGE) -> dict[str, list[Epoch]]:
    """Step title (in `lang`) → its run's history, in the story's order, for catdog.charts.training_figure
    ("the three runs on one chart"; steps not run yet are left out)."""
    return {
        translate(step.title, lang): runs[step.key].history for step in LESSON_STEPS if runs.get(step.key) is not None
    }


def lesson_models(models_dir: str | Path, runs: dict[str, RunRecord | None]) -> dict[str, Path]:
    """Step key → the model file of its run, for a photo's heatmap under each model (steps without a model are
    left out)."""
    paths = {key: Path(models_dir) / f"{record.name}.keras" for key, record in runs.items() if record is not None}
    return {key: path for key, path in paths.items() if path.is_file()}
