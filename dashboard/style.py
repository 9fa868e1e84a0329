"""The style sheet the shell puts on every page: Chinese where Streamlit 1.67 has no setting, and
labels that fit a phone.

Streamlit draws a few texts of its own in English and offers no parameter or config for them:
the file uploader's drop zone ("Upload", "200MB per file"), and the grid toolbar's tooltips
("Download as CSV", "Search", "Fullscreen") and column menu. The rules below are scoped to those
widgets only (by their ``data-testid``): the drop zone's English is hidden and Chinese is drawn in
its place (``core.ui.uploads`` writes the per-uploader limit); the grid's toolbar and column menu
are hidden, since the data leaves only through the audited 导出 buttons
(``client.disableDataExport`` already turns the CSV download off) and their other tools would
only bring English tooltips. A script renames the English accessible names (``aria-label``,
``title``) no style sheet can reach, and closes the sidebar after a page is chosen on a narrow
screen. Dates are typed into text fields (``core.ui.dates``), not the date picker, whose field
is American and whose calendar follows the browser's language.

See docs/architecture.md, "Chinese everywhere".
"""

from __future__ import annotations

import json

import streamlit as st

# The drop zone: its "Upload" button and its "200MB per file • XLSX" line are one English text
# node each; the text is shrunk to nothing and Chinese drawn after it (the limit comes from the
# uploader's own rule in core.ui.uploads, or the server's largest upload by default).
UPLOADER = """
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p { font-size: 0; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {
  content: "选择文件"; font-size: 0.875rem; }
[data-testid="stFileUploaderDropzoneInstructions"] span { font-size: 0; }
[data-testid="stFileUploaderDropzoneInstructions"] span::after {
  content: var(--jx-upload-hint, "单个文件不超过 %(limit)s MB"); font-size: 0.875rem; }
"""

# The grid's own toolbar (download, search, fullscreen, columns) and column menu: English
# tooltips and menus, and a second way out for the data; hidden in every grid.
GRID = """
[data-testid="stDataFrame"] [data-testid="stElementToolbar"] { display: none !important; }
[data-testid="stDataFrameColumnMenu"] { display: none !important; }
"""

# Chinese labels wrap between any two characters: in a narrow column (a phone) "联系电话" broke
# as "联系电/话". Labels, metrics and navigation keep their words whole; a long label still
# wraps where it has spaces or punctuation.
LABELS = """
:is([data-testid="stWidgetLabel"], [data-testid="stMetricLabel"], [data-testid="stSidebarNav"],
    [data-testid="stExpander"] summary, [data-testid="stTab"], button),
:is([data-testid="stWidgetLabel"], [data-testid="stMetricLabel"], [data-testid="stSidebarNav"],
    [data-testid="stExpander"] summary, [data-testid="stTab"], button) * {
  word-break: keep-all; overflow-wrap: anywhere; }
"""


# The "Skip to main content" link keyboard users meet first.
SKIP_LINK = """
[data-testid="stSkipToContent"] { font-size: 0; }
[data-testid="stSkipToContent"]::after { content: "跳到正文"; font-size: 1rem; }
"""


