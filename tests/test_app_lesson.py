"""The Lesson page under Streamlit's AppTest: the three steps in order with their notes, one button each that
starts that step's run (faked: no training), the finished runs compared, and a class photo under each model.

CATDOG_DATA_DIR and CATDOG_MODELS_DIR point at temporary folders (conftest.py's `app_dirs`); finished runs
are run records written there, their models copies of the session's tiny model.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from catdog import jobs
from catdog.charts import RUN_COLOURS
from catdog.i18n import translate
from catdog.lesson import LESSON_STEPS
from catdog.photos import KeptPhoto, load_photo
from catdog.runs import Epoch, RunRecord, metadata_path

LESSON_PAGE = "pages/lesson.py"
REPO = Path(__file__).resolve().parents[1]
OVERFIT, AUGMENT, PRETRAINED = LESSON_STEPS
TITLES = {
    "en": ["1 · 100 photos per class", "2 · the same, with augmentation", "3 · a pretrained backbone"],
    "zh": ["1 · 每类 100 张照片", "2 · 同样的训练，加上数据增强", "3 · 预训练的骨干网络"],
}


@pytest.fixture
def dataset(app_dirs, tiny_dataset) -> Path:
    """The session's tiny dataset in the data folder, where the page finds datasets."""
    link = app_dirs.data / "cats_vs_dogs_small"
    link.symlink_to(tiny_dataset, target_is_directory=True)
    return link


@pytest.fixture
def open_lesson(app_dirs):
    """open_lesson(lang="en", secrets=None, state=None): the app opened on the Lesson page, with ?lang= and
    session state set before its first run (a visitor who unlocked training, or kept photos on Classify)."""

    def open_(lang: str = "en", secrets: dict | None = None, state: dict | None = None) -> AppTest:
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
        at.query_params["lang"] = lang
        at.secrets.update(secrets or {})
        for key, value in (state or {}).items():
            at.session_state[key] = value
        at.run()
        at.switch_page(LESSON_PAGE).run()
        assert not at.exception, at.exception
        return at

    return open_


@pytest.fixture
def current_run(app_dirs, dataset, monkeypatch):
    """make(config, name): a run the server reports as training on the dataset; its thread never starts."""
    made = []

    def make(config, name: str) -> jobs.TrainingJob:
        job = jobs.TrainingJob(config, dataset, app_dirs.models / f"{name}.keras", title=name)
        job.apply(jobs.TrainBegan(batches_per_epoch=3))
        job.apply(jobs.EpochEnded(Epoch(1, accuracy=0.6, loss=0.6, val_accuracy=0.55, val_loss=0.7)))
        job.apply(jobs.BatchEnded(2, 1, {"accuracy": 0.7, "loss": 0.5}))
        made.append(job)
        monkeypatch.setattr(jobs, "_current", job)
        return job

    yield make
    for job in made:
        job.record.status = "stopped"  # so that nothing waits for the thread that never ran


def finished_run(models_dir: Path, dataset: Path, step, train: float, validation: float, model=None) -> RunRecord:
    """A finished run of `step` on the dataset, as its training process leaves it: NAME.json (and NAME.keras)."""
    record = RunRecord(step.run_name, step.config, title=step.run_name, status="finished", seconds=95.4)
    record.data = str(dataset.resolve())
    for epoch in (1, 2):
        scores = {"accuracy": train - 0.1 * (2 - epoch), "val_accuracy": validation - 0.05 * (2 - epoch)}
        record.add_epoch(Epoch(epoch, loss=0.5, val_loss=0.6, **scores))
    path = models_dir / f"{step.run_name}.keras"
    record.save(metadata_path(path))
    if model is not None:
        shutil.copyfile(model, path)
    return record


def run_buttons(at) -> dict:
    return {b.key: b for b in at.button if b.key.startswith("run_")}


def traces(at, key: str) -> list[dict]:
    (chart,) = [c for c in at.get("plotly_chart") if key in c.proto.id]  # a keyed element's id ends in its key
    return json.loads(chart.proto.spec)["data"]


def heatmaps(at) -> list[str]:
    """The photos drawn with a heatmap: inlined JPEGs, as HTML."""
    return [element.proto.body for element in at.get("html") if "data:image/jpeg;base64," in element.proto.body]


