"""The sidebar's "Download this model" (issue #13), under Streamlit's AppTest: a teacher takes the picked model home
as its .keras file, or as TensorFlow Lite (float and int8, each with its test accuracy), with the script that runs it.

The model is the session's tiny one (conftest.py's `tiny_model`, 32 × 32 pixels), copied into the models folder
with its run record, so converting it takes seconds. A download button's file is read as a browser would fetch it:
from the URL the button points at (the `served` fixture).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_i18n import english_words

from catdog.export import PREDICT_SNIPPET, tflite_test_accuracy
from catdog.i18n import translate
from catdog.runs import metadata_path, read_record
from catdog.tflite import TFLiteModel

PAGE = "pages/evaluate.py"  # any page: the sidebar is app.py's; this one stops early without a dataset


@pytest.fixture
def served(monkeypatch) -> dict[str, tuple[str, bytes]]:
    """URL: (file name, bytes) of each file the app handed to a download button: what a click would fetch."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    files, add = {}, MediaFileManager.add

    def add_and_remember(self, data, mimetype, coordinates, file_name=None, is_for_static_download=False):
        url = add(self, data, mimetype, coordinates, file_name, is_for_static_download)
        files[url] = (file_name, data)
        return url

    monkeypatch.setattr(MediaFileManager, "add", add_and_remember)
    return files


@pytest.fixture
def tiny(tiny_model_in_app) -> Path:
    """The tiny model in the models folder as tiny.keras, with its run record (its data: the tiny dataset)."""
    return tiny_model_in_app("tiny")


def open_downloads(open_app, model: Path, lang: str = "en"):
    """The app with `model` picked and the sidebar's "Download this model" opened."""
    at = open_app(PAGE)
    at.sidebar.selectbox(key="language").set_value(lang).run()
    at.sidebar.radio(key="model_path").set_value(str(model)).run()
    assert not at.sidebar.get("download_button")  # closed, it reads no file and converts nothing
    at.session_state["model_export"] = True  # what a click on the expander's label sets
    at.run()
    assert not at.exception, at.exception
    return at


def downloads(at, served) -> dict[str, bytes]:
    """{label: bytes} of the sidebar's download buttons; each is labelled with its file's name."""
    found = {}
    for button in at.sidebar.get("download_button"):
        name, data = served[button.proto.url]
        assert button.label == name
        found[name] = data
    return found


def captions(at) -> list[str]:
    return [caption.value for caption in at.sidebar.caption]


@pytest.mark.slow
def test_a_visitor_downloads_the_keras_file_then_prepares_the_tflite_files_with_their_test_accuracy(
    open_app, tiny, served, monkeypatch
):
    at = open_downloads(open_app, tiny)
    assert at.sidebar.expander[-1].label == "Download this model"
    assert downloads(at, served) == {"tiny.keras": tiny.read_bytes()}
    keras_accuracy = f"{read_record(tiny).test_accuracy:.1%}"
    assert translate("export.keras", accuracy=keras_accuracy) in captions(at)
    prepare = at.sidebar.button(key="export_prepare")
    assert prepare.label == "Prepare TensorFlow Lite files"

    prepare.click().run()
    assert not at.exception, at.exception
    files = downloads(at, served)
    assert list(files) == ["tiny.keras", "tiny.tflite", "tiny-int8.tflite", "predict_tflite.py"]
    for name, quantize in (("tiny.tflite", "float"), ("tiny-int8.tflite", "int8")):
        assert TFLiteModel(files[name]).input_shape == (None, 32, 32, 3)
        accuracy = f"{tflite_test_accuracy(files[name], tiny):.1%}"  # on the tiny dataset's 8 test photos
        assert translate(f"export.{quantize}", accuracy=accuracy, keras=keras_accuracy) in captions(at)
    assert files["predict_tflite.py"] == PREDICT_SNIPPET.read_bytes()
    assert any("`python predict_tflite.py tiny.tflite photo.jpg`" in caption for caption in captions(at))

    # The files are kept: later runs, on any page, show them again without converting.
    import catdog.export

    monkeypatch.setattr(catdog.export, "tflite_bytes", lambda *args: pytest.fail("converted again"))
    at.switch_page("pages/train.py")
    at.session_state["model_export"] = True  # AppTest keeps no expander open across a page switch
    at.run()
    assert not at.exception, at.exception
    assert list(downloads(at, served)) == ["tiny.keras", "tiny.tflite", "tiny-int8.tflite", "predict_tflite.py"]


def test_while_another_visitor_converts_a_second_one_is_asked_to_try_again_and_nothing_is_converted(
    open_app, tiny, served
):
    from pages.downloads import _CONVERTING

    at = open_downloads(open_app, tiny)
    with _CONVERTING:  # another visitor's conversion
        at.sidebar.button(key="export_prepare").click().run()
    assert not at.exception, at.exception
    assert [box.value for box in at.sidebar.info] == ["Another visitor is preparing a file; try again in a minute."]
    assert list(downloads(at, served)) == ["tiny.keras"]
    at.run()  # the button is offered again
    assert at.sidebar.button(key="export_prepare").label == "Prepare TensorFlow Lite files"


def test_a_model_whose_training_photos_are_gone_gets_its_float_file_and_a_dash_for_accuracy_but_no_int8(
    open_app, app_dirs, tiny, served
):
    record = read_record(tiny)
    record.data = str(app_dirs.data / "deleted-since")
    moved = app_dirs.models / "moved.keras"
    shutil.copyfile(tiny, moved)
    record.save(metadata_path(moved))

    at = open_downloads(open_app, moved)
    at.sidebar.button(key="export_prepare").click().run()
    assert not at.exception, at.exception
    assert list(downloads(at, served)) == ["moved.keras", "moved.tflite", "predict_tflite.py"]
    keras_accuracy = f"{record.test_accuracy:.1%}"
    assert translate("export.float", accuracy="–", keras=keras_accuracy) in captions(at)  # no test photos to score
    assert [box.value for box in at.sidebar.warning] == [translate("export.int8_failed")]
    assert str(app_dirs.data) not in " ".join(captions(at))  # the server's paths stay in its log


@pytest.mark.slow
def test_in_chinese_the_downloads_speak_chinese(open_app, tiny, served):
    at = open_downloads(open_app, tiny, lang="zh")
    assert at.sidebar.expander[-1].label == "下载此模型"
    prepare = at.sidebar.button(key="export_prepare")
    assert prepare.label == "准备 `.tflite` 文件"
    prepare.click().run()
    assert not at.exception, at.exception
    box = at.sidebar.expander[-1]
    texts = [box.label, *(caption.value for caption in box.caption), *(b.label for b in box.get("download_button"))]
    assert len(texts) == 10  # the label, five lines, four downloads
    assert english_words(texts) == []
    assert any(text.startswith("浮点：") and "测试准确率" in text for text in texts)
    assert any(text.startswith("8 位整数：") for text in texts)
