"""Whatever lies in the models folder, both pages work (issue #12), under Streamlit's AppTest.

A file that is not a usable model is not offered in the sidebar's model picker, and the Train
page names it with why, by file name alone. A copy of a bundled model is offered once, and a run
file with values of the wrong kind is left out of the past runs. The models folder is an empty
temporary one (conftest.py's `app_dirs`); the bundled models are always offered.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import warnings
import zipfile
from pathlib import Path

import pytest
from conftest import rerun_until_loaded

from catdog.config import BUNDLED_MODELS, SCRATCH_MODEL
from catdog.runs import metadata_path

TRAIN_PAGE = "pages/train.py"


def picker_labels(at) -> list[str]:
    return at.sidebar.radio(key="model_path").options


def bundled_labels() -> list[str]:
    from pages.sidebar import model_label

    return [model_label(path) for path in BUNDLED_MODELS]


def unusable_table(at) -> list[tuple[str, str]]:
    """(file, why) rows of the Train page's "Models that cannot be used" table; [] when there is none."""
    tables = [frame.value for frame in at.dataframe if list(frame.value.columns) == ["file", "why"]]
    assert len(tables) <= 1
    return [tuple(row) for row in tables[0].itertuples(index=False)] if tables else []


def everything_shown(at) -> str:
    """The text of every element on the page and in the sidebar, tables included."""
    texts = []
    for node in [*at.main, *at.sidebar]:
        texts.append(str(getattr(node, "proto", "")))
        if node.type == "dataframe":
            texts.append(node.value.to_string())
    return "\n".join(texts)


def link_dataset(app_dirs, tiny_dataset: Path) -> None:
    """A dataset in the data folder, so the Train page draws all of itself (without one it stops early)."""
    (app_dirs.data / "tiny").symlink_to(tiny_dataset, target_is_directory=True)


# --- files that are not usable models --------------------------------------------------------------