# --- the story, in order ---------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_tells_the_three_steps_in_order_with_the_teachers_notes(open_lesson, dataset, lang):
    at = open_lesson(lang)
    assert at.title[0].value == {"en": "🎓 A lesson in three runs", "zh": "🎓 三次训练上完一节课"}[lang]
    assert "45" in at.main.markdown[0].value
    assert [s.value for s in at.main.subheader] == TITLES[lang]
    notes = [m.value for m in at.main.markdown if m.value.startswith("**")]
    assert len(notes) == 9  # before, during and after each step, in order
    assert notes[0].startswith({"en": "**Before you press Run:** We train", "zh": "**按下运行之前：** 我们只用"}[lang])
    assert notes[8].startswith({"en": "**Once it has finished:** The same 200", "zh": "**训练结束后：** 同样的"}[lang])
    assert [b.label for b in run_buttons(at).values()] == {
        "en": ["▶ Run step 1", "▶ Run step 2", "▶ Run step 3"],
        "zh": ["▶ 运行第 1 步", "▶ 运行第 2 步", "▶ 运行第 3 步"],
    }[lang]
    assert jobs.current_job() is None  # showing the page starts nothing


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_smaller_dataset_than_the_notes_assume_is_said_with_what_the_steps_really_get(open_lesson, dataset, lang):
    at = open_lesson(lang)  # the tiny dataset: 12 training photos a class, 6 validation photos a class
    assert [w.value for w in at.warning] == [translate("lesson.smaller_dataset", lang, per_class=12, validation=12)]
    assert "12" in at.warning[0].value and ("100" in at.warning[0].value)


def test_step_1s_button_starts_a_run_of_exactly_step_1_as_the_train_page_would(open_lesson, dataset, monkeypatch):
    started = []
    monkeypatch.setattr(jobs, "start_job", lambda *args, **kwargs: started.append((*args, kwargs)))  # no training
    at = open_lesson()
    run_buttons(at)["run_overfit"].click().run()
    assert not at.exception
    ((config, root, models_dir, name, named),) = started
    assert config == OVERFIT.config and root == dataset and name == "lesson-1-small-data"
    # Named by its step's title, worded for each reader: never stored in the starter's language
    assert named == {"owner": at.session_state["visitor"], "title": "", "title_key": "lesson.overfit.title"}


def test_with_no_dataset_the_page_says_so_and_links_to_the_train_pages_download(open_lesson):
    at = open_lesson()
    assert any("has none yet" in info.value for info in at.info)
    assert not run_buttons(at) and not at.main.subheader


# --- who may train, and one run at a time ----------------------------------------------------------


def test_with_training_off_the_steps_are_told_but_there_is_no_button(open_lesson, dataset, monkeypatch):
    monkeypatch.setenv("CATDOG_TRAINING", "off")
    at = open_lesson()
    assert any("Training is turned off" in info.value for info in at.info)
    assert len(at.main.subheader) == 3 and not run_buttons(at)


def test_in_password_mode_only_a_visitor_who_unlocked_training_gets_the_buttons(open_lesson, dataset, monkeypatch):
    monkeypatch.setenv("CATDOG_TRAINING", "password")
    monkeypatch.setenv("CATDOG_TRAINING_PASSWORD", "s3cret")
    locked = open_lesson()
    assert any("unlock it on the Train page" in info.value for info in locked.main.info)
    assert not run_buttons(locked)
    unlocked = open_lesson(state={"training_unlocked": True})  # as the Train page's password box leaves it
    assert len(run_buttons(unlocked)) == 3


def test_while_step_1_trains_every_button_waits_and_step_1_shows_its_live_curves(open_lesson, current_run):
    current_run(OVERFIT.config, "lesson-1-small-data")
    at = open_lesson()
    buttons = run_buttons(at)
    assert len(buttons) == 3 and all(b.disabled for b in buttons.values())
    assert any("“lesson-1-small-data” is training" in info.value for info in at.info)
    assert [p.proto.text for p in at.get("progress")] == ["Epoch 2/20 · batch 1/3"]
    accuracy = traces(at, "lesson_live_accuracy")
    assert [t["name"] for t in accuracy] == [
        "1 · 100 photos per class · training",
        "1 · 100 photos per class · validation",
    ]
    assert {t["line"]["color"] for t in accuracy} == {RUN_COLOURS[0]}


