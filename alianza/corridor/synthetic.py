"""Corridor instances shaped like the return corridor, for the benchmark, the tests and
the demo: Chile -> Peru -> Ecuador -> Colombia -> Venezuela overland (about 7,500 km,
the crossings Chacalluta-Santa Rosa, Aguas Verdes-Huaquillas, Rumichaca and the Simón
Bolívar bridge at Cúcuta, reception at San Antonio del Táchira, about 300 persons a day)
and flights to Maiquetía.

Households are drawn where the Venezuelan population lives along the route (Santiago,
the north of Chile, Lima, Guayaquil, Quito, Bogotá), with sizes from one to eight
(20,000 persons in about 7,000 households), ready dates over the first weeks, a few
without consent and a few with a protection block.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from functools import cache
from importlib.resources import files
from typing import Any

import numpy as np


@cache
def default_corridor() -> dict[str, Any]:
    """The corridor shipped as editable data (``data/corridor.json``): stops with their
    daily capacities and day offsets on the overland bus from Santiago, the bus lines, the
    flights by weekday, seats, and where households wait."""
    text = (files("alianza.corridor") / "data" / "corridor.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def departures(start: date, days: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(stops, departures) of the default corridor over ``days`` days from ``start``, in
    the planner's INPUT.json shape: every bus line's runs each day, calling at every stop
    from its first on, and the week's flights."""
    corridor = default_corridor()
    route = [s for s in corridor["stops"] if "day" in s]
    stops = [{k: v for k, v in s.items() if k != "day"} for s in corridor["stops"]]
    offset = {s["id"]: s["day"] for s in route}
    out: list[dict[str, Any]] = []
    for day in range(days):
        for line in corridor["bus_lines"]:
            first = line["first_stop"]
            calls = [
                {
                    "stop": s["id"],
                    "date": (
                        start + timedelta(days=day + offset[s["id"]] - offset[first])
                    ).isoformat(),
                }
                for s in route
                if offset[s["id"]] >= offset[first]
            ]
            for n in range(line["buses_per_day"]):
                out.append(
                    {
                        "id": f"bus-{first[3:]}-{day:03d}-{n}",
                        "mode": "bus",
                        "seats": corridor["bus_seats"],
                        "calls": calls,
                    }
                )
        for flight in corridor["flights"]:
            if day % 7 in flight["weekdays"]:
                when = (start + timedelta(days=day)).isoformat()
                out.append(
                    {
                        "id": f"vuelo-{flight['origin'][3:]}-{day:03d}",
                        "mode": "flight",
                        "seats": corridor["flight_seats"],
                        "calls": [
                            {"stop": flight["origin"], "date": when},
                            {"stop": flight["to"], "date": when},
                        ],
                    }
                )
    return stops, out


def instance(
    *,
    households: int = 7_000,
    days: int = 60,
    seed: int = 0,
    start: date = date(2027, 3, 1),
    blocked_share: float = 0.02,
    no_consent_share: float = 0.02,
) -> dict[str, Any]:
    """An INPUT.json document (``contract.py``)."""
    rng = np.random.default_rng(seed)
    stops, out_departures = departures(start, days)
    waiting = default_corridor()["origins"]
    origins = list(waiting)
    weights = np.array(list(waiting.values()), dtype=float)
    weights /= weights.sum()
    out_households = []
    person = 0
    flags_pool = [
        "asylum_pending",
        "refugee",
        "unaccompanied_minor",
        "trafficking_victim",
        "unfit_to_travel",
    ]
    for h in range(households):
        size = int(min(8, 1 + rng.poisson(1.86)))
        origin = origins[int(rng.choice(len(origins), p=weights))]
        ready = start + timedelta(days=int(rng.integers(-10, int(days * 0.75))))
        members = []
        for m in range(size):
            adult = m < 2 or rng.random() < 0.2
            age = int(rng.integers(18, 75)) if adult else int(rng.integers(0, 18))
            birth = start - timedelta(days=365 * age + int(rng.integers(0, 365)))
            flags: list[str] = []
            if rng.random() < blocked_share / max(1, size):
                flags.append(flags_pool[int(rng.integers(len(flags_pool)))])
            if rng.random() < 0.03:
                flags.append("medical_needs")
            members.append(
                {
                    "id": f"p{person:06d}",
                    "birth_date": birth.isoformat(),
                    "consent": bool(rng.random() >= no_consent_share / max(1, size)),
                    "flags": flags,
                }
            )
            person += 1
        out_households.append(
            {
                "id": f"h{h:05d}",
                "origin": origin,
                "ready_date": ready.isoformat(),
                "priority": "high" if rng.random() < 0.08 else "normal",
                "members": members,
            }
        )
    return {
        "start_date": start.isoformat(),
        "horizon_days": days,
        "stops": stops,
        "departures": out_departures,
        "households": out_households,
    }
