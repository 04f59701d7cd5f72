"""The main job, end to end: two real node processes, sync, hit, release (``make demo``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def _free_ports() -> int:
    """A free port whose two successors are free too (the Ecuadorian node takes the next
    one, Chacalluta's border post the one after).

    Taken below the kernel's ephemeral range (32768-60999): a port from that range, free
    when checked, was taken by some outgoing connection before the demo bound it.
    """
    import random
    import socket

    for _ in range(200):
        port = random.randrange(20_000, 32_000)
        try:
            with socket.socket() as a, socket.socket() as b, socket.socket() as c:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 1))
                c.bind(("127.0.0.1", port + 2))
        except OSError:
            continue
        return port
    raise RuntimeError("no hay tres puertos libres seguidos")


def test_demo_runs_both_nodes_and_tells_the_story(tmp_path: Path) -> None:
    port = _free_ports()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "alianza.cli",
            "demo",
            "--dir",
            str(tmp_path / "demo"),
            "--records",
            "150",
            "--port",
            str(port),
            "--no-serve",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={"COLUMNS": "200", "PATH": "/usr/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "testigo cruzado" in out
    # Chile cannot read Ecuador's record, asks, gets a HIT, requests release; Ecuador's
    # supervisor approves without 'notes'; Chile reads exactly the released fields.
    assert "en su propio nodo: 0 registros" in out
    assert "Respuesta: HIT" in out
    assert "código de manejo H2" in out and "Posorja" not in out  # 'notes' was removed
    assert "Quitados por Ecuador: notes." in out
    assert '"surname_1": "González"' in out and '"notes"' not in out
    assert "ana.rojas" in out and "maria.supervisora" in out
    # The border post finds him though the passport spells him otherwise, and learns only
    # that Ecuador holds a record (a hit/no-hit reference), never what it says.
    assert "Control fronterizo" in out
    assert "registro de Ecuador → consulta hit/no-hit: HIT" in out
    assert "día y mes" not in out and "primer nombre igual" in out
    # The port scene: Guayaquil's list with its reasons, Chile's seizure back as a label.
    assert "Inspecciones en Guayaquil" in out and "exploración" in out
    assert "CL-SAI-2026-0412" in out
    assert "propone 1 vínculo(s)" in out and '"decidido_por"' in out
    # The route scene: the regional network's plans at three budgets, proven, and its map.
    assert "Rutas del tráfico" in out and "Flujo máximo sin controles" in out
    assert out.count("│ sí ") >= 3, out[out.find("Rutas del tráfico") :]
    png = tmp_path / "demo" / "rutas-plan.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((tmp_path / "demo" / "rutas-plan.geojson").read_text())["features"]
    # The corridor scene: a plan within the bound, blocked households out with the reason.
    assert "Corredor humanitario" in out and "bloqueo de protección" in out
    plan = json.loads((tmp_path / "demo" / "corredor-plan.json").read_text())
    assert 0 < plan["persons_scheduled"] <= plan["upper_bound"]
    # Tracking: the manifest acknowledged by Ecuador's node, the post's offline check-ins
    # synced, and the contradiction from elsewhere left for a person.
    assert "personas, solo given_names" in out and "acuse firmado" in out
    assert "3 cruces registrados en su propio nodo" in out
    assert "3 registros sincronizados con el nodo nacional, 0 pendientes, 1 conflicto" in out
    assert "desaparecida" in out
    # Regularisation: three applications checked at both nodes; Ecuador's hit pauses one
    # (a reference, never the data), no decision until a supervisor reviews it; letters.
    assert "Regularización selectiva" in out
    assert "Policía Nacional (EC): HIT" in out and "queda en revisión por coincidencia" in out
    assert "Decidir ahora se rechaza" in out and "Guayaquil 2020" not in out
    assert "la marca para expulsión" in out
    for ref in ("DEMO-REG-1", "DEMO-REG-2", "DEMO-REG-3"):
        letter = tmp_path / "demo" / f"regularizacion-{ref}.pdf"
        assert letter.read_bytes().startswith(b"%PDF-"), ref
    assert "solicitudes suprimida (<5)" in out
    # It ends on the console: both addresses and the demo users' password (issue 16).
    assert out.rfind("/consola") > out.find("solicitudes suprimida")
    assert "Consola de Ecuador (Policía Nacional): http://127.0.0.1:" in out
    again = subprocess.run(
        [
            sys.executable,
            "-m",
            "alianza.cli",
            "audit",
            "verify",
            "--dir",
            str(tmp_path / "demo" / "cl"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
