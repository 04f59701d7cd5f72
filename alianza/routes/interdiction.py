"""Max-flow interdiction (Wood, 1993): the controls that leave the least flow, proven.

Given a budget, choose links (and places, where the file gives their cost) to control so
that the maximum flow that still reaches the destinations is as small as possible. Wood's
model takes the dual of the maximum flow, a minimum cut, and lets a control "cut" an arc
for free::

    min  sum_k u_k beta_k
    s.t. alpha_j - alpha_i - beta_k - gamma_k <= 0     for every arc k = (i, j)
         alpha_source = 0, alpha_sink = 1
         sum_k r_k gamma_k <= budget
         gamma binary; alpha, beta in [0, 1]

(``alpha`` = 1 on the sink's side of the cut, ``beta`` = the arc is cut and its capacity
counts, ``gamma`` = the arc is controlled.) For fixed controls the rest is a minimum-cut
LP, whose matrix is totally unimodular, so only ``gamma`` needs to be integer: that is
what makes the model solve at 75,000 links. Arcs on no route from a source to a sink are
left out, and so are controls that cost more than the whole budget.

Two solvers of OR-Tools are wired in, SCIP (branch and cut over the LP) and CP-SAT
(integer capacities, clause learning with an LP relaxation). ``benchmarks/routes`` runs
both; SCIP proves optimality faster on every size we generate (README), so it is the
default and CP-SAT is ``--solver cp-sat``.

Every plan is checked: the maximum flow is recomputed on the graph without the controlled
arcs (``flow_after``), and that is the figure reported, never the solver's objective
alone. The greedy baselines planners use today run on the same graph for comparison.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from alianza.errors import InputError
from alianza.routes.graph import SCALE, Graph, max_flow, on_some_path

SOLVERS = ("scip", "cp-sat")
SCIP_PARAMETERS = "\n".join(
    (
        "propagating/probing/maxprerounds = 0",
        "heuristics/locks/freq = -1",
        "heuristics/shiftandpropagate/freq = -1",
    )
)
TOLERANCE = 1e-6


@dataclass(slots=True)
class Plan:
    """A set of controls and what it leaves."""

    method: str
    controlled: np.ndarray  # bool per arc of the graph
    flow_before: float
    flow_after: float
    bound: float | None = None  # proven lower bound on the best flow_after (MIP only)
    optimal: bool = False
    seconds: float = 0.0
    cost: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def gap(self) -> float | None:
        if self.bound is None:
            return None
        if self.flow_after <= TOLERANCE:
            return 0.0
        return max(0.0, (self.flow_after - self.bound) / self.flow_after)


def _check_budget(budget: float) -> None:
    if not np.isfinite(budget) or budget < 0:
        raise InputError.at("--budget", f"el presupuesto debe ser un número ≥ 0 (no {budget})")


def _finish(
    graph: Graph, method: str, controlled: np.ndarray, before: float, started: float
) -> Plan:
    after = max_flow(graph, controlled).value
    return Plan(
        method=method,
        controlled=controlled,
        flow_before=before,
        flow_after=after,
        seconds=time.perf_counter() - started,
        cost=float(graph.cost[controlled].sum()) if controlled.any() else 0.0,
    )


def optimal_plan(
    graph: Graph,
    budget: float,
    *,
    solver: str = "scip",
    time_limit: float = 60.0,
    hint: np.ndarray | None = None,
) -> Plan:
    """Wood's MIP; ``optimal`` only when the solver proved it within ``time_limit``."""
    _check_budget(budget)
    if solver not in SOLVERS:
        raise InputError.at("--solver", f"'{solver}' no es {' ni '.join(SOLVERS)}")
    if not np.isfinite(time_limit) or time_limit <= 0:
        raise InputError.at("--time-limit", "debe ser un número de segundos > 0")
    started = time.perf_counter()
    before = max_flow(graph).value
    if before <= TOLERANCE:  # nothing reaches a destination: nothing to control
        plan = _finish(graph, "mip", np.zeros(len(graph.labels), dtype=bool), before, started)
        plan.bound, plan.optimal = 0.0, True
        return plan
    useful = on_some_path(graph)
    controllable = useful & ~np.isnan(graph.cost)
    controllable[controllable] = graph.cost[controllable] <= budget + TOLERANCE
    build = _scip if solver == "scip" else _cp_sat
    chosen, bound, proven = build(graph, useful, controllable, budget, time_limit, hint)
    controlled = np.zeros(len(graph.labels), dtype=bool)
    controlled[chosen] = True
    plan = _finish(graph, f"mip-{solver}", controlled, before, started)
    plan.bound = min(bound, plan.flow_after) if bound is not None else None
    plan.optimal = proven
    return plan


