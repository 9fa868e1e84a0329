"""年度报告 in Chromium: a manager downloads the Word document, which opens with the report's
title and its charts, and the download is in the audit log as an export."""

from __future__ import annotations

import io
import os
import sqlite3

import pytest

from tests.helpers import PASSWORD
from tests.test_browser import CHROMIUM, browser, running_server, settled, sign_in, wait_for  # noqa: F401

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason="Debian's chromium is not installed (.ci/run installs it)")


def test_a_manager_downloads_the_yearly_report(tmp_path, roster_template, browser):  # noqa: F811
    from docx import Document

    with running_server(tmp_path, roster_template, "", "workshops,events") as (url, db):
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{url}/core-report")
        sign_in(page, "manager", PASSWORD)
        wait_for(page, page.get_by_text("劳模工匠名册"))
        settled(page)
        title = page.get_by_text("年度工作报告 · 生成日期").inner_text().split(" · ")[0]
        with page.expect_download(timeout=60_000) as download:
            page.get_by_role("button", name="下载 Word 文档").click()
        assert download.value.suggested_filename.endswith("年度工作报告.docx")
        document = Document(io.BytesIO(download.value.path().read_bytes()))
        assert document.paragraphs[0].text == title and title.startswith("杭州市 ")
        assert len(document.inline_shapes) == 2
        with sqlite3.connect(db) as conn:
            audited = conn.execute("SELECT actor, summary FROM core_audit_log WHERE action = 'export'").fetchall()
        assert len(audited) == 1 and audited[0][0] == "manager" and "Word" in audited[0][1]
