"""Return casework on the node (``alianza.corridor.casework``): the workflow, who may do
what, the protection blocks at screening and scheduling, consents up to boarding, and
duplicates. Runs on both backends (``conftest.py``)."""

from __future__ import annotations

import contextlib
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alianza.audit.models import AuditEntry
from alianza.auth import service as auth
from alianza.auth.permissions import Principal
from alianza.corridor import casework, consents
from alianza.corridor.blocks import BLOCKING_FLAGS, blocks, is_protection_block
from alianza.corridor.models import ReturnCase
from alianza.db import transaction
from alianza.errors import Conflict, InputError, NotFound, PermissionDenied
from alianza.node.context import Node
from tests.conftest import Factory, FreshNode
from tests.corridor.conftest import adult

AGENCY = "OIM"
BEYOND = {"scheduled", "departed", "crossed", "arrived", "followed_up"}


def household(ref: str = "H-1", members: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "id": ref,
        "origin": "santiago",
        "ready_date": "2026-12-20",
        "priority": "high",
        "members": members
        if members is not None
        else [
            adult("m1", "María José", "Pérez", surname_2="Gómez", document_number="V-12.345.678"),
            adult("m2", "Juan", "Rojas", nationality="ve"),
            {"id": "m3", "birth_date": "2018-06-01", "consent": True, "flags": []},
        ],
    }


@pytest.fixture
def staff(factory: Factory) -> dict[str, Principal]:
    made = {}
    for name, role, agency in (
        ("cata", "caseworker", AGENCY),
        ("sofi", "supervisor", AGENCY),
        ("ana", "analyst", AGENCY),
        ("otro", "caseworker", "Cruz Roja"),
    ):
        made[name] = factory.user(name, role, agency=agency)[0]
    return made


def consent_all(session: Session, node: Node, who: Principal, case_id: str) -> None:
    for m in casework.members(session, who, case_id):
        consents.record_consent(
            session,
            node,
            who,
            case_id,
            m.person_ref,
            sheet_version="v1",
            language="es",
            counsellor="Laura Vidal",
            guardian_member_id="m1" if m.is_minor else None,
        )


def to_screening(session: Session, node: Node, who: Principal, case_id: str) -> ReturnCase:
    casework.move(session, node, who, case_id, "counselled", "sesión de orientación")
    consent_all(session, node, who, case_id)
    casework.move(session, node, who, case_id, "consented", "consentimientos firmados")
    return casework.move(session, node, who, case_id, "screened", "evaluación de protección")


def test_a_household_walks_the_whole_workflow(node: Node, staff: dict[str, Principal]) -> None:
    cata, sofi = staff["cata"], staff["sofi"]
    with node.sessions() as session:
        found = casework.register(session, node, cata, household())
        assert found.status == "registered"
        people = {m.person_ref: m for m in casework.members(session, cata, found.id)}
        assert people["m3"].is_minor and not people["m1"].is_minor
        assert people["m1"].document_number == "V12345678"
        assert people["m2"].nationality == "VE"
        assert to_screening(session, node, cata, found.id).status == "screened"
        with pytest.raises(PermissionDenied):
            casework.move(session, node, cata, found.id, "approved", "listo")
        casework.move(session, node, sofi, found.id, "approved", "revisado por supervisión")
        casework.move(
            session, node, cata, found.id, "scheduled", "bus del 20 de diciembre", departure="b-20"
        )
        with pytest.raises(Conflict, match="confirmar el consentimiento al embarcar"):
            casework.move(session, node, cata, found.id, "departed", "salió el bus")
        consents.confirm_boarding(session, node, cata, found.id, "m1")
        consents.confirm_boarding(session, node, cata, found.id, "m2")
        for step in ("departed", "crossed", "arrived", "followed_up"):
            assert casework.move(session, node, cata, found.id, step, f"paso {step}").status == step
        events = casework.history(session, cata, found.id)
        assert [e.to_status for e in events] == [
            "registered",
            "counselled",
            "consented",
            "screened",
            "approved",
            "scheduled",
            "departed",
            "crossed",
            "arrived",
            "followed_up",
        ]
        assert {e.by for e in events if e.to_status == "approved"} == {sofi.label}
        assert {e.role for e in events if e.to_status == "approved"} == {"supervisor"}
        moves = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "corridor.case.move", AuditEntry.target == found.id)
        )
        assert moves == len(events) - 1  # every move but the registration (audited apart)
        with pytest.raises(Conflict, match="ya no cambia de estado"):
            casework.move(session, node, cata, found.id, "withdrawn", "tarde")