def _scip(
    graph: Graph,
    useful: np.ndarray,
    controllable: np.ndarray,
    budget: float,
    time_limit: float,
    hint: np.ndarray | None,
) -> tuple[list[int], float | None, bool]:
    from ortools.linear_solver import pywraplp

    solver = pywraplp.Solver.CreateSolver("SCIP")
    solver.SetTimeLimit(int(time_limit * 1000))
    solver.SetNumThreads(1)
    # The root LP of this model is integral on most networks, so SCIP's work is that LP:
    # its probing presolve and the two heuristics that solve the LP once more before it
    # took 30 of 45 s at 75,000 links and found nothing the LP did not (measured).
    solver.SetSolverSpecificParametersAsString(SCIP_PARAMETERS)
    n = graph.n_nodes
    alpha = [solver.NumVar(0.0, 1.0, "") for _ in range(n)]
    alpha[graph.source].SetBounds(0.0, 0.0)
    alpha[graph.sink].SetBounds(1.0, 1.0)
    objective = solver.Objective()
    gammas: dict[int, Any] = {}
    for k in np.flatnonzero(useful).tolist():
        i, j = int(graph.tails[k]), int(graph.heads[k])
        row = solver.Constraint(-solver.infinity(), 0.0)
        row.SetCoefficient(alpha[j], 1.0)
        row.SetCoefficient(alpha[i], -1.0)
        if np.isfinite(graph.capacity[k]):
            beta = solver.NumVar(0.0, 1.0, "")
            row.SetCoefficient(beta, -1.0)
            objective.SetCoefficient(beta, float(graph.capacity[k]))
        if controllable[k]:
            gamma = solver.BoolVar("")
            row.SetCoefficient(gamma, -1.0)
            gammas[int(k)] = gamma
    spend = solver.Constraint(-solver.infinity(), float(budget))
    for k, gamma in gammas.items():
        spend.SetCoefficient(gamma, float(graph.cost[k]))
    objective.SetMinimization()
    if hint is not None and gammas:
        solver.SetHint(list(gammas.values()), [float(hint[k]) for k in gammas])
    status = solver.Solve()
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        return [], None, False
    chosen = [k for k, gamma in gammas.items() if gamma.solution_value() > 0.5]
    bound = objective.BestBound()
    return chosen, float(bound), status == pywraplp.Solver.OPTIMAL


