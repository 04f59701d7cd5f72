"""The plans a node's planners computed: kept, so a planner can come back to one and a
supervisor can see what was planned (where controls were to go is itself sensitive: only
the agency that made a plan sees it, ``policy.py``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, Float, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from alianza.db import Base


class RoutePlan(Base):
    """One interdiction plan and its result (PLAN.json, ``planning.py``)."""

    __tablename__ = "route_plans"
    __table_args__ = (Index("ix_route_plans_owner", "owner_country", "owner_agency"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # "max_flow" (Wood) or "shortest_path" (Israeli & Wood).
    model: Mapped[str] = mapped_column(String(16))
    network: Mapped[str] = mapped_column(String(120))
    budget: Mapped[float] = mapped_column(Float)
    # flow (max_flow) or the cheapest route's cost (shortest_path), before and after.
    before: Mapped[float] = mapped_column(Float)
    after: Mapped[float] = mapped_column(Float)
    optimal: Mapped[bool] = mapped_column(Boolean)
    result: Mapped[str] = mapped_column(Text)  # the plan's JSON
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    owner_country: Mapped[str] = mapped_column(String(2))
    owner_agency: Mapped[str] = mapped_column(String(80))
