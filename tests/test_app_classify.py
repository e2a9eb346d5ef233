"""The Classify page (app.py's default page) under Streamlit's AppTest: uploads, verdicts, the model picker.

The app runs in this process with CATDOG_DATA_DIR and CATDOG_MODELS_DIR pointing at empty
temporary folders (conftest.py's `app_dirs` and `open_app`); photos are the first test photos of the tests'
dataset (conftest.py's `photos_of`): the shared set's, or the downloaded one's.
"""

from __future__ import annotations

import io
import re
import threading
from pathlib import Path

import pytest
from PIL import Image

import catdog.runs
from catdog.config import BUNDLED_MODEL, KEPT_PHOTOS_MAX
from catdog.photos import jpeg_bytes, load_photo
from catdog.runs import list_models, read_record

_SIDE = read_record(BUNDLED_MODEL).image_size
BUNDLED_SIZE = f"{_SIDE} × {_SIDE}"  # the bundled model's input, as the page names it
VERDICT = re.compile(r"(Dog|Cat) — (over )?\d+% sure|Not sure \(\d+% dog\)")


@pytest.fixture(scope="module")
def photos(photos_of) -> dict[str, bytes]:
    """{"dog.jpg": bytes, "cat.jpg": ..., "dog-2.jpg": ...}: real JPEGs, the first test photos of each class.

    Picked by position, not by name: the shared set and the downloaded one name their photos differently.
    The bytes are read once per test module.
    """
    dogs, cats = photos_of("test", "dogs"), photos_of("test", "cats")
    return {"dog.jpg": dogs[0].read_bytes(), "cat.jpg": cats[0].read_bytes(), "dog-2.jpg": dogs[1].read_bytes()}


def uploader(at):
    """The uploader on the page now: a fresh one (a new key) after each batch it took."""
    (current,) = [widget for widget in at.get("file_uploader") if widget.key.startswith("uploads_")]
    return current


def upload(at, files: list[tuple[str, bytes, str]]):
    uploader(at).set_value(files)
    return at.run()


def card_titles(at) -> list[str]:
    return [block.value.removeprefix("#### ") for block in at.markdown if block.value.startswith("#### ")]


def verdicts(at) -> list[str]:
    """The verdict boxes of the result cards: st.success for a clear answer, st.warning when unsure."""
    return [box.value for box in [*at.success, *at.warning] if VERDICT.search(box.value)]


def charts(at) -> list:
    """The probability bars of the result cards (catdog.charts.probability_bars_html)."""
    return [block for block in at.get("html") if 'class="catdog-bars"' in block.proto.body]


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
    picker = at.sidebar.radio(key="model_path")
    assert picker.value == str(BUNDLED_MODEL)
    assert at.session_state["model_path"] == str(BUNDLED_MODEL)


@pytest.fixture
def model_held_back(monkeypatch):
    """The bundled model's load, begun afresh, waits until the test sets the returned Event: a fresh server."""
    import pages.models

    release, load = threading.Event(), pages.models._load

    def held_back(path: str):
        release.wait(60)
        return load(path)

    modified = BUNDLED_MODEL.stat().st_mtime
    pages.models.model_load.clear(str(BUNDLED_MODEL), modified)
    monkeypatch.setattr(pages.models, "_load", held_back)
    yield release
    release.set()
    pages.models.model_load(str(BUNDLED_MODEL), modified).result(120)  # loaded for the tests after this one


def test_a_fresh_servers_page_draws_before_the_model_has_loaded_and_says_it_is_loading(
    open_app, model_held_back, photos
):
    from pages.models import model_load

    at = open_app()
    assert not at.exception and not at.error
    assert at.title[0].value == "🐾 Cat or dog?"
    uploader(at)  # the visitor can pick a photo at once
    assert any("Upload a photo" in info.value for info in at.info)
    assert [info.value for info in at.info if "Loading the model" in info.value] == [
        "Loading the model… Your verdicts appear here as soon as it is ready, in a few seconds."
    ]
    assert squashed_size(at) == BUNDLED_SIZE  # from the model's run record, without the model
    assert not model_load(str(BUNDLED_MODEL), BUNDLED_MODEL.stat().st_mtime).done()

    model_held_back.set()
    model_load(str(BUNDLED_MODEL), BUNDLED_MODEL.stat().st_mtime).result(120)
    at.run()  # what the page's one-second check does once the model is there
    assert not at.exception
    assert not [info for info in at.info if "Loading the model" in info.value]
    at = upload(at, [("dog.jpg", photos["dog.jpg"], "image/jpeg")])
    assert len(verdicts(at)) == 1


