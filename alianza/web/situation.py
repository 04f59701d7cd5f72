"""The situation picture for the alliance's leaders: counts, never persons.

Every figure is an aggregate query: seizures by month, port and route
(``seizures.service.aggregates``, which authorises ``report_seizures`` and audits);
return cases by state (``corridor``'s cases the principal may see, through the one
permission function's SQL twin, counted by ``status`` only); exchange activity by month
(hit/no-hit queries sent and answered, from the audit log's action names the principal
may read, and release requests by direction). No name, document, birth date or free text
is selected.

Migrants by country and status are published figures (R4V and the UN, with their dates):
the node holds no census of migrants, and the page says so. What the node does hold is
its regularisation applications by country and outcome (``status.stats.statistics``, its
small cells suppressed; the suppressed ones are left out of the sums, and said so). The
corridor's counts follow the same small-cell rule. Reading the picture is
``view_situation`` (supervisors: the people who speak for the alliance), audited once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alianza.audit.models import AuditEntry
from alianza.audit.service import audit_act
from alianza.auth.permissions import Action, Principal, authorize, holds, visible
from alianza.corridor.models import ReturnCase, ReturnMember
from alianza.exchange.models import ReleaseRequest
from alianza.node.context import Node
from alianza.seizures import service as seizures
from alianza.status import stats

SITUATION = "view_situation"
MANAGE_RETURNS = "manage_returns"
QUERY_ACTIONS = {"exchange.query_sent": "sent", "exchange.query_received": "received"}
MONTHS = 12  # months of exchange activity shown
SMALL_CELL = stats.SMALL_CELL  # a count below it is not shown (one rule for the leaders)
OUTCOMES = ("eligible", "not_eligible", "open")

# Published figures (product.md, "Figures"): Venezuelan refugees and migrants per host
# country, and the share without regular status where one has been published. A range is
# shown as its middle with the range beside it.
MIGRANTS: tuple[dict[str, Any], ...] = (
    {
        "country": "CO",
        "total": 2_800_000,
        "range": None,
        "irregular": None,
        "source": "R4V, julio de 2024",
    },
    {
        "country": "PE",
        "total": 1_600_000,
        "range": (1_500_000, 1_700_000),
        "irregular": None,
        "source": "R4V, julio de 2024",
    },
    {
        "country": "CL",
        "total": 590_000,
        "range": (530_000, 650_000),
        "irregular": 300_000,
        "source": "R4V, julio de 2024; en situación irregular: unas 300.000 personas, en su "
        "mayoría venezolanas (estimación pública citada en product.md)",
    },
    {
        "country": "EC",
        "total": 445_000,
        "range": None,
        "irregular": 267_000,
        "source": "R4V, julio de 2024; en situación irregular: cerca del 60 % (estimación de "
        "la ONU)",
    },
)
MIGRANTS_ABROAD = {"total": 7_890_000, "source": "R4V, noviembre de 2024"}


@dataclass(slots=True)
class Picture:
    """Everything the page, the PNG and the PDF show."""

    made_at: datetime
    node: str
    migrants: tuple[dict[str, Any], ...] = MIGRANTS
    migrants_abroad: dict[str, Any] = field(default_factory=lambda: dict(MIGRANTS_ABROAD))
    seizures_by: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    cases: list[dict[str, Any]] = field(default_factory=list)  # status, cases, people
    regularisation: list[dict[str, Any]] = field(default_factory=list)  # per country
    exchange: list[dict[str, Any]] = field(default_factory=list)  # month, counts


def _seizures(session: Session, node: Node, principal: Principal) -> dict[str, list[Any]]:
    if not holds(principal, seizures.REPORT):
        return {}
    out: dict[str, list[Any]] = {}
    for by in ("month", "port", "route"):
        # Summed over substances: the picture counts seizures and kilograms per group.
        rows: dict[str, dict[str, Any]] = {}
        for g in seizures.aggregates(session, node=node, principal=principal, by=by):
            row = rows.setdefault(g[by], {"key": g[by], "seizures": 0, "quantity_kg": 0.0})
            row["seizures"] += g["seizures"]
            row["quantity_kg"] += g["quantity_kg"]
        if by == "month":
            out[by] = sorted(rows.values(), key=lambda r: str(r["key"]))
        else:
            out[by] = sorted(rows.values(), key=lambda r: -float(r["quantity_kg"]))
    return out


def _cases(session: Session, principal: Principal) -> list[dict[str, Any]]:
    if not holds(principal, MANAGE_RETURNS):
        return []
    seen = visible(principal, MANAGE_RETURNS, ReturnCase)
    cases = dict(
        session.execute(
            select(ReturnCase.status, func.count()).where(seen).group_by(ReturnCase.status)
        ).all()
    )
    people = dict(
        session.execute(
            select(ReturnCase.status, func.count(ReturnMember.id))
            .join(ReturnMember, ReturnMember.case_id == ReturnCase.id)
            .where(seen)
            .group_by(ReturnCase.status)
        ).all()
    )
    from alianza.corridor.casework import STATUSES

    return [
        {"status": s, "cases": _small(cases.get(s, 0)), "people": _small(people.get(s, 0))}
        for s in STATUSES
        if cases.get(s)
    ]


def _small(count: int) -> int | None:
    """A count, or None below ``SMALL_CELL`` (a household in a rare state stays unseen)."""
    return int(count) if count >= SMALL_CELL else None


def _regularisation(session: Session, node: Node, principal: Principal) -> list[Any]:
    if not holds(principal, stats.READ):
        return []
    by_country: dict[str, dict[str, Any]] = {}
    for row in stats.statistics(session, node, principal)["rows"]:
        total = by_country.setdefault(
            row["country"],
            {"country": row["country"], "applications": 0, **dict.fromkeys(OUTCOMES, 0),
             "suppressed": 0},
        )  # fmt: skip
        if row["applications"] is None:
            total["suppressed"] += 1
            continue
        total["applications"] += row["applications"]
        for key in OUTCOMES:
            total[key] += row[key] or 0
        total["suppressed"] += bool(set(row["suppressed"]) & set(OUTCOMES))
    return sorted(by_country.values(), key=lambda r: str(r["country"]))


def _month(session: Session, column: Any) -> Any:
    """AAAA-MM of a timestamp column, in the database's own words."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _exchange(session: Session, principal: Principal) -> list[dict[str, Any]]:
    months: dict[str, Counter[str]] = {}
    if holds(principal, Action.AUDIT):
        month = func.substr(AuditEntry.at, 1, 7)
        rows = session.execute(
            select(month, AuditEntry.action, func.count())
            .where(
                AuditEntry.action.in_(QUERY_ACTIONS),
                visible(principal, Action.AUDIT, AuditEntry),
            )
            .group_by(month, AuditEntry.action)
        ).all()
        for when, action, count in rows:
            months.setdefault(str(when), Counter())[f"queries_{QUERY_ACTIONS[action]}"] += count
    # Release requests have no owning agency: the node's own counts, by direction.
    asked = _month(session, ReleaseRequest.requested_at)
    for direction, when, count in session.execute(
        select(ReleaseRequest.direction, asked, func.count()).group_by(
            ReleaseRequest.direction, asked
        )
    ):
        key = "releases_asked" if direction == "out" else "releases_received"
        months.setdefault(str(when), Counter())[key] += count
    keys = ("queries_sent", "queries_received", "releases_asked", "releases_received")
    return [
        {"month": m, **{k: int(months[m].get(k, 0)) for k in keys}}
        for m in sorted(months)[-MONTHS:]
    ]


def picture(session: Session, *, node: Node, principal: Principal) -> Picture:
    """The situation picture as the principal may see it (aggregates only); audited."""
    authorize(principal, SITUATION)
    found = Picture(made_at=datetime.now(UTC), node=f"{node.agency} · {node.country}")
    found.seizures_by = _seizures(session, node, principal)
    found.cases = _cases(session, principal)
    found.regularisation = _regularisation(session, node, principal)
    found.exchange = _exchange(session, principal)
    audit_act(
        session,
        node,
        principal,
        "situation.view",
        "",
        {
            "seizure_groups": sum(len(v) for v in found.seizures_by.values()),
            "case_states": len(found.cases),
            "regularisation_countries": len(found.regularisation),
            "exchange_months": len(found.exchange),
        },
    )
    return found
