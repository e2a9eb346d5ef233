"""The command line: `python -m catdog predict|train|evaluate`, mostly called in-process through main()."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from catdog.cli import main
from catdog.config import BUNDLED_MODEL, SCRATCH_MODEL
from catdog.predict import Classifier
from catdog.runs import read_record
from catdog.tensorflow_logs import start_up_lines_dropped

REPO = Path(__file__).resolve().parents[1]
# The dog probability as the app says it: whole percents, never 0% or 100% (catdog.wording.percent).
PREDICTION_LINE = re.compile(r"^.+: (cat|dog), (over 99|under 1|[1-9]\d?)% dog$")


@pytest.fixture(autouse=True)
def english_terminal(monkeypatch):
    """Lines for people are English here unless a test asks for another language, whatever this machine's LANG."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def model(tiny_model) -> Path:
    return tiny_model[0]


@pytest.fixture(scope="module")
def photos(photos_of) -> list[Path]:
    """A cat and two dogs, the first test photos: by position, as the shared set and the download name them apart."""
    return [photos_of("test", "cats")[0], *photos_of("test", "dogs")[:2]]


# --- predict --------------------------------------------------------------------------------------


def test_predict_prints_one_line_per_photo_with_label_and_dog_percentage(model, photos, capsys):
    code = main(["predict", "--model", str(model), *map(str, photos)])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert len(lines) == len(photos)
    for line, photo in zip(lines, photos):
        assert PREDICTION_LINE.match(line), line
        assert line.startswith(f"{photo}: ")
        label, percent = PREDICTION_LINE.match(line).groups()
        percent = {"over 99": 99.5, "under 1": 0.5}.get(percent) or float(percent)
        if percent != 50:  # a rounded 50% may be either side
            assert label == ("dog" if percent > 50 else "cat")


