"""Exported models agree with the app: a .keras copy and a float TFLite file give its probability, int8 nearly.

The bundled models are converted once for the module (MobileNetV2 takes most of the time), then
classify 16 real test photos, 8 cats and 8 dogs, beside the app's Classifier on the .keras file.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from catdog.cli import main
from catdog.config import BUNDLED_MODEL, BUNDLED_MODELS, SCRATCH_MODEL
from catdog.evaluation import evaluate_folder
from catdog.export import (
    PREDICT_SNIPPET,
    ExportError,
    export_bytes,
    export_keras,
    export_tflite,
    tflite_test_accuracy,
    training_photos,
)
from catdog.predict import Classifier
from catdog.tflite import TFLiteModel

REPO = Path(__file__).resolve().parents[1]
FLOAT_TOLERANCE = 0.01  # the promise: a float export gives the app's probability
# int8 rounds every activation to one of 256 levels. On the 500 test photos (bench/export_accuracy.py)
# 99% of gaps to the app's probability were under 0.14 (MobileNetV2) and 0.04 (the convnet), the
# largest 0.33 and 0.042, and 2 labels of 500 changed for each; the 16 photos here stay within 0.06.
INT8_TOLERANCE = 0.15
SNIPPET_LINE = re.compile(r"^(?P<path>.+): (?P<probability>\d\.\d{4}) dog probability \((cat|dog)\)$")


@pytest.fixture(scope="module")
def photos(shared_data) -> list[Path]:
    """8 cats and 8 dogs of the test split: photos no model here learned from."""
    return [path for folder in ("cats", "dogs") for path in sorted((shared_data / "test" / folder).glob("*.jpg"))[:8]]


@pytest.fixture(scope="module")
def exported(shared_data, tmp_path_factory) -> dict[Path, dict[str, Path]]:
    """Each bundled model as .keras and float .tflite files, the convnet also as int8: {model: {kind: path}}.

    MobileNetV2's int8 conversion alone took 84 to 220 s here, so its agreement is measured by
    bench/export_accuracy.py rather than on every test run; the code path is the convnet's.
    """
    folder = tmp_path_factory.mktemp("exported")
    files = {}
    for model in BUNDLED_MODELS:
        files[model] = {
            "keras": export_keras(model, folder / f"{model.stem}.keras"),
            "float": export_tflite(model, folder / f"{model.stem}.tflite"),
        }
    calibration = training_photos(shared_data)  # the bundled models' own training split
    files[SCRATCH_MODEL]["int8"] = export_tflite(
        SCRATCH_MODEL, folder / f"{SCRATCH_MODEL.stem}-int8.tflite", "int8", calibration
    )
    return files


@pytest.fixture(scope="module")
def app_probabilities(photos) -> dict[Path, np.ndarray]:
    """What the app says for each photo, by model."""
    return {model: probabilities(Classifier.load(model), photos) for model in BUNDLED_MODELS}


def probabilities(classifier: Classifier, photos: list[Path]) -> np.ndarray:
    return np.array([classifier.classify(photo).dog_probability for photo in photos])


# --- the exported files agree with the app ---------------------------------------------------------


@pytest.mark.parametrize("model", BUNDLED_MODELS, ids=lambda path: path.stem)
@pytest.mark.parametrize("kind", ["keras", "float"])
@pytest.mark.slow
def test_a_keras_or_float_tflite_export_gives_the_apps_probability_on_real_photos(
    model, kind, exported, photos, app_probabilities
):
    exported_probabilities = probabilities(Classifier.load(exported[model][kind]), photos)
    app = app_probabilities[model]
    assert np.abs(exported_probabilities - app).max() < FLOAT_TOLERANCE
    assert np.array_equal(exported_probabilities >= 0.5, app >= 0.5)


@pytest.mark.parametrize("model", [SCRATCH_MODEL], ids=lambda path: path.stem)
@pytest.mark.slow
def test_an_int8_export_stays_within_its_tolerance_and_labels_as_the_app(model, exported, photos, app_probabilities):
    int8 = probabilities(Classifier.load(exported[model]["int8"]), photos)
    app = app_probabilities[model]
    assert np.abs(int8 - app).max() < INT8_TOLERANCE
    assert np.sum((int8 >= 0.5) == (app >= 0.5)) >= len(photos) - 1


@pytest.mark.parametrize("model", [SCRATCH_MODEL], ids=lambda path: path.stem)
@pytest.mark.slow
def test_the_int8_export_computes_in_integers_from_uint8_pixels_to_a_float_probability(model, exported):
    float_file, int8_file = exported[model]["float"], exported[model]["int8"]
    interpreter = TFLiteModel.load(int8_file).interpreter
    (pixels,), (probability,) = interpreter.get_input_details(), interpreter.get_output_details()
    assert pixels["dtype"] == np.uint8 and probability["dtype"] == np.float32  # what the app feeds and reads
    float_tensors = [t["name"] for t in interpreter.get_tensor_details() if t["dtype"] == np.float32]
    assert len(float_tensors) == 2, float_tensors  # the scaled input before it is quantized, and the output
    assert int8_file.stat().st_size < float_file.stat().st_size / 3


@pytest.mark.parametrize("model", BUNDLED_MODELS, ids=lambda path: path.stem)
@pytest.mark.slow
def test_the_standalone_snippet_prepares_photos_as_the_app_and_gives_its_probability(
    model, exported, photos, app_probabilities
):
    """docs/predict_tflite.py repeats catdog/photos.py with Pillow alone: if the two drift apart, this fails."""
    result = subprocess.run(
        [sys.executable, str(PREDICT_SNIPPET), str(exported[model]["float"]), *map(str, photos)],
        cwd=PREDICT_SNIPPET.parent,  # as a user runs it: outside the repository's packages
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", f"the snippet printed more than its answers:\n{result.stderr}"
    lines = [SNIPPET_LINE.match(line) for line in result.stdout.splitlines()]
    assert all(lines), result.stdout
    assert [line["path"] for line in lines] == list(map(str, photos))
    snippet = np.array([float(line["probability"]) for line in lines])
    assert np.abs(snippet - app_probabilities[model]).max() < FLOAT_TOLERANCE


@pytest.mark.slow
def test_the_snippet_without_litert_runs_tensorflows_interpreter_as_quietly(tiny_model, photos, tmp_path):
    """Where ai-edge-litert is not installed, tf.lite's interpreter: no start-up lines, no "is deprecated"."""
    model = export_tflite(tiny_model[0], tmp_path / "tiny.tflite")
    without_litert = (
        "import runpy, sys; sys.modules['ai_edge_litert'] = None; "  # as if it were not installed
        f"sys.argv = ['predict_tflite.py', {str(model)!r}, {str(photos[0])!r}]; "
        f"runpy.run_path({str(PREDICT_SNIPPET)!r}, run_name='__main__')"
    )
    env = {name: value for name, value in os.environ.items() if name != "TF_CPP_MIN_LOG_LEVEL"}  # as a user's
    result = subprocess.run(
        [sys.executable, "-c", without_litert], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    assert float(SNIPPET_LINE.match(line)["probability"]) == pytest.approx(
        Classifier.load(tiny_model[0]).classify(photos[0]).dog_probability, abs=FLOAT_TOLERANCE
    )
    assert result.stderr == "", f"TensorFlow's lines reached the terminal:\n{result.stderr}"


# --- the command line -----------------------------------------------------------------------------


@pytest.fixture
def labelled_folder(tmp_path, copy_shared) -> Path:
    folder = tmp_path / "labelled"
    copy_shared("test", "cats", 3, folder / "cats")
    copy_shared("test", "dogs", 3, folder / "dogs")
    return folder


@pytest.mark.slow
def test_export_tflite_writes_a_file_that_predict_accepts(tiny_model, photos, tmp_path, capsys):
    model, out = tiny_model[0], tmp_path / "tiny.tflite"
    assert main(["export", "--model", str(model), "--format", "tflite", "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith(f"saved {out} (")
    assert main(["predict", "--json", "--model", str(out), str(photos[0])]) == 0
    (record,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert record["dog_probability"] == pytest.approx(
        Classifier.load(model).classify(photos[0]).dog_probability, abs=0.01
    )
    assert record["neither"] is Classifier.load(model).classify(photos[0]).neither  # checked, as the .keras is


@pytest.mark.slow
def test_predict_and_evaluate_take_an_exported_file_and_say_what_the_app_says(
    exported, photos, labelled_folder, app_probabilities, capsys
):
    tflite = exported[SCRATCH_MODEL]["float"]
    assert main(["predict", "--json", "--model", str(tflite), *map(str, photos)]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [record["path"] for record in records] == list(map(str, photos))
    said = np.array([record["dog_probability"] for record in records])
    assert np.abs(said - app_probabilities[SCRATCH_MODEL]).max() < FLOAT_TOLERANCE

    assert main(["evaluate", "--json", "--model", str(tflite), "--data", str(labelled_folder)]) == 0
    assert json.loads(capsys.readouterr().out) == evaluate_folder(Classifier.load(SCRATCH_MODEL), labelled_folder)


def test_export_keras_writes_the_model_file_unchanged(tiny_model, tmp_path, capsys):
    out = tmp_path / "mine.keras"
    assert main(["export", "--model", str(tiny_model[0]), "--format", "keras", "--out", str(out)]) == 0
    assert out.read_bytes() == tiny_model[0].read_bytes()


@pytest.mark.slow
def test_export_int8_calibrates_on_the_data_folder_named(tiny_model, tiny_dataset, tmp_path, capsys):
    model = tmp_path / "no-record.keras"  # no run record beside it: the photos must come from --data
    model.write_bytes(tiny_model[0].read_bytes())
    out = tmp_path / "tiny-int8.tflite"
    argv = ["export", "--model", str(model), "--format", "tflite", "--quantize", "int8", "--out", str(out)]
    assert main(argv) == 2
    assert "--data" in capsys.readouterr().err and not out.exists()
    assert main([*argv, "--data", str(tiny_dataset)]) == 0
    assert TFLiteModel.load(out).input_shape == (None, 32, 32, 3)


@pytest.mark.parametrize(
    "options, complaint",
    [
        (["--format", "tflite", "--out", "m.keras"], "writes a .tflite file, not m.keras"),
        (["--format", "keras", "--quantize", "int8", "--out", "m.keras"], "--quantize int8 is for --format tflite"),
        pytest.param(  # converts before it finds the folder missing
            ["--format", "tflite", "--out", "missing-folder/m.tflite"], "cannot write", marks=pytest.mark.slow
        ),
    ],
    ids=["suffix-not-the-format", "quantized-keras", "folder-missing"],
)
def test_export_refuses_what_it_cannot_write_and_exits_2(tiny_model, tmp_path, monkeypatch, options, complaint, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["export", "--model", str(tiny_model[0]), *options]) == 2
    assert complaint in capsys.readouterr().err


def test_export_of_a_missing_model_or_a_file_that_is_no_model_exits_2(tmp_path, capsys):
    missing = ["export", "--model", str(tmp_path / "nope.keras"), "--format", "keras", "--out", "x.keras"]
    assert main(missing) == 2
    assert "no model at" in capsys.readouterr().err
    notes = tmp_path / "notes.keras"
    notes.write_text("not a model")
    assert main(["export", "--model", str(notes), "--format", "tflite", "--out", str(tmp_path / "x.tflite")]) == 2
    assert "is not a Keras model" in capsys.readouterr().err


def test_export_speaks_lang_in_its_refusals_and_its_library_errors(tiny_model, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    notes = tmp_path / "notes.keras"
    notes.write_text("not a model")
    assert (
        main(["export", "--lang", "zh", "--model", str(tiny_model[0]), "--format", "tflite", "--out", "m.keras"]) == 2
    )
    assert capsys.readouterr().err.strip() == "错误：--format tflite 写出的是 .tflite 文件，而不是 m.keras"
    assert main(["export", "--lang", "zh", "--model", str(notes), "--format", "tflite", "--out", "x.tflite"]) == 2
    said = capsys.readouterr().err.strip()
    assert said.startswith("错误：") and "不是本应用能读取的 Keras 模型" in said
    assert not any("a" <= c.lower() <= "z" for c in said.replace(str(notes), "").replace("Keras", ""))
    with pytest.raises(ExportError) as refused:
        export_bytes(tiny_model[0], "keras", "int8")
    assert refused.value.message("zh") == "只有 TensorFlow Lite 文件可以量化；.keras 文件保持模型原样"
    assert str(refused.value).startswith("only TensorFlow Lite files are quantized")


def test_export_of_an_unknown_format_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["export", "--format", "onnx", "--out", "m.onnx"])
    assert exited.value.code == 2
    assert "invalid choice: 'onnx'" in capsys.readouterr().err


@pytest.mark.slow
def test_explain_with_a_tflite_file_says_it_needs_the_keras_model(exported, photos, capsys):
    tflite = exported[SCRATCH_MODEL]["float"]
    assert main(["explain", "--model", str(tflite), str(photos[0])]) == 2
    assert "needs the .keras model" in capsys.readouterr().err


@pytest.mark.slow
def test_a_terminal_shows_a_tflite_files_answer_without_tensorflow_lite_log_lines(exported, photos):
    """LiteRT says "INFO: Created TensorFlow Lite XNNPACK delegate" on stderr; a user's terminal need not show it."""
    env = {name: value for name, value in os.environ.items() if name != "TF_CPP_MIN_LOG_LEVEL"}  # as a user's
    result = subprocess.run(
        [sys.executable, "-m", "catdog", "predict", "--model", str(exported[SCRATCH_MODEL]["float"]), str(photos[0])],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0
    assert re.match(rf"{re.escape(str(photos[0]))}: (cat|dog), (over 99|under 1|\d+)% dog$", result.stdout)
    assert result.stderr == "", f"log lines reached the terminal:\n{result.stderr}"


@pytest.mark.slow
def test_predict_and_evaluate_with_a_tflite_file_never_import_tensorflow(tiny_model, tiny_dataset, photos, tmp_path):
    """LiteRT runs the file: no seconds spent importing TensorFlow (python -X importtime lists every import)."""
    model = export_tflite(tiny_model[0], tmp_path / "tiny.tflite")
    for argv in (
        ["predict", "--json", "--model", str(model), str(photos[0])],
        ["evaluate", "--json", "--model", str(model), "--data", str(tiny_dataset / "test")],
    ):
        result = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "catdog", *argv],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        imports = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
        imported = {line.rsplit("|", 1)[1].strip() for line in imports}
        assert "catdog.tflite" in imported  # the list is real
        assert not {"tensorflow", "keras"} & imported, argv[0]
    assert json.loads(result.stdout)["n"] == 8  # the tiny dataset's 4 test photos per class


@pytest.mark.slow
def test_an_int8_export_in_a_terminal_prints_only_what_it_saved(tiny_model, tiny_dataset, tmp_path):
    """The converter's own lines ("fully_quantize: 0, inference_type: 6, ...") stay out of a user's terminal."""
    out = tmp_path / "tiny-int8.tflite"
    argv = ["export", "--model", str(tiny_model[0]), "--format", "tflite", "--quantize", "int8"]
    argv += ["--data", str(tiny_dataset), "--out", str(out)]
    env = {name: value for name, value in os.environ.items() if name != "TF_CPP_MIN_LOG_LEVEL"}  # as a user's
    result = subprocess.run(
        [sys.executable, "-m", "catdog", *argv], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"saved {out} (")
    assert result.stderr == "", f"the converter's lines reached the terminal:\n{result.stderr}"


# --- for a download button ------------------------------------------------------------------------


@pytest.mark.slow
def test_export_bytes_names_each_download_after_the_model(tiny_model):
    model = tiny_model[0]
    keras_file = export_bytes(model, "keras")
    assert (keras_file.filename, keras_file.data) == ("tiny.keras", model.read_bytes())
    float_file, int8_file = export_bytes(model, "tflite"), export_bytes(model, "tflite", "int8")
    assert (float_file.filename, int8_file.filename) == ("tiny.tflite", "tiny-int8.tflite")
    assert TFLiteModel(int8_file.data).input_shape == (None, 32, 32, 3)
    assert {keras_file.mime, float_file.mime} == {"application/octet-stream"}
    with pytest.raises(ExportError, match="onnx"):
        export_bytes(model, "onnx")


@pytest.mark.slow
def test_the_tflite_test_accuracy_is_that_of_the_exported_file_on_the_models_test_split(
    tiny_model, tiny_dataset, tmp_path
):
    model, out = tiny_model[0], tmp_path / "tiny-int8.tflite"
    content = export_bytes(model, "tflite", "int8").data
    out.write_bytes(content)
    on_test = evaluate_folder(Classifier.load(out), tiny_dataset / "test")
    assert tflite_test_accuracy(content, model) == on_test["accuracy"]
    assert tflite_test_accuracy(content, BUNDLED_MODEL.with_name("no-such-model.keras")) is None


def test_a_record_naming_another_machines_dataset_finds_it_beside_the_clone(shared_data, tmp_path):
    """The bundled records say /work/shared/…: a user's copy of the same dataset is found by its name."""
    from catdog.export import trained_on
    from catdog.runs import read_record

    record = read_record(BUNDLED_MODEL)
    record.data = str(tmp_path / "elsewhere" / shared_data.name)
    assert trained_on(record) == shared_data
    record.data = str(tmp_path / "no-such-dataset")
    assert trained_on(record) is None
