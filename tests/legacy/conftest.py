"""A county plugin as docs/plugins.md taught before core's parts became folders: the worked
example and its test file exactly as they were (commit 3406e4b), importing ``core.db``,
``core.hookspecs``, ``core.spreadsheets``, ``core.bulk`` and the rest by their old paths. Never
update these files: they prove that such a plugin keeps loading (tests/test_layout.py runs them
in a pytest process of their own, as tests/test_doc_examples.py does the current example)."""

import os

collect_ignore = [] if os.environ.get("JIANGXIN_LEGACY_EXAMPLE") else ["test_volunteer.py"]
