"""Streamlit helpers shared by the pages. Pages stay thin: widgets -> config -> core -> render."""
