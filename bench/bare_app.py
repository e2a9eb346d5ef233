"""The floor under catdog's Classify page: an uploader, the photo shown and one line of text, with no model.

bench/load.py runs it beside the app, with the same Streamlit options, so that each of catdog's figures
stands next to what Streamlit alone costs for the same visit. Run from the repository root:
    python -m streamlit run bench/bare_app.py
"""

import streamlit as st

photos = st.file_uploader("Photos", type=["jpg", "jpeg", "png", "webp", "bmp", "gif"], accept_multiple_files=True)
if not photos:
    st.write("Upload a photo (or several) to start.")  # the words bench/load.py waits for, as on Classify
for photo in photos:
    st.image(photo)
    st.write("Dog — 50% sure")  # a verdict's words, always the same: there is no model to ask
