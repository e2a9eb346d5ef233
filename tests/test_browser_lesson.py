"""The Lesson page in headless Chromium: the three steps done, their runs on one chart, a class photo under each model.

The server (tests/test_browser.py's running_app) reads a small dataset copied from the shared photos
and a models folder holding the three steps' finished runs (their models: the session's tiny one).
Screenshots in English and Chinese, at 1280×720, go to tests/artifacts/lesson-en.png and lesson-zh.png.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import PAGE_TIMEOUT_MS, new_visitor
from test_browser import VERDICT_TIMEOUT_MS, expect, running_app, screenshot

from catdog.lesson import LESSON_STEPS
from catdog.runs import Epoch, RunRecord, metadata_path

# What each step's run scored in the README's measured lesson: (training, validation) accuracy per epoch.
SCORES = {
    "overfit": [(0.55, 0.6), (0.7, 0.65), (0.85, 0.68), (0.95, 0.69), (1.0, 0.69)],
    "augment": [(0.52, 0.6), (0.6, 0.63), (0.68, 0.66), (0.76, 0.67), (0.82, 0.68)],
    "pretrained": [(0.85, 0.93), (0.94, 0.96), (0.97, 0.97), (0.98, 0.975), (0.98, 0.977)],
}


@pytest.fixture(scope="module")
def app_url(shared_data: Path, tiny_model, tmp_path_factory: pytest.TempPathFactory):
    """A fresh app server with "cats_vs_dogs_small" (2 photos per class and split) and the three steps run on it."""
    from conftest import build_dataset

    root = tmp_path_factory.mktemp("browser_lesson")
    data_dir, models_dir = root / "data", root / "models"
    models_dir.mkdir()
    dataset = build_dataset(shared_data, data_dir / "cats_vs_dogs_small", train=2, validation=2, test=2)
    for step in LESSON_STEPS:
        record = RunRecord(step.run_name, step.config, status="finished", data=str(dataset.resolve()), seconds=95.0)
        for epoch, (train, validation) in enumerate(SCORES[step.key], start=1):
            scores = {"accuracy": train, "val_accuracy": validation, "loss": 1 - train, "val_loss": 1.2 - validation}
            record.add_epoch(Epoch(epoch, **scores))
        record.save(metadata_path(models_dir / f"{step.run_name}.keras"))
        shutil.copyfile(tiny_model[0], models_dir / f"{step.run_name}.keras")
    with running_app(data_dir, models_dir, root / "streamlit.log") as url:
        yield url


@pytest.fixture
def tab(browser):
    """A new visitor on a 1280×720 window: a classroom projector's size."""
    with new_visitor(browser, viewport={"width": 1280, "height": 720}) as page:
        yield page


@pytest.mark.parametrize(
    ("lang", "heading", "verdict"), [("en", "A lesson in three runs", "sure"), ("zh", "三次训练上完一节课", "把握")]
)
def test_the_lesson_shows_its_steps_the_runs_compared_and_a_class_photo_under_each_model(
    tab, app_url, shared_data, lang, heading, verdict
):
    tab.goto(f"{app_url}/lesson?lang={lang}")
    tab.get_by_role("heading", name=heading).wait_for()
    expect(tab.get_by_test_id("stMetric")).to_have_count(12, timeout=PAGE_TIMEOUT_MS)  # 4 for each finished step
    tab.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(shared_data / "test" / "dogs" / "dog.4501.jpg")
    alerts = tab.get_by_test_id("stAlertContentSuccess").or_(tab.get_by_test_id("stAlertContentWarning"))
    expect(alerts.filter(has_text=verdict)).to_have_count(3, timeout=VERDICT_TIMEOUT_MS)  # one verdict per step
    smaller = {"en": "smaller than the notes assume", "zh": "比讲义假设的小"}[lang]  # 2 photos a class here
    expect(alerts.filter(has_text=smaller)).to_have_count(1)
    expect(tab.get_by_text(verdict)).to_have_count(3)
    screenshot(tab, f"lesson-{lang}")
