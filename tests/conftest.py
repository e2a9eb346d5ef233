"""Shared fixtures: the shared photo folder, small dataset folders built from it, one tiny model, Keras's weights cache.

The shared dataset lives beside the repository (catdog.config.SHARED_DATASET) and is read-only;
tests copy a few dozen of its photos into temporary folders and write nothing else. The ImageNet
weights of the pretrained backbones lie beside it, in ../shared/weights.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # so plain `pytest` (not only `python -m pytest`) finds catdog
    sys.path.insert(0, str(REPO))

from catdog.config import SHARED_DATASET, SHARED_WEIGHTS  # noqa: E402 -- after the path is set

PAGE_TIMEOUT_MS = 60_000  # what a browser test waits for a page at most: the machine may be busy
MOBILENET_WEIGHTS = "mobilenet_2_5_224_tf_no_top.h5"  # MobileNet v1 0.25 without its top: 1 MB, fast

# The tiny model every model-needing test reuses. batch_size=8 rather than the default 32:
# three training steps an epoch on its 24 photos, not one, so the learning-rate schedule
# warms up and decays within the epoch.
TINY_CONFIG = dict(image_size=32, width=8, epochs=1, limit_per_class=12, batch_size=8)


def _natural(path: Path) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def copy_photos(shared: Path, split: str, class_folder: str, count: int, dest: Path) -> list[Path]:
    """Copy the first `count` photos of shared/split/class_folder into dest; returns the copies."""
    dest.mkdir(parents=True, exist_ok=True)
    sources = sorted((shared / split / class_folder).glob("*.jpg"), key=_natural)[:count]
    copies = []
    for source in sources:
        copy = dest / source.name
        shutil.copyfile(source, copy)
        copies.append(copy)
    return copies


def build_dataset(
    shared: Path,
    root: Path,
    train: int = 12,
    validation: int = 6,
    test: int = 4,
    class_folders: tuple[str, ...] = ("cats", "dogs"),
) -> Path:
    """A SPLIT/cats, SPLIT/dogs folder with the given number of photos per class (0 skips a split)."""
    for split, count in (("train", train), ("validation", validation), ("test", test)):
        if count:
            for class_folder in class_folders:
                copy_photos(shared, split, class_folder, count, root / split / class_folder)
    return root


def write_not_a_photo(path: Path) -> Path:
    """A text file with a photo's name: what a person gets by renaming notes.txt to notes.jpg."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"hello, I am a text file, not a JPEG\n")
    return path


NEEDS_SHARED = "needs ../shared"  # how a skip for want of the shared photos or weights begins


def missing_shared(what: Path) -> None:
    """Without ../shared: a skip on a newcomer's machine (counted in the run's last line), a failure on CI."""
    reason = f"{NEEDS_SHARED}: {what} not found"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run every test")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED_DATASET / "train" / "cats").is_dir():
        missing_shared(SHARED_DATASET)
    return SHARED_DATASET


