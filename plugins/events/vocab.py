"""The events' vocabulary, as ../shared/domain.md names it: one spelling for every plugin.

Kinds are data (``models.EventKind``): these are the defaults every deployment starts with; a
county adds its own kinds on 年度计划. Each kind belongs to a *plan line* (计划项目), the line of
the yearly plan it counts towards: the academy's plan asks for at least 10 事迹宣讲和技术培训
(two kinds, one line) and at least 4 素质提升班 a year.
"""

from __future__ import annotations

TRAINING, EVENT = "培训", "活动"
CATEGORIES = (TRAINING, EVENT)

LECTURES_AND_TRAININGS = "事迹宣讲和技术培训"
QUALITY_CLASSES = "素质提升班"

# (kind, category, plan line): the defaults, in the order lists show them
DEFAULT_KINDS = (
    ("事迹宣讲", TRAINING, LECTURES_AND_TRAININGS),
    ("技术培训", TRAINING, LECTURES_AND_TRAININGS),
    ("素质提升班", TRAINING, QUALITY_CLASSES),
    ("交流活动", TRAINING, "交流活动"),
    ("劳动教育", EVENT, "劳动教育"),
    ("书画摄影展", EVENT, "展览展示"),
    ("展示交流", EVENT, "展览展示"),
    ("高峰访谈", EVENT, "论坛访谈"),
    ("座谈会", EVENT, "论坛访谈"),
    ("专场演出", EVENT, "文艺演出"),
    ("创新创效市集", EVENT, "创新创效市集"),
    ("宣讲", EVENT, "宣讲"),
    ("金锤子志愿服务", EVENT, "金锤子志愿服务"),
)
# the academy's yearly plan: the least number of held sessions per plan line, city-wide
DEFAULT_TARGETS = {LECTURES_AND_TRAININGS: 10, QUALITY_CLASSES: 4}

CITY = ""  # county_code of a city-wide event, kind or target

PLANNED, HELD, CANCELLED = "计划", "已举办", "取消"
STATUSES = (PLANNED, HELD, CANCELLED)

PRESENT, ABSENT, EXCUSED = "出席", "缺席", "请假"
ATTENDANCE = (PRESENT, ABSENT, EXCUSED)
NOT_TAKEN = "未签到"  # shown for an attendance not yet recorded (stored as NULL)

INVITED, REGISTERED = "已邀请", "已报名"
REGISTRATION = (INVITED, REGISTERED)

LECTURER, PARTICIPANT = "讲师", "学员"
ROLES = (LECTURER, PARTICIPANT)

SERIES_926 = "926工匠日"  # the Craftsman Day series, 26 September: "926工匠日 2026"

PHOTO_TYPES = ("jpg", "jpeg", "png")
MAX_PHOTO_MB = 5
MAX_PHOTOS = 12  # photos an event keeps
NOT_INVITED_YEARS = 2  # 参与统计: living roster people not invited in this many years