def test_a_minor_consents_through_an_adult_of_the_household(
    node: Node, staff: dict[str, Principal]
) -> None:
    cata = staff["cata"]
    with node.sessions() as session:
        found = casework.register(session, node, cata, household())
        casework.move(session, node, cata, found.id, "counselled", "orientación")
        kw: dict[str, Any] = {"sheet_version": "v1", "language": "es", "counsellor": "Laura"}
        with pytest.raises(InputError, match="tutor"):
            consents.record_consent(session, node, cata, found.id, "m3", **kw)
        with pytest.raises(InputError, match="adulto"):
            consents.record_consent(
                session, node, cata, found.id, "m3", guardian_member_id="m3", **kw
            )
        with pytest.raises(InputError, match="sin tutor"):
            consents.record_consent(
                session, node, cata, found.id, "m1", guardian_member_id="m2", **kw
            )
        for ref in ("m1", "m2"):
            consents.record_consent(session, node, cata, found.id, ref, **kw)
        with pytest.raises(Conflict, match="m3"):
            casework.move(session, node, cata, found.id, "consented", "firmado")
        consents.record_consent(session, node, cata, found.id, "m3", guardian_member_id="m2", **kw)
        assert casework.move(session, node, cata, found.id, "consented", "ok").status == "consented"


def test_police_roles_are_refused_every_call(node: Node, staff: dict[str, Principal]) -> None:
    cata, ana = staff["cata"], staff["ana"]
    with node.sessions() as session:
        found = casework.register(session, node, cata, household())
        calls = [
            lambda: casework.register(session, node, ana, household("H-2")),
            lambda: casework.cases(session, ana),
            lambda: casework.case(session, ana, found.id),
            lambda: casework.history(session, ana, found.id),
            lambda: casework.move(session, node, ana, found.id, "counselled", "x"),
            lambda: consents.record_consent(
                session,
                node,
                ana,
                found.id,
                "m1",
                sheet_version="v1",
                language="es",
                counsellor="x",
            ),
            lambda: consents.withdraw_consent(session, node, ana, found.id, "m1", "x"),
            lambda: consents.confirm_boarding(session, node, ana, found.id, "m1"),
        ]
        for call in calls:
            with pytest.raises(PermissionDenied):
                call()


def test_another_agency_does_not_see_the_case(node: Node, staff: dict[str, Principal]) -> None:
    cata, otro = staff["cata"], staff["otro"]
    with node.sessions() as session:
        found = casework.register(session, node, cata, household())
        assert casework.cases(session, otro) == []
        assert [c.id for c in casework.cases(session, cata)] == [found.id]
        for call in (
            lambda: casework.case(session, otro, found.id),
            lambda: casework.history(session, otro, found.id),
            lambda: casework.move(session, node, otro, found.id, "counselled", "x"),
            lambda: consents.withdraw_consent(session, node, otro, found.id, "m1", "x"),
        ):
            with pytest.raises(NotFound, match="No existe el caso"):
                call()
        # Their own registration of the same people is theirs to make.
        casework.register(session, node, otro, household())


