"""The Train page under Streamlit's AppTest: dataset picker, training switch, a real (tiny) run, past runs.

CATDOG_DATA_DIR and CATDOG_MODELS_DIR point at temporary folders (conftest.py's `app_dirs`);
the one run started from the page trains on 24 photos at 64 × 64 pixels for two epochs.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import re
import shutil
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from conftest import split_photos
from PIL import Image

from catdog import jobs
from catdog.charts import training_figure
from catdog.config import TrainConfig, training_setting
from catdog.i18n import Message, translate
from catdog.runs import AUTOMATIC_TITLE, Epoch, RunRecord, delete_run, metadata_path, read_record
from catdog.tensorflow_logs import ABSL_LINE, ABSL_NOT_INITIALISED

TRAIN_PAGE = "pages/train.py"


@pytest.fixture
def dataset(app_dirs, tiny_dataset) -> Path:
    """The session's tiny dataset (12 train, 6 validation, 4 test photos per class) in the data folder."""
    link = app_dirs.data / "tiny"
    link.symlink_to(tiny_dataset, target_is_directory=True)
    return link


def button(at, key: str):
    found = [b for b in at.button if b.key == key]
    return found[0] if found else None


def write_run(
    models_dir: Path,
    name: str,
    created: str,
    val_accuracy: list[float],
    status: str = "finished",
    config: TrainConfig | None = None,
    phases: list[str] | None = None,
    title: str = "",
) -> None:
    """A past run's NAME.json as its training process writes it, with one history entry per epoch."""
    config = config or TrainConfig(epochs=len(val_accuracy), augment=False, limit_per_class=100)
    record = RunRecord(name, config, title=title, created=created, status=status, seconds=12.5)
    for i, v in enumerate(val_accuracy):
        phase = phases[i] if phases else ""
        record.add_epoch(Epoch(i + 1, None, 0.5 + i / 20, 0.7 - i / 20, v, 0.7 - v / 2, phase=phase))
    record.save(metadata_path(models_dir / f"{name}.keras"))


def runs_table(at):
    """The past-runs table (AppTest does not expose st.dataframe keys: it is the one with a "name" column)."""
    tables = [frame.value for frame in at.dataframe if "name" in frame.value.columns]
    assert len(tables) == 1, f"{len(tables)} past-runs tables"
    return tables[0]


def chart_trace_names(chart) -> list[str]:
    return [trace.get("name") for trace in json.loads(chart.proto.spec)["data"]]


# --- what the page offers --------------------------------------------------------------------------


def test_with_no_dataset_the_page_says_where_to_put_one(open_app, app_dirs):
    at = open_app(TRAIN_PAGE)
    assert not at.exception
    assert at.title[0].value == "📈 Train a convnet"
    # It says how to get one; which folder it looks in is the operator's business, not the visitor's
    # (test_app_download.py checks that no server path is shown).
    (message,) = [info.value for info in at.info if info.value.startswith("No dataset on this server yet")]
    assert "python -m catdog download" in message and "CATDOG_DATA_DIR" in message
    assert button(at, "start") is None
    assert not at.dataframe


def test_a_dataset_in_the_data_folder_is_offered_with_its_photo_counts(open_app, dataset):
    at = open_app(TRAIN_PAGE)
    assert not at.exception
    assert at.selectbox(key="dataset").options == ["tiny"]
    counts = at.dataframe[0].value
    assert counts.loc["train"].to_dict() == {"cat": 12, "dog": 12, "total": 24}
    assert counts.loc["validation"].to_dict() == {"cat": 6, "dog": 6, "total": 12}
    assert counts.loc["test"].to_dict() == {"cat": 4, "dog": 4, "total": 8}
    start = button(at, "start")
    assert start is not None and not start.disabled
    assert jobs.current_job() is None  # showing the page starts nothing


@pytest.mark.parametrize("where", ["environment", "secrets"])
def test_training_can_be_turned_off_for_a_hosted_demo(open_app, dataset, monkeypatch, where):
    if where == "environment":
        monkeypatch.setenv("CATDOG_TRAINING", "off")
        at = open_app(TRAIN_PAGE)
    else:
        at = open_app(TRAIN_PAGE, secrets={"training": "off"})
    assert not at.exception
    assert any("Training is turned off" in info.value for info in at.info)
    assert button(at, "start").disabled
    assert jobs.current_job() is None


def test_a_password_unlocks_training(open_app, dataset, server_guard, monkeypatch):
    monkeypatch.setenv("CATDOG_TRAINING", "password")
    monkeypatch.setenv("CATDOG_TRAINING_PASSWORD", "s3cret")
    at = open_app(TRAIN_PAGE)
    assert not at.exception
    assert button(at, "start").disabled
    assert not at.error

    at.text_input(key="training_password").input("guess").run()
    assert [error.value for error in at.error] == ["That password is not right."]
    assert button(at, "start").disabled

    server_guard.clock.now += 1  # the wait after a wrong guess
    at.text_input(key="training_password").input("s3cret").run()
    assert not at.error
    assert not button(at, "start").disabled
    at.run()  # unlocked for the rest of the visit: the password box is gone
    assert not [box for box in at.text_input if box.key == "training_password"]
    assert not button(at, "start").disabled


