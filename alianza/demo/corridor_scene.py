"""The demo's corridor scene (issue 14, first part): households waiting along the route
Chile -> Peru -> Ecuador -> Colombia -> Venezuela, planned onto bus runs and flights within
seats and the daily capacity of each border crossing and of reception; households with a
protection block or without consent stay out, each with its reason.

The same function as ``alianza corridor plan`` (``planner.solve``), on an instance from
``corridor.synthetic``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from alianza.corridor import planner
from alianza.corridor.contract import parse
from alianza.corridor.synthetic import instance

HOUSEHOLDS, DAYS = 4500, 30


def corridor_scene(data_dir: Path, console: Console) -> Path:
    """Plan the demo households; print the plan's figures and why the rest wait; write it."""
    raw = instance(households=HOUSEHOLDS, days=DAYS, seed=11)
    persons = sum(len(h["members"]) for h in raw["households"])
    console.print(Panel.fit("Corredor humanitario: retorno voluntario planificado"))
    plan = planner.solve(parse(raw), time_limit=20).as_json()
    table = Table(
        "hogares",
        "personas",
        "programadas",
        "cota superior (LP)",
        "brecha",
        "primero en llegar, primero en salir",
        title=f"{len(raw['departures'])} salidas (bus y avión) en {DAYS} días",
    )
    table.add_row(
        f"{HOUSEHOLDS:,}",
        f"{persons:,}",
        f"{plan['persons_scheduled']:,}",
        f"{plan['upper_bound']:,}",
        f"{plan['gap']:.2%}",
        f"{plan['greedy_persons']:,}",
    )
    console.print(table)
    why = Counter(u["reason"].split(":")[0] for u in plan["unscheduled"])
    for reason, count in why.most_common():
        console.print(f"  {count:>4} hogares sin programar: {reason}", highlight=False)
    out = data_dir / "corredor-plan.json"
    out.write_text(json.dumps(plan, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    console.print(f"Plan del corredor: {out}", highlight=False, soft_wrap=True)
    return out
