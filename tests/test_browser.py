"""End-to-end browser tests: a real Streamlit server, driven by headless Chromium through Playwright.

The server runs `streamlit run app.py` on a free local port with CATDOG_DATA_DIR pointing at a
small dataset copied from the tests' photos and CATDOG_MODELS_DIR at an empty temporary folder,
so nothing is written into the repository except screenshots in tests/artifacts/ (gitignored).
Most tests share one server; the shared-link tests start their own, as they are about its first
request. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from conftest import PAGE_TIMEOUT_MS
from PIL import Image, ImageOps

from bench.common import free_port, healthy, stop_server
from catdog.config import UPLOADS_HELD_BYTES_MAX

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "tests" / "artifacts"
DATASET_NAME = "browser_pets"  # the folder under CATDOG_DATA_DIR; the Train page lists it by this name
DATASET_COUNTS = {"train": 30, "validation": 10, "test": 4}  # photos per class

# Timeouts, in milliseconds for Playwright and seconds for Python. The machine is small and busy:
# the first classification imports TensorFlow and loads the model inside the server.
VERDICT_TIMEOUT_MS = 120_000
SERVER_START_S = 60
TRAINING_S = 150

VERDICT = re.compile(r"(Dog|Cat) — (over )?\d+% sure|Not sure \(\d+% dog\)")
UPRIGHT_CAPTION = re.compile(r"Your photo, upright: (\d+) × (\d+) pixels")
MODEL_SEES_CAPTION = re.compile(r"What the model sees: (\d+) × (\d+) pixels, enlarged")
ORIENTATION = 0x0112  # the EXIF tag
NAVIGATION = [re.compile(f"{name}$") for name in ("Classify", "Evaluate", "Train", "Lesson")]  # app.py's pages


# --------------------------------------------------------------------------- fixtures


SERVERS: dict[str, subprocess.Popen] = {}  # base URL: its server process, for tests that measure it


@contextmanager
def running_app(data_dir: Path, models_dir: Path, log_path: Path, options: tuple[str, ...] = ()) -> Iterator[str]:
    """The base URL of `streamlit run app.py` on a free port, answering its health check; stopped on exit.

    options: more of the server's command-line options ("--server.disconnectedSessionTTL", "2").
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "CATDOG_DATA_DIR": str(data_dir),
        "CATDOG_MODELS_DIR": str(models_dir),
        "CATDOG_TRAINING": "on",
    }
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    command += ["--server.headless", "true", "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    command += options
    with open(log_path, "wb") as log:
        server = subprocess.Popen(  # its own process group, with any training run it starts
            command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + SERVER_START_S
        while not healthy(url):
            if server.poll() is not None:
                pytest.fail(f"streamlit exited with {server.returncode}:\n{log_path.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not answer {url}/_stcore/health in {SERVER_START_S} s")
            time.sleep(0.5)
        SERVERS[url] = server
        yield url
    finally:
        SERVERS.pop(url, None)
        stop_server(server)


@pytest.fixture(scope="module")
def app_server(photo_dataset: Path, tmp_path_factory: pytest.TempPathFactory):
    """(base URL, models folder) of the app server that most tests share, with a small dataset."""
    from conftest import build_dataset

    root = tmp_path_factory.mktemp("browser_app")
    data_dir, models_dir = root / "data", root / "models"
    models_dir.mkdir()
    build_dataset(photo_dataset, data_dir / DATASET_NAME, **DATASET_COUNTS)
    log_path = root / "streamlit.log"
    try:
        with running_app(data_dir, models_dir, log_path) as url:
            yield url, models_dir
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "streamlit-server.log").write_bytes(log_path.read_bytes())  # for a failure's post-mortem


@pytest.fixture
def fresh_app_url(tmp_path: Path) -> Iterator[str]:
    """A just-started app server that nobody has visited yet, with empty data and models folders."""
    data_dir, models_dir = tmp_path / "data", tmp_path / "models"
    data_dir.mkdir()
    models_dir.mkdir()
    with running_app(data_dir, models_dir, tmp_path / "streamlit.log") as url:
        yield url


@pytest.fixture
def page(visitor, app_server):
    """A new visitor, on the shared app server."""
    return visitor


@pytest.fixture
def app_url(app_server) -> str:
    return app_server[0]


@pytest.fixture(scope="module")
def phone_photo(photos_of, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 12-megapixel JPEG stored on its side with EXIF Orientation 6, as phones save photos.

    Upright it is a 4000×3000 landscape photo of a dog; the stored pixels are 3000×4000 (turned
    90° counter-clockwise), and Orientation=6 tells a viewer to turn them 90° clockwise.
    """
    source = photos_of("test", "dogs")[0]
    upright = Image.open(source).convert("RGB").resize((4000, 3000), Image.Resampling.BICUBIC)
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    path = tmp_path_factory.mktemp("phone") / "IMG_20240601_phone.jpg"
    upright.transpose(Image.Transpose.ROTATE_90).save(path, quality=90, exif=exif)

    stored = Image.open(path)
    assert stored.size == (3000, 4000), "the stored pixels are portrait"
    shown = ImageOps.exif_transpose(stored).reduce(8)
    assert shown.size == (500, 375), "a viewer applying EXIF shows a landscape photo"
    difference = np.abs(np.asarray(shown, float) - np.asarray(upright.reduce(8), float)).mean()
    assert difference < 12, f"EXIF turns the photo upright (mean difference {difference:.1f} of 255)"
    return path


# --------------------------------------------------------------------------- helpers


def expect(target):
    """Playwright's expect, imported late so that a missing playwright package skips rather than errors."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def screenshot(page, name: str) -> Path:
    """A full-page PNG in tests/artifacts/, once the script run is over and the fonts (emoji too) are in.

    Streamlit scrolls inside <main>, not the document, so Playwright's full_page alone only
    captures the window: grow the window to the content first.
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    wait_until_idle(page)
    page.evaluate("() => document.fonts.ready.then(() => true)")
    path = ARTIFACTS / f"{name}.png"
    window = page.viewport_size
    content = page.evaluate(
        "() => { const main = document.querySelector('[data-testid=\"stMain\"]');"
        " return main ? main.scrollHeight : document.documentElement.scrollHeight; }"
    )
    page.set_viewport_size({"width": window["width"], "height": max(window["height"], min(content, 8000))})
    page.wait_for_timeout(600)  # let Plotly and the images lay out at the new size
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(window)
    return path


def wait_until_idle(page, timeout_ms: int = PAGE_TIMEOUT_MS) -> None:
    """Wait until the script run that a widget change started has finished."""
    page.wait_for_timeout(300)  # the rerun request may not have reached the server yet
    page.wait_for_function(
        "() => { const app = document.querySelector('[data-testid=\"stApp\"]');"
        " return app && app.dataset.testScriptState === 'notRunning'; }",
        timeout=timeout_ms,
    )


def open_app(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("heading", name=re.compile("Cat or dog")).wait_for()
    page.get_by_text("Upload a photo (or several) to start.").wait_for()


def wait_for_the_model(page) -> None:
    """A fresh server draws its first page before its model has loaded, saying "Loading the model…" until it has."""
    wait_until_idle(page)
    expect(page.get_by_text("Loading the model")).to_have_count(0, timeout=VERDICT_TIMEOUT_MS)


def upload(page, files) -> None:
    # The Streamlit file_uploader's hidden <input type="file">; the camera toggle is left alone.
    page.set_input_files('[data-testid="stFileUploader"] input[type="file"]', files)


def result_card(page, name: str):
    """The bordered card of one classified photo: the innermost block holding its heading and its photo."""
    heading = page.get_by_role("heading", name=name, exact=True)
    heading.wait_for(timeout=VERDICT_TIMEOUT_MS)
    blocks = page.locator('[data-testid="stVerticalBlock"]').filter(has=heading)
    return blocks.filter(has=page.locator('[data-testid="stImage"]')).last


def check_result_card(card) -> dict:
    """Verdict, probability bars, two loaded images and their captions; returns the parsed sizes."""
    card.get_by_text(VERDICT).first.wait_for(timeout=VERDICT_TIMEOUT_MS)
    card.locator(".catdog-bars").first.wait_for()
    images = card.locator('[data-testid="stImage"] img')
    images.nth(1).wait_for()
    assert images.count() >= 2, "the upright photo and the model's input are both shown"
    for index in range(images.count()):
        images.nth(index).scroll_into_view_if_needed()
        loaded = images.nth(index).evaluate("img => img.complete && img.naturalWidth > 0")
        assert loaded, f"image {index} of the card is broken"
    card_text = card.inner_text()
    upright = UPRIGHT_CAPTION.search(card_text)
    sees = MODEL_SEES_CAPTION.search(card_text)
    assert upright, f"no 'Your photo, upright: W × H pixels' caption in: {card_text!r}"
    assert sees, f"no 'What the model sees: N × N pixels, enlarged' caption in: {card_text!r}"
    assert sees.group(1) == sees.group(2), "the model's input is square"
    return {
        "verdict": VERDICT.search(card_text).group(0),
        "upright": (int(upright.group(1)), int(upright.group(2))),
        "model_input": int(sees.group(1)),
    }


def grid_rows(table) -> list[list[str]]:
    """The cells of a st.dataframe, read from the accessible table that the grid keeps in its canvas."""
    table.locator("table tbody tr").first.wait_for(state="attached")
    return table.evaluate(
        "el => [...el.querySelectorAll('table tr')].map(row =>"
        " [...row.querySelectorAll('th, td')].map(cell => cell.textContent.trim()))"
    )


def sample_photos(page):
    """The Train page's sample thumbnails: st.html figures (the live panel's heatmaps are st.image)."""
    return page.get_by_test_id("stMain").locator('[data-testid="stHtml"] figure img')


def check_sample_photos(page) -> None:
    """Eight loaded thumbnails, four of each class, each named in its caption."""
    samples = sample_photos(page)
    samples.nth(7).wait_for(state="attached")
    assert samples.count() == 8, "four sample photos of each class"
    assert samples.evaluate_all("imgs => imgs.every(img => img.complete && img.naturalWidth > 0)"), "none broken"
    captions = page.get_by_test_id("stMain").locator('[data-testid="stHtml"] figcaption').all_inner_texts()
    assert sum(c.startswith("cat") for c in captions) == 4 and sum(c.startswith("dog") for c in captions) == 4


def set_slider(page, label: str, keys: list[str], expected: str) -> None:
    """Move a st.slider / st.select_slider with the keyboard, then check the value it shows."""
    slider = page.locator('[data-testid="stSlider"]').filter(has_text=label)
    thumb = slider.locator('input[type="range"], [role="slider"]').first
    thumb.focus()
    for key in keys:
        page.keyboard.press(key)
    slider.get_by_test_id("stSliderThumbValue").filter(has_text=re.compile(rf"^{re.escape(expected)}$")).wait_for()
    wait_until_idle(page)


def choose_small_training_options(page, epochs: int) -> None:
    """100 photos per class (which brings its own defaults), epochs, and (under Advanced) 64-pixel images,
    8 filters, batches of 16."""
    chooser = page.locator('[data-testid="stSelectbox"]').filter(has_text="Training photos per class")
    chooser.click()
    page.get_by_role("option", name=re.compile(r"^100 \(small data")).click()
    wait_until_idle(page)
    assert chooser.locator("input").input_value().startswith("100 (small data")
    set_slider(page, "Epochs", ["Home"] + ["ArrowRight"] * (epochs - 1), str(epochs))
    page.locator('[data-testid="stExpander"]').filter(has_text="Advanced").locator("summary").click()
    set_slider(page, "Image size (pixels)", ["Home"], "64")
    set_slider(page, "Filters in the first layer", ["ArrowLeft", "ArrowLeft"], "8")  # 24 → 16 → 8
    set_slider(page, "Batch size", ["Home"], "16")  # 60 photos: 4 batches an epoch, so 4 points each


def go_to_train_page(page, url: str) -> None:
    open_app(page, url)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=re.compile("Train")).click()
    page.get_by_role("heading", name=re.compile("Train a convnet")).wait_for()
    page.get_by_role("heading", name="New run").wait_for()
    expect(page).to_have_url(re.compile(r"/train(\?lang=en)?$"))  # the address bar names the language


# --------------------------------------------------------------------------- shared links


@pytest.mark.parametrize(
    "path, heading", [("/", "Cat or dog"), ("/classify", "Cat or dog"), ("/train", "Train a convnet")]
)
def test_a_shared_link_opens_the_whole_app_even_as_a_fresh_servers_first_request(visitor, fresh_app_url, path, heading):
    visitor.goto(fresh_app_url + path)
    visitor.get_by_role("heading", name=re.compile(heading)).wait_for()

    sidebar = visitor.get_by_test_id("stSidebar")
    # app.py's navigation, not Streamlit's list of the files in pages/ (app, classify, access, downloads, evaluate, …)
    links = sidebar.get_by_test_id("stSidebarNav").get_by_role("link")
    expect(links).to_have_text(NAVIGATION, timeout=PAGE_TIMEOUT_MS)
    expect(sidebar.get_by_text("Classify with")).to_be_visible()  # app.py's model picker
    expect(visitor.get_by_test_id("stAppViewContainer")).to_have_attribute("data-layout", "wide")  # app.py sets it
    screenshot(visitor, f"first-request-{path.strip('/') or 'root'}")


def test_a_class_opening_the_teachers_link_at_once_all_get_the_whole_app(browser, fresh_app_url):
    """Several first visits at once: those that start before another one has ended Streamlit's legacy routing too."""
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(4)]
    try:
        tabs = [context.new_page() for context in contexts]
        for tab in tabs:
            tab.goto(f"{fresh_app_url}/train", wait_until="commit")  # all four load together
        for tab in tabs:
            links = tab.get_by_test_id("stSidebarNav").get_by_role("link")
            expect(links).to_have_text(NAVIGATION, timeout=PAGE_TIMEOUT_MS)
            expect(tab.get_by_test_id("stSidebar").get_by_text("Classify with")).to_be_visible()
            expect(tab.get_by_role("heading", name=re.compile("Train a convnet"))).to_be_visible()
    finally:
        for context in contexts:
            context.close()


