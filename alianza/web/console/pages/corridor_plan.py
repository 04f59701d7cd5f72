"""The corridor plan as a timeline per departure: the default corridor's bus runs and
flights over a window of days, each with its calls (stop and date), the households
scheduled on it and, on request, the planner's proposal for the approved households.

A proposal is the planner of ``POST /api/v1/corridor/plan`` (``contract.parse`` and
``planner.solve``) on the households the caseworker's agency has approved, holding the
scheduled ones where they are (``keep``). It only proposes: a person schedules each
household with the workflow's move and a reason (Ley 21.719 art. 8 bis, LOPDP art. 20),
and ``casework.move`` checks the protection blocks again. Households are read through
``casework.cases``, ``members`` and ``consents``, which authorise each case.

Departures get stable ids here (mode, first stop, date of the first call, run of the
day: ``bus-santiago-2026-12-03-0``), so a household scheduled today is found on its
departure whatever window is shown later.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from alianza.auth.permissions import Principal
from alianza.corridor import casework, contract, planner
from alianza.corridor.synthetic import default_corridor, departures
from alianza.errors import InputError
from alianza.web.console.i18n import parse_day
from alianza.web.console.pages.corridor import VOCABULARY
from alianza.web.console.render import page
from alianza.web.console.session import PREFIX, requires
from alianza.web.deps import NodeDep, unit

router = APIRouter(include_in_schema=False)
Caseworker = Annotated[Principal, requires(casework.MANAGE)]
MAX_DAYS = 31
PLAN_SECONDS = 10.0  # a page, not a batch job (the CLI has no cap)
# Households the planner may place: approved ones; scheduled ones are held where they are.
PLANNED = ("approved", "scheduled")


def _window(start: str, days: int) -> date:
    if not start:
        return date.today()
    try:
        return date.fromisoformat(parse_day(start))
    except ValueError:
        raise InputError.at("desde", "fecha inválida (use DD-MM-AAAA)") from None


def stable_departures(start: date, days: int) -> list[dict[str, Any]]:
    """The default corridor's departures in the window, with ids that do not depend on it."""
    _, found = departures(start, days)
    runs: dict[tuple[str, str, str], int] = {}
    out = []
    for d in found:
        first = d["calls"][0]
        mode = "bus" if d["mode"] == "bus" else "vuelo"
        key = (mode, first["stop"], first["date"])
        n = runs.get(key, 0)
        runs[key] = n + 1
        ident = f"{mode}-{first['stop'][3:]}-{first['date']}" + (f"-{n}" if mode == "bus" else "")
        out.append({**d, "id": ident})
    return out


def _household(session: Session, principal: Principal, case: Any) -> dict[str, Any]:
    people = casework.members(session, principal, case.id)
    given = {
        c.member_id for c in casework.consents(session, principal, case.id) if not c.withdrawn_at
    }
    return {
        "id": case.id,
        "origin": case.origin,
        "ready_date": case.ready_date.isoformat(),
        "priority": case.priority,
        "members": [
            {
                "id": m.person_ref,
                "birth_date": m.birth_date.isoformat() if m.birth_date else None,
                "consent": m.id in given,
                "flags": json.loads(m.flags),
            }
            for m in people
        ],
    }


def _propose(
    session: Session,
    principal: Principal,
    *,
    cases: list[Any],
    start: date,
    days: int,
    runs: list[dict[str, Any]],
) -> tuple[dict[str, str], list[dict[str, str]], dict[str, Any]]:
    stops = {s["id"] for s in default_corridor()["stops"]}
    run_ids = {d["id"] for d in runs}
    households, keep, outside = [], {}, []
    for c in cases:
        if c.status not in PLANNED:
            continue
        if c.origin not in stops:
            outside.append({"household": c.id, "reason": "origen fuera del corredor"})
            continue
        if c.status == "scheduled":
            if c.departure not in run_ids:
                continue  # on a departure outside the window: it takes no seat here
            keep[c.id] = c.departure
        households.append(_household(session, principal, c))
    corridor = {
        "start_date": start.isoformat(),
        "horizon_days": days,
        "stops": [{k: v for k, v in s.items() if k != "day"} for s in default_corridor()["stops"]],
        "departures": runs,
        "households": households,
    }
    result = planner.solve(contract.parse(corridor), time_limit=PLAN_SECONDS, keep=keep).as_json()
    proposed = {
        a["household"]: a["departure"]
        for a in result["assignments"]
        if keep.get(a["household"]) != a["departure"]
    }
    return proposed, outside + result["unscheduled"], result


def _call(call: dict[str, Any], names: dict[str, Any]) -> dict[str, Any]:
    stop = names[call["stop"]]
    return {**call, "stop_name": stop["name"], "kind": stop["kind"]}


@router.get(f"{PREFIX}/corredor/plan")
def plan(
    request: Request,
    node: NodeDep,
    principal: Caseworker,
    start: Annotated[str, Query(alias="desde", max_length=10)] = "",
    days: Annotated[int, Query(alias="dias", ge=1, le=MAX_DAYS)] = 14,
    propose: Annotated[bool, Query(alias="proponer")] = False,
) -> Response:
    first = _window(start, days)
    runs = stable_departures(first, days)
    names = {s["id"]: s for s in default_corridor()["stops"]}
    with unit(node) as session:
        cases = casework.cases(session, principal, limit=1000)
        proposed: dict[str, str] = {}
        unscheduled: list[dict[str, str]] = []
        summary: dict[str, Any] | None = None
        if propose:
            proposed, unscheduled, summary = _propose(
                session, principal, cases=cases, start=first, days=days, runs=runs
            )
        rows = [casework.summary(c) for c in cases]
    by_id = {r["id"]: r for r in rows}
    on: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if r["status"] in ("scheduled", "departed", "crossed", "arrived") and r["departure"]:
            on.setdefault(r["departure"], []).append({**r, "proposed": False})
    for case_id, departure in proposed.items():
        on.setdefault(departure, []).append({**by_id[case_id], "proposed": True})
    shown = [
        {**d, "households": on.pop(d["id"]), "calls": [_call(c, names) for c in d["calls"]]}
        for d in runs
        if d["id"] in on
    ]
    return page(
        request,
        "corridor/plan.html",
        runs=shown,
        empty=len(runs) - len(shown),
        elsewhere=on,
        unscheduled=[{**u, "case": by_id.get(u["household"])} for u in unscheduled],
        summary=summary,
        start=first,
        end=first + timedelta(days=days - 1),
        days=days,
        propose=propose,
        tab="plan",
        **VOCABULARY,
    )
