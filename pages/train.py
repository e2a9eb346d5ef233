"""Train page: train a convnet in the background and watch its accuracy and loss curves grow."""

import io
import math
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st
from PIL import ImageOps

from catdog.charts import training_figure
from catdog.config import (
    BACKBONES,
    BUNDLED_MODELS,
    DATA_DIR,
    IDLE_PANEL_SECONDS,
    LIVE_PANEL_SECONDS,
    MODELS_DIR,
    SMALL_DATA_PER_CLASS,
    TrainConfig,
)
from catdog.data import limit_per_class
from catdog.jobs import current_job, forget_job, starter
from catdog.photos import PhotoError, enlarge, jpeg_bytes, load_photo, model_input, overlay
from catdog.runs import AUTOMATIC_TITLE, RUNNING, RunRecord, delete_run, list_runs, phase_name, phase_times, run_title
from catdog.visitor_text import markdown_literal
from pages import route_through_app
from pages.access import training_allowed_ui, visitor
from pages.datasets import dataset, dataset_counts, pick_dataset, smallest_class
from pages.language import curve_chart_config, language, t
from pages.models import MODEL_KEY, unusable_models_ui
from pages.pictures import picture_html, scroll_into_view
from pages.runs import note_whether_running, progress_bar, redraw_if_run_changed, start_training, started_from
from pages.sidebar import presenting

route_through_app()  # first: a shared link to this page opens the whole app

HEATMAP_SIDE = 224  # pixels: the watched photo, as the model sees it, enlarged
EARLIER_HEATMAPS = 8  # at most this many earlier epochs' heatmaps, small, beside the latest

SHOW_NEW_RUN = "show_new_run"  # session state: Start just started a run, which the page scrolls to
PHOTOS_PER_CLASS = {str(SMALL_DATA_PER_CLASS): SMALL_DATA_PER_CLASS, "250": 250, "500": 500, "all": None}


def photos_per_class_labels() -> dict[str, str]:
    """How the picker shows each PHOTOS_PER_CLASS choice: the small-data lesson and "all" in words."""
    words = {SMALL_DATA_PER_CLASS: t("train.small_data", count=SMALL_DATA_PER_CLASS), None: t("train.all_photos")}
    return {choice: words.get(limit, choice) for choice, limit in PHOTOS_PER_CLASS.items()}


def may_stop(job) -> bool:
    """The visitor who started the run, or one who unlocked training with the password; others watch."""
    if not st.session_state.get("may_train"):
        return False
    return job.owner == visitor() or bool(st.session_state.get("training_unlocked"))


def may_delete(name: str) -> bool:
    """As for stopping: the run's starter, or one who unlocked training. A run no visitor started from this server
    (the command line's, or one from before a restart) has no starter to ask: who may train may delete it."""
    if not st.session_state.get("may_train"):
        return False
    return starter(name) in ("", visitor()) or bool(st.session_state.get("training_unlocked"))


def dataset_ui(may_train: bool) -> Path:
    """The dataset picker, its counts and a few samples; with no dataset, the download button where allowed."""
    root = pick_dataset("dataset", t("train.no_dataset"), when_none=download_ui if may_train else None)
    counts = pd.DataFrame(dataset_counts(root)).T
    counts.index = [t(f"split.{split}") for split in counts.index]
    counts.columns = [t(f"class.{name}") for name in counts.columns]
    counts[t("common.total")] = counts.sum(axis=1)
    count_column, sample_column = st.columns([1, 2])
    count_column.dataframe(counts, key="dataset_counts")
    samples = limit_per_class(dataset(root).splits["train"], 4)
    sample_column.html(sample_grid_html(tuple(p for p, _ in samples)))
    return root


