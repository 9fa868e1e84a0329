"""Streamlit entry point: ``streamlit run dashboard/app.py`` (or ``jiangxin run``)."""

from dashboard.shell import main

main()