@pytest.mark.parametrize("case_id", ["a\x00b", "\udcff" * 3, "x\u202ey", "c" * 37, ""])
def test_an_id_no_case_can_have_is_not_found_on_both_backends(
    node: Node, staff: dict[str, Principal], case_id: str
) -> None:
    # PostgreSQL refuses a NUL in a query, and no driver encodes a lone surrogate: such an
    # id was a database error (a 500 behind the API) before it was a missing case.
    with node.sessions() as session:
        with pytest.raises(NotFound, match="No existe el caso") as refused:
            casework.case(session, staff["cata"], case_id)
        assert "\x00" not in str(refused.value) and "\u202e" not in str(refused.value)


def test_withdrawal_before_boarding_withdraws_the_case(
    node: Node, staff: dict[str, Principal]
) -> None:
    cata, sofi = staff["cata"], staff["sofi"]
    with node.sessions() as session:
        found = casework.register(session, node, cata, household())
        to_screening(session, node, cata, found.id)
        casework.move(session, node, sofi, found.id, "approved", "revisado")
        casework.move(session, node, cata, found.id, "scheduled", "bus", departure="bus-1")
        consents.confirm_boarding(session, node, cata, found.id, "m1")
        done = consents.withdraw_consent(session, node, cata, found.id, "m2", "decidió quedarse")
        assert done.status == "withdrawn"
        assert "decidió quedarse" in (done.status_reason or "")
        assert casework.history(session, cata, found.id)[-1].to_status == "withdrawn"
        with pytest.raises(Conflict):
            casework.move(session, node, cata, found.id, "departed", "salió")


def test_withdrawal_after_departure_is_refused(node: Node, staff: dict[str, Principal]) -> None:
    cata, sofi = staff["cata"], staff["sofi"]
    with node.sessions() as session:
        found = casework.register(session, node, cata, household())
        to_screening(session, node, cata, found.id)
        casework.move(session, node, sofi, found.id, "approved", "revisado")
        casework.move(session, node, cata, found.id, "scheduled", "bus", departure="bus-1")
        for ref in ("m1", "m2"):
            consents.confirm_boarding(session, node, cata, found.id, ref)
        casework.move(session, node, cata, found.id, "departed", "salió")
        with pytest.raises(Conflict, match="hasta el embarque"):
            consents.withdraw_consent(session, node, cata, found.id, "m1", "arrepentido")
        assert casework.case(session, cata, found.id).status == "departed"


@pytest.mark.parametrize("flag", sorted(BLOCKING_FLAGS))
def test_a_protection_flag_holds_the_case_at_screening(
    node: Node, staff: dict[str, Principal], flag: str
) -> None:
    cata, sofi = staff["cata"], staff["sofi"]
    members = [adult("m1", "Rosa", "Díaz", flags=[flag.upper()]), adult("m2", "Luis", "Díaz")]
    with node.sessions() as session:
        found = casework.register(session, node, cata, household(members=members))
        held = to_screening(session, node, cata, found.id)
        assert held.status == "on_hold"
        assert BLOCKING_FLAGS[flag] in (held.status_reason or "")
        last = casework.history(session, cata, found.id)[-1]
        assert last.to_status == "on_hold" and "en espera y derivado" in last.reason
        for status in ("scheduled", "approved"):
            with pytest.raises(Conflict, match="pasos permitidos"):
                casework.move(session, node, sofi, found.id, status, "insistir")
        # Whatever the status says, scheduling runs the blocks again.
        held.status = "approved"
        session.flush()
        with pytest.raises(Conflict, match="bloqueo de protección"):
            casework.move(session, node, sofi, found.id, "scheduled", "forzado")


def test_a_best_interests_determination_lifts_the_child_block(
    node: Node, staff: dict[str, Principal]
) -> None:
    cata = staff["cata"]
    flags = ["unaccompanied_minor", "best_interests_determined"]
    with node.sessions() as session:
        found = casework.register(
            session, node, cata, household(members=[adult("m1", "Ana", "Soto", flags=flags)])
        )
        assert to_screening(session, node, cata, found.id).status == "screened"


