"""The Classify page (app.py's default page) under Streamlit's AppTest: uploads, verdicts, the model picker.

The app runs in this process with CATDOG_DATA_DIR and CATDOG_MODELS_DIR pointing at empty
temporary folders (conftest.py's `app_dirs` and `open_app`); photos come from the shared set.
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image

import catdog.runs
from catdog.config import BUNDLED_MODEL
from catdog.runs import list_models, metadata_path, read_record

_SIDE = read_record(BUNDLED_MODEL).image_size
BUNDLED_SIZE = f"{_SIDE} × {_SIDE}"  # the bundled model's input, as the page names it
VERDICT = re.compile(r"(Dog|Cat) — (over )?\d+% sure|Not sure \(\d+% dog\)")
# A picture of a cat or a dog. The bytes are read once per test module.
PHOTO_NAMES = [("test", "dogs", "dog.4501.jpg"), ("test", "cats", "cat.4501.jpg"), ("test", "dogs", "dog.4502.jpg")]


@pytest.fixture(scope="module")
def photos(shared_data: Path) -> dict[str, bytes]:
    """{"dog.4501.jpg": bytes, ...}: three real JPEGs from the shared set."""
    return {name: (shared_data / split / folder / name).read_bytes() for split, folder, name in PHOTO_NAMES}


def upload(at, files: list[tuple[str, bytes, str]]):
    at.file_uploader(key="uploads").set_value(files)
    return at.run()


def verdicts(at) -> list[str]:
    """The verdict boxes of the result cards: st.success for a clear answer, st.warning when unsure."""
    return [box.value for box in [*at.success, *at.warning] if VERDICT.search(box.value)]


def charts(at) -> list:
    return list(at.get("plotly_chart"))


def squashed_size(at) -> str | None:
    """The input size named by the "How does this work?" text, e.g. "32 × 32" (it follows the model)."""
    for block in at.markdown:
        found = re.search(r"squashed to (\d+ × \d+) pixels", block.value)
        if found:
            return found.group(1)
    return None


def model_view_captions(at) -> list[str]:
    """The captions of the result cards' "What the model sees" images."""
    return [img.caption for image in at.get("image") for img in image.proto.imgs if "model sees" in img.caption]


def has_button(at, key: str) -> bool:
    return any(button.key == key for button in at.button)


# --- first visit -----------------------------------------------------------------------------------


def test_with_no_photo_the_page_invites_an_upload(open_app):
    at = open_app()
    assert not at.exception
    assert at.title[0].value == "🐾 Cat or dog?"
    assert any("Upload a photo" in info.value for info in at.info)
    assert verdicts(at) == [] and charts(at) == []
    assert squashed_size(at) == BUNDLED_SIZE  # the model loads while the visitor picks a photo
    # The data folder holds no dataset, so there is no test photo to offer.
    assert not has_button(at, "random_sample")
    # The sidebar offers the bundled model, picked by default.
    picker = at.sidebar.selectbox(key="model_path")
    assert picker.value == str(BUNDLED_MODEL)
    assert at.session_state["model_path"] == str(BUNDLED_MODEL)


# --- uploads ---------------------------------------------------------------------------------------


def test_an_uploaded_photo_gets_a_verdict_and_a_probability_chart(open_app, photos):
    at = upload(open_app(), [("dog.jpg", photos["dog.4501.jpg"], "image/jpeg")])
    assert not at.exception
    assert len(verdicts(at)) == 1, [*at.success, *at.warning]
    assert len(charts(at)) == 1
    assert not at.error
    assert not at.dataframe  # a table only for two photos or more
    assert any(block.value == "#### dog.jpg" for block in at.markdown)
    assert model_view_captions(at) == [f"What the model sees: {BUNDLED_SIZE} pixels, enlarged"]
    assert squashed_size(at) == BUNDLED_SIZE  # the bundled model's input size


