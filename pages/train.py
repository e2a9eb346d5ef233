"""Train page: train a convnet in the background and watch its accuracy and loss curves grow."""

import base64
import hmac
import html
import io
import math
import time
import uuid
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st
from PIL import ImageOps

from catdog.charts import training_figure
from catdog.config import (
    BUNDLED_MODELS,
    DATA_DIR,
    IDLE_PANEL_SECONDS,
    LIVE_PANEL_SECONDS,
    MODELS_DIR,
    PASSWORD_DELAY_S,
    PASSWORD_TRIES,
    PRETRAINED_BACKBONES,
    PUBLIC_RUNS_KEPT,
    SMALL_DATA_PER_CLASS,
    TrainConfig,
    training_setting,
)
from catdog.data import find_dataset, limit_per_class, list_datasets
from catdog.jobs import JobBusy, current_job, forget_job, start_job
from catdog.photos import PhotoError, enlarge, jpeg_bytes, load_photo, model_input, overlay
from catdog.runs import RUNNING, RunRecord, delete_run, list_runs, prune_runs, run_title
from pages import route_through_app
from pages.common import MODEL_KEY, unusable_models_ui

route_through_app()  # first: a shared link to this page opens the whole app

HEATMAP_SIDE = 224  # pixels: the watched photo, as the model sees it, enlarged
EARLIER_HEATMAPS = 8  # at most this many earlier epochs' heatmaps, small, beside the latest

PHOTOS_PER_CLASS = {
    f"{SMALL_DATA_PER_CLASS} (small data: watch it overfit)": SMALL_DATA_PER_CLASS,
    "250": 250,
    "500": 500,
    "all": None,
}


def training_allowed_ui() -> bool:
    """Whether this visitor may start runs; hosted demos turn it off or lock it behind a password."""
    try:
        secrets = dict(st.secrets)
    except FileNotFoundError:
        secrets = {}
    mode, password = training_setting(secrets)
    st.session_state["training_mode"] = mode
    if mode == "off":
        st.info("Training is turned off on this server (a hosted demo). Run the app on your own machine to train.")
        return False
    if mode == "password":
        if st.session_state.get("training_unlocked"):
            return True
        if st.session_state.get("password_tries", 0) >= PASSWORD_TRIES:
            st.error("Too many wrong passwords. Training stays locked in this browser tab.")
            return False
        st.text_input(
            "Training on this server needs a password",
            type="password",
            key="training_password",
            on_change=_check_password,
            args=(password,),
        )
        if st.session_state.get("password_tries"):
            st.error("That password is not right.")
        return False
    return True


def _check_password(password: str) -> None:
    """Each guess once, when typed; a wrong one costs its session a growing wait (1, 2, 4… s)."""
    typed = st.session_state.get("training_password", "")
    if typed and password and hmac.compare_digest(typed, password):
        st.session_state["training_unlocked"] = True
        return
    if typed:
        tries = st.session_state["password_tries"] = st.session_state.get("password_tries", 0) + 1
        time.sleep(PASSWORD_DELAY_S * 2 ** min(tries - 1, 4))


def visitor() -> str:
    """A token for this browser session: a run remembers who started it, and only they may stop it."""
    return st.session_state.setdefault("visitor", uuid.uuid4().hex)


def may_stop(job) -> bool:
    """The visitor who started the run, or one who unlocked training with the password; others watch."""
    if not st.session_state.get("may_train"):
        return False
    return job.owner == visitor() or bool(st.session_state.get("training_unlocked"))


def dataset_ui(may_train: bool) -> Path:
    """The dataset picker (only folders found under the data folder), its counts and a few samples."""
    datasets = list_datasets(DATA_DIR)
    if not datasets:
        st.info(
            "No dataset on this server yet. The server's operator can run `python -m catdog download` "
            "(or `python -m catdog import PATH` for their own photos), or point `CATDOG_DATA_DIR` at a folder "
            "with `train/` and `validation/`, each holding `cats/` and `dogs/`."
        )
        if may_train:
            download_ui()
        st.stop()
    root = st.selectbox(
        "Dataset",
        datasets,
        key="dataset",
        format_func=lambda p: str(p.relative_to(DATA_DIR)) if p != DATA_DIR else p.name,
    )
    dataset = find_dataset(root)
    counts = pd.DataFrame(dataset.counts()).T
    counts["total"] = counts.sum(axis=1)
    count_column, sample_column = st.columns([1, 2])
    count_column.dataframe(counts, key="dataset_counts")
    samples = limit_per_class(dataset.splits["train"], 4)
    sample_column.html(sample_grid_html(tuple(p for p, _ in samples)))
    return root


