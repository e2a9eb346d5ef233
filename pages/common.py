"""Widgets and cached loaders shared by the pages (this file is not a page itself)."""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
from pathlib import Path

import pandas as pd
import streamlit as st

from catdog.config import BUNDLED_MODEL, BUNDLED_MODELS, MODELS_DIR, TrainConfig, training_setting
from catdog.i18n import DEFAULT_LANGUAGE, LANGUAGES, pick_language, translate
from catdog.runs import list_models, read_record

MODEL_KEY = "model_path"  # session state: the model the visitor picked, kept across pages
LANGUAGE_KEY = "language"  # session state: the visitor's language, kept across pages
PRESENT_KEY = "present"  # session state: presentation mode (for a projector), kept across pages

log = logging.getLogger("catdog")


def language() -> str:
    """This visitor's language code ("en", "zh"), as choose_language() set it for this run."""
    return st.session_state.get(LANGUAGE_KEY, DEFAULT_LANGUAGE)


def t(key: str, **fields) -> str:
    """The catalogue's sentence `key` in this visitor's language, with its {fields} filled in."""
    return translate(key, language(), **fields)


def choose_language() -> str:
    """This run's language, decided before anything is drawn: the link's ?lang=, else the visitor's earlier
    choice, else the browser's language. The address bar then says it, so a copied link keeps it."""
    browser = st.context.locale or st.context.headers.get("Accept-Language")
    chosen = pick_language(st.query_params.get("lang"), st.session_state.get(LANGUAGE_KEY), browser)
    st.session_state[LANGUAGE_KEY] = chosen
    if st.query_params.get("lang") != chosen:
        st.query_params["lang"] = chosen
    return chosen


def language_ui() -> None:
    """The sidebar's language picker; a change also rewrites ?lang=, which choose_language() reads first."""
    st.sidebar.selectbox(
        "🌐 " + t("common.language"),
        list(LANGUAGES),
        format_func=LANGUAGES.get,
        key=LANGUAGE_KEY,
        on_change=lambda: st.query_params.update(lang=st.session_state[LANGUAGE_KEY]),
    )


# Style by Streamlit's data-testid attributes and the st-key-KEY class of a keyed container or widget.
# Below 640 px Streamlit stacks columns: a Classify card's verdict column is dissolved (display: contents)
# so its two keyed parts can be ordered around the photo column: verdict and bar, photo, the model's input.
PHONE_CSS = """
@media (max-width: 640px) {
  [class*="st-key-card_"] [data-testid="stColumn"]:has([class*="st-key-verdict_"]),
  [class*="st-key-card_"] [data-testid="stColumn"]:has([class*="st-key-verdict_"]) > [data-testid="stVerticalBlock"] {
    display: contents;
  }
  [data-testid="stLayoutWrapper"]:has(> [class*="st-key-verdict_"]) { order: -1; flex: 1 1 100%; }
  [data-testid="stLayoutWrapper"]:has(> [class*="st-key-sees_"]) { order: 1; flex: 1 1 100%; }
}
"""
# Presentation mode, for the back of a room at 1280×720: Streamlit sizes type and spacing in rem, so a
# larger root size scales the whole page; then less chrome, a large verdict, and a photo that fits the screen.
PRESENT_CSS = """
html { font-size: 21px; }
[data-testid="stDecoration"], [data-testid="stToolbar"] { display: none; }
[data-testid="stMainBlockContainer"] { padding: 2rem 1.5rem 1rem; }
[class*="st-key-verdict_"] [data-testid="stAlert"] p { font-size: 1.6rem; line-height: 1.3; }
[class*="st-key-card_"] [data-testid="stImage"] img { max-height: 36vh; width: auto; }
[data-testid="stMetricValue"] { font-size: 3rem; }
"""


def presenting() -> bool:
    """Whether this visitor is in presentation mode, as choose_presentation() set it for this run."""
    return st.session_state.get(PRESENT_KEY, False)


def choose_presentation() -> bool:
    """Presentation mode for this run: the link's ?present=1 (or 0), else the visitor's earlier choice.
    The address bar then says ?present=1 while it is on, so a teacher's copied link opens the room view."""
    from_url = st.query_params.get("present")
    present = from_url == "1" if from_url in ("0", "1") else presenting()
    st.session_state[PRESENT_KEY] = present
    _link_presentation()
    return present


def _link_presentation() -> None:
    """?present=1 in the address bar while presentation mode is on; nothing while it is off."""
    if presenting() and st.query_params.get("present") != "1":
        st.query_params["present"] = "1"
    elif not presenting():
        st.query_params.pop("present", None)