def _cp_sat(
    graph: Graph,
    useful: np.ndarray,
    controllable: np.ndarray,
    budget: float,
    time_limit: float,
    hint: np.ndarray | None,
) -> tuple[list[int], float | None, bool]:
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    n = graph.n_nodes
    # CP-SAT is integer: sides are Booleans, capacities and costs scaled to integers.
    side = [model.new_bool_var("") for _ in range(n)]
    model.add(side[graph.source] == 0)
    model.add(side[graph.sink] == 1)
    cost_scale = _integer_scale(graph.cost[controllable])
    terms = []
    gammas: dict[int, Any] = {}
    for k in np.flatnonzero(useful).tolist():
        i, j = int(graph.tails[k]), int(graph.heads[k])
        cut = []
        if np.isfinite(graph.capacity[k]):
            beta = model.new_bool_var("")
            cut.append(beta)
            terms.append((beta, round(float(graph.capacity[k]) * SCALE)))
        if controllable[k]:
            gamma = model.new_bool_var("")
            cut.append(gamma)
            gammas[int(k)] = gamma
        # alpha_j <= alpha_i + beta + gamma (linear, so it enters CP-SAT's LP relaxation).
        model.add(side[j] - side[i] - sum(cut) <= 0)
    model.add(
        sum(round(float(graph.cost[k]) * cost_scale) * g for k, g in gammas.items())
        <= int(np.floor(budget * cost_scale + 1e-9))
    )
    model.minimize(sum(c * b for b, c in terms))
    if hint is not None:
        for k, gamma in gammas.items():
            model.add_hint(gamma, bool(hint[k]))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit)
    # Eight workers even on two cores: with one or two, CP-SAT's portfolio has no worker
    # that uses the LP relaxation, and its bound stayed at 0 for 30 s on 60 places that
    # eight workers prove in 0.3 s (measured).
    solver.parameters.num_workers = 8
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return [], None, False
    chosen = [k for k, gamma in gammas.items() if solver.value(gamma)]
    return chosen, solver.best_objective_bound / SCALE, status == cp_model.OPTIMAL


def _integer_scale(values: np.ndarray) -> float:
    """A power of ten that makes the costs whole numbers (up to 1e-3)."""
    for scale in (1.0, 10.0, 100.0, 1000.0):
        scaled = values * scale
        if np.allclose(scaled, np.rint(scaled)):
            return scale
    return 1000.0


# --- the baselines --------------------------------------------------------------------


def greedy_busiest(graph: Graph, budget: float) -> Plan:
    """Control the link carrying the most flow, recompute, repeat while the budget lasts."""
    _check_budget(budget)
    started = time.perf_counter()
    controlled = np.zeros(len(graph.labels), dtype=bool)
    flow = max_flow(graph)
    before, left = flow.value, budget
    while True:
        candidates = ~controlled & ~np.isnan(graph.cost) & (flow.arc_flow > TOLERANCE)
        candidates &= np.nan_to_num(graph.cost, nan=np.inf) <= left + TOLERANCE
        if not candidates.any():
            break
        k = int(np.argmax(np.where(candidates, flow.arc_flow, -1.0)))
        controlled[k] = True
        left -= graph.cost[k]
        flow = max_flow(graph, controlled)
    return _finish(graph, "greedy-busiest", controlled, before, started)


def greedy_min_cut(graph: Graph, budget: float) -> Plan:
    """Control the cheapest affordable link of the current minimum cut (the one with most
    capacity for its cost), recompute the cut, repeat while the budget lasts."""
    _check_budget(budget)
    started = time.perf_counter()
    controlled = np.zeros(len(graph.labels), dtype=bool)
    flow = max_flow(graph)
    before, left = flow.value, budget
    while True:
        side = flow.source_side
        in_cut = side[graph.tails] & ~side[graph.heads] & ~controlled
        affordable = ~np.isnan(graph.cost) & (
            np.nan_to_num(graph.cost, nan=np.inf) <= left + TOLERANCE
        )
        candidates = in_cut & affordable & (flow.arc_flow > TOLERANCE)
        if not candidates.any():
            break
        cap = np.where(np.isfinite(graph.capacity), graph.capacity, flow.arc_flow)
        ratio = np.where(candidates, cap / np.maximum(graph.cost, 1e-9), -1.0)
        k = int(np.argmax(ratio))
        controlled[k] = True
        left -= graph.cost[k]
        flow = max_flow(graph, controlled)
    return _finish(graph, "greedy-min-cut", controlled, before, started)


def best_greedy(graph: Graph, budget: float) -> Plan:
    """The better of the two baselines (a warm start for the MIP)."""
    plans = [greedy_busiest(graph, budget), greedy_min_cut(graph, budget)]
    return min(plans, key=lambda p: p.flow_after)
