"""The roster's vocabulary, as ../shared/domain.md names it: one spelling for every plugin."""

from __future__ import annotations

LEVELS = ("全国", "省级", "市级", "区县级")
HONOURS: dict[str, str] = {
    "全国劳动模范": "全国", "全国先进工作者": "全国", "全国五一劳动奖章": "全国", "大国工匠": "全国",
    "浙江省劳动模范": "省级", "浙江省先进工作者": "省级", "浙江省五一劳动奖章": "省级", "浙江工匠": "省级",
    "杭州市劳动模范": "市级", "杭州市先进工作者": "市级", "杭州工匠": "市级",
    "建德金匠": "区县级", "建德银匠": "区县级",
}
# who awards each honour; a county title is awarded by the county's trade union (county_body)
AWARDING_BODIES: dict[str, str] = {
    "全国劳动模范": "中华人民共和国国务院", "全国先进工作者": "中华人民共和国国务院",
    "全国五一劳动奖章": "中华全国总工会", "大国工匠": "中华全国总工会",
    "浙江省劳动模范": "浙江省人民政府", "浙江省先进工作者": "浙江省人民政府",
    "浙江省五一劳动奖章": "浙江省总工会", "浙江工匠": "浙江省总工会",
    "杭州市劳动模范": "杭州市人民政府", "杭州市先进工作者": "杭州市人民政府", "杭州工匠": "杭州市总工会",
}


def awarding_body(honour: str, county: str) -> str | None:
    """Who awards ``honour``: AWARDING_BODIES, or for a county title the union of ``county``
    (its name, e.g. 建德市 -> 建德市总工会)."""
    if honour in AWARDING_BODIES:
        return AWARDING_BODIES[honour]
    return f"{county}总工会" if HONOURS.get(honour) == "区县级" else None


STATUSES = ("在职", "退休", "去世", "转出")
DECEASED = "去世"
# change requests (变动申请): what a request does, and where it stands
CHANGE_KINDS = ("新增", "关系转移", "去世", "信息更正")
PENDING, RETURNED, APPROVED, REJECTED, WITHDRAWN = "待审核", "退回修改", "已通过", "已驳回", "已撤回"
REQUEST_STATES = (PENDING, RETURNED, APPROVED, REJECTED, WITHDRAWN)
OPEN_STATES = (PENDING, RETURNED)  # still to be decided; the submitter may withdraw them
# the steps of a request's history (registry_change_event.action)
EVENTS = ("提交", "退回修改", "重新提交", "通过", "驳回", "撤回")
GENDERS = ("男", "女")


def mask_id(number: str | None) -> str:
    """330182********123X: the issuing area and the last four, nothing of the birth date."""
    if not number:
        return ""
    return number[:6] + "*" * (len(number) - 10) + number[-4:] if len(number) > 10 else "****"


def mask_birth(date, show: bool) -> str:
    """The birth date in full only where the full ID number may be seen (it is part of it)."""
    if date is None:
        return ""
    return date.isoformat() if show else f"{date.year} 年"


def mask_phone(phone: str | None) -> str:
    """138****5678."""
    if not phone:
        return ""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"