def download_ui() -> None:
    """Offer TensorFlow's cats_and_dogs_filtered (2,000 training and 1,000 validation photos), with a progress bar."""
    from catdog.download import TUTORIAL_SIZE, FetchError, download_dataset

    megabytes = TUTORIAL_SIZE / 1e6
    if not st.button("⬇ " + t("train.download", megabytes=f"{megabytes:.0f}"), key="download_dataset"):
        return
    bar = st.progress(0.0, text=t("train.connecting"))

    def show(done: int, total: int | None) -> None:
        total = total or TUTORIAL_SIZE
        text = t("train.downloading", done=f"{done / 1e6:.0f}", total=f"{total / 1e6:.0f}")
        bar.progress(min(1.0, done / total), text=text)

    try:
        download_dataset(progress=show)
    except FetchError as error:
        bar.empty()
        # Messages name folders for the operator's terminal; a visitor never sees a server path.
        reason = error.message(language()).replace(str(DATA_DIR), t("train.the_data_folder"))
        st.error(t("train.download_failed", reason=reason))
        return
    st.rerun()


@st.cache_data(show_spinner=False, max_entries=16)
def sample_grid_html(paths: tuple[Path, ...]) -> str:
    """Square thumbnails inlined in the page (pages.pictures): the live panel reruns every second."""
    cells = []
    for path in paths:
        thumbnail = io.BytesIO()
        ImageOps.fit(load_photo(path, max_side=256), (110, 110)).save(thumbnail, "JPEG", quality=85)
        cells.append(picture_html(thumbnail.getvalue(), path.name, width="110px"))
    return f'<div style="display:flex;flex-wrap:wrap;gap:8px">{"".join(cells)}</div>'


def starting_point_labels() -> dict[str, str]:
    """The "Start from" choices in words: scratch, or a pretrained backbone by its name."""
    pretrained = {name: t("train.start_pretrained", backbone=b.title) for name, b in BACKBONES.items()}
    return {"scratch": t("train.start_scratch")} | pretrained


def options_ui(root: Path) -> None:
    """The run's settings; chosen_config() reads them.

    Choices are labelled from dicts made in this run's language: a widget may call its format_func between runs.
    """
    starting_points = starting_point_labels()
    start = st.radio(
        t("train.start_from"),
        list(starting_points),
        format_func=starting_points.__getitem__,
        horizontal=True,
        key="start_from",
        help=t("train.start_from_help"),
    )
    left, middle, right = st.columns(3)
    per_class = middle.selectbox(
        t("train.per_class"),
        list(PHOTOS_PER_CLASS),
        index=3,
        format_func=photos_per_class_labels().__getitem__,
        key="per_class",
    )
    have = smallest_class(root)
    if PHOTOS_PER_CLASS[per_class] and PHOTOS_PER_CLASS[per_class] > have:
        middle.warning(t("train.fewer_photos", have=have, asked=PHOTOS_PER_CLASS[per_class]))
    defaults, preset = _defaults(start, PHOTOS_PER_CLASS[per_class])
    left.slider(t("train.epochs"), 1, 60, defaults.epochs, key=f"epochs_{preset}")
    right.toggle(
        t("train.augmentation"), value=defaults.augment, key=f"augment_{preset}", help=t("train.augmentation_help")
    )
    left.select_slider(
        t("train.learning_rate"), [3e-4, 1e-3, 3e-3, 1e-2], value=defaults.learning_rate, key=f"learning_rate_{start}"
    )
    with st.expander(t("train.advanced")):
        a, b, c = st.columns(3)
        if defaults.pretrained:
            # A fixed range: a slider whose bounds follow another widget resets itself when they move.
            a.slider(t("train.fine_tune_epochs"), 0, 60, defaults.fine_tune_epochs, key="fine_tune")
        else:
            a.select_slider(t("train.image_size"), [64, 80, 96, 128, 160], value=defaults.image_size, key="image_size")
            b.select_slider(t("train.width"), [8, 16, 24, 32, 48], value=defaults.width, key="width")
        c.select_slider(t("train.batch_size"), [16, 32, 64], value=defaults.batch_size, key="batch_size")
    suggested = run_title(root, chosen_config(), datetime.now(), language())
    middle.text_input(t("train.run_name"), placeholder=suggested, key="run_name")


def _defaults(start: str, limit: int | None) -> tuple[TrainConfig, str]:
    """(the defaults, the name of their widgets' set): each starting point has its own, and so has the
    small-data lesson from scratch."""
    if start != "scratch":
        return TrainConfig.transfer(start, augment=False), start
    if limit == SMALL_DATA_PER_CLASS:
        return TrainConfig.small_data(), "small_data"
    return TrainConfig(), start


