"""catdog.data: finding labelled photos on disk (split folders or Kaggle's flat folder) and decoding them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from catdog.data import (
    DatasetError,
    decode_photos,
    find_dataset,
    labelled_photos,
    limit_per_class,
    list_datasets,
)


def make_kaggle_folder(folder: Path, per_class: int = 20, order=None) -> Path:
    """Kaggle's "Dogs vs. Cats" layout: one folder of cat.N.jpg and dog.N.jpg, made with Pillow."""
    folder.mkdir(parents=True, exist_ok=True)
    numbers = list(range(1, per_class + 1))
    for n in order(numbers) if order else numbers:
        for name, colour in (("cat", (200, 120, 40)), ("dog", (40, 90, 200))):
            Image.new("RGB", (12, 10), colour).save(folder / f"{name}.{n}.jpg", quality=80)
    return folder


def names(items) -> list[str]:
    return [path.name for path, _ in items]


# --- a real dataset: the shared one, or the one the download command fetched -----------------------


def test_a_real_dataset_is_found_as_split_folders_with_every_photo_on_disk_counted(photo_dataset: Path):
    """Whatever its size (the shared set, the download, a smaller mirror), and with or without test/."""
    dataset = find_dataset(photo_dataset)
    assert dataset.layout == "folders"
    assert dataset.root == photo_dataset
    on_disk = {
        split: {name: len(list((photo_dataset / split / f"{name}s").glob("*.jpg"))) for name in ("cat", "dog")}
        for split in ("train", "validation", "test")
        if (photo_dataset / split).is_dir()
    }
    assert on_disk["train"]["cat"] and on_disk["validation"]["dog"]  # photos, not empty folders
    assert dataset.counts() == on_disk


def test_labels_follow_the_folders_cats_are_0_and_dogs_are_1(photo_dataset: Path):
    dataset = find_dataset(photo_dataset)
    for items in dataset.splits.values():
        for path, label in items:
            assert path.parent.name == ("cats", "dogs")[label]
            assert path.name.startswith(("cat.", "dog.")[label])


def test_a_string_path_works_as_well_as_a_path(photo_dataset: Path):
    assert find_dataset(str(photo_dataset)).counts() == find_dataset(photo_dataset).counts()


def test_a_folders_dataset_without_a_test_split_has_only_train_and_validation(tmp_path: Path, make_dataset):
    root = make_dataset(tmp_path / "small", train=3, validation=2, test=0)
    dataset = find_dataset(root)
    assert dataset.layout == "folders"
    assert dataset.counts() == {"train": {"cat": 3, "dog": 3}, "validation": {"cat": 2, "dog": 2}}


# --- Kaggle's flat layout ----------------------------------------------------------------------


def test_a_kaggle_folder_of_cat_n_and_dog_n_photos_is_split_80_10_10_keeping_both_classes(tmp_path: Path):
    root = make_kaggle_folder(tmp_path / "kaggle")
    dataset = find_dataset(root)

    assert dataset.layout == "kaggle"
    assert set(dataset.splits) == {"train", "validation", "test"}
    for split, items in dataset.splits.items():
        assert {label for _, label in items} == {0, 1}, f"{split} lacks a class"
    assert dataset.counts() == {
        "train": {"cat": 16, "dog": 16},
        "validation": {"cat": 2, "dog": 2},
        "test": {"cat": 2, "dog": 2},
    }
    for items in dataset.splits.values():
        for path, label in items:
            assert path.name.startswith(("cat.", "dog.")[label])


def test_no_kaggle_photo_lands_in_two_splits_and_none_is_lost(tmp_path: Path):
    root = make_kaggle_folder(tmp_path / "kaggle")
    dataset = find_dataset(root)
    all_paths = [path for items in dataset.splits.values() for path, _ in items]
    assert len(all_paths) == len(set(all_paths)) == 40
    assert set(all_paths) == set(root.glob("*.jpg"))


