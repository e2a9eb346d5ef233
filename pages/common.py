"""Widgets and cached loaders shared by the pages (this file is not a page itself)."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pandas as pd
import streamlit as st

from catdog.config import BUNDLED_MODEL, BUNDLED_MODELS, MODELS_DIR
from catdog.runs import list_models, read_record

MODEL_KEY = "model_path"  # session state: the model the visitor picked, kept across pages

log = logging.getLogger("catdog")


@st.cache_resource(show_spinner=False, max_entries=8)
def load_classifier(path: str, modified: float):
    """Load a model once per server process; `modified` reloads a file that was replaced.

    Its Grad-CAM is traced here too (3 s for MobileNetV2), while a first visitor picks a photo,
    rather than after their first upload.
    """
    import numpy as np

    from catdog.explain import heatmap
    from catdog.predict import Classifier  # imports TensorFlow: only once a model is needed

    classifier = Classifier.load(path)
    heatmap(classifier.model, np.zeros((classifier.image_size, classifier.image_size, 3), np.uint8))
    return classifier


def try_load_classifier(path: Path):
    """The model at path, loaded once per server process, or a catdog.model.UnusableModel saying why it cannot be.

    The picker offers only models that passed check_model, but a file can be replaced after its check.
    """
    try:
        return load_classifier(str(path), path.stat().st_mtime)
    except Exception:  # noqa: BLE001 -- whatever is in the file now, the page goes on
        log.warning("the model %s could not be loaded", path, exc_info=True)  # the details, for the operator only
        from catdog.model import UnusableModel, check_model

        _forget_checks(path)  # check the file as it is now, and the picker follows from the next run on
        version = _version(path)
        problem = _check_model(*version) if version else check_model(path)
        return problem or UnusableModel(path, "it could not be loaded")


def current_classifier():
    """The picked model, loaded (with a spinner the first time); stops the page with a message when it cannot be."""
    path = Path(st.session_state.get(MODEL_KEY) or BUNDLED_MODEL)
    with st.spinner("Loading the model (the first time takes a few seconds)…"):
        classifier = try_load_classifier(path)
    from catdog.model import UnusableModel  # TensorFlow is loaded by now

    if isinstance(classifier, UnusableModel):
        st.error(
            f"The model “{path.stem}” cannot be used: {classifier.reason}. "
            "Pick another one in the sidebar, or train one on the Train page."
        )
        st.stop()
    return classifier


@st.cache_data(show_spinner=False, max_entries=1024)
def _check_model(path: str, modified: float, size: int):
    """check_model once per version of a file: (path, modification time, size)."""
    from catdog.model import check_model  # imports TensorFlow

    unusable = check_model(path)
    if unusable:
        log.warning("%s is not offered in the model picker: %s", path, unusable.reason)
    return unusable


@st.cache_data(show_spinner=False, max_entries=1024)
def _sha256(path: str, modified: float, size: int) -> str | None:
    try:
        with open(path, "rb") as file:
            return hashlib.file_digest(file, "sha256").hexdigest()
    except OSError:
        return None


def _version(path: Path) -> tuple[str, float, int] | None:
    """(path, modification time, size): what the checks are cached by; None for a file gone since it was listed."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return str(path), stat.st_mtime, stat.st_size


def _forget_checks(path: Path) -> None:
    version = _version(path)
    if version:
        _check_model.clear(*version)
        _sha256.clear(*version)


def checked_models() -> tuple[list[Path], list]:
    """(the models the picker offers, the files that cannot be used: catdog.model.UnusableModel).

    Each version of a file is loaded once per server process to check it. A copy of a bundled
    model (the same bytes under another path) is offered once, under the bundled model's name.
    """
    usable, unusable = [], []
    bundled = {}  # size: versions of the bundled models offered; only a file of the same size is hashed
    for path in list_models(MODELS_DIR):
        version = _version(path)
        if version is None:
            continue
        size = version[2]
        if path not in BUNDLED_MODELS and bundled.get(size):
            digest = _sha256(*version)
            if digest and any(digest == _sha256(*same_size) for same_size in bundled[size]):
                continue
        # The bundled models ship with the app and its tests; checking them would load TensorFlow before
        # a visitor's first page could show. Should one be damaged, try_load_classifier still says so.
        problem = None if path in BUNDLED_MODELS else _check_model(*version)
        if problem:
            unusable.append(problem)
            continue
        usable.append(path)
        if path in BUNDLED_MODELS:
            bundled.setdefault(size, []).append(version)
    return usable, unusable


def usable_models() -> list[Path]:
    """The models the picker offers: the bundled ones first (the default first), then the newest first."""
    return checked_models()[0]


def unusable_models_ui() -> None:
    """The files among the models that cannot be used, each with why (by file name: never a server path)."""
    unusable = checked_models()[1]
    if not unusable:
        return
    with st.expander(f"⚠️ Models that cannot be used ({len(unusable)})"):
        st.caption("These files in the models folder are not offered in the model picker.")
        table = pd.DataFrame({"file": [u.path.name for u in unusable], "why": [u.reason for u in unusable]})
        st.dataframe(table, hide_index=True, key="unusable_models")


def model_label(path: Path) -> str:
    """A model's name, what it started from and its best score: 'catdog · pretrained MobileNetV2 1.0 · 99% accuracy'.

    A model that scored about 50% says 'guessing: train longer' instead of its score.
    """
    record = read_record(path)
    if record is None:
        return path.stem
    name = f"{record.title or path.stem} · " + (
        f"pretrained {record.config.started_from}" if record.config.pretrained else "scratch"
    )
    if record.guessing:
        return f"{name} · guessing: train longer"
    score = record.test_accuracy or record.validation_accuracy
    return name + (f" · {score:.0%} accuracy" if score else "")


def default_model(models: list[Path]) -> Path:
    """The first model that is not guessing (the bundled one, when it is there); the first one if all are."""
    return next((path for path in models if not _guessing(path)), models[0])


def _guessing(path: Path) -> bool:
    record = read_record(path)
    return record is not None and record.guessing


def model_picker_ui() -> Path | None:
    """Sidebar choice of model with its record; returns the chosen path."""
    with st.spinner("Checking the models (the first time takes a few seconds)…"):
        models = usable_models()
    with st.sidebar:
        st.subheader("Model")
        if not models:
            st.warning("No model yet: train one on the Train page.")
            return None
        options = [str(p) for p in models]
        if st.session_state.get(MODEL_KEY) not in options:
            st.session_state[MODEL_KEY] = str(default_model(models))
        chosen = Path(st.selectbox("Classify with", options, key=MODEL_KEY, format_func=lambda p: model_label(Path(p))))
        model_details_ui(chosen)
    return chosen


def model_details_ui(path: Path) -> None:
    record = read_record(path)
    if record is None:
        st.caption("No run record saved with this model.")
        return
    config = record.config
    started_from = f"{config.started_from} (ImageNet)" if config.pretrained else "scratch"
    lines = [
        *([f"**Run** {record.title}"] if record.title else []),  # in full: the picker cuts long names short
        f"**Started from** {started_from}",
        f"**Input** {record.image_size} × {record.image_size} pixels",
        f"**Trained** {record.created[:16].replace('T', ' ')} on {record.train_photos} photos "
        f"({Path(record.data).name}), {record.epochs_run} epochs, augmentation {'on' if config.augment else 'off'}",
        f"**Validation accuracy** {_percent(record.validation_accuracy)}",
        f"**Test accuracy** {_percent(record.test_accuracy)}",
    ]
    st.caption("  \n".join(lines))


def _percent(value) -> str:
    return "–" if value is None else f"{value:.1%}"