@pytest.mark.parametrize(
    ("variable", "expected"),
    [("on", "on"), ("off", "off"), ("Password", "password"), (" OFF ", "off"), ("false", "off"), ("no", "off")],
)
def test_the_training_setting_reads_the_environment_and_fails_closed(monkeypatch, caplog, variable, expected):
    monkeypatch.setenv("CATDOG_TRAINING", variable)
    monkeypatch.setenv("CATDOG_TRAINING_PASSWORD", "s3cret")
    with caplog.at_level(logging.ERROR, logger="catdog"):
        assert training_setting() == (expected, "s3cret")
    unknown = variable.strip().lower() not in ("on", "off", "password")
    assert bool(caplog.records) == unknown  # a typo is logged, so whoever deployed it can find out why
    if unknown:
        assert repr(variable.strip().lower()) in caplog.text and "training is off" in caplog.text


def test_the_training_setting_defaults_to_on_and_secrets_override_the_environment(monkeypatch):
    monkeypatch.delenv("CATDOG_TRAINING", raising=False)
    monkeypatch.delenv("CATDOG_TRAINING_PASSWORD", raising=False)
    assert training_setting() == ("on", "")
    assert training_setting({}) == ("on", "")
    monkeypatch.setenv("CATDOG_TRAINING", "on")
    monkeypatch.setenv("CATDOG_TRAINING_PASSWORD", "from-the-environment")
    secrets = {"training": "password", "training_password": "from-secrets"}
    assert training_setting(secrets) == ("password", "from-secrets")
    assert training_setting({"training": "off"}) == ("off", "from-the-environment")
    assert training_setting({"training": "true"})[0] == "off"  # a typo in the secrets fails closed too


# --- starting from a pretrained backbone -----------------------------------------------------------


def test_starting_from_a_pretrained_backbone_offers_its_own_defaults(open_app, dataset):
    at = open_app(TRAIN_PAGE)
    assert at.radio(key="start_from").options == [
        "scratch (the book's convnet)",
        "pretrained MobileNetV2 1.0 (ImageNet)",
        "pretrained MobileNet v1 0.25 (ImageNet)",
    ]
    scratch = TrainConfig()
    assert at.slider(key="epochs_scratch").value == scratch.epochs
    assert at.toggle(key="augment_scratch").value is True
    assert at.select_slider(key="learning_rate_scratch").value == scratch.learning_rate
    assert not [s for s in at.slider if s.key == "fine_tune"]

    at.radio(key="start_from").set_value("mobilenet").run()
    assert not at.exception
    transfer = TrainConfig.transfer("mobilenet")
    assert at.slider(key="epochs_mobilenet").value == transfer.epochs
    assert at.toggle(key="augment_mobilenet").value is False  # features computed once: much faster
    assert at.select_slider(key="learning_rate_mobilenet").value == transfer.learning_rate
    fine_tune = at.slider(key="fine_tune")
    assert fine_tune.label.startswith("Fine-tuning epochs") and fine_tune.value == transfer.fine_tune_epochs
    assert not [s for s in at.select_slider if s.key in ("image_size", "width")]  # fixed by the backbone

    at.radio(key="start_from").set_value("scratch").run()
    assert at.slider(key="epochs_scratch").value == scratch.epochs  # each starting point keeps its own settings
    assert not [s for s in at.slider if s.key == "fine_tune"]


def test_start_from_mobilenet_starts_a_pretrained_run_with_the_chosen_settings(open_app, dataset, monkeypatch):
    started = []
    monkeypatch.setattr(jobs, "start_job", lambda *args, **kwargs: started.append((*args, kwargs)))  # no training
    at = open_app(TRAIN_PAGE)
    at.radio(key="start_from").set_value("mobilenet").run()
    at.slider(key="epochs_mobilenet").set_value(5).run()  # the fine-tuning slider's range follows the epochs
    at.slider(key="fine_tune").set_value(2)
    at.selectbox(key="per_class").set_value("250")
    at.text_input(key="run_name").input("transfer run")
    button(at, "start").click()
    at.run()
    assert not at.exception
    ((config, root, models_dir, name, named),) = started
    assert named["owner"] == at.session_state["visitor"]  # who may stop it
    # 250 asked of a dataset with 12 training photos a class: the run gets, and records, 12
    assert config == TrainConfig.transfer("mobilenet", epochs=5, fine_tune_epochs=2, augment=False, limit_per_class=12)
    assert (root, name, named["title"]) == (dataset, "transfer run", "transfer run")  # made safe by start_job


def test_the_small_data_option_brings_the_overfitting_lessons_settings(open_app, dataset):
    at = open_app(TRAIN_PAGE)
    assert at.slider(key="epochs_scratch").value == 30 and at.toggle(key="augment_scratch").value is True
    at.selectbox(key="per_class").set_value("100").run()
    assert not at.exception
    small = TrainConfig.small_data()
    assert (small.epochs, small.augment, small.limit_per_class) == (20, False, 100)
    assert at.slider(key="epochs_small_data").value == small.epochs
    assert at.toggle(key="augment_small_data").value is False  # watch it overfit; then turn it on and compare
    at.selectbox(key="per_class").set_value("all").run()
    assert at.slider(key="epochs_scratch").value == 30 and at.toggle(key="augment_scratch").value is True


