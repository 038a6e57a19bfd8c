"""A tool page that has not landed yet says what it will do, instead of showing nothing."""

import streamlit as st

from ui.common import page


def coming_soon(title: str, icon: str, blurb: str, plans: list[str]) -> None:
    page(title, icon, blurb)
    st.info("This tool is being built. Here is what it will do:")
    st.markdown("\n".join(f"- {item}" for item in plans))
    st.page_link("pages/5_Job_Lab.py", label="Meanwhile, try the Job Lab", icon=":material/science:")
