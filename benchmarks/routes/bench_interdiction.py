"""Route interdiction: Wood's MIP (SCIP and CP-SAT) next to the greedy baselines, one process.

    .venv/bin/python benchmarks/routes/bench_interdiction.py [--seed 2027] [--budget 10]
        [--sizes 1000,25000] [--cp-sat-up-to 1000] [--time-limit 60]

1. ``alianza.routes.synthetic.layered`` makes networks shaped like the region's
   (production -> collection -> hubs -> ports -> sea legs -> destinations), n places and
   3n links (1,000 / 3,000 and 25,000 / 75,000), on a seed the code was not developed on
   (development: 0 to 8).
2. On each, in one process and on the same compiled graph: the two greedy baselines
   ("block the busiest link", "block the cheapest min-cut link"), Wood's MIP with SCIP
   (the default; warm-started by the better baseline, as the CLI does) and, up to
   ``--cp-sat-up-to`` places, with CP-SAT. Each prints flow after interdiction (recomputed
   by max flow on the network without the plan), the proven bound, the gap and seconds.
   Targets on this 2-core machine: proven optimum at 1,000 places <= 10 s, at 25,000
   places <= 60 s.
3. Shortest-path interdiction (Israeli & Wood's decomposition) at 1,000 places, with the
   dual MIP beside it as the anchor (same optimum, one MIP). Target <= 60 s.

Figures go to ``benchmarks/results/routes.json`` with the 1-minute load average.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

from alianza.routes import interdiction, shortest
from alianza.routes.graph import compile_network
from alianza.routes.synthetic import layered

RESULTS = Path(__file__).resolve().parents[1] / "results" / "routes.json"


def _row(plan: interdiction.Plan) -> dict[str, Any]:
    return {
        "method": plan.method,
        "flow_after": round(plan.flow_after, 1),
        "bound": None if plan.bound is None else round(plan.bound, 1),
        "gap": None if plan.gap is None else round(plan.gap, 5),
        "optimal": plan.optimal,
        "seconds": round(plan.seconds, 2),
        "controls": int(plan.controlled.sum()),
    }


def _print(size: int, links: int, flow_before: float, rows: list[dict[str, Any]]) -> None:
    print(f"\n{size:,} places / {links:,} links, max flow without controls {flow_before:,.1f}")
    print(f"  {'method':<16}{'flow after':>14}{'bound':>14}{'gap':>9}{'proven':>8}{'s':>8}")
    for r in rows:
        bound = "" if r["bound"] is None else f"{r['bound']:,.1f}"
        gap = "" if r["gap"] is None else f"{r['gap']:.2%}"
        print(
            f"  {r['method']:<16}{r['flow_after']:>14,.1f}{bound:>14}{gap:>9}"
            f"{'yes' if r['optimal'] else '':>8}{r['seconds']:>8.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--budget", type=float, default=10.0)
    parser.add_argument("--sizes", default="1000,25000")
    parser.add_argument("--cp-sat-up-to", type=int, default=1000)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--shortest-size", type=int, default=1000)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    out: dict[str, Any] = {"seed": args.seed, "budget": args.budget, "sizes": {}}
    for size in [int(s) for s in args.sizes.split(",")]:
        started = time.perf_counter()
        network = layered(size, 3 * size, seed=args.seed)
        graph = compile_network(network)
        build = time.perf_counter() - started
        greedy = [
            interdiction.greedy_busiest(graph, args.budget),
            interdiction.greedy_min_cut(graph, args.budget),
        ]
        hint = min(greedy, key=lambda p: p.flow_after).controlled
        plans = [
            *greedy,
            interdiction.optimal_plan(graph, args.budget, time_limit=args.time_limit, hint=hint),
        ]
        if size <= args.cp_sat_up_to:
            plans.append(
                interdiction.optimal_plan(
                    graph, args.budget, solver="cp-sat", time_limit=args.time_limit, hint=hint
                )
            )
        rows = [_row(p) for p in plans]
        _print(size, len(network.links), plans[0].flow_before, rows)
        print(f"  (network generated and compiled in {build:.2f} s)")
        out["sizes"][str(size)] = {
            "links": len(network.links),
            "flow_before": round(plans[0].flow_before, 1),
            "plans": rows,
        }
    size = args.shortest_size
    network = layered(size, 3 * size, seed=args.seed)
    graph = compile_network(network, capacities=[0.0] * len(network.links))
    plan = shortest.interdict(graph, args.budget, time_limit=args.time_limit)
    started = time.perf_counter()
    dual, _, dual_proven = shortest.dual_mip(graph, args.budget, time_limit=args.time_limit)
    dual_seconds = time.perf_counter() - started
    print(f"\nShortest-path interdiction, {size:,} places, budget {args.budget:g}:")
    print(
        f"  decomposition: cheapest route {plan.cost_before:,.1f} -> {plan.cost_after:,.1f} km, "
        f"{'proven' if plan.optimal else f'gap {plan.gap:.2%}'}, {plan.iterations} iterations, "
        f"{plan.seconds:.2f} s"
    )
    print(
        f"  dual MIP (anchor): {dual:,.1f} km, {'proven' if dual_proven else 'not proven'}, "
        f"{dual_seconds:.2f} s"
    )
    out["shortest_path"] = {
        "places": size,
        "cost_before": round(plan.cost_before, 1),
        "cost_after": round(plan.cost_after, 1),
        "optimal": plan.optimal,
        "iterations": plan.iterations,
        "seconds": round(plan.seconds, 2),
        "dual_mip": round(dual, 1),
        "dual_mip_seconds": round(dual_seconds, 2),
        "dual_mip_optimal": dual_proven,
    }
    out["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    RESULTS.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"\nload average {load_before:.2f} -> {os.getloadavg()[0]:.2f}; written {RESULTS}")


if __name__ == "__main__":
    main()