def test_a_run_without_a_typed_name_gets_a_readable_title_and_a_safe_file_name(open_app, dataset, monkeypatch):
    started = []
    monkeypatch.setattr(jobs, "start_job", lambda *args, **kwargs: started.append((*args, kwargs)))
    at = open_app(TRAIN_PAGE)
    at.selectbox(key="per_class").set_value("100").run()
    # The tiny dataset has 12 training photos a class: the page says so, and the run is named for what it gets.
    assert [w.value for w in at.warning] == [
        "This dataset has only 12 training photos of one class: the run trains on 12 per class, not 100."
    ]
    (name_box,) = [box for box in at.text_input if box.key == "run_name"]
    assert re.fullmatch(r"tiny · 12 per class · no augmentation · \d\d:\d\d", name_box.placeholder)
    button(at, "start").click()
    at.run()
    assert not at.exception
    ((config, root, models_dir, name, named),) = started
    assert config.limit_per_class == 12
    # No typed name: the record names the run from its own fields, in each reader's language.
    assert (named["title"], named["title_key"]) == ("", AUTOMATIC_TITLE)
    record = RunRecord(name, config, title_key=AUTOMATIC_TITLE, data="tiny", created="2026-01-02T10:05:00+00:00")
    local = datetime.fromisoformat(record.created).astimezone()
    assert record.display_name("en") == f"tiny · 12 per class · no augmentation · {local:%H:%M}"
    assert record.display_name("zh") == f"tiny · 每类 12 张 · 无数据增强 · {local:%H:%M}"
    assert re.fullmatch(r"scratch-noaug-12pc-\d{4}-\d{4}", name)  # the file's name: letters, digits and '-'


# --- a run started from the page -------------------------------------------------------------------


@pytest.mark.slow
def test_start_trains_a_model_that_is_then_listed_and_can_be_used_to_classify(
    open_app, app_dirs, dataset, media, capfd, monkeypatch
):
    """Also: the training process writes nothing to the server's terminal (what capfd catches of both)."""
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")  # as in a server, where importing catdog sets its default
    at = open_app(TRAIN_PAGE)
    assert at.radio(key="start_from").value == "scratch"
    at.selectbox(key="per_class").set_value("100").run()
    at.slider(key="epochs_small_data").set_value(2)
    at.toggle(key="augment_small_data").set_value(False)
    at.select_slider(key="image_size").set_value(64)
    at.select_slider(key="width").set_value(8)
    at.select_slider(key="batch_size").set_value(16)
    at.text_input(key="run_name").input("page run")
    button(at, "start").click()
    at.run()
    assert not at.exception

    job = jobs.current_job()
    assert job is not None and job.name == "page-run" and job.title() == "page run"
    # The click's own rerun already draws the new run's panel: no second run of the page first.
    assert any(subheader.value == "Run “page run”" for subheader in at.subheader)
    assert progress_texts(at) == ["Starting the training process…"]
    assert job.out_path == app_dirs.models / "page-run.keras"
    assert job.data_dir == dataset
    assert job.config == TrainConfig(  # 100 per class asked of a dataset of 12 training photos a class: 12
        epochs=2, limit_per_class=12, augment=False, image_size=64, width=8, batch_size=16, learning_rate=3e-3
    )
    job.wait(120)
    assert job.status == "finished", job.error

    at.run()
    assert not at.exception
    assert any(subheader.value == "Run “page run”" for subheader in at.subheader)
    runs = runs_table(at)
    assert list(runs["name"]) == ["page run"]
    assert runs.loc[0, "status"].startswith("finished") and runs.loc[0, "epochs"] == 2  # tiny: it may be guessing
    assert runs.loc[0, "photos/class"] == "12" and runs.loc[0, "augmentation"] == "off"  # what it got
    assert runs.loc[0, "started from"] == "scratch"
    assert runs.loc[0, "precision"] == read_record(job.out_path).precision in ("float32", "bfloat16")  # as trained
    # One number for the run's time: the live panel's and the runs table's.
    assert read_record(job.out_path).seconds == job.seconds > 0
    (time_shown,) = [metric.value for metric in at.metric if metric.label == "Time"]
    assert time_shown == f"{runs.loc[0, 'time']} s" == f"{round(job.seconds)} s"  # the same whole seconds
    assert any(option.startswith("page run · scratch") for option in at.sidebar.radio(key="model_path").options)
    # Where the model looked in the first validation dog photo, after its last epoch and (small) its first.
    assert job.record.heatmap_photo == str(split_photos(dataset, "validation", "dogs")[0].resolve())
    shown = heatmap_images(at, media)
    assert [caption for caption, _ in shown] == ["Where the model looks after epoch 2", "epoch 1"]
    assert shown[0][1].size == (192, 192)  # the 64-pixel input, enlarged three times

    assert button(at, "use_model").label == "Use “page run” to classify"
    # The training process ran no page script (Streamlit warns of each st call there) and TensorFlow's
    # start-up lines stayed out of the terminal.
    err = capfd.readouterr().err
    assert "ScriptRunContext" not in err and "streamlit run" not in err, err[-2000:]
    lines = err.encode().splitlines()
    assert not [line for line in lines if ABSL_LINE.match(line) or line.strip() == ABSL_NOT_INITIALISED], err[-2000:]


