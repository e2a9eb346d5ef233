"""The Evaluate page under Streamlit's AppTest: score a model on a labelled split, move the threshold, compare two.

The app runs in this process with CATDOG_DATA_DIR and CATDOG_MODELS_DIR pointing at temporary
folders (conftest.py's `app_dirs` and `open_app`); the dataset holds 5 test photos per class,
some of them hard for the bundled models, and the expected numbers are counted from each
photo classified on its own.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

import catdog.evaluation
from catdog.config import BUNDLED_MODEL, SCRATCH_MODEL
from catdog.data import labelled_photos

PAGE = "pages/evaluate.py"
N = 10  # test photos in the pets dataset
# Among the bundled model's surest mistakes and closest calls on the shared test photos: a threshold moves them.
HARD_PHOTOS = {
    "cats": ("cat.4622.jpg", "cat.4637.jpg", "cat.4688.jpg"),
    "dogs": ("dog.4507.jpg", "dog.4616.jpg", "dog.4707.jpg"),
}
CELL = re.compile(r"(cat|dog)s said (cat|dog) \((\d+)\)")


@pytest.fixture(scope="module")
def pets_dataset(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 easy and 3 hard test photos per class (and the 1 training photo per class a dataset needs)."""
    from conftest import build_dataset

    root = build_dataset(shared_data, tmp_path_factory.mktemp("pets"), train=1, validation=0, test=2)
    for folder, names in HARD_PHOTOS.items():
        for name in names:
            shutil.copyfile(shared_data / "test" / folder / name, root / "test" / folder / name)
    return root


@pytest.fixture
def pets(app_dirs, pets_dataset: Path) -> Path:
    """The pets dataset in the app's data folder; returns its test folder."""
    (app_dirs.data / "pets").symlink_to(pets_dataset, target_is_directory=True)
    return pets_dataset / "test"


@pytest.fixture(scope="module")
def probabilities(pets_dataset: Path) -> dict:
    """{model path: [(label, dog probability)] of the pets' test photos}, classified one at a time."""
    from catdog.predict import Classifier

    photos = labelled_photos(pets_dataset / "test")
    scored = {}
    for model in (BUNDLED_MODEL, SCRATCH_MODEL):
        classifier = Classifier.load(model)
        scored[model] = [(label, classifier.classify(path).dog_probability) for path, label in photos]
    return scored


def expected_confusion(scored: list[tuple[int, float]], threshold: float) -> list[list[int]]:
    """Counted by hand: rows the true class (cat, dog), columns the answer at this threshold."""
    pairs = [(label, int(p >= threshold)) for label, p in scored]
    return [[pairs.count((true, said)) for said in (0, 1)] for true in (0, 1)]


def shown_confusion(at) -> list[list[int]]:
    """The counts on the cell picker's buttons: "cats said dog (3)"."""
    labels = at.segmented_control(key="cell").options
    counts = {(m.group(1), m.group(2)): int(m.group(3)) for m in map(CELL.fullmatch, labels)}
    return [[counts[(true, said)] for said in ("cat", "dog")] for true in ("cat", "dog")]


def matrix_counts(at, index: int = 0) -> list[list[int]]:
    """The counts drawn in a confusion matrix: the bold number in each cell of the heatmap."""
    matrices = [chart for chart in at.get("plotly_chart") if chart.proto.id and "confusion" in chart.proto.id]
    heatmap = json.loads(matrices[index].proto.spec)["data"][0]
    return [[int(re.match(r"<b>(\d+)</b>", cell).group(1)) for cell in row] for row in heatmap["text"]]


def metrics(at) -> list[tuple[str, str]]:
    return [(metric.label, metric.value) for metric in at.metric]


def evaluate(at):
    at.button(key="evaluate").click()
    return at.run()


def test_without_a_dataset_the_page_says_how_to_get_one(open_app):
    at = open_app(PAGE)
    assert not at.exception
    assert at.title[0].value == "📊 Evaluate a model"
    assert any("python -m catdog download" in info.value for info in at.info)
    assert not [button for button in at.button if button.key == "evaluate"]


