"""The visitor's language: picked before anything is drawn, kept across pages; every page's text goes through t()."""

import streamlit as st

from catdog.config import PHOTO_FORMATS, UPLOADS_HELD_FILES_MAX
from catdog.i18n import DEFAULT_LANGUAGE, LANGUAGES, pick_language, translate

LANGUAGE_KEY = "language"  # session state: the visitor's language, kept across pages


def language() -> str:
    """This visitor's language code ("en", "zh"), as choose_language() set it for this run."""
    return st.session_state.get(LANGUAGE_KEY, DEFAULT_LANGUAGE)


def t(key: str, **fields) -> str:
    """The catalogue's sentence `key` in this visitor's language, with its {fields} filled in."""
    return translate(key, language(), **fields)


def choose_language() -> str:
    """This run's language, decided before anything is drawn: the link's ?lang=, else the visitor's earlier
    choice, else the browser's language. The address bar then says it, so a copied link keeps it."""
    browser = st.context.locale or st.context.headers.get("Accept-Language")
    chosen = pick_language(st.query_params.get("lang"), st.session_state.get(LANGUAGE_KEY), browser)
    st.session_state[LANGUAGE_KEY] = chosen
    if st.query_params.get("lang") != chosen:
        st.query_params["lang"] = chosen
    return chosen


def language_ui() -> None:
    """The sidebar's language picker; a change also rewrites ?lang=, which choose_language() reads first.

    Also the uploader's own words in this language: Streamlit has no setting for them.
    """
    st.html(f"<style>{uploader_css()}</style>")  # only a style: Streamlit puts it where it takes no room
    st.sidebar.selectbox(
        "🌐 " + t("common.language"),
        list(LANGUAGES),
        format_func=LANGUAGES.get,
        key=LANGUAGE_KEY,
        on_change=lambda: st.query_params.update(lang=st.session_state[LANGUAGE_KEY]),
    )


def uploader_css() -> str:
    """CSS that draws our words over the file uploader's built-in English ("Upload", "50MB per file • JPG, …"),
    says on a refused file's chip what is taken (Streamlit shows only a red icon, its reason for screen readers
    only: over the size limit, or past the session's upload budget, catdog.uploads), and
    shows every chip of a large batch rather than two rows and a cut third."""
    megabytes = st.get_option("server.maxUploadSize")
    button = '[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"] p'
    limits = '[data-testid="stFileUploaderDropzoneInstructions"] span'
    too_big = '[data-testid="stFileChip"][aria-invalid="true"] [data-testid="stFileChipName"] + div'
    said = {
        "button": _css_text(t("uploader.button")),
        "limits": _css_text(t("uploader.limits", megabytes=megabytes, formats=", ".join(PHOTO_FORMATS))),
        "too_big": _css_text(t("uploader.too_big", megabytes=megabytes, files=UPLOADS_HELD_FILES_MAX)),
    }
    return (
        # every chip of a class's 30 photos, not two rows and a third cut off
        '[data-testid="stFileUploader"] [data-testid="stFileChips"] { max-height: none; }'
        f"{button}, {limits} {{ font-size: 0; }}"
        f"{button}::after {{ content: {said['button']}; font-size: 1rem; }}"
        f"{limits}::after {{ content: {said['limits']}; font-size: 0.875rem; }}"
        f"{too_big}::after {{ content: {said['too_big']}; color: #c92a2a; }}"
    )


def _css_text(text: str) -> str:
    """A CSS string: the catalogue's words, quoted, never able to end the rule."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3C ").replace("\n", " ") + '"'


def curve_chart_config() -> dict:
    """Plotly's options for the training curves: its toolbar (zoom, save…) speaks only English, so a visitor
    reading another language gets the curves without it rather than English tooltips."""
    return {} if language() == DEFAULT_LANGUAGE else {"displayModeBar": False}
