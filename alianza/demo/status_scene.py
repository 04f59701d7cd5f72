"""The demo's regularisation scene (issue 15): three applications on Chile's node taken
from the rules' evaluation to a decision letter (PDF, in the demo directory). Each is
checked at Chile's node and at Ecuador's (hit/no-hit, purpose ``migration_status``);
Ecuador holds one applicant's criminal record: a HIT, the application paused and a
release request opened there; no decision until a supervisor reviews the hit, and the
refusal is then marked for removal (a confirmed criminal record, no protection block).
Another has a pending asylum claim: the rules leave it to a person.

Every step is the code the commands run (``applications``, ``flows``, ``checks``,
``decisions``, ``letter``, ``stats``), between the demo's real node processes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.panel import Panel
from sqlalchemy import select

from alianza.auth import service as auth
from alianza.auth.permissions import Principal
from alianza.db import transaction
from alianza.errors import Conflict
from alianza.exchange.hits import PersonMatcher
from alianza.node.context import Node
from alianza.records import service as records
from alianza.records.keys import compact_id
from alianza.records.models import Record, RecordKey
from alianza.records.rules import Rules
from alianza.status import applications, checks, decisions, flows, intake, letter, stats
from alianza.status.models import Application

PROGRAMME = "cl-regularizacion-extraordinaria"
# Held by Ecuador, for its own agency, discoverable by every member (synthetic).
RECORD = {
    "category": "wanted",
    "given_names": "Wilmer Alexander",
    "surname_1": "Castillo",
    "surname_2": "Rondón",
    "birth_date": "1988-09-23",
    "nationality": "VE",
    "documents": [{"type": "CI_VE", "number": "V-18.765.432"}],
    "notes": "Condena por robo agravado, Guayaquil 2020 (sintético)",
}
RULES = {
    "handling_code": "H2",
    "source_grade": "B",
    "info_grade": "2",
    "purpose": "Registro de condenas por delitos contra la propiedad",
    "legal_basis": "COIP art. 189; LOPDP art. 7",
    "scope": "agency",
    "discoverable": "members",
}


def _row(
    ref: str, given: str, s1: str, s2: str, birth: str, doc: str, **cells: str
) -> dict[str, str]:
    return intake.row_from_json({
        "application_id": ref, "country": "CL", "programme": PROGRAMME,
        "given_names": given, "surname_1": s1, "surname_2": s2, "birth_date": birth,
        "nationality": "VE", "document_type": "CI_VE", "document_number": doc,
        "document_expiry": "2026-01-01", "entry_date": "2019-05-01",
        "application_date": "2021-06-01", "entry_regular": "true",
        "documents": "pasaporte;antecedentes_origen", "criminal_record_declared": "false",
        "pending_criminal_case": "false", "family_ties": "", "work_contract": "false",
        "flags": "", "household_id": ref, **cells,
    })  # fmt: skip


APPLICANTS = [
    _row("DEMO-REG-1", "Yelitza Coromoto", "Pérez", "Salas", "1991-03-14", "V-21.444.555"),
    _row("DEMO-REG-2", "Wilmer Alexander", "Castillo", "Rondón", "1988-09-23", "V-18.765.432"),
    _row("DEMO-REG-3", "Dayana Carolina", "Mujica", "León", "1995-11-02", "V-24.111.000",
         flags="asylum_pending"),
]  # fmt: skip


def _principal(node: Node, username: str) -> Principal:
    with node.sessions() as session:
        return auth.principal_of(auth.get_user(session, username))


def _hold_record(ec: Node) -> None:
    """Ecuador's record of the second applicant (written once; the demo reuses nodes)."""
    key = "id:" + compact_id(RECORD["documents"][0]["number"])  # type: ignore[index]
    pablo = _principal(ec, "pablo.andrade")
    with transaction(ec.sessions) as session:
        held = session.scalar(
            select(Record.id)
            .join(RecordKey, RecordKey.record_id == Record.id)
            .where(RecordKey.key == key, Record.origin == ec.node_id)
        )
        if held is None:
            records.create_record(
                session, node=ec, principal=pablo, kind="person",
                data=RECORD, rules=Rules.model_validate(RULES),
            )  # fmt: skip


def _by_node(made: list[dict[str, Any]]) -> str:
    """One phrase per node asked: its answers to both questions."""
    nodes: dict[str, set[str]] = {}
    for c in made:
        nodes.setdefault(f"{c['agency']} ({c['country']})", set()).add(c["result"])
    words = {"HIT": "[bold yellow]HIT[/]", "NO_HIT": "sin coincidencia",
             "ERROR": "no responde (se reintenta luego)", "NOT_ASKED": "no consultado"}  # fmt: skip
    return "; ".join(
        f"{name}: {', '.join(words[r] for r in sorted(results))}" for name, results in nodes.items()
    )


def _letter(cl: Node, who: Principal, app_id: str, path: Path) -> None:
    with transaction(cl.sessions) as session:
        path.write_bytes(letter.letter(session, cl, who, app_id))


