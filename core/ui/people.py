"""Person pickers for pages: people from whichever plugin answers for them (the roster),
without importing it.

    from core.host.people import snapshot
    from core.ui.people import person_picker, people_picker

    mentor = person_picker("师傅", key="mentors_mentor")            # PersonRef or None
    apprentices = people_picker("徒弟", key="mentors_apprentices")  # list of PersonRef
    if mentor and st.button("保存"):
        session.add(Pairing(**snapshot(mentor, prefix="mentor"), ...))

Each picker is a search box (a name, pinyin initials such as wjg, the last 4 characters or the
whole of an ID number) and the people found, labelled 王建国（建德市，330182********123X，
全国劳动模范）, the deceased with （已故）. Only people within the user's counties are found;
the roster refuses an ID fragment it would refuse on 人员名册, and the picker shows why.

When no plugin answers for people (the roster is disabled), the pickers become text boxes and
return *typed names*: ``PersonRef.typed(name)``, ``id`` None, ``is_typed`` True. Store them the
same way (``snapshot`` gives ``person_id`` None) and show the stored name.

Draw a picker outside ``st.form``: it searches as the user types (each new text is one search;
reruns with the same text reuse its result, so an ID search is counted once).
"""

from __future__ import annotations

import re

import streamlit as st

from core.data.db import read_session
from core.host.people import PersonRef, clean_text, people_available, search_people
from core.settings.counties import county_name
from core.ui import current_user
from core.ui.text import literal

PLACEHOLDER = "姓名、拼音首字母（如 wjg）或身份证号码后 4 位"
TYPED_PLACEHOLDER = "名册未启用，请直接填写姓名"
TYPED_MANY_PLACEHOLDER = "名册未启用，请直接填写姓名，多人用顿号分隔"
CHOOSE = "请选择人员"
NOT_FOUND = "您的区县内没有找到符合条件的人员。"
ONLY_DECEASED = "找到的人员均已故，不能选择。"
DECEASED_MARK = "（已故）"
TYPED_MARK = "（手工填写，未关联名册）"
SEPARATORS = re.compile(r"[、，,；;\s]+")


def person_label(ref: PersonRef) -> str:
    """王建国（建德市，330182********123X，全国劳动模范）, the deceased followed by （已故);
    plain text, for a select's options (never Markdown)."""
    if ref.is_typed:
        return f"{ref.name}{TYPED_MARK}"
    status = ref.status if ref.status not in ("在职", "") and not ref.deceased else None
    parts = [county_name(ref.county_code) if ref.county_code else None, ref.id_number_masked or None,
             ref.honour, status]
    details = "，".join(p for p in parts if p)
    return ref.name + (f"（{details}）" if details else "") + (DECEASED_MARK if ref.deceased else "")


def _option(ref: PersonRef) -> str:
    """A result's option value: stable across searches, so a pick survives a new search only
    if it is still one of the results (never another person at the same position)."""
    return f"{ref.source}:{ref.id}"


def _found(user, text: str, key: str, limit: int):
    """The people ``text`` finds for ``user``, searched once per text (kept in the session)."""
    text = clean_text(text)
    if not text:
        return None
    memo = f"{key}__found"
    kept = st.session_state.get(memo)
    if kept is not None and kept[0] == (user.username if user else None, text, limit):
        return kept[1]
    with read_session() as session:
        found = search_people(session, user, text, limit)
    st.session_state[memo] = ((user.username if user else None, text, limit), found)
    return found


def _results(label: str, key: str, user, limit: int, living_only: bool = False) -> list[PersonRef]:
    """The search box and what it found (warnings for refusals, a note for nobody); with
    ``living_only``, the deceased left out (and said so when they were all it found)."""
    text = st.text_input(literal(label), placeholder=PLACEHOLDER, max_chars=50, key=f"{key}_q")
    found = _found(user, text, key, limit)
    if found is None:
        return []
    for refusal in found.refusals:
        st.warning(literal(refusal))
    if not found and not found.refusals:
        st.info(NOT_FOUND)
    if living_only and any(ref.deceased for ref in found):
        living = [ref for ref in found if not ref.deceased]
        if not living:
            st.info(ONLY_DECEASED)
        return living
    return list(found)


