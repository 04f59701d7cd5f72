"""Statistics for those who lead a regularisation programme: applications, outcomes and
processing times by country, programme and month, from aggregates only.

Decisions:

- **The database aggregates; no person leaves the query.** Two ``GROUP BY`` queries over
  the applications the principal's agency may see (the application rule's SQL form):
  one counts applications and outcomes, the other takes the median of the days from the
  application date to the first final decision, with window functions (the middle row,
  or the mean of the middle two), the same SQL on SQLite and PostgreSQL. Python only
  receives counts and medians per cell.
- **The month** is the application's (``application_date``, the filing date of the
  contract); **processing time** is counted from it to the day the application first
  became final (an appeal's second decision is not a new processing time).
- **Small cells are suppressed** (``SMALL_CELL``, 5): a group with fewer applications
  shows none of its figures; within a group, a count from 1 to 4 is hidden, and when only
  one count of a row would be hidden, the next smallest is hidden too, so that the total
  cannot give it back; a median of fewer than 5 decisions is hidden. Every hidden figure
  is ``None`` and named in the row's ``suppressed``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, Integer, case, cast, func, select
from sqlalchemy.orm import Session

from alianza.audit.service import audit_act
from alianza.auth.permissions import Principal, authorize, visible
from alianza.node.context import Node
from alianza.status.models import Application, Event

READ = "read_statistics"
SMALL_CELL = 5
OUTCOMES = ("eligible", "not_eligible", "open")
COUNTS = ("applications", *OUTCOMES, "paused_hit")


def _month(dialect: str) -> Any:
    if dialect == "postgresql":
        return func.to_char(Application.application_date, "YYYY-MM")
    return func.strftime("%Y-%m", Application.application_date)


def _days(dialect: str, decided_at: Any) -> Any:
    if dialect == "postgresql":
        return cast(decided_at, Date) - Application.application_date
    return cast(
        func.julianday(func.date(decided_at)) - func.julianday(Application.application_date),
        Integer,
    )


def _counts(session: Session, principal: Principal, month: Any) -> list[Any]:
    def count_of(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    stmt = (
        select(
            Application.country,
            Application.programme,
            month.label("month"),
            func.count().label("applications"),
            count_of(Application.outcome == "eligible").label("eligible"),
            count_of(Application.outcome == "not_eligible").label("not_eligible"),
            count_of(Application.status != "final").label("open"),
            count_of(Application.status == "paused_hit").label("paused_hit"),
        )
        .where(visible(principal, READ, Application))
        .group_by(Application.country, Application.programme, month)
    )
    return list(session.execute(stmt))


def _medians(session: Session, principal: Principal, month: Any) -> dict[Any, tuple[Any, int]]:
    dialect = session.get_bind().dialect.name
    first = (
        select(Event.application_id, func.min(Event.at).label("decided_at"))
        .where(Event.to_status == "final")
        .group_by(Event.application_id)
        .subquery()
    )
    keys = (Application.country, Application.programme, month)
    days = _days(dialect, first.c.decided_at)
    ranked = (
        select(
            Application.country.label("country"),
            Application.programme.label("programme"),
            month.label("month"),
            days.label("days"),
            func.row_number().over(partition_by=keys, order_by=days).label("rn"),
            func.count().over(partition_by=keys).label("n"),
        )
        .join(first, first.c.application_id == Application.id)
        .where(visible(principal, READ, Application))
        .subquery()
    )
    middle = ((ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2)
    stmt = (
        select(
            ranked.c.country,
            ranked.c.programme,
            ranked.c.month,
            func.avg(ranked.c.days),
            func.max(ranked.c.n),
        )
        .where(ranked.c.rn.in_(middle))
        .group_by(ranked.c.country, ranked.c.programme, ranked.c.month)
    )
    return {(c, p, m): (median, int(n)) for c, p, m, median, n in session.execute(stmt)}


def _suppress(row: dict[str, Any], decided: int) -> dict[str, Any]:
    hidden: list[str] = []
    if row["applications"] < SMALL_CELL:
        hidden = [*COUNTS, "median_days"]
    else:
        small = [k for k in OUTCOMES if 0 < row[k] < SMALL_CELL]
        if len(small) == 1:
            # One hidden count would come back as the total minus the others.
            rest = sorted((k for k in OUTCOMES if k not in small), key=lambda k: row[k])
            small.append(rest[0])
        hidden = small
        if 0 < row["paused_hit"] < SMALL_CELL:
            hidden.append("paused_hit")
        if decided < SMALL_CELL:
            hidden.append("median_days")
    for key in hidden:
        row[key] = None
    row["suppressed"] = hidden
    return row


def statistics(session: Session, node: Node, principal: Principal) -> dict[str, Any]:
    """Applications, outcomes and median processing days by country, programme and month
    (the agency's applications; small cells suppressed); audited."""
    authorize(principal, READ)
    month = _month(session.get_bind().dialect.name)
    medians = _medians(session, principal, month)
    rows = []
    for c in _counts(session, principal, month):
        key = (c.country, c.programme, c.month)
        median, decided = medians.get(key, (None, 0))
        row = {
            "country": c.country,
            "programme": c.programme,
            "month": c.month,
            **{k: int(getattr(c, k) or 0) for k in COUNTS},
            "median_days": None if median is None else round(float(median), 1),
        }
        rows.append(_suppress(row, decided))
    rows.sort(key=lambda r: (r["country"], r["programme"], r["month"]))
    audit_act(session, node, principal, "status.statistics", "", {"rows": len(rows)})
    return {"small_cell": SMALL_CELL, "rows": rows}