def chosen_config() -> TrainConfig:
    """The run that options_ui's widgets describe, from their session state: Start's callback runs before
    the page (and its widgets) is drawn again, and sees the visitor's latest changes there."""
    state = st.session_state
    limit = PHOTOS_PER_CLASS[state["per_class"]]
    defaults, preset = _defaults(state["start_from"], limit)
    epochs = state[f"epochs_{preset}"]
    # What the run can actually get: "100 per class" on a dataset of 40 a class trains, and is named, on 40.
    got = limit and min(limit, smallest_class(state["dataset"]))
    changes = {"epochs": epochs, "augment": state[f"augment_{preset}"], "limit_per_class": got or None}
    changes |= {"learning_rate": state[f"learning_rate_{state['start_from']}"], "batch_size": state["batch_size"]}
    if defaults.pretrained:
        changes["fine_tune_epochs"] = min(state["fine_tune"], epochs)
    else:
        changes |= {"image_size": state["image_size"], "width": state["width"]}
    return replace(defaults, **changes)


def start_run() -> None:
    """Start's callback: it runs before the page is drawn again, which then shows the new run's panel at once."""
    config, root, typed_name = chosen_config(), st.session_state["dataset"], st.session_state["run_name"].strip()
    when = datetime.now()
    augment = "aug" if config.augment else "noaug"
    file_name = f"{config.pretrained or 'scratch'}-{augment}-{config.limit_per_class or 'all'}pc-{when:%m%d-%H%M}"
    # Untyped, its name is worded for each reader from the record (RunRecord.title_key), in their language.
    refused = start_training(config, root, typed_name or file_name, typed_name, "" if typed_name else AUTOMATIC_TITLE)
    st.session_state["start_refused"], st.session_state[SHOW_NEW_RUN] = refused, refused is None


def job_panel_ui() -> None:
    """Live view of the server's current (or last) run: every LIVE_PANEL_SECONDS while one trains, else it
    looks for a new run (started by another visitor: the teacher's, on a class's screens) every few seconds."""
    redraw_if_run_changed()  # the panel's pace, the model picker and the past runs change with it
    job = current_job()
    if job is None:
        return
    if not job.running and not job.record.history:  # it failed, or was stopped, before learning anything
        ended_early_ui(job)
        return
    st.subheader(t("train.run", title=markdown_literal(job.title(language()))))  # a visitor's words, never Markdown
    st.progress(*progress_bar(job))
    best = job.record.validation_accuracy
    a, b, c = st.columns(3)
    a.metric(t("train.status"), t("train.stopping") if job.stopping else t(f"status.{job.status}"))
    b.metric(t("train.best_validation_accuracy"), "–" if best is None else f"{best:.1%}")
    # The runs table's number, rounded alike, once the run has ended.
    c.metric(t("train.time"), t("train.seconds", seconds=round(job.seconds)))
    phases_ui(job)
    why = job.record.error_message(language())
    if why:
        st.error(markdown_literal(why))  # it may name the run or the dataset
    history = {job.title(language()): list(job.record.history)}
    # In presentation mode one chart above the other, each as wide as the screen.
    accuracy_column, loss_column = (st.container(), st.container()) if presenting() else st.columns(2)
    points, present = list(job.batch_points), presenting()
    for column, metric in ((accuracy_column, "accuracy"), (loss_column, "loss")):
        figure = training_figure(history, metric, points, language(), present)
        column.plotly_chart(figure, key=f"live_{metric}", config=curve_chart_config())
    where_it_looks_ui(job.record)
    if job.running and not job.stopping:
        allowed = may_stop(job)
        help_text = None if allowed else t("train.only_starter_stops")
        # A callback: the panel redraws right after it, saying "stopping…".
        st.button("⏹ " + t("train.stop"), key="stop", disabled=not allowed, help=help_text, on_click=job.stop)


