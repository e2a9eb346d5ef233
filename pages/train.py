"""Train page (coming next)."""
import streamlit as st

st.title("📈 Train")
