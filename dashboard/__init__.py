"""The Streamlit dashboard: ``app.py`` is the entry point, ``shell.py`` builds every run."""
