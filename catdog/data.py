"""Find labelled photos on disk (split folders or Kaggle's flat folder) and decode them once."""

from __future__ import annotations

import os
import random
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from catdog.config import CLASS_FOLDERS, CLASS_NAMES, PHOTO_SUFFIXES, SPLITS
from catdog.i18n import TranslatedError
from catdog.photos import PhotoError, load_photo, model_input

# Kaggle's "Dogs vs. Cats" names photos cat.123.jpg / dog.45.jpg in one folder.
KAGGLE_NAME = re.compile(r"^(cat|dog)[._-]", re.IGNORECASE)
KAGGLE_SPLIT = {"train": 0.8, "validation": 0.1}  # the rest is test


@dataclass
class Dataset:
    """Labelled photo paths per split; label 0 is cat, 1 is dog."""

    root: Path
    layout: str  # "folders" (SPLIT/cats, SPLIT/dogs) or "kaggle" (one folder of cat.N.jpg)
    splits: dict[str, list[tuple[Path, int]]] = field(default_factory=dict)

    def counts(self) -> dict[str, dict[str, int]]:
        """{"train": {"cat": 1000, "dog": 1000}, ...} for every split present."""
        return {
            split: {name: sum(1 for _, label in items if label == i) for i, name in enumerate(CLASS_NAMES)}
            for split, items in self.splits.items()
        }


class DatasetError(TranslatedError, ValueError):
    """A folder that is not a usable dataset; the message says what is missing.

    The message names the dataset by its folder's name, as the Train page's picker does: a visitor never
    reads a server path. str() adds the path, for the command line's traceback and the server's log.
    """

    def __init__(self, key: str, root: str | Path, **fields) -> None:
        super().__init__(key, folder=Path(root).name, **fields)
        self.root = Path(root)

    def __str__(self) -> str:
        return f"{self.message()} ({self.root})"


def find_dataset(root: str | Path) -> Dataset:
    """Read a dataset folder: train/ and validation/ (and maybe test/) with cats/ and dogs/, or Kaggle's flat layout."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError("dataset_error.not_a_folder", root)
    if (root / "train").is_dir() and any((root / "train" / c).is_dir() for c in CLASS_FOLDERS):
        splits = {s: labelled_photos(root / s) for s in SPLITS if (root / s).is_dir()}
        return Dataset(root, "folders", splits)
    flat = root / "train" if (root / "train").is_dir() else root
    named = [p for p in _photos_in(flat) if KAGGLE_NAME.match(p.name)]
    if named:
        return Dataset(root, "kaggle", split_labelled([(p, kaggle_label(p.name)) for p in named]))
    raise DatasetError("dataset_error.no_layout", root)


def labelled_photos(folder: str | Path) -> list[tuple[Path, int]]:
    """(path, label) for every photo in folder/cats and folder/dogs, in natural name order."""
    folder = Path(folder)
    return [
        (path, label) for label, class_folder in enumerate(CLASS_FOLDERS) for path in _photos_in(folder / class_folder)
    ]


def kaggle_label(file_name: str) -> int:
    """0 for Kaggle's cat.N.jpg, 1 for dog.N.jpg (the name must match KAGGLE_NAME)."""
    return CLASS_NAMES.index(KAGGLE_NAME.match(file_name).group(1).lower())