def test_a_text_file_posing_as_a_jpeg_gets_an_error_and_the_good_photo_still_gets_its_verdict(open_app, photos):
    files = [
        ("dog.jpg", photos["dog.4501.jpg"], "image/jpeg"),
        ("notes.jpg", b"hello, I am a text file, not a JPEG\n", "image/jpeg"),
    ]
    at = upload(open_app(), files)
    assert not at.exception
    assert len(verdicts(at)) == 1
    assert len(charts(at)) == 1
    assert len(at.error) == 1
    message = at.error[0].value
    assert "notes.jpg" in message and "not an image we can read" in message
    assert "Traceback" not in message and "PhotoError" not in message


def test_three_photos_get_a_results_table_with_one_row_each(open_app, photos):
    files = [(name, data, "image/jpeg") for name, data in photos.items()]
    at = upload(open_app(), files)
    assert not at.exception
    assert len(at.dataframe) == 1
    table = at.dataframe[0].value
    assert list(table.columns) == ["file", "verdict", "dog probability", "time (ms)"]
    assert len(table) == 3
    assert list(table["file"]) == list(photos)
    assert all(VERDICT.fullmatch(v) for v in table["verdict"]), list(table["verdict"])
    assert table["dog probability"].between(0, 1).all()
    assert (table["time (ms)"] >= 0).all()
    assert len(verdicts(at)) == 3 and len(charts(at)) == 3
    assert [button.key for button in at.get("download_button")] == ["download_csv"]


