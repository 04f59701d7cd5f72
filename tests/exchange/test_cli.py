"""The exchange commands as an officer would type them, against two real nodes."""

from __future__ import annotations

import subprocess
import sys

from tests.exchange.conftest import Running
from tests.exchange.test_hits_release import PERSON, owned


def cli(r: Running, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alianza.cli", *args],
        env={**r.env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_query_sync_and_lists_from_the_command_line(pair: tuple[Running, Running]) -> None:
    cl, ec = pair
    owned(ec, PERSON, scope="partners", scope_countries=["CL"])
    owned(ec, {"number": "CSQU3054383", "status": "suspect"}, kind="container", scope="members")
    cl.user("ana", "analyst")
    hit = cli(
        cl,
        "query",
        "container",
        "--user",
        "ana",
        "--purpose",
        "port_control",
        "--value",
        "CSQU 305438-3",
    )
    assert hit.returncode == 0, hit.stderr
    assert "HIT en Policía Nacional (EC)" in hit.stdout and "ref=" in hit.stdout
    person = cli(
        cl,
        "query",
        "person",
        "--user",
        "ana",
        "--purpose",
        "investigation",
        "--given-names",
        "José Luis",
        "--surname-1",
        "González",
        "--surname-2",
        "Pérez",
        "--birth-date",
        "1985-07-14",
    )
    assert "HIT" in person.stdout, person.stderr
    miss = cli(
        cl, "query", "vessel", "--user", "ana", "--purpose", "port_control", "--value", "9074729"
    )
    assert "NO-HIT" in miss.stdout
    bad = cli(
        cl,
        "query",
        "person",
        "--user",
        "ana",
        "--purpose",
        "curiosidad",
        "--given-names",
        "A",
        "--surname-1",
        "B",
        "--birth-date",
        "1985-07-14",
    )
    assert bad.returncode == 2 and "finalidad desconocida" in bad.stderr
    synced = cli(cl, "sync")
    assert synced.returncode == 0 and "✓" in synced.stdout, synced.stderr
    peers = cli(cl, "peer", "list")
    assert ec.node.node_id in peers.stdout
    listed = cli(cl, "release", "list", "--user", "ana")
    assert listed.returncode == 0, listed.stderr
    verify = cli(cl, "audit", "verify", "--witnesses")
    assert verify.returncode == 0, verify.stderr
