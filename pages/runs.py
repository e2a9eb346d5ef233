"""A training run as the Train and Lesson pages start and show it: how far it has got, what it started from."""

from pathlib import Path

import streamlit as st

import catdog.config
from catdog import jobs
from catdog.config import PUBLIC_RUNS_KEPT, TrainConfig
from catdog.jobs import JobBusy, current_job
from catdog.runs import prune_runs
from pages.access import training_setting_now, visitor
from pages.language import language, t

WATCHED_KEY = "watched_running"  # session state: whether a run was going at the page's last look


def start_training(config: TrainConfig, dataset: Path, name: str, title: str = "", title_key: str = "") -> str | None:
    """Start this visitor's run on the server, named `title` as typed or by `title_key` in each reader's language
    (RunRecord.title_key); None, or why it could not start (another run is going).

    On a password-protected (public) server the oldest visitors' runs go, so their models cannot fill its disk.
    """
    try:
        jobs.start_job(
            config, dataset, catdog.config.MODELS_DIR, name, owner=visitor(), title=title, title_key=title_key
        )
    except JobBusy as busy:
        return busy.message(language())
    if training_setting_now()[0] == "password":
        prune_runs(catdog.config.MODELS_DIR, PUBLIC_RUNS_KEPT)
    return None


def note_whether_running() -> bool:
    """Whether the server's run is going now, remembered for redraw_if_run_changed; at the top of the page."""
    job = current_job()
    st.session_state[WATCHED_KEY] = running = bool(job and job.running)
    return running


def redraw_if_run_changed() -> None:
    """In a fragment that looks every few seconds: when a run started or ended since the page's last look (maybe
    another visitor's: the teacher's, on a class's screens), redraw the whole page with it."""
    job = current_job()
    running = bool(job and job.running)
    if running != st.session_state.get(WATCHED_KEY, False):
        st.session_state[WATCHED_KEY] = running
        st.rerun(scope="app")


def progress_bar(job) -> tuple[float, str]:
    """(fraction done, what the run does now) for st.progress."""
    step = job.preparing
    if job.status == "preparing" and step is None:
        return 0.0, t("train.progress.starting")
    if job.status == "preparing":  # one sentence per stage: "weights", "decoding", "features"
        return step.done / max(1, step.total), t(f"train.progress.{step.stage}", done=step.done, total=step.total)
    epochs = job.config.epochs
    if job.stopping:
        return job.progress, t("train.progress.stopping", epoch=job.current_epoch, epochs=epochs)
    if job.running and not job.current_epoch:
        return 0.0, t("train.progress.first_batch", epochs=epochs)
    left = job.seconds_left
    where = dict(epoch=job.current_epoch, epochs=epochs, batch=job.current_batch, batches=job.batches_per_epoch)
    if left is not None and job.running:
        return job.progress, t("train.progress.batch_left", seconds=f"{left:.0f}", **where)
    return job.progress, t("train.progress.batch", **where)


def started_from(config: TrainConfig) -> str:
    """What a model started from, one way everywhere: 'scratch', or 'pretrained MobileNetV2 1.0', in the visitor's
    language (the backbone's name is a name: never translated)."""
    return t("model.pretrained", backbone=config.started_from) if config.pretrained else t("model.scratch")
