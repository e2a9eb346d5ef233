"""The picked model's downloads in the sidebar: its .keras file, TensorFlow Lite files and a script that uses them."""

import logging
import threading
from pathlib import Path

import streamlit as st

from catdog.runs import read_record
from pages.language import t
from pages.models import file_version
from pages.sidebar import accuracy_text

EXPORTED_KEY = "exported"  # session state: the model versions whose TensorFlow Lite files this visitor asked for
DOWNLOAD_ICON = ":material/download:"
# One TensorFlow Lite conversion at a time on this server, whoever asks: each takes from seconds to minutes
# of CPU (int8 MobileNetV2 up to 220 s on 2 busy cores), and on a public demo any visitor can ask for one.
_CONVERTING = threading.Lock()
_TFLITE_FILES = {  # quantization: (the line beside its download, the warning when it cannot be made)
    "float": ("export.float", "export.float_failed"),
    "int8": ("export.int8", "export.int8_failed"),
}

log = logging.getLogger("catdog")


class _ConverterBusy(Exception):
    """Another conversion is running on this server; this one was not started (and, raised, is not cached)."""


def model_download_ui(path: Path) -> None:
    """The picked model's downloads: its .keras file; on request its TensorFlow Lite files, float and int8, each with
    its test accuracy beside the .keras file's; and the standalone script that classifies with them as the app does.

    The expander runs its content only while open: a visitor who never opens it costs no file read, no import.
    """
    with st.sidebar.expander(t("export.title"), key="model_export", on_change="rerun") as expander:
        version = file_version(path) if expander.open else None
        if version is None:  # closed, or the file is gone since the picker listed it (the page says so)
            return
        from catdog.export import PREDICT_SNIPPET, Download, ExportError, export_bytes  # imports TensorFlow

        record = read_record(path)
        keras_accuracy = accuracy_text(record.test_accuracy if record else None)
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
            st.caption(t(shown, accuracy=accuracy_text(accuracy), keras=keras_accuracy))
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
