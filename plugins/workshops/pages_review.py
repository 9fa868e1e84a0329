"""年度评审: the studios due this year in the user's counties; score one against its year's
standard (the total and grade shown live as the scores are typed), and the reviews done this
year. Administrators also confirm the 摘牌 proposed after two failing years in a row.

Query parameters: ``county`` (a county code, for city-wide users) and ``studio`` (a due
studio's id, preselected). The scores are number inputs outside a form, so every change
reruns the page and the total follows; their keys carry a counter bumped on success, so the
inputs start empty again after a submission (and the service refuses a second review anyway).
"""

from __future__ import annotations

import streamlit as st
from sqlalchemy import func, select

from core.access.auth import display_names
from core.access.permissions import PermissionDenied, in_counties
from core.data.db import read_session, session_scope
from core.settings import clock
from core.settings.counties import county_name, load_counties
from core.ui import can, format_time, page_link, require
from core.ui.text import literal
from plugins.workshops import reviews
from plugins.workshops.models import Review, Studio
from plugins.workshops.queries import StudioError, count_due, due_condition
from plugins.workshops.standards import scope_name, standard_for
from plugins.workshops.vocab import PARTS

FLASH = "workshops_review_flash"  # [(kind, text)] left by the last action, shown after its rerun
ROUND = "workshops_review_round"  # bumped on success: the score inputs start empty again
PAGE_SIZE = 50
STUDIO_LABEL = "选择要评审的工作室"


def _round() -> int:
    return st.session_state.setdefault(ROUND, 0)


def _studio_key() -> str:
    """The studio box's key, new after each submission: with the same key the browser kept
    showing the studio just reviewed, though it was no longer among the choices."""
    return f"review_studio_{_round()}"


def _done(message: str) -> None:
    st.session_state[FLASH] = [("success", message)]
    st.session_state.pop(_studio_key(), None)
    st.session_state[ROUND] = _round() + 1
    if "studio" in st.query_params:
        del st.query_params["studio"]
    st.rerun()


def _county(user) -> tuple[str, ...] | None:
    """The counties the page shows: a city-wide user's choice (seeded from ``?county=``), else
    the user's own."""
    scope = user.visible_counties()
    if scope is not None:
        return scope
    codes = [c.code for c in load_counties()]
    if "review_county" not in st.session_state and st.query_params.get("county") in codes:
        st.session_state["review_county"] = st.query_params.get("county")
    county = st.selectbox("区县", ["", *codes], key="review_county",
                          format_func=lambda c: county_name(c) if c else "全市")
    return (county,) if county else None


def _due(session, year: int, counties, *, offset: int = 0, limit: int = PAGE_SIZE,
         studio_id: int | None = None) -> list:
    """A page of the studios due (or the one ``studio_id``, if it is due), never all of them:
    a province-wide reviewer may have thousands."""
    stmt = (select(Studio.id, Studio.name, Studio.county_code, Studio.kind, Studio.level, Studio.leader_name)
            .where(due_condition(year), in_counties(Studio.county_code, counties)))
    if studio_id is not None:
        return list(session.execute(stmt.where(Studio.id == studio_id)))
    return list(session.execute(stmt.order_by(Studio.county_code, Studio.name, Studio.id)
                                .offset(offset).limit(limit)))


def _label(row) -> str:
    return f"{row.name}（{county_name(row.county_code)}）"


def review_page() -> None:
    user = require("workshops.review")
    year = clock.this_year()
    st.title("年度评审")
    with st.container():  # drawn on every run, so the page below keeps its place
        for kind, message in st.session_state.pop(FLASH, []):
            (st.success if kind == "success" else st.error)(message)
    counties = _county(user)
    with read_session() as session:
        total = count_due(session, year, counties)
    st.subheader(f"{year} 年度待评审工作室")
    if not total:
        st.info(f"{year} 年度没有待评审的工作室。")
    else:
        _score(user, year, counties, _due_list(year, counties, total))
    _reviews_done(year, counties)
    if can("workshops.remove"):
        _removals(user, counties)


def _due_list(year: int, counties, total: int) -> list:
    """The page of due studios shown (50 a page); returns its rows."""
    pages = (total - 1) // PAGE_SIZE + 1
    page = 1
    if pages > 1:
        page = st.number_input(f"页码（共 {pages} 页）", 1, pages, 1, key="review_due_page")
    with read_session() as session:
        shown = _due(session, year, counties, offset=(page - 1) * PAGE_SIZE)
    st.caption(f"共 {total} 个工作室待评审")
    st.dataframe([{"工作室": r.name, "区县": county_name(r.county_code), "类型": r.kind, "级别": r.level,
                   "领办人": r.leader_name or ""} for r in shown], hide_index=True, width="stretch")
    return shown


