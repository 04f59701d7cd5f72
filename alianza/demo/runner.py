"""``alianza demo``: a Chilean node (PDI) and an Ecuadorian node (Policía Nacional) as two
real processes on loopback, with synthetic records, that sync, ask hit/no-hit and release.

Both nodes live under ``--dir`` (``cl/`` and ``ec/``) and are reused on the next run, so
stopping the demo loses nothing; delete the directory to start again.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx2
from rich.console import Console
from rich.panel import Panel
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy import select

from alianza.auth import service as auth
from alianza.db import transaction
from alianza.demo.corridor_scene import corridor_scene
from alianza.demo.corridor_tracking import tracking_scene
from alianza.demo.generator import generate_records
from alianza.demo.port_scene import port_scene
from alianza.demo.routes_scene import routes_scene
from alianza.demo.status_scene import status_scene
from alianza.errors import Unavailable
from alianza.exchange import flows as exchange
from alianza.exchange import release
from alianza.exchange import service as exchange_service
from alianza.exchange.models import Peer
from alianza.node.context import Node, open_node
from alianza.node.flows import init_node
from alianza.records import service as records
from alianza.records.importer import ImportItem, import_items
from alianza.records.rules import Rules
from alianza.screening.flows import screen
from alianza.screening.service import Screener, explain_text
from alianza.settings import Settings

DEMO_PASSWORD = "alianza-demo-2026"  # synthetic nodes on loopback only; printed on purpose


@dataclass(frozen=True, slots=True)
class DemoNode:
    """One side of the demo."""

    key: str
    country: str
    agency: str
    # (username, full name, agency, role)
    users: tuple[tuple[str, str, str, str], ...]
    seed: int


CHILE = DemoNode(
    "cl",
    "CL",
    "PDI",
    (
        ("admin", "Administración del nodo", "PDI", "administrator"),
        ("ana.rojas", "Ana Rojas Fuentes", "PDI", "analyst"),
        ("diego.soto", "Diego Soto Lagos", "PDI", "supervisor"),
        ("bruno.chacalluta", "Bruno Araya Muñoz", "PDI", "border_officer"),
        ("carla.puerto", "Carla Vera Núñez", "PDI", "port_analyst"),
        ("elena.retorno", "Elena Paredes Díaz", "PDI", "caseworker"),
        ("felipe.carabineros", "Felipe Contreras Vidal", "Carabineros", "analyst"),
    ),
    seed=2026,
)
ECUADOR = DemoNode(
    "ec",
    "EC",
    "Policía Nacional",
    (
        ("admin", "Administración del nodo", "Policía Nacional", "administrator"),
        ("pablo.andrade", "Pablo Andrade Cevallos", "Policía Nacional", "analyst"),
        ("maria.supervisora", "María Intriago Zambrano", "Policía Nacional", "supervisor"),
        ("luis.huaquillas", "Luis Jaramillo Ordóñez", "Policía Nacional", "border_officer"),
        ("rosa.guayaquil", "Rosa Quiñónez Mendoza", "Policía Nacional", "port_analyst"),
    ),
    seed=593,
)

# A person both sides will talk about: held by Ecuador for its own agency only (Chile never
# receives it by sync) but discoverable by every member (the node's default for persons).
SUBJECT = {
    "category": "wanted",
    "given_names": "José Luis",
    "surname_1": "González",
    "surname_2": "Pérez",
    "birth_date": "1985-07-14",
    "sex": "M",
    "nationality": "EC",
    "documents": [{"type": "CI_EC", "number": "1710034065"}],
    "notes": "Coordinación de envíos por Posorja (sintético)",
}
SUBJECT_RULES = {
    "handling_code": "H2",
    "source_grade": "B",
    "info_grade": "2",
    "purpose": "Investigación de tráfico de cocaína por puertos ecuatorianos",
    "legal_basis": "LOPDP art. 7; acuerdo Chile-Ecuador 2025",
    "scope": "agency",
    "discoverable": "members",
}
# Another wanted person, this one shared with Chile: the border post's watch list holds
# Chile's copy, and a likely match becomes a hit/no-hit question to Ecuador.
COURIER = {
    "category": "wanted",
    "given_names": "Marco Antonio",
    "surname_1": "Quiñónez",
    "surname_2": "Vera",
    "birth_date": "1979-03-02",
    "sex": "M",
    "nationality": "EC",
    "documents": [{"type": "CI_EC", "number": "0912345675"}],
    "notes": "Correo de la red en Guayaquil (sintético)",
}
COURIER_RULES = {**SUBJECT_RULES, "scope": "partners", "scope_countries": ["CL"]}
COURIER_RULES.pop("discoverable")


def _populate(node: Node, side: DemoNode, *, n: int, console: Console) -> None:
    with transaction(node.sessions) as session:
        for username, name, agency, role in side.users:
            auth.add_user(
                session,
                node=node,
                principal=node.system,
                username=username,
                full_name=name,
                country=side.country,
                agency=agency,
                role=role,
                password=DEMO_PASSWORD,
            )
    analysts = [u for u in side.users if u[3] == "analyst"]
    batches = [(analysts[0][0], n, side.seed)]
    if len(analysts) > 1:
        batches.append((analysts[1][0], max(n // 5, 1), side.seed + 1))
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        for username, count, seed in batches:
            with node.sessions() as session:
                principal = auth.principal_of(auth.get_user(session, username))
            task = progress.add_task(f"{principal.agency} ({side.country})", total=count)
            items = (
                ImportItem(
                    where=f"registro sintético {i}",
                    kind=g.kind.value,
                    data=g.data,
                    rules=g.rules,
                    source_id=f"demo-{seed}-{i}",
                )
                for i, g in enumerate(generate_records(n=count, seed=seed, country=side.country))
            )

            def advance(k: int, t: TaskID = task) -> None:
                progress.advance(t, k)

            with transaction(node.sessions) as session:
                import_items(
                    session,
                    node=node,
                    principal=principal,
                    items=items,
                    source="demo",
                    progress=advance,
                )
    if side is ECUADOR:
        with transaction(node.sessions) as session:
            principal = auth.principal_of(auth.get_user(session, "pablo.andrade"))
            for data, rules in ((SUBJECT, SUBJECT_RULES), (COURIER, COURIER_RULES)):
                records.create_record(
                    session,
                    node=node,
                    principal=principal,
                    kind="person",
                    data=data,
                    rules=Rules.model_validate(rules),
                )


def _open_or_create(
    base: Path, side: DemoNode, *, port: int, n: int, console: Console
) -> tuple[Node, bool]:
    settings = Settings(data_dir=base / side.key, port=port, database_url="")
    if settings.key_path.exists():
        return open_node(settings), False
    console.print(f"Creando el nodo {side.agency} ({side.country}) en {settings.data_dir} ...")
    node = init_node(settings, country=side.country, agency=side.agency)
    _populate(node, side, n=n, console=console)
    return node, True


def _serve(node: Node, port: int) -> subprocess.Popen[bytes]:
    log = node.settings.data_dir / "servidor.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "alianza.cli",
                "serve",
                "--dir",
                str(node.settings.data_dir),
                "--port",
                str(port),
            ],
            stdout=out,
            stderr=out,
            env={**_env(), "ALIANZA_DATA_DIR": str(node.settings.data_dir)},
        )
    url = f"http://127.0.0.1:{port}/api/v1/node"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise Unavailable(f"El servidor de {node.agency} terminó; vea {log}.")
        try:
            if httpx2.get(url, timeout=1).status_code == 200:
                return proc
        except httpx2.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise Unavailable(
        f"El servidor de {node.agency} no respondió en el puerto {port}: "
        "¿otro programa lo usa? Pruebe 'alianza demo --port OTRO'."
    )


def _alianza() -> str:
    """The ``alianza`` command next to this interpreter (``.venv/bin/alianza``)."""
    beside = Path(sys.executable).with_name("alianza")
    return str(beside) if beside.exists() else "alianza"


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("ALIANZA_")}


def _link(a: Node, b: Node, url: str) -> None:
    with transaction(a.sessions) as session:
        if session.scalar(select(Peer).where(Peer.node_id == b.node_id)) is None:
            exchange_service.add_peer(
                session,
                node=a,
                actor=a.system,
                node_id=b.node_id,
                country=b.country,
                agency=b.agency,
                url=url,
                public_key=b.key.public_hex,
            )


def _story(cl: Node, ec: Node, ec_url: str, console: Console) -> None:
    """Sync both ways, a hit/no-hit, a release decided by a person in Ecuador."""
    for here, there in ((cl, ec), (ec, cl)):
        for report in exchange.sync_all(here):
            state = report.error or (
                f"{report.received:,} versiones recibidas, testigo "
                f"{'cruzado' if report.witnessed else 'pendiente'}"
            )
            console.print(f"  {here.agency} ({here.country}) ← {there.agency}: {state}")
    with cl.sessions() as session:
        ana = auth.principal_of(auth.get_user(session, "ana.rojas"))
    name = f"{SUBJECT['given_names']} {SUBJECT['surname_1']} {SUBJECT['surname_2']}"
    with transaction(cl.sessions) as session:
        found = records.search(
            session, node=cl, principal=ana, q=str(SUBJECT["surname_1"]), kind="person", limit=500
        )
    held = [v for v in found if v.as_dict()["data"].get("birth_date") == SUBJECT["birth_date"]]
    console.print(
        f"\n[bold]PDI busca[/] a {name} ({SUBJECT['birth_date']}) en su propio nodo: "
        f"{len(held)} registros. Ecuador lo guarda solo para su institución: la sincronización "
        "no lo trae."
    )
    values = {k: str(SUBJECT[k]) for k in ("given_names", "surname_1", "surname_2", "birth_date")}
    console.print("[bold]PDI consulta[/] a Ecuador (paso 1, hit/no-hit):")
    results = exchange.query_peers(
        cl, principal=ana, kind="person", values=values, purpose="investigation", only=ec.node_id
    )
    result = results[0]
    console.print(
        f"  Respuesta: [bold yellow]{result['result']}[/] — referencia opaca, "
        "sin ningún dato de la persona."
    )
    if result["result"] != "HIT":
        return
    ref = result["hits"][0]["ref"]
    request = exchange.request_release(
        cl,
        principal=ana,
        peer_node=ec.node_id,
        ref=ref,
        kind="person",
        purpose="Investigación conjunta de tráfico de cocaína",
        legal_basis="Ley 20.000 (Chile); acuerdo Chile-Ecuador 2025",
    )
    console.print(f"  PDI pide la entrega (paso 2): solicitud {request.request_id}, plazo 48 h.")
    with transaction(ec.sessions) as session:
        token, _ = auth.issue_token(
            session, node=ec, principal=ec.system, username="maria.supervisora", ttl_days=1
        )
    answer = httpx2.post(
        f"{ec_url}/api/v1/releases/{request.request_id}/approve",
        json={"remove_fields": ["notes"]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    answer.raise_for_status()
    console.print(
        "  [bold]Policía Nacional[/]: la supervisora aprueba por la API, quitando el campo 'notes'."
    )
    exchange.sync_all(cl)
    with transaction(cl.sessions) as session:
        rows = release.list_releases(session, node=cl, principal=ana)
        row = next(r for r in rows if r.request_id == request.request_id)
        payload = release.answer_payload(row) or {}
    data = payload.get("data", {})
    console.print(
        f"  PDI (solo su institución) recibe una entrega firmada ({payload.get('status')}), "
        f"código de manejo {payload.get('handling_code')}, finalidad del dueño "
        f"«{payload.get('purpose')}», revisión {payload.get('review_date')}:"
    )
    console.print_json(json.dumps(data, ensure_ascii=False))
    console.print(
        f"  Campos entregados: {', '.join(sorted(data))}. "
        f"Quitados por Ecuador: {', '.join(payload.get('removed_fields', [])) or 'ninguno'}."
    )


def _border(cl: Node, console: Console) -> None:
    """A PDI border officer at Chacalluta screens a traveller written another way."""
    with cl.sessions() as session:
        bruno = auth.principal_of(auth.get_user(session, "bruno.chacalluta"))
    # As a foreign registry or the passport writes him: no accents, s for z, one surname.
    traveller = {
        "given_names": "MARCO",
        "surname_1": "QUINONES",
        "birth_date": "1979-03-02",
        "nationality": "EC",
    }
    console.print(
        "\n[bold]Control fronterizo[/] en Chacalluta: llega MARCO QUINONES, nacido el "
        "1979-03-02, ecuatoriano."
    )
    result = screen(Screener(cl), principal=bruno, values=dict(traveller))
    if not result.candidates:
        console.print("  Sin candidatos en la lista de vigilancia.")
        return
    top = result.candidates[0]
    where = (
        f"registro de Ecuador → consulta hit/no-hit: {top.partner.get('result')}"
        if top.partner
        else f"registro {top.record_id[:8]}…"
    )
    console.print(f"  Candidato 1: probabilidad {top.probability:.3f}, {where}")
    console.print(f"  Por qué: {explain_text(top.evidence, english=False)}")


def _print_access(node: Node, side: DemoNode, port: int, console: Console) -> None:
    users = Table(
        "usuario",
        "rol",
        "institución",
        title=f"{side.agency} ({side.country}) · consola http://127.0.0.1:{port}/consola",
    )
    lines = []
    with transaction(node.sessions) as session:
        for username, _, agency, role in side.users:
            token, _ = auth.issue_token(
                session, node=node, principal=node.system, username=username, ttl_days=30
            )
            users.add_row(username, role, agency)
            lines.append(f"  {username:<20} {token}")
    console.print(users)
    console.print(f"Tokens de API de {side.agency} (30 días):")
    for line in lines:
        console.print(line, soft_wrap=True, highlight=False)


def run_demo(*, data_dir: Path, port: int, n: int, serve: bool, console: Console) -> None:
    """Create (or reopen) both demo nodes, run them, tell what happened, wait for Ctrl-C."""
    data_dir.mkdir(parents=True, exist_ok=True)
    cl, _ = _open_or_create(data_dir, CHILE, port=port, n=n, console=console)
    ec, _ = _open_or_create(data_dir, ECUADOR, port=port + 1, n=n, console=console)
    cl_url, ec_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}"
    _link(cl, ec, ec_url)
    _link(ec, cl, cl_url)
    servers = [_serve(cl, port), _serve(ec, port + 1)]
    try:
        console.print(
            Panel.fit(
                f"Nodos en marcha: PDI (Chile) {cl_url} · Policía Nacional (Ecuador) {ec_url}"
            )
        )
        _story(cl, ec, ec_url, console)
        _border(cl, console)
        port_scene(cl, ec, console)
        routes_scene(data_dir, console)
        corridor_scene(data_dir, console)
        tracking_scene(
            cl, ec, data_dir=data_dir, port=port + 2, cl_url=cl_url, console=console,
            serve=_serve, link=_link,
        )  # fmt: skip
        status_scene(cl, ec, data_dir=data_dir, console=console)
        table = Table("tipo de registro", "Chile (PDI)", "Ecuador (Policía Nacional)")
        with cl.sessions() as a, ec.sessions() as b:
            ca, cb = records.count_records(a), records.count_records(b)
        for kind in sorted(set(ca) | set(cb)):
            table.add_row(kind, f"{ca.get(kind, 0):,}", f"{cb.get(kind, 0):,}")
        console.print(table)
        _print_access(cl, CHILE, port, console)
        _print_access(ec, ECUADOR, port + 1, console)
        console.print(f"Contraseña de los usuarios de demostración: [bold]{DEMO_PASSWORD}[/]")
        console.print(
            # The command as it can be pasted: the alianza this demo runs, by its full path.
            f"Verificar la auditoría: {shlex.quote(_alianza())} audit verify "
            f"--dir {shlex.quote(str(Path(data_dir).resolve() / 'cl'))} --witnesses",
            soft_wrap=True,
            highlight=False,
        )
        # The console is where people start: its two addresses last, where a person looks.
        console.print(
            Panel.fit(
                f"Consola de Chile (PDI): {cl_url}/consola\n"
                f"Consola de Ecuador (Policía Nacional): {ec_url}/consola\n"
                f"Usuarios: los de las tablas de arriba · contraseña {DEMO_PASSWORD}",
                title="Abra la consola en el navegador",
            )
        )
        if not serve:
            return
        console.print("Ambas API siguen en marcha · Ctrl-C para detener.")
        while all(p.poll() is None for p in servers):
            time.sleep(0.5)
        console.print("[red]Un servidor terminó; se detiene la demostración.[/]")
    finally:
        for proc in servers:
            proc.terminate()
        for proc in servers:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
