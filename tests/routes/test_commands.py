"""``alianza routes ...`` end to end, as a user runs it: the contract's CSVs in, PLAN.json
out, checked by networkx; bad input is exit code 2, one line on stderr naming the row and
the field, and no file written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from alianza.routes.network import load
from tests.routes.conftest import nx_flow

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NODES = """id,name,country,kind,lat,lon
s,Origen,CO,source,1,-77
a,A,EC,transit,0,-78
b,B,EC,transit,-1,-79
t,Destino,NL,sink,52,4
"""
LINKS_HEADER = "from,to,mode,capacity,interdiction_cost\n"
# Max flow 12 (4 via a->t, 5 + 3 via b->t). One control: b->t leaves 4, a->t 8, s->a 5,
# s->b 7 (a->t 4 + a->b 3), a->b 9: the optimum is b->t, 4.
DIAMOND = LINKS_HEADER + "s,a,road,10,1\ns,b,road,5,1\na,t,sea,4,1\nb,t,sea,8,1\na,b,road,3,1\n"
CONTRACT: dict[str, type | tuple[type, ...]] = {
    "interdicted": list,
    "flow_before": (int, float),
    "flow_after": (int, float),
    "bound": (int, float),
    "optimal": bool,
    "solve_seconds": (int, float),
}
SHORTEST_KEYS = {
    "interdicted",
    "interdicted_places",
    "cost_before",
    "cost_after",
    "bound",
    "gap",
    "optimal",
    "closed",
    "path_before",
    "path_after",
    "iterations",
    "budget",
    "solve_seconds",
}


def routes(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alianza.cli", "routes", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


def network_files(directory: Path, links: str, nodes: str = NODES) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = directory / "NODES.csv", directory / "LINKS.csv"
    paths[0].write_text(nodes, encoding="utf-8")
    paths[1].write_text(links, encoding="utf-8")
    return paths


def no_nan(text: str) -> Any:
    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in JSON")

    return json.loads(text, parse_constant=refuse)


def checked_plan(path: Path, nodes: Path, links: Path) -> dict[str, Any]:
    """PLAN.json, after checking the contract's keys and types and its flows by networkx."""
    plan: dict[str, Any] = no_nan(path.read_text(encoding="utf-8"))
    for key, kind in CONTRACT.items():
        assert isinstance(plan[key], kind), (key, plan[key])
    assert all(isinstance(p, list) and len(p) == 2 for p in plan["interdicted"])
    network = load(nodes, links)
    assert {tuple(p) for p in plan["interdicted"]} <= {link.key for link in network.links}
    assert plan["flow_before"] == pytest.approx(nx_flow(network), abs=1e-3)
    assert plan["flow_after"] == pytest.approx(nx_flow(network, plan["interdicted"]), abs=1e-3)
    assert plan["bound"] <= plan["flow_after"] + 1e-6
    if plan["optimal"]:
        assert plan["bound"] == pytest.approx(plan["flow_after"], abs=1e-6)
    return plan


