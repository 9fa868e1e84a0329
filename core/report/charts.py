"""A report's Altair chart as a PNG picture, drawn without a browser (vl-convert).

vl-convert draws Chinese with the system's fonts: the server needs a CJK font (Debian:
fonts-noto-cjk), or every character is a box (see docs/deploy.md).
"""

from __future__ import annotations

from typing import Any

WIDTH = 520  # pixels, for a chart that sets no width of its own: about 15 cm on an A4 page
SCALE = 2  # twice the pixels: sharp when printed
COMPOSED = ("hconcat", "vconcat", "concat", "facet", "repeat")  # these size their own parts


def chart_title(chart: Any) -> str:
    """The chart's title as one line of text ("" when it has none)."""
    return _title_text(_spec(chart).get("title"))


def _title_text(title: Any) -> str:
    """A Vega-Lite title as one line: its lines joined, its subtitle after it in （）."""
    subtitle = ""
    if isinstance(title, dict):
        subtitle = _title_text(title.get("subtitle"))
        title = title.get("text", "")
    if isinstance(title, list | tuple):  # lines: Chinese ones run on, others get a space
        lines = [str(line) for line in title]
        title = lines[0] if lines else ""
        for before, line in zip(lines, lines[1:], strict=False):
            title += (" " if before[-1:].isascii() and line[:1].isascii() else "") + line
    text = "" if title is None else str(title)
    return f"{text}（{subtitle}）" if subtitle else text


def _spec(chart: Any) -> dict:
    return chart if isinstance(chart, dict) else chart.to_dict()


def chart_png(chart: Any, *, keep_title: bool = False) -> bytes:
    """``chart`` (an Altair chart or its Vega-Lite dict) drawn as PNG bytes.

    Without ``keep_title`` the title is left out of the picture: the document prints it as
    the picture's caption. A chart without a width (or one that fits its container, which a
    document has not) is drawn WIDTH pixels wide."""
    import vl_convert

    spec = dict(_spec(chart))
    if not keep_title:
        spec.pop("title", None)
    if not any(key in spec for key in COMPOSED) and spec.get("width") in (None, "container"):
        spec["width"] = WIDTH
    return vl_convert.vegalite_to_png(spec, scale=SCALE)