FLAGS = [*BLOCKING_FLAGS, "best_interests_determined", "pregnant", "elderly"]
_refs = itertools.count()


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    flags=st.lists(st.lists(st.sampled_from(FLAGS), max_size=3), min_size=1, max_size=3),
    steps=st.lists(st.none() | st.sampled_from(casework.STATUSES), max_size=14),
)
def test_a_blocked_case_is_never_scheduled(
    node: Node,
    staff: dict[str, Principal],
    flags: list[list[str]],
    steps: list[str | None],
) -> None:
    """``None`` is the next step on the main line (so runs get deep); a status is any move."""
    found_blocks = blocks((str(i), f, True) for i, f in enumerate(flags))
    assume(any(is_protection_block(b) for b in found_blocks))
    sofi = staff["sofi"]
    members = [adult(f"m{i}", "", "", flags=f) for i, f in enumerate(flags)]
    line = ["registered", "counselled", "consented", "screened", "approved", "scheduled"]
    with node.sessions() as session:
        found = casework.register(session, node, sofi, household(f"H-{next(_refs)}", members))
        consent_all(session, node, sofi, found.id)
        for step in steps:
            status = found.status
            target = step or (line[line.index(status) + 1] if status in line[:-1] else "departed")
            with contextlib.suppress(Conflict):
                casework.move(session, node, sofi, found.id, target, "paso")
            assert found.status not in BEYOND
        session.rollback()


def test_a_duplicate_registration_names_the_other_case(
    node: Node, staff: dict[str, Principal]
) -> None:
    cata = staff["cata"]
    with node.sessions() as session:
        first = casework.register(session, node, cata, household())
        by_document = [adult("x1", "Otra", "Persona", document_number="v 12345678")]
        with pytest.raises(Conflict, match=first.id):
            casework.register(session, node, cata, household("H-2", by_document))
        by_name = [adult("x1", "MARIA JOSE", "perez")]
        with pytest.raises(Conflict, match=first.id) as refused:
            casework.register(session, node, cata, household("H-3", by_name))
        assert "H-1" in refused.value.message
        different_birth = [adult("x1", "María José", "Pérez", birth_date="1990-01-01")]
        casework.register(session, node, cata, household("H-4", different_birth))
        casework.move(session, node, cata, first.id, "withdrawn", "ya no quiere volver")
        casework.register(session, node, cata, household("H-5", by_name))


def test_an_invalid_move_names_the_allowed_steps(node: Node, staff: dict[str, Principal]) -> None:
    cata = staff["cata"]
    with node.sessions() as session:
        found = casework.register(session, node, cata, household())
        with pytest.raises(Conflict) as refused:
            casework.move(session, node, cata, found.id, "approved", "apurado")
        assert "counselled, withdrawn, referred, on_hold" in refused.value.message
        with pytest.raises(InputError, match="motivo"):
            casework.move(session, node, cata, found.id, "counselled", "  ")
        with pytest.raises(InputError, match="estado desconocido"):
            casework.move(session, node, cata, found.id, "teleported", "x")
        with pytest.raises(InputError, match="birth_date"):
            casework.register(
                session, node, cata, household("H-9", [adult("z", "A", "B", birth_date="x")])
            )
        assert [e.to_status for e in casework.history(session, cata, found.id)] == ["registered"]