# --------------------------------------------------------------------------- the Classify page


def test_a_visitor_uploads_a_sideways_12_megapixel_phone_photo_and_sees_it_upright_with_a_verdict(
    page, app_url, phone_photo
):
    open_app(page, app_url)
    upload(page, phone_photo)

    card = result_card(page, phone_photo.name)
    result = check_result_card(card)
    # The caption gives the size of the photo sent, upright: EXIF Orientation was applied.
    assert result["upright"] == (4000, 3000), result
    shown = card.locator('[data-testid="stImage"] img').first.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert max(shown) <= 1024, "a 12 MP photo is shown at a page-friendly size"
    assert shown[0] > shown[1] and abs(shown[0] / shown[1] - 4 / 3) < 0.01, shown
    page.get_by_role("heading", name=phone_photo.name, exact=True).scroll_into_view_if_needed()
    screenshot(page, "classify-phone-photo")


def test_a_text_file_named_like_a_photo_gets_a_clear_error_and_the_page_keeps_working(
    page, app_url, not_a_photo, tmp_path, photos_of
):
    open_app(page, app_url)
    upload(page, not_a_photo(tmp_path / "notes.jpg"))
    error = page.locator('[data-testid="stAlert"]').filter(has_text="notes.jpg")
    error.wait_for(timeout=VERDICT_TIMEOUT_MS)
    assert "not an image we can read" in error.inner_text()
    assert page.get_by_text(VERDICT).count() == 0
    screenshot(page, "classify-not-a-photo")

    cat = photos_of("test", "cats")[0]  # straight from the read-only dataset: the browser reads it
    upload(page, cat)
    check_result_card(result_card(page, cat.name))
    assert "not an image we can read" in error.inner_text(), "the bad file is still listed with its error"
    screenshot(page, "classify-not-a-photo-then-a-photo")


