"""Regularisation applications on the node (``alianza.status.applications``,
``decisions``, ``evidence``): the workflow, a person's confirmation and override, the
supervisor's sign-off of refusals, the appeal, duplicates, the protection blocks, who
may see and do what, and bad input. Runs on both backends (``conftest.py``)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from alianza.audit.models import AuditEntry
from alianza.auth.permissions import Principal
from alianza.corridor import casework
from alianza.errors import Conflict, InputError, NotFound, PermissionDenied
from alianza.node.context import Node
from alianza.status import applications, decisions, evidence, intake
from alianza.status.models import Application
from tests.conftest import Factory
from tests.corridor.conftest import adult
from tests.status.conftest import application

AGENCY = "SERMIG"
PROGRAMME = "cl-regularizacion-extraordinaria"


def row(**cells: Any) -> dict[str, str]:
    """An application for the Chilean 2021 round (eligible unless told otherwise)."""
    return intake.row_from_json({**application(programme=PROGRAMME), **cells})


@pytest.fixture
def staff(factory: Factory) -> dict[str, Principal]:
    made = {}
    for name, role, agency in (
        ("cata", "caseworker", AGENCY),
        ("sofi", "supervisor", AGENCY),
        ("sara", "supervisor", AGENCY),
        ("ana", "analyst", AGENCY),
        ("bea", "border_officer", AGENCY),
        ("otro", "caseworker", "INCAMI"),
    ):
        made[name] = factory.user(name, role, agency=agency)[0]
    return made


def statuses(session: Any, found: Application) -> list[str]:
    return [e.to_status for e in applications.events(session, found.id)]


def test_an_eligible_application_confirmed_is_final(
    node: Node, staff: dict[str, Principal]
) -> None:
    cata = staff["cata"]
    with node.sessions() as session:
        found = applications.register(session, node, cata, row())
        assert (found.status, found.programme_version) == ("evaluated", "2021")
        evaluation = decisions.latest_evaluation(session, found)
        assert evaluation.outcome == "eligible" and evaluation.failed_conditions == ""
        assert "Ley 21.325" in evaluation.explanation
        with pytest.raises(InputError, match="motivo"):
            decisions.decide(session, node, cata, found.id, confirm=True, reason="  ")
        made = decisions.decide(
            session, node, cata, found.id, confirm=True, reason="documentos revisados"
        )
        assert (made.decision, made.outcome, made.needs_sign_off) == ("confirm", "eligible", False)
        assert (found.status, found.outcome) == ("final", "eligible")
        assert statuses(session, found) == ["registered", "evaluated", "final"]
        with pytest.raises(Conflict, match="solo se decide una solicitud evaluada"):
            decisions.decide(session, node, cata, found.id, confirm=True, reason="otra vez")
        audited = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action.like("status.application.%"), AuditEntry.target == found.id)
        )
        assert audited == 4  # register, evaluated, decide, final


def test_a_refusal_waits_for_another_supervisor(node: Node, staff: dict[str, Principal]) -> None:
    cata, sofi, sara = staff["cata"], staff["sofi"], staff["sara"]
    with node.sessions() as session:
        found = applications.register(session, node, cata, row(criminal_record_declared="true"))
        assert decisions.latest_evaluation(session, found).outcome == "not_eligible"
        decisions.decide(session, node, sofi, found.id, confirm=True, reason="condena declarada")
        assert (found.status, found.outcome) == ("decided", None)
        with pytest.raises(PermissionDenied):
            decisions.sign_off(session, node, cata, found.id)
        with pytest.raises(Conflict, match="la firma otro supervisor"):
            decisions.sign_off(session, node, sofi, found.id)
        signed = decisions.sign_off(session, node, sara, found.id, note="revisado")
        assert signed.signed_off_by == sara.label and signed.signed_off_at is not None
        assert (found.status, found.outcome) == ("final", "not_eligible")
        with pytest.raises(Conflict, match="no hay una decisión que espere firma"):
            decisions.sign_off(session, node, sara, found.id)


def test_an_override_names_its_reason_and_a_refusal_overridden_is_signed(
    node: Node, staff: dict[str, Principal]
) -> None:
    cata, sofi = staff["cata"], staff["sofi"]
    with node.sessions() as session:
        found = applications.register(session, node, cata, row(entry_date="2021-05-01"))
        assert decisions.latest_evaluation(session, found).outcome == "not_eligible"
        with pytest.raises(InputError, match="motivo"):
            decisions.decide(session, node, cata, found.id, confirm=False,
                             outcome="eligible", reason="")  # fmt: skip
        with pytest.raises(InputError, match="confírmelo"):
            decisions.decide(session, node, cata, found.id, confirm=False,
                             outcome="not_eligible", reason="igual")  # fmt: skip
        with pytest.raises(InputError, match="resultado"):
            decisions.decide(session, node, cata, found.id, confirm=False,
                             outcome="needs_review", reason="x")  # fmt: skip
        made = decisions.decide(
            session, node, cata, found.id, confirm=False, outcome="eligible",
            reason="el sello de ingreso prueba que entró el 1 de marzo de 2020",
        )  # fmt: skip
        assert (made.decision, made.needs_sign_off, found.status) == ("override", True, "decided")
        decisions.sign_off(session, node, sofi, found.id)
        assert found.outcome == "eligible"
        events = applications.events(session, found.id)
        assert "el sello de ingreso" in events[-2].reason
        assert (events[-1].by, events[-1].role) == (sofi.label, "supervisor")


def test_needs_review_cannot_be_confirmed(node: Node, staff: dict[str, Principal]) -> None:
    cata = staff["cata"]
    with node.sessions() as session:
        found = applications.register(session, node, cata, row(documents="pasaporte"))
        assert decisions.latest_evaluation(session, found).outcome == "needs_review"
        with pytest.raises(Conflict, match="decida el resultado"):
            decisions.decide(session, node, cata, found.id, confirm=True, reason="ok")
        decisions.decide(session, node, cata, found.id, confirm=False, outcome="eligible",
                         reason="presentó el certificado en la entrevista")  # fmt: skip
        assert (found.status, found.outcome) == ("final", "eligible")  # no refusal: no sign-off


def test_an_appeal_reopens_the_case_with_its_history(
    node: Node, staff: dict[str, Principal]
) -> None:
    cata, sofi, sara = staff["cata"], staff["sofi"], staff["sara"]
    with node.sessions() as session:
        found = applications.register(session, node, cata, row(criminal_record_declared="true"))
        with pytest.raises(Conflict, match="solo se recurre una decisión firme"):
            decisions.appeal(session, node, cata, found.id, reason="pronto")
        decisions.decide(session, node, cata, found.id, confirm=True, reason="condena")
        decisions.sign_off(session, node, sofi, found.id)
        with pytest.raises(InputError, match="motivo"):
            decisions.appeal(session, node, cata, found.id, reason=" ")
        again = decisions.appeal(session, node, cata, found.id, reason="la condena fue anulada")
        assert (found.status, found.outcome) == ("evaluated", None)
        assert again.outcome == "not_eligible"  # the same rules, the same version
        assert len(applications.evaluations(session, found.id)) == 2
        decisions.decide(session, node, cata, found.id, confirm=False, outcome="eligible",
                         reason="sentencia de nulidad presentada")  # fmt: skip
        decisions.sign_off(session, node, sara, found.id)
        assert found.outcome == "eligible"
        assert statuses(session, found) == [
            "registered", "evaluated", "decided", "final",
            "appealed", "evaluated", "decided", "final",
        ]  # fmt: skip
        kept = applications.decisions(session, found.id)
        assert [d.outcome for d in kept] == ["not_eligible", "eligible"]
        assert all(d.signed_off_by for d in kept)


def test_protection_flags_go_to_a_person_and_never_allow_removal(
    node: Node, staff: dict[str, Principal]
) -> None:
    cata = staff["cata"]
    with node.sessions() as session:
        found = applications.register(
            session, node, cata,
            row(flags="trafficking_victim", criminal_record_declared="true",
                document_number="P-1"),
        )  # fmt: skip
        evaluation = decisions.latest_evaluation(session, found)
        assert evaluation.outcome == "needs_review"
        assert evaluation.failed_conditions.startswith("sin_bloqueo_de_proteccion")
        with pytest.raises(Conflict, match="decida el resultado"):
            decisions.decide(session, node, cata, found.id, confirm=True, reason="x")
        with pytest.raises(Conflict, match="nunca se marca para expulsión"):
            decisions.decide(session, node, cata, found.id, confirm=False,
                             outcome="not_eligible", reason="condena", removal=True)  # fmt: skip
        assert found.status == "evaluated"
        plain = applications.register(
            session, node, cata, row(application_id="a2", criminal_record_declared="true",
                                     given_names="Otra", document_number="P-2"),
        )  # fmt: skip
        with pytest.raises(Conflict, match="antecedente penal confirmado"):
            decisions.decide(session, node, cata, plain.id, confirm=True, reason="c",
                             removal=True)  # fmt: skip


def test_duplicates_against_applications_and_corridor_cases(
    node: Node, staff: dict[str, Principal]
) -> None:
    cata, otro = staff["cata"], staff["otro"]
    with node.sessions() as session:
        first = applications.register(session, node, cata, row(document_number="V-12.345.678"))
        with pytest.raises(Conflict, match=first.id):
            applications.register(session, node, cata, row(
                application_id="a2", given_names="Otra", document_number="v12345678"))  # fmt: skip
        with pytest.raises(Conflict, match=f"mismo nombre.*{first.id}"):
            applications.register(session, node, cata, row(
                application_id="a3", given_names="MARIA JOSE", surname_1="Gonzalez",
                document_number=""))  # fmt: skip
        # Another agency cannot see the first application: it is not compared there.
        applications.register(session, node, otro, row(application_id="a4"))
        case = casework.register(session, node, cata, {
            "id": "H-9", "origin": "santiago", "ready_date": "2026-12-20",
            "members": [adult("m1", "Pedro", "Soto", birth_date="1970-01-01",
                              document_number="X 99")],
        })  # fmt: skip
        with pytest.raises(Conflict, match=f"caso de retorno abierto {case.id}"):
            applications.register(session, node, cata, row(
                application_id="a5", given_names="Zoe", document_number="x-99"))  # fmt: skip
        with pytest.raises(Conflict, match=f"caso de retorno abierto {case.id}"):
            applications.register(session, node, cata, row(
                application_id="a6", given_names="pedro", surname_1="SOTO",
                birth_date="1970-01-01", document_number=""))  # fmt: skip
        casework.move(session, node, cata, case.id, "withdrawn", "desiste")
        applications.register(session, node, cata, row(
            application_id="a7", given_names="Zoe", document_number="x-99"))  # fmt: skip


def test_another_agency_and_police_roles(node: Node, staff: dict[str, Principal]) -> None:
    with node.sessions() as session:
        found = applications.register(session, node, staff["cata"], row())
        with pytest.raises(NotFound):
            applications.detail(session, node, staff["otro"], found.id)
        with pytest.raises(NotFound):
            decisions.decide(session, node, staff["otro"], found.id, confirm=True, reason="r")
        assert applications.applications(session, staff["otro"]) == []
        assert [a.id for a in applications.applications(session, staff["sofi"])] == [found.id]
        for police in (staff["ana"], staff["bea"]):
            with pytest.raises(PermissionDenied):
                applications.register(session, node, police, row(application_id="p"))
            with pytest.raises(PermissionDenied):
                applications.applications(session, police)
            with pytest.raises(PermissionDenied):
                applications.detail(session, node, police, found.id)
            with pytest.raises(PermissionDenied):
                decisions.sign_off(session, node, police, found.id)


@pytest.mark.parametrize(
    ("cells", "where"),
    [
        ({"entry_date": "2021-07-01"}, "solicitud.entry_date"),
        ({"birth_date": "1990-02-30"}, "solicitud.birth_date"),
        ({"flags": "refugie"}, "solicitud.flags"),
        ({"programme": "no-existe"}, "solicitud.programme"),
        ({"programme": "ec-virte"}, "solicitud.programme"),  # another country's programme
        ({"application_date": "2010-01-01", "entry_date": "2009-01-01"},
         "solicitud.application_date"),  # before the programme existed
        ({"given_names": "Ana\u202e"}, "solicitud.given_names"),
        ({"surname_1": ""}, "solicitud.surname_1"),
    ],
)  # fmt: skip
def test_bad_input_names_the_item_and_saves_nothing(
    node: Node, staff: dict[str, Principal], cells: dict[str, str], where: str
) -> None:
    with node.sessions() as session:
        with pytest.raises(InputError) as caught:
            applications.register(session, node, staff["cata"], row(**cells))
        assert caught.value.problems[0].field == where, caught.value.message
        assert session.scalar(select(func.count()).select_from(Application)) == 0


def test_json_shape_is_checked() -> None:
    with pytest.raises(InputError, match=r"solicitud\.apellido"):
        intake.row_from_json({"apellido": "x"})
    with pytest.raises(InputError, match=r"solicitud\.birth_date: se espera texto"):
        intake.row_from_json({"birth_date": 1990})
    with pytest.raises(InputError, match="objeto JSON"):
        intake.row_from_json([1])
    assert intake.row_from_json({"flags": ["refugee", "asylum_pending"]})["flags"] == (
        "refugee;asylum_pending"
    )


def test_evidence_files_are_checked(node: Node, staff: dict[str, Principal]) -> None:
    cata = staff["cata"]
    with node.sessions() as session:
        found = applications.register(session, node, cata, row())
        made = evidence.add(session, node, cata, found.id, kind="pasaporte",
                            filename="pasaporte.pdf", content=b"%PDF-1.4 ...")  # fmt: skip
        assert (made.media_type, made.size, len(made.sha256)) == ("application/pdf", 12, 64)
        for name, content, message in (
            ("foto.png", b"%PDF-1.4", "no coincide con su extensión"),
            ("virus.exe", b"MZ", "tipo no admitido"),
            ("vacio.jpg", b"", "vacío"),
            ("grande.pdf", b"%PDF-" + b"0" * evidence.MAX_BYTES, "más de 10 MB"),
        ):
            with pytest.raises(InputError, match=message):
                evidence.add(session, node, cata, found.id, kind="pasaporte",
                             filename=name, content=content)  # fmt: skip
        with pytest.raises(InputError, match="tipo de evidencia"):
            evidence.add(session, node, cata, found.id, kind="pasaprote",
                         filename="a.pdf", content=b"%PDF-")  # fmt: skip
        decisions.decide(session, node, cata, found.id, confirm=True, reason="ok")
        with pytest.raises(Conflict, match="no admite"):
            evidence.add(session, node, cata, found.id, kind="cedula",
                         filename="c.png", content=b"\x89PNG\r\n\x1a\n")  # fmt: skip
        assert [x.kind for x in applications.evidence(session, found.id)] == ["pasaporte"]