def test_every_move_leaves_an_event_and_an_audit_entry(
    node: Node, staff: dict[str, Principal]
) -> None:
    cata = staff["cata"]
    with node.sessions() as session:
        found = casework.register(session, node, cata, household())
        casework.move(session, node, cata, found.id, "counselled", "orientación")
        casework.move(session, node, cata, found.id, "on_hold", "espera documentos")
        casework.move(session, node, cata, found.id, "registered", "documentos recibidos")
        events = casework.history(session, cata, found.id)
        assert [(e.from_status, e.to_status) for e in events] == [
            ("", "registered"),
            ("registered", "counselled"),
            ("counselled", "on_hold"),
            ("on_hold", "registered"),
        ]
        assert all(e.by == cata.label and e.role == "caseworker" for e in events)
        audited = session.execute(
            select(AuditEntry.action, AuditEntry.actor)
            .where(AuditEntry.target == found.id)
            .order_by(AuditEntry.seq)
        ).all()
        assert [a for a, _ in audited] == ["corridor.case.register"] + ["corridor.case.move"] * 3
        assert {actor for _, actor in audited} == {cata.label}


def test_the_case_commands(fresh: FreshNode, tmp_path: Path) -> None:
    """The real ``alianza corridor case ...`` commands, end to end on a node of their own."""
    node = fresh.init(country="CL", agency=AGENCY)
    with transaction(node.sessions) as session:
        for name, role, agency in (
            ("cata", "caseworker", AGENCY),
            ("sofi", "supervisor", AGENCY),
            ("ana", "analyst", AGENCY),
            ("otro", "caseworker", "Cruz Roja"),
        ):
            auth.add_user(
                session, node=node, principal=node.system, username=name, full_name=name,
                country="CL", agency=agency, role=role,
            )  # fmt: skip
    source = tmp_path / "hogar.json"
    source.write_text(json.dumps(household(), ensure_ascii=False), encoding="utf-8")
    added = fresh.cli(
        "corridor", "case", "add", str(source), "--user", "cata", "--json", check=True
    )
    case_id = json.loads(added.stdout)["id"]
    again = fresh.cli("corridor", "case", "add", str(source), "--user", "cata")
    assert again.returncode == 6 and case_id in again.stderr
    listed = fresh.cli("corridor", "case", "list", "--user", "cata", "--json", check=True)
    assert [c["id"] for c in json.loads(listed.stdout)["cases"]] == [case_id]
    prefix = case_id[:8]
    fresh.cli("corridor", "case", "move", prefix, "counselled", "--reason", "orientación",
              "--user", "cata", check=True)  # fmt: skip
    for member, extra in (("m1", []), ("m2", ["--witness", "Pedro"]), ("m3", ["--guardian", "m1"])):
        fresh.cli(
            "corridor", "case", "consent", prefix, member, "--sheet", "v1", "--language", "es",
            "--counsellor", "Laura Vidal", *extra, "--user", "cata", check=True,
        )  # fmt: skip
    wrong = fresh.cli("corridor", "case", "move", prefix, "approved", "--reason", "ya",
                      "--user", "cata")  # fmt: skip
    assert wrong.returncode == 6 and "consented" in wrong.stderr
    moved = fresh.cli("corridor", "case", "move", prefix, "consented", "--reason", "firmado",
                      "--user", "cata", "--json", check=True)  # fmt: skip
    assert json.loads(moved.stdout)["status"] == "consented"
    shown = fresh.cli("corridor", "case", "show", prefix, "--user", "sofi", "--json", check=True)
    body = json.loads(shown.stdout)
    assert [c["guardian"] for c in body["consents"]] == [None, None, "m1"]
    assert [e["to"] for e in body["events"]] == ["registered", "counselled", "consented"]
    withdrawn = fresh.cli("corridor", "case", "withdraw", prefix, "m2", "--reason", "se queda",
                          "--user", "cata", "--json", check=True)  # fmt: skip
    assert json.loads(withdrawn.stdout)["status"] == "withdrawn"
    board = fresh.cli("corridor", "case", "board", prefix, "m1", "--user", "cata")
    assert board.returncode == 6
    hidden = fresh.cli("corridor", "case", "show", case_id, "--user", "otro")
    assert hidden.returncode == 5 and "No existe el caso" in hidden.stderr
    refused = fresh.cli("corridor", "case", "list", "--user", "ana")
    assert refused.returncode == 4
