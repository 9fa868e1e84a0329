"""The roster's vocabulary, as ../shared/domain.md names it: one spelling for every plugin."""

from __future__ import annotations

LEVELS = ("全国", "省级", "市级", "区县级")
HONOURS: dict[str, str] = {
    "全国劳动模范": "全国", "全国先进工作者": "全国", "全国五一劳动奖章": "全国", "大国工匠": "全国",
    "浙江省劳动模范": "省级", "浙江省先进工作者": "省级", "浙江省五一劳动奖章": "省级", "浙江工匠": "省级",
    "杭州市劳动模范": "市级", "杭州市先进工作者": "市级", "杭州工匠": "市级",
    "建德金匠": "区县级", "建德银匠": "区县级",
}
STATUSES = ("在职", "退休", "去世", "转出")
DECEASED = "去世"
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
