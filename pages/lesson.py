"""Lesson page: the chapter's story as three real runs, each with the teacher's notes, then the runs compared."""

from pathlib import Path

import streamlit as st

from catdog.charts import RUN_COLOURS, training_figure
from catdog.config import (
    IDLE_PANEL_SECONDS,
    LESSON_VALIDATION_PHOTOS,
    LIVE_PANEL_SECONDS,
    MODELS_DIR,
    PHOTO_SUFFIXES,
    SMALL_DATA_PER_CLASS,
)
from catdog.jobs import current_job
from catdog.lesson import LESSON_STEPS, LessonStep, lesson_histories, lesson_models, lesson_runs, lesson_step
from catdog.photos import PhotoError, jpeg_bytes, load_photo, overlay
from catdog.runs import RunRecord
from catdog.visitor_text import markdown_literal
from catdog.wording import UnusableModel, is_unsure, label_of, verdict
from pages import route_through_app
from pages.access import training_setting_now
from pages.datasets import dataset_counts, pick_dataset, smallest_class
from pages.kept_photos import kept_photos
from pages.language import curve_chart_config, language, t
from pages.models import load_classifier, try_load_classifier
from pages.pictures import picture_html
from pages.runs import note_whether_running, progress_bar, redraw_if_run_changed, start_training
from pages.sidebar import presenting

route_through_app()  # first: a shared link to this page opens the whole app

COLOURS = {step.key: RUN_COLOURS[i] for i, step in enumerate(LESSON_STEPS)}  # a step's colour on every chart
HEATMAP_SIDE = 384  # pixels on the long side of the class's photo under each model


def may_train_ui() -> bool:
    """Whether this visitor may start the steps: not on a server with training off, and in password mode only
    once unlocked on the Train page (which keeps the password box and its limits in one place)."""
    mode = training_setting_now()[0]
    if mode == "off":
        st.info(t("train.off"))
        return False
    if mode == "password" and not st.session_state.get("training_unlocked"):
        st.info(t("lesson.locked"))
        st.page_link("pages/train.py", label=t("lesson.unlock"), icon="🔑")
        return False
    return True


def dataset_ui() -> Path:
    """The dataset the steps train on, picked as on the Train page; with none, a link to get one."""

    def link_to_download() -> None:
        st.page_link("pages/train.py", label=t("lesson.get_dataset"), icon="⬇")

    return pick_dataset("lesson_dataset", t("lesson.no_dataset"), when_none=link_to_download)


def dataset_size_ui(dataset: Path) -> None:
    """On a smaller dataset than the notes speak of, what the steps will really train on and be judged on."""
    per_class = smallest_class(dataset)
    validation = sum(dataset_counts(dataset).get("validation", {}).values())
    if per_class < SMALL_DATA_PER_CLASS or validation < LESSON_VALIDATION_PHOTOS:
        used = min(per_class, SMALL_DATA_PER_CLASS)
        st.warning(t("lesson.smaller_dataset", per_class=used, validation=validation))


def job_step(job, dataset: Path) -> LessonStep | None:
    """The step the server's current (or last) run trains, when it is one of them on this dataset."""
    if job is None or job.data_dir.resolve() != dataset.resolve():
        return None
    return lesson_step(job.record)


def start_step(step: LessonStep, dataset: Path) -> None:
    """A step's button's callback: start its run as the Train page's Start would."""
    refused = start_training(step.config, dataset, step.run_name, title_key=step.title)  # worded per reader
    st.session_state["lesson_refused"] = refused


def step_ui(number: int, step: LessonStep, run: RunRecord | None, dataset: Path, may_train: bool) -> None:
    """One step: its title, the teacher's notes, where it stands (not run, training, done), and its button."""
    job = current_job()
    busy = bool(job and job.running)
    mine = job_step(job, dataset) == step
    with st.container(border=True):
        st.subheader(t(step.title))
        with st.expander(t("lesson.notes"), expanded=run is None):
            for part, note in (("before", step.before), ("during", step.during), ("after", step.after)):
                st.markdown(f"**{t(f'lesson.notes_{part}')}** {t(note)}")
        if mine and busy:
            st.fragment(live_run_ui, run_every=LIVE_PANEL_SECONDS)(step)
        elif run is not None:
            finished_ui(run)
        else:
            st.caption(t("lesson.not_run"))
        if mine and job.status == "failed":
            st.error(markdown_literal(job.record.error_message(language())))
        if may_train:
            st.button(
                "▶ " + t("lesson.run_again" if run else "lesson.run", number=number),
                key=f"run_{step.key}",
                disabled=busy,
                help=t("lesson.busy", title=markdown_literal(job.title(language()))) if busy else None,
                on_click=start_step,
                args=(step, dataset),
            )


def finished_ui(run: RunRecord) -> None:
    """The last epoch's training and validation accuracy, the gap between them, and the run's time."""
    last = run.history[-1]
    train, validation = last.accuracy, last.val_accuracy
    a, b, c, d = st.columns(4)
    a.metric(t("lesson.train_accuracy"), "–" if train is None else f"{train:.0%}")
    b.metric(t("lesson.validation_accuracy"), "–" if validation is None else f"{validation:.0%}")
    gap = None if train is None or validation is None else round(100 * (train - validation))
    c.metric(t("lesson.gap"), "–" if gap is None else str(gap))
    d.metric(t("train.time"), t("train.seconds", seconds=round(run.seconds)))