def test_a_photos_card_shows_where_the_model_looked_and_what_its_layers_see(page, app_url, photos_of):
    dog = photos_of("test", "dogs")[0]
    open_app(page, app_url)
    upload(page, dog)
    card = result_card(page, dog.name)
    check_result_card(card)
    looked = card.locator('[data-testid="stImage"]').filter(has_text="Where the model looked")
    looked.wait_for(timeout=VERDICT_TIMEOUT_MS)
    assert looked.locator("img").evaluate("img => img.complete && img.naturalWidth > 0")
    screenshot(page, "classify-heatmap")

    card.get_by_text("Look inside the model").click()
    channels = card.locator('[data-testid="stImage"]').filter(has_text=re.compile(r"channels, each \d+ × \d+"))
    channels.wait_for(timeout=VERDICT_TIMEOUT_MS)
    card.get_by_text("How augmentation sees this photo").wait_for()
    variations = card.locator('[data-testid="stImage"] img')
    expect(variations).to_have_count(2 + 1 + 1 + 8)  # photo, heatmap, model input, channels, 8 variations
    channels.scroll_into_view_if_needed()
    screenshot(page, "classify-look-inside")


def resident_mb(pid: int) -> float:
    """The process's resident memory (VmRSS), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for process {pid}")


def uploads_held_bytes(url: str) -> int:
    """What Streamlit's upload store holds, from its metrics endpoint (absent when empty)."""
    text = urllib.request.urlopen(f"{url}/_stcore/metrics", timeout=10).read().decode()
    found = re.search(r'cache_memory_bytes\{cache_type="UploadedFileManager",cache=""\} (\d+)', text)
    return int(found.group(1)) if found else 0


