"""People across plugins: the small reference a plugin keeps of a person another plugin owns
(see ``jiangxin_people_search`` and ``jiangxin_people_get`` in core.host.hookspecs).

A plugin never imports the roster. It asks core:

    found = search_people(session, user, "wjg")          # PersonRef list, the roster's answer
    row.update(snapshot(found[0], prefix="mentor"))      # mentor_id=…, mentor_name="王建国"
    name = display_name(session, user, row.mentor_id, row.mentor_name)  # live, else the snapshot

and keeps the person's id with a snapshot of the name, so its pages still read right when the
roster is disabled or the person is outside the reader's counties. Pages use the pickers in
``core.ui.people``. No Streamlit here: the command line and reports use these functions too.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

DECEASED = "去世"
MAX_TEXT = 50  # characters of a search text: longer is no name, initials or ID number
MAX_LIMIT = 200  # the most people one search returns, whatever the caller asks
GET_CHUNK = 500  # ids per jiangxin_people_get call (bound parameters stay few)


@dataclass(frozen=True)
class PersonRef:
    """A person as another plugin may see them: never the full ID number or phone.

    ``status`` is the roster's 人员状态 (在职, 退休, 去世, 转出); ``id_number_masked`` is
    shown as 330182********123X; ``honour`` is the person's highest honour (None: none) and ``honour_level`` its level (全国, 省级, 市级, 区县级);
    ``employer`` the 工作单位 ("" when unknown). ``source`` names the plugin that answered
    (core fills it in).

    A *typed* name (``PersonRef.typed("张三")``: ``id`` None, ``source`` "") is what the pickers
    return when no plugin answers for people: a name the user typed, on no roster.
    """

    id: int | None
    name: str
    county_code: str
    status: str = "在职"
    id_number_masked: str = ""
    honour: str | None = None
    source: str = ""
    employer: str = ""
    honour_level: str | None = None

    @property
    def deceased(self) -> bool:
        return self.status == DECEASED

    @property
    def is_typed(self) -> bool:
        """A name typed by hand (no plugin answered), not a reference to anyone's record."""
        return self.id is None

    @classmethod
    def typed(cls, name: str, county_code: str = "") -> PersonRef:
        """A name typed by hand, for when no plugin answers for people."""
        return cls(id=None, name=name, county_code=county_code, status="")


@dataclass(frozen=True)
class PeopleQuery:
    """Which people ``list_people`` asks for: everyone matching all that is set.

    ``text`` as for ``search_people`` (a name, initials, an ID fragment); ``counties`` narrows
    within the user's own (None: all they may see); ``honour_level`` keeps people holding an
    honour of that level (全国, 省级, 市级, 区县级); the deceased are left out unless
    ``include_deceased``. ``excluding`` is a SQL ``select`` of person ids to leave out, run in
    the same database (e.g. everyone invited to an event in the last two years); it must
    yield no NULL."""

    text: str = ""
    counties: tuple[str, ...] | None = None
    honour_level: str | None = None
    include_deceased: bool = False
    excluding: Any = None


@dataclass(frozen=True)
class PeoplePage:
    """One page of ``list_people``: the people (sorted by county, then name) and how many
    match in all."""

    people: list[PersonRef]
    total: int


class PeopleFound(list):
    """The people a search found (a plain list of PersonRef), with ``refusals``: why a plugin
    searched nobody (an ID fragment the user may not search by, too many ID searches), in
    Chinese, for the picker to show."""

    refusals: tuple[str, ...] = ()


# the refusals of the search in progress (set by search_people around its hook calls)
_refusals: ContextVar[list[str] | None] = ContextVar("jiangxin_people_refusals", default=None)


def refuse_search(message: str) -> None:
    """Inside ``jiangxin_people_search``: tell the user why this text found nobody (Chinese).

    The picker shows ``message`` as a warning instead of "not found". Outside a search it does
    nothing. The roster calls it for an ID fragment the 人员名册 would refuse too."""
    refusals = _refusals.get()
    if refusals is not None and message not in refusals:
        refusals.append(message)


def _host():
    from core.host.loader import get_host  # the host imports this module's PersonRef

    return get_host()


def people_available() -> bool:
    """Whether a loaded plugin answers for people (the roster, unless it is disabled)."""
    return bool(_host().ordered_impls("jiangxin_people_search"))


