"""Presentation mode and phones in headless Chromium: a projector's 1280×720 screen, and a 390×844 touch phone.

One server (tests/test_browser.py's running_app) serves every test, with a small dataset and two
past runs for the Train page's charts. Screenshots of what each screen shows go to tests/artifacts/:
present-*.png (1280×720, normal and presentation mode, English and Chinese) and phone-*.png.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import PAGE_TIMEOUT_MS, new_visitor
from test_browser import ARTIFACTS, VERDICT_TIMEOUT_MS, expect, running_app, upload, wait_until_idle

PROJECTOR = {"width": 1280, "height": 720}
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1400, "height": 1000}
# Each language's words the tests look for: the page's title, the switch, "Photo 1 of 2", a verdict.
WORDS = {
    "en": {
        "title": "Cat or dog?",
        "present": "Presentation mode",
        "photo_of": "Photo {number} of {count}",
        "verdict": re.compile(r"(Dog|Cat) — (over )?\d+% sure|Not sure \(\d+% dog\)"),
    },
    "zh": {
        "title": "是猫还是狗？",
        "present": "演示模式",
        "photo_of": "第 {number} 张，共 {count} 张",
        "verdict": re.compile(r"(狗|猫) — (超过 )?\d+% 的把握|拿不准"),
    },
}
VERDICT_TEXT = '[class*="st-key-verdict_"] [data-testid="stAlert"] p'
CARD = '[class*="st-key-card_"]'


@pytest.fixture(scope="module")
def app_url(photo_dataset: Path, tmp_path_factory: pytest.TempPathFactory):
    """A fresh app server: a dataset of 2 photos per class and split, and two past runs in the models folder."""
    from conftest import build_dataset

    from catdog.config import TrainConfig
    from catdog.runs import Epoch, RunRecord, metadata_path

    root = tmp_path_factory.mktemp("browser_present")
    data_dir, models_dir = root / "data", root / "models"
    models_dir.mkdir()
    build_dataset(photo_dataset, data_dir / "pets", train=2, validation=2, test=2)
    for name, augment in (("small-augmented", True), ("small-plain", False)):
        run = RunRecord(name, TrainConfig(epochs=3, limit_per_class=100, augment=augment), status="finished")
        for epoch in (1, 2, 3):
            run.add_epoch(
                Epoch(
                    epoch,
                    accuracy=0.5 + 0.1 * epoch,
                    loss=0.7 - 0.1 * epoch,
                    val_accuracy=0.5 + 0.05 * epoch,
                    val_loss=0.7 - 0.05 * epoch,
                )
            )
        run.save(metadata_path(models_dir / f"{name}.keras"))
    with running_app(data_dir, models_dir, root / "streamlit.log") as url:
        yield url


def view(page, name: str) -> Path:
    """A PNG of what the screen shows now (not the whole page): what a room sees on the projector."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    wait_until_idle(page)
    page.evaluate("() => document.fonts.ready.then(() => true)")
    page.wait_for_timeout(600)  # Plotly's charts lay out after the run
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def wait_for_verdicts(page, lang: str, count: int) -> None:
    expect(page.locator(VERDICT_TEXT).filter(has_text=WORDS[lang]["verdict"])).to_have_count(
        count, timeout=VERDICT_TIMEOUT_MS
    )
    wait_until_idle(page)


def verdict_font_px(page) -> float:
    return float(page.locator(VERDICT_TEXT).first.evaluate("p => getComputedStyle(p).fontSize").removesuffix("px"))


def switch(page):
    """The sidebar's presentation switch (its checkbox)."""
    return page.locator(".st-key-present input")


def flip(page) -> None:
    page.locator(".st-key-present label").click()  # the toggle, as a visitor clicks it
    wait_until_idle(page)


def chart_line_widths(page, key: str) -> list[float]:
    """The stroke widths of a Plotly chart's drawn curves, in pixels."""
    lines = page.locator(f".st-key-{key} .js-plotly-plot .scatterlayer path.js-line")  # not the legend
    lines.first.wait_for()
    return lines.evaluate_all("paths => paths.map(p => parseFloat(getComputedStyle(p).strokeWidth))")


