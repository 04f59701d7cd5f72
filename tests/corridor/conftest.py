"""Corridor planner tests touch no database: they run once, with the default backend.

``check_plan`` is the independent check of a plan against its INPUT.json, written from
the contract, not from the planner: whole households, boarding on or after the ready date
at the origin within the horizon, seats, border and reception capacities per day, and no
household with a blocked member or a member without consent.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import pytest

BLOCKING = {
    "asylum_pending",
    "refugee",
    "unaccompanied_minor",
    "trafficking_victim",
    "unfit_to_travel",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--db") != "postgresql":
        return
    skip = pytest.mark.skip(reason="sin base de datos: se prueba una vez, con SQLite")
    for item in items:
        # Casework, protection and check-ins are on the node's database: they run on both.
        on_node = ("test_casework", "test_protection", "test_checkins", "test_views")
        path = str(item.fspath)
        if "tests/corridor/" in path and not any(name in path for name in on_node):
            item.add_marker(skip)


def adult(ref: str, given: str, surname: str, **extra: Any) -> dict[str, Any]:
    """A consenting adult of a household file, without flags (``extra`` overrides)."""
    return {
        "id": ref,
        "birth_date": "1985-04-02",
        "consent": True,
        "flags": [],
        "given_names": given,
        "surname_1": surname,
        **extra,
    }


def blocked(household: dict[str, Any]) -> bool:
    for m in household["members"]:
        flags = set(m.get("flags", []))
        if m["consent"] is not True:
            return True
        if "unaccompanied_minor" in flags and "best_interests_determined" in flags:
            flags.discard("unaccompanied_minor")
        if flags & BLOCKING:
            return True
    return False


def check_plan(raw: dict[str, Any], plan: dict[str, Any]) -> int:
    """Raise AssertionError if the plan breaks the contract; the persons it schedules."""
    start = date.fromisoformat(raw["start_date"])
    end = start + timedelta(days=raw["horizon_days"] - 1)
    stops = {s["id"]: s for s in raw["stops"]}
    deps = {d["id"]: d for d in raw["departures"]}
    homes = {h["id"]: h for h in raw["households"]}
    seen = set()
    load: dict[str, int] = defaultdict(int)
    through: dict[tuple[str, str], int] = defaultdict(int)
    persons = 0
    for a in plan["assignments"]:
        h, d = homes[a["household"]], deps[a["departure"]]
        assert h["id"] not in seen, f"{h['id']} twice"
        seen.add(h["id"])
        assert not blocked(h), f"{h['id']} is blocked and was scheduled"
        size = len(h["members"])
        ready = date.fromisoformat(h["ready_date"])
        boarding = next(
            (
                i
                for i, c in enumerate(d["calls"])
                if c["stop"] == h["origin"]
                and ready <= date.fromisoformat(c["date"]) <= end
                and date.fromisoformat(c["date"]) >= start
            ),
            None,
        )
        assert boarding is not None, f"{d['id']} cannot board {h['id']}"
        load[d["id"]] += size
        for c in d["calls"][boarding:]:
            kind = stops[c["stop"]]["kind"]
            if kind in ("border", "reception"):
                through[(c["stop"], c["date"])] += size
        persons += size
    for dep, n in load.items():
        assert n <= deps[dep]["seats"], f"{dep} over its seats"
    for (stop, day), n in through.items():
        cap = stops[stop].get("daily_capacity")
        assert cap is None or n <= cap, f"{stop} on {day}: {n} > {cap}"
    assert {u["household"] for u in plan["unscheduled"]} | seen == set(homes)
    assert not {u["household"] for u in plan["unscheduled"]} & seen
    assert all(u["reason"] for u in plan["unscheduled"])
    assert plan["persons_scheduled"] == persons <= plan["upper_bound"]
    return persons
