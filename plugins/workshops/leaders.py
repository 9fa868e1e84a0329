"""Reacting to the roster: an approved change about a person reaches ``roster_changed`` inside
the roster's approval transaction (``jiangxin_notification``, see ``__init__``).

Every Member row of the person takes the roster's name, highest honour and death; the studios
they lead take the name. A leader's death, or a transfer that takes the leader out of the
studio's county or host employer, flags the studio (not one already 摘牌) 需更换领办人 with what
happened in ``leader_issue``. Only what differs is written, so the same approval reported twice
changes nothing the second time. The roster is never imported: people come from
``core.host.people``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.host.people import PersonRef, get_people
from core.settings.counties import county_name
from plugins.workshops.models import Member, Studio
from plugins.workshops.vocab import REMOVED

ADDITION, TRANSFER, DEATH, CORRECTION = "新增", "关系转移", "去世", "信息更正"


def _same(a: str | None, b: str | None) -> bool:
    return " ".join((a or "").split()) == " ".join((b or "").split())


def _set(obj, **values) -> None:
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)


def leader_issue(ref: PersonRef, studio: Studio, kind: str) -> str | None:
    """What makes ``ref`` no leader for ``studio`` after a change of ``kind`` (Chinese), or None."""
    if kind == DEATH and ref.deceased:
        return f"领办人{ref.name}已去世"
    if kind == TRANSFER:
        moved_county = ref.county_code != studio.county_code
        moved_employer = bool(ref.employer) and not _same(ref.employer, studio.host_employer)
        if moved_county or moved_employer:
            employer = f"（{ref.employer}）" if ref.employer else ""
            return f"领办人{ref.name}已调至{county_name(ref.county_code)}{employer}"
    return None


def roster_changed(session: Session, person_id: int, kind: str) -> None:
    """The roster approved a change of ``kind`` (新增, 关系转移, 去世, 信息更正) about
    ``person_id``: refresh their snapshots, flag the studios they lead when they died or left."""
    ref = get_people(session, None, [person_id]).get(person_id)
    if ref is None:
        return
    honour = ref.honour[:40] if ref.honour else None
    for member in session.scalars(select(Member).where(Member.person_id == person_id)):
        _set(member, name=ref.name[:50], honour=honour, honour_level=ref.honour_level or None,
             deceased=bool(ref.deceased))
    for studio in session.scalars(select(Studio).where(Studio.leader_id == person_id)):
        _set(studio, leader_name=ref.name[:50])
        if studio.status == REMOVED:
            continue
        issue = leader_issue(ref, studio, kind)
        if issue is not None:
            _set(studio, needs_new_leader=True, leader_issue=issue[:200])
    session.flush()