def tiny_keras_model(path: Path, middle=None, inputs_shape=(8, 8, 3)) -> Path:
    """A small Keras model saved at path: square RGB pixels in (unless told), one dog probability out."""
    import keras

    inputs = keras.Input(inputs_shape)
    x = keras.layers.Rescaling(1 / 255)(inputs)
    if middle is not None:
        x = middle(x)
    if len(inputs_shape) == 3:
        x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="dog_probability")(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras warns when it saves a lambda: that is this test's point
        keras.Model(inputs, outputs).save(path)
    return path


def with_unknown_layer(model: Path, path: Path) -> Path:
    """model's file with its last layer renamed to a class from someone's notebook, which this app lacks."""
    with zipfile.ZipFile(model) as source, zipfile.ZipFile(path, "w") as copy:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "config.json":
                config = json.loads(data)
                (layer,) = [layer for layer in config["config"]["layers"] if layer["name"] == "dog_probability"]
                layer.update(module="my_notebook.layers", class_name="SqueezeExcite")
                layer["registered_name"] = "my_notebook>SqueezeExcite"
                data = json.dumps(config).encode()
            copy.writestr(item, data)
    return path


@pytest.fixture(scope="module")
def keras_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real .keras files that load badly: a Python lambda inside, an unknown layer, a model for something else."""
    import keras

    folder = tmp_path_factory.mktemp("keras_files")
    lambda_model = tiny_keras_model(folder / "lambda.keras", keras.layers.Lambda(lambda t: t * 2.0))
    plain = tiny_keras_model(folder / "plain.keras")
    return {
        "lambda": lambda_model,
        "unknown layer": with_unknown_layer(plain, folder / "unknown.keras"),
        "not cat or dog": tiny_keras_model(folder / "numbers.keras", inputs_shape=(10,)),
    }


def write_unreadable(path: Path) -> None:
    """A file the server cannot read: no read permission, or for root (whom permissions do not stop) a link
    to /proc/self/mem, whose first bytes no process can read."""
    path.write_bytes(b"PK\x03\x04")
    path.chmod(0)
    try:
        path.read_bytes()
    except PermissionError:
        return
    path.unlink()
    path.symlink_to("/proc/self/mem")


# name: (how to make it in the models folder, words its reason must hold)
BAD_FILES = {
    "a folder named like a model": (lambda path, _: path.mkdir(), "a folder, not a model file"),
    "an unreadable file": (lambda path, _: write_unreadable(path), "the server cannot read this file"),
    "an empty file": (lambda path, _: path.touch(), "an empty file"),
    "random bytes": (lambda path, _: path.write_bytes(random.Random(12).randbytes(5000)), "damaged or cut short"),
    "a copy of a real model cut short": (
        lambda path, _: path.write_bytes(SCRATCH_MODEL.read_bytes()[: SCRATCH_MODEL.stat().st_size // 2]),
        "damaged or cut short",
    ),
    "a run record named like a model": (
        lambda path, _: path.write_text(json.dumps({"name": "oops", "config": {"epochs": "many"}})),
        "damaged or cut short",
    ),
    "a model with a layer this app lacks": (
        lambda path, files: shutil.copyfile(files["unknown layer"], path),
        "a layer this app does not know",
    ),
    "a model holding a Python lambda": (
        lambda path, files: shutil.copyfile(files["lambda"], path),
        "safe mode refuses it",
    ),
    "a Keras model for something else": (
        lambda path, files: shutil.copyfile(files["not cat or dog"], path),
        "not a cat-or-dog model",
    ),
}


@pytest.fixture(params=list(BAD_FILES))
def bad_file(request, app_dirs, keras_files) -> tuple[Path, str]:
    """(path, words its reason holds) of one bad file, named "broken.keras", in the models folder."""
    make, reason = BAD_FILES[request.param]
    path = app_dirs.models / "broken.keras"
    make(path, keras_files)
    return path, reason


def test_a_bad_file_in_the_models_folder_is_not_offered_and_both_pages_work(open_app, bad_file):
    at = open_app()
    assert not at.exception
    assert at.title[0].value == "🐾 Cat or dog?"
    assert not at.error
    assert picker_labels(at) == bundled_labels()
    assert any("squashed to" in block.value for block in at.markdown)  # the picked model loaded

    at.switch_page(TRAIN_PAGE)
    at.run()
    assert not at.exception
    assert at.title[0].value == "📈 Train a convnet"
    assert picker_labels(at) == bundled_labels()


def test_the_train_page_names_a_bad_file_with_why_and_no_server_path(open_app, app_dirs, tiny_dataset, bad_file):
    path, reason = bad_file
    link_dataset(app_dirs, tiny_dataset)
    at = open_app(TRAIN_PAGE)
    assert not at.exception
    rows = unusable_table(at)
    assert [file for file, _ in rows] == [path.name]
    assert reason in rows[0][1]
    shown = everything_shown(at)
    assert str(app_dirs.models) not in shown and "Traceback" not in shown


def test_good_models_leave_no_list_of_unusable_ones(open_app, app_dirs, tiny_dataset):
    link_dataset(app_dirs, tiny_dataset)
    at = open_app(TRAIN_PAGE)
    assert not at.exception
    assert unusable_table(at) == []
    assert not [expander for expander in at.expander if "cannot be used" in expander.label]


# --- copies of the bundled models ------------------------------------------------------------------


def test_a_copy_of_each_bundled_model_in_the_models_folder_is_offered_once(open_app, app_dirs, tiny_dataset):
    for bundled in BUNDLED_MODELS:  # as when the repository's models/ is copied into a server's models volume
        shutil.copyfile(bundled, app_dirs.models / bundled.name)
        shutil.copyfile(metadata_path(bundled), metadata_path(app_dirs.models / bundled.name))
    link_dataset(app_dirs, tiny_dataset)
    at = open_app()
    assert not at.exception
    assert picker_labels(at) == bundled_labels()
    assert at.sidebar.radio(key="model_path").value == str(BUNDLED_MODELS[0])

    at.switch_page(TRAIN_PAGE)
    at.run()
    assert not at.exception
    assert picker_labels(at) == bundled_labels()
    assert unusable_table(at) == []


# --- a model that breaks after it was checked ------------------------------------------------------


def test_a_picked_model_damaged_after_its_check_gives_a_short_error_and_the_page_stops(open_app, app_dirs, tiny_model):
    from pages.models import model_load

    model_path, _ = tiny_model
    second = app_dirs.models / "second.keras"
    shutil.copyfile(model_path, second)
    at = open_app()
    at.sidebar.radio(key="model_path").set_value(str(second))
    at.run()
    model_load(str(second), second.stat().st_mtime).result()  # it loads behind the page, which then redraws
    rerun_until_loaded(at)
    assert not at.exception and not at.error
    assert any("squashed to 32 × 32" in block.value for block in at.markdown)

    # Replaced by garbage of the same size and time: its check, cached by both, still passes.
    before = second.stat()
    second.write_bytes(random.Random(3).randbytes(before.st_size))
    os.utime(second, ns=(before.st_atime_ns, before.st_mtime_ns))
    model_load.clear(str(second), before.st_mtime)  # loaded afresh, as once the server's cache let it go
    rerun_until_loaded(at)  # the run that finds the load failed says so; the picker drops the file from the next
    assert not at.exception
    assert [error.value for error in at.error] == [
        "The model “second” cannot be used: not a Keras model file (damaged or cut short). "
        "Pick another one in the sidebar, or train one on the Train page."
    ]
    assert not any("squashed to" in block.value for block in at.markdown)  # the page stopped there
    shown = everything_shown(at)
    assert str(app_dirs.models) not in shown and "Traceback" not in shown

    # From the next run on the picker knows: the bundled model is picked again, and classifies.
    at.run()
    assert not at.exception and not at.error
    assert picker_labels(at) == bundled_labels()
    assert at.sidebar.radio(key="model_path").value == str(BUNDLED_MODELS[0])
    assert any("squashed to" in block.value for block in at.markdown)


# --- run files with values of the wrong kind -------------------------------------------------------


@pytest.mark.parametrize(
    "wrong",
    [
        {"test_accuracy": "high"},
        {"created": 5},
        {"history": [{"epoch": 1, "accuracy": "high", "val_accuracy": "low"}]},
    ],
    ids=["test_accuracy", "created", "history"],
)
def test_a_run_file_with_wrong_values_is_left_out_of_the_past_runs(open_app, app_dirs, tiny_dataset, tiny_model, wrong):
    model_path, record = tiny_model
    good = record.to_dict() | {"name": "good"}
    metadata_path(app_dirs.models / "good.keras").write_text(json.dumps(good))
    bad = app_dirs.models / "bad.keras"
    shutil.copyfile(model_path, bad)  # a model that loads, beside a record that does not read
    metadata_path(bad).write_text(json.dumps(good | {"name": "bad"} | wrong))
    link_dataset(app_dirs, tiny_dataset)

    at = open_app(TRAIN_PAGE)
    assert not at.exception
    tables = [frame.value for frame in at.dataframe if "name" in frame.value.columns]
    assert len(tables) == 1 and list(tables[0]["name"]) == ["good"]
    assert picker_labels(at) == [*bundled_labels(), "bad"]  # the model still loads: offered under its name

    at.sidebar.radio(key="model_path").set_value(str(bad))
    at.switch_page("pages/classify.py")
    at.run()
    assert not at.exception
    assert any("No run record" in caption.value for caption in at.sidebar.caption)


def test_a_link_to_nowhere_in_the_models_folder_breaks_no_page(open_app, app_dirs):
    (app_dirs.models / "gone.keras").symlink_to(app_dirs.models / "deleted-long-ago.keras")
    at = open_app()
    assert not at.exception
    assert picker_labels(at) == bundled_labels()


# --- an error nobody foresaw -----------------------------------------------------------------------


def test_an_unforeseen_error_shows_visitors_a_short_message_without_server_paths(open_app, app_dirs, monkeypatch):
    import pages.models

    def failing(models_dir):
        raise OSError(f"[Errno 5] Input/output error: '{models_dir}/mine.keras'")

    monkeypatch.setattr(pages.models, "list_models", failing)  # as a failing disk would
    at = open_app()
    assert len(at.exception) == 1  # .streamlit/config.toml: client.showErrorDetails = "none"
    crash = at.exception[0]
    assert "error" in crash.message and crash.stack_trace == []
    shown = everything_shown(at)
    assert str(app_dirs.models) not in shown and "OSError" not in shown
