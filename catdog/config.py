"""The one place that defines catdog's facts: class names, folders, sizes, settings and training defaults."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import get_type_hints

# Label rule, stated once: 0 is cat, 1 is dog; a model outputs the dog probability.
CLASS_NAMES = ("cat", "dog")
CLASS_FOLDERS = ("cats", "dogs")  # SPLIT/cats, SPLIT/dogs: alphabetical, so label 0 = cats
SPLITS = ("train", "validation", "test")
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif")  # what uploads and datasets may hold
# The formats a photo's content must be, whatever its name (Pillow's names; JPEG takes in a phone's MPO too).
PHOTO_FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "GIF")
PHOTO_DECODED_BYTES_MAX = 64 * 2**20  # most memory one photo's decoded pixels may take: 16 MP as RGB(A)

PROJECT_DIR = Path(__file__).resolve().parent.parent
MODELS_DIR = Path(os.environ.get("CATDOG_MODELS_DIR", PROJECT_DIR / "models"))
BUNDLED_MODEL = PROJECT_DIR / "models" / "catdog.keras"  # the default: a pretrained MobileNetV2, fine-tuned
SCRATCH_MODEL = PROJECT_DIR / "models" / "convnet-from-scratch.keras"  # the book's lesson, kept beside it
BUNDLED_MODELS = (BUNDLED_MODEL, SCRATCH_MODEL)
DATA_DIR = Path(os.environ.get("CATDOG_DATA_DIR", PROJECT_DIR / "data"))
# Beside a clone of the repository: the photos and the ImageNet weights (under keras.applications'
# names) that tests, benchmarks and the bundled models use.
SHARED_DATASET = PROJECT_DIR.parent / "shared" / "data" / "cats_vs_dogs_small"
SHARED_WEIGHTS = PROJECT_DIR.parent / "shared" / "weights"


# ImageNet backbones a model can start from, by the name --pretrained takes (catdog.model builds them).
@dataclass(frozen=True)
class Backbone:
    """An ImageNet network from keras.applications, and where fine-tuning starts in it."""

    title: str  # its name for people: what the pages and run records show
    application: str  # the keras.applications constructor
    alpha: float  # width multiplier of the released weights
    weights_file: str  # the name keras.applications downloads into ~/.keras/models/
    fine_tune_from: str  # fine-tuning trains this layer and every one after it


BACKBONES = {
    "mobilenet_v2": Backbone(
        "MobileNetV2 1.0",
        "MobileNetV2",
        1.0,
        "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5",
        "block_13_expand",  # the last four blocks at 7 × 7: 1.7 M of 2.3 M weights, a small share of the compute
    ),
    "mobilenet": Backbone(
        "MobileNet v1 0.25",
        "MobileNet",
        0.25,
        "mobilenet_2_5_224_tf_no_top.h5",
        "conv_dw_12",  # the last two depthwise blocks at 7 × 7
    ),
}

# Their input side: the released weights exist at several sizes, and 224 is the one shipped beside the project.
PRETRAINED_IMAGE_SIZE = 224
# What a model can be exported as (catdog/export.py): its .keras file, or TensorFlow Lite computing in
# float32 (as the app does) or in int8. Training photos that calibrate int8, half of each class: TFLite's
# guide asks for 100 to 500, and each one runs through the float model once during the conversion.
EXPORT_FORMATS = ("keras", "tflite")
EXPORT_QUANTIZATIONS = ("float", "int8")
CALIBRATION_PHOTOS = 200

# Photos a model classifies (or turns into features) in one call, outside training: memory stays flat
# on a split of any size, and a batch this big already runs the cores at full speed.
INFERENCE_BATCH = 64
# Evaluations a server keeps for every visitor (catdog.evaluation.EvaluationStore), the least recently asked
# for dropped first: each is a few numbers per photo, and computing one costs a few seconds per 100 photos.
EVALUATIONS_KEPT = 8
# Photos that many visitors send at the same moment go through a model together (catdog.serving.Batcher): at
# most this many in one call, gathered for at most this long; a visitor waits at most SERVING_TIMEOUT_S.
SERVING_BATCH_MAX = 16
SERVING_WAIT_S = 0.004
SERVING_TIMEOUT_S = 60.0
# What a model said about photos it saw lately, answered again without it (a class pressing "Random test
# photo", a shared sample), kept per model: the model input (150 KB at 224 × 224) and a few numbers each.
PREDICTIONS_CACHED_MAX = 256
PREDICTIONS_CACHED_BYTES_MAX = 48_000_000

# A dog probability at or above this is a dog; below it, a cat.
DOG_THRESHOLD = 0.5
# Between these two probabilities the verdict is "not sure" rather than cat or dog.
UNSURE_BAND = (0.4, 0.6)
# What the Classify page keeps for one visitor (photos, as JPEGs of at most 1024 pixels a side):
# enough for a class's photos, and a bound on one session's memory on a shared demo server.
KEPT_PHOTOS_MAX = 30
KEPT_BYTES_MAX = 30_000_000
# What one session may hold at once in Streamlit's upload store (catdog.uploads): a batch of KEPT_PHOTOS_MAX
# phone photos of about 5 MB, and the Lesson page's photo and a camera snapshot besides. Past either bound
# an upload is refused (HTTP 413), so a script that uploads without end cannot fill the server's memory.
UPLOADS_HELD_FILES_MAX = KEPT_PHOTOS_MAX + 2
UPLOADS_HELD_BYTES_MAX = 160_000_000
# A file no widget has read this many seconds after its session's last upload is dropped: a page reads a
# batch the moment its last file arrives, so only uploads sent past the page (straight to the URL) stay so long.
UNCLAIMED_UPLOAD_S = 20.0
# After a burst of freed memory (sessions ending, uploads dropped, an evaluation) the server collects garbage
# and hands free pages back to the OS once, this long after the first (catdog.memory.MemoryReleaser).
MEMORY_RELEASE_DELAY_S = 5.0
# A model whose validation or test accuracy lies in this band is guessing (two balanced classes: a coin
# toss scores 50%): the picker and the runs table say so, and it is never the picker's default.
GUESSING_BAND = (0.45, 0.55)
# The Train page's live panel redraws this often while a run trains, and looks for a new run this often.
LIVE_PANEL_SECONDS = 1.0
IDLE_PANEL_SECONDS = 3.0
# Password mode, for the whole server (catdog.guard): at most PASSWORD_TRIES wrong guesses in any
# PASSWORD_WINDOW_S, then none is heard until the oldest leaves the window; after each wrong guess the next
# is heard only after PASSWORD_DELAY_S, doubling with each wrong guess in the window.
PASSWORD_TRIES = 10
PASSWORD_DELAY_S = 1.0
PASSWORD_WINDOW_S = 60.0
# Password mode: how many visitors' runs (model and record) a server keeps; the bundled models stay.
PUBLIC_RUNS_KEPT = 10

# The Train page's small-data option: few enough photos per class for a convnet to learn them by heart.
SMALL_DATA_PER_CLASS = 100

# A run needs at least this many training photos of each class: with fewer, no setting learns anything that
# a validation score could show, and a teacher hears it before minutes of decoding and backbone features.
MIN_TRAIN_PHOTOS_PER_CLASS = 4
# Fine-tuning a pretrained backbone ends early once validation loss has not improved for this many epochs.
FINE_TUNE_PATIENCE = 1

# precision "auto" takes bfloat16 when its probe step (catdog.precision) takes at most this share of float32's
# time: a margin over the jitter of timing a few milliseconds on busy cores. Native bfloat16 took 0.7-0.87 of it
# on an AMD EPYC with AVX512-BF16; under ONEDNN_MAX_CPU_ISA=AVX2 (a laptop's instructions) it does not run at all.
BFLOAT16_TIME_SHARE = 0.9

# CATDOG_TRAINING: "on", "off" (a hosted demo) or "password" (CATDOG_TRAINING_PASSWORD unlocks it).
TRAINING_MODES = ("on", "off", "password")
log = logging.getLogger("catdog")
# CATDOG_LOG_LEVEL=INFO: the server's terminal also shows what each visitor's work cost (photos kept, evaluations
# computed, sessions closed, memory returned); unset, only warnings and errors reach it (Python's last resort).
if os.environ.get("CATDOG_LOG_LEVEL"):
    _terminal = logging.StreamHandler()
    _terminal.setFormatter(logging.Formatter("%(asctime)s catdog %(levelname)s: %(message)s"))
    log.addHandler(_terminal)
    log.setLevel(os.environ["CATDOG_LOG_LEVEL"].upper())
    log.propagate = False


def training_setting(secrets: Mapping | None = None) -> tuple[str, str]:
    """(mode, password) from Streamlit's secrets (`training`, `training_password`), else the environment.

    Fails closed: a mode that is not one of TRAINING_MODES (a typo such as "false") turns training off.
    """
    secrets = secrets or {}
    mode = str(secrets.get("training", os.environ.get("CATDOG_TRAINING", "on"))).strip().lower()
    password = str(secrets.get("training_password", os.environ.get("CATDOG_TRAINING_PASSWORD", "")))
    if mode not in TRAINING_MODES:
        log.error("CATDOG_TRAINING=%r is not one of %s: training is off", mode, ", ".join(TRAINING_MODES))
        mode = "off"
    return mode, password


@dataclass
class TrainConfig:
    """Everything that decides how a model is trained; saved in its run record."""

    # Photos are squashed to (image_size, image_size) RGB. 80, not the book's 150: at 96 and 128 pixels validation
    # climbed about as fast epoch by epoch, each epoch costing 1.5 and 2 to 2.5 times as long; at 64 it stopped at 0.834
    # (docs/models.md, "From scratch"; python -m bench.train_speed --sizes 80 128).
    image_size: int = 80
    epochs: int = 30
    batch_size: int = 32
    learning_rate: float = 3e-3  # peak of a one-cycle schedule: warm up, then cosine down
    weight_decay: float = 5e-4  # AdamW decoupled weight decay
    augment: bool = True  # random flips, rotations, zooms, shifts, contrast: the cure for overfitting
    limit_per_class: int | None = None  # train on the first N photos of each class (small-data story)
    width: int = 24  # filters in the stem; doubled at each of the three stages (0.7 M parameters)
    dropout: float = 0.3
    precision: str = "auto"  # "auto": bfloat16 where a probe finds it runs and is faster (catdog.precision)
    seed: int = 1337
    # Transfer learning: an ImageNet backbone ("mobilenet_v2" or "mobilenet") instead of the convnet.
    pretrained: str | None = None
    fine_tune_epochs: int = 0  # the last this-many epochs also train the top of the backbone
    fine_tune_learning_rate: float = 1e-4  # low: large steps would wreck what ImageNet taught it
    # With augmentation, a pretrained run computes the frozen backbone once for each photo as it is and for this
    # many augmented views of it, and learns from those cached features instead of a forward pass per step.
    # One: on the shifted test photos of bench/robustness.py, 2 and 4 views scored no better and cost more.
    augmented_views: int = 1

    @property
    def started_from(self) -> str:
        """'scratch', or the pretrained backbone's title ('MobileNetV2 1.0'): what pages and tables show."""
        if not self.pretrained:
            return "scratch"
        return BACKBONES[self.pretrained].title if self.pretrained in BACKBONES else self.pretrained

    @classmethod
    def small_data(cls, **changes) -> TrainConfig:
        """The overfitting lesson from scratch: 100 photos per class, no augmentation, 20 epochs.

        Enough epochs for training accuracy to reach 100% while validation stays near 68%, and few
        enough to take about a minute on 2 cores; with augmentation on, training ends near 86%, the
        gap 19 points instead of 32 (docs/overfitting.png).
        """
        return cls(**(dict(limit_per_class=SMALL_DATA_PER_CLASS, augment=False, epochs=20) | changes))

    @classmethod
    def transfer(cls, backbone: str = "mobilenet_v2", **changes) -> TrainConfig:
        """Defaults for a pretrained backbone: its 224 px input, a few head epochs, then a short fine-tune.

        Without augmentation: on the shared photos it scored as well or better on the test split and on
        bench/robustness.py's shifts as with 1, 2 or 4 augmented views, in a third to a half of the time
        (python -m bench.transfer_speed, docs/models.md).
        """
        values = dict(epochs=8, fine_tune_epochs=3, learning_rate=1e-3, dropout=0.2, augment=False)
        values["image_size"] = PRETRAINED_IMAGE_SIZE
        return cls(pretrained=backbone, **(values | changes))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping) -> TrainConfig:
        """Rebuild a saved config, ignoring keys this version does not know (or no longer uses).

        Raises ValueError for a value of the wrong kind ("epochs": "many"), which would fail later.
        """
        kinds = get_type_hints(cls)
        kept = {key: value for key, value in values.items() if key in kinds}
        for key, value in kept.items():
            kind = float | int if kinds[key] is float else kinds[key]  # JSON writes 1e-3 as a float, 1.0 as 1.0
            if not isinstance(value, kind) or (isinstance(value, bool) and kinds[key] is not bool):
                raise ValueError(f"{key} is {value!r}, not {kinds[key]}")
        return cls(**kept)


