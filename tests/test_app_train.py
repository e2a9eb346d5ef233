"""The Train page under Streamlit's AppTest: dataset picker, training switch, a real (tiny) run, past runs.

CATDOG_DATA_DIR and CATDOG_MODELS_DIR point at temporary folders (conftest.py's `app_dirs`);
the one run started from the page trains on 24 photos at 64 × 64 pixels for two epochs.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
import time
from pathlib import Path

import pytest

from catdog import jobs
from catdog.charts import training_figure
from catdog.config import TrainConfig, training_setting
from catdog.runs import RunRecord, metadata_path

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
) -> None:
    """A past run's NAME.json as its training process writes it, with one history entry per epoch."""
    config = config or TrainConfig(epochs=len(val_accuracy), augment=False, limit_per_class=100)
    record = RunRecord(name, config, created=created, status=status, seconds=12.5)
    for i, v in enumerate(val_accuracy):
        entry = {"epoch": i + 1, "accuracy": 0.5 + i / 20, "loss": 0.7 - i / 20, "val_accuracy": v}
        record.add_epoch(entry | {"val_loss": 0.7 - v / 2} | ({"phase": phases[i]} if phases else {}))
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


def test_a_password_unlocks_training(open_app, dataset, monkeypatch):
    monkeypatch.setenv("CATDOG_TRAINING", "password")
    monkeypatch.setenv("CATDOG_TRAINING_PASSWORD", "s3cret")
    at = open_app(TRAIN_PAGE)
    assert not at.exception
    assert button(at, "start").disabled
    assert not at.error

    at.text_input(key="training_password").input("guess").run()
    assert [error.value for error in at.error] == ["That password is not right."]
    assert button(at, "start").disabled

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
    assert at.slider(key="epochs_scratch").value == scratch.epochs == 30
    assert at.toggle(key="augment_scratch").value is True
    assert at.select_slider(key="learning_rate_scratch").value == scratch.learning_rate
    assert not [s for s in at.slider if s.key == "fine_tune"]

    at.radio(key="start_from").set_value("mobilenet").run()
    assert not at.exception
    assert at.slider(key="epochs_mobilenet").value == 8
    assert at.toggle(key="augment_mobilenet").value is False  # features computed once: much faster
    assert at.select_slider(key="learning_rate_mobilenet").value == TrainConfig.transfer("mobilenet").learning_rate
    fine_tune = at.slider(key="fine_tune")
    assert fine_tune.label.startswith("Fine-tuning epochs") and fine_tune.value == 3
    assert not [s for s in at.select_slider if s.key in ("image_size", "width")]  # fixed by the backbone

    at.radio(key="start_from").set_value("scratch").run()
    assert at.slider(key="epochs_scratch").value == 30  # each starting point keeps its own settings
    assert not [s for s in at.slider if s.key == "fine_tune"]


def test_start_from_mobilenet_starts_a_pretrained_run_with_the_chosen_settings(open_app, dataset, monkeypatch):
    started = []
    monkeypatch.setattr(jobs, "start_job", lambda *args, owner: started.append((*args, owner)))  # no training here
    at = open_app(TRAIN_PAGE)
    at.radio(key="start_from").set_value("mobilenet").run()
    at.slider(key="epochs_mobilenet").set_value(5).run()  # the fine-tuning slider's range follows the epochs
    at.slider(key="fine_tune").set_value(2)
    at.selectbox(key="per_class").set_value("250")
    at.text_input(key="run_name").input("transfer run")
    button(at, "start").click()
    at.run()
    assert not at.exception
    ((config, root, models_dir, name, owner),) = started
    assert owner == at.session_state["visitor"]  # who may stop it
    assert config == TrainConfig.transfer("mobilenet", epochs=5, fine_tune_epochs=2, augment=False, limit_per_class=250)
    assert (root, name) == (dataset, "transfer run")


# --- a run started from the page -------------------------------------------------------------------


