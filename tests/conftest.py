"""Shared fixtures: the photos and weights tests read, small dataset folders built from them, one tiny model.

Tests read photos from the shared dataset beside the repository (catdog.config.SHARED_DATASET), or,
without it, from the one `python -m catdog download` puts in the data folder (find_photos); both are
read-only, and tests copy a few dozen of their photos into temporary folders. The ImageNet weights of
MobileNet v1 0.25 come from ../shared/weights, or from Keras's own cache (find_weights).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import time
from collections import Counter
from pathlib import Path, PurePosixPath
from types import SimpleNamespace

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # so plain `pytest` (not only `python -m pytest`) finds catdog
    sys.path.insert(0, str(REPO))

# DATA_DIR is bound here, at import, before any test points catdog.config.DATA_DIR elsewhere.
from catdog.config import DATA_DIR, SHARED_DATASET, SHARED_WEIGHTS  # noqa: E402 -- after the path is set
from catdog.download import TUTORIAL_SIZE, TUTORIAL_URL  # noqa: E402

PAGE_TIMEOUT_MS = 60_000  # what a browser test waits for a page at most: the machine may be busy
MOBILENET_WEIGHTS = "mobilenet_2_5_224_tf_no_top.h5"  # MobileNet v1 0.25 without its top: 1 MB, fast

# The tiny model every model-needing test reuses. batch_size=8 rather than the default 32:
# three training steps an epoch on its 24 photos, not one, so the learning-rate schedule
# warms up and decays within the epoch.
TINY_CONFIG = dict(image_size=32, width=8, epochs=1, limit_per_class=12, batch_size=8)


# What `python -m catdog download` makes in the data folder: TensorFlow's tutorial photos, train/ and validation/.
DOWNLOADED_DATASET = DATA_DIR / PurePosixPath(TUTORIAL_URL).stem
DOWNLOAD_COMMAND = "python -m catdog download"
# What fetches the ImageNet weights into Keras's cache, as a first pretrained run would.
WEIGHTS_COMMAND = "python -m catdog download --weights"
WEIGHTS_BYTES = 10_505_104  # both backbones' files


def find_photos() -> Path | None:
    """The dataset tests read photos from: ../shared's, else the one the download command fetched, else None."""
    for root in (SHARED_DATASET, DOWNLOADED_DATASET):
        if (root / "train" / "cats").is_dir():
            return root
    return None


def find_weights() -> Path | None:
    """MobileNet v1 0.25's ImageNet weights: ../shared's, else those in Keras's cache, else None."""
    from catdog.model import weights_cache_dir

    for folder in (SHARED_WEIGHTS, weights_cache_dir()):
        if (folder / MOBILENET_WEIGHTS).is_file():
            return folder / MOBILENET_WEIGHTS
    return None


def _natural(path: Path) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def split_photos(dataset: Path, split: str, class_folder: str) -> list[Path]:
    """The photos of dataset/split/class_folder in natural order (cat.2.jpg before cat.10.jpg).

    The downloaded dataset has no test/: its validation photos are cut in two, the first half
    kept as validation and the second half standing in for test, so no photo is in both.
    """
    if split == "train" or (dataset / "test").is_dir():
        return sorted((dataset / split / class_folder).glob("*.jpg"), key=_natural)
    validation = sorted((dataset / "validation" / class_folder).glob("*.jpg"), key=_natural)
    half = len(validation) // 2
    return validation[:half] if split == "validation" else validation[half:]


def copy_photos(dataset: Path, split: str, class_folder: str, count: int, dest: Path) -> list[Path]:
    """Copy the first `count` photos of one split's class folder into dest; returns the copies."""
    dest.mkdir(parents=True, exist_ok=True)
    copies = []
    for source in split_photos(dataset, split, class_folder)[:count]:
        copy = dest / source.name
        shutil.copyfile(source, copy)
        copies.append(copy)
    return copies


