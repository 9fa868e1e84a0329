"""User text shown as text (issue #9): ``core.ui.text.literal`` and every page that shows data.

Streamlit's Markdown is react-markdown with remark-gfm, remark-math, remark-directive,
remark-emoji and Streamlit's own plugins. The unit tests check the escaped source against what
each of them looks for: the CommonMark/GFM syntax (every ASCII punctuation escaped), the checks
Streamlit runs on the raw source (``:material/`` rewriting, whether to load KaTeX or emoji) and
the plugins that run on the parsed text, where escapes are gone (shortcodes, bare links, arrows).
The regular expressions are copied from Streamlit 1.67's frontend (StreamlitMarkdown.js).
"""

from __future__ import annotations

import datetime as dt
import re
import string

import pytest
from sqlalchemy import update

from core.ui.text import JOINER, literal

# --- what Streamlit's frontend looks for (JS regexes; \w is ASCII there) ------------------------
SOURCE_EMOJI = re.compile(r":(?!material/|streamlit:)[A-Za-z0-9_+-][A-Za-z0-9_+-]*:")  # loads remark-emoji
KATEX_STRIP = re.compile(r"(?:(?<=\n)|^) {0,3}(`{3,}|~{3,})[\s\S]*?(?:\n[ \t]*\1|$)|(?<!`)(`+)[^`\n]+\2(?!`)"
                         r"|\\[\\$`]")
KATEX_BLOCK = re.compile(r"(?<!\$)\$\$+(?!\$)[\s\S]*?\$\$")
KATEX_INLINE = re.compile(r"(?<!\$)\$(?![\s$])[^$\n]*?[^\s$]\$(?!\d)")
TEXT_LEVEL = {  # plugins that run on the text of the parsed tree
    "emoji": re.compile(r":\+1:|:-1:|:[A-Za-z0-9_-]+:"),
    "streamlit logo": re.compile(r":streamlit:"),
    "material icon": re.compile(r":material_([A-Za-z0-9_]+):"),
    "url": re.compile(r"(https?://|www(?=\.))([-.\w]+)", re.I),
    "e-mail": re.compile(r"(?:^|(?<=[\s\W]))([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)"),
    "arrows": re.compile(r"(^|\s)(<->|->|<-|--|>=|<=|~=)(\s|$)", re.M),
}
PUNCTUATION = re.escape(string.punctuation)


def katex_needed(source: str) -> bool:
    if "$" not in source:
        return False
    stripped = KATEX_STRIP.sub("_", source)
    return bool(KATEX_BLOCK.search(stripped) or KATEX_INLINE.search(stripped))


def parsed_text(source: str) -> str:
    """The text CommonMark makes of ``source`` when every punctuation character is escaped:
    escapes removed, character references decoded, hard breaks as newlines."""
    text = source.replace("  \n", "\n")
    text = re.sub(r"&#(\d+);", lambda m: chr(int(m[1])), text)
    return re.sub(rf"\\([{PUNCTUATION}])", r"\1", text)


def unescaped_punctuation(source: str) -> list[str]:
    """ASCII punctuation in ``source`` that is neither escaped nor part of what literal adds."""
    rest = re.sub(rf"\\[{PUNCTUATION}]", "", source)
    rest = re.sub(r"&#(?:32|9);", "", rest)
    return [c for c in rest if c in string.punctuation]


