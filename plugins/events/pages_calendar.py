"""(stub: filled in by #14's work in progress)"""

import streamlit as st


def calendar_page() -> None:
    st.caption("本页正在建设中。")