@pytest.fixture
def finished_job(app_dirs, dataset, tiny_model, monkeypatch) -> jobs.TrainingJob:
    """The server's last job, finished: the session's tiny model saved as models/fresh.keras (no training)."""
    model_path, record = tiny_model
    job = jobs.TrainingJob(record.config, dataset, app_dirs.models / "fresh.keras")
    shutil.copyfile(model_path, job.out_path)
    shutil.copyfile(metadata_path(model_path), metadata_path(job.out_path))
    job.apply(jobs.Finished(dataclasses.replace(record, name="fresh")))
    monkeypatch.setattr(jobs, "_current", job)
    return job


def test_use_switches_to_the_classify_page_with_the_new_model(open_app, finished_job):
    at = open_app(TRAIN_PAGE)
    assert at.session_state["model_path"] != str(finished_job.out_path)
    use = button(at, "use_model")
    assert use is not None and use.label == "Use “fresh” to classify"
    use.click()
    at.run()
    assert not at.exception, at.exception[0].message
    assert at.session_state["model_path"] == str(finished_job.out_path)
    assert at.title[0].value == "🐾 Cat or dog?"  # it took us to the Classify page
    assert at.sidebar.radio(key="model_path").value == str(finished_job.out_path)


@pytest.fixture
def current_run(app_dirs, dataset, monkeypatch):
    """make(config, name): a run the server reports as its current one; its thread never starts (no CPU spent).

    Stopping a real run is tested in test_jobs.py; here only the page's side matters.
    """
    made = []

    def make(config: TrainConfig, name: str) -> jobs.TrainingJob:
        made.append(jobs.TrainingJob(config, dataset, app_dirs.models / f"{name}.keras"))
        monkeypatch.setattr(jobs, "_current", made[-1])
        return made[-1]

    yield make
    for job in made:
        job.record.status = "stopped"  # so that nothing waits for the thread that never ran


@pytest.fixture
def running_job(current_run) -> jobs.TrainingJob:
    """A run the server reports as training, one batch into 200 epochs."""
    job = current_run(TrainConfig(image_size=32, width=8, epochs=200, limit_per_class=12, batch_size=8), "long-run")
    job.apply(jobs.TrainBegan(batches_per_epoch=3))
    job.apply(jobs.BatchEnded(1, 1, {"accuracy": 0.5, "loss": 0.69}))
    return job


def test_a_second_start_while_a_run_trains_is_refused_and_the_page_can_stop_the_first(open_app, app_dirs, running_job):
    at = open_app(TRAIN_PAGE)
    assert not at.exception
    assert any(subheader.value == "Run “long-run”" for subheader in at.subheader)
    button(at, "start").click()
    at.run()
    assert not at.exception
    warnings = [warning.value for warning in at.warning if "Only one run at a time" in warning.value]
    assert len(warnings) == 1 and "“long-run” is still training" in warnings[0]
    assert jobs.current_job() is running_job  # the running job was left alone, and nothing else started
    assert list(app_dirs.models.iterdir()) == []

    stop = button(at, "stop")
    assert stop is not None and stop.disabled  # another visitor's run: this one may watch, not stop
    running_job.owner = at.session_state["visitor"]  # as if this visitor had pressed Start
    at.run()
    stop = button(at, "stop")
    assert not stop.disabled  # the live panel offers to stop the run
    assert progress_texts(at) == ["Epoch 1/200 · batch 1/3"]  # from the first batch on
    stop.click()
    at.run()
    assert not at.exception
    assert running_job._stop.is_set()  # the run is asked to end after its current batch
    assert any(metric.value == "stopping…" for metric in at.metric)  # said at once, while the batch ends
    assert progress_texts(at) == ["Epoch 1/200 · stopping after this batch…"]  # and no time left that could grow
    assert button(at, "stop") is None


def test_in_password_mode_whoever_unlocked_training_may_stop_any_run(open_app, running_job, monkeypatch):
    monkeypatch.setenv("CATDOG_TRAINING", "password")
    monkeypatch.setenv("CATDOG_TRAINING_PASSWORD", "s3cret")
    at = open_app(TRAIN_PAGE)
    assert button(at, "stop").disabled
    at.text_input(key="training_password").input("s3cret").run()
    at.run()
    assert not button(at, "stop").disabled


def test_password_guesses_are_slowed_and_capped_for_the_whole_server(open_app, dataset, server_guard, monkeypatch):
    monkeypatch.setenv("CATDOG_TRAINING", "password")
    monkeypatch.setenv("CATDOG_TRAINING_PASSWORD", "s3cret")
    server_guard.tries = 3
    at = open_app(TRAIN_PAGE)
    at.text_input(key="training_password").input("a").run()
    at.text_input(key="training_password").input("b").run()  # at once: not even compared
    assert [error.value for error in at.error] == ["Too soon after a wrong password. Try again in 1 s."]
    for guess in ("b", "c"):
        server_guard.clock.now += 5
        at.text_input(key="training_password").input(guess).run()
    assert not [box for box in at.text_input if box.key == "training_password"]  # no fourth guess
    assert any("Too many wrong passwords on this server" in error.value for error in at.error)
    assert button(at, "start").disabled
    fresh = open_app(TRAIN_PAGE)  # a new tab starts nothing over
    assert not [box for box in fresh.text_input if box.key == "training_password"]
    assert button(fresh, "start").disabled


