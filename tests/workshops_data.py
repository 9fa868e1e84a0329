"""Small, explicit studio data for the studios' tests: each test makes what it asserts on.

    with session_scope(ADMIN) as s:
        studio = make_studio(s, county="330182", name="新安江水电检修工作室")
        standard = make_standard(s, 2026)
"""

from __future__ import annotations

from core.data.audit import Actor
from plugins.workshops.models import Member, Studio
from plugins.workshops.standards import new_default_standard

ADMIN = Actor("fixture", "admin")


def make_studio(session, *, name: str = "测试工作室", county: str = "330182", kind: str = "劳模创新工作室",
                level: str = "市级", employer: str = "建德市新安江水电站", named_year: int = 2020,
                status: str = "运行", leader: tuple[int | None, str] | None = None,
                members: tuple[tuple[int | None, str], ...] = ()) -> Studio:
    """A studio, flushed (it has its id); ``leader`` and ``members`` are (person id, name)."""
    studio = Studio(name=name, kind=kind, level=level, host_employer=employer, county_code=county,
                    named_year=named_year, status=status)
    if leader:
        studio.leader_id, studio.leader_name = leader
        studio.members.append(Member(person_id=leader[0], name=leader[1], role="领办人"))
    for person_id, member_name in members:
        studio.members.append(Member(person_id=person_id, name=member_name, role="成员"))
    session.add(studio)
    session.flush()
    return studio


def make_standard(session, year: int, *, county: str = ""):
    """The default checklist as ``year``'s standard of the city ("") or ``county``, flushed."""
    standard = new_default_standard(year, county_code=county)
    session.add(standard)
    session.flush()
    return standard