def build_dataset(
    dataset: Path,
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
                copy_photos(dataset, split, class_folder, count, root / split / class_folder)
    return root


def write_not_a_photo(path: Path) -> Path:
    """A text file with a photo's name: what a person gets by renaming notes.txt to notes.jpg."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"hello, I am a text file, not a JPEG\n")
    return path


# How a skip for want of something to read begins: the summary counts each kind.
NEEDS_PHOTOS = "needs photos"
NEEDS_WEIGHTS = "needs ImageNet weights"
NEEDS_SHARED = "needs ../shared"  # a test that reads photos of the shared dataset by their names


def missing(kind: str, what: str) -> None:
    """A skip on a newcomer's machine (counted in the run's last lines), a failure on CI."""
    reason = f"{kind}: {what}"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run every test")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def photo_dataset() -> Path:
    """The dataset tests read photos from (find_photos); pick its photos with split_photos or photos_of."""
    dataset = find_photos()
    if dataset is None:
        missing(NEEDS_PHOTOS, f"neither {SHARED_DATASET} nor {DOWNLOADED_DATASET} found")
    return dataset


@pytest.fixture(scope="session")
def photos_of(photo_dataset: Path):
    """photos_of(split, class_folder): that folder's photos in natural order, as split_photos gives them."""
    return lambda split, class_folder: split_photos(photo_dataset, split, class_folder)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared dataset itself, for tests that name its photos (cat.4501.jpg); the download does not stand in."""
    if not (SHARED_DATASET / "train" / "cats").is_dir():
        missing(NEEDS_SHARED, f"{SHARED_DATASET} not found")
    return SHARED_DATASET


@pytest.fixture(scope="session")
def tiny_dataset(photo_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 train, 6 validation and 4 test photos per class, in the SPLIT/cats, SPLIT/dogs layout."""
    return build_dataset(photo_dataset, tmp_path_factory.mktemp("tiny_dataset"))


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
    weights = find_weights()
    if weights is None:
        missing(NEEDS_WEIGHTS, f"{MOBILENET_WEIGHTS} is neither in {SHARED_WEIGHTS} nor in Keras's cache")
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
def make_dataset(photo_dataset: Path):
    """build_dataset bound to the tests' photos: make_dataset(root, train=..., validation=..., ...)."""
    return lambda root, **counts: build_dataset(photo_dataset, root, **counts)


@pytest.fixture
def copy_shared(photo_dataset: Path):
    """copy_photos bound to the tests' photos: copy_shared(split, class_folder, count, dest)."""
    return lambda split, class_folder, count, dest: copy_photos(photo_dataset, split, class_folder, count, dest)


@pytest.fixture
def not_a_photo():
    """write_not_a_photo(path): a text file posing as a photo."""
    return write_not_a_photo