def progress_texts(at) -> list[str]:
    return [bar.proto.text for bar in at.get("progress")]


def test_the_live_panel_follows_a_pretrained_run_from_preparing_to_fine_tuning(open_app, current_run):
    """A pretrained run decodes its photos, computes the backbone's features once, then trains; no thread runs here."""
    config = TrainConfig.transfer("mobilenet", epochs=2, fine_tune_epochs=1, augment=False)
    job = current_run(config, "pretrained")
    at = open_app(TRAIN_PAGE)
    assert not at.exception
    assert progress_texts(at) == ["Starting the training process…"]

    job.apply(jobs.Preparing("decoding", 50, 100))
    at.run()
    assert progress_texts(at) == ["Decoding the photos: 50 of 100…"]

    job.apply(jobs.Preparing("features", 10, 36))
    at.run()
    (text,) = progress_texts(at)
    assert text.startswith("Computing the backbone's features") and text.endswith(": 10 of 36…")

    job.apply(jobs.TrainBegan(batches_per_epoch=3))
    scores = {"accuracy": 0.8, "loss": 0.4, "val_accuracy": 0.85, "val_loss": 0.35}
    job.apply(jobs.EpochEnded(Epoch(1, **scores, phase="head")))
    job.apply(jobs.EpochEnded(Epoch(2, **scores, phase="fine-tune")))
    at.run()
    assert not at.exception
    assert not [img for image in at.get("image") for img in image.proto.imgs]  # these epochs brought no heatmap
    live = [chart for chart in at.get("plotly_chart") if "pretrained · validation" in chart_trace_names(chart)]
    assert len(live) == 2  # accuracy and loss
    for chart in live:
        annotations = json.loads(chart.proto.spec)["layout"].get("annotations", [])
        assert [a["text"] for a in annotations] == ["fine-tuning starts"]


def test_the_live_panel_says_which_phase_runs_and_how_long_each_took(open_app, current_run):
    job = current_run(TrainConfig.transfer("mobilenet", epochs=2, fine_tune_epochs=1), "phases")
    job.apply(jobs.PhaseBegan("decoding", {}))
    at = open_app(TRAIN_PAGE)
    assert [caption.value for caption in at.caption if "Now:" in caption.value] == ["Now: decoding the photos."]

    # The augmented views' features, computed after the head's epochs: their count, and the phases done.
    job.apply(jobs.TrainBegan(batches_per_epoch=3))
    job.apply(jobs.PhaseBegan("features", {"decoding": 4.2, "features": 40.0, "head": 2.6}))
    job.apply(jobs.Preparing("features", 1200, 4000))
    at.run()
    assert not at.exception
    texts = [caption.value for caption in at.caption if "Time per phase" in caption.value]
    assert texts == [
        "Computing the backbone's features of each photo, once: 1200 of 4000… Time per phase: decoding the photos "
        "4 s · the backbone's features 40 s · training the head 3 s."
    ]


# --- where the model looks, epoch by epoch ----------------------------------------------------------


