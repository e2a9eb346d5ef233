"""A newcomer's first hour, in Chinese, in headless Chromium (issue #23's "Done when").

A fresh clone has no data and no models of its own: the server starts with empty data and models folders
(the bundled models come with the repository). While it runs, the newcomer downloads the tutorial's photos
with the README's command, from a local mirror of the ZIP, classifies a random test photo, trains a small
model and finds it checked in the sidebar's picker: no server restart, and no English word on any page.
Only 127.0.0.1 is ever contacted; screenshots of each step go to tests/artifacts/newcomer-*.png.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PAGE_TIMEOUT_MS, new_visitor
from test_browser import (
    REPO,
    TRAINING_S,
    VERDICT_TIMEOUT_MS,
    expect,
    running_app,
    screenshot,
    set_slider,
    wait_until_idle,
)
from test_download import TOP, LocalServer, zip_bytes

MIRROR_COUNTS = {"train": 20, "validation": 6}  # photos per class in the mirror's ZIP: the tutorial's layout, small
DOWNLOAD_S = 120  # the CLI imports nothing heavy, but the machine may be busy

# Latin words a Chinese page may show: names, not sentences. Anything else of three letters or more is English
# that a Chinese visitor reads, and fails the test.
NAMES = {
    "catdog",  # the bundled model's name
    "convnet-from-scratch",  # the other bundled model's name
    TOP,  # the downloaded dataset's folder, as the Train page's picker and the model's details name it
    "cats_vs_dogs_small",  # the dataset the bundled models were trained on, named in their details
    "MobileNetV2",  # the bundled model's backbone
    "MobileNet",
    "ImageNet",
    "TensorFlow",
    "Keras",
    "JPEG",
    "PNG",
    "WEBP",
    "BMP",
    "GIF",
}
PHOTO_NAME = re.compile(r"^(cat|dog)\.\d+\.jpg$")  # the tutorial's photos keep their names, in captions and headings
LATIN_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9]|[A-Za-z]")
WORD = re.compile(r"[A-Za-z]{3}")

# The text a visitor sees: every text node with a rendered box and a font size, outside icons, and the text CSS
# draws and shows (::before, ::after). Streamlit draws Material icons from words ("keyboard_double_arrow_left"),
# and the app hides the uploader's own English under a font size of 0 and draws Chinese after it: only the
# Chinese is read. Plotly's toolbar, whose tooltips speak only English, is left off the curves in Chinese.
VISIBLE_TEXT_JS = """root => {
  const texts = [];
  const shown = el => el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true});
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || el.closest('[data-testid="stIconMaterial"], style, script')) continue;
    if (!shown(el) || parseFloat(getComputedStyle(el).fontSize) === 0) continue;
    texts.push(node.textContent.trim());
  }
  for (const el of root.querySelectorAll('*')) {
    for (const pseudo of ['::before', '::after']) {
      const style = getComputedStyle(el, pseudo);  // a tooltip's (opacity 0 until hovered) is not shown
      const drawn = style.content.startsWith('"') && style.opacity !== '0' && style.visibility === 'visible';
      if (drawn && shown(el)) texts.push(style.content.slice(1, -1));
    }
  }
  return texts;
}"""


@pytest.fixture(scope="module")
def mirror_url(photos_of) -> Iterator[str]:
    """The URL of a small cats_and_dogs_filtered.zip on a local server: train/ and validation/, as TensorFlow's."""
    entries = [(f"{TOP}/", b"")]
    for split, count in MIRROR_COUNTS.items():
        for class_folder in ("cats", "dogs"):
            entries.append((f"{TOP}/{split}/{class_folder}/", b""))
            for photo in photos_of(split, class_folder)[:count]:
                entries.append((f"{TOP}/{split}/{class_folder}/{photo.name}", photo.read_bytes()))
    server = LocalServer()
    try:
        yield server.serve(f"/{TOP}.zip", zip_bytes(entries))
    finally:
        server.close()


@pytest.fixture
def newcomer(browser):
    """A new visitor whose browser speaks Simplified Chinese, on a desktop window."""
    with new_visitor(browser, viewport={"width": 1400, "height": 1000}, locale="zh-CN") as tab:
        yield tab


def english_words(page) -> list[str]:
    """The Latin words of three letters or more in the main area and the sidebar that are not names."""
    texts = []
    for area in ("stMain", "stSidebar"):
        texts += page.get_by_test_id(area).evaluate(VISIBLE_TEXT_JS)
    tokens = {token.strip("._-") for text in texts for token in LATIN_TOKEN.findall(text)}
    return sorted(t for t in tokens if WORD.search(t) and t not in NAMES and not PHOTO_NAME.match(t))


def check_chinese(page, step: str) -> None:
    """A screenshot of the step, and no English word on it."""
    screenshot(page, f"newcomer-{step}")
    assert english_words(page) == [], f"English on the Chinese page ({step})"


