"""The dataset picker the Train, Evaluate and Lesson pages share: the folders found under the data folder."""

from collections.abc import Callable
from pathlib import Path

import streamlit as st

from catdog import config
from catdog.data import find_dataset, folders_stamp, list_datasets
from pages.language import t


def dataset_name(root: Path) -> str:
    """A dataset as the picker names it: its folder relative to the data folder (never a server path)."""
    return str(root.relative_to(config.DATA_DIR)) if root != config.DATA_DIR else root.name


def pick_dataset(key: str, none_text: str, container=st, when_none: Callable[[], None] | None = None) -> Path:
    """The picked dataset, listed afresh each run so new data shows at once; with none, say so and stop the page.

    `when_none` draws what helps then (the Train page's download button); `container` is where the picker goes.
    """
    datasets = list_datasets(config.DATA_DIR)
    if not datasets:
        st.info(none_text)
        if when_none:
            when_none()
        st.stop()
    return container.selectbox(t("common.dataset"), datasets, key=key, format_func=dataset_name)


def dataset_counts(root: Path) -> dict[str, dict[str, int]]:
    """{"train": {"cat": 1000, "dog": 1000}, ...}: listed again only when the dataset's folders change."""
    return _counts(str(root), folders_stamp(root, depth=2))


def smallest_class(root: Path, split: str = "train") -> int:
    """How many photos the split's smaller class has: what a run limited per class can actually get."""
    return min(dataset_counts(root).get(split, {}).values(), default=0)


@st.cache_data(show_spinner=False, max_entries=16)
def _counts(root: str, stamp: tuple) -> dict[str, dict[str, int]]:
    return find_dataset(root).counts()
