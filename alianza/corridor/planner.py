"""The corridor planner: whole households onto departures, within seats and the daily
capacities of border crossings and of the receiving point.

The model (``alianza corridor plan``; the contract is ``contract.py``):

- a household boards a departure at the departure's first call at the household's origin
  that falls on or after its ready date and inside the horizon, and stays on to the last
  call; it is never split;
- seats: the persons a departure boards, wherever they board, are at most its seats;
- a border stop's ``daily_capacity``: the persons on board when a departure calls there
  (those who boarded at that call or before) count as crossing it that day, summed over
  every departure calling there that day; a reception stop's ``daily_capacity`` counts
  arrivals the same way. (Counting a call where persons board as a crossing is the
  cautious reading: a plan that holds under it holds under any other.) A city's
  ``daily_capacity`` is shown, not enforced: shelter beds are casework;
- a household with a protection block or a member without consent is never scheduled
  (``blocks.py``), whatever the input says.

Objective, in order: the most persons scheduled; then households with priority (``high``,
or a member with medical needs, over 65 or under 5 on the start date); then the longest
waits (the earliest ready dates).

Why it solves at 20,000 persons: households with the same origin, the same first possible
boarding day, the same size and the same priority are interchangeable, so the model counts
how many of each such group board each departure (an integer per group and departure),
not a Boolean per household and departure (the naive model, which found no solution in
60 s at 5,000 households). The grouping is exact: any plan of the groups is a plan of the
households, given back by handing each group's seats to its households in order of
waiting time. The LP relaxation (GLOP) gives the upper bound; CP-SAT (OR-Tools) solves
the integer model in two phases, persons first, then the tie-breaks with the persons
fixed, warm-started from the first-come-first-served greedy plan that is also the
baseline.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from alianza.corridor.blocks import blocks, is_protection_block
from alianza.corridor.contract import CorridorInput, Household

PRIORITY_FLAGS = frozenset(
    {"medical", "medical_needs", "chronic_illness", "pregnant", "disability", "elderly"}
)


@dataclass(slots=True)
class Leg:
    """Where a departure calls, by day offset, and what each call counts against."""

    departure: str
    seats: int
    calls: list[tuple[str, int]]  # (stop, day offset)


@dataclass(slots=True)
class Group:
    origin: str
    first_day: int  # the first day a departure can board them (defines the options)
    size: int
    priority: bool
    households: list[Household] = field(default_factory=list)
    options: list[tuple[int, int]] = field(default_factory=list)  # (leg index, boarding call)


@dataclass(slots=True)
class Result:
    assignments: list[tuple[str, str]]
    unscheduled: list[tuple[str, str]]
    persons_scheduled: int
    upper_bound: int
    lp_bound: float
    optimal: bool
    seconds: float
    greedy_persons: int
    households_scheduled: int

    def as_json(self) -> dict[str, Any]:
        gap = (
            0.0
            if self.upper_bound == 0
            else max(0.0, (self.upper_bound - self.persons_scheduled) / self.upper_bound)
        )
        return {
            "assignments": [{"household": h, "departure": d} for h, d in self.assignments],
            "unscheduled": [{"household": h, "reason": r} for h, r in self.unscheduled],
            "persons_scheduled": self.persons_scheduled,
            "upper_bound": self.upper_bound,
            "solve_seconds": round(self.seconds, 3),
            "households_scheduled": self.households_scheduled,
            "lp_bound": round(self.lp_bound, 3),
            "gap": round(gap, 6),
            "optimal": self.optimal,
            "greedy_persons": self.greedy_persons,
        }


def _age(birth: date | None, on: date) -> int | None:
    if birth is None:
        return None
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def is_priority(household: Household, on: date) -> bool:
    if household.priority == "high":
        return True
    for m in household.members:
        age = _age(m.birth_date, on)
        if {f.lower() for f in m.flags} & PRIORITY_FLAGS or (
            age is not None and (age >= 65 or age < 5)
        ):
            return True
    return False


@dataclass(slots=True)
class Problem:
    data: CorridorInput
    legs: list[Leg]
    room: dict[tuple[str, int], int]  # persons a border or reception can still take that day
    groups: list[Group]
    unscheduled: list[tuple[str, str]]
    # (stop, day) -> [(leg, call index)] for capacity rows
    counted: dict[tuple[str, int], list[tuple[int, int]]]
    kept: list[tuple[str, str, int]] = field(default_factory=list)  # household, departure, size


def build(data: CorridorInput, *, keep: dict[str, str] | None = None) -> Problem:
    """The grouped problem. ``keep`` (household -> departure, a previous plan's) are held
    where they still hold: the household still eligible, the departure still boarding at
    its origin on or after its ready date, a seat and room at every crossing; the seats
    and room they take come off before planning the rest."""
    horizon = data.horizon_days
    legs = [
        Leg(d.id, d.seats, [(c.stop, (c.date - data.start_date).days) for c in d.calls])
        for d in data.departures
    ]
    capacity = {
        s.id: s.daily_capacity
        for s in data.stops
        if s.kind in ("border", "reception") and s.daily_capacity is not None
    }
    # Boarding calls by origin: (day, leg, call) sorted by day.
    boarding: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for li, leg in enumerate(legs):
        seen: set[str] = set()
        for ci, (stop, day) in enumerate(leg.calls):
            if stop in seen or not 0 <= day < horizon or leg.seats == 0:
                continue
            if ci == len(leg.calls) - 1 and len(leg.calls) > 1:
                continue  # the last call only lets people off
            seen.add(stop)
            boarding[stop].append((day, li, ci))
    for options in boarding.values():
        options.sort()
    counted: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
    for li, leg in enumerate(legs):
        for ci, (stop, day) in enumerate(leg.calls):
            if stop in capacity:
                counted[(stop, day)].append((li, ci))
    room = {key: capacity[key[0]] for key in counted}
    by_id = {leg.departure: li for li, leg in enumerate(legs)}
    names = {s.id: s.name or s.id for s in data.stops}
    groups: dict[tuple[str, int, int, bool], Group] = {}
    unscheduled: list[tuple[str, str]] = []
    kept: list[tuple[str, str, int]] = []
    for household in data.households:
        found = blocks((m.id, m.flags, m.consent) for m in household.members)
        if found:
            protection = [b for b in found if is_protection_block(b)]
            if protection:
                why = "; ".join(f"{b.reason} ({b.member})" for b in protection)
                unscheduled.append(
                    (household.id, f"bloqueo de protección: {why}; en espera y derivado")
                )
            else:
                who = ", ".join(b.member for b in found)
                unscheduled.append(
                    (household.id, f"sin consentimiento: {who} (sin consentimiento no hay asiento)")
                )
            continue
        ready = (household.ready_date - data.start_date).days
        if ready >= horizon:
            unscheduled.append((household.id, "listo después del horizonte del plan"))
            continue
        options = [
            (day, li, ci) for day, li, ci in boarding.get(household.origin, []) if day >= ready
        ]
        if not options:
            unscheduled.append(
                (
                    household.id,
                    f"ninguna salida pasa por {names[household.origin]} desde "
                    f"{household.ready_date} dentro del horizonte",
                )
            )
            continue
        held = (keep or {}).get(household.id)
        if held is not None and _hold(household, held, options, legs, by_id, room):
            kept.append((household.id, held, len(household.members)))
            continue
        key = (
            household.origin,
            options[0][0],
            len(household.members),
            is_priority(household, data.start_date),
        )
        group = groups.get(key)
        if group is None:
            group = Group(*key, options=[(li, ci) for _, li, ci in options])
            groups[key] = group
        group.households.append(household)
    for group in groups.values():
        group.households.sort(key=lambda h: (h.ready_date, h.id))
    return Problem(data, legs, room, list(groups.values()), unscheduled, dict(counted), kept)


def _hold(
    household: Household,
    departure: str,
    options: list[tuple[int, int, int]],
    legs: list[Leg],
    by_id: dict[str, int],
    room: dict[tuple[str, int], int],
) -> bool:
    """Take a previous assignment's seat and room if it still fits (else plan anew)."""
    li = by_id.get(departure)
    boarding = next((ci for _, lj, ci in options if lj == li), None)
    if li is None or boarding is None:
        return False
    size = len(household.members)
    leg = legs[li]
    keys = [k for k in leg.calls[boarding:] if k in room]
    if leg.seats < size or any(room[k] < size for k in keys):
        return False
    leg.seats -= size
    for k in keys:
        room[k] -= size
    return True


def _weights(problem: Problem) -> list[int]:
    """Tie-break weight per household of each group: priority, then the longest wait."""
    horizon = problem.data.horizon_days
    out = []
    for g in problem.groups:
        wait = horizon - min(max(g.first_day, 0), horizon)  # an earlier first day waited longer
        out.append((3 * horizon if g.priority else 0) + wait + 1)
    return out


def greedy(
    problem: Problem,
    *,
    counts: dict[tuple[int, int], int] | None = None,
    by_need: bool = False,
) -> dict[tuple[int, int], int]:
    """First come, first served: households by ready date (``by_need``: priority first),
    each on the first departure from its origin with a seat and room at every border and
    reception call from its boarding on. ``counts`` are seats already given (the rounded
    LP): the greedy then fills what they left."""
    seats = {li: leg.seats for li, leg in enumerate(problem.legs)}
    room = dict(problem.room)
    out: dict[tuple[int, int], int] = defaultdict(int)
    placed: dict[int, int] = defaultdict(int)

    def take(gi: int, oi: int) -> bool:
        g = problem.groups[gi]
        li, ci = g.options[oi]
        if seats[li] < g.size:
            return False
        keys = [k for k in problem.legs[li].calls[ci:] if k in room]
        if any(room[k] < g.size for k in keys):
            return False
        seats[li] -= g.size
        for k in keys:
            room[k] -= g.size
        out[(gi, oi)] += 1
        placed[gi] += 1
        return True

    for (gi, oi), n in (counts or {}).items():
        for _ in range(n):
            take(gi, oi)
    order = sorted(
        (
            (not g.priority if by_need else False, h.ready_date, h.id, gi)
            for gi, g in enumerate(problem.groups)
            for h in g.households
        )
    )
    waiting = {gi: len(g.households) - placed[gi] for gi, g in enumerate(problem.groups)}
    for *_, gi in order:
        if waiting[gi] <= 0:
            continue
        for oi in range(len(problem.groups[gi].options)):
            if take(gi, oi):
                waiting[gi] -= 1
                break
    return out


def _persons(problem: Problem, counts: dict[tuple[int, int], int]) -> int:
    return sum(problem.groups[gi].size * n for (gi, _), n in counts.items())


def solve(
    data: CorridorInput, *, time_limit: float = 60.0, keep: dict[str, str] | None = None
) -> Result:
    """The plan (see the module's docstring); ``keep``: a previous plan's assignments,
    held where they still fit (re-planning after a change moves nobody who need not)."""
    from ortools.linear_solver import pywraplp

    started = time.perf_counter()
    problem = build(data, keep=keep)
    held = sum(size for *_, size in problem.kept)
    base = greedy(problem)
    greedy_persons = _persons(problem, base) + held
    keys = [(gi, oi) for gi, g in enumerate(problem.groups) for oi in range(len(g.options))]
    rows = _rows(problem, keys)
    # The LP relaxation, twice: the most persons (the upper bound), then, with that many
    # persons, priority households and the longest waits first.
    lp = pywraplp.Solver.CreateSolver("GLOP")
    lp_vars = {k: lp.NumVar(0.0, lp.infinity(), "") for k in keys}
    for terms, bound in rows:
        row = lp.Constraint(-lp.infinity(), float(bound))
        for k, coef in terms:
            row.SetCoefficient(lp_vars[k], float(coef))
    objective = lp.Objective()
    for k, var in lp_vars.items():
        objective.SetCoefficient(var, float(problem.groups[k[0]].size))
    objective.SetMaximization()
    lp.Solve()
    lp_bound = objective.Value() if keys else 0.0
    upper = math.floor(lp_bound + 1e-6)
    if keys:
        floor_row = lp.Constraint(lp_bound - 1e-6 * max(1.0, lp_bound), lp.infinity())
        weights = _weights(problem)
        for k, var in lp_vars.items():
            size = float(problem.groups[k[0]].size)
            floor_row.SetCoefficient(var, size)
            objective.SetCoefficient(var, size * weights[k[0]])
        lp.Solve()
    # Round down, then let the greedy fill what rounding left, in order of need.
    rounded = {k: math.floor(var.solution_value() + 1e-7) for k, var in lp_vars.items()}
    counts = greedy(problem, counts={k: n for k, n in rounded.items() if n > 0}, by_need=True)
    best = _persons(problem, counts)
    if greedy_persons - held > best:  # never worse than the baseline
        counts, best = dict(base), greedy_persons - held
    left = time_limit - (time.perf_counter() - started)
    if best < upper and left > 1.0:
        # CP-SAT on the pairs that matter: those the LP used, those the plan uses, and each
        # group's first few departures (a restricted integer model: the full one has
        # 400,000 pairs at 7,000 households and CP-SAT spends the minute building it).
        lp_used = {k for k, var in lp_vars.items() if var.solution_value() > 1e-7}
        near = {
            (gi, oi) for gi, g in enumerate(problem.groups) for oi in range(min(3, len(g.options)))
        }
        subset = sorted(lp_used | {k for k, n in counts.items() if n} | near)
        if len(subset) <= CP_SAT_MAX_VARIABLES:
            counts, best, upper = _improve(
                problem, subset, _rows(problem, subset), counts, best, upper, left,
                proves=len(subset) == len(keys),
            )  # fmt: skip
    # Held assignments count on both sides: the bound is for the plan that keeps them.
    return _result(
        problem, counts, upper + held, lp_bound + held, best >= upper, started, greedy_persons
    )


# Above this many (group, departure) pairs the CP-SAT polish is skipped: CP-SAT's model
# alone would take longer to build than the time left.
CP_SAT_MAX_VARIABLES = 150_000


def _rows(
    problem: Problem, keys: list[tuple[int, int]]
) -> list[tuple[list[tuple[tuple[int, int], int]], int]]:
    """(terms, upper bound) of every constraint: households per group, seats per
    departure, persons per border or reception and day."""
    by_leg: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for gi, oi in keys:
        by_leg[problem.groups[gi].options[oi][0]].append((gi, oi))
    rows: list[tuple[list[tuple[tuple[int, int], int]], int]] = []
    by_group: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for k in keys:
        by_group[k[0]].append(k)
    for gi, members in by_group.items():
        rows.append(([(k, 1) for k in members], len(problem.groups[gi].households)))
    for li, members in by_leg.items():
        rows.append(([(k, problem.groups[k[0]].size) for k in members], problem.legs[li].seats))
    for (stop, day), calls in problem.counted.items():
        terms = [
            ((gi, oi), problem.groups[gi].size)
            for li, cj in calls
            for gi, oi in by_leg.get(li, [])
            if problem.groups[gi].options[oi][1] <= cj
        ]
        if terms:
            rows.append((terms, problem.room[(stop, day)]))
    return rows


def _improve(
    problem: Problem,
    keys: list[tuple[int, int]],
    rows: list[tuple[list[tuple[tuple[int, int], int]], int]],
    counts: dict[tuple[int, int], int],
    best: int,
    upper: int,
    seconds: float,
    *,
    proves: bool,
) -> tuple[dict[tuple[int, int], int], int, int]:
    """CP-SAT on the integer model over ``keys``, from the rounded plan, for what time is
    left; its bound counts only when ``keys`` are all the pairs (``proves``)."""
    from ortools.sat.python import cp_model

    deadline = time.perf_counter() + seconds
    model = cp_model.CpModel()
    x = {}
    for k in keys:
        g = problem.groups[k[0]]
        most = min(len(g.households), problem.legs[g.options[k[1]][0]].seats // g.size)
        x[k] = model.new_int_var(0, most, "")
        model.add_hint(x[k], counts.get(k, 0))
    for terms, bound in rows:
        model.add(sum(coef * x[k] for k, coef in terms) <= bound)
    model.maximize(sum(problem.groups[k[0]].size * x[k] for k in keys))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 8
    # What is left once the model is built, less a margin to write the plan out.
    solver.parameters.max_time_in_seconds = max(0.1, deadline - time.perf_counter() - 1.0)
    solver.parameters.absolute_gap_limit = 0.5  # persons are whole
    solver.parameters.relative_gap_limit = 0.0005
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return counts, best, upper
    found = {k: int(solver.value(x[k])) for k in keys}
    if proves:
        upper = min(upper, math.floor(solver.best_objective_bound + 1e-6))
    persons = _persons(problem, found)
    if persons > best:
        return found, persons, upper
    return counts, best, upper


def _result(
    problem: Problem,
    counts: dict[tuple[int, int], int],
    upper: int,
    lp_bound: float,
    optimal: bool,
    started: float,
    greedy_persons: int,
) -> Result:
    assignments: list[tuple[str, str]] = [(h, d) for h, d, _ in problem.kept]
    unscheduled = list(problem.unscheduled)
    persons = sum(size for *_, size in problem.kept)
    for gi, g in enumerate(problem.groups):
        queue = list(g.households)  # the longest waits first
        for oi, (li, _) in enumerate(g.options):
            for _ in range(counts.get((gi, oi), 0)):
                household = queue.pop(0)
                assignments.append((household.id, problem.legs[li].departure))
                persons += g.size
        for household in queue:
            unscheduled.append(
                (
                    household.id,
                    "sin capacidad antes del fin del horizonte: asientos, paso fronterizo o "
                    "recepción llenos en las salidas posibles",
                )
            )
    return Result(
        assignments=assignments,
        unscheduled=unscheduled,
        persons_scheduled=persons,
        upper_bound=max(upper, persons),
        lp_bound=lp_bound,
        optimal=optimal,
        seconds=time.perf_counter() - started,
        greedy_persons=greedy_persons,
        households_scheduled=len(assignments),
    )