def _score(user, year: int, counties, shown: list) -> None:
    """Score one studio: those of the page shown, or the one a link (or an earlier choice) asks
    for, when it is due and within the user's counties."""
    key = _studio_key()
    asked, kept = st.query_params.get("studio"), st.session_state.get(key)
    wanted = kept if kept is not None else int(asked) if asked and asked.isdigit() else None
    extra = []
    if wanted is not None and wanted not in {r.id for r in shown}:
        with read_session() as session:
            extra = _due(session, year, counties, studio_id=wanted)
    by_id = {r.id: r for r in [*extra, *shown]}
    if kept is not None and kept not in by_id:  # reviewed by someone else since it was chosen
        st.session_state.pop(key)
        st.warning("所选工作室已不在待评审名单中（可能已由他人评审），请重新选择。")
    elif key not in st.session_state and asked:
        if asked.isdigit() and int(asked) in by_id:
            st.session_state[key] = int(asked)
        else:  # reviewed already, not running, or outside the user's counties: said the same way
            st.info("链接中的工作室不在您本年度的待评审名单中。")
    chosen = st.selectbox(STUDIO_LABEL, list(by_id), index=None, key=key,
                          format_func=lambda i: _label(by_id[i]), placeholder="请选择工作室")
    if chosen is None:
        return
    studio = by_id[chosen]
    with read_session() as session:
        standard = standard_for(session, year, studio.county_code)
        criteria = list(standard.criteria) if standard is not None else []
    if standard is None:
        st.warning(f"{year} 年度尚未制定建设标准（全市或{county_name(studio.county_code)}），暂不能评审。"
                   "请先在“建设标准”中制定本年度标准。")
        page_link("workshops-standard", "前往建设标准", {"year": str(year)}, icon="📐")
        return
    with st.container(border=True):
        st.markdown(f"**{literal(studio.name)}** · {literal(county_name(studio.county_code))} · "
                    f"{literal(studio.kind)} · {literal(studio.level)}"
                    + (f" · 领办人 {literal(studio.leader_name)}" if studio.leader_name else ""))
        st.caption(f"评审依据：{literal(standard.title)}（{scope_name(standard.county_code)}）；"
                   f"等次分数线：优秀 ≥ {standard.excellent_min:g}，良好 ≥ {standard.good_min:g}，"
                   f"合格 ≥ {standard.pass_min:g}")
        n = _round()
        scores: dict[int, float | None] = {}
        for part in PARTS:
            items = [c for c in criteria if c.part == part]
            if not items:
                continue
            st.markdown(f"**{part}**（{sum(c.weight for c in items):g} 分）")
            for c in items:
                scores[c.id] = st.number_input(
                    literal(c.title), min_value=0.0, max_value=float(c.weight), value=None, step=0.5,
                    format="%.1f", help=literal(c.description) if c.description else None,
                    placeholder=f"0 到 {c.weight:g} 分", key=f"score_{studio.id}_{c.id}_{n}")
        total, grade = reviews.preview(standard, scores)
        missing = sum(1 for v in scores.values() if v is None)
        st.info(f"总分 {total:.1f} / {reviews.full_marks(criteria):g}，等次：{grade}")
        if missing:
            st.caption(f"尚有 {missing} 个条目未评分")
        note = st.text_area("评审意见", max_chars=reviews.MAX_NOTE, key=f"review_note_{n}")
        if st.button("提交评审", type="primary", key="review_submit"):
            try:
                with session_scope(user.actor) as session:
                    review = reviews.score_studio(session, user, studio.id, year, scores, note)
                    total, grade = review.total, review.grade
            except (StudioError, PermissionDenied) as exc:
                st.error(literal(exc))
                return
            _done(f"已提交 {literal(studio.name)} {year} 年度评审：总分 {total:.1f}，等次：{grade}。")


def _reviews_done(year: int, counties) -> None:
    st.subheader(f"{year} 年度已完成的评审")
    where = (Review.year == year, in_counties(Review.county_code, counties))
    with read_session() as session:
        count = session.scalar(select(func.count()).select_from(Review).where(*where)) or 0
        if not count:
            st.caption("本年度尚无评审记录。")
            return
        pages = (count - 1) // PAGE_SIZE + 1
        page = st.number_input(f"页码（共 {pages} 页）", 1, pages, 1, key="review_done_page") if pages > 1 else 1
        found = session.execute(
            select(Studio.name, Review.county_code, Review.total, Review.full_marks, Review.grade, Review.reviewer,
                   Review.reviewed_at)
            .join(Studio, Studio.id == Review.studio_id).where(*where)
            .order_by(Review.reviewed_at.desc(), Review.id.desc())
            .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
        names = display_names(session, {r.reviewer for r in found})
    st.caption(f"共 {count} 个工作室已评审")
    st.dataframe([{"工作室": r.name, "区县": county_name(r.county_code), "总分": f"{r.total:g} / {r.full_marks:g}",
                   "等次": r.grade, "评审人": names.get(r.reviewer, r.reviewer),
                   "评审时间": format_time(r.reviewed_at)} for r in found], hide_index=True, width="stretch")


def _removals(user, counties) -> None:
    st.subheader("建议摘牌")
    with read_session() as session:
        proposals = [p for p in reviews.removal_proposals(session, user)
                     if counties is None or p.county_code in counties]
    if not proposals:
        st.caption("没有建议摘牌的工作室（连续两个年度评审不合格的工作室会列在这里）。")
        return
    st.caption(f"以下 {len(proposals)} 个工作室连续两个年度评审不合格，建议摘牌，须由管理员确认。")
    st.dataframe([{"工作室": p.name, "区县": county_name(p.county_code)} for p in proposals],
                 hide_index=True, width="stretch")
    by_id = {p.studio_id: p for p in proposals}
    chosen = st.selectbox("确认摘牌的工作室", list(by_id), index=None, key="removal_studio",
                          format_func=lambda i: f"{by_id[i].name}（{county_name(by_id[i].county_code)}）",
                          placeholder="请选择工作室")
    if chosen is None:
        return
    reason = st.text_area("摘牌原因（必填）", max_chars=reviews.MAX_REASON, key=f"removal_reason_{_round()}")
    if st.button("确认摘牌", type="primary", key="removal_confirm"):
        try:
            with session_scope(user.actor) as session:
                reviews.confirm_removal(session, user, chosen, reason)
        except (StudioError, PermissionDenied) as exc:
            st.error(literal(exc))
            return
        st.session_state.pop("removal_studio", None)
        _done(f"已确认 {literal(by_id[chosen].name)} 摘牌。")