def download_ui() -> None:
    """Offer TensorFlow's cats_and_dogs_filtered (2,000 training and 1,000 validation photos), with a progress bar."""
    from catdog.download import TUTORIAL_SIZE, FetchError, download_dataset

    megabytes = TUTORIAL_SIZE / 1e6
    if not st.button(f"⬇ Download 3,000 photos of cats and dogs ({megabytes:.0f} MB)", key="download_dataset"):
        return
    bar = st.progress(0.0, text="Connecting…")

    def show(done: int, total: int | None) -> None:
        total = total or TUTORIAL_SIZE
        bar.progress(min(1.0, done / total), text=f"Downloading: {done / 1e6:.0f} of {total / 1e6:.0f} MB")

    try:
        download_dataset(progress=show)
    except FetchError as error:
        bar.empty()
        # Messages name folders for the operator's terminal; a visitor never sees a server path.
        st.error(f"The download failed: {str(error).replace(str(DATA_DIR), 'the data folder')}.")
        return
    st.rerun()


@st.cache_data(show_spinner=False, max_entries=16)
def sample_grid_html(paths: tuple[Path, ...]) -> str:
    """Square thumbnails inlined as data URLs: they survive the live panel's reruns every second,
    which make Streamlit drop the media files of st.image drawn outside that fragment."""
    cells = []
    for path in paths:
        thumbnail = io.BytesIO()
        ImageOps.fit(load_photo(path, max_side=256), (110, 110)).save(thumbnail, "JPEG", quality=85)
        data = base64.b64encode(thumbnail.getvalue()).decode()
        cells.append(
            f'<figure style="margin:0;text-align:center"><img src="data:image/jpeg;base64,{data}" width="110" '
            f'height="110" style="border-radius:6px" alt="{html.escape(path.name)}">'
            f'<figcaption style="font-size:0.8rem;color:#666">{html.escape(path.name)}</figcaption></figure>'
        )
    return f'<div style="display:flex;flex-wrap:wrap;gap:8px">{"".join(cells)}</div>'


STARTING_POINTS = {"scratch": "scratch (the book's convnet)"} | {
    name: f"pretrained {title} (ImageNet)" for name, title in PRETRAINED_BACKBONES.items()
}


def options_ui(root: Path) -> None:
    """The run's settings; chosen_config() reads them."""
    start = st.radio(
        "Start from",
        list(STARTING_POINTS),
        format_func=STARTING_POINTS.get,
        horizontal=True,
        key="start_from",
        help="A pretrained backbone already knows ImageNet's photos: it needs only a new head and a short fine-tune.",
    )
    left, middle, right = st.columns(3)
    per_class = middle.selectbox("Training photos per class", list(PHOTOS_PER_CLASS), index=3, key="per_class")
    defaults, preset = _defaults(start, PHOTOS_PER_CLASS[per_class])
    left.slider("Epochs", 1, 60, defaults.epochs, key=f"epochs_{preset}")
    right.toggle(
        "Data augmentation",
        value=defaults.augment,
        key=f"augment_{preset}",
        help="Random flips, turns, zooms, shifts and contrast changes of each training photo. "
        "A pretrained run without it computes each photo's features once: much faster.",
    )
    left.select_slider(
        "Learning rate", [3e-4, 1e-3, 3e-3, 1e-2], value=defaults.learning_rate, key=f"learning_rate_{start}"
    )
    with st.expander("Advanced"):
        a, b, c = st.columns(3)
        if defaults.pretrained:
            # A fixed range: a slider whose bounds follow another widget resets itself when they move.
            a.slider("Fine-tuning epochs (the last ones)", 0, 60, defaults.fine_tune_epochs, key="fine_tune")
        else:
            a.select_slider("Image size (pixels)", [64, 96, 128, 160], value=defaults.image_size, key="image_size")
            b.select_slider("Filters in the first layer", [8, 16, 24, 32, 48], value=defaults.width, key="width")
        c.select_slider("Batch size", [16, 32, 64], value=defaults.batch_size, key="batch_size")
    suggested = run_title(root, chosen_config(), datetime.now())
    middle.text_input("Run name", placeholder=suggested, key="run_name")


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
    changes = {"epochs": epochs, "augment": state[f"augment_{preset}"], "limit_per_class": limit}
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
    title = typed_name or run_title(root, config, when)
    try:
        start_job(config, root, MODELS_DIR, typed_name or file_name, owner=visitor(), title=title)
    except JobBusy as busy:
        st.session_state["start_refused"] = str(busy)
        return
    if st.session_state["training_mode"] == "password":  # a public server: visitors' runs would fill its disk
        prune_runs(MODELS_DIR, PUBLIC_RUNS_KEPT)


