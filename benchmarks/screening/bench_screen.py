"""Border screening against a watch list of N persons, online (HTTP) and in batch, with anchors.

    .venv/bin/python benchmarks/screening/bench_screen.py [--records 1000000] [--online 2000]

The list is LEFT of ``synthetic.linkage_pair(left_size=N, overlap=0.3, right_size=N)`` as FtM
Person lines bulk-imported into a node (built once, kept under /tmp/alianza-bench; a document
that fails validation is dropped, its person kept). Travellers are RIGHT rows: about 30% are
on the list, written with another registry's corruptions. Online: ``alianza serve``, one
border officer asking one traveller at a time (the first request builds the index: time and
RSS); anchor, a bare FastAPI app on the same SQLite answering with the node's exact keys
(every name word ``tok:`` and ``dob:``, ``anchor.py``). Batch: ``POST /api/v1/screen/batch``
on the same server, lists of ``--batch-size`` against the list already loaded, and
``alianza screen --file`` (travellers/s as it prints them; ``--no-cli`` skips it); anchor,
the same exact rule in one SQL join. Memory is the serving process's RSS once the list is
loaded, and the load time the first request's: once for a first start, which loads the
database (the kept list is removed before it), and once for a second start, which reads
the list the first one kept (``alianza/screening/snapshot.py``). Targets (issue 4, issue
11): online p95 <= 20 ms through the API, list loaded in <= 20 s and <= 1.5 GB, batch >=
5,000 travellers/s over the API (>= 2,000 with the CLI).
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "node"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "exchange"))

import common
import httpx2
from anchor import exact_batch
from bench_hits import serve
from rich.table import Table

from alianza.auth import service as auth
from alianza.auth.permissions import Principal, Role
from alianza.codes.identifiers import document_type_for_country
from alianza.db import transaction
from alianza.demo.vocabulary import LEGAL_BASES, PURPOSES
from alianza.errors import InputError
from alianza.identity import synthetic
from alianza.identity.contract import check_row
from alianza.node.context import open_node
from alianza.node.flows import init_node
from alianza.records import ftm
from alianza.records.importer import derived_id, import_items
from alianza.records.kinds import validate_data
from alianza.records.rules import RecordKind
from alianza.settings import Settings

console = common.console
RESULTS = common.REPO / "benchmarks" / "results" / "screening.json"
OVERLAP, MATCH = 0.3, 0.5
RULES = {"purpose": PURPOSES[RecordKind.PERSON][2], "legal_basis": LEGAL_BASES["CL"][0]}
RULES |= {"scope": "country"}
PROPS = {"given_names": "firstName", "surname_1": "fatherName", "surname_2": "motherName"}
PROPS |= {"birth_date": "birthDate"}
ANA = Principal(username="ana", country="CL", agency="PDI", role=Role.ANALYST)


# ------------------------------------------------------------------ the watch list


def entity(row: dict[str, str], *, document: bool) -> dict[str, Any]:
    """A LEFT row as the FtM Person our export writes (documents typed in ``alianza.extra``)."""
    surnames = " ".join(s for s in (row["surname_1"], row["surname_2"]) if s)
    props = {prop: row[name] for name, prop in PROPS.items()} | {
        "lastName": surnames,
        "name": f"{row['given_names']} {surnames}".strip(),
        "nationality": row["nationality"].lower(),
        "gender": {"M": "male", "F": "female"}.get(row["sex"], ""),
        "classification": "wanted",
    }
    extra: dict[str, Any] = {}
    if document and row["document_number"]:
        kind = row["document_type"] or document_type_for_country(row["nationality"]).value
        extra["documents"] = [{"type": kind, "number": row["document_number"]}]
        props["passportNumber" if kind == "PASSPORT" else "idNumber"] = row["document_number"]
    return {
        "id": row["record_id"],
        "schema": "Person",
        "properties": {k: [v] for k, v in props.items() if v},
        "alianza": {"kind": "person", "rules": RULES, "extra": extra},
    }


def ftm_line(row: dict[str, str]) -> tuple[str | None, bool]:
    """The line the import will accept (None: not even without its document), document lost?"""
    for document in (True, False):
        item = entity(row, document=document)
        try:
            validate_data(RecordKind.PERSON, ftm.from_entity(item, where=row["record_id"]).data)
        except InputError:
            if not row["document_number"]:
                break
            continue
        return json.dumps(item, ensure_ascii=False) + "\n", not document
    return None, False


def watch_node(n: int, seed: int) -> tuple[Path, dict[str, Any]]:
    """The cached directory: LEFT/RIGHT/truth CSVs, the FtM file and the node (``node/``)."""
    d = common.CACHE / f"screening-{n}-{seed}"
    built = d / "built.json"
    if built.exists():
        cmd = [sys.executable, "-m", "alianza.cli", "node", "migrate", "--dir", str(d / "node")]
        subprocess.run(cmd, check=True, capture_output=True)
        return d, json.loads(built.read_text())
    common.reset_dir(d)
    with common.stopwatch() as t_gen:
        pair = synthetic.linkage_pair(
            left_size=n, overlap=OVERLAP, right_size=n, seed=seed,
            left_path=d / "left.csv", right_path=d / "right.csv", truth_path=d / "truth.csv",
        )  # fmt: skip
    dropped, refused = 0, []
    with (
        common.progress_bar() as bar,
        (d / "left.csv").open(encoding="utf-8", newline="") as fh,
        (d / "watch.ftm.jsonl").open("w", encoding="utf-8") as out,
    ):
        task = bar.add_task(f"FtM: {n:,} personas", total=n)
        for row in csv.DictReader(fh):
            line, lost = ftm_line(row)
            if line is None:
                refused.append(row["record_id"])
            else:
                out.write(line)
                dropped += lost
            bar.advance(task)
    node = init_node(Settings(data_dir=d / "node", database_url=""), country="CL", agency="PDI")
    with transaction(node.sessions) as s:
        for name, role in (("ana", "analyst"), ("ofi", "border_officer")):
            auth.add_user(
                s,
                node=node,
                principal=node.system,
                username=name,
                full_name=name,
                country="CL",
                agency="PDI",
                role=role,
            )
    with common.stopwatch() as t_import, common.progress_bar() as bar:
        task = bar.add_task(f"importando {n - len(refused):,} personas", total=n - len(refused))
        with transaction(node.sessions) as s, (d / "watch.ftm.jsonl").open(encoding="utf-8") as fh:
            import_items(
                s, node=node, principal=ANA, items=ftm.read_lines(fh),
                progress=lambda k: bar.advance(task, k),
            )  # fmt: skip
    node.close()
    info = {
        "records": n - len(refused),
        "documents_dropped": dropped,
        "persons_refused": refused,
        "truth_pairs": pair.matches,
        "generate_seconds": round(t_gen[0], 1),
        "import_seconds": round(t_import[0], 1),
    }
    built.write_text(json.dumps(info))
    return d, info


def travellers(d: Path, count: int, refused: set[str]) -> tuple[list[dict[str, str]], dict]:
    """The first ``count`` RIGHT rows that keep the contract, and right id -> our record id."""
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    with (d / "right.csv").open(encoding="utf-8", newline="") as fh:
        for number, row in enumerate(csv.DictReader(fh), start=2):
            if check_row(row, seen=seen, row=number) is None:
                rows.append(row)
                seen.add(row["record_id"])
            if len(rows) == count:
                break
    truth = {}
    with (d / "truth.csv").open(encoding="utf-8", newline="") as fh:
        for left, right in itertools.islice(csv.reader(fh), 1, None):
            if right in seen and left not in refused:
                truth[right] = derived_id(left, principal=ANA, kind=RecordKind.PERSON)
    return rows, truth


# ------------------------------------------------------------------ measuring


def rss_mb(pid: int) -> dict[str, int]:
    """Resident and peak resident memory of a process (``/proc/PID/status``), in MiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    kib = dict(re.findall(r"(VmRSS|VmHWM):\s+(\d+)", status))
    return {"rss_mb": int(kib["VmRSS"]) // 1024, "peak_rss_mb": int(kib["VmHWM"]) // 1024}


def ask_ours(client: httpx2.Client, row: dict[str, str]) -> tuple[str, bool]:
    body = {k: v for k, v in row.items() if v and k != "record_id"}
    r = client.post("/api/v1/screen", json={**body, "ask_partners": False})
    r.raise_for_status()
    top = (r.json()["candidates"] or [{}])[0]
    return top.get("record_id", ""), top.get("probability", 0.0) >= MATCH


def ask_anchor(client: httpx2.Client, row: dict[str, str]) -> tuple[str, bool]:
    names = {"given": row["given_names"], "s1": row["surname_1"], "s2": row["surname_2"]}
    r = client.get("/hit", params={**names, "birth": row["birth_date"]})
    r.raise_for_status()
    found = r.json()["records"]
    return (found[0] if found else ""), bool(found)


def batch_http(client: httpx2.Client, rows, truth, size: int) -> dict[str, Any]:
    """``POST /api/v1/screen/batch`` over ``rows`` in lists of ``size``: travellers/s, quality."""
    found: set[tuple[str, str]] = set()
    took = []
    fields = [k for k in synthetic.HEADER if k != "record_id"]
    with common.progress_bar() as bar:
        task = bar.add_task("lote HTTP", total=len(rows))
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            body = {"travellers": [{k: r[k] or None for k in fields} for r in chunk]}
            t0 = time.perf_counter()
            r = client.post("/api/v1/screen/batch", json=body)
            took.append(time.perf_counter() - t0)
            r.raise_for_status()
            for row, result in zip(chunk, r.json()["results"], strict=True):
                for c in result["candidates"]:
                    if c["probability"] >= MATCH and "record_id" in c:
                        found.add((row["record_id"], c["record_id"]))
            bar.advance(task, len(chunk))
    return {
        "travellers": len(rows),
        "list_size": size,
        "travellers_per_s": round(len(rows) / sum(took)),
        "seconds": round(sum(took), 2),
        "median_list_seconds": round(sorted(took)[len(took) // 2], 2),
        **pair_scores(found, truth, rows),
    }


def online(
    name: str, cmd: list[str], base: str, ready: str, rows, truth, ask, *, after=None, **client
) -> dict:
    """Start a server, warm it up with one traveller, then ask each traveller in turn
    (and, with ``after``, call it on the same client before the server stops)."""
    server = serve(cmd, base + ready, dict(os.environ))
    try:
        with httpx2.Client(base_url=base, timeout=600, **client) as http:
            memory = {"start": rss_mb(server.pid)}
            with common.stopwatch() as warm:
                ask(http, rows[0])
            memory["warm"] = rss_mb(server.pid)
            console.print(
                f"{name}: 1.ª consulta {warm[0]:.1f} s, RSS {memory['warm']['rss_mb']:,} MiB"
            )
            latencies, tops = [], []
            with common.progress_bar() as bar:
                task = bar.add_task(name, total=len(rows))
                for row in rows:
                    start = time.perf_counter()
                    tops.append(ask(http, row))
                    latencies.append(time.perf_counter() - start)
                    bar.advance(task)
            memory["end"] = rss_mb(server.pid)
            extra = after(http) if after is not None else None
            memory["after"] = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait()
    on = [i for i, r in enumerate(rows) if r["record_id"] in truth]
    off = [i for i, r in enumerate(rows) if r["record_id"] not in truth]
    right = sum(tops[i][0] == truth[rows[i]["record_id"]] for i in on)
    ms = [x * 1000 for x in latencies]
    return {
        "travellers": len(rows),
        "on_list": len(on),
        **{f"p{q}_ms": round(common.percentile(ms, q), 2) for q in (50, 95, 99)},
        "recall_at_1": round(right / max(len(on), 1), 4),
        "false_alarm_rate": round(sum(tops[i][1] for i in off) / max(len(off), 1), 4),
        "warm_up_seconds": round(warm[0], 2),
        "server_memory": memory,
        **({"batch": extra} if extra is not None else {}),
    }


def pair_scores(found: set[tuple[str, str]], truth: dict[str, str], rows) -> dict[str, Any]:
    wanted = {(r["record_id"], truth[r["record_id"]]) for r in rows if r["record_id"] in truth}
    good = len(found & wanted)
    return {
        "pairs": len(found),
        "precision": round(good / max(len(found), 1), 4),
        "recall": round(good / max(len(wanted), 1), 4),
    }


def batch_ours(d: Path, rows: list[dict[str, str]], truth: dict[str, str]) -> dict[str, Any]:
    """``alianza screen --file``: its own travellers/s, the command's wall time and peak RSS."""
    path, out, peak = d / "travellers.csv", d / "screened.csv", d / "peak_rss_kib.txt"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=synthetic.HEADER, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    cli = [str(Path(sys.executable).with_name("alianza")), "screen", "--dir", str(d / "node")]
    cli += ["--user", "ofi", "--file", str(path), "-o", str(out)]
    console.print(f"nuestro: lote de {len(rows):,} viajeros (alianza screen --file) …")
    with common.stopwatch() as wall:
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", str(peak), *cli],
            capture_output=True, text=True, check=True, env={**os.environ, "COLUMNS": "300"},
        )  # fmt: skip
    printed = re.search(r"\(([\d.]+) s, ([\d,]+) viajeros/s\)", done.stdout)
    if printed is None:
        raise SystemExit(f"salida inesperada de alianza screen:\n{done.stdout}")
    with out.open(encoding="utf-8", newline="") as fh:
        found = {(r["traveller_id"], r["record_id"]) for r in csv.DictReader(fh)}
    return {
        "travellers": len(rows),
        "travellers_per_s": int(printed[2].replace(",", "")),
        "screening_seconds": float(printed[1]),
        "wall_seconds": round(wall[0], 1),
        "peak_rss_mb": int(peak.read_text().split()[-1]) // 1024,
        **pair_scores(found, truth, rows),
    }


def show(title: str, header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    table = Table("", *header, title=title)
    for row in rows:
        table.add_row(*(f"{v:,}" if isinstance(v, int) else str(v) for v in row))
    console.print(table)


# ------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000, help="personas en la lista")
    parser.add_argument("--online", type=int, default=2_000, help="viajeros uno a uno (HTTP)")
    parser.add_argument("--batch", type=int, default=50_000, help="viajeros del lote")
    parser.add_argument("--batch-size", type=int, default=10_000, help="viajeros por lista HTTP")
    parser.add_argument("--no-cli", action="store_true", help="sin alianza screen --file")
    parser.add_argument("--seed", type=int, default=common.SEED)
    parser.add_argument("--port", type=int, default=8793)
    args = parser.parse_args()

    d, info = watch_node(args.records, args.seed)
    refused = set(info["persons_refused"])
    rows, truth = travellers(d, args.online + args.batch, refused)
    first, rest = rows[: args.online], rows[args.online :]
    console.print(
        f"lista: {info['records']:,} personas ({info['documents_dropped']:,} documentos "
        f"inválidos descartados, {len(refused):,} personas rechazadas); viajeros: "
        f"{len(first):,} en línea + {len(rest):,} en lote, {len(truth) / len(rows):.0%} en la lista"
    )
    node = open_node(Settings(data_dir=d / "node", database_url=""))
    with transaction(node.sessions) as s:
        token, _ = auth.issue_token(s, node=node, principal=node.system, username="ofi", ttl_days=1)
    node.close()

    serve_cmd = [sys.executable, "-m", "alianza.cli", "serve", "--dir", str(d / "node")]
    serve_cmd += ["--port", str(args.port)]
    base = f"http://127.0.0.1:{args.port}"
    auth_header = {"Authorization": f"Bearer {token}"}
    kept = d / "node" / "cache" / "lista-vigilancia.bin"
    kept.unlink(missing_ok=True)  # the first start loads the database (and keeps the list)
    ours = online(
        "nuestro", serve_cmd, base, "/api/v1/node", first, truth, ask_ours, headers=auth_header,
        after=lambda http: batch_http(http, rest, truth, args.batch_size),
    )  # fmt: skip
    batch_api = ours.pop("batch")
    # A second start reads the list the first one kept (``screening/snapshot.py``).
    for _ in range(120):
        if kept.exists():
            break
        time.sleep(1)
    restart = online(
        "nuestro, 2.º arranque", serve_cmd, base, "/api/v1/node", first[:200], truth, ask_ours,
        headers=auth_header,
    )  # fmt: skip
    ours["restart"] = {
        "warm_up_seconds": restart["warm_up_seconds"],
        "server_memory": restart["server_memory"],
        "kept_list_mb": round(kept.stat().st_size / 2**20) if kept.exists() else None,
        "p95_ms": restart["p95_ms"],
        "recall_at_1": restart["recall_at_1"],
    }
    here = str(Path(__file__).resolve().parent)
    anchor_cmd = [sys.executable, "-m", "uvicorn", "--app-dir", here, "anchor:app"]
    anchor_cmd += ["--port", str(args.port + 1), "--log-level", "warning"]
    os.environ["ALIANZA_BENCH_ANCHOR_DB"] = f"sqlite:///{d / 'node' / 'alianza.db'}"
    base = f"http://127.0.0.1:{args.port + 1}"
    anchor = online("ancla", anchor_cmd, base, "/docs", first, truth, ask_anchor)
    batch = None if args.no_cli else batch_ours(d, rest, truth)
    console.print("ancla: la misma regla exacta en un JOIN de SQLite …")
    with common.stopwatch() as took:
        found = exact_batch(d / "node" / "alianza.db", rest)
    batch_exact = {"travellers_per_s": round(len(rest) / took[0]), "seconds": round(took[0], 2)}
    batch_exact |= pair_scores(found, truth, rest)

    cols = ("p50_ms", "p95_ms", "p99_ms", "recall_at_1", "false_alarm_rate")
    p95_ratio = round(ours["p95_ms"] / anchor["p95_ms"], 2)
    show(
        f"control en línea · {info['records']:,} personas · {len(first):,} viajeros",
        ("p50 ms", "p95 ms", "p99 ms", "recall@1", "falsas alarmas"),
        [("alianza (HTTP, difuso)", *(ours[c] for c in cols)),
         ("ancla (HTTP, exacto)", *(anchor[c] for c in cols)),
         ("razón nuestro/ancla", "", p95_ratio)],
    )  # fmt: skip
    api_ratio = round(batch_exact["travellers_per_s"] / batch_api["travellers_per_s"], 2)
    lines = [
        ("alianza POST /api/v1/screen/batch", batch_api["travellers_per_s"],
         f"{batch_api['seconds']} (listas de {args.batch_size:,})",
         batch_api["precision"], batch_api["recall"]),
    ]  # fmt: skip
    if batch is not None:
        lines.append(
            ("alianza screen --file", batch["travellers_per_s"],
             f"{batch['screening_seconds']} (comando {batch['wall_seconds']})",
             batch["precision"], batch["recall"])
        )  # fmt: skip
    lines += [
        ("ancla (JOIN exacto)", batch_exact["travellers_per_s"], batch_exact["seconds"],
         batch_exact["precision"], batch_exact["recall"]),
        ("razón ancla/nuestro (API)", api_ratio),
    ]  # fmt: skip
    show(
        f"control en lote · {len(rest):,} viajeros",
        ("viajeros/s", "s", "precisión", "exhaustividad"),
        lines,
    )
    warm = ours["server_memory"]["warm"]["rss_mb"]
    held = {
        "p95_ms": ours["p95_ms"] <= 20,
        "load_seconds": ours["restart"]["warm_up_seconds"] <= 20,
        "first_load_seconds": ours["warm_up_seconds"] <= 20,
        "rss_mb": warm <= 1536,
        "batch_api_per_s": batch_api["travellers_per_s"] >= 5000,
    }
    console.print(
        f"índice de {info['records']:,} personas: {ours['warm_up_seconds']} s desde la base, "
        f"{ours['restart']['warm_up_seconds']} s desde la lista guardada "
        f"({ours['restart']['kept_list_mb']} MiB), RSS {warm:,} MiB / "
        f"{ours['restart']['server_memory']['warm']['rss_mb']:,} MiB"
        f" (ancla {anchor['server_memory']['warm']['rss_mb']:,} MiB); metas: "
        + ", ".join(f"{k} {'sí' if v else 'NO'}" for k, v in held.items())
        + f"; carga media del sistema {os.getloadavg()[0]:.2f}"
    )

    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    data["screen" if args.records == 1_000_000 else f"screen_{args.records}"] = {
        "watch_list": {**info, "persons_refused": len(refused)},
        "online": {"ours": ours, "anchor": anchor, "ours_over_anchor_p95": p95_ratio},
        "batch": {
            "api": batch_api,
            "cli": batch,
            "anchor": batch_exact,
            "anchor_over_api_per_s": api_ratio,
        },
        "targets": {
            "p95_ms": 20,
            "load_seconds": 20,
            "rss_mb": 1536,
            "batch_api_travellers_per_s": 5000,
            "held": held,
        },
        "load_average": os.getloadavg(),
        "machine": common.machine(),
        "date": common.today(),
        "command": common.command_line(),
        **common.code_version(),
    }
    RESULTS.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
