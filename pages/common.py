"""Widgets and cached loaders shared by the pages (this file is not a page itself)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from catdog.config import BUNDLED_MODEL, MODELS_DIR, PRETRAINED_BACKBONES
from catdog.runs import list_models, read_record

MODEL_KEY = "model_path"  # session state: the model the visitor picked, kept across pages


@st.cache_resource(show_spinner=False, max_entries=8)
def load_classifier(path: str, modified: float):
    """Load a model once per server process; `modified` reloads a file that was replaced."""
    from catdog.predict import Classifier  # imports TensorFlow: only once a model is needed

    return Classifier.load(path)


def current_classifier():
    """The picked model, loaded (with a spinner the first time)."""
    path = Path(st.session_state.get(MODEL_KEY) or BUNDLED_MODEL)
    if not path.is_file():
        st.error(f"No model at {path}. Train one on the Train page, or restore the bundled model.")
        st.stop()
    with st.spinner("Loading the model (the first time takes a few seconds)…"):
        return load_classifier(str(path), path.stat().st_mtime)


def model_label(path: Path) -> str:
    """A model's name, what it started from and its best score: 'catdog · pretrained MobileNetV2 1.0 · 99%'."""
    record = read_record(path)
    if record is None:
        return path.stem
    backbone = record.config.pretrained
    started = f"pretrained {PRETRAINED_BACKBONES.get(backbone, backbone)}" if backbone else "scratch"
    score = record.test_accuracy or record.validation_accuracy
    return f"{path.stem} · {started}" + (f" · {score:.0%} accuracy" if score else "")


def model_picker_ui() -> Path | None:
    """Sidebar choice of model with its record; returns the chosen path."""
    models = list_models(MODELS_DIR)
    with st.sidebar:
        st.subheader("Model")
        if not models:
            st.warning("No model yet: train one on the Train page.")
            return None
        options = [str(p) for p in models]
        if st.session_state.get(MODEL_KEY) not in options:
            st.session_state[MODEL_KEY] = options[0]
        chosen = Path(st.selectbox("Classify with", options, key=MODEL_KEY, format_func=lambda p: model_label(Path(p))))
        model_details_ui(chosen)
    return chosen


def model_details_ui(path: Path) -> None:
    record = read_record(path)
    if record is None:
        st.caption("No run record saved with this model.")
        return
    config = record.config
    backbone = config.pretrained
    started_from = f"{PRETRAINED_BACKBONES.get(backbone, backbone)} (ImageNet)" if backbone else "scratch"
    lines = [
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