@pytest.fixture(scope="session")
def tiny_dataset(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 train, 6 validation and 4 test photos per class, in the SPLIT/cats, SPLIT/dogs layout."""
    return build_dataset(shared_data, tmp_path_factory.mktemp("tiny_dataset"))


@pytest.fixture(scope="session")
def tiny_model(tiny_dataset: Path, tmp_path_factory: pytest.TempPathFactory):
    """(model_path, run record) of a 32-pixel, width-8 convnet trained for one epoch, trained once per session."""
    from catdog.config import TrainConfig
    from catdog.train import train

    model_path = tmp_path_factory.mktemp("tiny_model") / "tiny.keras"
    record = train(TrainConfig(**TINY_CONFIG), tiny_dataset, model_path)
    return model_path, record


# --- Keras's cache of ImageNet weights -------------------------------------------------------------


def use_keras_home(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """Point Keras's home, and so its weights cache ($KERAS_HOME/models), at `home`.

    Keras reads KERAS_HOME once, when it is imported (keras/src/backend/config.py keeps it in
    _KERAS_DIR, which keras_home() returns and keras.utils.get_file uses), so both that variable
    and the environment are set: the first for this process, the second for training processes.
    """
    import keras.src.backend.config

    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.setattr(keras.src.backend.config, "_KERAS_DIR", str(home))


@pytest.fixture(scope="session")
def keras_home(tmp_path_factory: pytest.TempPathFactory):
    """A KERAS_HOME for the session whose models/ holds MobileNet v1 0.25's ImageNet weights.

    keras.applications finds them there instead of downloading them, as on a user's machine
    after the first download: the code under test is exactly what users run.
    """
    weights = SHARED_WEIGHTS / MOBILENET_WEIGHTS
    if not weights.is_file():
        missing_shared(weights)
    home = tmp_path_factory.mktemp("keras_home")
    (home / "models").mkdir()
    shutil.copyfile(weights, home / "models" / MOBILENET_WEIGHTS)
    with pytest.MonkeyPatch.context() as patch:
        use_keras_home(patch, home)
        yield home


@pytest.fixture
def offline_keras_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """An empty KERAS_HOME on a machine whose downloads fail as they do without a network.

    Returns .home and .fetched, the URLs Keras tried to download.
    """
    import urllib.error

    import keras.src.utils.file_utils

    home = tmp_path / "empty_keras_home"
    home.mkdir()
    use_keras_home(monkeypatch, home)
    fetched = []

    def unreachable(url, *args, **kwargs):
        fetched.append(url)
        raise urllib.error.URLError(OSError(101, "Network is unreachable"))

    monkeypatch.setattr(keras.src.utils.file_utils, "urlretrieve", unreachable)
    return SimpleNamespace(home=home, fetched=fetched)


@pytest.fixture
def make_dataset(shared_data: Path):
    """build_dataset bound to the shared photos: make_dataset(root, train=..., validation=..., ...)."""
    return lambda root, **counts: build_dataset(shared_data, root, **counts)


@pytest.fixture
def copy_shared(shared_data: Path):
    """copy_photos bound to the shared photos: copy_shared(split, class_folder, count, dest)."""
    return lambda split, class_folder, count, dest: copy_photos(shared_data, split, class_folder, count, dest)


@pytest.fixture
def not_a_photo():
    """write_not_a_photo(path): a text file posing as a photo."""
    return write_not_a_photo


def pytest_configure(config: pytest.Config) -> None:
    # Keras 3 on NumPy 2 warns on every tensor it converts; it says nothing about catdog.
    config.addinivalue_line(
        "filterwarnings", "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
    )


def _missing_browser(reason: str) -> None:
    """No browser here: a skip on a developer's machine, a failure on CI (which must run these)."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser tests")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium for one module's browser tests."""
    from bench.common import CHROMIUM, launch_chromium

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing_browser("the playwright package is not installed")
    if not CHROMIUM.is_file():
        _missing_browser(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    playwright = sync_playwright().start()
    try:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def visitor(browser):
    """A fresh browser context (a new visitor, so a new Streamlit session) on a 1400×1000 window."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(PAGE_TIMEOUT_MS)
    try:
        yield tab
    finally:
        context.close()


def pytest_terminal_summary(terminalreporter) -> None:
    """The run's last lines: how many tests did not run for want of ../shared and how to run them, then other skips."""
    reasons = Counter(report.longrepr[2] for report in terminalreporter.stats.get("skipped", []))
    for_shared = sum(n for reason, n in reasons.items() if reason.startswith(f"Skipped: {NEEDS_SHARED}"))
    if for_shared:
        terminalreporter.write_line(
            f"{for_shared} tests skipped for lack of photos: they read {SHARED_DATASET} and "
            f"{SHARED_WEIGHTS}. Put the shared folder beside your clone, as CI does, to run them.",
            yellow=True,
            bold=True,
        )
    for reason, n in reasons.items():
        if not reason.startswith(f"Skipped: {NEEDS_SHARED}"):
            terminalreporter.write_line(f"{n} skipped: {reason.removeprefix('Skipped: ')}", yellow=True)


# --- the Streamlit app under streamlit.testing.v1.AppTest ------------------------------------------


@pytest.fixture
def app_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Empty data and models folders in tmp, seen by the pages as CATDOG_DATA_DIR and CATDOG_MODELS_DIR.

    catdog.config reads the environment once, at import; AppTest runs the app in this process,
    and its page scripts re-run `from catdog.config import ...` on every run, so patching the
    module attributes is enough for them. pages/common.py is an ordinary module imported once,
    so its own MODELS_DIR is patched too. Also: no training job from an earlier test, the
    CATDOG_TRAINING variables unset, and st.cache_data cleared (the Classify page caches the
    list of test photos it finds under the data folder). Afterwards a job a test left running
    is stopped and waited for, so no training thread outlives its test.
    """
    import streamlit as st

    import catdog.config
    import catdog.jobs
    import pages.common

    data_dir, models_dir = tmp_path / "data", tmp_path / "models"
    data_dir.mkdir()
    models_dir.mkdir()
    monkeypatch.setattr(catdog.config, "DATA_DIR", data_dir)
    monkeypatch.setattr(catdog.config, "MODELS_DIR", models_dir)
    monkeypatch.setattr(pages.common, "MODELS_DIR", models_dir)
    monkeypatch.setattr(catdog.jobs, "_current", None)
    for variable in ("CATDOG_TRAINING", "CATDOG_TRAINING_PASSWORD"):
        monkeypatch.delenv(variable, raising=False)
    _run_app_as_a_server_does(monkeypatch)
    st.cache_data.clear()
    yield SimpleNamespace(data=data_dir, models=models_dir)
    job = catdog.jobs.current_job()
    if job is not None and job.running:
        job.stop()
        job.wait(120)
    st.cache_data.clear()


def _run_app_as_a_server_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run app.py (and its st.navigation) on every AppTest run, as a server does after its first run.

    Streamlit decides once per process whether an app uses the legacy `pages/` folder (multipage
    apps "v1"): true when a folder named pages/ sits beside the main script, until a script calls
    st.navigation. AppTest forgets that decision before every run, and catdog's pages live in
    pages/, so each AppTest run after switch_page() would run pages/train.py alone, without
    app.py's sidebar model picker. Keeping the flag off restores the server's behaviour.
    """
    import streamlit.testing.v1.app_test as app_test
    from streamlit.runtime.pages_manager import PagesManager

    class NavigationPagesManager(PagesManager):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "uses_pages_directory", False)
    monkeypatch.setattr(app_test, "PagesManager", NavigationPagesManager)


@pytest.fixture
def open_app(app_dirs):
    """open_app(page=None, secrets=None): an AppTest of app.py, run once, then switched to `page` and run."""
    from streamlit.testing.v1 import AppTest

    def open_(page: str | None = None, secrets: dict | None = None):
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
        at.secrets.update(secrets or {})
        at.run()
        if page is not None:
            at.switch_page(page)
            at.run()
        return at

    return open_
