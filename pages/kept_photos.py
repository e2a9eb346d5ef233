"""The photos a visitor has given the Classify page (newest first), which the Lesson page offers as well."""

import streamlit as st

from catdog.photos import KeptPhoto

KEPT_PHOTOS_KEY = "kept_photos"  # session state: list[KeptPhoto], bounded by config.KEPT_PHOTOS_MAX


def kept_photos() -> list[KeptPhoto]:
    return st.session_state.get(KEPT_PHOTOS_KEY, [])


def set_kept_photos(photos: list[KeptPhoto]) -> None:
    st.session_state[KEPT_PHOTOS_KEY] = photos