def _typed_names(text: str) -> list[str]:
    names: list[str] = []
    for part in SEPARATORS.split(text or ""):
        part = part.strip()[:50]
        if part and part not in names:
            names.append(part)
    return names


def person_picker(label: str, key: str, user=None, *, limit: int = 20,
                  value: PersonRef | None = None, living_only: bool = False) -> PersonRef | None:
    """One person: a search box labelled ``label`` and a select of the people found (nothing
    chosen until the user chooses). Returns the chosen ``PersonRef``, or None.

    ``user`` defaults to the signed-in user, whose counties bound the search. ``value``: the
    person already stored (an edit form), chosen until the user searches for another (build it
    with ``get_people``, or ``PersonRef.typed(stored_name)``). Without a plugin answering for
    people: a text box, and a typed name (``PersonRef.typed``) or None.
    ``key`` prefixes the widgets' keys (``<key>_q`` the search box, ``<key>_pick`` the select).
    ``living_only``: the deceased are not offered (an invitation, a new member).
    """
    user = user or current_user()
    if not people_available():
        name = clean_text(st.text_input(literal(label), value=value.name if value else "",
                                        placeholder=TYPED_PLACEHOLDER, max_chars=50, key=f"{key}_typed"))
        return PersonRef.typed(name) if name else None
    found = _results(label, key, user, limit, living_only)
    if not found and not st.session_state.get(f"{key}_q") and value is not None:
        found = [value]  # nothing searched yet: the stored person, chosen
    if not found:
        return None
    by_option = {_option(ref): ref for ref in found}
    current = _option(value) if value is not None else None
    chosen = st.selectbox(CHOOSE, list(by_option), index=list(by_option).index(current) if current in by_option else None,
                          placeholder=CHOOSE, format_func=lambda option: person_label(by_option[option]),
                          label_visibility="collapsed", key=f"{key}_pick")
    return by_option.get(chosen)


def people_picker(label: str, key: str, user=None, *, limit: int = 20,
                  value: list[PersonRef] | None = None, living_only: bool = False) -> list[PersonRef]:
    """Several people: a search box labelled ``label`` and a multiselect holding the people
    chosen so far plus those the current search found; a new search keeps the chosen.

    Returns the chosen ``PersonRef`` list in the order chosen. ``value``: the people already
    stored (an edit form), chosen when the picker is first drawn. Without a plugin answering for
    people: a text box of names separated by 、 or commas, returned as typed names. ``key``
    prefixes the widgets' keys (``<key>_q`` the search box, ``<key>_pick`` the multiselect).
    ``living_only``: the deceased are not offered.
    """
    user = user or current_user()
    if not people_available():
        names = _typed_names(st.text_input(literal(label), value="、".join(r.name for r in value or ()),
                                           placeholder=TYPED_MANY_PLACEHOLDER, max_chars=500,
                                           key=f"{key}_typed"))
        return [PersonRef.typed(name) for name in names]
    known = f"{key}__chosen"  # option -> PersonRef of everyone chosen, across searches
    if known not in st.session_state:  # first drawn: the people stored, chosen
        st.session_state[known] = {_option(ref): ref for ref in value or ()}
        st.session_state[f"{key}_pick"] = list(st.session_state[known])
    chosen: dict[str, PersonRef] = st.session_state[known]
    found = _results(label, key, user, limit, living_only)
    by_option = dict(chosen)
    by_option.update((_option(ref), ref) for ref in found if _option(ref) not in chosen)
    if not by_option:
        return []
    picked = st.multiselect(CHOOSE, list(by_option), placeholder=CHOOSE,
                            format_func=lambda option: person_label(by_option[option]),
                            label_visibility="collapsed", key=f"{key}_pick",
                            select_all=False)  # Streamlit's bulk action is in English
    st.session_state[known] = {option: by_option[option] for option in picked if option in by_option}
    return list(st.session_state[known].values())
