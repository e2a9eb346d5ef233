"""catdog.lesson: the chapter's three steps in order, and finding each step's run in a models folder."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from catdog.config import SMALL_DATA_PER_CLASS, TrainConfig
from catdog.i18n import translate
from catdog.lesson import LESSON_STEPS, lesson_histories, lesson_models, lesson_runs, lesson_step
from catdog.runs import Epoch, RunRecord, metadata_path
from catdog.train import train

OVERFIT, AUGMENT, PRETRAINED = LESSON_STEPS


def changed(a: TrainConfig, b: TrainConfig) -> set[str]:
    return {key for key, value in a.to_dict().items() if b.to_dict()[key] != value}


def test_the_steps_tell_the_chapters_story_in_order():
    assert [step.key for step in LESSON_STEPS] == ["overfit", "augment", "pretrained"]
    assert OVERFIT.config == TrainConfig.small_data()
    assert OVERFIT.config.limit_per_class == SMALL_DATA_PER_CLASS and not OVERFIT.config.augment
    assert not OVERFIT.config.pretrained
    assert changed(OVERFIT.config, AUGMENT.config) == {"augment"} and AUGMENT.config.augment
    assert PRETRAINED.config.pretrained and PRETRAINED.config.limit_per_class == SMALL_DATA_PER_CLASS


def test_each_step_has_its_own_run_name_and_title_and_short_notes_in_both_languages():
    assert len({step.run_name for step in LESSON_STEPS}) == 3
    ends = {"en": r"[.?!](\s|$)", "zh": r"[。？！]"}  # where a sentence ends in each language
    for lang, sentence_end in ends.items():
        assert len({translate(step.title, lang) for step in LESSON_STEPS}) == 3
        for step in LESSON_STEPS:
            for notes in (translate(key, lang) for key in (step.before, step.during, step.after)):
                assert 2 <= len(re.findall(sentence_end, notes)) <= 4, notes


def save_run(models_dir, name, config, created, status="finished", data="/data/small"):
    record = RunRecord(name, config, status=status, created=created, data=data, history=[Epoch(1)])
    record.save(metadata_path(models_dir / f"{name}.keras"))
    return record


def test_each_step_gets_its_latest_finished_run_whatever_its_name(tmp_path):
    save_run(tmp_path, "lesson-1-small-data", OVERFIT.config, "2026-11-28T09:00:00+00:00")
    latest = save_run(tmp_path, "lesson-1-small-data-2", OVERFIT.config, "2026-11-28T10:00:00+00:00")
    save_run(tmp_path, "stopped", AUGMENT.config, "2026-11-28T11:00:00+00:00", status="stopped")
    pretrained = save_run(tmp_path, "from-the-train-page", PRETRAINED.config, "2026-11-28T08:00:00+00:00")
    save_run(tmp_path, "other", TrainConfig(), "2026-11-28T12:00:00+00:00")
    (tmp_path / "lesson-1-small-data-2.keras").write_bytes(b"a model")

    runs = lesson_runs(tmp_path)
    assert runs == {"overfit": latest, "augment": None, "pretrained": pretrained}
    assert list(lesson_histories(runs)) == ["1 · 100 photos per class", "3 · a pretrained backbone"]  # chart-ready
    assert list(lesson_histories(runs, "zh")) == ["1 · 每类 100 张照片", "3 · 预训练的骨干网络"]
    assert lesson_models(tmp_path, runs) == {"overfit": tmp_path / "lesson-1-small-data-2.keras"}
    assert lesson_step(RunRecord("other", TrainConfig())) is None


def test_runs_on_another_dataset_are_left_out_when_the_dataset_is_given(tmp_path):
    (tmp_path / "small").mkdir()  # runs are matched by the folder they name, found on this machine
    save_run(tmp_path, "here", OVERFIT.config, "2026-11-28T09:00:00+00:00", data=str(tmp_path / "small"))
    save_run(tmp_path, "elsewhere", OVERFIT.config, "2026-11-28T10:00:00+00:00", data="/data/other")
    assert lesson_runs(tmp_path, tmp_path / "small")["overfit"].name == "here"
    assert lesson_runs(tmp_path)["overfit"].name == "elsewhere"


def test_a_run_recorded_by_the_datasets_name_matches_the_same_folder(tmp_path, monkeypatch):
    import catdog.runs

    data_dir = tmp_path / "data"
    (data_dir / "pets").mkdir(parents=True)
    monkeypatch.setattr(catdog.runs, "DATA_DIR", data_dir)
    assert catdog.runs.dataset_name(data_dir / "pets") == "pets"  # what a bundled record carries to other machines
    save_run(tmp_path, "named", OVERFIT.config, "2026-11-28T09:00:00+00:00", data="pets")
    assert lesson_runs(tmp_path, data_dir / "pets")["overfit"].name == "named"
    assert lesson_runs(tmp_path, tmp_path)["overfit"] is None


@pytest.mark.slow
def test_the_first_steps_config_trains_when_shrunk_to_seconds(tiny_dataset, tmp_path):
    shrunk = replace(OVERFIT.config, image_size=32, width=8, epochs=2, limit_per_class=10, batch_size=8)
    record = train(shrunk, tiny_dataset, tmp_path / "step1.keras")
    assert record.status == "finished" and record.epochs_run == 2
    assert record.config == shrunk  # as given: lesson_step finds a step's runs by their config
    assert record.train_photos == 20 and (tmp_path / "step1.keras").is_file()
