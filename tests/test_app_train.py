"""The Train page under Streamlit's AppTest: dataset picker, training switch, a real (tiny) run, past runs.

CATDOG_DATA_DIR and CATDOG_MODELS_DIR point at temporary folders (conftest.py's `app_dirs`);
the one run started from the page trains on 24 photos at 64 × 64 pixels for two epochs.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from catdog import jobs
from catdog.config import TrainConfig
from catdog.runs import metadata_path

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


def write_run(models_dir: Path, name: str, created: str, val_accuracy: list[float], status: str = "finished") -> None:
    """A past run's NAME.json as the Train page writes it, with one history record per epoch."""
    history = [
        {"epoch": i + 1, "accuracy": 0.5 + i / 20, "loss": 0.7 - i / 20, "val_accuracy": v, "val_loss": 0.7 - v / 2}
        for i, v in enumerate(val_accuracy)
    ]
    record = {
        "name": name,
        "created": created,
        "status": status,
        "config": TrainConfig(epochs=len(val_accuracy), augment=False, limit_per_class=100).to_dict(),
        "epochs_run": len(history),
        "validation_accuracy": max(val_accuracy),
        "seconds": 12.5,
        "history": history,
    }
    metadata_path(models_dir / f"{name}.keras").write_text(json.dumps(record))


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
    assert any("No dataset found" in info.value and str(app_dirs.data) in info.value for info in at.info)
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


# --- a run started from the page -------------------------------------------------------------------


def test_start_trains_a_model_that_is_then_listed_and_can_be_used_to_classify(open_app, app_dirs, dataset):
    at = open_app(TRAIN_PAGE)
    at.slider(key="epochs").set_value(2)
    at.selectbox(key="per_class").set_value("100 (small data: watch it overfit)")
    at.toggle(key="augment").set_value(False)
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
    assert runs.loc[0, "photos/class"] == 100 and runs.loc[0, "augmentation"] == "off"
    assert any(option.startswith("page-run") for option in at.sidebar.selectbox(key="model_path").options)

    assert button(at, "use_model") is not None


@pytest.fixture
def finished_job(app_dirs, dataset, tiny_model, monkeypatch) -> jobs.TrainingJob:
    """The server's last job, finished: the session's tiny model saved as models/fresh.keras (no training)."""
    model_path, metadata = tiny_model
    job = jobs.TrainingJob(TrainConfig(**metadata["config"]), dataset, app_dirs.models / "fresh.keras")
    shutil.copyfile(model_path, job.out_path)
    shutil.copyfile(metadata_path(model_path), metadata_path(job.out_path))
    job.status, job.metadata = "finished", metadata
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
    job.on_train_begin(batches_per_epoch=3)
    job.on_batch_end(1, 1, {"accuracy": 0.5, "loss": 0.69})
    monkeypatch.setattr(jobs, "_current", job)
    yield job
    job.status = "stopped"  # so that nothing waits for the thread that never ran


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
    assert stop is not None  # the live panel offers to stop the run
    stop.click()
    at.run()
    assert not at.exception
    assert running_job._stop.is_set()  # the run is asked to end after its current batch


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