def presentation_ui() -> None:
    """The sidebar's presentation switch, then the page's style: for a projector in presentation mode, and
    (always) for a phone, whose narrow screen gets each photo's verdict before the photo."""
    st.sidebar.toggle(
        "📽️ " + t("common.present"), key=PRESENT_KEY, help=t("common.present_help"), on_change=_link_presentation
    )
    st.html(f"<style>{PHONE_CSS}{PRESENT_CSS if presenting() else ''}</style>")


# --- training: who may, and how a run is doing (the Train and Lesson pages) ---------------------------


def training_setting_now() -> tuple[str, str]:
    """CATDOG_TRAINING's mode ("on", "off" or "password") and its password, from the environment or the secrets."""
    try:
        secrets = dict(st.secrets)
    except FileNotFoundError:
        secrets = {}
    return training_setting(secrets)


def visitor() -> str:
    """A token for this browser session: a run remembers who started it, and only they may stop it."""
    return st.session_state.setdefault("visitor", uuid.uuid4().hex)


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
        return problem or UnusableModel(path, "unusable.not_loaded")


def current_classifier():
    """The picked model, loaded (with a spinner the first time); stops the page with a message when it cannot be."""
    path = Path(st.session_state.get(MODEL_KEY) or BUNDLED_MODEL)
    with st.spinner(t("common.loading_model")):
        classifier = try_load_classifier(path)
    from catdog.model import UnusableModel  # TensorFlow is loaded by now

    if isinstance(classifier, UnusableModel):
        st.error(t("common.model_unusable", name=path.stem, reason=classifier.reason(language())))
        st.stop()
    return classifier


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
    with st.expander("⚠️ " + t("common.unusable_models", count=len(unusable))):
        st.caption(t("common.unusable_models_caption"))
        table = pd.DataFrame(
            {
                t("common.unusable_file"): [u.path.name for u in unusable],
                t("common.unusable_why"): [u.reason(language()) for u in unusable],
            }
        )
        st.dataframe(table, hide_index=True, key="unusable_models")


def model_label(path: Path) -> str:
    """A model's name, what it started from and its best score: 'catdog · pretrained MobileNetV2 1.0 · 99% accuracy'.

    A model that scored about 50% says 'guessing: train longer' instead of its score.
    """
    record = read_record(path)
    if record is None:
        return path.stem
    start = (
        t("model.pretrained", backbone=record.config.started_from) if record.config.pretrained else t("model.scratch")
    )
    parts = [record.title or path.stem, start]
    score = record.test_accuracy or record.validation_accuracy
    if record.guessing:
        parts.append(t("model.guessing"))
    elif score:
        parts.append(t("model.accuracy", score=f"{score:.0%}"))
    return " · ".join(parts)


def started_from(config: TrainConfig) -> str:
    """'scratch' in the visitor's language, or the pretrained backbone's name (a name: never translated)."""
    return config.started_from if config.pretrained else t("model.scratch")


def default_model(models: list[Path]) -> Path:
    """The first model that is not guessing (the bundled one, when it is there); the first one if all are."""
    return next((path for path in models if not _guessing(path)), models[0])


def _guessing(path: Path) -> bool:
    record = read_record(path)
    return record is not None and record.guessing


def model_picker_ui() -> Path | None:
    """Sidebar choice of model with its record; returns the chosen path."""
    with st.spinner(t("common.checking_models")):
        models = usable_models()
    with st.sidebar:
        st.subheader(t("common.model"))
        if not models:
            st.warning(t("common.no_model"))
            return None
        options = [str(p) for p in models]
        if st.session_state.get(MODEL_KEY) not in options:
            st.session_state[MODEL_KEY] = str(default_model(models))
        # Labels made now, in this run's language: a widget may call its format_func between runs too.
        labels = {option: model_label(Path(option)) for option in options}
        # Radio buttons, not a drop-down: their labels wrap, so a run's full title shows; a drop-down cuts it.
        chosen = Path(st.radio(t("common.classify_with"), options, key=MODEL_KEY, format_func=labels.__getitem__))
        model_details_ui(chosen)
        model_download_ui(chosen)
    return chosen


def model_details_ui(path: Path) -> None:
    record = read_record(path)
    if record is None:
        st.caption(t("model.no_record"))
        return
    config = record.config
    start = f"{config.started_from} (ImageNet)" if config.pretrained else t("model.scratch")
    lines = [
        t("model.details.started_from", start=start),
        t("model.details.input", size=record.image_size),
        t(
            "model.details.trained_with_augmentation" if config.augment else "model.details.trained",
            when=record.created[:16].replace("T", " "),
            photos=record.train_photos,
            data=Path(record.data).name,
            epochs=record.epochs_run,
        ),
        t("model.details.validation_accuracy", accuracy=_percent(record.validation_accuracy)),
        t("model.details.test_accuracy", accuracy=_percent(record.test_accuracy)),
    ]
    st.caption("  \n".join(lines))