def test_start_trains_a_model_that_is_then_listed_and_can_be_used_to_classify(open_app, app_dirs, dataset):
    at = open_app(TRAIN_PAGE)
    assert at.radio(key="start_from").value == "scratch"
    at.slider(key="epochs_scratch").set_value(2)
    at.selectbox(key="per_class").set_value("100 (small data: watch it overfit)")
    at.toggle(key="augment_scratch").set_value(False)
    at.select_slider(key="image_size").set_value(64)
    at.select_slider(key="width").set_value(8)
    at.select_slider(key="batch_size").set_value(16)
    at.text_input(key="run_name").input("page run")
    button(at, "start").click()
    at.run()
    assert not at.exception

    job = jobs.current_job()
    assert job is not None and job.name == "page-run"
    assert job.out_path == app_dirs.models / "page-run.keras"
    assert job.data_dir == dataset
    assert job.config == TrainConfig(
        epochs=2, limit_per_class=100, augment=False, image_size=64, width=8, batch_size=16, learning_rate=3e-3
    )
    job.wait(120)
    assert job.status == "finished", job.error

    at.run()
    assert not at.exception
    assert any(subheader.value == "Run “page-run”" for subheader in at.subheader)
    runs = runs_table(at)
    assert list(runs["name"]) == ["page-run"]
    assert runs.loc[0, "status"] == "finished" and runs.loc[0, "epochs"] == 2
    assert runs.loc[0, "photos/class"] == "100" and runs.loc[0, "augmentation"] == "off"
    assert runs.loc[0, "started from"] == "scratch"
    assert any(option.startswith("page-run") for option in at.sidebar.selectbox(key="model_path").options)

    assert button(at, "use_model") is not None


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
    assert at.sidebar.selectbox(key="model_path").value == str(finished_job.out_path)


@pytest.fixture
def running_job(app_dirs, dataset, monkeypatch) -> jobs.TrainingJob:
    """A run the server reports as training, one batch into 200 epochs; its thread never starts (no CPU spent).

    Stopping a real run is tested in test_jobs.py; here only the page's side matters.
    """
    config = TrainConfig(image_size=32, width=8, epochs=200, limit_per_class=12, batch_size=8)
    job = jobs.TrainingJob(config, dataset, app_dirs.models / "long-run.keras")
    job.apply(jobs.TrainBegan(batches_per_epoch=3))
    job.apply(jobs.BatchEnded(1, 1, {"accuracy": 0.5, "loss": 0.69}))
    monkeypatch.setattr(jobs, "_current", job)
    yield job
    job.record.status = "stopped"  # so that nothing waits for the thread that never ran


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
    stop.click()
    at.run()
    assert not at.exception
    assert running_job._stop.is_set()  # the run is asked to end after its current batch
    assert any(metric.value == "stopping…" for metric in at.metric)  # said at once, while the batch ends
    assert button(at, "stop") is None


def test_in_password_mode_whoever_unlocked_training_may_stop_any_run(open_app, running_job, monkeypatch):
    monkeypatch.setenv("CATDOG_TRAINING", "password")
    monkeypatch.setenv("CATDOG_TRAINING_PASSWORD", "s3cret")
    at = open_app(TRAIN_PAGE)
    assert button(at, "stop").disabled
    at.text_input(key="training_password").input("s3cret").run()
    at.run()
    assert not button(at, "stop").disabled


def test_password_guesses_are_slowed_and_capped_per_session(open_app, dataset, monkeypatch):
    import catdog.config

    monkeypatch.setenv("CATDOG_TRAINING", "password")
    monkeypatch.setenv("CATDOG_TRAINING_PASSWORD", "s3cret")
    monkeypatch.setattr(catdog.config, "PASSWORD_TRIES", 3)
    monkeypatch.setattr(catdog.config, "PASSWORD_DELAY_S", 0.05)
    at = open_app(TRAIN_PAGE)
    started = time.perf_counter()
    for guess in ("a", "b", "c"):
        at.text_input(key="training_password").input(guess).run()
    assert time.perf_counter() - started >= 0.05 + 0.1 + 0.2  # each wrong guess waits twice as long
    assert at.session_state["password_tries"] == 3
    assert not [box for box in at.text_input if box.key == "training_password"]  # no fourth guess
    assert any("Too many wrong passwords" in error.value for error in at.error)
    assert button(at, "start").disabled


def progress_texts(at) -> list[str]:
    return [bar.proto.text for bar in at.get("progress")]


