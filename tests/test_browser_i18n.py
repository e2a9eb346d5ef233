"""Languages in headless Chromium: a browser set to Chinese gets the app in Chinese, on every page.

The server (tests/test_browser.py's running_app) reads a small dataset copied from the shared
photos. Screenshots of the three pages in Chinese, at 1280×720, go to tests/artifacts/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import new_visitor
from test_browser import VERDICT_TIMEOUT_MS, expect, running_app, screenshot, wait_until_idle


@pytest.fixture(scope="module")
def app_url(shared_data: Path, tmp_path_factory: pytest.TempPathFactory):
    """A fresh app server whose data folder holds "pets": 2 photos per class and split."""
    from conftest import build_dataset

    root = tmp_path_factory.mktemp("browser_i18n")
    data_dir, models_dir = root / "data", root / "models"
    models_dir.mkdir()
    build_dataset(shared_data, data_dir / "pets", train=2, validation=2, test=2)
    with running_app(data_dir, models_dir, root / "streamlit.log") as url:
        yield url


@pytest.fixture
def chinese_visitor(browser):
    """A new visitor whose browser speaks Simplified Chinese (navigator.language and Accept-Language)."""
    with new_visitor(browser, viewport={"width": 1280, "height": 720}, locale="zh-CN") as tab:
        yield tab


def test_a_chinese_browser_gets_every_page_in_chinese_and_a_link_that_keeps_it(chinese_visitor, app_url):
    page = chinese_visitor
    page.goto(app_url)
    page.get_by_role("heading", name="是猫还是狗？").wait_for()
    page.get_by_text("上传一张（或几张）照片开始吧。").wait_for(timeout=VERDICT_TIMEOUT_MS)
    expect(page.get_by_test_id("stSidebarNav").get_by_role("link")).to_have_text(
        [re.compile("识别$"), re.compile("评估$"), re.compile("训练$"), re.compile("课堂$")]
    )
    expect(page).to_have_url(re.compile(r"[?&]lang=zh"))  # the address bar shares the language
    check_uploader_speaks_chinese(page)
    screenshot(page, "i18n-classify-zh")

    page.get_by_test_id("stSidebarNav").get_by_role("link", name="评估").click()
    page.get_by_role("heading", name="评估模型").wait_for()
    expect(page).to_have_url(re.compile(r"/evaluate\?lang=zh"))  # the page's URL is the same in every language
    page.get_by_role("button", name="评估", exact=True).click()
    page.get_by_test_id("stMetric").filter(has_text="准确率").first.wait_for(timeout=VERDICT_TIMEOUT_MS)
    wait_until_idle(page, VERDICT_TIMEOUT_MS)
    screenshot(page, "i18n-evaluate-zh")

    page.get_by_test_id("stSidebarNav").get_by_role("link", name="训练").click()
    page.get_by_role("heading", name="训练卷积网络").wait_for()
    screenshot(page, "i18n-train-zh")


def check_uploader_speaks_chinese(page) -> None:
    """The uploader's own words ("Upload", "50MB per file • JPG, …") are drawn over in Chinese, and a file over the
    limit says so on its chip (Streamlit's English is hidden, its size 0)."""
    drawn = """el => [getComputedStyle(el).fontSize, getComputedStyle(el, '::after').content]"""
    dropzone = page.get_by_test_id("stFileUploaderDropzone").first
    button = dropzone.get_by_test_id("stBaseButton-secondary").locator("p")
    assert button.evaluate(drawn) == ["0px", '"上传"']
    size, limits = dropzone.get_by_test_id("stFileUploaderDropzoneInstructions").locator("span").evaluate(drawn)
    assert size == "0px" and limits.startswith('"每张照片最大 50 MB：JPEG') and not re.search(r"per file", limits)


def test_a_file_over_the_upload_limit_says_why_on_its_chip(chinese_visitor, app_url, tmp_path):
    page = chinese_visitor
    page.goto(app_url)
    page.get_by_role("heading", name="是猫还是狗？").wait_for()
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff\xd8" + bytes(51 * 2**20))  # 51 MB: over the server's 50 MB upload limit
    page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(big)
    chip = page.locator('[data-testid="stFileChip"][aria-invalid="true"]')
    chip.wait_for()
    said = chip.get_by_test_id("stFileChipName").locator("xpath=following-sibling::div[1]")
    reason = said.evaluate("el => getComputedStyle(el, '::after').content")
    assert reason == '" · 未接收：每张最大 50 MB，每次最多 32 张"'
    chips = page.get_by_test_id("stFileChips").first  # a batch's chips all show: Streamlit's own cuts at two rows
    assert chips.evaluate("el => getComputedStyle(el).maxHeight") == "none"
    screenshot(page, "i18n-upload-too-big-zh")


def test_a_shared_english_link_opens_in_english_in_a_chinese_browser(chinese_visitor, app_url):
    chinese_visitor.goto(f"{app_url}/train?lang=en")
    chinese_visitor.get_by_role("heading", name="Train a convnet").wait_for()