def _percent(value) -> str:
    return "–" if value is None else f"{value:.1%}"


# --- the picked model's downloads --------------------------------------------------------------------

EXPORTED_KEY = "exported"  # session state: the model versions whose TensorFlow Lite files this visitor asked for
DOWNLOAD_ICON = ":material/download:"
# One TensorFlow Lite conversion at a time on this server, whoever asks: each takes from seconds to minutes
# of CPU (int8 MobileNetV2 up to 220 s on 2 busy cores), and on a public demo any visitor can ask for one.
_CONVERTING = threading.Lock()
_TFLITE_FILES = {  # quantization: (the line beside its download, the warning when it cannot be made)
    "float": ("export.float", "export.float_failed"),
    "int8": ("export.int8", "export.int8_failed"),
}


class _ConverterBusy(Exception):
    """Another conversion is running on this server; this one was not started (and, raised, is not cached)."""


def model_download_ui(path: Path) -> None:
    """The picked model's downloads: its .keras file; on request its TensorFlow Lite files, float and int8, each with
    its test accuracy beside the .keras file's; and the standalone script that classifies with them as the app does.

    The expander runs its content only while open: a visitor who never opens it costs no file read, no import.
    """
    with st.expander(t("export.title"), key="model_export", on_change="rerun") as expander:
        version = _version(path) if expander.open else None
        if version is None:  # closed, or the file is gone since the picker listed it (the page says so)
            return
        from catdog.export import PREDICT_SNIPPET, Download, ExportError, export_bytes  # imports TensorFlow

        record = read_record(path)
        keras_accuracy = _percent(record.test_accuracy if record else None)
        _download_button_ui(export_bytes(path, "keras"), "export_keras")
        st.caption(t("export.keras", accuracy=keras_accuracy))
        st.caption(t("export.tflite"))
        asked = st.session_state.setdefault(EXPORTED_KEY, set())
        if version not in asked and not st.button(t("export.prepare"), key="export_prepare"):
            return
        try:
            with st.spinner(t("export.converting"), show_time=True):
                exported = {quantize: _tflite_export(*version, quantize) for quantize in _TFLITE_FILES}
        except _ConverterBusy:
            asked.discard(version)  # the next run offers the button again
            st.info(t("export.busy"))
            return
        asked.add(version)
        made = []
        for quantize, (shown, failed) in _TFLITE_FILES.items():
            if isinstance(exported[quantize], ExportError):
                st.warning(t(failed))  # why, with the server's paths, is in the log
                continue
            download, accuracy = exported[quantize]
            _download_button_ui(download, f"export_{quantize}")
            st.caption(t(shown, accuracy=_percent(accuracy), keras=keras_accuracy))
            made.append(download.filename)
        if made:
            _download_button_ui(
                Download(PREDICT_SNIPPET.read_bytes(), PREDICT_SNIPPET.name, "text/x-python"), "export_snippet"
            )
            st.caption(t("export.snippet", script=PREDICT_SNIPPET.name, file=made[0]))


def _download_button_ui(download, key: str) -> None:
    """A catdog.export.Download's button, labelled with its file name; a click downloads without a rerun."""
    st.download_button(
        download.filename,
        download.data,
        download.filename,
        download.mime,
        key=key,
        on_click="ignore",
        icon=DOWNLOAD_ICON,
    )


@st.cache_data(show_spinner=False, max_entries=4)  # two models' float and int8 files: up to 24 MB for MobileNetV2
def _tflite_export(path: str, modified: float, size: int, quantize: str):
    """(the TensorFlow Lite Download, its test accuracy or None) for one version of a model file, or the ExportError
    saying why it cannot be made (kept too: int8 without the training photos fails the same way each time), logged.

    Converted once per server process and version, and only while no other conversion runs (_ConverterBusy).
    """
    from catdog.export import ExportError, export_bytes, tflite_test_accuracy

    if not _CONVERTING.acquire(blocking=False):
        raise _ConverterBusy
    try:
        download = export_bytes(path, "tflite", quantize)
        return download, tflite_test_accuracy(download.data, path)
    except ExportError as error:
        log.warning("no %s TensorFlow Lite file of %s: %s", quantize, path, error)
        return error
    finally:
        _CONVERTING.release()