def test_one_visitor_flooding_the_uploader_is_refused_past_the_budget_and_the_server_keeps_nothing(
    visitor, fresh_app_url, tmp_path
):
    """Ten 48 MB files (each under the 50 MB limit) in one go: what fits the session's upload budget is read (and
    is no photo), the rest is refused at the upload URL; the server lets go of all of it."""
    flood = []
    for i in range(10):
        flood.append(tmp_path / f"huge-{i}.jpg")
        flood[-1].write_bytes(os.urandom(48_000_000))
    open_app(visitor, fresh_app_url)
    wait_for_the_model(visitor)
    before = resident_mb(SERVERS[fresh_app_url].pid)  # the page drawn and the model loaded

    upload(visitor, flood)
    fitting = UPLOADS_HELD_BYTES_MAX // 48_000_000
    alerts = visitor.locator('[data-testid="stAlert"]').filter(has_text=re.compile(r"huge-\d\.jpg"))
    expect(alerts).to_have_count(len(flood), timeout=VERDICT_TIMEOUT_MS)  # each file named, read or refused
    wait_until_idle(visitor)  # the run after the last file is over
    said = alerts.all_inner_texts()
    read = [path.name for path in flood if any(path.name in a and "not an image we can read" in a for a in said)]
    assert len(read) == fitting, f"only what fits the budget reaches the page: {read}"
    # The rest is named too, with why: the browser showed only red chips, gone with the batch.
    refused = [path.name for path in flood if any(path.name in a and "not taken: the server holds" in a for a in said)]
    assert sorted(read + refused) == sorted(path.name for path in flood), said
    deadline = time.monotonic() + 30
    while uploads_held_bytes(fresh_app_url) and time.monotonic() < deadline:  # let go of once that run ends
        time.sleep(0.2)
    grown = resident_mb(SERVERS[fresh_app_url].pid) - before
    assert uploads_held_bytes(fresh_app_url) == 0
    # 480 MB came in; before the uploads were released, 316 to 550 MB of them stayed held.
    assert grown < 150, f"the server grew by {grown:.0f} MB and kept it"
    screenshot(visitor, "classify-upload-flood")