@pytest.fixture
def media(monkeypatch) -> dict[str, bytes]:
    """The bytes of every image the page hands Streamlit, by file id (AppTest keeps its media store to itself)."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    stored = {}
    load = MemoryMediaFileStorage.load_and_get_id

    def keep(self, data, *args, **kwargs):
        file_id = load(self, data, *args, **kwargs)
        stored[file_id] = data
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)
    return stored


def heatmap_images(at, media: dict[str, bytes]) -> list[tuple[str, Image.Image]]:
    """(caption, picture) of each heatmap image on the page, in order."""
    found = []
    for element in at.get("image"):
        for img in element.proto.imgs:
            if img.caption.startswith(("Where the model looks", "epoch ")):
                file_id = Path(img.url).stem  # /media/FILE_ID.jpg
                found.append((img.caption, Image.open(io.BytesIO(media[file_id])).convert("RGB")))
    return found


TOP_LEFT, BOTTOM_RIGHT = (0, 0, 0.4, 0.4), (0.6, 0.6, 1, 1)  # (left, top, right, bottom), as fractions


def redness(picture: Image.Image, box: tuple[float, float, float, float]) -> float:
    """Mean red minus mean blue over a box of the picture."""
    width, height = picture.size
    left, top, right, bottom = box
    pixels = np.asarray(picture.crop((left * width, top * height, right * width, bottom * height)), np.float32)
    return float(pixels[..., 0].mean() - pixels[..., 2].mean())


def hotter(picture: Image.Image, hot: tuple, cold: tuple) -> bool:
    """The heatmap is red over `hot` and blue over `cold` (0.45 of each colour blends over the photo: ±57)."""
    return redness(picture, hot) - redness(picture, cold) > 60


def test_the_live_panel_shows_where_the_model_looks_in_one_validation_photo_after_each_epoch(
    open_app, current_run, dataset, media
):
    job = current_run(TrainConfig(image_size=32, width=8, epochs=12), "watching")
    job.apply(jobs.TrainBegan(batches_per_epoch=3))
    job.apply(jobs.HeatmapPhoto(str(split_photos(dataset, "validation", "dogs")[0])))
    at = open_app(TRAIN_PAGE)
    assert not at.exception
    assert heatmap_images(at, media) == []  # nothing to show before the first epoch ends

    scores = {"accuracy": 0.6, "loss": 0.6, "val_accuracy": 0.55, "val_loss": 0.65}
    job.apply(jobs.EpochEnded(Epoch(1, **scores, heatmap=[[0.0, 0.0], [0.0, 1.0]])))  # the bottom right
    at.run()
    assert not at.exception
    ((caption, picture),) = heatmap_images(at, media)
    assert caption == "Where the model looks after epoch 1"
    assert picture.size == (224, 224)  # the 32-pixel input the model sees, enlarged seven times
    assert hotter(picture, BOTTOM_RIGHT, TOP_LEFT)

    for epoch in range(2, 13):  # then the model looks at the top left
        job.apply(jobs.EpochEnded(Epoch(epoch, **scores, heatmap=[[1.0, 0.0], [0.0, 0.0]])))
    at.run()
    assert not at.exception
    shown = heatmap_images(at, media)
    assert [caption for caption, _ in shown] == [
        "Where the model looks after epoch 12",
        *(f"epoch {n}" for n in (1, 3, 5, 7, 9, 11)),  # beside it, at most 8 earlier epochs, evenly spaced
    ]
    latest, first = shown[0][1], shown[1][1]
    assert hotter(first, BOTTOM_RIGHT, TOP_LEFT) and hotter(latest, TOP_LEFT, BOTTOM_RIGHT)
    assert first.size == (112, 112)  # the earlier epochs, small


def test_a_watched_photo_gone_from_its_dataset_is_said_so_in_place_of_the_heatmaps(
    open_app, current_run, app_dirs, media
):
    job = current_run(TrainConfig(image_size=32, width=8, epochs=2), "moved")
    job.apply(jobs.TrainBegan(batches_per_epoch=3))
    job.apply(jobs.HeatmapPhoto(str(app_dirs.data / "gone" / "dog.1.jpg")))
    job.apply(jobs.EpochEnded(Epoch(1, val_accuracy=0.5, heatmap=[[1.0, 0.0], [0.0, 0.0]])))
    at = open_app(TRAIN_PAGE)
    assert not at.exception
    assert heatmap_images(at, media) == []
    assert any("no longer in its dataset" in caption.value for caption in at.caption)


# --- past runs ---------------------------------------------------------------------------------------


def test_two_past_runs_are_listed_and_compared_on_two_charts(open_app, app_dirs, dataset):
    write_run(app_dirs.models, "alpha", "2026-01-01T10:00:00+00:00", [0.55, 0.61, 0.64])
    write_run(app_dirs.models, "beta", "2026-01-02T10:00:00+00:00", [0.58, 0.70])
    at = open_app(TRAIN_PAGE)
    assert not at.exception
    runs = runs_table(at)
    assert list(runs["name"]) == ["beta", "alpha"]  # newest first
    assert list(runs["epochs"]) == [2, 3]
    assert list(runs["best val. accuracy"]) == pytest.approx([70.0, 64.0])  # percent, drawn to one decimal
    assert at.multiselect(key="compare").value == ["beta", "alpha"]

    charts = {chart.proto.id: chart for chart in at.get("plotly_chart")}
    assert len(charts) == 2  # accuracy and loss; no live panel without a run
    for chart in charts.values():
        names = chart_trace_names(chart)
        assert {"alpha · validation", "beta · validation", "alpha · training", "beta · training"} <= set(names)

    at.multiselect(key="compare").unselect("alpha").run()
    for chart in at.get("plotly_chart"):
        assert not any(name.startswith("alpha") for name in chart_trace_names(chart))


def test_a_failed_run_is_listed_with_its_reason_but_neither_headlines_nor_is_offered_for_comparison(
    open_app, app_dirs, dataset, monkeypatch
):
    write_run(app_dirs.models, "good", "2026-01-01T10:00:00+00:00", [0.61, 0.72])
    write_run(app_dirs.models, "bad", "2026-01-02T10:00:00+00:00", [], status="failed")
    failed = read_record(app_dirs.models / "bad.keras")
    failed.fail(Message("run_failed.tensorflow"))
    failed.save(metadata_path(app_dirs.models / "bad.keras"))
    job = jobs.TrainingJob(failed.config, dataset, app_dirs.models / "bad.keras", title="bad")
    job.apply(jobs.Failed(Message("run_failed.tensorflow")))
    monkeypatch.setattr(jobs, "_current", job)  # the server's last run: it failed before its first epoch
    for lang in ("en", "zh"):
        at = open_app(TRAIN_PAGE)
        if lang == "zh":
            at.sidebar.selectbox(key="language").set_value("zh").run()
        assert not at.exception
        why = translate("run_failed.tensorflow", lang)
        assert [e.value for e in at.error] == [translate("train.run_failed", lang, title="bad", reason=why)]
        assert not at.get("plotly_chart") or all("live" not in (c.proto.id or "") for c in at.get("plotly_chart"))
        assert not at.metric  # no headline panel: no status, accuracy or time of a run that learned nothing
        (runs,) = [f.value for f in at.dataframe if translate("train.runs.name", lang) in f.value.columns]
        runs = runs.set_index(translate("train.runs.name", lang))
        assert runs.loc["bad", translate("train.runs.why", lang)] == why
        assert runs.loc["good", translate("train.runs.why", lang)] == ""
        assert at.multiselect(key="compare").options == ["good"]
        assert at.multiselect(key="compare").value == ["good"]


def test_a_run_that_never_finished_is_listed_as_interrupted(open_app, app_dirs, dataset):
    write_run(app_dirs.models, "crashed", "2026-01-01T10:00:00+00:00", [0.6], status="training")
    at = open_app(TRAIN_PAGE)
    runs = runs_table(at)
    assert runs.set_index("name").loc["crashed", "status"] == "interrupted"


def test_a_pretrained_past_run_shows_what_it_started_from_and_where_fine_tuning_began(open_app, app_dirs, dataset):
    transfer = TrainConfig.transfer("mobilenet", epochs=3, fine_tune_epochs=1, augment=True)
    phases = ["head", "head", "fine-tune"]
    write_run(app_dirs.models, "mobile", "2026-01-02T10:00:00+00:00", [0.8, 0.9, 0.93], config=transfer, phases=phases)
    write_run(app_dirs.models, "scratch", "2026-01-01T10:00:00+00:00", [0.55, 0.61])
    at = open_app(TRAIN_PAGE)
    assert not at.exception
    runs = runs_table(at).set_index("name")
    assert runs.loc["mobile", "started from"] == "pretrained MobileNet v1 0.25"
    assert runs.loc["scratch", "started from"] == "scratch"
    assert runs.loc["mobile", "augmentation"] == "on" and runs.loc["mobile", "epochs"] == 3
    for chart in at.get("plotly_chart"):
        annotations = json.loads(chart.proto.spec)["layout"].get("annotations", [])
        assert [a["text"] for a in annotations] == ["fine-tuning starts"]


def test_the_training_chart_marks_where_fine_tuning_starts():
    history = [
        Epoch(epoch, accuracy=0.8, loss=0.4, val_accuracy=0.85, val_loss=0.35, phase=phase)
        for epoch, phase in enumerate(["head", "head", "head", "fine-tune", "fine-tune"], start=1)
    ]
    scratch = [dataclasses.replace(entry, phase="") for entry in history]
    for metric in ("accuracy", "loss"):
        figure = training_figure({"pretrained": history, "scratch": scratch}, metric)
        (line,) = figure.layout.shapes  # one line, for the one run that fine-tuned
        assert line.x0 == line.x1 == 3  # after the head's last epoch
        assert [a.text for a in figure.layout.annotations] == ["fine-tuning starts"]
        assert [trace.name for trace in figure.data] == [
            "pretrained · training",
            "pretrained · validation",
            "scratch · training",
            "scratch · validation",
        ]
    assert not training_figure({"scratch": scratch}, "accuracy").layout.shapes
    only_fine_tuned = [dataclasses.replace(entry, phase="fine-tune") for entry in history]  # no head epochs: no mark
    assert not training_figure({"all": only_fine_tuned}, "accuracy").layout.shapes


# --- which runs are worth keeping ------------------------------------------------------------------


def save_model_of(tiny_model, models_dir: Path, name: str, val_accuracy: float, title: str = "") -> Path:
    """The session's tiny model saved as models_dir/NAME.keras, its record saying it scored val_accuracy."""
    model_path, record = tiny_model
    path = models_dir / f"{name}.keras"
    shutil.copyfile(model_path, path)
    scored = Epoch(1, accuracy=0.6, loss=0.6, val_accuracy=val_accuracy, val_loss=0.6)
    dataclasses.replace(record, name=name, title=title, history=[], test_accuracy=None).save(metadata_path(path))
    saved = read_record(path)
    saved.add_epoch(scored)
    saved.save(metadata_path(path))
    return path


