"""Identity linkage: our linker next to generic Splink, on the same data in one process.

    .venv/bin/python benchmarks/identity/bench_linkage.py [--seed 2026]
    .venv/bin/python benchmarks/identity/bench_linkage.py --scale 1000000

1. The synthetic benchmark pair (``synthetic.linkage_pair``: 10,000 CHILE x 9,000 ECUADOR,
   6,000 persons in both): ``linker.link`` (threshold 0.5; also ``one_to_one=True``) and
   ``generic_splink.link_generic`` (the careful newcomer's Splink). Seconds run from the
   rows read off the CSV to the result DataFrame, each tool's own preparation included;
   the tools run ``--repeat`` times in turn and the median counts.
   Targets (identity issue): our F1 >= 0.95 and >= 0.10 above generic, time <= generic.
2. FEBRL4 (``febrl.load_febrl4``) as a smoke test: ours one-to-one (one true link per
   record: the documented mode for it) and not, and generic. Target: ours F1 >= 0.99.
3. Deduplication: ``synthetic.dedupe_set`` (10,000 COLOMBIA records), ``linker.dedupe``;
   pairwise precision/recall/F1 (pairs of records of one true person vs one found person).

4. Registries we did not generate (``independent.py``: Faker's Spanish-language names,
   other nationality mixes, missing-field and corruption rates, imputed dates): each
   setting linked by ours and by generic Splink, precision, recall, F1 and seconds side by
   side. Targets (issue 11): F1 >= 0.97 on every setting, >= 0.10 above generic where
   generic is below 0.87, time <= generic.
5. Spark local mode against DuckDB on the same pair (``--spark N``, default 300 x 300
   records: a run "of a few hundred records", JVM start included, in a subprocess each
   through the CLI, with wall time and peak memory). Target: under 60 s.

``--part`` picks parts (pair, febrl, dedupe, independent, spark); all by default.
``--scale N`` runs only an N x N pair (overlap 0.6, streamed to disk) through the real CLI,
``alianza link LEFT RIGHT -o OUT``, in a subprocess under ``/usr/bin/time -v``: wall time,
peak memory (max RSS of that process; DuckDB runs inside it), pairs, and the scores
against the truth. Files live under ``$ALIANZA_BENCH_CACHE/identity`` (never in the
repo); figures go to ``benchmarks/results/identity.json``, one key per part.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "node"))

import common
import pandas as pd
from febrl import load_febrl4
from generic_splink import link_generic, pair_scores
from independent import SETTINGS, write_setting
from rich.table import Table

from alianza.identity import linker, synthetic
from alianza.identity.contract import read_registry

console = common.console
RESULTS = common.REPO / "benchmarks" / "results" / "identity.json"
WORK = common.CACHE / "identity"
THRESHOLD = 0.5
Pairs = set[tuple[str, str]]


def pair_set(frame: pd.DataFrame) -> Pairs:
    return set(zip(frame["left_id"].astype(str), frame["right_id"].astype(str), strict=True))


def read_pairs(path: Path, a: str = "left_id", b: str = "right_id") -> Pairs:
    with path.open(encoding="utf-8", newline="") as fh:
        return {(row[a], row[b]) for row in csv.DictReader(fh)}


def figures(name: str, predicted: Pairs, truth: Pairs, runs: list[float]) -> dict[str, Any]:
    scores = {k: round(v, 4) for k, v in pair_scores(predicted, truth).items()}
    seconds = round(statistics.median(runs), 2)
    runs = [round(x, 2) for x in runs]
    return {"tool": name, **scores, "pairs": len(predicted), "seconds": seconds, "runs": runs}


def race(tools: dict[str, Callable[[], pd.DataFrame]], repeat: int, truth: Pairs) -> list[Any]:
    """Each tool ``repeat`` times, interleaved (the machine is shared): figures, median s."""
    runs: dict[str, list[float]] = {name: [] for name in tools}
    out: dict[str, pd.DataFrame] = {}
    for i in range(repeat):
        for name, run in tools.items():
            console.print(f"[bold]{name}[/] ({i + 1}/{repeat}) …")
            start = time.perf_counter()
            out[name] = run()
            runs[name].append(time.perf_counter() - start)
    return [figures(name, pair_set(out[name]), truth, runs[name]) for name in tools]


def timed(label: str, run: Any) -> tuple[Any, float]:
    console.print(f"[bold]{label}[/] …")
    start = time.perf_counter()
    out = run()
    return out, time.perf_counter() - start


def check(ok: bool) -> str:
    return "[green]cumple[/]" if ok else "[red]no cumple[/]"


def show(title: str, rows: list[dict[str, Any]], truth: int) -> None:
    table = Table(
        "", "precisión", "exhaustividad", "F1", "pares", "segundos", title=f"{title} · {truth:,}"
    )
    for r in rows:
        table.add_row(
            r["tool"],
            f"{r['precision']:.4f}",
            f"{r['recall']:.4f}",
            f"{r['f1']:.4f}",
            f"{r['pairs']:,}",
            f"{r['seconds']:.1f}",
        )
    console.print(table)


def registry_rows(path: Path) -> list[dict[str, str]]:
    registry = read_registry(path)
    if registry.problems:
        console.print(f"[yellow]{path.name}: {len(registry.problems)} filas fuera del contrato")
    return registry.rows


def run_pair(seed: int, repeat: int) -> dict[str, Any]:
    """Part 1: the 10,000 x 9,000 synthetic pair."""
    d = WORK / f"pair-{seed}"
    d.mkdir(parents=True, exist_ok=True)
    info = synthetic.linkage_pair(
        left_size=synthetic.BENCHMARK_LEFT,
        overlap=synthetic.BENCHMARK_OVERLAP,
        right_size=synthetic.BENCHMARK_RIGHT,
        seed=seed,
        left_path=d / "left.csv",
        right_path=d / "right.csv",
        truth_path=d / "truth.csv",
        key_path=d / "keys.csv",
    )
    truth = read_pairs(info.truth_path)
    rows_l, rows_r = registry_rows(info.left_path), registry_rows(info.right_path)
    frame_l, frame_r = (
        pd.read_csv(p, dtype=str, keep_default_na=False) for p in (info.left_path, info.right_path)
    )
    tools = {
        "alianza": lambda: linker.link(rows_l, rows_r, threshold=THRESHOLD),
        "alianza uno a uno": lambda: linker.link(
            rows_l, rows_r, threshold=THRESHOLD, one_to_one=True
        ),
        "Splink genérico": lambda: link_generic(frame_l, frame_r, threshold=THRESHOLD),
    }
    rows = race(tools, repeat, truth)
    t_ours, t_gen = rows[0]["seconds"], rows[2]["seconds"]
    show(f"{info.left_records:,} × {info.right_records:,} sintético · verdad", rows, len(truth))
    f1_gap = round(rows[0]["f1"] - rows[2]["f1"], 4)
    time_ratio = round(t_ours / t_gen, 2)
    console.print(
        f"F1 nuestro − genérico: {f1_gap:+.4f} (objetivo ≥ +0.10: {check(f1_gap >= 0.10)}); "
        f"F1 nuestro {rows[0]['f1']:.4f} (objetivo ≥ 0.95: {check(rows[0]['f1'] >= 0.95)}); "
        f"tiempo nuestro/genérico {time_ratio:.2f}× (objetivo ≤ 1: {check(time_ratio <= 1)})"
    )
    return {
        "left_records": info.left_records,
        "right_records": info.right_records,
        "true_links": info.matches,
        "sibling_pairs_across": info.sibling_pairs,
        "namesake_pairs_across": info.namesake_pairs,
        "seed": seed,
        "threshold": THRESHOLD,
        "results": rows,
        "f1_ours_minus_generic": f1_gap,
        "seconds_ours_over_generic": time_ratio,
        "targets": {"f1": 0.95, "f1_over_generic": 0.10, "seconds_ratio_max": 1.0},
        "met": {
            "f1": rows[0]["f1"] >= 0.95,
            "f1_over_generic": f1_gap >= 0.10,
            "time": time_ratio <= 1.0,
        },
    }


def run_febrl(repeat: int) -> dict[str, Any]:
    """Part 2: FEBRL4, 5,000 x 5,000, one true link per record."""
    left, right, truth = load_febrl4()
    rows_l, rows_r = left.to_dict("records"), right.to_dict("records")
    tools = {
        "alianza uno a uno": lambda: linker.link(
            rows_l, rows_r, threshold=THRESHOLD, one_to_one=True
        ),
        "alianza": lambda: linker.link(rows_l, rows_r, threshold=THRESHOLD),
        "Splink genérico": lambda: link_generic(left, right, threshold=THRESHOLD),
    }
    rows = race(tools, repeat, truth)
    t_one, t_gen = rows[0]["seconds"], rows[2]["seconds"]
    show("FEBRL4 5.000 × 5.000 · verdad", rows, len(truth))
    f1 = rows[0]["f1"]
    console.print(f"F1 nuestro uno a uno {f1:.4f} (objetivo ≥ 0.99: {check(f1 >= 0.99)})")
    return {
        "true_links": len(truth),
        "threshold": THRESHOLD,
        "results": rows,
        "seconds_ours_one_to_one_over_generic": round(t_one / t_gen, 2),
        "targets": {"f1_one_to_one": 0.99},
        "met": {"f1_one_to_one": rows[0]["f1"] >= 0.99},
    }


def cluster_pairs(counts: Any) -> int:
    return sum(n * (n - 1) // 2 for n in counts)


def run_dedupe(seed: int) -> dict[str, Any]:
    """Part 3: one COLOMBIA registry of 10,000 records, persons written 1-4 times."""
    d = WORK / f"dedupe-{seed}"
    d.mkdir(parents=True, exist_ok=True)
    info = synthetic.dedupe_set(
        size=10_000, seed=seed, path=d / "registry.csv", truth_path=d / "truth.csv"
    )
    rows = registry_rows(info.path)
    found, seconds = timed(
        "deduplicación nuestra", lambda: linker.dedupe(rows, threshold=THRESHOLD)
    )
    true = dict(read_pairs(info.truth_path, "record_id", "person_id"))
    hits = cluster_pairs(Counter((true[r], p) for r, p in found.items()).values())
    predicted, wanted = cluster_pairs(Counter(found.values()).values()), info.duplicate_pairs
    precision, recall = hits / predicted if predicted else 0.0, hits / wanted if wanted else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    result = {
        "tool": "alianza",
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "pairs": predicted,
        "seconds": round(seconds, 2),
    }
    show(f"Deduplicación {info.records:,} registros · pares verdaderos", [result], wanted)
    console.print(
        f"{info.persons:,} personas verdaderas, {len(set(found.values())):,} encontradas; "
        f"mayor grupo encontrado: {max(Counter(found.values()).values())} registros"
    )
    return {
        "records": info.records,
        "persons": info.persons,
        "persons_found": len(set(found.values())),
        "duplicate_pairs": wanted,
        "seed": seed,
        "threshold": THRESHOLD,
        "results": [result],
    }


def run_independent(seed: int, repeat: int) -> dict[str, Any]:
    """Part 4: the settings of ``independent.py``, ours and generic Splink side by side."""
    out: dict[str, Any] = {}
    for name, setting in SETTINGS.items():
        written = write_setting(setting, WORK / f"independent-{seed}" / name, seed=seed)
        truth = read_pairs(written.truth)
        rows_l, rows_r = registry_rows(written.left), registry_rows(written.right)
        frame_l, frame_r = (
            pd.read_csv(p, dtype=str, keep_default_na=False) for p in (written.left, written.right)
        )
        tools = {
            "alianza": lambda a=rows_l, b=rows_r: linker.link(a, b, threshold=THRESHOLD),
            "Splink genérico": lambda a=frame_l, b=frame_r: link_generic(a, b, threshold=THRESHOLD),
        }
        rows = race(tools, repeat, truth)
        ours, generic = rows
        show(f"{name}: {setting.description} · verdad", rows, len(truth))
        gap = round(ours["f1"] - generic["f1"], 4)
        ratio = round(ours["seconds"] / generic["seconds"], 2)
        met = {
            "f1": ours["f1"] >= 0.97,
            "f1_over_generic": generic["f1"] >= 0.87 or gap >= 0.10,
            "time": ratio <= 1.0,
        }
        console.print(
            f"F1 {ours['f1']:.4f} (≥ 0.97: {check(met['f1'])}), − genérico {gap:+.4f} "
            f"({check(met['f1_over_generic'])}), tiempo {ratio:.2f}× ({check(met['time'])})"
        )
        out[name] = {
            "description": setting.description,
            "left_records": setting.left_size,
            "right_records": setting.right_size,
            "true_links": len(truth),
            "results": rows,
            "f1_ours_minus_generic": gap,
            "seconds_ours_over_generic": ratio,
            "met": met,
        }
    return {
        "seed": seed,
        "threshold": THRESHOLD,
        "settings": out,
        "targets": {"f1": 0.97, "f1_over_generic_below_0_87": 0.10, "seconds_ratio_max": 1.0},
    }


def cli_run(command: list[str], folder: Path, label: str) -> tuple[int, float, int]:
    """Exit code, wall seconds and peak RSS (KiB) of one CLI run and all its processes.

    The peak is sampled every 0.1 s over the whole process tree, so Spark's JVM (a child
    of the CLI that GNU time's figure leaves out) counts; GNU time's peak of the largest
    single process is taken when it is higher (a peak shorter than the sampling period).
    """
    stats, log_path = folder / f"{label}.time", folder / f"{label}.log"
    gnu_time = Path("/usr/bin/time")
    if gnu_time.exists():
        command = [str(gnu_time), "-v", "-o", str(stats), *command]
    console.print(f"[bold]{' '.join(command)}[/]")
    start = time.perf_counter()
    with log_path.open("w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        peak_kb = 0
        while process.poll() is None:
            peak_kb = max(peak_kb, tree_rss_kb(process.pid))
            time.sleep(0.1)
        code = process.returncode
    seconds = time.perf_counter() - start
    if gnu_time.exists():
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stats.read_text())
        peak_kb = max(peak_kb, int(found.group(1)) if found else 0)
    return code, seconds, peak_kb


def tree_rss_kb(root: int) -> int:
    """Resident memory (KiB) of ``root`` and every process below it, from /proc."""
    parents: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid = int(entry.name)
        parents.setdefault(int(fields.get("PPid", "0").strip()), []).append(pid)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0])
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(parents.get(pid, []))
    return total


def run_spark(n: int, seed: int) -> dict[str, Any]:
    """Part 5: the CLI on an n x n pair with ``--engine spark`` and with DuckDB."""
    d = WORK / f"spark-{seed}-{n}"
    d.mkdir(parents=True, exist_ok=True)
    synthetic.linkage_pair(
        left_size=n, overlap=0.6, right_size=n, seed=seed,
        left_path=d / "left.csv", right_path=d / "right.csv", truth_path=d / "truth.csv",
    )  # fmt: skip
    truth = read_pairs(d / "truth.csv")
    cli = [str(Path(sys.executable).with_name("alianza")), "link"]
    rows: list[dict[str, Any]] = []
    for engine in ("duckdb", "spark"):
        out = d / f"{engine}.csv"
        command = [*cli, str(d / "left.csv"), str(d / "right.csv"), "-o", str(out)]
        code, seconds, peak_kb = cli_run([*command, "--engine", engine], d, engine)
        row: dict[str, Any] = {
            "tool": engine,
            "exit_code": code,
            "seconds": round(seconds, 1),
            "peak_rss_mib": round(peak_kb / 1024),
        }
        if code == 0:
            predicted = read_pairs(out)
            row |= {k: round(v, 4) for k, v in pair_scores(predicted, truth).items()}
            row["pairs"] = len(predicted)
        rows.append(row)
    table = Table("", "código", "segundos", "RSS MiB", "F1", title=f"Spark local · {n:,} × {n:,}")
    for r in rows:
        f1 = f"{r['f1']:.4f}" if "f1" in r else "-"
        table.add_row(
            r["tool"], str(r["exit_code"]), f"{r['seconds']:.1f}", str(r["peak_rss_mib"]), f1
        )
    console.print(table)
    from alianza.identity.engines import spark_config

    spark = rows[1]
    if n <= 1_000:  # the target is for small runs; larger ones are reported side by side
        console.print(f"Spark {spark['seconds']:.0f} s (objetivo < 60 s con el arranque de la JVM: "
                      f"{check(spark['exit_code'] == 0 and spark['seconds'] < 60)})")  # fmt: skip
    return {
        "records": [n, n],
        "results": rows,
        "spark_config": spark_config(2 * n),
        "targets": {"spark_seconds_max": 60} if n <= 1_000 else {},
    }


def run_scale(n: int, seed: int) -> dict[str, Any]:
    """An n x n pair through ``alianza link`` in a subprocess."""
    d = WORK / f"scale-{seed}-{n}"
    d.mkdir(parents=True, exist_ok=True)
    (_, gen_seconds) = timed(
        f"generando {n:,} × {n:,}",
        lambda: synthetic.linkage_pair(
            left_size=n, overlap=0.6, right_size=n, seed=seed,
            left_path=d / "left.csv", right_path=d / "right.csv", truth_path=d / "truth.csv",
        ),
    )  # fmt: skip
    out, stats = d / "pairs.csv", d / "time.txt"
    cli = [str(Path(sys.executable).with_name("alianza")), "link"]
    command = [*cli, str(d / "left.csv"), str(d / "right.csv"), "-o", str(out)]
    gnu_time = Path("/usr/bin/time")
    if gnu_time.exists():
        command = [str(gnu_time), "-v", "-o", str(stats), *command]
    console.print(f"[bold]{' '.join(command)}[/] (registro en {d / 'cli.log'})")
    start = time.perf_counter()
    with (d / "cli.log").open("w") as log:
        code = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT).returncode
    seconds = time.perf_counter() - start
    if gnu_time.exists():
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stats.read_text())
        peak_kb = int(found.group(1)) if found else 0
    else:
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result: dict[str, Any] = {
        "records": [n, n],
        "overlap": 0.6,
        "seed": seed,
        "generation_seconds": round(gen_seconds, 1),
        "exit_code": code,
        "seconds": round(seconds, 1),
        "peak_rss_mib": round(peak_kb / 1024),
    }
    table = Table("", "valor", title=f"alianza link · {n:,} × {n:,}")
    table.add_row("código de salida", str(code))
    table.add_row("segundos (reloj)", f"{seconds:,.0f}")
    table.add_row("memoria máxima (RSS, MiB)", f"{peak_kb / 1024:,.0f}")
    if code == 0:
        truth, predicted = read_pairs(d / "truth.csv"), read_pairs(out)
        scores = pair_scores(predicted, truth)
        result |= {"pairs": len(predicted), "true_links": len(truth)}
        result |= {k: round(v, 4) for k, v in scores.items()}
        table.add_row("pares", f"{len(predicted):,} (verdad {len(truth):,})")
        for key, name in (("precision", "precisión"), ("recall", "exhaustividad"), ("f1", "F1")):
            table.add_row(name, f"{scores[key]:.4f}")
    console.print(table)
    return result


def save(section: str, payload: dict[str, Any], version: dict[str, Any]) -> None:
    """Merge one part under ``section``; ``version``: the code as the run started."""
    data = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    data[section] = {
        **payload,
        "machine": common.machine(),
        "date": common.today(),
        "command": common.command_line(),
        **version,
    }
    RESULTS.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=common.SEED)
    parser.add_argument(
        "--scale", type=int, default=0, help="solo un par N × N por la CLI (p. ej. 1000000)"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="corridas alternadas de cada herramienta (mediana)"
    )
    parts = ("pair", "febrl", "dedupe", "independent", "spark")
    parser.add_argument("--part", choices=parts, action="append", help="partes (todas)")
    parser.add_argument("--spark", type=int, default=300, help="registros por lado en Spark")
    args = parser.parse_args()
    version = common.code_version()  # others may commit while this runs
    if args.scale:
        save(f"link_{args.scale}x{args.scale}", run_scale(args.scale, args.seed), version)
        return
    chosen = args.part or parts
    if "pair" in chosen:
        save("linkage_10000x9000", run_pair(args.seed, args.repeat), version)
    if "febrl" in chosen:
        save("febrl4", run_febrl(args.repeat), version)
    if "dedupe" in chosen:
        save("dedupe_10000", run_dedupe(args.seed), version)
    if "independent" in chosen:
        save("independent", run_independent(args.seed, args.repeat), version)
    if "spark" in chosen:
        save(f"spark_{args.spark}x{args.spark}", run_spark(args.spark, args.seed), version)


if __name__ == "__main__":
    main()
