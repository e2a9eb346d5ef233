"""Hostile names in headless Chromium: a run named in Markdown, a photo named in Markdown and HTML, shown as typed.

The server (tests/test_browser.py's running_app) has a small dataset and one past run whose name is a link,
an image from another server and bold text; nothing on the page may link or load from it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image
from test_browser import VERDICT_TIMEOUT_MS, open_app, running_app, screenshot, upload

from catdog.config import TrainConfig
from catdog.runs import RunRecord, metadata_path
from catdog.visitor_text import WORD_JOINER

RUN_NAME = "[click me](https://example.com/phish) ![t](http://127.0.0.1:9/track.png) __big__"
PHOTO_NAME = "[click me](https:example.com) ![t](track.png) __big__ <img src=x onerror=alert(1)>.jpg"  # no '/'


@pytest.fixture(scope="module")
def app_url(photo_dataset: Path, tmp_path_factory: pytest.TempPathFactory):
    from conftest import build_dataset

    root = tmp_path_factory.mktemp("browser_hostile")
    data_dir, models_dir = root / "data", root / "models"
    models_dir.mkdir()
    build_dataset(photo_dataset, data_dir / "pets", train=4, validation=2, test=0)
    record = RunRecord("someone-elses", TrainConfig(epochs=1), title=RUN_NAME, status="finished")
    record.save(metadata_path(models_dir / "someone-elses.keras"))
    with running_app(data_dir, models_dir, root / "streamlit.log") as url:
        yield url


def no_live_markup(page) -> None:
    """Nothing on the page links to the phishing address or loads the tracking image."""
    assert page.locator("a[href*='example.com']").count() == 0
    assert page.locator("img[src*='track'], img[src='x']").count() == 0


def test_a_run_named_in_markdown_reads_as_typed_in_the_delete_question(visitor, app_url):
    visitor.goto(f"{app_url}/train")
    visitor.get_by_role("heading", name=re.compile("Past runs")).wait_for(timeout=VERDICT_TIMEOUT_MS)
    visitor.get_by_role("button", name=re.compile("Delete")).click()
    question = visitor.get_by_test_id("stAlert").filter(has_text="for good")
    question.wait_for()
    asked = question.inner_text().replace(WORD_JOINER, "")  # invisible: it keeps addresses from being linked
    assert f"Delete “{RUN_NAME}” and its model for good?" in asked
    no_live_markup(visitor)
    screenshot(visitor, "hostile-run-name")


def test_a_photo_named_in_markdown_and_html_reads_as_typed_on_its_card(visitor, app_url, photos_of, tmp_path):
    photo = tmp_path / PHOTO_NAME
    Image.open(photos_of("train", "cats")[0]).convert("RGB").save(photo)
    open_app(visitor, app_url)
    upload(visitor, [photo])
    heading = visitor.locator("h4").filter(has_text="click me")
    heading.wait_for(timeout=VERDICT_TIMEOUT_MS)
    no_live_markup(visitor)
    shown = heading.locator("[data-heading-text]")
    assert shown.inner_text().replace(WORD_JOINER, "") == PHOTO_NAME
    assert shown.locator("*").count() == 0  # text only: no link, image or bold inside
    screenshot(visitor, "hostile-photo-name")