def test_several_photos_at_once_give_a_results_table_that_downloads_as_csv(page, app_url, photos_of):
    photos = photos_of("test", "cats")[:2] + photos_of("test", "dogs")[:1]
    open_app(page, app_url)
    upload(page, photos)

    for photo in photos:
        check_result_card(result_card(page, photo.name))
    table = page.locator('[data-testid="stDataFrame"]')
    table.wait_for()
    rows = grid_rows(table)
    assert rows[0] == ["file", "verdict", "dog probability", "true label", "time (ms)"], rows
    assert sorted(row[0] for row in rows[1:]) == sorted(p.name for p in photos)
    assert all(VERDICT.fullmatch(row[1]) for row in rows[1:]), rows
    assert all(re.fullmatch(r"(over |under )?\d+%", row[2]) for row in rows[1:]), rows

    button = page.get_by_role("button", name="Download as CSV").last  # the app's button, not the grid's icon
    with page.expect_download() as download:
        button.click()
    text = Path(download.value.path()).read_text()
    records = list(csv.DictReader(io.StringIO(text)))
    assert download.value.suggested_filename == "catdog-results.csv"
    assert [r["file"] for r in records] == [p.name for p in photos]
    assert {r["model"] for r in records} == {"catdog"}  # the model that gave these verdicts
    on_page = {row[0]: row[2] for row in rows[1:]}
    assert {r["file"]: r["dog probability"] for r in records} == on_page  # rounded by the page's one rule
    assert all(re.fullmatch(r"[01]\.\d{4}", r["dog probability (0 to 1)"]) for r in records), records
    screenshot(page, "classify-several-photos")


