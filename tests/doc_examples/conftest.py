"""The worked example of docs/plugins.md runs in a pytest process of its own
(tests/test_doc_examples.py): its plugin defines its table in core's one MetaData, which the
other tests compare with their databases."""

import os

collect_ignore = [] if os.environ.get("JIANGXIN_DOC_EXAMPLE") else ["test_volunteer.py"]