# --------------------------------------------------------------------------- presentation mode


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_presentation_mode_shows_one_photo_with_a_large_verdict_on_a_projectors_screen(
    browser, app_url, photos_of, lang
):
    words = WORDS[lang]
    dog, cat = photos_of("test", "dogs")[0], photos_of("test", "cats")[0]
    with new_visitor(browser, viewport=PROJECTOR) as page:
        page.goto(f"{app_url}/?lang={lang}")
        page.get_by_role("heading", name=words["title"]).wait_for()
        upload(page, [dog, cat])
        wait_for_verdicts(page, lang, 2)  # normal mode: every photo's card, one under the other
        normal_font = verdict_font_px(page)
        view(page, f"present-classify-normal-{lang}")
        page.set_viewport_size({"width": 1024, "height": 768})  # a laptop: the first verdict above the fold
        assert page.locator(VERDICT_TEXT).first.bounding_box()["y"] + 40 < 768
        page.set_viewport_size(PROJECTOR)

        expect(page.locator(".st-key-present")).to_contain_text(words["present"])
        flip(page)
        expect(switch(page)).to_be_checked()
        expect(page).to_have_url(re.compile(r"[?&]present=1"))  # a copied link opens the room view
        wait_for_verdicts(page, lang, 1)
        expect(page.locator(CARD)).to_have_count(1)  # one photo per screen
        card = page.locator(CARD)
        expect(card.get_by_text(words["photo_of"].format(number=1, count=2))).to_be_visible()
        expect(card.get_by_role("heading", name=dog.name)).to_be_visible()  # the upload's first photo
        present_font = verdict_font_px(page)
        assert present_font >= 1.6 * normal_font, (normal_font, present_font)
        verdict = page.locator(VERDICT_TEXT).first.bounding_box()
        assert verdict["y"] >= 0 and verdict["y"] + verdict["height"] <= PROJECTOR["height"], verdict
        assert page.evaluate("document.documentElement.scrollWidth") <= PROJECTOR["width"]
        view(page, f"present-classify-{lang}")

        card.get_by_role("button", name="▶").click()
        expect(page.locator(CARD).get_by_role("heading", name=cat.name)).to_be_visible()
        expect(page.locator(CARD)).to_have_count(1)
        expect(page.locator(CARD).get_by_text(words["photo_of"].format(number=2, count=2))).to_be_visible()
        expect(page.locator(CARD).get_by_role("button", name="▶")).to_be_disabled()  # the last photo
        view(page, f"present-classify-second-{lang}")


def test_a_link_with_present_1_opens_the_room_view_which_stays_across_pages_with_thick_chart_lines(browser, app_url):
    with new_visitor(browser, viewport=PROJECTOR) as page:
        page.goto(f"{app_url}/train?lang=zh&present=1")
        page.get_by_role("heading", name="训练卷积网络").wait_for()
        # On a busy machine the sidebar's widgets have come seconds after the page's heading.
        expect(switch(page)).to_be_checked(timeout=PAGE_TIMEOUT_MS)
        thick = chart_line_widths(page, "compare_accuracy")
        page.locator(".st-key-compare_accuracy").scroll_into_view_if_needed()
        view(page, "present-train-zh")

        page.get_by_test_id("stSidebarNav").get_by_role("link", name="识别").click()
        page.get_by_role("heading", name=WORDS["zh"]["title"]).wait_for()
        expect(switch(page)).to_be_checked()  # kept across pages
        expect(page).to_have_url(re.compile(r"[?&]present=1"))

        page.get_by_test_id("stSidebarNav").get_by_role("link", name="训练").click()
        page.get_by_role("heading", name="训练卷积网络").wait_for()
        flip(page)  # off again: the link says so too
        expect(page).not_to_have_url(re.compile("present="))
        thin = chart_line_widths(page, "compare_accuracy")
        assert len(thick) == len(thin) == 4  # two runs, a training and a validation curve each
        assert all(p >= 2 * n for p, n in zip(thick, thin)), (thick, thin)
        assert min(thick) >= 4, thick


