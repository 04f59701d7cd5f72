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

from datetime import date, timedelta
from typing import Any

import numpy as np

# (id, name, country, kind, daily capacity, day offset from Santiago on the overland bus)
CORRIDOR: tuple[tuple[str, str, str, str, int | None, int], ...] = (
    ("cl-santiago", "Santiago", "CL", "city", None, 0),
    ("cl-antofagasta", "Antofagasta", "CL", "city", None, 1),
    ("cl-iquique", "Iquique", "CL", "city", None, 2),
    ("cl-arica", "Arica", "CL", "city", None, 2),
    ("x-chacalluta", "Chacalluta–Santa Rosa", "CL", "border", 500, 2),
    ("pe-tacna", "Tacna", "PE", "city", None, 3),
    ("pe-lima", "Lima", "PE", "city", None, 4),
    ("pe-tumbes", "Tumbes", "PE", "city", None, 5),
    ("x-huaquillas", "Aguas Verdes–Huaquillas", "PE", "border", 500, 5),
    ("ec-guayaquil", "Guayaquil", "EC", "city", None, 6),
    ("ec-quito", "Quito", "EC", "city", None, 7),
    ("x-rumichaca", "Rumichaca", "EC", "border", 450, 7),
    ("co-cali", "Cali", "CO", "city", None, 8),
    ("co-bogota", "Bogotá", "CO", "city", None, 9),
    ("co-cucuta", "Cúcuta", "CO", "city", None, 10),
    ("x-simon-bolivar", "Puente Simón Bolívar", "CO", "border", 400, 10),
    ("ve-san-antonio", "San Antonio del Táchira (recepción)", "VE", "reception", 220, 10),
)
AIRPORT_RECEPTION = ("ve-maiquetia", "Maiquetía (recepción aérea)", "VE", "reception", 180)
# Where households wait (share), and the overland bus lines (first stop, buses a day).
ORIGINS = {
    "cl-santiago": 0.34,
    "cl-antofagasta": 0.07,
    "cl-iquique": 0.06,
    "cl-arica": 0.04,
    "pe-lima": 0.21,
    "ec-guayaquil": 0.09,
    "ec-quito": 0.11,
    "co-bogota": 0.08,
}
BUS_LINES = {"cl-santiago": 3, "pe-lima": 2, "ec-guayaquil": 1, "co-bogota": 1}
FLIGHTS = {"cl-santiago": (0, 3), "pe-lima": (1,), "ec-quito": (4,)}
BUS_SEATS, FLIGHT_SEATS = 45, 180


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
    stops = [
        {"id": s, "name": n, "country": c, "kind": k, "daily_capacity": cap}
        for s, n, c, k, cap, _ in CORRIDOR
    ]
    stops.append(
        dict(
            zip(("id", "name", "country", "kind", "daily_capacity"), AIRPORT_RECEPTION, strict=True)
        )
    )
    offset = {s: off for s, *_, off in CORRIDOR}
    departures: list[dict[str, Any]] = []
    for day in range(days):
        for first, per_day in BUS_LINES.items():
            route = [s for s, *_ in CORRIDOR if offset[s] >= offset[first]]
            for n in range(per_day):
                calls = [
                    {
                        "stop": s,
                        "date": (
                            start + timedelta(days=day + offset[s] - offset[first])
                        ).isoformat(),
                    }
                    for s in route
                ]
                departures.append(
                    {
                        "id": f"bus-{first[3:]}-{day:03d}-{n}",
                        "mode": "bus",
                        "seats": BUS_SEATS,
                        "calls": calls,
                    }
                )
        for origin, weekdays in FLIGHTS.items():
            if day % 7 in weekdays:
                when = (start + timedelta(days=day)).isoformat()
                departures.append(
                    {
                        "id": f"vuelo-{origin[3:]}-{day:03d}",
                        "mode": "flight",
                        "seats": FLIGHT_SEATS,
                        "calls": [
                            {"stop": origin, "date": when},
                            {"stop": AIRPORT_RECEPTION[0], "date": when},
                        ],
                    }
                )
    origins = list(ORIGINS)
    weights = np.array(list(ORIGINS.values()))
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
        "departures": departures,
        "households": out_households,
    }
