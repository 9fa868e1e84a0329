"""The roster's to-dos for the 工作台: requests to decide, and one's own requests to act on.

Reviewers (``registry.review``): the pending requests of their counties they may decide (never
their own, as changes._conclude refuses), those waiting more than 7 days (changes.OVERDUE, the
overview's 超期) as one overdue to-do, the rest as another; both link to 审核队列.
Staff (``registry.submit``): their requests sent back for revision (to fix), their rejections
not yet read, and their requests still pending after 7 days; all link to 我的申请.
Each group is counted in one SQL query, however many requests there are.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from core.access.auth import CurrentUser
from core.access.permissions import in_counties
from core.data.db import utcnow
from core.host.loader import get_host
from core.host.todos import NORMAL, OVERDUE, SOON, Todo
from plugins.registry.changes import OVERDUE as OVERDUE_AFTER
from plugins.registry.models import ChangeRequest
from plugins.registry.vocab import PENDING, REJECTED, RETURNED

QUEUE, MINE = "registry-review", "registry-mine"
DAYS = OVERDUE_AFTER.days


def _counted(session: Session, where: ColumnElement[bool], groups: dict[str, tuple]) -> dict:
    """For each group ``name: (condition, time column)``: (count, oldest) in one query."""
    columns = []
    for condition, at in groups.values():
        columns += [func.count().filter(condition), func.min(at).filter(condition)]
    row = session.execute(select(*columns).select_from(ChangeRequest).where(where)).one()
    return {name: (int(row[2 * i] or 0), row[2 * i + 1]) for i, name in enumerate(groups)}


def _to_decide(session: Session, user: CurrentUser) -> list[Todo]:
    late = ChangeRequest.submitted_at < utcnow() - OVERDUE_AFTER
    found = _counted(session, and_(ChangeRequest.state == PENDING,
                                   ChangeRequest.submitted_by != user.username, in_counties(ChangeRequest.county_code, user.visible_counties())),
                     {"late": (late, ChangeRequest.submitted_at),
                      "recent": (~late, ChangeRequest.submitted_at)})
    todos = []
    (n_late, oldest_late), (n_recent, oldest_recent) = found["late"], found["recent"]
    if n_late:
        todos.append(Todo(key="registry-to-decide-overdue", title=f"超过 {DAYS} 天未审核的名册变动",
                          count=n_late, oldest=oldest_late, urgency=OVERDUE, link=QUEUE,
                          link_params={"overdue": "1"}, help="请优先审核等待最久的申请"))
    if n_recent:
        todos.append(Todo(key="registry-to-decide", title="待审核的名册变动", count=n_recent,
                          oldest=oldest_recent, urgency=NORMAL, link=QUEUE,
                          link_params={"overdue": "0"}, help="按提交先后审核"))
    return todos


def _own(session: Session, user: CurrentUser) -> list[Todo]:
    mine = and_(ChangeRequest.submitted_by == user.username, in_counties(ChangeRequest.county_code, user.visible_counties()))
    found = _counted(session, mine, {
        "returned": (ChangeRequest.state == RETURNED, ChangeRequest.decided_at),
        "rejected": (and_(ChangeRequest.state == REJECTED, ChangeRequest.seen_by_submitter.is_(False)),
                     ChangeRequest.decided_at),
        "waiting": (and_(ChangeRequest.state == PENDING,
                         ChangeRequest.submitted_at < utcnow() - OVERDUE_AFTER), ChangeRequest.submitted_at),
    })
    todos = []
    n, oldest = found["returned"]
    if n:
        todos.append(Todo(key="registry-returned", title="退回修改的变动申请", count=n, oldest=oldest,
                          urgency=SOON, link=MINE, link_params={"state": RETURNED},
                          help="按审核意见修改后重新提交，或撤回"))
    n, oldest = found["rejected"]
    if n:
        todos.append(Todo(key="registry-rejected", title="新驳回的变动申请", count=n, oldest=oldest,
                          urgency=NORMAL, link=MINE, link_params={"state": REJECTED, "new": "1"},
                          help="查看驳回理由；需要时重新提交新的申请"))
    n, oldest = found["waiting"]
    if n:
        todos.append(Todo(key="registry-waiting", title=f"提交超过 {DAYS} 天仍待审核的申请", count=n,
                          oldest=oldest, urgency=NORMAL, link=MINE,
                          link_params={"state": PENDING, "overdue": "1"},
                          help="仍在等待审核，如有急需请联系市协会"))
    return todos


def todos(session: Session, user: CurrentUser) -> list[Todo]:
    """``user``'s roster to-dos: to decide with ``registry.review``, to act on one's own
    requests with ``registry.submit``, within the user's counties."""
    host = get_host()
    found = []
    if host.allowed(user, "registry.review"):
        found += _to_decide(session, user)
    if host.allowed(user, "registry.submit"):
        found += _own(session, user)
    return found
