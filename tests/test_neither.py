"""Photos that are neither a cat nor a dog: the bundled detector flags drawn scenes, not real pets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from keras import layers
from PIL import Image

from bench.neither_calibration import NON_PETS, non_pet_images
from catdog.config import BUNDLED_MODEL, NEITHER_FLAG_RATE, SCRATCH_MODEL
from catdog.data import labelled_photos
from catdog.model import load_model, predict_dog_probability
from catdog.neither import NeitherDetector, detector_path, features_layer, for_model
from catdog.photos import PhotoError


@pytest.fixture(scope="module")
def detector() -> NeitherDetector:
    """The bundled detector, its model loaded once for this file."""
    return NeitherDetector.load(detector_path(BUNDLED_MODEL))


def test_a_real_cat_or_dog_photo_is_rarely_called_neither(detector, shared_data):
    # 1.8% of all 500 test photos were flagged when the threshold was set (bench/neither_calibration.py).
    photos = [path for path, _ in labelled_photos(shared_data / "test")][::12][:40]  # 21 cats, 19 dogs
    flagged = detector.score(photos) > detector.threshold
    assert flagged.sum() <= 2  # 5%


def test_drawn_scenes_without_a_pet_are_called_neither(detector):
    # Seeds the calibration never drew; it flagged all 440 of its own, the closest well above the threshold.
    kinds = [kind for kind in NON_PETS for _ in range(2)]
    drawings = [image for kind in NON_PETS for image in non_pet_images(kind, 2, first_seed=1000)]
    missed = [kind for kind, distance in zip(kinds, detector.score(drawings)) if distance <= detector.threshold]
    assert missed == []


def test_one_photo_as_pixels_a_drawn_car_is_neither_and_a_test_dog_is_not(detector, shared_data):
    car = np.asarray(non_pet_images("car", 1, first_seed=1000)[0])  # (336, 448, 3) uint8, not the model's size
    dog = np.asarray(Image.open(shared_data / "test" / "dogs" / "dog.4501.jpg"))  # distance 0.31; threshold 0.42
    assert detector.is_neither(car)
    assert not detector.is_neither(dog)


def test_one_pass_gives_the_classifiers_own_probability(detector):
    classifier = load_model(BUNDLED_MODEL)
    pixels = np.stack([np.asarray(image.resize((224, 224))) for image in non_pet_images("house", 3)])
    probabilities, features = detector.features(pixels)
    np.testing.assert_allclose(probabilities, predict_dog_probability(classifier, pixels), atol=1e-5)
    assert features.shape == (3, 1280)


def test_the_features_come_from_the_pooling_after_the_backbone_and_a_convnet_from_scratch_has_none():
    assert isinstance(features_layer(load_model(BUNDLED_MODEL)), layers.GlobalAveragePooling2D)
    assert features_layer(load_model(SCRATCH_MODEL)) is None


def test_the_threshold_flags_the_chosen_share_of_validation_photos():
    rng = np.random.default_rng(0)
    train, validation = rng.random((300, 16)), rng.random((1000, 16))
    fitted = NeitherDetector.fit(train, validation, BUNDLED_MODEL)
    assert np.mean(fitted.distance(validation) > fitted.threshold) == pytest.approx(NEITHER_FLAG_RATE, abs=0.001)
    assert fitted.distance(train[:5]).max() < fitted.distance(-train[:5]).min()  # far from every training photo


def test_a_saved_detector_loads_with_the_same_distances_and_its_model_beside_it(tmp_path: Path):
    rng = np.random.default_rng(1)
    fitted = NeitherDetector.fit(rng.random((50, 8)), rng.random((100, 8)), tmp_path / "mine.keras")
    fitted.save(detector_path(tmp_path / "mine.keras"))
    loaded = NeitherDetector.load(tmp_path / "mine.neither.npz")
    probe = rng.random((10, 8))
    np.testing.assert_allclose(loaded.distance(probe), fitted.distance(probe))
    assert (loaded.threshold, loaded.flag_rate, loaded.neighbours) == (fitted.threshold, fitted.flag_rate, 10)
    assert loaded.model_path == tmp_path / "mine.keras"


def test_a_model_without_its_own_detector_uses_the_bundled_one(tmp_path: Path):
    assert for_model(SCRATCH_MODEL).model_path == BUNDLED_MODEL
    assert for_model(tmp_path / "uncalibrated.keras").model_path == BUNDLED_MODEL
    rng = np.random.default_rng(2)
    NeitherDetector.fit(rng.random((50, 8)), rng.random((100, 8)), tmp_path / "mine.keras").save(
        tmp_path / "mine.neither.npz"
    )
    assert for_model(tmp_path / "mine.keras").model_path == tmp_path / "mine.keras"


def test_tiny_blank_and_unreadable_inputs_give_a_distance_or_a_photo_error(detector):
    distances = detector.score([Image.new("RGB", (1, 1), "red"), np.zeros((2, 3), np.uint8), Image.new("L", (5, 5))])
    assert np.isfinite(distances).all()
    assert detector.score([]).shape == (0,)
    with pytest.raises(PhotoError):
        detector.score([b"hello, I am a text file, not a JPEG\n"])


@pytest.mark.parametrize("model", [BUNDLED_MODEL, SCRATCH_MODEL], ids=lambda path: path.stem)
def test_a_classifier_says_a_drawn_car_is_neither_whatever_its_verdict_and_a_real_dog_is_a_dog(model, shared_data):
    from catdog.predict import Classifier

    classifier = Classifier.load(model)
    car = classifier.classify_photo(non_pet_images("car", 1, first_seed=2000)[0])
    dog = classifier.classify_photo(Image.open(shared_data / "test" / "dogs" / "dog.4501.jpg").convert("RGB"))
    assert car.neither and car.neither_distance > car.neither_threshold
    assert not dog.neither and dog.label == "dog"
    # The bundled model's detector is that model: its one pass gives the verdict too.
    assert (classifier.detector.model_path == classifier.path) == (model == BUNDLED_MODEL)


@pytest.mark.slow
def test_a_classifier_loaded_without_the_check_or_from_tensorflow_lite_checks_nothing(tmp_path: Path):
    from catdog.export import export_tflite
    from catdog.predict import Classifier

    drawing = non_pet_images("house", 1)[0]
    assert not Classifier.load(SCRATCH_MODEL, check_neither=False).classify_photo(drawing).neither
    exported = Classifier.load(export_tflite(SCRATCH_MODEL, tmp_path / "scratch.tflite"))
    assert exported.detector is None and exported.classify_photo(drawing).neither_distance is None
