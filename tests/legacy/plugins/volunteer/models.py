from datetime import date

from sqlalchemy import Date, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base


class VolunteerActivity(Base):
    __tablename__ = "volunteer_activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    county_code: Mapped[str] = mapped_column(String(12), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    hours: Mapped[float] = mapped_column(Numeric(6, 1))