def phases_ui(job) -> None:
    """Which phase runs now (the backbone's features with their count) and how long each phase has taken."""
    lines = []
    if job.running and job.phase == "features" and job.preparing and job.preparing.stage == "features":
        lines.append(t("train.progress.features", done=job.preparing.done, total=job.preparing.total))
    elif job.running and job.phase:
        lines.append(t("train.phase_now", phase=phase_name(job.phase, language())))
    if job.record.phase_seconds:
        lines.append(t("train.phase_times", times=phase_times(job.record.phase_seconds, language())))
    if lines:
        st.caption(" ".join(lines))


def ended_early_ui(job) -> None:
    """A run that ended before its first epoch: one line saying why, not a headline with empty charts."""
    title = markdown_literal(job.title(language()))  # a visitor's words, never Markdown
    why = job.record.error_message(language())
    if why:
        st.error(t("train.run_failed", title=title, reason=markdown_literal(why)))  # it may name the dataset
    else:
        st.info(t("train.run_ended_early", title=title, status=t(f"status.{job.status}")))


def where_it_looks_ui(record: RunRecord) -> None:
    """The run's watched validation photo with the latest epoch's heatmap over it, and earlier epochs' beside it."""
    looked = [entry for entry in record.history if entry.heatmap]
    if not looked or not record.heatmap_photo:  # before the first epoch ended, or a record from before heatmaps
        return
    latest, earlier = looked[-1], looked[:-1]
    earlier = earlier[:: max(1, math.ceil(len(earlier) / EARLIER_HEATMAPS))]  # evenly spaced, from the first epoch
    try:
        images = [heatmap_jpeg(record.heatmap_photo, record.image_size, e.heatmap) for e in [*earlier, latest]]
    except PhotoError:
        st.caption(t("train.watched_photo_gone"))
        return
    latest_column, earlier_column = st.columns([1, 2])
    latest_column.image(images[-1], caption=t("train.looks_after_epoch", epoch=latest.epoch), width=HEATMAP_SIDE)
    if earlier:
        captions = [t("train.epoch", epoch=entry.epoch) for entry in earlier]
        earlier_column.image(images[:-1], caption=captions, width=HEATMAP_SIDE // 2)
    earlier_column.caption(t("train.looks_explained"))


@st.cache_data(show_spinner=False, max_entries=64)
def heatmap_jpeg(path: str, image_size: int, heat: list[list[float]]) -> bytes:
    """The photo at path as a model of image_size sees it, enlarged, with the heatmap grid over it (a JPEG)."""
    photo = enlarge(model_input(load_photo(path), image_size), max(1, HEATMAP_SIDE // image_size))
    return jpeg_bytes(overlay(photo, np.array(heat, np.float32)), quality=90)


def finished_job_ui() -> None:
    job = current_job()
    if job is None or job.running or not job.out_path.is_file():
        return
    # The picker's state can only change before the sidebar is drawn: in the click's callback.
    use = {MODEL_KEY: str(job.out_path)}
    if st.button(
        t("train.use_model", title=markdown_literal(job.title(language()))),
        key="use_model",
        type="primary",
        on_click=st.session_state.update,
        args=(use,),
    ):
        st.switch_page("pages/classify.py")


def past_runs_ui() -> None:
    runs = list_runs(MODELS_DIR)
    if not runs:
        return
    st.subheader(t("train.past_runs"))
    # One type per column: Arrow, which draws the table, refuses a column mixing numbers and words.
    rows = [
        {  # what a class compares first (name, score, state) on the left, where a narrow screen shows it
            t("train.runs.name"): r.display_name(language()),
            # in percent to one decimal, as the live panel says it: 81.0%, never 81% beside 80.55%
            t("train.runs.best_accuracy"): None if r.validation_accuracy is None else 100 * r.validation_accuracy,
            t("train.runs.status"): t("train.guessing", state=t(f"status.{r.state}"))
            if r.guessing
            else t(f"status.{r.state}"),
            # s, written when the run ends; rounded as the panel
            t("train.runs.time"): round(r.seconds) if r.seconds else None,
            t("train.runs.started_from"): started_from(r.config),
            t("train.runs.augmentation"): t("train.on") if r.config.augment else t("train.off_short"),
            t("train.runs.photos_per_class"): str(r.config.limit_per_class or t("train.all_photos")),
            t("train.runs.epochs"): r.epochs_run,
            t("train.runs.precision"): r.precision,  # as trained; empty for an older record, not "None"
            t("train.runs.date"): r.created[:16].replace("T", " "),
            t("train.runs.why"): r.error_message(language()) or "",  # a failed run's reason, in this language
        }
        for r in runs
    ]
    table, why = pd.DataFrame(rows), t("train.runs.why")
    if not table[why].any():
        table = table.drop(columns=why)  # no run failed: no empty column
    st.dataframe(
        table,
        hide_index=True,
        key="runs_table",
        column_config={
            t("train.runs.name"): st.column_config.TextColumn(width="large"),  # automatic names differ at the end
            t("train.runs.best_accuracy"): st.column_config.NumberColumn(format="%.1f%%"),
            t("train.runs.time"): st.column_config.NumberColumn(format=t("train.runs.seconds_format")),
            t("train.runs.status"): st.column_config.TextColumn(width="medium"),
        },
    )
    delete_run_ui(runs)
    # A run that learned nothing draws nothing: it is not offered.
    titles = {r.name: r.display_name(language()) for r in runs if r.history}
    chosen = st.multiselect(
        t("train.compare_runs"), list(titles), default=list(titles)[:2], format_func=titles.get, key="compare"
    )
    if chosen:
        histories = {r.display_name(language()): r.history for r in runs if r.name in chosen}
        accuracy_column, loss_column = st.columns(2)
        for column, metric in ((accuracy_column, "accuracy"), (loss_column, "loss")):
            figure = training_figure(histories, metric, lang=language(), present=presenting())
            column.plotly_chart(figure, key=f"compare_{metric}", config=curve_chart_config())


def delete_run_ui(runs: list[RunRecord]) -> None:
    """Delete a run with its model, once confirmed; only who may delete it, never a bundled model or a run going."""
    bundled = {path.resolve() for path in BUNDLED_MODELS}
    titles = {
        r.name: r.display_name(language())
        for r in runs
        if may_delete(r.name) and r.state not in RUNNING and (MODELS_DIR / f"{r.name}.keras").resolve() not in bundled
    }
    if not titles:
        return
    choice, button = st.columns([3, 1], vertical_alignment="bottom")
    name = choice.selectbox(t("train.delete_run"), list(titles), format_func=titles.get, key="delete_choice")
    if st.session_state.get("confirm_delete") != name:
        button.button(
            "🗑 " + t("train.delete"), key="delete", on_click=st.session_state.update, args=({"confirm_delete": name},)
        )
        return
    st.warning(t("train.delete_for_good", title=markdown_literal(titles[name])))
    yes, no = st.columns(2)
    yes.button(t("train.delete_yes"), key="delete_yes", type="primary", on_click=_delete, args=(name,))
    no.button(
        t("train.delete_cancel"), key="delete_cancel", on_click=st.session_state.pop, args=("confirm_delete", None)
    )


def _delete(name: str) -> None:
    st.session_state.pop("confirm_delete", None)
    if not may_delete(name):
        return
    delete_run(MODELS_DIR, name)
    job = current_job()
    if job is not None and job.name == name:
        forget_job(job)  # its panel goes too


st.title("📈 " + t("train.title"))
st.write(t("train.intro"))
# The run trains in its own process, which these reruns do not slow down.
with st.container(key="run_panel"):
    st.fragment(job_panel_ui, run_every=LIVE_PANEL_SECONDS if note_whether_running() else IDLE_PANEL_SECONDS)()
if st.session_state.pop(SHOW_NEW_RUN, False):
    scroll_into_view("run_panel")  # Start sits below the fold, the new run's panel at the top
finished_job_ui()
unusable_models_ui()  # here: with no dataset, the page stops further down

st.subheader(t("train.new_run"))
st.session_state["may_train"] = training_allowed_ui()
root = dataset_ui(st.session_state["may_train"])
options_ui(root)
may_train = st.session_state["may_train"]
st.button("▶ " + t("train.start"), key="start", type="primary", disabled=not may_train, on_click=start_run)
if refused := st.session_state.pop("start_refused", None):
    st.warning(t("train.one_run_at_a_time", reason=markdown_literal(refused)))
past_runs_ui()
