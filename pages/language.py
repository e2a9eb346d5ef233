"""The visitor's language: picked before anything is drawn, kept across pages; every page's text goes through t()."""

import streamlit as st

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
    """The sidebar's language picker; a change also rewrites ?lang=, which choose_language() reads first."""
    st.sidebar.selectbox(
        "🌐 " + t("common.language"),
        list(LANGUAGES),
        format_func=LANGUAGES.get,
        key=LANGUAGE_KEY,
        on_change=lambda: st.query_params.update(lang=st.session_state[LANGUAGE_KEY]),
    )
