"""Only the picked model's heatmap is traced: the models that Compare all models loads give verdicts only.

Tracing a model's Grad-CAM costs about 3 CPU s (MobileNetV2) on a shared server.
"""

from __future__ import annotations

import pytest
from conftest import rerun_until_loaded
from test_app_classify import upload, verdicts

from catdog.config import BUNDLED_MODEL


@pytest.fixture
def dog_photo(photos_of) -> bytes:
    return photos_of("test", "dogs")[0].read_bytes()


@pytest.fixture
def heatmaps_of(monkeypatch) -> list:
    """The model files whose Classifier.heatmap was called, in order; the server forgets which it warmed."""
    from catdog.predict import Classifier
    from pages.models import _warm_heatmap

    called, heatmap = [], Classifier.heatmap

    def spy(self, pixels):
        called.append(self.path)
        return heatmap(self, pixels)

    monkeypatch.setattr(Classifier, "heatmap", spy)
    _warm_heatmap.clear()
    return called


def test_the_picked_models_heatmap_is_ready_before_the_first_photo_and_compared_models_never_trace_one(
    open_app, dog_photo, tiny_model_in_app, heatmaps_of
):
    second = tiny_model_in_app("second")
    at = open_app()  # the Classify page, before any photo: the model loads behind it
    rerun_until_loaded(at)
    assert heatmaps_of == [BUNDLED_MODEL]  # warmed while the visitor picks a photo

    at = upload(at, [("dog.jpg", dog_photo, "image/jpeg")])
    at.toggle(key="compare_models").set_value(True)
    at.run()
    assert not at.exception
    assert len(verdicts(at)) == 1
    assert any("🐶" in block.value or "🐱" in block.value for block in at.markdown)  # the second model's verdict
    assert second not in heatmaps_of
    assert set(heatmaps_of) == {BUNDLED_MODEL}  # the card's heatmap is the picked model's