def test_a_photo_sent_while_the_model_loads_waits_for_it_and_gets_its_verdict(open_app, model_held_back, photos):
    at = open_app()
    threading.Timer(1.0, model_held_back.set).start()  # the load ends while the upload's run waits for it
    at = upload(at, [("dog.jpg", photos["dog.jpg"], "image/jpeg")])
    assert not at.exception and not at.error
    assert len(verdicts(at)) == 1
    assert not [info for info in at.info if "Loading the model" in info.value]


# --- uploads ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_an_uploaded_photo_gets_a_verdict_and_a_probability_chart(open_app, photos):
    at = upload(open_app(), [("dog.jpg", photos["dog.jpg"], "image/jpeg")])
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
        ("dog.jpg", photos["dog.jpg"], "image/jpeg"),
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
    assert list(table.columns) == ["file", "verdict", "dog probability", "true label", "time (ms)"]
    assert len(table) == 3
    assert list(table["file"]) == list(photos)
    assert all(VERDICT.fullmatch(v) for v in table["verdict"]), list(table["verdict"])
    assert all(re.fullmatch(r"(over |under )?\d+%", p) for p in table["dog probability"]), table
    assert (table["time (ms)"] >= 0).all()
    assert len(verdicts(at)) == 3 and len(charts(at)) == 3
    assert [button.key for button in at.get("download_button")] == ["download_csv"]