def clean_text(text: str | None) -> str:
    """A search text as it is searched: spaces collapsed, at most MAX_TEXT characters."""
    return " ".join((text or "").split())[:MAX_TEXT]


def search_people(session, user, text: str, limit: int = 20) -> PeopleFound:
    """At most ``limit`` people matching ``text`` (part of a name, pinyin initials, part of an
    ID number), within ``user``'s counties, from every plugin that answers (in the host's
    order; each ref's ``source`` is its plugin). Empty text finds nobody.

    Each plugin decides what ``user`` may find (counties, the roster's ID-search rules);
    ``.refusals`` says why a plugin found nobody. Every call is a search: a page should not
    repeat it on each rerun (``core.ui.people`` keeps the last result per text)."""
    found = PeopleFound()
    text = clean_text(text)
    limit = max(0, min(int(limit), MAX_LIMIT))
    if not text or not limit:
        return found
    token = _refusals.set([])
    try:
        answers = _host().call_each("jiangxin_people_search", session=session, user=user,
                                    text=text, limit=limit)
        refusals = tuple(_refusals.get() or ())
    finally:
        _refusals.reset(token)
    seen: set[tuple[str, int]] = set()
    for plugin, people in answers:
        for ref in (people or ())[:limit]:
            if (plugin, ref.id) not in seen:
                seen.add((plugin, ref.id))
                found.append(replace(ref, source=plugin))
    del found[limit:]
    found.refusals = refusals
    return found


def list_people(session, user, query: PeopleQuery, offset: int = 0,
                limit: int = 50) -> PeoplePage:
    """A page of the people matching ``query`` within ``user``'s counties (``user`` None: every
    county, for the command line, demo data and reports), and their total:
    for inviting a whole group (every living 省级 honouree of 淳安县) or finding who was left
    out. The first plugin that answers ``jiangxin_people_list`` (the roster) gives the page;
    with none, the page is empty. ``limit`` is at most MAX_LIMIT."""
    limit = max(0, min(int(limit), MAX_LIMIT))
    query = replace(query, text=clean_text(query.text))
    for plugin, page in _host().call_each("jiangxin_people_list", session=session, user=user,
                                          query=query, offset=max(0, int(offset)), limit=limit):
        if page is not None:
            return PeoplePage([replace(ref, source=plugin) for ref in page.people[:limit]],
                              int(page.total))
    return PeoplePage([], 0)


def get_people(session, user, ids: Iterable[int | None]) -> dict[int, PersonRef]:
    """The people of ``ids`` that a plugin keeps and ``user`` may see (``user`` None: every
    county, for the command line and reports), by id. ``None`` ids (typed names) are skipped;
    ids nobody answers for are missing. When two plugins answer for one id, the first asked
    (core's order) wins."""
    wanted = sorted({i for i in ids if isinstance(i, int) and not isinstance(i, bool)})
    people: dict[int, PersonRef] = {}
    for start in range(0, len(wanted), GET_CHUNK):
        chunk = wanted[start:start + GET_CHUNK]
        asked = set(chunk)
        for plugin, refs in _host().call_each("jiangxin_people_get", session=session, user=user,
                                              ids=chunk):
            for ref in refs or ():
                if ref.id in asked and ref.id not in people:
                    people[ref.id] = replace(ref, source=plugin)
    return people


def snapshot(ref: PersonRef, prefix: str = "person") -> dict[str, Any]:
    """What a plugin stores of a picked person: ``{"person_id": id, "person_name": name}``
    (``prefix`` names the pair, e.g. ``mentor`` → ``mentor_id``, ``mentor_name``). A typed name
    stores ``None`` as its id."""
    return {f"{prefix}_id": ref.id, f"{prefix}_name": ref.name}


def display_names(session, user, stored: Iterable[tuple[int | None, str]]) -> list[str]:
    """Names to show for stored ``(person_id, person_name)`` pairs, in one lookup: the live
    name when a plugin answers for the id (within ``user``'s counties), else the snapshot."""
    pairs = list(stored)
    live = get_people(session, user, (pid for pid, _ in pairs)) if people_available() else {}
    return [live[pid].name if pid in live else name for pid, name in pairs]


def display_name(session, user, person_id: int | None, stored_name: str) -> str:
    """One stored person's name to show: see :func:`display_names`."""
    return display_names(session, user, [(person_id, stored_name)])[0]
