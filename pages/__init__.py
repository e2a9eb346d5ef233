"""The app's pages: app.py routes to them with st.navigation, and each calls route_through_app() first."""

from pathlib import Path

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx, script_runner


def route_through_app() -> None:
    """Rerun a page that Streamlit's legacy pages/ router ran on its own, so that app.py routes it.

    A folder named pages/ beside app.py starts every server in Streamlit's legacy multipage mode
    (PagesManager.uses_pages_directory), which lasts until a run calls st.navigation. Until then
    Streamlit routes each request itself: / runs app.py, which calls st.navigation and ends the
    mode, but a fresh server's first request to /train runs pages/train.py alone, with a sidebar
    listing every file in pages/ and without app.py's navigation, model picker and wide layout;
    app.py never runs, so the mode never ends. The rerun happens with the mode ended, so app.py
    runs and routes to the same page (a page's URL is its file's name either way).

    This run's pages tell a legacy run, not the process-wide flag: a visitor whose first run
    started before another visitor's run ended the mode is still being routed the legacy way.
    """
    ctx = get_script_run_ctx()
    if ctx is None:  # plain Python, not a Streamlit run
        return
    app = Path(ctx.pages_manager.main_script_path).resolve()
    scripts = {Path(page["script_path"]).resolve() for page in ctx.pages_manager.get_pages().values()}
    if app in scripts and len(scripts) > 1:  # the legacy router lists app.py beside the pages; app.py's never does
        PagesManager.uses_pages_directory = False  # what st.navigation itself sets
        st.rerun()


def keep_tensorflow_kernels() -> None:
    """Stop Streamlit from clearing Keras's session after every script run.

    Streamlit ends each run with script_runner._clean_problem_modules, which calls
    keras.backend.clear_session(): that empties TensorFlow's kernel cache and collects garbage, so
    the next prediction rebuilds the model's kernels. Measured here (MobileNetV2): 0.8 s of CPU
    for a prediction after a clear against 0.04 s, plus 0.5 s for the clear itself, on every run
    of every page, the Train page's live panel's each second included. The pages build no models
    (training runs in its own process), so the clear frees nothing they need freed.
    """
    if hasattr(script_runner, "_clean_problem_modules"):
        script_runner._clean_problem_modules = _clean_nothing


def _clean_nothing() -> None:
    """What Streamlit's cleanup does for catdog: nothing (it only uses Keras, and no pyplot)."""
