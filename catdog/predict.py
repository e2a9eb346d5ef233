"""Classify photos with a saved model (.keras, or an exported .tflite): the verdict, and where the model looked.

A .keras model whose LiteRT layers are saved beside it (catdog.lite: training saves them) classifies,
checks "neither" and gives its heatmap through LiteRT alone, as does an exported .tflite file: no
TensorFlow (5 s to import) unless a page shows what one convolution outputs. Any other .keras model
goes through Keras (catdog.model, .neither_fit and .explain import TensorFlow).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from catdog.config import (
    PREDICTIONS_CACHED_BYTES_MAX,
    PREDICTIONS_CACHED_MAX,
    SERVING_BATCH_MAX,
    SERVING_TIMEOUT_S,
    SERVING_WAIT_S,
)
from catdog.lite import LiteModel
from catdog.neither import NeitherDetector, for_model
from catdog.photos import PhotoSource, load_photo, model_input
from catdog.runs import RunRecord, read_record
from catdog.serving import Batcher, ResultCache
from catdog.tflite import TFLiteModel
from catdog.wording import label_of, verdict


@dataclass
class Prediction:
    pixels: np.ndarray  # (size, size, 3) uint8: exactly what the model received
    dog_probability: float
    seconds: float  # resize and model call (and decoding, for classify)
    # How unlike the training photos it looks (catdog.neither), and the detector's limit; None: not checked.
    neither_distance: float | None = None
    neither_threshold: float | None = None
    heatmap: np.ndarray | None = None  # where the model looked, (h, w) in [0, 1], when computed with the verdict

    @property
    def neither(self) -> bool:
        """Probably neither a cat nor a dog: further from the training photos than the detector allows."""
        return self.neither_distance is not None and self.neither_distance > self.neither_threshold

    @property
    def label(self) -> str:
        return label_of(self.dog_probability)

    @property
    def verdict(self) -> str:
        return verdict(self.dog_probability)


@dataclass
class Classifier:
    """A loaded model with what it needs to turn a photo into a probability."""

    model: object  # a LiteModel or a keras.Model for a .keras file, a TFLiteModel for an exported .tflite file
    path: Path
    image_size: int
    record: RunRecord | None  # how it was trained, when its run record was saved beside it
    detector: NeitherDetector | None = None  # says when a photo is neither a cat nor a dog
    # A server's: every visitor's photos through the model together (classify_shared), and the latest answers.
    _batcher: Batcher = field(init=False, repr=False)
    _answers: ResultCache = field(init=False, repr=False)
    # pixels → (probabilities, pooled features, heatmaps), for a model ending in pooling and one unit; () for none.
    _maps_reader: object = field(default=None, init=False, repr=False)
    _keras: object = field(default=None, init=False, repr=False)  # the Keras model behind a LiteModel, once needed
    _keras_load: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        # The batcher's thread starts with its first photo: a classifier that never serves many has none.
        self._batcher = Batcher(self._classify_items, SERVING_BATCH_MAX, SERVING_WAIT_S, name=self.path.stem)
        self._answers = ResultCache(PREDICTIONS_CACHED_MAX, PREDICTIONS_CACHED_BYTES_MAX, _prediction_bytes)

    @classmethod
    def load(cls, path: str | Path, check_neither: bool = True) -> Classifier:
        """A .keras model, or a .tflite file exported from one: both classify through the same calls.

        check_neither: the model also gets its "neither" detector (catdog.neither.for_model).
        The bundled pretrained model's detector shares the loaded model, so one pass gives both the
        probability and the features; any other model's detector brings the bundled model's backbone.
        A .keras model runs as its LiteRT layers where they are saved beside it (catdog.lite), else in Keras.
        """
        path = Path(path)
        if path.suffix.lower() == ".tflite":
            model = TFLiteModel.load(path)
            detector = for_model(path) if check_neither else None  # the bundled model's, as for the convnet
            return cls(model, path, int(model.input_shape[1]), read_record(path), detector)

        model = LiteModel.beside(path)
        if model is None:
            from catdog.model import load_model

            model = load_model(path)
        detector = None
        if check_neither:
            detector = for_model(path)
            if detector.model_path.resolve() == path.resolve():
                detector.use_model(model)
        classifier = cls(model, path, int(model.input_shape[1]), read_record(path), detector)
        # Trace now, not on a visitor's photo, and only what classify calls: one graph for the bundled model, not two.
        classifier.classify_pixels(np.zeros((classifier.image_size, classifier.image_size, 3), np.uint8))
        return classifier

    def classify(self, source: PhotoSource) -> Prediction:
        """Raises PhotoError for anything that is not a readable photo."""
        started = time.perf_counter()
        prediction = self.classify_photo(load_photo(source))
        prediction.seconds = time.perf_counter() - started
        return prediction

    def classify_photo(self, photo: Image.Image) -> Prediction:
        """An upright RGB photo (from load_photo) already in memory: what a page keeps for its visitor."""
        started = time.perf_counter()
        prediction = self.classify_pixels(model_input(photo, self.image_size), photo)
        prediction.seconds = time.perf_counter() - started
        return prediction

    def classify_pixels(self, pixels: np.ndarray, photo: Image.Image | None = None) -> Prediction:
        """One model input (size, size, 3) uint8; `photo`, the photo it came from, for another model's detector."""
        return self.classify_batch([pixels], None if photo is None else [self._detector_input(photo)])[0]

    def classify_batch(
        self, pixels: Sequence[np.ndarray], detector_inputs: Sequence[np.ndarray | None] | None = None
    ) -> list[Prediction]:
        """Model inputs (size, size, 3) uint8, in one model call, each with its heatmap where the model allows.

        detector_inputs: the photos at the "neither" detector's input size (_detector_input), where its model
        is another than this one; else the detector reads `pixels` (a smaller model's, scaled up).
        A model ending in pooling and one unit (catdog's) gives the probability, the features its
        "neither" detector compares and Grad-CAM's heatmap from one feature map (catdog.explain);
        any other gives its probability, and its heatmap later from heatmap().
        """
        started = time.perf_counter()
        batch = np.stack(pixels)
        detector, distances, heatmaps = self.detector, None, [None] * len(batch)
        shared = detector is not None and detector.model_path.resolve() == self.path.resolve()
        if read_maps := self._read_maps():
            probabilities, features, heatmaps = read_maps(batch)
            if shared:
                distances = detector.judge(features, probabilities, batch)
        elif shared:
            probabilities, features = detector.features(batch)
            distances = detector.judge(features, probabilities, batch)
        else:
            probabilities = self.dog_probabilities(batch)
        if detector is not None and distances is None:
            seen = detector_inputs if detector_inputs and all(x is not None for x in detector_inputs) else None
            distances = detector.score(batch if seen is None else np.stack(seen))
        seconds = (time.perf_counter() - started) / len(batch)
        threshold = None if detector is None else detector.threshold
        return [
            Prediction(
                one,
                float(probabilities[i]),
                seconds,
                None if distances is None else float(distances[i]),
                threshold,
                heatmaps[i],
            )
            for i, one in enumerate(batch)
        ]

    def classify_shared(self, photo: Image.Image, digest: str | None = None) -> Prediction:
        """classify_photo for one of many visitors at once: batched with theirs, and the answer for a photo with
        the same digest (catdog.photos.KeptPhoto.digest) given again from memory. Raises TimeoutError when the
        server is too busy to answer within SERVING_TIMEOUT_S."""
        started = time.perf_counter()
        remembered = self._answers.get(digest) if digest else None
        if remembered is not None:  # its seconds stay the model's, not the moment it took to look it up
            return dataclasses.replace(remembered)  # each visitor's own copy, the arrays shared
        item = (model_input(photo, self.image_size), self._detector_input(photo))
        prediction = dataclasses.replace(self._batcher(item, SERVING_TIMEOUT_S), seconds=time.perf_counter() - started)
        if digest:
            self._answers.put(digest, prediction)
        return dataclasses.replace(prediction)

    def _classify_items(self, items: list[tuple[np.ndarray, np.ndarray | None]]) -> list[Prediction]:
        pixels, detector_inputs = zip(*items)
        return self.classify_batch(pixels, detector_inputs)

    def _detector_input(self, photo: Image.Image) -> np.ndarray | None:
        """The photo as the "neither" detector's model receives it, when that model is another than this one."""
        detector = self.detector
        if detector is None or detector.model_path.resolve() == self.path.resolve():
            return None
        return detector.inputs([photo])[0]

    def _read_maps(self):
        """pixels → (probabilities, pooled features, heatmaps) from the last feature map, or None for a model
        that does not end in pooling and one sigmoid unit."""
        if self._maps_reader is None:
            if isinstance(self.model, LiteModel):
                self._maps_reader = self.model.read
            elif isinstance(self.model, TFLiteModel):
                self._maps_reader = ()
            else:
                from catdog.explain import pooled_head, unit_weights
                from catdog.lite import read_feature_maps
                from catdog.model import predict_outputs

                head = pooled_head(self.model)
                if head is None:
                    self._maps_reader = ()
                else:
                    trunk, weights = head[0], unit_weights(head[1])
                    self._maps_reader = lambda pixels: read_feature_maps(predict_outputs(trunk, pixels), *weights)
        return self._maps_reader or None

    def dog_probabilities(self, pixels: np.ndarray) -> np.ndarray:
        """(n,) float32 dog probabilities for model inputs (n, size, size, 3) uint8."""
        if isinstance(self.model, TFLiteModel | LiteModel):
            return self.model.dog_probabilities(pixels)
        from catdog.model import predict_dog_probability

        return predict_dog_probability(self.model, pixels)

    def keras_model(self):
        """The Keras model, loaded on first need where the verdicts run in LiteRT (what one convolution outputs
        is not kept there); None for an exported .tflite file."""
        if isinstance(self.model, TFLiteModel):
            return None
        if not isinstance(self.model, LiteModel):
            return self.model
        with self._keras_load:
            if self._keras is None:
                from catdog.model import load_model

                self._keras = load_model(self.path)
        return self._keras

    @property
    def explains(self) -> bool:
        """Whether heatmap() works: a Keras model can show where it looked; an exported .tflite file cannot."""
        return not isinstance(self.model, TFLiteModel)

    def heatmap(self, pixels: np.ndarray) -> np.ndarray:
        """Where the model looked in one model input (size, size, 3) uint8: Grad-CAM, (h, w) in [0, 1].

        A model ending in pooling and one unit gives it with its verdict (classify_batch); for any other, the
        first call traces the model's Grad-CAM (a few CPU seconds): call it only for a model whose heatmap will
        be shown.
        """
        if read_maps := self._read_maps():
            return read_maps(pixels[None])[2][0]
        from catdog.explain import heatmap

        return heatmap(self.model, pixels)

    def heatmap_of(self, prediction: Prediction) -> np.ndarray:
        """heatmap() of a prediction's input: the one computed with its verdict where there is one."""
        return prediction.heatmap if prediction.heatmap is not None else self.heatmap(prediction.pixels)

    def conv_layers(self) -> list[str]:
        """The model's convolutions, first to last: the layers activations() can show."""
        from catdog.explain import conv_layers

        return conv_layers(self.keras_model())

    def activations(self, pixels: np.ndarray, layer: str) -> np.ndarray:
        """What one convolution (a name from conv_layers) outputs for one model input: (h, w, channels) float32."""
        from catdog.explain import activations

        return activations(self.keras_model(), pixels, layer)


def _prediction_bytes(prediction: Prediction) -> int:
    heatmap = 0 if prediction.heatmap is None else prediction.heatmap.nbytes
    return prediction.pixels.nbytes + heatmap + 200
