"""The dataset picker the Train, Evaluate and Lesson pages share: the folders found under the data folder."""

from collections.abc import Callable
from pathlib import Path

import streamlit as st

from catdog import config
from catdog.data import Dataset, find_dataset, folders_stamp, list_datasets
from pages.language import t


def dataset_name(root: Path) -> str:
    """A dataset as the picker names it: its folder relative to the data folder (never a server path)."""
    return str(root.relative_to(config.DATA_DIR)) if root != config.DATA_DIR else root.name


def datasets() -> list[Path]:
    """The datasets under the data folder: listed again only when its folders change (a download shows at once)."""
    return _datasets(config.DATA_DIR, folders_stamp(config.DATA_DIR))


def dataset(root: Path) -> Dataset:
    """find_dataset(root), listed again only when the dataset's folders change: listing 3,500 photos takes a
    tenth of a second, and the pages that use it rerun on every click."""
    return _dataset(root, folders_stamp(root, depth=2))


def pick_dataset(key: str, none_text: str, container=st, when_none: Callable[[], None] | None = None) -> Path:
    """The picked dataset; with none, say so and stop the page.

    `when_none` draws what helps then (the Train page's download button); `container` is where the picker goes.
    """
    found = datasets()
    if not found:
        st.info(none_text)
        if when_none:
            when_none()
        st.stop()
    return container.selectbox(t("common.dataset"), found, key=key, format_func=dataset_name)


def dataset_counts(root: Path) -> dict[str, dict[str, int]]:
    return dataset(root).counts()


def smallest_class(root: Path, split: str = "train") -> int:
    """How many photos the split's smaller class has: what a run limited per class can actually get."""
    return min(dataset_counts(root).get(split, {}).values(), default=0)


@st.cache_resource(show_spinner=False, max_entries=4)  # read only: no copy per visitor and run
def _datasets(data_dir: Path, stamp: tuple) -> list[Path]:
    return list_datasets(data_dir)


@st.cache_resource(show_spinner=False, max_entries=16)
def _dataset(root: Path, stamp: tuple) -> Dataset:
    return find_dataset(root)