def pytest_configure(config: pytest.Config) -> None:
    # Keras 3 on NumPy 2 warns on every tensor it converts; it says nothing about catdog.
    config.addinivalue_line(
        "filterwarnings", "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `browser` every test that drives Chromium, so `-m "not browser"` leaves out all of them, new ones too.

    fixturenames holds every fixture a test needs, directly or through others (page, visitor, new_visitor's browser).
    """
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


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


@contextlib.contextmanager
def new_visitor(browser, **context_options):
    """A tab in a fresh browser context: a new visitor, so a new Streamlit session; closed afterwards."""
    context = browser.new_context(**context_options)
    tab = context.new_page()
    tab.set_default_timeout(PAGE_TIMEOUT_MS)
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def visitor(browser):
    """A new visitor on a 1400×1000 window."""
    with new_visitor(browser, viewport={"width": 1400, "height": 1000}, accept_downloads=True) as tab:
        yield tab


def pytest_terminal_summary(terminalreporter) -> None:
    """The run's last lines: how many tests did not run for want of photos or weights and how to fetch them."""
    reasons = Counter(
        report.longrepr[2].removeprefix("Skipped: ") for report in terminalreporter.stats.get("skipped", [])
    )
    fetches = {  # what each kind of skip lacks: (its name, the command that fetches it, its size in bytes)
        NEEDS_PHOTOS: ("photos", DOWNLOAD_COMMAND, TUTORIAL_SIZE),
        NEEDS_WEIGHTS: ("ImageNet weights", WEIGHTS_COMMAND, WEIGHTS_BYTES),
    }
    skipped = {kind: sum(n for reason, n in reasons.items() if reason.startswith(kind)) for kind in fetches}
    lacking = [fetches[kind] for kind, n in skipped.items() if n]
    if lacking:
        command = " && ".join(command for _, command, _ in lacking)
        terminalreporter.write_line(
            f"{sum(skipped.values())} tests skipped for lack of {' and '.join(name for name, _, _ in lacking)}: "
            f"run `{command}` (about {sum(size for _, _, size in lacking) / 1e6:.0f} MB) to fetch them, "
            "or put the shared folder beside your clone",
            yellow=True,
            bold=True,
        )
    by_name = sum(n for reason, n in reasons.items() if reason.startswith(NEEDS_SHARED))
    if by_name:
        terminalreporter.write_line(
            f"{by_name} tests skipped that read photos of {SHARED_DATASET} by their names: only the shared folder "
            "beside your clone runs them",
            yellow=True,
            bold=True,
        )
    for reason, n in reasons.items():
        if not reason.startswith((NEEDS_PHOTOS, NEEDS_WEIGHTS, NEEDS_SHARED)):
            terminalreporter.write_line(f"{n} skipped: {reason}", yellow=True)


# --- the Streamlit app under streamlit.testing.v1.AppTest ------------------------------------------


@pytest.fixture
def app_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Empty data and models folders in tmp, seen by the pages as CATDOG_DATA_DIR and CATDOG_MODELS_DIR.

    catdog.config reads the environment once, at import; AppTest runs the app in this process,
    and its page scripts re-run `from catdog.config import ...` on every run, so patching the
    module attributes is enough for them. pages/models.py is an ordinary module imported once,
    so its own MODELS_DIR is patched too. Also: no training job from an earlier test, the
    CATDOG_TRAINING variables unset, no wrong passwords left in the server's password guard, and
    st.cache_data cleared (pages cache what they draw from files; pages.datasets caches its listings
    under the folders' modification times, which each test's fresh folders change anyway).
    Afterwards a job a test left running is stopped and waited for, so no training thread
    outlives its test.
    """
    import streamlit as st

    import catdog.config
    import catdog.jobs
    import pages.access
    import pages.models

    data_dir, models_dir = tmp_path / "data", tmp_path / "models"
    data_dir.mkdir()
    models_dir.mkdir()
    monkeypatch.setattr(catdog.config, "DATA_DIR", data_dir)
    monkeypatch.setattr(catdog.config, "MODELS_DIR", models_dir)
    monkeypatch.setattr(pages.models, "MODELS_DIR", models_dir)
    monkeypatch.setattr(catdog.jobs, "_current", None)
    for variable in ("CATDOG_TRAINING", "CATDOG_TRAINING_PASSWORD"):
        monkeypatch.delenv(variable, raising=False)
    _run_app_as_a_server_does(monkeypatch)
    st.cache_data.clear()
    pages.access.password_guard.clear()
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
def tiny_model_in_app(app_dirs, tiny_model):
    """place(name): the session's tiny model and its run record, copied into the app's models folder as NAME.keras."""
    from catdog.runs import metadata_path

    def place(name: str) -> Path:
        model_path, _ = tiny_model
        copy = app_dirs.models / f"{name}.keras"
        shutil.copyfile(model_path, copy)
        shutil.copyfile(metadata_path(model_path), metadata_path(copy))
        return copy

    return place


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


def rerun_until_loaded(at) -> None:
    """Rerun the page, as its one-second check does, until it no longer says "Loading the model…" or that check
    (run at the end of the same run) found the load failed and said so."""
    for _ in range(60):
        at.run()
        if at.error or not any("Loading the model" in info.value for info in at.info):
            return
        time.sleep(1)
    raise AssertionError(f"still loading the model after a minute: {[info.value for info in at.info]}")


class FakeClock:
    """A clock for catdog.guard.PasswordGuard that moves only when a test says so: clock.now += 5."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def server_guard(app_dirs, monkeypatch):
    """The server's password guard, on a FakeClock (guard.clock): every AppTest session of the test shares it."""
    import pages.access
    from catdog.guard import PasswordGuard

    guard = PasswordGuard(clock=FakeClock())
    monkeypatch.setattr(pages.access, "password_guard", lambda: guard)
    return guard
