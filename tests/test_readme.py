"""The README's walkthrough runs as printed: every ``sh`` block of it, in order, in bash.

Real processes: two ``alianza serve`` nodes, the installed ``alianza`` command, curl. The
only thing the test chooses is the two ports (``P_CL``, ``P_EC``), which the walkthrough
reads from the environment with a default. A slow stage: once per CI (SQLite pass).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "## A walkthrough that runs as printed"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def walkthrough() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```sh\n(.*?)^```", section, re.S | re.M)
    assert len(blocks) >= 5, "the walkthrough lost its sh blocks"
    return "\n".join(blocks)


def test_only_the_walkthrough_has_runnable_blocks() -> None:
    text = README.read_text(encoding="utf-8")
    before, after = text.split(SECTION, 1)
    # Elsewhere, command blocks are syntax summaries (```text), never silently untested.
    assert "```sh" not in before
    assert "```sh" not in after.split("\n## ", 1)[1]


@pytest.mark.once
def test_the_walkthrough_runs_as_printed(tmp_path: Path) -> None:
    script = (
        "set -euo pipefail\n"
        # Whatever happens, no server outlives the test.
        "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + walkthrough()
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALIANZA_")}
    env.update(
        PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '/usr/bin:/bin')}",
        P_CL=str(_free_port()),
        P_EC=str(_free_port()),
        COLUMNS="200",
    )
    proc = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    logs = "".join(
        f"\n--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in tmp_path.glob("*.log")
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:] + logs
    [answer] = json.loads((tmp_path / "hit.json").read_text())["answers"]
    assert answer["hit"] is True and len(answer["references"]) == 1
    shown = json.loads((tmp_path / "entrega.json").read_text())
    assert shown["status"] == "approved"
    assert shown["data"]["surname_1"] == "González" and "notes" not in shown["data"]
    [listed] = json.loads((tmp_path / "entregas.json").read_text())
    assert listed["data"] == shown["data"]
    assert listed["owner_rules"]["legal_basis"] == "COIP art. 220"
    assert '"candidates"' in proc.stdout
