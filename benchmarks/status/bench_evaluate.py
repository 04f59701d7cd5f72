"""Evaluating 300,000 applications (about Chile's irregular population) with an
explanation for every one, next to the same rules interpreted row by row.

    .venv/bin/python benchmarks/status/bench_evaluate.py [--n 300000] [--seed 2027]
        [--programme cl-regularizacion-extraordinaria] [--on 2021-11-30]

1. ``alianza.status.synthetic.rows``: applications shaped like the caseload (mostly
   Venezuelan; entry and application dates crowded around the version's cut-off and
   window; missing documents, criminal declarations, pending cases, protection flags),
   written as an APPLICATIONS.csv; on a seed the code was not developed on (development:
   1 and 5).
2. Through the real contract: ``contract.read`` (the checks of every cell), then on the
   same parsed file, one after the other: ``evaluate.evaluate`` (each condition a numpy
   pass over the columns, each distinct verdict composed once) and the anchor,
   ``naive.evaluate`` (each condition's tree walked for each row, each explanation
   composed for each row). Both must agree on every row. Then ``contract.write``.
   Printed: seconds for each step, the ratio anchor / ours, and the whole command
   (read + evaluate + write). Target on this 2-core machine: <= 60 s for the command.

Figures go to ``benchmarks/results/status.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import date
from pathlib import Path

from alianza.status import contract, naive, rules, synthetic
from alianza.status.evaluate import evaluate

RESULTS = Path(__file__).resolve().parents[1] / "results" / "status.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--programme", default="cl-regularizacion-extraordinaria")
    parser.add_argument("--on", default="2021-11-30")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    on = date.fromisoformat(args.on)
    programme = rules.programmes()[args.programme]
    version = programme.version_on(on)
    with tempfile.TemporaryDirectory(prefix="alianza-status-") as folder:
        source, out = Path(folder) / "applications.csv", Path(folder) / "out.csv"
        started = time.perf_counter()
        made = synthetic.rows(args.n, programme=programme, version=version, on=on, seed=args.seed)
        synthetic.write_csv(source, made)
        generated = time.perf_counter() - started
        del made
        megabytes_in = source.stat().st_size / 1e6

        started = time.perf_counter()
        apps = contract.read(
            source, on=on, country=programme.country, programme=programme.id, fields=version.fields
        )
        read_seconds = time.perf_counter() - started

        started = time.perf_counter()
        ours = evaluate(apps, programme=programme, version=version)
        ours_seconds = time.perf_counter() - started

        started = time.perf_counter()
        anchor = naive.evaluate(apps, programme=programme, version=version)
        anchor_seconds = time.perf_counter() - started
        same = (ours.outcomes, ours.failed, ours.explanations) == (
            anchor.outcomes,
            anchor.failed,
            anchor.explanations,
        )
        del anchor

        started = time.perf_counter()
        contract.write(out, ours.rows())
        write_seconds = time.perf_counter() - started
        megabytes_out = out.stat().st_size / 1e6
    counts = ours.counts()
    distinct = len(set(ours.explanations))
    command = read_seconds + ours_seconds + write_seconds
    ratio = anchor_seconds / max(ours_seconds, 1e-9)
    print(
        f"{len(apps):,} solicitudes, {programme.id} versión {version.id} al {on} "
        f"(generadas en {generated:.1f} s; {megabytes_in:.0f} MB de entrada)"
    )
    print(
        f"  resultados: {counts['eligible']:,} elegibles, {counts['not_eligible']:,} no "
        f"elegibles, {counts['needs_review']:,} a revisión; {distinct:,} explicaciones distintas"
    )
    print(f"  {'paso':<44}{'s':>8}")
    print(f"  {'lectura y validación (contract.read)':<44}{read_seconds:>8.2f}")
    print(f"  {'alianza: por columnas (evaluate)':<44}{ours_seconds:>8.2f}")
    print(f"  {'ancla: fila por fila (naive)':<44}{anchor_seconds:>8.2f}")
    print(f"  {'escritura de OUT.csv (contract.write)':<44}{write_seconds:>8.2f}")
    print(f"  ancla / alianza: {ratio:.1f}x; mismos resultados: {'sí' if same else 'NO'}")
    print(
        f"  comando completo (lectura + evaluación + escritura): {command:.1f} s "
        f"(objetivo <= 60 s); OUT.csv {megabytes_out:.0f} MB"
    )
    result = {
        "n": len(apps),
        "seed": args.seed,
        "programme": programme.id,
        "version": version.id,
        "on": on.isoformat(),
        "outcomes": counts,
        "distinct_explanations": distinct,
        "seconds": {
            "read": round(read_seconds, 3),
            "evaluate": round(ours_seconds, 3),
            "naive_anchor": round(anchor_seconds, 3),
            "write": round(write_seconds, 3),
            "command": round(command, 3),
        },
        "anchor_over_ours": round(ratio, 2),
        "same_results": same,
        "megabytes": {"input": round(megabytes_in, 1), "output": round(megabytes_out, 1)},
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    RESULTS.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"load average {load_before:.2f} -> {os.getloadavg()[0]:.2f}; written {RESULTS}")


if __name__ == "__main__":
    main()