def test_the_kaggle_split_is_the_same_every_time(tmp_path: Path):
    first = find_dataset(make_kaggle_folder(tmp_path / "a")).splits
    again = find_dataset(tmp_path / "a").splits
    assert first == again
    # A copy made in a different order (another machine, another file system) splits the same way.
    other = find_dataset(make_kaggle_folder(tmp_path / "b", order=lambda ns: list(reversed(ns)))).splits
    assert {s: names(items) for s, items in other.items()} == {s: names(items) for s, items in first.items()}


def test_the_kaggle_split_is_shuffled_not_just_the_first_names(tmp_path: Path):
    dataset = find_dataset(make_kaggle_folder(tmp_path / "kaggle"))
    train_cats = {name for name in names(dataset.splits["train"]) if name.startswith("cat")}
    assert len(train_cats) == 16
    assert train_cats != {f"cat.{n}.jpg" for n in range(1, 17)}


def test_a_kaggle_folder_nested_as_root_train_is_found(tmp_path: Path):
    root = tmp_path / "dogs-vs-cats"
    make_kaggle_folder(root / "train")
    dataset = find_dataset(root)
    assert dataset.layout == "kaggle"
    assert dataset.root == root
    assert sum(sum(c.values()) for c in dataset.counts().values()) == 40


def test_other_files_in_a_kaggle_folder_are_ignored(tmp_path: Path):
    root = make_kaggle_folder(tmp_path / "kaggle", per_class=10)
    (root / "sampleSubmission.csv").write_text("id,label\n")
    (root / "readme.txt").write_text("hi")
    Image.new("RGB", (4, 4)).save(root / "horse.1.jpg")
    dataset = find_dataset(root)
    all_names = [name for items in dataset.splits.values() for name in names(items)]
    assert len(all_names) == 20
    assert not any(name.startswith(("horse", "sample", "readme")) for name in all_names)


# --- folders that are not datasets -----------------------------------------------------------


def test_a_folder_with_neither_layout_raises_dataset_error(tmp_path: Path):
    root = tmp_path / "holiday"
    root.mkdir()
    Image.new("RGB", (4, 4)).save(root / "beach.jpg")
    (root / "notes").mkdir()
    with pytest.raises(DatasetError, match="neither"):
        find_dataset(root)


def test_an_empty_folder_raises_dataset_error(tmp_path: Path):
    with pytest.raises(DatasetError):
        find_dataset(tmp_path)


def test_a_missing_folder_raises_dataset_error_not_a_crash(tmp_path: Path):
    with pytest.raises(DatasetError, match="not a folder"):
        find_dataset(tmp_path / "missing")


# --- natural order and per-class limits ------------------------------------------------------


def test_photos_are_listed_in_natural_order_so_cat_10_comes_after_cat_9(tmp_path: Path):
    for n in (1, 2, 9, 10, 11, 100):
        for class_folder, name in (("cats", "cat"), ("dogs", "dog")):
            (tmp_path / class_folder).mkdir(exist_ok=True)
            (tmp_path / class_folder / f"{name}.{n}.jpg").write_bytes(b"")
    items = labelled_photos(tmp_path)
    assert names(items) == [f"{c}.{n}.jpg" for c in ("cat", "dog") for n in (1, 2, 9, 10, 11, 100)]
    assert [label for _, label in items] == [0] * 6 + [1] * 6


def test_limit_per_class_keeps_the_first_five_of_each_class_in_name_order(photo_dataset: Path, photos_of):
    kept = limit_per_class(labelled_photos(photo_dataset / "train"), 5)
    first_five = [photo.name for folder in ("cats", "dogs") for photo in photos_of("train", folder)[:5]]
    assert names(kept) == first_five  # in natural order, whichever number the dataset starts from
    assert [label for _, label in kept] == [0] * 5 + [1] * 5


def test_limit_per_class_counts_past_nine_in_natural_order(tmp_path: Path):
    (tmp_path / "cats").mkdir()
    for n in range(1, 13):
        (tmp_path / "cats" / f"cat.{n}.jpg").write_bytes(b"")
    kept = limit_per_class(labelled_photos(tmp_path), 10)
    assert names(kept)[-2:] == ["cat.9.jpg", "cat.10.jpg"]