def test_the_evaluate_page_in_presentation_mode_has_large_scores_and_charts(browser, app_url):
    with new_visitor(browser, viewport=PROJECTOR) as page:
        page.goto(f"{app_url}/evaluate?lang=en&present=1")
        page.get_by_role("heading", name="Evaluate a model").wait_for()
        page.get_by_role("button", name="Evaluate", exact=True).click()
        accuracy = page.get_by_test_id("stMetricValue").first
        accuracy.wait_for(timeout=VERDICT_TIMEOUT_MS)
        wait_until_idle(page, VERDICT_TIMEOUT_MS)
        assert float(accuracy.evaluate("el => getComputedStyle(el).fontSize").removesuffix("px")) >= 56
        page.locator(".st-key-roc").scroll_into_view_if_needed()
        view(page, "present-evaluate-en")


# --------------------------------------------------------------------------- phones


def phone_visitor(browser, lang: str):
    return new_visitor(browser, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2, locale=lang)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_on_a_phone_the_verdict_comes_before_the_photo_and_nothing_scrolls_sideways(browser, app_url, photos_of, lang):
    dog = photos_of("test", "dogs")[1]
    with phone_visitor(browser, lang) as page:
        page.goto(f"{app_url}/?lang={lang}")
        page.get_by_role("heading", name=WORDS[lang]["title"]).wait_for()
        upload(page, dog)  # what a pick from the photo library sends
        wait_for_verdicts(page, lang, 1)
        card = page.locator(CARD)
        verdict = card.locator(VERDICT_TEXT).bounding_box()
        bar = card.locator(".catdog-bars").bounding_box()
        photo, model_input = (card.locator('[data-testid="stImage"] img').nth(i).bounding_box() for i in (0, 2))
        assert verdict["y"] + verdict["height"] <= bar["y"] < photo["y"] < model_input["y"], (verdict, photo)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
        card.scroll_into_view_if_needed()
        view(page, f"phone-classify-{lang}")

        card.get_by_role("button", name="✕").tap()
        expect(page.locator(CARD)).to_have_count(0)


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_the_camera_takes_a_photo_whose_verdict_is_brought_into_view(browser, app_url, device):
    """Chromium's fake camera (a moving test pattern) stands in for the phone's or the laptop's. On a desktop the
    camera's view fills the screen: the verdict, drawn below it, is scrolled to."""
    from bench.common import CHROMIUM, CHROMIUM_ARGS

    fake_camera = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
    with_camera = browser.browser_type.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS + fake_camera
    )
    visitor = phone_visitor(with_camera, "en") if device == "phone" else new_visitor(with_camera, viewport=DESKTOP)
    try:
        with visitor as page:
            page.context.grant_permissions(["camera"])
            page.goto(app_url)
            page.get_by_role("heading", name=WORDS["en"]["title"]).wait_for()
            press = "tap" if device == "phone" else "click"
            getattr(page.locator(".st-key-use_camera label"), press)()
            wait_until_idle(page, VERDICT_TIMEOUT_MS)  # the camera drawn by the toggle's rerun is the one to use
            take = page.get_by_role("button", name="Take Photo")
            expect(take).to_be_enabled(timeout=VERDICT_TIMEOUT_MS)
            # The button is enabled before the fake camera's first frame on a busy machine: a tap then takes nothing.
            page.wait_for_function(
                "() => [...document.querySelectorAll('video')].some(v => v.readyState >= 2 && v.videoWidth > 0)",
                timeout=VERDICT_TIMEOUT_MS,
            )
            getattr(take, press)()
            page.get_by_role("heading", name="camera photo").wait_for(timeout=VERDICT_TIMEOUT_MS)
            expect(page.get_by_role("heading", name="camera photo")).to_be_in_viewport()
            # Chromium's test pattern is no pet: the card says so, with the two-class verdict beneath.
            neither = page.locator(VERDICT_TEXT).filter(has_text="This doesn't look like a cat or a dog")
            expect(neither).to_have_count(1, timeout=VERDICT_TIMEOUT_MS)
            expect(page.get_by_text(re.compile(r"would still say: (Dog|Cat) — (over )?\d+% sure"))).to_be_visible()
            view(page, f"{device}-camera-en")
    finally:
        with_camera.close()
