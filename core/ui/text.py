"""User-supplied text shown as text, never as Markdown.

Almost everything Streamlit draws with text renders Markdown: ``st.write``, ``st.markdown``,
``st.title``/``st.subheader``, ``st.caption``, ``st.info``/``st.success``/``st.warning``/
``st.error``, the labels of widgets, buttons, tabs, expanders, ``st.metric`` and the options of
``st.radio``. A name, a reason or a spreadsheet header that contains ``![i](http://host/i.png)``
would make every reader's browser fetch that image; ``[链接](…)`` would be a live link,
``:red[…]`` coloured, ``$…$`` typeset, ``:material/home:`` an icon. Pass every piece of data
through :func:`literal` before it goes into such a string:

    from core.ui.text import literal
    st.subheader(literal(person.name))
    st.write(f"**理由**：{literal(request.reason)}")   # your own Markdown around it still works

Not needed (and wrong: the backslashes would show) for text Streamlit shows as plain text:
``st.text``, ``st.code``, ``st.dataframe`` cells, the values of inputs, and the options of
``st.selectbox``/``st.multiselect`` (``format_func``).

What Streamlit's Markdown (react-markdown with remark-gfm, remark-math, remark-directive,
remark-emoji and its own plugins) interprets, and how :func:`literal` neutralises it:

- every ASCII punctuation character is backslash-escaped, which CommonMark allows for all of
  them: emphasis, links, images, HTML, headings, lists, tables, ``$`` maths, ``:colour[…]``
  directives, ``:material/…:`` icons (Streamlit rewrites ``:material/`` in the raw source);
- some plugins run after parsing, on the text itself, where the escapes are gone: emoji
  shortcodes (``:smile:``), ``:streamlit:``, ``:material_…:``, bare URLs and e-mail addresses
  (``www.x.com``, ``http://…``, ``a@b.cn``) and the arrows that replace ``->``, ``--``, ``>=``…
  These are broken with an invisible U+2060 WORD JOINER inside the pattern;
- line breaks stay line breaks, and leading spaces stay spaces (not an indented code block).
"""

from __future__ import annotations

import re
import string

import streamlit as st

JOINER = "\u2060"  # WORD JOINER: zero width, no line break opportunity

_PUNCTUATION = frozenset(string.punctuation)
# What Streamlit's text-level plugins match, found in the unescaped text (JS \w is ASCII):
_TEXT_LEVEL = re.compile(
    r":(?=[A-Za-z0-9_+\-]+:)"              # :shortcode: (emoji, :streamlit:, :material_x:)
    r"|(?<=https:)(?=//)|(?<=http:)(?=//)"  # http:// and https:// (any case, see flags)
    r"|(?<=www)(?=\.)"                      # www.
    r"|@"                                   # e-mail addresses
    r"|(?:(?<=\s)|^)(?:<(?=->)|-(?=>)|<(?=-)|-(?=-)|>(?==)|<(?==)|~(?==))",  # ->, --, >= …
    re.IGNORECASE | re.MULTILINE)


def _break(match: re.Match) -> str:
    return match.group(0) + JOINER


def _line(line: str) -> str:
    line = _TEXT_LEVEL.sub(_break, line)
    body = line.lstrip(" \t")
    indent = "".join("&#9;" if c == "\t" else "&#32;" for c in line[:len(line) - len(body)])
    return indent + "".join("\\" + c if c in _PUNCTUATION else c for c in body)


def literal(value: object) -> str:
    """``value`` as Markdown source that Streamlit shows exactly as the text it is.

    None is the empty string; anything else is ``str(value)``. Line breaks are kept (as hard
    breaks). The result looks the same as the text; only invisible word joiners are added
    where a shortcode, bare link or arrow would otherwise form.
    """
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return "  \n".join(_line(line) for line in text.split("\n"))


def show(value: object, kind: str = "write") -> None:
    """Show user text alone, literally: ``kind`` is write, caption, subheader, info, success,
    warning or error (the ``st`` function of that name)."""
    getattr(st, "markdown" if kind == "write" else kind)(literal(value))
