"""The one place that defines catdog's facts: class names, folders, sizes and training defaults."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

# Label rule, stated once: 0 is cat, 1 is dog; a model outputs the dog probability.
CLASS_NAMES = ("cat", "dog")
CLASS_FOLDERS = ("cats", "dogs")  # SPLIT/cats, SPLIT/dogs: alphabetical, so label 0 = cats
SPLITS = ("train", "validation", "test")

PROJECT_DIR = Path(__file__).resolve().parent.parent
MODELS_DIR = Path(os.environ.get("CATDOG_MODELS_DIR", PROJECT_DIR / "models"))
BUNDLED_MODEL = PROJECT_DIR / "models" / "catdog.keras"
DATA_DIR = Path(os.environ.get("CATDOG_DATA_DIR", PROJECT_DIR / "data"))

# Between these two probabilities the verdict is "not sure" rather than cat or dog.
UNSURE_BAND = (0.4, 0.6)


@dataclass
class TrainConfig:
    """Everything that decides how a model is trained; saved with the model's metadata."""

    image_size: int = 128  # photos are squashed to (image_size, image_size) RGB
    epochs: int = 40
    batch_size: int = 32
    learning_rate: float = 3e-3  # peak of a one-cycle schedule: warm up, then cosine down
    weight_decay: float = 5e-4  # AdamW decoupled weight decay
    augment: bool = True  # random flips, rotations, zooms, shifts, contrast: the cure for overfitting
    limit_per_class: int | None = None  # train on the first N photos of each class (small-data story)
    width: int = 24  # filters in the stem; doubled at each of the three stages (0.7 M parameters)
    dropout: float = 0.3
    precision: str = "auto"  # "auto" picks bfloat16 where the CPU computes it natively
    seed: int = 1337

    def to_dict(self) -> dict:
        return asdict(self)