def test_a_png_with_transparency_gets_a_verdict(open_app, photos):
    photo = Image.open(io.BytesIO(photos["cat.4501.jpg"])).convert("RGBA")
    alpha = Image.new("L", photo.size, 255)
    alpha.paste(0, (0, 0, photo.width // 2, photo.height))  # the left half fully transparent
    photo.putalpha(alpha)
    buffer = io.BytesIO()
    photo.save(buffer, "PNG")
    at = upload(open_app(), [("see-through.png", buffer.getvalue(), "image/png")])
    assert not at.exception
    assert not at.error
    assert len(verdicts(at)) == 1 and len(charts(at)) == 1


# --- the sidebar model picker ----------------------------------------------------------------------


@pytest.fixture
def second_model(app_dirs, tiny_model) -> Path:
    """The session's tiny model (32 × 32 pixels) copied into the models folder as "second"."""
    model_path, _ = tiny_model
    copy = app_dirs.models / "second.keras"
    shutil.copyfile(model_path, copy)
    shutil.copyfile(metadata_path(model_path), metadata_path(copy))
    return copy


def test_picking_another_model_classifies_with_it_and_the_choice_survives_a_trip_to_the_train_page(
    open_app, photos, second_model
):
    from pages.common import model_label

    at = open_app()
    picker = at.sidebar.selectbox(key="model_path")
    models = list_models(second_model.parent)
    assert models[0] == BUNDLED_MODEL and models[-1] == second_model  # the bundled ones first, then the runs
    assert picker.options == [model_label(path) for path in models]
    assert picker.options[-1].startswith("second")
    assert picker.value == str(BUNDLED_MODEL)

    dog = [("dog.jpg", photos["dog.4501.jpg"], "image/jpeg")]
    upload(at, dog)
    assert squashed_size(at) == BUNDLED_SIZE

    at.sidebar.selectbox(key="model_path").set_value(str(second_model))
    at.run()
    assert not at.exception
    assert at.session_state["model_path"] == str(second_model)
    # The same upload is classified again, now by the 32-pixel model.
    assert model_view_captions(at) == ["What the model sees: 32 × 32 pixels, enlarged"]
    assert squashed_size(at) == "32 × 32"
    assert len(verdicts(at)) == 1

    at.switch_page("pages/train.py")
    at.run()
    assert not at.exception
    assert at.title[0].value == "📈 Train a convnet"
    assert at.sidebar.selectbox(key="model_path").value == str(second_model)
    assert at.session_state["model_path"] == str(second_model)

    at.switch_page("pages/classify.py")
    at.run()
    assert at.sidebar.selectbox(key="model_path").value == str(second_model)
    upload(at, dog)
    assert not at.exception
    assert squashed_size(at) == "32 × 32"
    assert model_view_captions(at) == ["What the model sees: 32 × 32 pixels, enlarged"]


# --- a random photo from the test set --------------------------------------------------------------


def test_a_random_test_photo_shows_its_verdict_and_its_true_label(open_app, app_dirs, tiny_dataset):
    (app_dirs.data / "tiny").symlink_to(tiny_dataset, target_is_directory=True)
    at = open_app()
    assert has_button(at, "random_sample")
    at.button(key="random_sample").click()
    at.run()
    assert not at.exception
    assert len(verdicts(at)) == 1 and len(charts(at)) == 1
    labels = [caption.value for caption in at.caption if caption.value.startswith("True label")]
    assert len(labels) == 1
    label = re.fullmatch(r"True label: \*\*(cat|dog)\*\*", labels[0])
    assert label, labels
    test_photos = {p.name: p.parent.name for p in (tiny_dataset / "test").glob("*/*.jpg")}
    shown = [block.value.removeprefix("#### ") for block in at.markdown if block.value.startswith("#### ")]
    assert len(shown) == 1 and shown[0] in test_photos
    assert test_photos[shown[0]] == label.group(1) + "s"  # the caption tells the photo's real class


# --- comparing the models --------------------------------------------------------------------------


def other_verdicts(at) -> list[str]:
    """The verdicts under "What the other models say", as markdown lines "🐶 **Dog — 88% sure**"."""
    return [block.value for block in at.markdown if block.value[:1] in ("🐶", "🐱") and VERDICT.search(block.value)]


def test_compare_all_models_shows_every_other_models_verdict_in_each_photos_card(open_app, photos, second_model):
    from catdog.predict import Classifier
    from pages.common import model_label

    files = [(name, photos[name], "image/jpeg") for name in ("dog.4501.jpg", "cat.4501.jpg")]
    at = upload(open_app(), files)
    toggle = at.toggle(key="compare_models")
    assert toggle.value is False  # off by default: only the picked model classifies
    assert not [block for block in at.markdown if block.value == "**What the other models say**"]
    assert other_verdicts(at) == []

    toggle.set_value(True)
    at.run()
    assert not at.exception
    assert len(verdicts(at)) == 2  # the picked model's verdicts, one card each
    headings = [block for block in at.markdown if block.value == "**What the other models say**"]
    assert len(headings) == 2  # in each photo's card
    others = [path for path in list_models(second_model.parent) if path != BUNDLED_MODEL]
    assert second_model in others
    captions = [caption.value for caption in at.caption]
    for path in others:
        assert captions.count(model_label(path)) == 2, model_label(path)  # named once per photo
    said = other_verdicts(at)
    assert len(said) == 2 * len(others)
    second = Classifier.load(second_model)
    for name, data, _ in files:
        prediction = second.classify(data)
        icon = "🐶" if prediction.label == "dog" else "🐱"
        assert f"{icon} **{prediction.verdict}**" in said, (name, said)


@pytest.fixture
def one_model(app_dirs, monkeypatch):
    """A server with the bundled model alone: nothing in its models folder, no second bundled model."""
    monkeypatch.setattr(catdog.runs, "BUNDLED_MODELS", (BUNDLED_MODEL,))


def test_with_a_single_model_there_is_nothing_to_compare(open_app, photos, one_model):
    at = upload(open_app(), [("dog.jpg", photos["dog.4501.jpg"], "image/jpeg")])
    assert not at.exception
    assert len(at.sidebar.selectbox(key="model_path").options) == 1
    assert len(verdicts(at)) == 1
    assert not [toggle for toggle in at.toggle if toggle.key == "compare_models"]
    assert not [block for block in at.markdown if block.value == "**What the other models say**"]
