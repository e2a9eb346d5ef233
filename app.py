"""catdog's web app: `streamlit run app.py`. Builds the navigation, the sidebar's language and model pickers
and its presentation switch."""

import streamlit as st

from pages import keep_tensorflow_kernels
from pages.downloads import model_download_ui
from pages.language import choose_language, language_ui, t
from pages.lost_session import lost_session_ui
from pages.server_memory import guard_server_memory
from pages.sidebar import choose_presentation, model_picker_ui, presentation_ui

keep_tensorflow_kernels()
guard_server_memory()  # bounds uploads and frees what closed sessions held, once per server process
choose_language()  # first: the page titles below are in the visitor's language
choose_presentation()
st.set_page_config(page_title=t("app.tab_title"), page_icon="🐾", layout="wide")
page = st.navigation(
    [  # each page's URL comes from its file name (/classify, /evaluate, /train) in every language
        st.Page("pages/classify.py", title=t("app.classify"), icon="🔍", default=True),
        st.Page("pages/evaluate.py", title=t("app.evaluate"), icon="📊"),
        st.Page("pages/train.py", title=t("app.train"), icon="📈"),
        st.Page("pages/lesson.py", title=t("app.lesson"), icon="🎓"),
    ]
)
lost_session_ui()  # above every page: a visitor who came back to a restarted server is told why the page is empty
language_ui()
presentation_ui()
picked = model_picker_ui()
if picked:
    model_download_ui(picked)
page.run()