def _walk(cl: Node, console: Console, data_dir: Path, matcher: PersonMatcher | None) -> None:
    elena, diego = _principal(cl, "elena.retorno"), _principal(cl, "diego.soto")
    ids: dict[str, str] = {}
    with transaction(cl.sessions) as session:
        for row in APPLICANTS:
            found = applications.register(session, cl, elena, row)
            ids[row["application_id"]] = found.id
            outcome = decisions.latest_evaluation(session, found).outcome
            console.print(
                f"{row['application_id']}: {row['given_names']} {row['surname_1']} → las "
                f"reglas recomiendan [bold]{applications.OUTCOME_LABELS[outcome]}[/]",
                highlight=False,
            )
    for ref, app_id in ids.items():
        report = flows.run_checks(cl, elena, app_id, matcher=matcher)
        console.print(f"  Consultas de {ref} (hit/no-hit): {_by_node(report.checks)}",
                      highlight=False)  # fmt: skip
        if report.hits:
            opened = [c for c in report.checks if c["release_request_id"]]
            console.print(
                f"  [bold yellow]Coincidencia[/]: {ref} queda en revisión por coincidencia "
                f"({report.status}); {len(opened)} solicitud(es) de entrega abierta(s) en "
                "Ecuador (48 h). Ningún dato de la persona llegó con la respuesta.",
                highlight=False,
            )
    hit_id = ids["DEMO-REG-2"]
    with transaction(cl.sessions) as session:
        try:
            decisions.decide(session, cl, elena, hit_id, confirm=True, reason="en regla")
        except Conflict as exc:
            console.print(f"  Decidir ahora se rechaza: {exc.message}", highlight=False)
    with transaction(cl.sessions) as session:
        for c in checks.checks(session, hit_id):
            if c.result == "HIT" and c.review is None:
                checks.review(
                    session, cl, diego, c.id, verdict="confirmed",
                    reason="misma persona: documento y fecha de nacimiento coinciden",
                )  # fmt: skip
        console.print(
            f"  {diego.label} (supervisor) revisa y confirma las coincidencias: la solicitud "
            "vuelve a la decisión de una persona.",
            highlight=False,
        )
    with transaction(cl.sessions) as session:
        decisions.decide(session, cl, elena, ids["DEMO-REG-1"], confirm=True,
                         reason="documentos revisados; sin coincidencias")  # fmt: skip
        decisions.decide(
            session, cl, elena, hit_id, confirm=False, outcome="not_eligible",
            reason="antecedente penal confirmado por el supervisor tras la consulta a Ecuador",
            removal=True,
        )  # fmt: skip
        decisions.decide(
            session, cl, elena, ids["DEMO-REG-3"], confirm=False, outcome="eligible",
            reason="solicitud de refugio en trámite: se regulariza mientras se resuelve",
        )  # fmt: skip
    with transaction(cl.sessions) as session:
        decisions.sign_off(session, cl, diego, hit_id, note="revisado")
    console.print(
        f"  {elena.label} deniega DEMO-REG-2 y la marca para expulsión (antecedente penal "
        "confirmado, sin bloqueo de protección); firma el supervisor.",
        highlight=False,
    )
    for ref, app_id in ids.items():
        path = data_dir / f"regularizacion-{ref}.pdf"
        _letter(cl, elena, app_id, path)
        with cl.sessions() as session:
            found = applications.visible_application(session, elena, app_id)
            console.print(
                f"  {ref}: {applications.OUTCOME_LABELS[found.outcome or '']}, carta en "
                f"{path.name} ({path.stat().st_size:,} bytes)",
                highlight=False,
            )


def status_scene(
    cl: Node, ec: Node, *, data_dir: Path, console: Console, matcher: Any = None
) -> None:
    """Three applications checked at both nodes, one paused by Ecuador's hit, decided by
    persons, each with its letter; then the leaders' aggregates."""
    console.print(Panel.fit("Regularización selectiva: reglas, consultas y decide una persona"))
    _hold_record(ec)
    refs = [row["application_id"] for row in APPLICANTS]
    with cl.sessions() as session:
        done = session.scalar(select(Application.id).where(Application.reference.in_(refs)))
    if done is not None:
        console.print("Las solicitudes de la demostración ya se decidieron en una ejecución "
                      "anterior: sus cartas siguen en el directorio.")  # fmt: skip
    else:
        if matcher is None:
            from alianza.screening.service import IdentityMatcher, Screener

            matcher = IdentityMatcher(Screener(cl))  # one watch list for every check
        _walk(cl, console, data_dir, matcher)
    diego = _principal(cl, "diego.soto")
    with transaction(cl.sessions) as session:
        body = stats.statistics(session, cl, diego)
    for row in body["rows"]:
        shown = "suprimida (<5)" if row["applications"] is None else f"{row['applications']}"
        console.print(
            f"Estadística para la conducción: {row['programme']} {row['month']}: solicitudes "
            f"{shown}; solo agregados, celdas pequeñas suprimidas.",
            highlight=False,
        )
