"""A file uploader whose drop zone says, in Chinese, the limit it really enforces.

Streamlit's drop zone writes "Upload" and "200MB per file • PDF" in English and has no setting
for either; dashboard/style.py hides them and draws Chinese in their place, by default the
server's largest upload. An uploader with a lower limit of its own says so here::

    from core.ui.uploads import file_uploader
    upload = file_uploader("附件（可选）", types=["pdf", "jpg"], max_mb=5, key="attachment")

The drop zone then says 单个文件不超过 5 MB · pdf、jpg. The page itself refuses a larger file,
in Chinese and in plain sight, by its size before reading it; Streamlit's own refusal in the
browser (``max_upload_size``) says "File must be 5.0MB or smaller." only in a tooltip on the
file. Only a file above the server's largest upload (``server.maxUploadSize``, which
``jiangxin run`` sets to the largest file the app accepts) is stopped in the browser.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import streamlit as st


def hint(max_mb: int | None, types: Sequence[str] = ()) -> str:
    """What the drop zone says: the limit per file and the formats it takes."""
    limit = max_mb if max_mb is not None else int(st.get_option("server.maxUploadSize"))
    shown = "、".join(dict.fromkeys(t.lower().lstrip(".") for t in types))
    return f"单个文件不超过 {limit} MB" + (f" · {shown}" if shown else "")


def key_class(key: str) -> str:
    """The CSS class Streamlit gives the element of widget ``key`` (as its frontend does: every
    character but ASCII letters, digits, - and _ becomes -)."""
    return "st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key.strip())


def file_uploader(label: str, *, types: Sequence[str], key: str, max_mb: int | None = None,
                  help: str | None = None, disabled: bool = False):
    """``st.file_uploader`` for one file of ``types``, with the Chinese hint: files up to
    ``max_mb`` (which the caller refuses above, by the file's size), or the server's largest
    upload when None."""
    # json.dumps quotes the hint as a CSS string (no quote or backslash can end it early)
    st.html(f"<style>.{key_class(key)} {{ --jx-upload-hint: {json.dumps(hint(max_mb, types), ensure_ascii=False)}; }}"
            "</style>")
    return st.file_uploader(label, type=list(types), key=key, help=help, disabled=disabled)