# --------------------------------------------------------------------------- the Train page


def test_the_train_page_shows_the_dataset_and_takes_small_options(page, app_url):
    go_to_train_page(page, app_url)

    dataset = page.locator('[data-testid="stSelectbox"]').filter(has_text="Dataset")
    assert dataset.locator("input").input_value() == DATASET_NAME
    rows = grid_rows(page.locator('[data-testid="stDataFrame"]').first)
    assert rows[0][1:] == ["cat", "dog", "total"], rows
    counts = {row[0]: [int(n) for n in row[1:]] for row in rows[1:]}
    assert counts == {split: [n, n, 2 * n] for split, n in DATASET_COUNTS.items()}
    check_sample_photos(page)

    choose_small_training_options(page, epochs=3)
    screenshot(page, "train-small-options")


def test_a_small_training_run_grows_its_curves_and_its_model_then_classifies(page, app_url, photos_of):
    epochs, name = 12, "browser-tiny"  # long enough to be seen mid-run by a panel redrawn every second
    go_to_train_page(page, app_url)
    choose_small_training_options(page, epochs=epochs)
    run_name = page.get_by_label("Run name")
    run_name.fill(name)
    run_name.press("Enter")
    wait_until_idle(page)
    window = page.viewport_size
    page.set_viewport_size({"width": window["width"], "height": 600})  # a laptop's: Start sits below the fold
    start = page.get_by_role("button", name="▶ Start training")
    start.scroll_into_view_if_needed()
    expect(page.get_by_role("heading", name="Train a convnet")).not_to_be_in_viewport()  # the panel's place: above
    start.click()
    page.get_by_role("heading", name=f"Run “{name}”").wait_for()
    # The page brings it into view once drawn (smooth scrolling: give a busy machine time).
    expect(page.get_by_role("heading", name=f"Run “{name}”")).to_be_in_viewport(timeout=30_000)
    page.set_viewport_size(window)

    status = page.locator('[data-testid="stMetric"]').filter(has_text="Status").get_by_test_id("stMetricValue")
    accuracy_chart = page.locator(".st-key-live_accuracy .js-plotly-plot")
    # Points on the training curve (trace 0). A redraw can briefly leave two copies: take the larger.
    points_js = "els => Math.max(0, ...els.map(el => (el.data && el.data.length ? el.data[0].x.length : 0)))"
    final = epochs * 4  # 60 photos in batches of 16: 4 batches an epoch, one point each
    seen: list[tuple[str, int]] = []  # (status, points) each time either changes
    shot = False
    deadline = time.monotonic() + TRAINING_S
    while True:
        state = status.inner_text().strip()
        if state == "failed":
            problem = page.locator('[data-testid="stAlert"]').all_inner_texts()
            pytest.fail(f"the training run failed: {problem}")
        assert state in ("preparing", "training", "finished"), state
        points = accuracy_chart.evaluate_all(points_js) if accuracy_chart.count() else 0
        if not seen or (state, points) != seen[-1]:
            seen.append((state, points))
        if state == "training" and 2 <= points < final and not shot:  # one point draws no line yet
            assert page.get_by_text(re.compile(rf"Epoch \d+/{epochs} · batch")).count() == 1
            screenshot(page, "train-running")
            check_sample_photos(page)  # still there after many reruns of the live panel
            shot = True
        if state == "finished" and points == final:  # the last redraw may lag the status a little
            break
        assert time.monotonic() < deadline, f"still {state} after {TRAINING_S} s: {seen}"
        page.wait_for_timeout(400)
    ARTIFACTS.joinpath("train-curve-samples.txt").write_text("".join(f"{s} {p}\n" for s, p in seen))
    partial = [i for i, (state, points) in enumerate(seen) if state == "training" and 0 < points < final]
    assert partial, f"the curve was seen part-drawn while the run trained: {seen}"
    assert seen[-1][1] > seen[partial[0]][1], f"and it grew: {seen}"

    use = page.get_by_role("button", name=f"Use “{name}” to classify")
    use.wait_for()
    screenshot(page, "train-finished")
    use.click()
    classify_heading = page.get_by_role("heading", name=re.compile("Cat or dog"))
    crash = page.get_by_test_id("stException")
    classify_heading.or_(crash).first.wait_for()
    if crash.count():
        pytest.fail(f"'Use “{name}” to classify' crashed: {crash.first.inner_text()[:400]}")
    expect(page).to_have_url(re.compile(r"/(classify)?(\?lang=en)?$"))  # Classify is the default page
    # The model picker, not the language picker above it.
    picker = page.get_by_test_id("stSidebar").get_by_role("radiogroup", name="Classify with")
    expect(picker.get_by_role("radio", checked=True)).to_have_accessible_name(  # 60 photos, 12 epochs: may be guessing
        re.compile(rf"^{name} · scratch · (\d+% accuracy|guessing: train longer)$"), timeout=PAGE_TIMEOUT_MS
    )

    label = page.get_by_test_id("stSidebar").locator('[data-testid="stRadio"] label p').first
    assert label.evaluate("el => getComputedStyle(el).overflowWrap") == "anywhere"  # a long name breaks beside its dot
    dog = photos_of("test", "dogs")[1]
    upload(page, dog)
    result = check_result_card(result_card(page, dog.name))
    assert result["model_input"] == 64, "the new 64-pixel model classified the photo"
    screenshot(page, "classify-with-new-model")