def live_run_ui(step: LessonStep) -> None:
    """The step's run as it trains, redrawn every LIVE_PANEL_SECONDS: its progress and its curves."""
    redraw_if_run_changed()  # once it ends, the page shows its scores, and the buttons come back
    job = current_job()
    st.progress(*progress_bar(job))
    history, points = {t(step.title): list(job.record.history)}, list(job.batch_points)
    accuracy_column, loss_column = st.columns(2)
    for column, metric in ((accuracy_column, "accuracy"), (loss_column, "loss")):
        figure = training_figure(history, metric, points, language(), presenting(), colours=[COLOURS[step.key]])
        column.plotly_chart(figure, key=f"lesson_live_{metric}", config=curve_chart_config())


def comparison_ui(runs: dict[str, RunRecord | None]) -> None:
    """The finished steps' curves on one accuracy chart and one loss chart, each step in its own colour."""
    st.header(t("lesson.compare_title"))
    histories = lesson_histories(runs, language())
    if not histories:
        st.caption(t("lesson.compare_empty"))
        return
    colours = [COLOURS[step.key] for step in LESSON_STEPS if runs[step.key] is not None]
    for metric in ("accuracy", "loss"):  # each the page's width: room for the three runs' legend under the curves
        figure = training_figure(histories, metric, lang=language(), present=presenting(), colours=colours)
        st.plotly_chart(figure, key=f"lesson_compare_{metric}", config=curve_chart_config())


def class_photo_ui() -> bytes | None:
    """The class's photo as a JPEG: one uploaded here, or one kept on the Classify page; None until there is one."""
    upload = st.file_uploader(t("lesson.uploader"), type=[suffix[1:] for suffix in PHOTO_SUFFIXES], key="lesson_upload")
    choices = {}  # name shown: the photo as a JPEG
    if upload is not None:
        try:
            choices[upload.name] = jpeg_bytes(load_photo(upload))
        except PhotoError as error:
            st.error(t("classify.unreadable", reason=error.message(language())), icon="⚠️")
    for kept in kept_photos():  # the Classify page's, newest first
        choices.setdefault(kept.name, kept.jpeg)
    if not choices:
        st.caption(t("lesson.no_photo"))
        return None
    if len(choices) == 1:
        return next(iter(choices.values()))
    return choices[st.selectbox(t("lesson.which_photo"), list(choices), key="lesson_photo")]


@st.cache_data(show_spinner=False, max_entries=32)
def verdict_and_heatmap(model_path: str, modified: float, photo: bytes) -> tuple[float, bytes]:
    """(dog probability, the photo with its Grad-CAM heatmap over it as a JPEG) under one model."""
    classifier = load_classifier(model_path, modified)
    shown = load_photo(photo)
    prediction = classifier.classify_photo(shown)
    shown.thumbnail((HEATMAP_SIDE, HEATMAP_SIDE))
    return prediction.dog_probability, jpeg_bytes(overlay(shown, classifier.heatmap_of(prediction)), 85)


def photo_under_models_ui(runs: dict[str, RunRecord | None]) -> None:
    """The class's photo under each finished step's model, side by side: its verdict and where it looked."""
    st.header(t("lesson.photo_title"))
    st.write(t("lesson.photo_intro"))
    photo = class_photo_ui()
    if photo is None:
        return
    models = lesson_models(MODELS_DIR, runs)
    if not models:
        st.caption(t("lesson.no_models"))
        return
    for column, step in zip(st.columns(len(LESSON_STEPS)), LESSON_STEPS):
        column.markdown(f"**{t(step.title)}**")
        if step.key not in models:
            column.caption(t("lesson.not_run"))
            continue
        path = models[step.key]
        with column, st.spinner(t("common.loading_model")):
            classifier = try_load_classifier(path)
        if isinstance(classifier, UnusableModel):
            column.warning(t("lesson.model_unusable", reason=classifier.reason(language())))
            continue
        probability, looked = verdict_and_heatmap(str(path), path.stat().st_mtime, photo)
        said = verdict(probability, language())
        if is_unsure(probability):
            column.warning(f"🤔 **{said}**")
        else:
            column.success(f"{'🐶' if label_of(probability) == 'dog' else '🐱'} **{said}**")
        column.html(picture_html(looked, t("classify.where_it_looked")))


st.title("🎓 " + t("lesson.title"))
st.write(t("lesson.intro"))
may_train = may_train_ui()
dataset = dataset_ui()
dataset_size_ui(dataset)
running, job = note_whether_running(), current_job()
if not (running and job_step(job, dataset)):  # else the running step's live panel watches
    st.fragment(redraw_if_run_changed, run_every=IDLE_PANEL_SECONDS)()
if job and job.running and may_train:
    st.info(t("lesson.busy", title=markdown_literal(job.title(language()))))  # maybe a run a visitor named
if refused := st.session_state.pop("lesson_refused", None):
    st.warning(t("train.one_run_at_a_time", reason=markdown_literal(refused)))
runs = lesson_runs(MODELS_DIR, dataset)
for number, step in enumerate(LESSON_STEPS, start=1):
    step_ui(number, step, runs[step.key], dataset, may_train)
comparison_ui(runs)
photo_under_models_ui(runs)