# "Neither a cat nor a dog" (catdog/neither.py): the share of real pet photos (the validation split's and
# their varied views) that the check may wrongly flag; it sets the distance threshold, saved beside the model
# in NAME.neither.npz. At 0.5%, with the flat-colour margin below, 18 of 4,250 test photos as they are, taken
# as phones do and shifted (0.42%) were flagged, and 99.5% of drawn and found non-pet images
# (python -m bench.neither_calibration).
NEITHER_FLAG_RATE = 0.005
# A photo's distance is its mean cosine distance to this many most similar training photos (or their views).
NEITHER_NEIGHBOURS = 10
# Varied views (catdog.neither.varied_views) of each training photo kept beside it, and of each validation
# photo that set the threshold, with one more of it small in a big frame: before them, 5.5% of those
# 4,250 real pets were flagged.
NEITHER_TRAINING_VIEWS = 2
NEITHER_CALIBRATION_VIEWS = 3
# Features are compared within the training features' 128 main directions (of 1,280): a photo's share
# outside them counts as distance. No more real pets flagged than in all 1,280, and a file of 1.7 MB, not 12.
NEITHER_DIRECTIONS = 128
# Drawings, icons and screenshots are mostly exactly flat colour (a median of 57-72% of their pixels equal their
# right and lower neighbours at 224 px), photos almost never (1%; at most 78%, overexposed or blocky JPEG): a
# photo's distance grows by NEITHER_FLAT_WEIGHT × (its flat share − NEITHER_FLAT_FROM) where positive. Chosen on
# drawings from seeds the bench never draws (94.1% caught without it, 99.4% with) and the validation photos
# (1 of 1,000 flagged).
NEITHER_FLAT_FROM = 0.4
NEITHER_FLAT_WEIGHT = 0.1
NEITHER_SUFFIX = ".neither.npz"
# A model's layers up to its last feature map, converted for LiteRT and saved beside it (catdog/lite.py).
LITE_SUFFIX = ".lite.npz"

# The lesson (catdog/lesson.py, issue #13): three runs on the same 100 photos per class in one class.
LESSON_MINUTES = 45
# Talking outside the runs: an introduction (5 min), each step's notes before and after it (3 × 5),
# and the wrap-up with the three runs on one chart and a class photo's heatmaps (10). Runs get the rest.
LESSON_TALK_MINUTES = 30
# The pretrained step fits a new head on backbone features computed once, a fraction of a second an
# epoch, so its epochs cost nothing; validation passed 95% at epoch 3 and settled at 97.7% by epoch 7
# (python -m bench.lesson_time). No fine-tuning: it would run the backbone's top blocks on every photo
# each epoch, for a class that has already seen the point.
LESSON_TRANSFER_EPOCHS = 10
# The notes speak of the usual dataset: 100 training photos a class, judged on 1,000 validation photos.
LESSON_VALIDATION_PHOTOS = 1000
LESSON_FINE_TUNE_EPOCHS = 0