def test_the_live_panel_follows_a_pretrained_run_from_preparing_to_fine_tuning(
    open_app, app_dirs, dataset, monkeypatch
):
    """A pretrained run decodes its photos, computes the backbone's features once, then trains; no thread runs here."""
    config = TrainConfig.transfer("mobilenet", epochs=2, fine_tune_epochs=1, augment=False)
    job = jobs.TrainingJob(config, dataset, app_dirs.models / "pretrained.keras")
    monkeypatch.setattr(jobs, "_current", job)
    try:
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
        entry = {"accuracy": 0.8, "loss": 0.4, "val_accuracy": 0.85, "val_loss": 0.35}
        job.apply(jobs.EpochEnded(entry | {"epoch": 1, "phase": "head"}))
        job.apply(jobs.EpochEnded(entry | {"epoch": 2, "phase": "fine-tune"}))
        at.run()
        assert not at.exception
        live = [chart for chart in at.get("plotly_chart") if "pretrained · validation" in chart_trace_names(chart)]
        assert len(live) == 2  # accuracy and loss
        for chart in live:
            annotations = json.loads(chart.proto.spec)["layout"].get("annotations", [])
            assert [a["text"] for a in annotations] == ["fine-tuning starts"]
    finally:
        job.record.status = "stopped"  # so that nothing waits for the thread that never ran


# --- past runs ---------------------------------------------------------------------------------------


def test_two_past_runs_are_listed_and_compared_on_two_charts(open_app, app_dirs, dataset):
    write_run(app_dirs.models, "alpha", "2026-01-01T10:00:00+00:00", [0.55, 0.61, 0.64])
    write_run(app_dirs.models, "beta", "2026-01-02T10:00:00+00:00", [0.58, 0.70])
    at = open_app(TRAIN_PAGE)
    assert not at.exception
    runs = runs_table(at)
    assert list(runs["name"]) == ["beta", "alpha"]  # newest first
    assert list(runs["epochs"]) == [2, 3]
    assert list(runs["best val. accuracy"]) == [0.70, 0.64]
    assert at.multiselect(key="compare").value == ["beta", "alpha"]

    charts = {chart.proto.id: chart for chart in at.get("plotly_chart")}
    assert len(charts) == 2  # accuracy and loss; no live panel without a run
    for chart in charts.values():
        names = chart_trace_names(chart)
        assert {"alpha · validation", "beta · validation", "alpha · training", "beta · training"} <= set(names)

    at.multiselect(key="compare").unselect("alpha").run()
    for chart in at.get("plotly_chart"):
        assert not any(name.startswith("alpha") for name in chart_trace_names(chart))


def test_a_run_that_never_finished_is_listed_as_interrupted(open_app, app_dirs, dataset):
    write_run(app_dirs.models, "crashed", "2026-01-01T10:00:00+00:00", [0.55], status="training")
    at = open_app(TRAIN_PAGE)
    runs = runs_table(at)
    assert runs.set_index("name").loc["crashed", "status"] == "interrupted"


def test_a_pretrained_past_run_shows_what_it_started_from_and_where_fine_tuning_began(open_app, app_dirs, dataset):
    transfer = TrainConfig.transfer("mobilenet", epochs=3, fine_tune_epochs=1)
    phases = ["head", "head", "fine-tune"]
    write_run(app_dirs.models, "mobile", "2026-01-02T10:00:00+00:00", [0.8, 0.9, 0.93], config=transfer, phases=phases)
    write_run(app_dirs.models, "scratch", "2026-01-01T10:00:00+00:00", [0.55, 0.61])
    at = open_app(TRAIN_PAGE)
    assert not at.exception
    runs = runs_table(at).set_index("name")
    assert runs.loc["mobile", "started from"] == "MobileNet v1 0.25"
    assert runs.loc["scratch", "started from"] == "scratch"
    assert runs.loc["mobile", "augmentation"] == "on" and runs.loc["mobile", "epochs"] == 3
    for chart in at.get("plotly_chart"):
        annotations = json.loads(chart.proto.spec)["layout"].get("annotations", [])
        assert [a["text"] for a in annotations] == ["fine-tuning starts"]


def test_the_training_chart_marks_where_fine_tuning_starts():
    history = [
        {"epoch": epoch, "accuracy": 0.8, "loss": 0.4, "val_accuracy": 0.85, "val_loss": 0.35, "phase": phase}
        for epoch, phase in enumerate(["head", "head", "head", "fine-tune", "fine-tune"], start=1)
    ]
    scratch = [{k: v for k, v in entry.items() if k != "phase"} for entry in history]
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
    only_fine_tuned = [entry | {"phase": "fine-tune"} for entry in history]  # no head epochs: nothing to mark
    assert not training_figure({"all": only_fine_tuned}, "accuracy").layout.shapes
