"""catdog.evaluation: its numbers against an independent computation, one photo at a time or by hand."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from catdog.config import SCRATCH_MODEL
from catdog.data import labelled_photos
from catdog.evaluation import (
    Evaluation,
    accuracy,
    cell_photos,
    confusion,
    evaluate_photos,
    least_certain,
    most_confident_mistakes,
    per_photo,
    roc_auc,
    roc_curve,
    roc_point,
    wilson_interval,
)


def made_up(labels: list[int], probabilities: list[float]) -> Evaluation:
    """An evaluation of photos that need not exist: their true labels and dog probabilities."""
    paths = [f"photo{i}.jpg" for i in range(len(labels))]
    return Evaluation(paths, np.array(labels), np.array(probabilities, np.float32), [])


def pairwise_auc(labels, scores) -> float:
    """AUC as its definition says: over every (dog, cat) pair, 1 if the dog scores higher, ½ for a tie."""
    dogs = [s for s, label in zip(scores, labels) if label == 1]
    cats = [s for s, label in zip(scores, labels) if label == 0]
    wins = sum(1.0 if d > c else 0.5 if d == c else 0.0 for d, c in itertools.product(dogs, cats))
    return wins / (len(dogs) * len(cats))


# --- a real model on real photos, against Classifier.classify one photo at a time ---------------------


@pytest.fixture(scope="module")
def scored(photo_dataset: Path, tmp_path_factory: pytest.TempPathFactory):
    """(the from-scratch model, its Evaluation, each photo's probability from classify) on 6 cats, 6 dogs
    and a text file posing as a photo."""
    from conftest import copy_photos, write_not_a_photo

    from catdog.predict import Classifier

    folder = tmp_path_factory.mktemp("labelled")
    copy_photos(photo_dataset, "test", "cats", 6, folder / "cats")
    copy_photos(photo_dataset, "test", "dogs", 6, folder / "dogs")
    write_not_a_photo(folder / "dogs" / "dog.99999.jpg")
    classifier = Classifier.load(SCRATCH_MODEL)
    calls = []
    evaluation = evaluate_photos(classifier, labelled_photos(folder), progress=lambda *done: calls.append(done))
    one_by_one = {str(path): classifier.classify(path).dog_probability for path, _ in labelled_photos(folder)[:-1]}
    return evaluation, one_by_one, calls, folder


def test_each_photos_probability_is_what_classifying_it_alone_gives(scored):
    evaluation, one_by_one, calls, folder = scored
    assert evaluation.paths == list(one_by_one)  # the folder's order, the unreadable file left out
    assert evaluation.labels.tolist() == [0] * 6 + [1] * 6
    assert evaluation.dog_probabilities == pytest.approx(list(one_by_one.values()), abs=1e-5)
    assert evaluation.unreadable == [(str(folder / "dogs" / "dog.99999.jpg"), evaluation.unreadable[0][1])]
    assert "not an image" in evaluation.unreadable[0][1]
    assert calls[-1] == (13, 13)  # the progress bar ends full


def test_accuracy_confusion_and_auc_match_a_count_of_the_one_by_one_verdicts(scored):
    evaluation, one_by_one, _, _ = scored
    labels = [0] * 6 + [1] * 6
    probabilities = list(one_by_one.values())
    for threshold in (0.2, 0.5, 0.8):
        said = [int(p >= threshold) for p in probabilities]
        pairs = list(zip(labels, said))
        expected = [[pairs.count((true, answer)) for answer in (0, 1)] for true in (0, 1)]
        assert confusion(evaluation, threshold).tolist() == expected
        assert accuracy(evaluation, threshold) == pytest.approx(sum(t == s for t, s in zip(labels, said)) / 12)
    assert roc_auc(evaluation.labels, evaluation.dog_probabilities) == pytest.approx(
        pairwise_auc(labels, probabilities)
    )


def test_the_csv_rows_give_each_photo_its_rounded_probability_and_verdict(scored):
    evaluation, one_by_one, _, _ = scored
    rows = per_photo(evaluation, 0.5)
    assert [row["path"] for row in rows] == list(one_by_one)
    for row, probability in zip(rows, one_by_one.values()):
        assert set(row) == {"path", "true label", "dog probability", "predicted label", "correct"}
        assert row["dog probability"] == pytest.approx(round(probability, 4), abs=1e-4)
        assert row["predicted label"] == ("dog" if probability >= 0.5 else "cat")
        assert row["correct"] == (row["predicted label"] == row["true label"])


def test_an_empty_folder_gives_an_empty_evaluation(tmp_path):
    from catdog.predict import Classifier

    evaluation = evaluate_photos(Classifier.load(SCRATCH_MODEL), labelled_photos(tmp_path))
    assert evaluation.paths == [] and len(evaluation.labels) == 0
    assert accuracy(evaluation) is None


# --- the numbers, on made-up probabilities ------------------------------------------------------------


@pytest.mark.parametrize(
    "successes, n, low, high",
    [
        (8, 10, 0.4902, 0.9433),  # the textbook example (Wilson, 1927; Newcombe, 1998)
        (0, 10, 0.0, 0.2775),  # never zero-width at the ends, unlike p ± z·sqrt(p(1-p)/n)
        (10, 10, 0.7225, 1.0),
        (491, 500, 0.9661, 0.9905),  # the bundled model's 98.2% on the 500 test photos
    ],
)
def test_the_wilson_interval_matches_published_values(successes, n, low, high):
    assert wilson_interval(successes, n) == pytest.approx((low, high), abs=1e-4)


def test_the_wilson_interval_needs_a_photo():
    with pytest.raises(ValueError):
        wilson_interval(0, 0)


def test_auc_is_1_for_a_perfect_ranking_0_for_an_inverse_one_and_a_half_for_ties():
    labels = [0, 0, 0, 1, 1, 1]
    assert roc_auc(labels, [0.1, 0.2, 0.3, 0.7, 0.8, 0.9]) == 1.0
    assert roc_auc(labels, [0.9, 0.8, 0.7, 0.3, 0.2, 0.1]) == 0.0
    assert roc_auc(labels, [0.5] * 6) == 0.5  # a model that says the same for every photo
    assert roc_auc([0, 0], [0.1, 0.2]) is None  # no dogs: no curve


def test_auc_of_a_random_ranking_is_near_a_half_and_equals_the_pairwise_count():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 400)
    scores = rng.random(400).round(2)  # rounding makes ties, which count half
    auc = roc_auc(labels, scores)
    assert auc == pytest.approx(pairwise_auc(labels, scores))
    assert abs(auc - 0.5) < 0.07


def test_the_roc_curve_runs_from_0_0_to_1_1_one_step_per_distinct_score():
    fpr, tpr, thresholds = roc_curve([0, 1, 0, 1], [0.2, 0.9, 0.6, 0.6])
    assert fpr.tolist() == [0, 0, 0.5, 1]
    assert tpr.tolist() == [0, 0.5, 1, 1]
    assert thresholds.tolist() == [np.inf, 0.9, 0.6, 0.2]  # the tied 0.6s move together
    with pytest.raises(ValueError):
        roc_curve([1, 1], [0.3, 0.4])


def test_the_roc_point_at_a_threshold_is_on_the_curve():
    evaluation = made_up([0, 1, 0, 1, 0], [0.2, 0.9, 0.6, 0.6, 0.05])
    fpr, tpr, thresholds = roc_curve(evaluation.labels, evaluation.dog_probabilities)
    assert len(thresholds) == 5  # +inf, then 0.9, 0.6, 0.2 and 0.05
    for point in range(1, len(thresholds)):
        assert roc_point(evaluation, thresholds[point]) == pytest.approx((fpr[point], tpr[point]))


def test_moving_the_threshold_moves_photos_between_cells():
    evaluation = made_up([0, 0, 0, 1, 1, 1], [0.1, 0.45, 0.7, 0.3, 0.55, 0.95])
    assert confusion(evaluation, 0.5).tolist() == [[2, 1], [1, 2]]
    assert confusion(evaluation, 0.6).tolist() == [[2, 1], [2, 1]]  # the dog at 0.55 is now said cat
    assert confusion(evaluation, 0.4).tolist() == [[1, 2], [1, 2]]  # the cat at 0.45 is now said dog
    assert accuracy(evaluation, 0.5) == pytest.approx(4 / 6)
    assert cell_photos(evaluation, 1, 0, 0.6) == [3, 4]  # the dog at 0.3 is further from "dog" than the one at 0.55
    assert cell_photos(evaluation, 0, 0, 0.5) == [1, 0]  # in a right cell: the narrowest escape first


def test_the_most_confident_mistakes_come_surest_first_and_the_least_certain_closest_first():
    evaluation = made_up([0, 0, 0, 1, 1, 1], [0.1, 0.45, 0.99, 0.3, 0.55, 0.95])
    assert most_confident_mistakes(evaluation, 0.5) == [2, 3]  # a cat at 99% dog, then a dog at 30%
    assert most_confident_mistakes(evaluation, 0.5, count=1) == [2]
    assert least_certain(evaluation, 0.5, count=3) == [1, 4, 3]  # 0.45 and 0.55 tie: the folder's order
    assert least_certain(evaluation, 0.9, count=1) == [5]  # closest to this threshold