def test_a_model_that_scored_about_50_percent_is_marked_as_guessing_and_is_never_the_default(
    open_app, app_dirs, dataset, tiny_model, monkeypatch
):
    import pages.sidebar

    coin = save_model_of(tiny_model, app_dirs.models, "coin-toss", 0.52, title="tiny · 100 per class · 5 epochs")
    learned = save_model_of(tiny_model, app_dirs.models, "learned", 0.81)
    at = open_app(TRAIN_PAGE)
    assert not at.exception
    labels = at.sidebar.radio(key="model_path").options
    assert "tiny · 100 per class · 5 epochs · scratch · guessing: train longer" in labels  # the title, in full
    assert "learned · scratch · 81% accuracy" in labels
    runs = runs_table(at).set_index("name")
    assert runs.loc["tiny · 100 per class · 5 epochs", "status"] == "finished · guessing: train longer"
    assert runs.loc["learned", "status"] == "finished"
    # The picker's default: never a guessing model, even when it comes first (as the newest, with no bundled one).
    assert pages.sidebar.default_model([coin, learned]) == learned
    assert pages.sidebar.default_model([coin]) == coin  # there is no other to offer
    monkeypatch.setattr("catdog.runs.BUNDLED_MODELS", ())
    at = open_app(TRAIN_PAGE)
    assert at.sidebar.radio(key="model_path").value == str(learned)