def job_panel_ui() -> None:
    """Live view of the server's current (or last) run: every LIVE_PANEL_SECONDS while one trains, else it
    looks for a new run (started by another visitor: the teacher's, on a class's screens) every few seconds."""
    job = current_job()
    running = bool(job and job.running)
    if running != st.session_state.get("watched_running", False):
        st.session_state["watched_running"] = running
        # A run started or ended: redraw the whole page (the panel's pace, the model picker, the past runs).
        st.rerun(scope="app")
    if job is None:
        return
    st.subheader(f"Run “{job.title}”")
    st.progress(*progress_bar(job))
    best = job.record.validation_accuracy
    a, b, c = st.columns(3)
    a.metric("Status", "stopping…" if job.stopping else job.status)
    b.metric("Best validation accuracy", "–" if best is None else f"{best:.1%}")
    c.metric("Time", f"{round(job.seconds)} s")  # the runs table's number, rounded alike, once the run has ended
    if job.error:
        st.error(job.error)
    history = {job.title: list(job.record.history)}
    accuracy_column, loss_column = st.columns(2)
    points = list(job.batch_points)
    accuracy_column.plotly_chart(training_figure(history, "accuracy", points), key="live_accuracy")
    loss_column.plotly_chart(training_figure(history, "loss", points), key="live_loss")
    where_it_looks_ui(job.record)
    if job.running and not job.stopping:
        allowed = may_stop(job)
        help_text = None if allowed else "Only the visitor who started this run can stop it."
        # A callback: the panel redraws right after it, saying "stopping…".
        st.button("⏹ Stop after this batch", key="stop", disabled=not allowed, help=help_text, on_click=job.stop)


