"""catdog's web app: `streamlit run app.py`. Builds the navigation and the sidebar model picker."""

import streamlit as st

from pages.common import model_picker_ui

st.set_page_config(page_title="catdog: cat or dog?", page_icon="🐾", layout="wide")
page = st.navigation(
    [
        st.Page("pages/classify.py", title="Classify", icon="🔍", default=True),
        st.Page("pages/evaluate.py", title="Evaluate", icon="📊"),
        st.Page("pages/train.py", title="Train", icon="📈"),
    ]
)
model_picker_ui()
page.run()
