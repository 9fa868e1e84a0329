"""The studios' vocabulary, as ../shared/domain.md names it: one spelling for every plugin."""

from __future__ import annotations

KINDS = ("技能大师工作室", "劳模创新工作室", "工匠创新工作室", "职工创新工作室")
LEVELS = ("国家级", "省级", "市级", "区县级")
# a member's honour level as the roster names it (全国, 省级, …): national honourees
NATIONAL = "全国"
HONOUR_LEVELS = ("全国", "省级", "市级", "区县级")

ACTIVE, SUSPENDED, REMOVED = "运行", "暂停", "摘牌"
STATUSES = (ACTIVE, SUSPENDED, REMOVED)

# the four parts of the construction standard (建设标准), in the order it lists them
PARTS = ("组织架构", "职责任务", "场所设施", "制度")
EXCELLENT, GOOD, PASS, FAIL = "优秀", "良好", "合格", "不合格"
GRADES = (EXCELLENT, GOOD, PASS, FAIL)
# a standard's default thresholds (the least total for each grade), out of 100 points
DEFAULT_THRESHOLDS = {EXCELLENT: 90.0, GOOD: 80.0, PASS: 60.0}

LEADER, MEMBER = "领办人", "成员"
ROLES = (LEADER, MEMBER)
NEEDS_NEW_LEADER = "需更换领办人"

# yearly output (年度成果): column, Chinese label, unit
OUTPUT_FIELDS = (
    ("patents_invention", "发明专利", "件"),
    ("patents_utility", "实用新型专利", "件"),
    ("patents_design", "外观设计专利", "件"),
    ("innovations", "技术革新", "项"),
    ("proposals_adopted", "合理化建议（采纳）", "条"),
    ("apprentices", "带徒", "人"),
    ("apprentices_technician", "其中：达到技师", "人"),
    ("apprentices_senior", "其中：达到高级技师", "人"),
    ("awards", "获奖", "项"),
    ("benefit", "经济效益（万元）", "万元"),
)
OUTPUT_LABELS = {key: label for key, label, _ in OUTPUT_FIELDS}