def where_it_looks_ui(record: RunRecord) -> None:
    """The run's watched validation photo with the latest epoch's heatmap over it, and earlier epochs' beside it."""
    looked = [entry for entry in record.history if "heatmap" in entry]
    if not looked or not record.heatmap_photo:  # before the first epoch ended, or a record from before heatmaps
        return
    latest, earlier = looked[-1], looked[:-1]
    earlier = earlier[:: max(1, math.ceil(len(earlier) / EARLIER_HEATMAPS))]  # evenly spaced, from the first epoch
    try:
        images = [heatmap_jpeg(record.heatmap_photo, record.image_size, e["heatmap"]) for e in [*earlier, latest]]
    except PhotoError:
        st.caption("The validation photo watched during this run is no longer in its dataset.")
        return
    latest_column, earlier_column = st.columns([1, 2])
    latest_column.image(images[-1], caption=f"Where the model looks after epoch {latest['epoch']}", width=HEATMAP_SIDE)
    if earlier:
        captions = [f"epoch {entry['epoch']}" for entry in earlier]
        earlier_column.image(images[:-1], caption=captions, width=HEATMAP_SIDE // 2)
    earlier_column.caption(
        "One validation photo, as the model sees it, after each epoch: red where the evidence for its verdict "
        "lies, blue where none does. A model that learns moves to the animal; one that learns its training "
        "photos by heart may settle on the background."
    )


@st.cache_data(show_spinner=False, max_entries=64)
def heatmap_jpeg(path: str, image_size: int, heat: list[list[float]]) -> bytes:
    """The photo at path as a model of image_size sees it, enlarged, with the heatmap grid over it (a JPEG)."""
    photo = enlarge(model_input(load_photo(path), image_size), max(1, HEATMAP_SIDE // image_size))
    return jpeg_bytes(overlay(photo, np.array(heat, np.float32)), quality=90)


def progress_bar(job) -> tuple[float, str]:
    """(fraction done, what the run does now) for st.progress."""
    step = job.preparing
    if job.status == "preparing" and step is None:
        return 0.0, "Starting the training process…"
    if job.status == "preparing":
        what = {
            "weights": "Downloading the backbone's ImageNet weights (only the first time)",
            "decoding": "Decoding the photos",
            "features": "Computing the backbone's features of each photo, once",
        }[step.stage]
        count = f": {step.done} of {step.total}" if step.stage != "weights" else ""
        return step.done / max(1, step.total), f"{what}{count}…"
    epochs = job.config.epochs
    if job.stopping:
        return job.progress, f"Epoch {job.current_epoch}/{epochs} · stopping after this batch…"
    if job.running and not job.current_epoch:
        return 0.0, f"Epoch 1/{epochs} · first batch (TensorFlow builds the model's graph first)…"
    left = job.seconds_left
    eta = f" · about {left:.0f} s left" if left is not None and job.running else ""
    return job.progress, f"Epoch {job.current_epoch}/{epochs} · batch {job.current_batch}/{job.batches_per_epoch}{eta}"


def finished_job_ui() -> None:
    job = current_job()
    if job is None or job.running or not job.out_path.is_file():
        return
    # The picker's state can only change before the sidebar is drawn: in the click's callback.
    use = {MODEL_KEY: str(job.out_path)}
    if st.button(
        f"Use “{job.title}” to classify", key="use_model", type="primary", on_click=st.session_state.update, args=(use,)
    ):
        st.switch_page("pages/classify.py")


def past_runs_ui() -> None:
    runs = list_runs(MODELS_DIR)
    if not runs:
        return
    st.subheader("Past runs")
    # One type per column: Arrow, which draws the table, refuses a column mixing numbers and words.
    rows = [
        {
            "name": r.display_name,
            "date": r.created[:16].replace("T", " "),
            "started from": r.config.started_from,
            "augmentation": "on" if r.config.augment else "off",
            "photos/class": str(r.config.limit_per_class or "all"),
            "epochs": r.epochs_run,
            "best val. accuracy": r.validation_accuracy,
            "time": round(r.seconds) if r.seconds else None,  # s, written when the run ends; rounded as the panel
            "status": f"{r.state} · guessing: train longer" if r.guessing else r.state,
        }
        for r in runs
    ]
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        key="runs_table",
        column_config={
            "best val. accuracy": st.column_config.NumberColumn(format="percent"),
            "time": st.column_config.NumberColumn(format="%d s"),
        },
    )
    delete_run_ui(runs)
    titles = {r.name: r.display_name for r in runs}
    chosen = st.multiselect(
        "Compare runs on one chart", list(titles), default=list(titles)[:2], format_func=titles.get, key="compare"
    )
    if chosen:
        histories = {r.display_name: r.history for r in runs if r.name in chosen}
        accuracy_column, loss_column = st.columns(2)
        accuracy_column.plotly_chart(training_figure(histories, "accuracy"), key="compare_accuracy")
        loss_column.plotly_chart(training_figure(histories, "loss"), key="compare_loss")


def delete_run_ui(runs: list[RunRecord]) -> None:
    """Delete a run with its model, once confirmed; only for who may train, never a bundled model or a run going."""
    if not st.session_state.get("may_train"):
        return
    bundled = {path.resolve() for path in BUNDLED_MODELS}
    titles = {
        r.name: r.display_name
        for r in runs
        if r.state not in RUNNING and (MODELS_DIR / f"{r.name}.keras").resolve() not in bundled
    }
    if not titles:
        return
    choice, button = st.columns([3, 1], vertical_alignment="bottom")
    name = choice.selectbox("Delete a run and its model", list(titles), format_func=titles.get, key="delete_choice")
    if st.session_state.get("confirm_delete") != name:
        button.button("🗑 Delete…", key="delete", on_click=st.session_state.update, args=({"confirm_delete": name},))
        return
    st.warning(f"Delete “{titles[name]}” and its model for good?")
    yes, no = st.columns(2)
    yes.button("Yes, delete it", key="delete_yes", type="primary", on_click=_delete, args=(name,))
    no.button("Cancel", key="delete_cancel", on_click=st.session_state.pop, args=("confirm_delete", None))


def _delete(name: str) -> None:
    st.session_state.pop("confirm_delete", None)
    if not st.session_state.get("may_train"):
        return
    delete_run(MODELS_DIR, name)
    job = current_job()
    if job is not None and job.name == name:
        forget_job(job)  # its panel goes too


st.title("📈 Train a convnet")
st.write(
    "Train a model while the class watches the curves. From scratch, choose 100 photos per class "
    "and watch the training curve race ahead of the validation curve: that gap is overfitting. "
    "Then run it again with augmentation on, and compare the two runs below. From a pretrained "
    "backbone, see how far ImageNet's features get with the same photos."
)
job = current_job()
st.session_state["watched_running"] = bool(job and job.running)
# The run trains in its own process, which these reruns do not slow down.
st.fragment(job_panel_ui, run_every=LIVE_PANEL_SECONDS if job and job.running else IDLE_PANEL_SECONDS)()
finished_job_ui()
unusable_models_ui()  # here: with no dataset, the page stops further down

st.subheader("New run")
st.session_state["may_train"] = training_allowed_ui()
root = dataset_ui(st.session_state["may_train"])
options_ui(root)
may_train = st.session_state["may_train"]
st.button("▶ Start training", key="start", type="primary", disabled=not may_train, on_click=start_run)
if refused := st.session_state.pop("start_refused", None):
    st.warning(f"Only one run at a time: {refused}")
past_runs_ui()