PAYLOADS = {
    "bold": "**粗体**", "link": "[链接](http://127.0.0.9/x)", "image": "![i](http://127.0.0.9/i.png)",
    "html": "<b>x</b><img src=http://127.0.0.9/h.png>", "colour": ":red[红]", "maths": "$x^2$",
    "block maths": "$$\nx^2\n$$", "material icon": ":material/home:", "material icon, after rewriting":
    ":material_home:", "emoji": ":smile: :+1:", "streamlit logo": ":streamlit:", "badge": ":blue-badge[新]",
    "help": ":help[说明]", "bare url": "见 http://127.0.0.9/a 与 HTTPS://x.cn", "www": "www.example.com",
    "e-mail": "联系 a.b@example.cn", "arrows": "a -> b <- c <-> d -- e >= f <= g ~= h",
    "heading": "# 标题", "list": "- 列表\n* 又一项\n+ 再一项", "numbered list": "1. 一\n2) 二",
    "quote": "> 引用", "indented code": "\n    缩进代码\n\tTab", "table": "| a | b |\n|---|---|",
    "strikethrough": "~~删~~", "code": "`code`", "entity": "&amp; &#60;", "backslash": "a\\b\\",
    "footnote": "[^1]", "reference": "[a]: http://127.0.0.9/r", "autolink": "<http://127.0.0.9/a>",
    "setext": "标题\n===", "thematic break": "---", "task list": "- [ ] 待办",
}


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_literal_leaves_nothing_for_streamlit_markdown_to_interpret(payload):
    source = literal(payload)
    assert unescaped_punctuation(source) == []  # no CommonMark/GFM/maths/directive syntax left
    assert ":material/" not in source  # Streamlit rewrites it in the raw source into an icon
    assert not SOURCE_EMOJI.search(source)
    assert not katex_needed(source)
    text = parsed_text(source)
    for name, pattern in TEXT_LEVEL.items():
        assert not pattern.search(text), name
    # and what shows is the text itself: only invisible word joiners added
    assert text.replace(JOINER, "") == payload.replace("\r\n", "\n")
    # no line starts with four spaces or a tab (an indented code block)
    assert not re.search(r"(?m)^( {4}|\t)", source)


def test_without_escaping_the_same_checks_find_the_payloads():
    """The checks above do detect each kind (they would catch a helper that does nothing)."""
    missed = [name for name, payload in PAYLOADS.items()
              if not (unescaped_punctuation(payload) or ":material/" in payload or katex_needed(payload)
                      or any(p.search(payload) for p in TEXT_LEVEL.values())
                      or re.search(r"(?m)^( {4}|\t)", payload))]
    assert missed == []


def test_chinese_text_and_plain_values_are_unchanged():
    for text in ("张建国", "建德市某某机械有限公司", "家属告知，附死亡证明。（见附件：扫描件）", "2026年11月"):
        assert literal(text) == text
    assert literal(None) == ""
    assert literal(2024) == "2024"
    assert literal(ValueError("错误：x")) == "错误：x"  # full-width punctuation is not Markdown


def test_line_breaks_stay_line_breaks():
    assert literal("第一行\r\n第二行\r第三行") == "第一行  \n第二行  \n第三行"


def test_show_puts_one_value_in_the_element_asked_for(monkeypatch):
    import core.ui.text

    drawn = []
    for kind in ("markdown", "caption", "error"):
        monkeypatch.setattr(core.ui.text.st, kind, lambda body, kind=kind: drawn.append((kind, body)))
    core.ui.text.show("**粗体**")
    core.ui.text.show(":red[红]", "caption")
    core.ui.text.show("<b>x</b>", "error")
    assert drawn == [("markdown", "\\*\\*粗体\\*\\*"), ("caption", "\\:red\\[红\\]"),
                     ("error", "\\<b\\>x\\<\\/b\\>")]


# --- every page that shows data, under AppTest -------------------------------------------------
# Each part fits an Excel header cut at 30 characters; together they are the payload.
PARTS = ["**粗体**", "[链接](http://127.0.0.9/x)", "![i](http://127.0.0.9/i.png)", "<b>x</b>",
         "<img src=//127.0.0.9/h.png>", ":red[红]", "$x^2$", ":material/home:"]
PAYLOAD = " ".join(PARTS)
SHEET = "$x^2$ <b>x<b> _斜_ ~~删~~"  # a sheet name may not hold [ ] : * ? / \
NUMBER = "33018219800101999X"


def markdown_sources(at) -> list[str]:
    """Every string of the run that Streamlit renders as Markdown: bodies, labels, radio options."""
    found = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "success", "warning",
                 "error", "toast", "exception"):
        found += [str(getattr(el, "value", "")) for el in at.get(kind)]
    for kind in ("text_input", "text_area", "number_input", "selectbox", "multiselect", "radio", "checkbox",
                 "date_input", "button", "download_button", "file_uploader", "metric", "tab", "expander"):
        for el in at.get(kind):
            found.append(str(getattr(el, "label", None) or getattr(el.proto, "label", "")))
            if kind == "radio":
                found += list(el.options)
    return found


def leaks(at, *expected: str) -> list[str]:
    """What of the page reaches Streamlit's Markdown as is, or is missing in its escaped form."""
    if at.exception:
        return [f"exception: {at.exception}"]
    sources = markdown_sources(at)
    found = [f"{part!r} as is in {source!r}" for part in PARTS + [SHEET] for source in sources
             if part in source]
    return found + [f"{text!r} not shown escaped" for text in expected
                    if not any(literal(text) in source for source in sources)]


