"""The models the pages offer and use: each file checked once, each classifier loaded once per server process."""

import hashlib
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import streamlit as st

from catdog.config import BUNDLED_MODEL, BUNDLED_MODELS, MODELS_DIR
from catdog.memory import set_aside_long_lived_objects
from catdog.runs import list_models
from catdog.visitor_text import markdown_literal
from catdog.wording import UnusableModel
from pages.language import language, t

MODEL_KEY = "model_path"  # session state: the model the visitor picked, kept across pages

log = logging.getLogger("catdog")


# Models load on a thread of their own, one at a time, so that no page waits for TensorFlow to draw.
_LOADER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="catdog-model-load")


@st.cache_resource(show_spinner=False, max_entries=8)
def model_load(path: str, modified: float) -> Future:
    """The model's load, begun in the background on first ask, once per server process and version of the file
    (`modified` reloads a file that was replaced); its result is the Classifier, or the error that stopped it."""
    return _LOADER.submit(_load, path)


_LONG_LIVED_SET_ASIDE = threading.Event()  # set once the first model's load has frozen what the process holds


def _load(path: str):
    from catdog.predict import Classifier  # LiteRT; TensorFlow only for a model saved without its LiteRT layers

    classifier = Classifier.load(path)
    if not _LONG_LIVED_SET_ASIDE.is_set():  # TensorFlow and the first model: the bulk of what the process holds
        _LONG_LIVED_SET_ASIDE.set()
        set_aside_long_lived_objects()
    return classifier


def load_classifier(path: str, modified: float):
    """The model, loaded once per server process: waits for its load, begun now or by an earlier run."""
    return model_load(path, modified).result()


@st.cache_resource(show_spinner=False, max_entries=8)
def _warm_heatmap(path: str, modified: float, _classifier) -> None:
    """Have the picked model's heatmap ready while its first visitor picks a photo, rather than after their first
    upload; once per server process and version of the file. catdog's own models give theirs with the verdict;
    any other traces its Grad-CAM (3 s for MobileNetV2). Models loaded only for their verdicts (Compare all
    models, Compare with) never pay for it."""
    import numpy as np

    size = _classifier.image_size
    _classifier.heatmap(np.zeros((size, size, 3), np.uint8))


def try_load_classifier(path: Path, warm_heatmap: bool = False, wait: bool = True):
    """The model at path, loaded once per server process, or a catdog.wording.UnusableModel saying why it cannot be.

    warm_heatmap: the visitor picked this model, so its heatmaps will be shown: have them ready.
    wait=False: None while the model is still loading, rather than waiting for it.
    The picker offers only models that passed check_model, but a file can be replaced after its check.
    """
    try:
        modified = path.stat().st_mtime
        load = model_load(str(path), modified)
        if not wait and not load.done():
            return None
        classifier = load.result()
        if warm_heatmap and classifier.explains:
            _warm_heatmap(str(path), modified, classifier)
        return classifier
    except Exception:  # noqa: BLE001 -- whatever is in the file now, the page goes on
        log.warning("the model %s could not be loaded", path, exc_info=True)  # the details, for the operator only
        from catdog.model import check_model

        _forget_checks(path)  # check the file as it is now, and the picker follows from the next run on
        version = file_version(path)
        problem = _check_model(*version) if version else check_model(path)
        return problem or UnusableModel(path, "unusable.not_loaded")


def current_classifier(wait: bool = True):
    """The picked model, loaded (with a spinner the first time) with its heatmap ready; stops the page with a
    message when it cannot be. wait=False: None while it is still loading, and no spinner."""
    path = picked_model()
    if wait:
        with st.spinner(t("common.loading_model")):
            classifier = try_load_classifier(path, warm_heatmap=True)
    else:
        classifier = try_load_classifier(path, warm_heatmap=True, wait=False)
    if isinstance(classifier, UnusableModel):
        st.error(t("common.model_unusable", name=markdown_literal(path.stem), reason=classifier.reason(language())))
        st.stop()
    return classifier


def picked_model() -> Path:
    """The model this visitor picked in the sidebar, else the bundled default."""
    return Path(st.session_state.get(MODEL_KEY) or BUNDLED_MODEL)


@st.cache_data(show_spinner=False, max_entries=1024)
def _check_model(path: str, modified: float, size: int):
    """check_model once per version of a file: (path, modification time, size)."""
    from catdog.model import check_model  # imports TensorFlow

    unusable = check_model(path)
    if unusable:
        log.warning("%s is not offered in the model picker: %s", path, unusable.reason())
    return unusable


@st.cache_data(show_spinner=False, max_entries=1024)
def _sha256(path: str, modified: float, size: int) -> str | None:
    try:
        with open(path, "rb") as file:
            return hashlib.file_digest(file, "sha256").hexdigest()
    except OSError:
        return None


def file_version(path: Path) -> tuple[str, float, int] | None:
    """(path, modification time, size): what checks and exports are cached by; None for a file gone since it was
    listed."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return str(path), stat.st_mtime, stat.st_size


def _forget_checks(path: Path) -> None:
    version = file_version(path)
    if version:
        _check_model.clear(*version)
        _sha256.clear(*version)


def checked_models() -> tuple[list[Path], list[UnusableModel]]:
    """(the models the picker offers, the files that cannot be used).

    Each version of a file is loaded once per server process to check it. A copy of a bundled
    model (the same bytes under another path) is offered once, under the bundled model's name.
    """
    usable, unusable = [], []
    bundled = {}  # size: versions of the bundled models offered; only a file of the same size is hashed
    for path in list_models(MODELS_DIR):
        version = file_version(path)
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
    with st.expander("⚠️ " + t("common.unusable_models", count=len(unusable))):
        st.caption(t("common.unusable_models_caption"))
        import pandas as pd  # half a second to import: not on a fresh server's first page

        table = pd.DataFrame(
            {
                t("common.unusable_file"): [u.path.name for u in unusable],
                t("common.unusable_why"): [u.reason(language()) for u in unusable],
            }
        )
        st.dataframe(table, hide_index=True, key="unusable_models")
