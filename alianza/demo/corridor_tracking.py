"""The demo's corridor tracking scene (issue 14): three households walked through casework
on Chile's node (one held by a protection block), the departure's manifest sent to
Ecuador's node and acknowledged by its signed receipt, and a border post at Chacalluta,
a node of its own, that records check-ins with no link and syncs them when it returns;
a report from elsewhere that contradicts one of them becomes a conflict for a person.

Every step is the code the commands run (``casework``, ``manifests``, ``checkins``,
``flows``), between real node processes.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from sqlalchemy import select

from alianza.auth import service as auth
from alianza.auth.permissions import Principal
from alianza.corridor import casework, checkins, consents, flows, manifests
from alianza.corridor.models import ReturnCase
from alianza.db import transaction
from alianza.node.context import Node, open_node
from alianza.node.flows import init_node
from alianza.settings import Settings

DEPARTURE = "bus-santiago-arica-guayaquil-1"
POST_AGENCY = "PDI Control Fronterizo Chacalluta"
POST_USER = "bruno.post"
LEGAL_BASIS = "Acuerdo Chile-Ecuador de corredor humanitario; LOPDP art. 7; Ley 21.719 art. 13"


def _adult(ref: str, given: str, s1: str, s2: str, doc: str, **extra: Any) -> dict[str, Any]:
    return {"id": ref, "birth_date": "1987-05-14", "consent": True, "flags": [],
            "given_names": given, "surname_1": s1, "surname_2": s2, "nationality": "VE",
            "document_number": doc, **extra}  # fmt: skip


HOUSEHOLDS = [
    {"id": "DEMO-RET-1", "origin": "santiago", "ready_date": "2026-12-01", "priority": "high",
     "members": [
         _adult("r1a", "Yurbis Carolina", "Carrasquel", "Mendoza", "V-20.111.222",
                flags=["needs_medical_escort"]),
         _adult("r1b", "Jesús Alberto", "Carrasquel", "Rivas", "V-19.888.777"),
         {**_adult("r1c", "Sofía", "Carrasquel", "Carrasquel", ""), "birth_date": "2019-02-02"},
     ]},
    {"id": "DEMO-RET-2", "origin": "santiago", "ready_date": "2026-12-01", "priority": "normal",
     "members": [_adult("r2a", "Luis Miguel", "Páez", "Ortega", "V-17.333.444")]},
    {"id": "DEMO-RET-3", "origin": "santiago", "ready_date": "2026-12-01", "priority": "normal",
     "members": [_adult("r3a", "Ana Rosa", "Mora", "Guzmán", "V-21.555.666",
                        flags=["asylum_pending"])]},
]  # fmt: skip


def _principal(node: Node, username: str) -> Principal:
    with node.sessions() as session:
        return auth.principal_of(auth.get_user(session, username))


def _walk(cl: Node, console: Console) -> list[ReturnCase]:
    """Register the households once (a rerun finds them) and walk them to scheduling."""
    elena, diego = _principal(cl, "elena.retorno"), _principal(cl, "diego.soto")
    refs = [h["id"] for h in HOUSEHOLDS]
    with transaction(cl.sessions) as session:
        have = {c.reference for c in session.scalars(select(ReturnCase).where(
            ReturnCase.reference.in_(refs)))}  # fmt: skip
        for household in HOUSEHOLDS:
            if household["id"] in have:
                continue
            found = casework.register(session, cl, elena, household)
            casework.move(session, cl, elena, found.id, "counselled", "orientación en Santiago")
            people = casework.members(session, elena, found.id)
            guardian = next(m.person_ref for m in people if not m.is_minor)
            for m in people:
                consents.record_consent(
                    session, cl, elena, found.id, m.person_ref, sheet_version="2026-11",
                    language="es", counsellor="Elena Paredes Díaz",
                    guardian_member_id=guardian if m.is_minor else None,
                )  # fmt: skip
            casework.move(session, cl, elena, found.id, "consented", "consentimientos firmados")
            casework.move(session, cl, elena, found.id, "screened", "evaluación de protección")
            if found.status != "screened":
                continue  # held and referred: never scheduled
            casework.move(session, cl, diego, found.id, "approved", "revisado por supervisión")
            casework.move(
                session, cl, elena, found.id, "scheduled", "plan del corredor", departure=DEPARTURE
            )
        cases = list(session.scalars(select(ReturnCase).where(ReturnCase.reference.in_(refs))))
        for c in cases:
            session.expunge(c)
    table = Table("hogar", "estado", "motivo", title="Casos de retorno (PDI, Chile)")
    for c in sorted(cases, key=lambda c: c.reference):
        table.add_row(c.reference, casework.STATUS_LABELS[c.status], (c.status_reason or "")[:70])
    console.print(table)
    return cases


def _send(cl: Node, who: Principal, peer_node: str, leg: date) -> Any:
    with transaction(cl.sessions) as session:
        row = manifests.prepare(
            session, cl, who, departure=DEPARTURE, peer_node=peer_node, leg_date=leg,
            purpose="Tránsito y recepción del retorno voluntario", legal_basis=LEGAL_BASIS,
        )  # fmt: skip
        manifest_id = row.id
    return flows.deliver_manifest(cl, who, manifest_id=manifest_id)


def _post(data_dir: Path, port: int, cl: Node) -> Node:
    settings = Settings(data_dir=data_dir / "puesto-chacalluta", port=port, database_url="")
    if settings.key_path.exists():
        return open_node(settings)
    post = init_node(settings, country="CL", agency=POST_AGENCY)
    with transaction(post.sessions) as session:
        auth.add_user(
            session, node=post, principal=post.system, username=POST_USER,
            full_name="Bruno Araya Muñoz", country="CL", agency=POST_AGENCY,
            role="border_officer", password="alianza-demo-2026",
        )  # fmt: skip
    return post


def tracking_scene(
    cl: Node,
    ec: Node,
    *,
    data_dir: Path,
    port: int,
    cl_url: str,
    console: Console,
    serve: Callable[[Node, int], subprocess.Popen[bytes]],
    link: Callable[[Node, Node, str], None],
) -> None:
    """Casework, a manifest acknowledged by Ecuador, offline check-ins synced at a post."""
    console.print(Panel.fit("Corredor humanitario: casos, manifiestos y pasos fronterizos"))
    _walk(cl, console)
    elena = _principal(cl, "elena.retorno")
    leg = date.today() + timedelta(days=3)
    sent = _send(cl, elena, ec.node_id, leg)
    shown = manifests.view(sent)
    console.print(
        f"Manifiesto {sent.id[:8]} a {ec.agency} (Ecuador): {shown['persons']} personas, solo "
        f"{', '.join(manifests.MANIFEST_FIELDS[1:])}; [bold]acuse firmado[/] por el nodo de "
        f"Ecuador (sha256 {shown['receipt']['receipt']['sha256'][:16]}…).",
        highlight=False,
    )
    luis = _principal(ec, "luis.huaquillas")
    with ec.sessions() as session:
        got = [r for r in manifests.received_list(session, luis) if r.id == sent.id]
    if got:
        console.print(
            f"  En Huaquillas, {luis.label} ve el manifiesto recibido: {got[0].persons} "
            f"personas, se borra el {got[0].retain_until.isoformat()}.",
            highlight=False,
        )
    post = _post(data_dir, port, cl)
    link(cl, post, f"http://127.0.0.1:{port}")
    link(post, cl, cl_url)
    proc = serve(post, port)
    try:
        _send(cl, elena, post.node_id, leg)  # the post's list of whom to expect
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    bruno = _principal(post, POST_USER)
    start = datetime.now(UTC) - timedelta(hours=2)
    with transaction(post.sessions) as session:
        crossed = []
        for minutes, document in enumerate(("V20111222", "V19888777", "V17333444")):
            ref = checkins.by_document(session, post, bruno, document)
            checkins.record(
                session, post, bruno, person=ref, kind="crossed", stop="chacalluta",
                at=start + timedelta(minutes=5 * minutes),
            )  # fmt: skip
            crossed.append(ref)
        waiting = len(checkins.pending(session, post))
    console.print(
        f"Puesto de Chacalluta, sin enlace: {waiting} cruces registrados en su propio nodo "
        "(SQLite), pendientes de sincronizar.",
        highlight=False,
    )
    # Meanwhile Santiago hears that one of them did not board at Arica.
    with transaction(cl.sessions) as session:
        checkins.record(
            session, cl, elena, person=crossed[1], kind="missing", stop="arica",
            at=start + timedelta(minutes=20), note="el coordinador del bus no lo vio subir",
        )  # fmt: skip
    report = flows.push_checkins(post, bruno, peer_node=cl.node_id)
    console.print(
        f"Vuelve el enlace: {report.accepted} registros sincronizados con el nodo nacional, "
        f"{report.pending} pendientes, {report.conflicts} conflicto(s) detectado(s).",
        highlight=False,
    )
    with cl.sessions() as session:
        for conflict in checkins.conflicts(session, elena):
            console.print(f"  [yellow]Conflicto[/] {conflict.id[:8]}: {conflict.reason}")
    console.print(
        "  Ninguno de los dos registros se sobrescribe: lo decide una persona "
        "('alianza corridor checkin settle ID --decision ...').",
        highlight=False,
    )