def test_limit_per_class_works_on_interleaved_items_and_keeps_their_order():
    items = [(Path(f"{name}.{n}.jpg"), label) for n in range(1, 5) for label, name in enumerate(("cat", "dog"))]
    kept = limit_per_class(items, 2)
    assert names(kept) == ["cat.1.jpg", "dog.1.jpg", "cat.2.jpg", "dog.2.jpg"]


def test_no_limit_keeps_everything():
    items = [(Path("cat.1.jpg"), 0), (Path("dog.1.jpg"), 1), (Path("dog.2.jpg"), 1)]
    assert limit_per_class(items, None) == items


def test_a_limit_larger_than_a_class_keeps_the_whole_class():
    items = [(Path("cat.1.jpg"), 0), (Path("dog.1.jpg"), 1), (Path("dog.2.jpg"), 1)]
    assert limit_per_class(items, 100) == items


# --- listing the datasets a data folder holds ----------------------------------------------------


def test_list_datasets_finds_a_real_dataset_under_its_parent_and_not_its_split_folders(photo_dataset: Path):
    found = list_datasets(photo_dataset.parent)
    assert photo_dataset in found
    assert not any(path != photo_dataset and path.is_relative_to(photo_dataset) for path in found)


def test_list_datasets_of_a_missing_folder_is_empty(tmp_path: Path):
    assert list_datasets(tmp_path / "missing") == []


def test_list_datasets_finds_both_layouts_one_and_two_levels_down(tmp_path: Path, make_dataset):
    make_dataset(tmp_path / "small", train=2, validation=1, test=0)
    make_kaggle_folder(tmp_path / "downloads" / "dogs-vs-cats" / "train", per_class=5)
    (tmp_path / "empty").mkdir()
    (tmp_path / ".hidden" / "x").mkdir(parents=True)
    assert list_datasets(tmp_path) == [tmp_path / "downloads" / "dogs-vs-cats", tmp_path / "small"]


# --- decoding ------------------------------------------------------------------------------------


def test_decode_photos_skips_a_corrupt_file_and_reports_it(photos_of, tmp_path: Path, not_a_photo):
    good = [(photos_of("test", "cats")[0], 0), *((dog, 1) for dog in photos_of("test", "dogs")[:2])]
    bad = not_a_photo(tmp_path / "cat.999.jpg")
    items = [good[0], (bad, 0), *good[1:]]

    decoded = decode_photos(items, image_size=40)

    assert decoded.pixels.shape == (3, 40, 40, 3)
    assert decoded.pixels.dtype == np.uint8
    assert decoded.labels.tolist() == [0, 1, 1]
    assert len(decoded.unreadable) == 1
    path, reason = decoded.unreadable[0]
    assert path == str(bad)
    assert "not an image" in reason
    assert all(decoded.pixels[i].std() > 5 for i in range(3))  # real photos, not blank filler


def test_decode_photos_keeps_the_order_of_the_items(photos_of):
    cat, dog = photos_of("test", "cats")[0], photos_of("test", "dogs")[0]
    forward = decode_photos([(cat, 0), (dog, 1)], image_size=24)
    backward = decode_photos([(dog, 1), (cat, 0)], image_size=24)
    assert forward.labels.tolist() == [0, 1] and backward.labels.tolist() == [1, 0]
    assert np.array_equal(forward.pixels[0], backward.pixels[1])
    assert np.array_equal(forward.pixels[1], backward.pixels[0])


def test_decode_photos_of_nothing_readable_gives_an_empty_batch(tmp_path: Path, not_a_photo):
    decoded = decode_photos([(not_a_photo(tmp_path / "a.jpg"), 0)], image_size=16)
    assert decoded.pixels.shape == (0, 16, 16, 3)
    assert decoded.pixels.dtype == np.uint8
    assert decoded.labels.shape == (0,)
    assert [p for p, _ in decoded.unreadable] == [str(tmp_path / "a.jpg")]
