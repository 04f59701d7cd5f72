"""``alianza corridor plan`` through the real command: the contract's output, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.corridor.conftest import check_plan
from tests.corridor.test_planner import small


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alianza.cli", "corridor", "plan", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_plan_file_and_bad_input(tmp_path: Path) -> None:
    source, out = tmp_path / "in.json", tmp_path / "plan.json"
    raw = small()
    source.write_text(json.dumps(raw), encoding="utf-8")
    done = _run(str(source), "-o", str(out), "--time-limit", "5")
    assert done.returncode == 0, done.stderr
    plan = json.loads(out.read_text())
    assert set(plan) >= {
        "assignments",
        "unscheduled",
        "persons_scheduled",
        "upper_bound",
        "solve_seconds",
    }
    assert check_plan(raw, plan) == 10
    raw["departures"][0]["seats"] = -3
    source.write_text(json.dumps(raw), encoding="utf-8")
    out.unlink()
    bad = _run(str(source), "-o", str(out))
    assert bad.returncode == 2 and not out.exists()
    lines = [line for line in bad.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "departures[0] (b1).seats" in lines[0]


def test_the_default_corridor_is_an_input_to_complete(tmp_path: Path) -> None:
    out = tmp_path / "corredor.json"
    done = subprocess.run(
        [sys.executable, "-m", "alianza.cli", "corridor", "default", "-o", str(out),
         "--start", "2027-05-03", "--days", "14"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    raw = json.loads(out.read_text())
    kinds = {s["kind"] for s in raw["stops"]}
    assert kinds == {"city", "border", "reception"} and raw["households"] == []
    raw["households"] = [
        {"id": "h1", "origin": "pe-lima", "ready_date": "2027-05-04", "priority": "normal",
         "members": [{"id": "p1", "birth_date": "1990-01-01", "consent": True, "flags": []}]}
    ]  # fmt: skip
    source, plan_path = tmp_path / "in.json", tmp_path / "plan.json"
    source.write_text(json.dumps(raw), encoding="utf-8")
    planned = _run(str(source), "-o", str(plan_path), "--time-limit", "5")
    assert planned.returncode == 0, planned.stderr
    assert check_plan(raw, json.loads(plan_path.read_text())) == 1
    bad = subprocess.run(
        [sys.executable, "-m", "alianza.cli", "corridor", "default", "-o", str(out),
         "--start", "2027-02-30"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert bad.returncode == 2 and "--start" in bad.stderr