def test_a_run_from_the_train_page_disables_the_buttons_but_is_no_step(open_lesson, current_run):
    from catdog.config import TrainConfig

    current_run(TrainConfig(epochs=3), "someone-elses-run")
    at = open_lesson()
    assert all(b.disabled for b in run_buttons(at).values())
    assert not at.get("progress")  # no step trains
    assert any("“someone-elses-run” is training" in info.value for info in at.info)


def test_a_run_another_process_holds_the_models_folder_for_is_said_when_a_step_is_refused(
    open_lesson, dataset, monkeypatch
):
    def refuse(*args, **kwargs):
        raise jobs.JobBusy("busy.other_process", pid=4242)

    monkeypatch.setattr(jobs, "start_job", refuse)  # a run started by a server since restarted, say
    at = open_lesson()
    run_buttons(at)["run_augment"].click().run()
    assert not at.exception
    assert [w.value for w in at.warning if w.value.startswith("Only one run at a time:")]


# --- the runs compared ------------------------------------------------------------------------------


def test_finished_steps_show_their_accuracies_and_share_one_chart_each_in_its_own_colour(
    open_lesson, app_dirs, dataset
):
    finished_run(app_dirs.models, dataset, OVERFIT, train=1.0, validation=0.69)
    finished_run(app_dirs.models, dataset, PRETRAINED, train=0.98, validation=0.97)
    at = open_lesson()
    metrics = [(m.label, m.value) for m in at.metric]
    assert metrics[:4] == [
        ("Training accuracy", "100%"),
        ("Validation accuracy", "69%"),
        ("Gap (points)", "31"),
        ("Time", "95 s"),
    ]
    assert metrics[4:6] == [("Training accuracy", "98%"), ("Validation accuracy", "97%")]
    assert [b.label for b in run_buttons(at).values()] == ["▶ Run step 1 again", "▶ Run step 2", "▶ Run step 3 again"]
    solid = [t for t in traces(at, "lesson_compare_accuracy") if t["mode"] == "lines+markers"]
    assert [t["name"] for t in solid] == [
        "1 · 100 photos per class · validation",
        "3 · a pretrained backbone · validation",
    ]
    assert [t["line"]["color"] for t in solid] == [RUN_COLOURS[0], RUN_COLOURS[2]]  # step 3 keeps its colour

    finished_run(app_dirs.models, dataset, AUGMENT, train=0.82, validation=0.68)
    at.run()
    for key in ("lesson_compare_accuracy", "lesson_compare_loss"):
        solid = [t for t in traces(at, key) if t["mode"] == "lines+markers"]
        assert [t["line"]["color"] for t in solid] == list(RUN_COLOURS[:3])


def test_a_class_photo_shows_each_finished_models_verdict_and_heatmap_side_by_side(
    open_lesson, app_dirs, dataset, tiny_model, photos_of
):
    model, _ = tiny_model
    for step in LESSON_STEPS:
        finished_run(app_dirs.models, dataset, step, train=0.9, validation=0.8, model=model)
    dog = photos_of("test", "dogs")[0]
    at = open_lesson()
    at.file_uploader(key="lesson_upload").set_value((dog.name, dog.read_bytes(), "image/jpeg")).run()
    assert not at.exception, at.exception
    verdicts = [m.value for m in [*at.success, *at.warning] if "sure" in m.value]
    assert len(verdicts) == 3
    assert len(heatmaps(at)) == 3
    assert all("Where the model looked: red counted most for its verdict" in body for body in heatmaps(at))


def test_the_photos_kept_on_the_classify_page_can_be_used_too(open_lesson, app_dirs, dataset, tiny_model, photos_of):
    model, _ = tiny_model
    finished_run(app_dirs.models, dataset, OVERFIT, train=0.9, validation=0.8, model=model)
    kept = [
        KeptPhoto.keep(path.name, load_photo(path))
        for path in (photos_of("test", "cats")[0], photos_of("test", "dogs")[0])
    ]
    at = open_lesson(state={"kept_photos": kept})
    assert at.selectbox(key="lesson_photo").options == [photo.name for photo in kept]
    assert len(heatmaps(at)) == 1  # step 1's model only
    assert [c.value for c in at.main.caption].count("Not run yet on this dataset.") == 4  # steps 2, 3: twice each