def list_datasets(data_dir: str | Path) -> list[Path]:
    """Dataset folders at data_dir or up to two levels below it (data/cats_vs_dogs_small)."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        return []
    children = _subfolders(data_dir)
    found: list[Path] = []
    for candidate in [data_dir, *children, *(g for child in children for g in _subfolders(child))]:
        if any(candidate.is_relative_to(dataset) for dataset in found):
            continue  # a split folder inside a dataset already found
        try:
            find_dataset(candidate)
        except DatasetError:
            continue
        found.append(candidate)
    return sorted(found)


def limit_per_class(items: list[tuple[Path, int]], limit: int | None) -> list[tuple[Path, int]]:
    """The first `limit` photos of each class, in the order given (the book's 100 vs 1,000 story)."""
    if not limit:
        return items
    taken = {label: 0 for label in range(len(CLASS_NAMES))}
    kept = []
    for path, label in items:
        if taken[label] < limit:
            kept.append((path, label))
            taken[label] += 1
    return kept


@dataclass
class DecodedPhotos:
    """A split decoded once into memory: pixels (n, size, size, 3) uint8 and labels (n,)."""

    pixels: np.ndarray
    labels: np.ndarray
    unreadable: list[tuple[str, str]]  # (path, reason) for files that were skipped


def decode_photos(
    items: list[tuple[Path, int]],
    image_size: int,
    workers: int = 4,
    progress: Callable[[str, int, int], None] | None = None,
) -> DecodedPhotos:
    """Decode and resize every photo once, skipping (and reporting) files that cannot be read.

    progress("decoding", done, total) is called every 50 photos, for a progress bar.
    """

    def decode(item: tuple[Path, int]) -> np.ndarray | str:
        try:
            return model_input(load_photo(item[0]), image_size)  # the same steps as classifying one photo
        except PhotoError as error:
            return str(error)

    results = []
    with ThreadPoolExecutor(workers) as pool:  # Pillow releases the GIL while decoding
        for result in pool.map(decode, items):
            results.append(result)
            if progress and (len(results) % 50 == 0 or len(results) == len(items)):
                progress("decoding", len(results), len(items))
    good = [(pixels, label) for pixels, (_, label) in zip(results, items) if not isinstance(pixels, str)]
    unreadable = [(str(path), reason) for reason, (path, _) in zip(results, items) if isinstance(reason, str)]
    pixels = np.stack([p for p, _ in good]) if good else np.zeros((0, image_size, image_size, 3), np.uint8)
    labels = np.array([label for _, label in good], dtype=np.float32)
    return DecodedPhotos(pixels, labels, unreadable)


def _natural_key(path: Path) -> list:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


def _photos_in(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    photos = [p for p in folder.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES and p.is_file()]
    return sorted(photos, key=_natural_key)


def folders_stamp(data_dir: str | Path, depth: int = 4) -> tuple[tuple[str, int], ...]:
    """Each folder's modification time, from data_dir down `depth` levels (data/DATASET/SPLIT/CLASS and one more).

    Adding or removing a dataset, a split or a photo changes it, so a listing cached under it notices new data at
    once: a few milliseconds where listing the photos again takes a tenth of a second.
    """
    stamp, level = [], [str(data_dir)]
    for _ in range(depth + 1):
        below = []
        for folder in level:
            try:
                stamp.append((folder, os.stat(folder).st_mtime_ns))
                with os.scandir(folder) as entries:
                    below += [e.path for e in entries if e.is_dir() and not e.name.startswith(".")]
            except OSError:
                continue  # gone since it was listed
        level = below
    return tuple(sorted(stamp))


def _subfolders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def split_labelled(items: list[tuple[Path, int]]) -> dict[str, list[tuple[Path, int]]]:
    """Shuffle each class with a fixed seed and cut it 80/10/10, so every split keeps both classes.

    Photos are ordered by name before shuffling, so the same files split the same way on any machine.
    """
    splits: dict[str, list[tuple[Path, int]]] = {s: [] for s in SPLITS}
    for label in range(len(CLASS_NAMES)):
        members = sorted((path for path, item_label in items if item_label == label), key=_natural_key)
        random.Random(label).shuffle(members)
        n_train = round(len(members) * KAGGLE_SPLIT["train"])
        n_val = max(1, round(len(members) * KAGGLE_SPLIT["validation"])) if len(members) > 2 else 0
        parts = {
            "train": members[:n_train],
            "validation": members[n_train : n_train + n_val],
            "test": members[n_train + n_val :],
        }
        for split, chosen in parts.items():
            splits[split].extend((p, label) for p in sorted(chosen, key=_natural_key))
    return splits