def go_to(page, link: str, heading: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=re.compile(f"{link}$")).click()
    page.get_by_role("heading", name=heading).wait_for()
    wait_until_idle(page)
    expect(page).to_have_url(re.compile(r"[?&]lang=zh"))  # the language stays with the visitor


def test_a_newcomer_downloads_classifies_a_random_photo_trains_and_picks_the_model_all_in_chinese(
    newcomer, mirror_url, tmp_path: Path
):
    page = newcomer
    data_dir, models_dir = tmp_path / "data", tmp_path / "models"
    data_dir.mkdir()
    models_dir.mkdir()
    with running_app(data_dir, models_dir, tmp_path / "streamlit.log") as url:
        page.goto(f"{url}/?lang=zh")
        page.get_by_role("heading", name="是猫还是狗？").wait_for()
        page.get_by_text("上传一张（或几张）照片开始吧。").wait_for(timeout=VERDICT_TIMEOUT_MS)
        wait_until_idle(page)
        random_photo = page.get_by_role("button", name="🎲 随机测试照片")
        expect(random_photo).to_have_count(0)  # no data yet: no test photos to pick from
        check_chinese(page, "1-classify-no-data")

        # The README's command, in a terminal beside the running server.
        download = subprocess.run(
            [sys.executable, "-m", "catdog", "download", "--url", mirror_url, "--data", str(data_dir)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=DOWNLOAD_S,
        )
        assert download.returncode == 0, download.stdout + download.stderr
        assert (data_dir / TOP / "train" / "cats").is_dir()

        go_to(page, "训练", "训练卷积网络")  # the newcomer looks around, then comes back to Classify
        go_to(page, "识别", "是猫还是狗？")
        assert random_photo.count() == 1, (
            f"no 'Random test photo' after the download: the tutorial's ZIP has no test split, and "
            f"`download` made only {sorted(p.name for p in (data_dir / TOP).iterdir())}"
        )
        random_photo.click()
        card = page.locator('[class*="st-key-card_"]').first
        card.get_by_role("heading", name=PHOTO_NAME).wait_for(timeout=VERDICT_TIMEOUT_MS)
        verdict = re.compile(r"^(猫|狗) — (超过 99%|\d+%) 的把握$|^拿不准（是狗的概率 \d+%）$")
        card.get_by_text(verdict).wait_for(timeout=VERDICT_TIMEOUT_MS)
        wait_until_idle(page, VERDICT_TIMEOUT_MS)
        check_chinese(page, "2-classify-random-photo")

        go_to(page, "训练", "训练卷积网络")
        expect(page.locator('[data-testid="stSelectbox"]').filter(has_text="数据集").locator("input")).to_have_value(
            TOP
        )
        choose_tiny_run(page)
        check_chinese(page, "3-train-options")
        page.get_by_role("button", name="▶ 开始训练").click()
        use = page.get_by_role("button", name=re.compile(r"^用“.+”来识别$"))
        failed = page.locator('[data-testid="stMetricValue"]').filter(has_text=re.compile("^失败$"))
        use.or_(failed).first.wait_for(timeout=TRAINING_S * 1000)
        assert not failed.count(), page.locator('[data-testid="stAlert"]').all_inner_texts()
        title = re.fullmatch(r"用“(.+)”来识别", use.inner_text().strip()).group(1)
        check_chinese(page, "4-train-finished")
        assert page.locator(".js-plotly-plot").count() >= 2 and page.locator(".modebar-btn").count() == 0

        use.click()
        page.get_by_role("heading", name="是猫还是狗？").wait_for()
        wait_until_idle(page)
        picker = page.get_by_test_id("stSidebar").get_by_role("radiogroup", name="用于识别的模型")
        expect(picker.get_by_role("radio", checked=True)).to_have_accessible_name(
            re.compile(rf"^{re.escape(title)} · 从零训练 · (准确率 \d+%|在瞎猜：需要训练更久)$"),
            timeout=PAGE_TIMEOUT_MS,
        )
        check_chinese(page, "5-classify-with-new-model")


def choose_tiny_run(page) -> None:
    """From scratch, 100 photos per class (the mirror has 20), 2 epochs, and 64-pixel images, 8 filters, under
    Advanced: a run of seconds once its process has started."""
    start_from = page.get_by_role("radiogroup", name="起点")
    expect(start_from.get_by_role("radio", checked=True)).to_have_accessible_name(re.compile("^从零训练"))
    chooser = page.locator('[data-testid="stSelectbox"]').filter(has_text="每类训练照片数")
    chooser.click()
    page.get_by_role("option", name=re.compile(r"^100（小数据")).click()
    wait_until_idle(page)
    page.get_by_text(re.compile(r"只有 20 张训练照片")).wait_for()  # said, not silently run on fewer
    set_slider(page, "训练轮数", ["Home", "ArrowRight"], "2")
    page.locator('[data-testid="stExpander"]').filter(has_text="高级选项").locator("summary").click()
    set_slider(page, "图像尺寸（像素）", ["Home"], "64")
    set_slider(page, "第一层的滤波器数", ["Home"], "8")
    set_slider(page, "批大小", ["Home"], "16")