@pytest.mark.slow
def test_predict_words_each_percentage_as_the_page_does_never_100_or_0(photos, capsys):
    """The bundled model is all but certain of real test photos: the page says "over 99%", never "100%"; so do we."""
    from catdog.wording import label_of, percent

    classifier = Classifier.load(BUNDLED_MODEL)
    probabilities = [classifier.classify(photo).dog_probability for photo in photos]
    assert main(["predict", *map(str, photos)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"{photo}: {label_of(p)}, {percent(p)} dog" for photo, p in zip(photos, probabilities)]
    assert any(re.search("(over 99|under 1)% dog$", line) for line in lines)  # what used to read "100.0% dog"
    assert main(["predict", "--lang", "zh", str(photos[0])]) == 0
    assert capsys.readouterr().out.endswith(f"（是狗的概率 {percent(probabilities[0], 'zh')}）\n")


def test_predict_json_gives_one_object_per_line_matching_the_classifier(model, photos, capsys):
    code = main(["predict", "--json", "--model", str(model), *map(str, photos)])
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    assert [record["path"] for record in records] == [str(p) for p in photos]
    classifier = Classifier.load(model)
    for record, photo in zip(records, photos):
        assert set(record) == {"path", "dog_probability", "label", "neither"}
        assert record["neither"] is False  # real test photos: 0.2% of them are flagged
        assert 0.0 <= record["dog_probability"] <= 1.0
        assert record["label"] == ("dog" if record["dog_probability"] > 0.5 else "cat")
        assert record["dog_probability"] == pytest.approx(classifier.classify(photo).dog_probability, abs=1e-4)


def test_predict_reports_an_unreadable_photo_carries_on_and_exits_1(model, photos, tmp_path, not_a_photo, capsys):
    bad = not_a_photo(tmp_path / "holiday.jpg")
    code = main(["predict", "--model", str(model), str(photos[0]), str(bad), str(photos[1])])
    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    assert len(lines) == 3
    assert PREDICTION_LINE.match(lines[0]) and PREDICTION_LINE.match(lines[2])
    assert lines[1].startswith(f"{bad}: error: ")
    assert "not an image" in lines[1]


def test_predict_json_reports_unreadable_photos_as_path_and_error(model, photos, tmp_path, not_a_photo, capsys):
    bad = not_a_photo(tmp_path / "notes.jpg")
    missing = tmp_path / "gone.jpg"
    code = main(["predict", "--json", "--model", str(model), str(bad), str(photos[0]), str(missing), str(tmp_path)])
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 1
    assert [r["path"] for r in records] == [str(bad), str(photos[0]), str(missing), str(tmp_path)]
    assert set(records[0]) == {"path", "error"} and "not an image" in records[0]["error"]
    assert set(records[1]) == {"path", "dog_probability", "label", "neither"}
    assert "does not exist" in records[2]["error"]
    assert "folder" in records[3]["error"]


def test_predict_with_a_missing_model_exits_2_and_says_so(tmp_path, photos, capsys):
    code = main(["predict", "--model", str(tmp_path / "nope.keras"), str(photos[0])])
    captured = capsys.readouterr()
    assert code == 2
    assert "no model at" in captured.err and "nope.keras" in captured.err
    assert captured.out == ""


@pytest.mark.slow
def test_python_dash_m_catdog_predict_json_works_as_a_program(model, photos):
    result = subprocess.run(
        [sys.executable, "-m", "catdog", "predict", "--json", "--model", str(model), str(photos[1])],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert len(records) == 1
    assert records[0]["path"] == str(photos[1])
    assert records[0]["label"] in ("cat", "dog")


@pytest.mark.slow
def test_a_terminal_shows_the_answer_and_real_errors_but_no_tensorflow_start_up_lines(photos, tmp_path):
    """`python -m catdog predict` as a user types it: the bundled model, and no TF_CPP_MIN_LOG_LEVEL of theirs."""
    missing = tmp_path / "not-here.jpg"
    env = {name: value for name, value in os.environ.items() if name != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run(
        [sys.executable, "-m", "catdog", "predict", str(photos[0]), str(missing)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    answer, error = result.stdout.splitlines()
    assert PREDICTION_LINE.match(answer) and answer.startswith(f"{photos[0]}: ")
    assert error.startswith(f"{missing}: error: ") and "does not exist" in error
    assert result.returncode == 1
    assert result.stderr == "", f"TensorFlow's start-up lines reached the terminal:\n{result.stderr}"


STDERR_WHILE_TENSORFLOW_LOADS = {  # by kind, as TensorFlow's C++ (through absl) and Python write them
    "absl": b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "info": b"I0000 00:00:1795885030.491077   10859 port.cc:153] oneDNN custom operations are on.",
    "warning": b"W0000 00:00:1795885030.491523   10859 cudart_stub.cc:31] a warning",
    "error": b"E0000 00:00:1795885033.385485   10859 cuda_platform.cc:52] failed call to cuInit",
    "fatal": b"F0000 00:00:1795885033.385485   10859 cpu_feature_guard.cc:1] a fatal error",
    "python": b"catdog/photos.py:1: UserWarning: a real warning",
}


@pytest.mark.parametrize(
    "level, kept",
    [("0", list(STDERR_WHILE_TENSORFLOW_LOADS)), ("2", ["error", "fatal", "python"]), ("3", ["fatal", "python"])],
)
def test_while_tensorflow_loads_stderr_loses_only_what_tf_cpp_min_log_level_hides(level, kept, monkeypatch, capfd):
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", level)
    with start_up_lines_dropped():
        for line in STDERR_WHILE_TENSORFLOW_LOADS.values():
            os.write(2, line + b"\n")  # the file descriptor, where TensorFlow's C++ writes
    shown = capfd.readouterr().err.splitlines()
    assert shown == [STDERR_WHILE_TENSORFLOW_LOADS[kind].decode() for kind in kept]


def test_python_dash_m_catdog_help_names_the_three_commands():
    result = subprocess.run(
        [sys.executable, "-m", "catdog", "--help"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    for command in ("predict", "train", "evaluate"):
        assert command in result.stdout


COMMANDS = ["predict", "explain", "train", "evaluate", "export", "calibrate-neither", "download", "import"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_argument_in_help_says_what_it_is_and_what_it_is_when_not_given(command, capsys):
    import argparse

    from catdog.cli import parser

    with pytest.raises(SystemExit):
        main([command, "--help"])
    shown = " ".join(capsys.readouterr().out.split())  # argparse wraps lines where it likes
    (commands,) = [action for action in parser()._actions if isinstance(action, argparse._SubParsersAction)]
    arguments = [action for action in commands.choices[command]._actions if action.dest != "help"]
    for argument in arguments:
        assert argument.help, f"{command} {argument.option_strings or argument.metavar} has no help"
        assert " ".join(argument.help.split()) in shown
        optional = argument.option_strings and not argument.required
        if optional and not isinstance(argument, argparse._StoreTrueAction):  # a switch is off unless given
            assert "(default: " in argument.help, f"{command} {argument.option_strings} does not say its default"
    has_json = any("--json" in argument.option_strings for argument in arguments)
    assert ("--json stays English" in shown) == has_json


# --- languages ------------------------------------------------------------------------------------

CHINESE_PREDICTION = re.compile(r"^.+：(猫|狗)（是狗的概率 (超过 99|不到 1|[1-9]\d?)%）$")


@pytest.mark.slow
def test_python_dash_m_catdog_predict_lang_zh_prints_a_chinese_verdict(model, photos):
    result = subprocess.run(
        [sys.executable, "-m", "catdog", "predict", "--lang", "zh", "--model", str(model), str(photos[0])],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    assert CHINESE_PREDICTION.match(line) and line.startswith(f"{photos[0]}："), line


@pytest.mark.slow
def test_a_chinese_terminal_gets_chinese_lines_and_errors_and_lang_overrides_it(
    model, photos, tmp_path, not_a_photo, capsys, monkeypatch
):
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    bad = not_a_photo(tmp_path / "notes.jpg")
    code = main(["predict", "--model", str(model), str(photos[0]), str(bad)])
    verdict, error = capsys.readouterr().out.splitlines()
    assert code == 1
    assert CHINESE_PREDICTION.match(verdict), verdict
    assert error == f"{bad}：错误：这不是我们能读取的图像"
    assert main(["--lang", "en", "predict", "--model", str(model), str(photos[0])]) == 0  # before the command too
    assert PREDICTION_LINE.match(capsys.readouterr().out.strip())
    main(["evaluate", "--data", str(tmp_path / "nowhere"), "--model", str(model)])
    assert capsys.readouterr().err.startswith("错误：")


def test_json_output_stays_english_in_any_language(model, photos, capsys):
    argv = ["predict", "--json", "--model", str(model), *map(str, photos)]
    assert main(argv) == 0
    english = capsys.readouterr().out
    assert main(["--lang", "zh", *argv]) == 0
    assert capsys.readouterr().out == english


@pytest.mark.parametrize(
    ("environment", "lang"),
    [
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "zh_TW"}, "zh"),
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LANG": "fr_FR.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "zh_CN.UTF-8", "LC_ALL": "en_US.UTF-8"}, "en"),  # LC_ALL wins, as for every program
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, "zh"),
        ({}, "en"),
    ],
)
def test_the_terminals_language_comes_from_lc_all_then_lc_messages_then_lang(environment, lang):
    from catdog.i18n import language_from_environment

    assert language_from_environment(environment) == lang


# --- bad arguments ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, complaint",
    [
        ([], "required"),
        (["predict"], "PHOTO"),
        (["train", "--data", "d", "--out", "m.keras", "--epochs", "0"], "at least 1"),
        (["train", "--data", "d", "--out", "m.keras", "--limit", "-3"], "at least 1"),
        (["train", "--data", "d", "--out", "m.keras", "--image-size", "big"], "invalid"),
        (["train", "--data", "d", "--out", "m.keras", "--precision", "float8"], "invalid choice"),
        (["train", "--data", "d", "--out", "m.keras", "--pretrained", "resnet50"], "invalid choice"),
        (["train", "--data", "d", "--out", "m.keras", "--fine-tune-epochs", "-1"], "0 or more"),
        (["train", "--out", "m.keras"], "--data"),
        (["evaluate", "--model", "m.keras"], "--data"),
        (["classify", "cat.jpg"], "invalid choice"),
        (["download", "--sha256", "abc"], "64 hexadecimal digits"),
        (["import"], "PATH"),
    ],
    ids=[
        "no-command",
        "predict-without-photos",
        "zero-epochs",
        "negative-limit",
        "image-size-not-a-number",
        "unknown-precision",
        "unknown-backbone",
        "negative-fine-tune-epochs",
        "train-without-data",
        "evaluate-without-data",
        "unknown-command",
        "short-sha256",
        "import-without-path",
    ],
)
def test_bad_arguments_exit_2_with_a_usage_message(argv, complaint, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "usage:" in err
    assert complaint in err


# --- evaluate -----------------------------------------------------------------------------------------


@pytest.fixture
def labelled_folder(tmp_path, copy_shared, not_a_photo):
    """DIR/cats with 3 photos and a text file posing as one, DIR/dogs with 2 photos."""
    folder = tmp_path / "labelled"
    copy_shared("test", "cats", 3, folder / "cats")
    copy_shared("test", "dogs", 2, folder / "dogs")
    bad = not_a_photo(folder / "cats" / "cat.9999.jpg")
    return folder, bad


def test_evaluate_json_gives_accuracy_count_confusion_and_unreadable_files(model, labelled_folder, capsys):
    folder, bad = labelled_folder
    code = main(["evaluate", "--data", str(folder), "--model", str(model), "--json"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert len(lines) == 1
    report = json.loads(lines[0])
    assert report["n"] == 5
    confusion = report["confusion"]
    assert len(confusion) == 2 and all(len(row) == 2 for row in confusion)
    assert sum(map(sum, confusion)) == report["n"]
    assert [sum(row) for row in confusion] == [3, 2]  # rows are the true classes: 3 cats, 2 dogs
    assert report["accuracy"] == pytest.approx((confusion[0][0] + confusion[1][1]) / 5)
    assert report["unreadable"] == [str(bad)]


def test_evaluate_prints_a_readable_table(model, labelled_folder, capsys):
    folder, bad = labelled_folder
    code = main(["evaluate", "--data", str(folder), "--model", str(model)])
    out = capsys.readouterr().out
    assert code == 0
    assert re.search(r"^accuracy [01]\.\d{4} on 5 photos", out, re.MULTILINE)
    assert "said cat" in out and "said dog" in out
    assert "unreadable: 1" in out
    assert str(bad) in out


def test_evaluate_a_folder_without_readable_photos_exits_2(model, tmp_path, capsys):
    (tmp_path / "cats").mkdir()
    code = main(["evaluate", "--data", str(tmp_path), "--model", str(model), "--json"])
    captured = capsys.readouterr()
    assert code == 2
    assert "no readable photos" in captured.err
    assert captured.out == ""


def test_evaluate_with_a_missing_model_exits_2(tmp_path, labelled_folder, capsys):
    folder, _ = labelled_folder
    code = main(["evaluate", "--data", str(folder), "--model", str(tmp_path / "missing.keras")])
    assert code == 2
    assert "no model at" in capsys.readouterr().err


# --- train --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_train_with_tiny_settings_saves_a_model_and_says_where(tmp_path, make_dataset, not_a_photo, capsys):
    data = make_dataset(tmp_path / "data", train=7, validation=3, test=2)
    bad = not_a_photo(data / "train" / "dogs" / "notes.jpg")  # the 8th dog file, in natural order
    out = tmp_path / "models" / "cli.keras"
    # --batch-size 4: four steps in the epoch rather than one.
    argv = ["train", "--data", str(data), "--out", str(out), "--image-size", "32", "--width", "8"]
    argv += ["--epochs", "1", "--limit", "8", "--batch-size", "4"]

    code = main(argv)

    out_text = capsys.readouterr().out
    assert code == 0
    assert f"saved {out} and {out.with_suffix('.json')}" in out_text
    assert f"skipped {bad}: " in out_text
    assert re.search(r"best validation accuracy [\d.]+ at epoch 1, test accuracy [\d.]+", out_text)
    # Not a terminal: each epoch is one line of scores, not a bar redrawn at every batch.
    assert re.search(r"^4/4 - .* - accuracy: [\d.]+ - loss: [\d.]+ - val_accuracy: [\d.]+", out_text, re.MULTILINE)
    assert "━" not in out_text and "\r" not in out_text
    # Which phase runs as it begins, and at the end how long each took.
    begun = [line for line in out_text.splitlines() if line.startswith("▸ ")]
    assert begun == ["▸ decoding the photos…", "▸ training…", "▸ scoring the test photos…", "▸ saving the model…"]
    times = r"\ntime per phase: decoding the photos \d+ s · training \d+ s · scoring the test photos \d+ s"
    times += r" · saving the model \d+ s\n"
    assert re.search(times, out_text)
    assert out.is_file()
    record = read_record(out)
    assert record.command == "python -m catdog " + " ".join(argv)
    assert record.config.image_size == 32 and record.config.limit_per_class == 8
    assert record.config.pretrained is None  # from scratch unless --pretrained
    assert record.status == "finished" and record.epochs_run == 1
    assert record.train_photos == 14  # 7 cats, and the 8 dog files but the text file
    assert [path for path, _ in record.unreadable] == [str(bad)]


def test_train_with_a_missing_data_folder_exits_2_with_an_error(tmp_path, capsys):
    out = tmp_path / "never.keras"
    code = main(["train", "--data", str(tmp_path / "nowhere"), "--out", str(out), "--epochs", "1"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.startswith("error: ")
    assert "nowhere" in captured.err and "not a folder" in captured.err
    assert not out.exists()


def test_train_on_a_folder_that_is_not_a_dataset_exits_2(tmp_path, capsys):
    (tmp_path / "holiday").mkdir()
    (tmp_path / "holiday" / "beach.jpg").write_bytes(b"")
    code = main(["train", "--data", str(tmp_path / "holiday"), "--out", str(tmp_path / "m.keras")])
    assert code == 2
    assert "cat.N.jpg" in capsys.readouterr().err


def test_train_pretrained_takes_the_transfer_defaults_and_the_options_given(monkeypatch, capsys):
    import catdog.train
    from catdog.config import TrainConfig
    from catdog.runs import RunRecord

    configs = []

    def no_training(config, data, out, *args, **kwargs):
        configs.append(config)
        return RunRecord(Path(out).stem, config, status="finished", best_epoch=1, validation_accuracy=0.5)

    monkeypatch.setattr(catdog.train, "train", no_training)
    base = ["train", "--data", "d", "--out", "m.keras"]
    assert main([*base, "--pretrained", "mobilenet"]) == 0
    options = ["--pretrained", "mobilenet_v2", "--epochs", "4", "--fine-tune-epochs", "1", "--no-augment"]
    assert main([*base, *options]) == 0
    assert main([*base, "--epochs", "4"]) == 0
    assert configs == [
        TrainConfig.transfer("mobilenet"),
        TrainConfig.transfer("mobilenet_v2", epochs=4, fine_tune_epochs=1, augment=False),
        TrainConfig(epochs=4),  # from scratch: its own defaults, no fine-tuning
    ]
    assert "saved m.keras and m.json" in capsys.readouterr().out


@pytest.mark.parametrize("epochs, fine_tune", [(1, 0), (2, 1), (4, 2), (8, 3), (16, 6)])
def test_train_pretrained_with_only_epochs_fine_tunes_the_same_share_of_them(epochs, fine_tune, monkeypatch, capsys):
    """TrainConfig.transfer() fine-tunes the last 3 of 8 epochs; --epochs 2 alone fine-tunes 1, never refused."""
    import catdog.train
    from catdog.runs import RunRecord

    configs = []

    def no_training(config, data, out, *args, **kwargs):
        configs.append(config)
        return RunRecord(Path(out).stem, config, status="finished", best_epoch=1, validation_accuracy=0.5)

    monkeypatch.setattr(catdog.train, "train", no_training)
    argv = ["train", "--data", "d", "--out", "m.keras", "--pretrained", "mobilenet_v2", "--epochs", str(epochs)]
    assert main(argv) == 0
    assert (configs[0].epochs, configs[0].fine_tune_epochs) == (epochs, fine_tune)
    assert "error" not in capsys.readouterr().err


def test_train_with_more_fine_tuning_epochs_than_epochs_given_exits_2(tmp_path, capsys):
    out = tmp_path / "never.keras"
    argv = ["train", "--data", "d", "--out", str(out), "--pretrained", "mobilenet", "--epochs", "2"]
    code = main([*argv, "--fine-tune-epochs", "3"])
    captured = capsys.readouterr()
    assert code == 2  # both set by the user, and they contradict each other
    assert captured.err == "error: --fine-tune-epochs 3 is more than --epochs 2\n"
    assert not out.exists() and not out.with_suffix(".json").exists()


def test_train_on_a_dataset_without_a_test_split_says_so_in_words(monkeypatch, capsys):
    import catdog.train
    from catdog.runs import RunRecord

    def trained_without_test(config, data, out, *args, **kwargs):
        record = RunRecord(Path(out).stem, config, status="finished", best_epoch=3, validation_accuracy=0.8125)
        record.seconds = 12.4
        return record  # test_accuracy None: nothing to score it on

    monkeypatch.setattr(catdog.train, "train", trained_without_test)
    assert main(["train", "--data", "d", "--out", "m.keras", "--epochs", "3"]) == 0
    out = capsys.readouterr().out
    assert "best validation accuracy 0.8125 at epoch 3, 12 s (no test split, so no test accuracy)\n" in out
    assert "None" not in out
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert main(["train", "--data", "d", "--out", "m.keras", "--epochs", "3"]) == 0
    assert "没有测试集" in capsys.readouterr().out


def test_train_pretrained_at_another_image_size_exits_2(tmp_path, capsys):
    out = tmp_path / "never.keras"
    code = main(["train", "--data", "d", "--out", str(out), "--pretrained", "mobilenet", "--image-size", "160"])
    captured = capsys.readouterr()
    assert code == 2  # the ImageNet weights beside the project are for 224 × 224 photos
    assert captured.err == "error: a pretrained backbone takes 224 × 224 photos, not --image-size 160\n"
    assert not out.exists() and not out.with_suffix(".json").exists()


def test_train_pretrained_without_its_weights_and_offline_exits_1_with_an_error(
    offline_keras_home, tiny_dataset, tmp_path, capsys
):
    from conftest import MOBILENET_WEIGHTS

    out = tmp_path / "offline.keras"
    argv = ["train", "--pretrained", "mobilenet", "--data", str(tiny_dataset), "--out", str(out)]
    code = main([*argv, "--epochs", "2", "--fine-tune-epochs", "1"])
    captured = capsys.readouterr()
    assert code == 1  # the network failed, not the arguments: 2 is for those (docs/cli.md)
    (error,) = captured.err.splitlines()  # one line, no traceback
    assert error.startswith("error: ")
    assert MOBILENET_WEIGHTS in error and str(offline_keras_home.home / "models") in error  # what to put where
    assert "Traceback" not in captured.err + captured.out
    assert not out.exists()
    assert read_record(out).status == "failed"  # the run's record says why


@pytest.mark.slow
def test_predict_says_a_drawing_of_a_car_is_neither_a_cat_nor_a_dog_in_both_forms(tmp_path, capsys):
    from bench.neither_calibration import non_pet_images

    car = tmp_path / "car.png"
    non_pet_images("car", 1, first_seed=3000)[0].save(car)
    assert main(["predict", "--model", str(SCRATCH_MODEL), str(car)]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"{car}: doesn't look like a cat or a dog (the model alone says "), line
    assert main(["predict", "--json", "--lang", "zh", str(car)]) == 0
    assert json.loads(capsys.readouterr().out)["neither"] is True


@pytest.mark.slow
def test_calibrate_neither_saves_a_detector_beside_a_pretrained_model_and_refuses_one_from_scratch(
    tiny_dataset, tmp_path, capsys
):
    from catdog.neither import NeitherDetector

    model = tmp_path / "pets.keras"
    shutil.copyfile(BUNDLED_MODEL, model)
    assert main(["calibrate-neither", "--model", str(model), "--data", str(tiny_dataset)]) == 0
    out = capsys.readouterr().out
    assert f"{tmp_path / 'pets.neither.npz'}: 24 training photos, threshold " in out
    assert "test photos flagged as neither a cat nor a dog: " in out
    detector = NeitherDetector.load(tmp_path / "pets.neither.npz")
    assert detector.photos == 24 and len(detector.bank) == 24 * 3 and detector.model_path == model  # with 2 views each
    assert main(["calibrate-neither", "--model", str(SCRATCH_MODEL), "--data", str(tiny_dataset)]) == 2
    assert "has no pretrained backbone" in capsys.readouterr().err
    assert main(["calibrate-neither", "--data", str(tmp_path / "nothing")]) == 2
    assert "is not a folder" in capsys.readouterr().err