@pytest.fixture
def payload_data(roster_db):
    return add_payload_data()


def add_payload_data() -> tuple[int, int]:
    """In the roster database of the test: a person whose every text field is the payload,
    staff_jd's display name, a pending transfer with the payload as reason and attachment name,
    a refused death with it as the decision's reason. Returns the person's and the transfer's ids."""
    from core.access import auth
    from core.data.audit import Actor
    from core.data.db import read_session, session_scope
    from core.data.models import User
    from plugins.registry import changes
    from plugins.registry.models import Person

    with session_scope(Actor("fixture", "admin")) as session:
        person = Person(name=PAYLOAD, name_initials="cttest", gender="男", birth_date=dt.date(1980, 1, 1),
                        id_number=NUMBER, ethnicity=PAYLOAD, political_status=PAYLOAD, education=PAYLOAD,
                        employer=PAYLOAD, post=PAYLOAD, industry=PAYLOAD, county_code="330182",
                        phone="13800001234", status="在职")
        session.add(person)
        session.flush()
        session.execute(update(User).where(User.username == "staff_jd").values(display_name=PAYLOAD))
        pid = person.id
    with read_session() as session:
        staff = auth.load_current_user(session, "staff_jd")
        reviewer = auth.load_current_user(session, "reviewer")
    with session_scope(staff.actor) as session:
        pending = changes.submit_transfer(session, staff, pid, "330127", None, PAYLOAD,
                                          (PAYLOAD + ".pdf", b"%PDF-1.4"))
        death = changes.submit_death(session, staff, pid, dt.date(2026, 1, 1), "家属告知")
        ids = pending.id, death.id
    with session_scope(reviewer.actor) as session:
        changes.decide(session, reviewer, ids[1], False, PAYLOAD)
    return pid, ids[0]


def test_every_page_shows_the_payload_as_text(payload_data, tmp_path):
    from tests.helpers import signed_in_app
    from tests.roster_pages import click_row
    from tests.sheets import county_workbook, make_id, save
    from tests.test_spreadsheets import upload

    pid, pending = payload_data
    problems = {}
    # 人员名册 and the person's record
    at = signed_in_app("reviewer", page="registry-people")
    at.text_input(key="registry_q").set_value("粗体").run()
    names = list(at.dataframe[0].value["姓名"])  # table cells are plain text
    assert click_row(at, names.index(PAYLOAD)) == pid
    problems["人员名册"] = leaks(at, PAYLOAD)
    assert literal(PAYLOAD) in [el.value for el in at.subheader]

    # 审核队列: the reason, the attachment's name, who submitted
    at = signed_in_app("reviewer", page="registry-review")
    at.selectbox(key="queue_request").set_value(pending).run()
    problems["审核队列"] = leaks(at, f"理由：{PAYLOAD}", f"下载附件 {PAYLOAD}.pdf")

    # 我的申请 (the decision's reason), the sidebar and 我的账户 (the display name)
    for page in ("registry-mine", "core-account"):
        problems[page] = leaks(signed_in_app("staff_jd", page=page), PAYLOAD)

    # 用户 and 审计日志
    for page in ("core-users", "core-audit"):
        problems[page] = leaks(signed_in_app("admin", page=page))

    # 提交变动: the person picker (plain options) and the transfer form
    at = signed_in_app("staff_jd", page="registry-submit")
    at.radio(key="change_kind").set_value("关系转移").run()
    at.text_input(key="change_q").set_value("粗体").run()
    assert PAYLOAD in at.selectbox(key="change_person").options[0]
    problems["提交变动"] = leaks(at)

    # the import panel: ignored headers and the sheet's name
    header = ["序号", "姓名", "身份证号", "性别", "所属区县", "工作单位", "荣誉", "授予年份", *PARTS]
    wb = county_workbook([[1, "新劳模", make_id("19800101", 111), "男", "建德市", "建德某厂", "建德金匠", 2024]],
                         header)
    wb.active.title = SHEET
    at = upload(signed_in_app("admin", page="registry-io"), save(wb, tmp_path / "payload.xlsx"))
    problems["导入检查"] = leaks(at, "、".join(PARTS), f"工作表“{SHEET}”")
    assert {page: found for page, found in problems.items() if found} == {}
