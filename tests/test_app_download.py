"""The Train page with no dataset under Streamlit's AppTest: the download button, a download, a failed one.

catdog.download.TUTORIAL_URL points at a local HTTP server (test_download.py's LocalServer) serving a small ZIP of
real photos in the tutorial's layout, so nothing here touches the internet, even if the page downloaded too soon.
"""

from __future__ import annotations

import socket
from pathlib import Path
from types import SimpleNamespace

import pytest
from test_download import TOP, LocalServer, contents, zip_bytes

from catdog import download

TRAIN_PAGE = "pages/train.py"
TUTORIAL_PATH = f"/mledu-datasets/{TOP}.zip"
PHOTOS = {"train": 3, "validation": 2}  # per class, in the ZIP the local server offers


@pytest.fixture
def tutorial(tmp_path: Path, copy_shared, monkeypatch: pytest.MonkeyPatch):
    """The tutorial's address and size patched to a local server; .server and .zip (not served yet)."""
    photos = tmp_path / "photos"
    entries = []
    for split, count in PHOTOS.items():
        for class_folder in ("cats", "dogs"):
            for photo in copy_shared(split, class_folder, count, photos / split / class_folder):
                entries.append((f"{TOP}/{split}/{class_folder}/{photo.name}", photo.read_bytes()))
    archive = zip_bytes(entries)
    server = LocalServer()
    monkeypatch.setattr(download, "TUTORIAL_URL", server.url(TUTORIAL_PATH))
    monkeypatch.setattr(download, "TUTORIAL_SIZE", len(archive))
    yield SimpleNamespace(server=server, zip=archive)
    server.close()


def download_button(at):
    found = [b for b in at.button if b.key == "download_dataset"]
    return found[0] if found else None


def dataset_picker(at):
    found = [s for s in at.selectbox if s.key == "dataset"]  # the sidebar holds the model picker too
    return found[0] if found else None


def says_no_dataset(at) -> bool:
    return any(info.value.startswith("No dataset on this server yet") for info in at.info)


def element_texts(at) -> list[str]:
    """The text of every element on the page, main area and sidebar, as protobuf text (labels, help, values)."""
    texts = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            texts.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    walk(at.sidebar)
    return texts


def closed_port_url() -> str:
    """An address on a local port nothing listens on: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/{TOP}.zip"


# --- a visitor finds no dataset ----------------------------------------------------------------------


def test_with_no_dataset_the_page_offers_the_download_and_shows_no_server_path(open_app, app_dirs, tutorial, tmp_path):
    at = open_app(TRAIN_PAGE)

    assert not at.exception
    assert says_no_dataset(at)
    button = download_button(at)
    assert button is not None and f"({len(tutorial.zip) / 1e6:.0f} MB)" in button.label
    assert tutorial.server.requests == []  # showing the page downloads nothing
    assert dataset_picker(at) is None and not at.dataframe

    messages = [e.value for kind in ("markdown", "info", "caption", "error", "warning") for e in at.get(kind)]
    everything = element_texts(at)
    assert any("No dataset on this server yet" in text for text in everything)  # the walk sees the page
    for text in [*messages, *everything]:
        for path in (str(app_dirs.data), str(app_dirs.models), str(tmp_path), "/tmp"):
            assert path not in text, f"{path} shown on the page: {text[:300]}"


def test_the_download_button_fetches_the_photos_and_the_picker_then_offers_them(open_app, app_dirs, tutorial):
    tutorial.server.serve(TUTORIAL_PATH, tutorial.zip)
    at = open_app(TRAIN_PAGE)

    download_button(at).click().run()

    assert not at.exception
    assert not at.error
    assert tutorial.server.requests == [TUTORIAL_PATH]
    assert contents(app_dirs.data) == [TOP]  # no hidden staging folder left behind
    assert not says_no_dataset(at) and download_button(at) is None
    assert dataset_picker(at).options == [TOP]
    counts = at.dataframe[0].value
    assert counts.to_dict("index") == {
        "train": {"cat": 3, "dog": 3, "total": 6},
        "validation": {"cat": 2, "dog": 2, "total": 4},
    }


@pytest.mark.parametrize("failure", ["404", "refused"])
def test_a_failed_download_says_why_in_one_plain_error_and_leaves_no_dataset(
    failure, open_app, app_dirs, tutorial, monkeypatch
):
    if failure == "refused":
        monkeypatch.setattr(download, "TUTORIAL_URL", closed_port_url())
    at = open_app(TRAIN_PAGE)

    download_button(at).click().run()

    assert not at.exception
    errors = [error.value for error in at.error]
    assert len(errors) == 1, errors
    assert errors[0].startswith("The download failed: ")
    assert ("answered 404" if failure == "404" else "(Connection refused)") in errors[0]
    assert "Traceback" not in errors[0]
    assert tutorial.server.requests == ([TUTORIAL_PATH] if failure == "404" else [])
    assert contents(app_dirs.data) == []
    assert says_no_dataset(at) and dataset_picker(at) is None
    assert download_button(at) is not None  # to try again


# --- a server where visitors may not train ---------------------------------------------------------


@pytest.mark.parametrize("where", ["environment", "secrets"])
def test_with_training_off_there_is_no_download_button(where, open_app, tutorial, monkeypatch):
    if where == "environment":
        monkeypatch.setenv("CATDOG_TRAINING", "off")
        at = open_app(TRAIN_PAGE)
    else:
        at = open_app(TRAIN_PAGE, secrets={"training": "off"})

    assert not at.exception
    assert any("Training is turned off" in info.value for info in at.info)
    assert says_no_dataset(at)
    assert download_button(at) is None


def test_with_training_locked_the_download_button_appears_only_after_the_password(open_app, tutorial):
    at = open_app(TRAIN_PAGE, secrets={"training": "password", "training_password": "x"})

    assert not at.exception
    assert says_no_dataset(at)
    assert download_button(at) is None

    at.text_input(key="training_password").input("x").run()
    assert not at.exception
    assert download_button(at) is not None
    assert tutorial.server.requests == []