@pytest.mark.slow
def test_evaluate_scores_the_test_split_and_the_threshold_moves_photos_between_cells(
    open_app, pets, probabilities, monkeypatch
):
    runs = []
    real = catdog.evaluation.evaluate_photos
    monkeypatch.setattr(catdog.evaluation, "evaluate_photos", lambda *a, **k: runs.append(a) or real(*a, **k))
    at = open_app(PAGE)
    assert at.radio(key="evaluate_split").value == "test"  # the honest split, by default
    assert any("Press **Evaluate**" in info.value and f"{N} test photos" in info.value for info in at.info)
    assert not at.metric

    evaluate(at)
    assert not at.exception
    scored = probabilities[BUNDLED_MODEL]
    right = sum(label == int(p >= 0.5) for label, p in scored)
    assert metrics(at)[0] == ("Accuracy", f"{right / N:.1%}")
    assert metrics(at)[1][0] == "AUC"
    assert any(caption.value.startswith(f"{right} of {N} right · 95% interval ") for caption in at.caption)
    assert shown_confusion(at) == matrix_counts(at) == expected_confusion(scored, 0.5)
    assert len(at.get("plotly_chart")) == 3  # the matrix, the histograms, the ROC curve
    assert [button.key for button in at.get("download_button")] == ["download_evaluation"]
    assert len(runs) == 1

    # A threshold that moves at least one photo to another cell (the model is sure of most).
    changed = [t for t in (99, 1, 90, 10, 70, 30) if expected_confusion(scored, t / 100) != shown_confusion(at)]
    assert changed, [p for _, p in scored]
    at.slider(key="threshold").set_value(changed[0])
    at.run()
    assert not at.exception
    assert shown_confusion(at) == matrix_counts(at) == expected_confusion(scored, changed[0] / 100)
    right = sum(label == int(p >= changed[0] / 100) for label, p in scored)
    assert metrics(at)[0] == ("Accuracy", f"{right / N:.1%}")
    assert len(runs) == 1, "moving the threshold does not classify the photos again"

    evaluate(at)
    assert len(runs) == 1, "nor does pressing Evaluate again on the same model and photos"


@pytest.mark.slow
def test_a_cells_photos_are_shown_with_their_true_label_and_probability(open_app, pets, probabilities):
    at = evaluate(open_app(PAGE))
    at.segmented_control(key="cell").set_value(3)  # dogs said dog
    at.run()
    assert not at.exception
    dogs_said_dog = shown_confusion(at)[1][1]
    assert dogs_said_dog > 0
    captions = [img.caption for image in at.get("image") for img in image.proto.imgs]
    in_cell = [c for c in captions if re.fullmatch(r"dog\.\d+\.jpg: a dog, (over |under )?\d+% dog", c)]
    assert len(in_cell) >= dogs_said_dog  # the cell's photos (a dog may also show among the least certain)
    test_dogs = {path.name for path in (pets / "dogs").iterdir()}
    assert {c.split(":")[0] for c in in_cell} <= test_dogs


@pytest.mark.slow
def test_compare_with_scores_a_second_model_on_the_same_photos_side_by_side(open_app, pets, probabilities):
    at = open_app(PAGE)
    at.selectbox(key="compare_with").set_value(str(SCRATCH_MODEL))
    at.run()
    assert any("“catdog” and “convnet-from-scratch”" in info.value for info in at.info)
    evaluate(at)
    assert not at.exception
    accuracies = [value for label, value in metrics(at) if label == "Accuracy"]
    expected = [
        f"{sum(label == int(p >= 0.5) for label, p in probabilities[model]) / N:.1%}"
        for model in (BUNDLED_MODEL, SCRATCH_MODEL)
    ]
    assert accuracies == expected
    assert len([label for label, _ in metrics(at) if label == "AUC"]) == 2
    assert len(at.get("plotly_chart")) == 5  # a matrix and histograms each, and one ROC chart for both
    assert at.segmented_control(key="photos_of").options == ["catdog", "convnet-from-scratch"]

    at.segmented_control(key="photos_of").set_value(1)
    at.run()
    assert shown_confusion(at) == matrix_counts(at, 1) == expected_confusion(probabilities[SCRATCH_MODEL], 0.5)
    assert matrix_counts(at, 0) == expected_confusion(probabilities[BUNDLED_MODEL], 0.5)