def test_interdict_finds_the_known_optimum_with_its_maps(tmp_path: Path) -> None:
    nodes, links = network_files(tmp_path, DIAMOND)
    out = tmp_path / "PLAN.json"
    run = routes(
        "interdict",
        nodes,
        links,
        "--budget",
        "1",
        "-o",
        out,
        "--time-limit",
        "30",
        "--geojson",
        tmp_path / "red.geojson",
        "--map",
        tmp_path / "red.png",
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""
    plan = checked_plan(out, nodes, links)
    assert plan["interdicted"] == [["b", "t"]]
    assert plan["flow_before"] == pytest.approx(12) and plan["flow_after"] == pytest.approx(4)
    assert plan["optimal"] is True and plan["bound"] == pytest.approx(4)
    collection = no_nan((tmp_path / "red.geojson").read_text(encoding="utf-8"))
    json.dumps(collection, allow_nan=False)
    assert collection["type"] == "FeatureCollection" and collection["features"]
    assert all(f["type"] == "Feature" for f in collection["features"])
    assert (tmp_path / "red.png").read_bytes()[:8] == PNG_SIGNATURE


def test_interdict_with_a_budget_that_buys_nothing(tmp_path: Path) -> None:
    pricey = DIAMOND.replace(",1\n", ",5\n")  # every control costs 5
    nodes, links = network_files(tmp_path, pricey)
    out = tmp_path / "PLAN.json"
    run = routes("interdict", nodes, links, "--budget", "4.5", "-o", out, "-q", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    plan = checked_plan(out, nodes, links)
    assert plan["interdicted"] == []
    assert plan["flow_after"] == pytest.approx(plan["flow_before"]) == pytest.approx(12)


def test_shortest_path_and_rounds(tmp_path: Path) -> None:
    nodes, links = network_files(tmp_path, DIAMOND)
    out = tmp_path / "camino.json"
    run = routes("shortest-path", nodes, links, "--budget", "1", "-o", out, "-q", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    plan = no_nan(out.read_text(encoding="utf-8"))
    assert set(plan) >= SHORTEST_KEYS
    assert plan["cost_after"] >= plan["cost_before"] > 0
    assert isinstance(plan["optimal"], bool) and isinstance(plan["closed"], bool)
    if plan["optimal"]:
        assert plan["bound"] == pytest.approx(plan["cost_after"], abs=1e-6)
    assert plan["path_before"][0] == "s" and plan["path_before"][-1] == "t"
    assert plan["path_after"][0] == "s" and plan["path_after"][-1] == "t"
    keys = {link.key for link in load(nodes, links).links}
    assert plan["interdicted"] and {tuple(p) for p in plan["interdicted"]} <= keys
    # The cheapest route after the plan uses no controlled link.
    steps = set(zip(plan["path_after"], plan["path_after"][1:], strict=False))
    assert not steps & {tuple(p) for p in plan["interdicted"]}

    out = tmp_path / "rondas.json"
    run = routes("rounds", nodes, links, "--budget", "1", "--rounds", "3", "-o", out, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    body = no_nan(out.read_text(encoding="utf-8"))
    assert [r["round"] for r in body["rounds"]][-3:] == [1, 2, 3]
    network = load(nodes, links)
    for r in body["rounds"]:
        assert r["flow"] == pytest.approx(nx_flow(network, r["interdicted"]), abs=1e-3)
    assert body["wood_flow_after"] == pytest.approx(4)


def test_the_region_written_out_plans_like_the_shipped_one(tmp_path: Path) -> None:
    directory = tmp_path / "region"
    run = routes("region", "--out", directory, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    names = ("region_nodes.csv", "region_links.csv", "region_seizures.csv", "SOURCES.md")
    assert all((directory / name).stat().st_size > 0 for name in names)
    shipped = routes("interdict", "--region", "--budget", "3", "-o", "a.json", "-q", cwd=tmp_path)
    assert shipped.returncode == 0, shipped.stderr
    files = routes(
        "interdict",
        directory / "region_nodes.csv",
        directory / "region_links.csv",
        "--seizures",
        directory / "region_seizures.csv",
        "--budget",
        "3",
        "-o",
        "b.json",
        "-q",
        cwd=tmp_path,
    )
    assert files.returncode == 0, files.stderr
    a, b = (no_nan((tmp_path / n).read_text(encoding="utf-8")) for n in ("a.json", "b.json"))
    assert a["flow_before"] > 0 and a["flow_before"] == pytest.approx(b["flow_before"])
    assert a["flow_after"] == pytest.approx(b["flow_after"])
    assert b["bound"] <= b["flow_after"] + 1e-6 and isinstance(b["optimal"], bool)


NO_SOURCE = NODES.replace("source", "transit")
NO_SINK = NODES.replace("sink", "transit")


@pytest.mark.parametrize(
    ("nodes", "links", "budget", "output", "expected"),
    [
        (NODES, DIAMOND + "a,x,road,1,1\n", "1", "PLAN.json", ["LINKS.csv fila 7, to"]),
        (NODES, DIAMOND.replace("s,b,road,5", "s,b,road,-5"), "1", "PLAN.json",
         ["LINKS.csv fila 3, capacity"]),
        (NODES, DIAMOND.replace("a,b,road,3,1", "a,b,road,3,-1"), "1", "PLAN.json",
         ["LINKS.csv fila 6, interdiction_cost"]),
        (NODES, DIAMOND, "-1", "PLAN.json", ["--budget"]),
        (NO_SOURCE, DIAMOND, "1", "PLAN.json", ["NODES.csv, kind", "source"]),
        (NO_SINK, DIAMOND, "1", "PLAN.json", ["NODES.csv, kind", "sink"]),
        (NODES, DIAMOND.replace("s,b,", 's,"b,'), "1", "PLAN.json", ["LINKS.csv fila 3"]),
        (NODES, DIAMOND.replace("capacity", "capacidad"), "1", "PLAN.json",
         ["LINKS.csv fila 1", "capacity"]),
        (NODES, DIAMOND.replace("a,t,sea,4,", "a,t,sea,,"), "1", "PLAN.json",
         ["a -> t", "capacity"]),
        (None, DIAMOND, "1", "PLAN.json", ["NODES.csv", "no existe"]),
        (NODES, DIAMOND, "1", "falta/PLAN.json", ["falta"]),
        (NODES, DIAMOND, "1", "carpeta", ["carpeta"]),
    ],
    ids=[
        "unknown-node",
        "negative-capacity",
        "negative-cost",
        "negative-budget",
        "no-source",
        "no-sink",
        "unclosed-quote",
        "wrong-header",
        "empty-capacity",
        "missing-file",
        "missing-output-folder",
        "output-is-a-folder",
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path,
    nodes: str | None,
    links: str,
    budget: str,
    output: str,
    expected: list[str],
) -> None:
    nodes_path, links_path = network_files(tmp_path, links, nodes or NODES)
    if nodes is None:
        nodes_path.unlink()
    (tmp_path / "carpeta").mkdir()
    before = set(tmp_path.rglob("*"))
    run = routes(
        "interdict",
        nodes_path,
        links_path,
        "--budget",
        budget,
        "-o",
        tmp_path / output,
        "--geojson",
        tmp_path / "red.geojson",
        cwd=tmp_path,
    )
    assert run.returncode == 2, (run.returncode, run.stderr)
    assert run.stdout == ""
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip(), run.stderr
    assert all(part in lines[0] for part in expected), lines[0]
    assert "Traceback" not in run.stderr
    assert set(tmp_path.rglob("*")) == before  # no PLAN.json, no GeoJSON
