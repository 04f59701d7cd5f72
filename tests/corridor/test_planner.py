"""The corridor planner: hand-made optima, every plan checked against the contract, the
hard blocks under hypothesis, never worse than first come first served."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alianza.corridor import planner
from alianza.corridor.contract import parse
from alianza.corridor.synthetic import instance
from tests.corridor.conftest import check_plan


def small() -> dict[str, Any]:
    return {
        "start_date": "2027-03-01",
        "horizon_days": 5,
        "stops": [
            {
                "id": "scl",
                "name": "Santiago",
                "country": "CL",
                "kind": "city",
                "daily_capacity": None,
            },
            {
                "id": "bor",
                "name": "Frontera",
                "country": "CL",
                "kind": "border",
                "daily_capacity": 5,
            },
            {
                "id": "rec",
                "name": "Recepción",
                "country": "VE",
                "kind": "reception",
                "daily_capacity": 100,
            },
        ],
        "departures": [
            {
                "id": "b1",
                "mode": "bus",
                "seats": 6,
                "calls": [
                    {"stop": "scl", "date": "2027-03-01"},
                    {"stop": "bor", "date": "2027-03-02"},
                    {"stop": "rec", "date": "2027-03-03"},
                ],
            },
            {
                "id": "b2",
                "mode": "bus",
                "seats": 6,
                "calls": [
                    {"stop": "scl", "date": "2027-03-02"},
                    {"stop": "bor", "date": "2027-03-03"},
                    {"stop": "rec", "date": "2027-03-04"},
                ],
            },
        ],
        "households": [
            _home("h1", 4, "2027-03-01"),
            _home("h2", 3, "2027-03-01"),
            _home("h3", 2, "2027-03-01"),
            _home("h4", 1, "2027-03-02"),
        ],
    }


def _home(hid: str, size: int, ready: str, **member: Any) -> dict[str, Any]:
    members = [
        {"id": f"{hid}-{i}", "birth_date": "1990-01-01", "consent": True, "flags": []}
        for i in range(size)
    ]
    members[0].update(member)
    return {
        "id": hid,
        "origin": "scl",
        "ready_date": ready,
        "priority": "normal",
        "members": members,
    }


def test_hand_optimum_whole_households_within_the_border_capacity() -> None:
    # The border lets 5 a day through: day 2 (bus b1) and day 3 (bus b2). Households of
    # 4, 3, 2, 1: the best is 5 + 5 = 10 (4+1 and 3+2); first come first served puts the
    # 4 on b1, then the 3 on b2, and the 2 and the 1 fit b2's last 2 crossings only partly.
    raw = small()
    plan = planner.solve(parse(raw), time_limit=5).as_json()
    assert check_plan(raw, plan) == 10 == plan["upper_bound"]
    assert plan["optimal"] and plan["gap"] == 0
    assert plan["greedy_persons"] <= 10


def test_a_blocked_or_unconsented_household_is_never_scheduled_and_says_why() -> None:
    raw = small()
    raw["households"][0] = _home("h1", 4, "2027-03-01", flags=["asylum_pending"])
    raw["households"][1] = _home("h2", 3, "2027-03-01", consent=False)
    plan = planner.solve(parse(raw), time_limit=5).as_json()
    check_plan(raw, plan)
    reasons = {u["household"]: u["reason"] for u in plan["unscheduled"]}
    assert "asilo" in reasons["h1"] and "derivado" in reasons["h1"]
    assert "consentimiento" in reasons["h2"]


def test_best_interests_determination_lifts_the_childs_block() -> None:
    raw = small()
    raw["households"] = [
        _home("h1", 1, "2027-03-01", flags=["unaccompanied_minor", "best_interests_determined"])
    ]
    plan = planner.solve(parse(raw), time_limit=5).as_json()
    assert [a["household"] for a in plan["assignments"]] == ["h1"]


def test_nothing_to_plan() -> None:
    raw = small()
    raw["households"] = []
    plan = planner.solve(parse(raw), time_limit=5).as_json()
    assert plan["persons_scheduled"] == 0 == plan["upper_bound"] and plan["assignments"] == []


@st.composite
def instances(draw: st.DrawFn) -> dict[str, Any]:
    raw = small()
    raw["stops"][1]["daily_capacity"] = draw(st.integers(0, 12))
    raw["stops"][2]["daily_capacity"] = draw(st.one_of(st.none(), st.integers(0, 12)))
    for dep in raw["departures"]:
        dep["seats"] = draw(st.integers(0, 10))
    flags = st.lists(
        st.sampled_from(
            [
                "asylum_pending",
                "refugee",
                "unaccompanied_minor",
                "trafficking_victim",
                "unfit_to_travel",
                "best_interests_determined",
                "medical_needs",
            ]
        ),
        max_size=2,
    )
    homes = []
    for i in range(draw(st.integers(0, 9))):
        size = draw(st.integers(1, 5))
        home = _home(
            f"h{i}",
            size,
            draw(st.sampled_from(["2027-02-20", "2027-03-01", "2027-03-02", "2027-03-09"])),
        )
        for m in home["members"]:
            m["flags"] = draw(flags)
            m["consent"] = draw(st.booleans()) or draw(st.booleans())
        home["priority"] = draw(st.sampled_from(["normal", "high"]))
        homes.append(home)
    raw["households"] = homes
    return raw


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=instances())
def test_every_plan_keeps_the_contract_and_the_blocks(raw: dict[str, Any]) -> None:
    plan = planner.solve(parse(copy.deepcopy(raw)), time_limit=2).as_json()
    persons = check_plan(raw, plan)
    assert persons >= plan["greedy_persons"]


def test_a_corridor_instance_is_planned_within_half_a_percent_of_the_bound() -> None:
    raw = instance(households=600, days=30, seed=3)
    plan = planner.solve(parse(copy.deepcopy(raw)), time_limit=20).as_json()
    persons = check_plan(raw, plan)
    assert persons >= plan["greedy_persons"]
    assert plan["gap"] <= 0.005, plan["gap"]
    reasons = " ".join(u["reason"] for u in plan["unscheduled"])
    assert "bloqueo de protección" in reasons


def test_replanning_keeps_assignments_that_still_fit() -> None:
    raw = instance(households=300, days=20, seed=5)
    first = planner.solve(parse(copy.deepcopy(raw)), time_limit=10).as_json()
    before = {a["household"]: a["departure"] for a in first["assignments"]}
    # A change: one bus is cancelled (no seats), new households arrive.
    cancelled = raw["departures"][0]["id"]
    raw["departures"][0]["seats"] = 0
    newcomers = instance(households=40, days=20, seed=6)["households"]
    raw["households"] += [
        {
            **h,
            "id": f"nuevo-{h['id']}",
            "members": [{**m, "id": f"n-{m['id']}"} for m in h["members"]],
        }
        for h in newcomers
    ]
    again = planner.solve(parse(copy.deepcopy(raw)), time_limit=10, keep=before).as_json()
    check_plan(raw, again)
    after = {a["household"]: a["departure"] for a in again["assignments"]}
    moved = {h for h, d in before.items() if d != cancelled and after.get(h) != d}
    assert not moved, f"re-planning moved {len(moved)} households that still fit"
    assert all(after.get(h) != cancelled for h in before)