# The one script on the page (st.html runs it once per browser tab): (1) names that only screen
# readers (and tooltips) read, which Streamlit and Vega write in English
# in aria-label and title attributes and in live announcements. No style sheet can change an
# attribute, and no setting names them, so this one script does, and nothing else: it renames
# the fixed English names below (and the patterns) wherever they appear, as they appear.
# (2) On a narrow screen the sidebar lies over the page; Streamlit closes it after a page is
# chosen only when the browser says it is a phone (its user agent), so a narrow window, or a
# phone asking for the desktop site, kept it open over the page: the script closes it there.
ARIA_ZH = {
    "App pages": "页面导航", "Sidebar": "侧边栏", "Open": "展开选项", "Dismiss": "关闭",
    "Close": "关闭", "Increment": "增加", "Decrement": "减少", "Show password": "显示密码",
    "Hide password": "隐藏密码", "Clear value": "清除", "Clear all": "全部清除",
    "Collapse sidebar": "收起侧边栏", "Expand sidebar": "展开侧边栏", "Selected values": "已选",
    "Selectbox options": "选项", "Multiselect options": "选项", "No results": "没有匹配项",
    "file upload": "上传文件", "Add files": "添加文件", "Vega visualization": "图表",
    "Click to retry upload": "点击重新上传", "Skip to main content": "跳到正文",
    "progress": "进度",  # st.progress's bar (年度计划)
    "Fullscreen": "全屏", "Close fullscreen": "退出全屏",  # an image's or chart's toolbar
    # a chart's own tools (on hover)
    "Show data": "查看数据", "Show chart": "查看图表", "Download as PNG": "下载图片",
    "Copy Vega-Lite spec": "复制图表定义", "Copied!": "已复制",
    "Link to heading": "本节链接",
    "Error:": "错误：", "Only one file is allowed.": "只能上传一个文件。",
    "Unexpected error. Please try again.": "出错了，请重试。",
    # under a text field being typed in (InputInstructions), beside its character count
    "Press Enter to apply": "按回车键确认", "Press Enter to submit form": "按回车键提交",
}
ARIA_PATTERNS = [  # (JavaScript regular expression, replacement)
    (r"^Help for (.+)$", "$1的说明"),
    (r"^(\d+) options? available\.$", "共 $1 项可选"),
    (r"^Remove (.+)$", "移除 $1"),
    (r"^Cancel upload of (.+)$", "取消上传 $1"),
    (r"^X-axis titled '(.*)' for [^]*$", "横轴：$1"),
    (r"^Y-axis titled '(.*)' for [^]*$", "纵轴：$1"),
    (r"^(?:X|Y)-axis for [^]*$", "坐标轴"),
    (r"^Title text '(.*)'$", "标题：$1"),
    (r"^Subtitle text '(.*)'$", "副标题：$1"),
    (r"^\w+ legend titled '(.*)' for [^]*$", "图例：$1"),
    (r"^[a-z_]+ icon$", "图标"),  # a Material icon's name ("add icon")
    # a file the drop zone refuses (its chip's alert and tooltip)
    (r"^(.+) files are not allowed\.$", "不接受这种格式的文件"),
    (r"^File must be (.+) or smaller\.$", "文件不能超过 $1"),
    (r"^Press (\S+)\+Enter to apply$", "按 $1+回车键确认"),
    (r"^Press (\S+)\+Enter to submit form$", "按 $1+回车键提交"),
]
ARIA_SCRIPT = """<script id="jx-aria-zh">
(() => {
  if (window.__jxAriaZh) return;
  window.__jxAriaZh = true;
  const names = %(names)s;
  const patterns = %(patterns)s.map(([re, to]) => [new RegExp(re), to]);
  const zh = text => {
    const t = text.trim();
    if (Object.prototype.hasOwnProperty.call(names, t)) return names[t];
    for (const [re, to] of patterns) if (re.test(t)) return t.replace(re, to);
    return null;
  };
  const ATTRS = ['aria-label', 'title', 'aria-roledescription'];
  const fix = el => {
    for (const a of ATTRS) {
      const v = el.getAttribute && el.getAttribute(a);
      const z = v && zh(v);
      if (z && z !== v) el.setAttribute(a, z);
    }
  };
  // announcements read aloud, a list's "No results", a refused file's alert and tooltip, the
  // hint under a field being typed in ("Press Enter to apply"): text
  const spoken = n => n.parentElement && n.parentElement.closest(
    '[data-live-announcer], [role=listbox], [role=log], [role=alert], [aria-live], [data-testid=stTooltipContent], ' +
    '[data-testid=InputInstructions]');
  const iconName = /^[a-z_]+ icon$/;  // a button's hidden name for its icon ("add icon")
  const fixText = n => {
    const z = (spoken(n) || iconName.test(n.textContent.trim())) && zh(n.textContent);
    if (z && z !== n.textContent) n.textContent = z;
  };
  const sweep = root => {
    if (root.nodeType === 3) return fixText(root);
    if (root.nodeType !== 1) return;
    fix(root);
    root.querySelectorAll('[aria-label], [title], [aria-roledescription]').forEach(fix);
    const w = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = w.nextNode(); n; n = w.nextNode()) fixText(n);
  };
  new MutationObserver(records => {
    for (const r of records) {
      if (r.type === 'attributes') fix(r.target);
      else if (r.type === 'characterData') fixText(r.target);
      else r.addedNodes.forEach(sweep);
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true,
                             attributes: true, attributeFilter: ATTRS});
  sweep(document.body);

  // A page chosen in the sidebar, where the sidebar covers the page (a narrow window): close it,
  // as Streamlit itself does only for browsers that say they are phones.
  document.addEventListener('click', event => {
    if (!(event.target.closest && event.target.closest('[data-testid=stSidebarNav] a'))) return;
    setTimeout(() => {
      const bar = document.querySelector('[data-testid=stSidebar]');
      const main = document.querySelector('[data-testid=stMain]');
      const collapse = document.querySelector('[data-testid=stSidebarCollapseButton] button');
      if (!bar || !main || !collapse || collapse.getAttribute('aria-expanded') !== 'true') return;
      if (bar.getBoundingClientRect().right > main.getBoundingClientRect().left + 1) collapse.click();
    }, 0);
  }, true);
})();
</script>"""

# The script's own element takes no room.
SCRIPT_HOLDER = """
[data-testid="stElementContainer"]:has(#jx-aria-zh) { display: none; }
"""


def aria_script() -> str:
    """The script that renames Streamlit's and Vega's English accessible names."""
    return ARIA_SCRIPT % {"names": json.dumps(ARIA_ZH, ensure_ascii=False),
                          "patterns": json.dumps(ARIA_PATTERNS, ensure_ascii=False)}


def css(max_upload_mb: int) -> str:
    """The whole style sheet, for a server that takes uploads up to ``max_upload_mb``."""
    return UPLOADER % {"limit": max_upload_mb} + GRID + LABELS + SKIP_LINK + SCRIPT_HOLDER


def max_upload_mb() -> int:
    """The server's largest upload (``server.maxUploadSize``), as the drop zone enforces it."""
    return int(st.get_option("server.maxUploadSize"))


def apply() -> None:
    """Put the style sheet on this page (a style-only st.html takes no room on the page)."""
    st.html(f"<style>{css(max_upload_mb())}</style>")
    st.html(aria_script(), unsafe_allow_javascript=True)