def test_a_png_with_transparency_gets_a_verdict(open_app, photos):
    photo = Image.open(io.BytesIO(photos["cat.jpg"])).convert("RGBA")
    alpha = Image.new("L", photo.size, 255)
    alpha.paste(0, (0, 0, photo.width // 2, photo.height))  # the left half fully transparent
    photo.putalpha(alpha)
    buffer = io.BytesIO()
    photo.save(buffer, "PNG")
    at = upload(open_app(), [("see-through.png", buffer.getvalue(), "image/png")])
    assert not at.exception
    assert not at.error
    assert len(verdicts(at)) == 1 and len(charts(at)) == 1


def test_the_uploader_hands_each_photo_over_once_and_earlier_photos_stay(open_app, photos):
    at = upload(open_app(), [("dog.jpg", photos["dog.jpg"], "image/jpeg")])
    assert not at.exception
    assert not uploader(at).value  # a fresh, empty uploader: the page holds the photo, not the upload
    at.run()
    assert card_titles(at) == ["dog.jpg"]
    at = upload(at, [("cat.jpg", photos["cat.jpg"], "image/jpeg")])
    assert card_titles(at) == ["cat.jpg", "dog.jpg"]  # the newest first, the earlier one kept
    assert len(verdicts(at)) == 2


def test_a_photo_is_removed_alone_or_with_all_the_others(open_app, photos):
    files = [(name, data, "image/jpeg") for name, data in photos.items()]
    at = upload(open_app(), files)
    assert card_titles(at) == list(photos)
    at.button(key=[b.key for b in at.button if b.key.startswith("remove_")][1]).click()
    at.run()
    assert not at.exception
    assert card_titles(at) == [list(photos)[0], list(photos)[2]]
    assert len(at.dataframe[0].value) == 2
    at.button(key="clear_photos").click()
    at.run()
    assert not at.exception
    assert card_titles(at) == [] and not at.dataframe and charts(at) == []
    assert any("Upload a photo" in info.value for info in at.info)


def test_each_card_shows_where_the_model_looked_until_the_visitor_hides_it(open_app, photos):
    at = upload(open_app(), [("dog.jpg", photos["dog.jpg"], "image/jpeg")])

    def heatmap_captions():
        return [img.caption for image in at.get("image") for img in image.proto.imgs if "model looked" in img.caption]

    assert at.sidebar.toggle(key="show_heatmaps").value is True  # on by default
    assert len(heatmap_captions()) == 1
    at.sidebar.toggle(key="show_heatmaps").set_value(False)
    at.run()
    assert not at.exception
    assert heatmap_captions() == [] and len(verdicts(at)) == 1
    at.switch_page("pages/train.py").run()
    at.switch_page("pages/classify.py").run()
    assert at.sidebar.toggle(key="show_heatmaps").value is False  # the choice survives a trip to another page
    assert heatmap_captions() == []


def test_the_caption_gives_the_size_of_the_photo_sent_not_of_the_one_shown(open_app, photos):
    big = Image.open(io.BytesIO(photos["dog.jpg"])).resize((4000, 3000))
    buffer = io.BytesIO()
    big.save(buffer, "JPEG", quality=80)
    at = upload(open_app(), [("big.jpg", buffer.getvalue(), "image/jpeg")])
    captions = [img.caption for image in at.get("image") for img in image.proto.imgs if "Your photo" in img.caption]
    assert captions == ["Your photo, upright: 4000 × 3000 pixels"]


@pytest.mark.slow
def test_one_visitor_keeps_a_bounded_number_of_photos_and_is_told_about_the_rest(open_app):
    def tiny_png(i: int) -> bytes:
        buffer = io.BytesIO()
        Image.new("RGB", (40, 30), (i * 7 % 256, 90, 160)).save(buffer, "PNG")
        return buffer.getvalue()

    files = [(f"p{i}.png", tiny_png(i), "image/png") for i in range(KEPT_PHOTOS_MAX + 3)]
    at = upload(open_app(), files)
    assert not at.exception
    assert len(card_titles(at)) == KEPT_PHOTOS_MAX
    refused = [e.value for e in at.error if "not added" in e.value]
    assert len(refused) == 3 and all(f"{KEPT_PHOTOS_MAX} photos" in message for message in refused)
    at.button(key="clear_photos").click()
    at = upload(at.run(), files[:2])  # after removing them, there is room again
    assert card_titles(at) == ["p0.png", "p1.png"] and not at.error


# --- the sidebar model picker ----------------------------------------------------------------------


@pytest.fixture
def second_model(tiny_model_in_app) -> Path:
    """The session's tiny model (32 × 32 pixels) copied into the models folder as "second"."""
    return tiny_model_in_app("second")


@pytest.mark.slow
def test_picking_another_model_classifies_with_it_and_the_choice_survives_a_trip_to_the_train_page(
    open_app, photos, second_model
):
    from pages.sidebar import model_label

    at = open_app()
    picker = at.sidebar.radio(key="model_path")
    models = list_models(second_model.parent)
    assert models[0] == BUNDLED_MODEL and models[-1] == second_model  # the bundled ones first, then the runs
    assert picker.options == [model_label(path) for path in models]
    assert picker.options[-1].startswith("second")
    assert picker.value == str(BUNDLED_MODEL)

    dog = [("dog.jpg", photos["dog.jpg"], "image/jpeg")]
    upload(at, dog)
    assert squashed_size(at) == BUNDLED_SIZE

    at.sidebar.radio(key="model_path").set_value(str(second_model))
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
    assert at.sidebar.radio(key="model_path").value == str(second_model)
    assert at.session_state["model_path"] == str(second_model)

    at.switch_page("pages/classify.py")
    at.run()
    assert not at.exception
    assert at.sidebar.radio(key="model_path").value == str(second_model)
    # The photo is still there, with its verdict, without uploading it again.
    assert card_titles(at) == ["dog.jpg"]
    assert squashed_size(at) == "32 × 32"
    assert model_view_captions(at) == ["What the model sees: 32 × 32 pixels, enlarged"]


# --- a random photo from the test set --------------------------------------------------------------


def test_the_random_photo_button_appears_once_data_arrives_while_the_server_runs(open_app, app_dirs, tiny_dataset):
    at = open_app()
    assert not has_button(at, "random_sample")  # no test photos yet: a fresh clone
    (app_dirs.data / "tiny").symlink_to(tiny_dataset, target_is_directory=True)  # as `python -m catdog download` would
    at.run()
    assert has_button(at, "random_sample")


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
    label = re.fullmatch(r"True label: \*\*(cat|dog)\*\* \((✅ right|❌ wrong)\)", labels[0])
    assert label, labels
    test_photos = {p.name: p.parent.name for p in (tiny_dataset / "test").glob("*/*.jpg")}
    shown = card_titles(at)
    assert len(shown) == 1 and shown[0] in test_photos
    assert test_photos[shown[0]] == label.group(1) + "s"  # the caption tells the photo's real class
    clear, unsure = re.search(r"(Dog|Cat) —|Not sure \((\d+)% dog\)", verdicts(at)[0]).groups()
    said = clear.lower() if clear else ("dog" if int(unsure) >= 50 else "cat")
    assert label.group(2) == ("✅ right" if said == label.group(1) else "❌ wrong")

    # The visitor can put the random photo away again.
    (remove,) = [b for b in at.button if b.key.startswith("remove_")]
    remove.click()
    at.run()
    assert not at.exception
    assert card_titles(at) == [] and verdicts(at) == []
    assert any("Upload a photo" in info.value for info in at.info)


# --- comparing the models --------------------------------------------------------------------------


def other_verdicts(at) -> list[str]:
    """The verdicts under "What the other models say", as markdown lines "🐶 **Dog — 88% sure**"."""
    return [block.value for block in at.markdown if block.value[:1] in ("🐶", "🐱") and VERDICT.search(block.value)]


def test_compare_all_models_shows_every_other_models_verdict_in_each_photos_card(open_app, photos, second_model):
    from catdog.predict import Classifier
    from pages.sidebar import model_label

    files = [(name, photos[name], "image/jpeg") for name in ("dog.jpg", "cat.jpg")]
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
        prediction = second.classify(jpeg_bytes(load_photo(data)))  # what the page keeps of an upload
        icon = "🐶" if prediction.label == "dog" else "🐱"
        assert f"{icon} **{prediction.verdict}**" in said, (name, said)


@pytest.fixture
def one_model(app_dirs, monkeypatch):
    """A server with the bundled model alone: nothing in its models folder, no second bundled model."""
    monkeypatch.setattr(catdog.runs, "BUNDLED_MODELS", (BUNDLED_MODEL,))


def test_with_a_single_model_there_is_nothing_to_compare(open_app, photos, one_model):
    at = upload(open_app(), [("dog.jpg", photos["dog.jpg"], "image/jpeg")])
    assert not at.exception
    assert len(at.sidebar.radio(key="model_path").options) == 1
    assert len(verdicts(at)) == 1
    assert not [toggle for toggle in at.toggle if toggle.key == "compare_models"]
    assert not [block for block in at.markdown if block.value == "**What the other models say**"]


def test_look_inside_shows_a_layers_channels_and_augmented_versions_of_the_photo(open_app, photos):
    from catdog.predict import Classifier

    at = upload(open_app(), [("dog.jpg", photos["dog.jpg"], "image/jpeg")])
    (inside,) = [t for t in at.toggle if t.key.startswith("inside_")]
    assert inside.value is False  # nothing computed until asked
    inside.set_value(True)
    at.run()
    assert not at.exception
    layers = Classifier.load(BUNDLED_MODEL).conv_layers()
    (slider,) = [s for s in at.select_slider if s.key.startswith("layer_")]
    assert slider.options == layers and slider.value == layers[0]  # first layers first

    def channel_captions():
        return [img.caption for image in at.get("image") for img in image.proto.imgs if "channels, each" in img.caption]

    first = channel_captions()
    assert len(first) == 1 and first[0].startswith(f"{layers[0]}: ")
    assert any(block.value.startswith("**How augmentation sees this photo**") for block in at.markdown)
    assert sum(len(image.proto.imgs) for image in at.get("image")) >= 8 + 3  # 8 variations, photo, input, heatmap
    slider.set_value(layers[-1])
    at.run()
    assert not at.exception
    assert channel_captions()[0].startswith(f"{layers[-1]}: ") and channel_captions() != first


# --- photos that are neither -------------------------------------------------------------------------


def test_a_drawing_of_a_car_is_called_neither_a_cat_nor_a_dog_with_the_models_own_verdict_beside_it(open_app, photos):
    from bench.neither_calibration import non_pet_images

    car = io.BytesIO()
    non_pet_images("car", 1, first_seed=4000)[0].save(car, "PNG")
    at = upload(open_app(), [("car.png", car.getvalue(), "image/png"), ("dog.jpg", photos["dog.jpg"], "image/jpeg")])
    assert not at.exception
    assert [box.value.endswith("**This doesn't look like a cat or a dog**") for box in at.warning] == [True]
    said = [c.value for c in at.caption if c.value.startswith("The model, which only knows cats and dogs")]
    assert len(said) == 1 and VERDICT.search(said[0])  # the two-class verdict is still shown, as a caption
    assert len(verdicts(at)) == 1  # the dog keeps its own verdict
    table = at.dataframe[0].value
    assert table["verdict"].str.startswith("neither? (the model: ").tolist() == [True, False]  # in upload order