def test_who_may_train_deletes_a_run_and_its_model_once_confirmed_but_never_a_bundled_model(
    open_app, app_dirs, dataset, tiny_model, monkeypatch
):
    import catdog.config

    keep = save_model_of(tiny_model, app_dirs.models, "keep", 0.7, title="tiny · all photos · augmentation · 09:00")
    gone = save_model_of(
        tiny_model, app_dirs.models, "gone", 0.6, title="tiny · 100 per class · no augmentation · 10:00"
    )
    bundled = save_model_of(tiny_model, app_dirs.models, "bundled", 0.9)
    monkeypatch.setattr(catdog.config, "BUNDLED_MODELS", (bundled,))  # as the page sees the bundled models
    monkeypatch.setattr("catdog.runs.BUNDLED_MODELS", (bundled,))
    at = open_app(TRAIN_PAGE)
    assert not at.exception
    choice = at.selectbox(key="delete_choice")
    assert sorted(choice.options) == sorted(  # by their titles; the bundled model is not offered
        ["tiny · all photos · augmentation · 09:00", "tiny · 100 per class · no augmentation · 10:00"]
    )
    choice.set_value("gone").run()
    button(at, "delete").click()
    at.run()
    assert [w.value for w in at.warning] == [
        "Delete “tiny · 100 per class · no augmentation · 10:00” and its model for good?"
    ]
    assert gone.is_file()  # nothing happens before the confirmation
    button(at, "delete_cancel").click()
    at.run()
    assert gone.is_file() and not at.warning and button(at, "delete_yes") is None

    button(at, "delete").click()
    at.run()
    button(at, "delete_yes").click()
    at.run()
    assert not at.exception
    assert not gone.exists() and not metadata_path(gone).exists()
    assert keep.is_file() and bundled.is_file()
    assert "tiny · 100 per class · no augmentation · 10:00" not in list(runs_table(at)["name"])
    assert not any(label.startswith("tiny · 100 per class") for label in at.sidebar.radio(key="model_path").options)

    with pytest.raises(ValueError, match="bundled"):
        delete_run(app_dirs.models, "bundled")
    assert bundled.is_file()


def test_in_password_mode_only_who_unlocked_training_may_delete_runs(
    open_app, app_dirs, dataset, tiny_model, monkeypatch
):
    save_model_of(tiny_model, app_dirs.models, "mine", 0.7)
    monkeypatch.setenv("CATDOG_TRAINING", "password")
    monkeypatch.setenv("CATDOG_TRAINING_PASSWORD", "s3cret")
    at = open_app(TRAIN_PAGE)
    assert not [box for box in at.selectbox if box.key == "delete_choice"] and button(at, "delete") is None
    at.text_input(key="training_password").input("s3cret").run()
    at.run()
    assert at.selectbox(key="delete_choice").options == ["mine"]


def test_the_panel_shows_the_first_batch_coming_and_a_time_left_that_never_grows_while_nothing_happens(
    open_app, current_run, monkeypatch
):
    clock = [1000.0]
    monkeypatch.setattr(jobs.time, "monotonic", lambda: clock[0])
    job = current_run(TrainConfig(epochs=4), "timed")
    job.apply(jobs.TrainBegan(batches_per_epoch=10))
    at = open_app(TRAIN_PAGE)
    assert progress_texts(at) == ["Epoch 1/4 · first batch (TensorFlow builds the model's graph first)…"]
    job.apply(jobs.BatchEnded(1, 1, {"accuracy": 0.5, "loss": 0.7}))
    for batch in range(2, 11):
        clock[0] += 1.0
        job.apply(jobs.BatchEnded(1, batch, {"accuracy": 0.5, "loss": 0.7}))
    at.run()
    assert progress_texts(at) == ["Epoch 1/4 · batch 10/10"]  # no estimate before a validation pass
    clock[0] += 6.0  # a validation pass
    job.apply(jobs.BatchEnded(2, 1, {"accuracy": 0.5, "loss": 0.7}))
    # 10 batches in 15 s, validation included: 29 batches to go take about 43.5 s.
    assert job.seconds_left == pytest.approx(43.5)
    at.run()
    assert progress_texts(at) == ["Epoch 2/4 · batch 1/10 · about 44 s left"]
    seen = []
    for _ in range(10):  # the next validation, or a slow batch: nothing reported for 10 s
        clock[0] += 1.0
        seen.append(job.seconds_left)
    assert seen == sorted(seen, reverse=True) and seen[-1] == pytest.approx(33.5)
    job.stop()
    assert job.seconds_left is None
