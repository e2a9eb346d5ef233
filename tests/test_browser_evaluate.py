"""The Evaluate page in headless Chromium: a real server scores the bundled models on a small labelled folder.

The server (tests/test_browser.py's running_app) reads a dataset of 4 test photos per class
copied from the shared photos, one of each class a photo the default model gets wrong, and
an empty models folder. Screenshots go to tests/artifacts/ with the other browser tests'.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pytest
from test_browser import (
    NAVIGATION,
    VERDICT_TIMEOUT_MS,
    expect,
    running_app,
    screenshot,
    set_slider,
    wait_until_idle,
)

# Shared test photos the default model gets wrong: a cat it calls a dog, a dog it calls a cat.
MISTAKES = {"cats": "cat.4622.jpg", "dogs": "dog.4616.jpg"}
CELL_BUTTON = re.compile(r"^(cat|dog)s said (cat|dog) \((\d+)\)$")
CSV_COLUMNS = ["path", "true label", "dog probability", "predicted label", "correct", "model"]


@pytest.fixture(scope="module")
def app_url(shared_data: Path, tmp_path_factory: pytest.TempPathFactory):
    """A fresh app server whose data folder holds "pets": 3 easy and 1 hard test photo per class."""
    from conftest import build_dataset

    root = tmp_path_factory.mktemp("browser_evaluate")
    data_dir, models_dir = root / "data", root / "models"
    models_dir.mkdir()
    pets = build_dataset(shared_data, data_dir / "pets", train=1, validation=0, test=3)
    for folder, name in MISTAKES.items():
        shutil.copyfile(shared_data / "test" / folder / name, pets / "test" / folder / name)
    with running_app(data_dir, models_dir, root / "streamlit.log") as url:
        yield url


@pytest.fixture
def page(visitor, app_url):
    """A new visitor, on this module's app server."""
    return visitor


def open_evaluate_page(page, url: str) -> None:
    page.goto(f"{url}/evaluate")
    page.get_by_role("heading", name=re.compile("Evaluate a model")).wait_for()
    expect(page.get_by_test_id("stSidebarNav").get_by_role("link")).to_have_text(NAVIGATION)
    page.get_by_text("Press Evaluate").wait_for(timeout=VERDICT_TIMEOUT_MS)  # the model is loaded


def press_evaluate(page) -> None:
    page.get_by_role("button", name="Evaluate", exact=True).click()
    page.get_by_test_id("stMetric").filter(has_text="Accuracy").first.wait_for(timeout=VERDICT_TIMEOUT_MS)
    wait_until_idle(page, VERDICT_TIMEOUT_MS)


def cell_buttons(page) -> dict[tuple[str, str], int]:
    """The cell picker's choices: {("cat", "dog"): 1, ...}, true class then answer."""
    picker = page.get_by_role("radiogroup", name="Cell of the confusion matrix")
    texts = picker.get_by_role("radio").all_inner_texts()
    return {(m.group(1), m.group(2)): int(m.group(3)) for m in (CELL_BUTTON.match(t.strip()) for t in texts)}


def matrix(page, index: int = 0) -> dict[tuple[str, str], int]:
    """The counts that Plotly drew in a confusion matrix, read from the chart's own data."""
    chart = page.locator(f".st-key-confusion_{index} .js-plotly-plot")
    rows = chart.evaluate("el => el.data[0].text")
    return {
        (true, said): int(re.match(r"<b>(\d+)</b>", rows[t][s]).group(1))
        for t, true in enumerate(("cat", "dog"))
        for s, said in enumerate(("cat", "dog"))
    }


def test_a_visitor_scores_the_default_model_opens_a_cell_of_the_matrix_and_moves_the_threshold(page, app_url):
    open_evaluate_page(page, app_url)  # a fresh server's first request: the whole app still opens
    expect(page.get_by_role("radio", name="test (8)")).to_be_checked()  # the test split by default
    press_evaluate(page)

    accuracy = page.get_by_test_id("stMetric").filter(has_text="Accuracy").get_by_test_id("stMetricValue")
    expect(accuracy).to_have_text("75.0%")  # 6 of 8: the two photos it is known to get wrong
    counts = cell_buttons(page)
    assert counts == matrix(page) == {("cat", "cat"): 3, ("cat", "dog"): 1, ("dog", "cat"): 1, ("dog", "dog"): 3}

    page.get_by_role("radio", name="cats said dog (1)").click()
    wait_until_idle(page, VERDICT_TIMEOUT_MS)
    caption = re.compile(r"^cat\.4622\.jpg: a cat, (over )?\d+% dog$")
    photo = page.get_by_test_id("stImage").filter(has=page.get_by_text(caption)).first
    photo.scroll_into_view_if_needed()
    assert photo.locator("img").evaluate("img => img.complete && img.naturalWidth > 0"), "the cell's photo loads"
    screenshot(page, "evaluate-a-cell-of-the-matrix")

    set_slider(page, "Threshold", ["Home"], "1%")  # dog from 1% up: the dog at 20% is now said dog
    moved = cell_buttons(page)
    assert moved == matrix(page) == {("cat", "cat"): 3, ("cat", "dog"): 1, ("dog", "cat"): 0, ("dog", "dog"): 4}
    expect(accuracy).to_have_text("87.5%")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download every photo's result as CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert download.value.suggested_filename == "catdog-evaluation-pets-test.csv"
    assert list(rows[0]) == CSV_COLUMNS
    assert len(rows) == 8 and {row["model"] for row in rows} == {"catdog"}
    assert {row["path"] for row in rows} >= {f"test/{folder}/{name}" for folder, name in MISTAKES.items()}
    for row in rows:
        assert re.fullmatch(r"[01](\.\d{1,4})?", row["dog probability"]), row
        assert row["predicted label"] == ("dog" if float(row["dog probability"]) >= 0.01 else "cat"), row
    assert sum(row["correct"] == "True" for row in rows) == 7
    screenshot(page, "evaluate-threshold-1")


def test_two_models_are_scored_side_by_side(page, app_url):
    open_evaluate_page(page, app_url)
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Compare with").click()
    page.get_by_role("option", name=re.compile("^convnet-from-scratch")).click()
    wait_until_idle(page)
    press_evaluate(page)

    metrics = page.get_by_test_id("stMetric")
    expect(metrics.filter(has_text="Accuracy")).to_have_count(2)
    expect(metrics.filter(has_text="AUC")).to_have_count(2)
    assert sum(matrix(page, 0).values()) == sum(matrix(page, 1).values()) == 8
    roc = page.locator(".st-key-roc .js-plotly-plot")
    names = roc.evaluate("el => el.data.map(trace => trace.name)")
    assert any(name.startswith("catdog (AUC") for name in names), names
    assert any(name.startswith("convnet-from-scratch (AUC") for name in names), names
    screenshot(page, "evaluate-two-models")
