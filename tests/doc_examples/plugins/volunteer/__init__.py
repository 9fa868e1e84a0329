"""金锤子志愿服务队: volunteer activities of the Golden Hammer team, with hours per county."""

from pathlib import Path

from sqlalchemy import func, select

from core.access.permissions import Permission
from core.host.hookspecs import hookimpl
from core.host.metrics import Metric, MetricResult
from core.host.pages import Page

from .models import VolunteerActivity
from .pages import activities_page
from .sheets import ACTIVITIES

__version__ = "0.1.0"


@hookimpl
def jiangxin_permissions():
    return [
        Permission("volunteer.view", "查看志愿服务", {"admin", "reviewer", "staff", "manager"}),
        Permission("volunteer.edit", "登记志愿服务", {"admin", "staff"}),
    ]


@hookimpl
def jiangxin_pages():
    return [Page(url_path="volunteer-activities", title="志愿服务", section="关怀服务",
                 icon="🔨", target=activities_page, permission="volunteer.view", order=300)]


@hookimpl
def jiangxin_models():
    return [VolunteerActivity]


@hookimpl
def jiangxin_migrations():
    return Path(__file__).parent / "migrations"


def _hours(ctx):
    stmt = (select(func.coalesce(func.sum(VolunteerActivity.hours), 0))
            .where(ctx.county_filter(VolunteerActivity.county_code)))
    if ctx.year:
        stmt = stmt.where(func.extract("year", VolunteerActivity.held_on) == ctx.year)
    return MetricResult(value=float(ctx.session.scalar(stmt)), help="志愿服务总时长（小时）")


@hookimpl
def jiangxin_metrics():
    return [Metric(key="volunteer-hours", title="志愿服务时长", compute=_hours,
                   tables=frozenset({"volunteer_activity"}), permission="volunteer.view",
                   link="volunteer-activities")]


@hookimpl
def jiangxin_spreadsheet_tables():
    return [ACTIVITIES]


@hookimpl
def jiangxin_demo_data(session, faker, seed):
    import random

    rng = random.Random(seed)
    for _ in range(12):
        session.add(VolunteerActivity(title=f"{faker.city_name()}义务维修", county_code="330182",
                                      held_on=faker.date_this_year(), hours=rng.choice([2, 3, 4])))
