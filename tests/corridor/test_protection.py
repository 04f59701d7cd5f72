"""Data protection on the corridor (``alianza.corridor.protection``): the subject access
report, erasure and retention, the breach register, and their commands.

Sent manifests and check-ins are written straight to their tables here (as
``manifests.py`` and the check-in sync would write them), so these tests do not depend on
a partner node."""

from __future__ import annotations

import hashlib
import json
import stat
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alianza.audit.models import AuditEntry
from alianza.auth import service as auth
from alianza.auth.permissions import Principal
from alianza.corridor import breaches, casework, consents, flows, protection
from alianza.corridor.models import (
    Breach,
    Checkin,
    ReceivedManifest,
    ReturnCase,
    ReturnMember,
    SentManifest,
)
from alianza.db import transaction
from alianza.errors import Conflict, InputError, NotFound, PermissionDenied
from alianza.node.context import Node
from tests.conftest import Factory, FreshNode
from tests.corridor.conftest import adult

AGENCY = "OIM"
FIELDS = sorted(
    [
        "ref",
        "given_names",
        "surname_1",
        "surname_2",
        "document_number",
        "nationality",
        "birth_date",
    ]
)


def household(ref: str = "H-1", members: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "id": ref,
        "origin": "santiago",
        "ready_date": "2026-12-20",
        "priority": "high",
        "members": members
        if members is not None
        else [
            adult("m1", "María José", "Pérez", surname_2="Gómez", document_number="V-12.345.678",
                  nationality="VE", flags=["pregnant"]),
            adult("m2", "Juan", "Rojas", nationality="ve"),
            {"id": "m3", "birth_date": "2018-06-01", "consent": True, "flags": []},
        ],
    }  # fmt: skip


@pytest.fixture
def staff(factory: Factory) -> dict[str, Principal]:
    made = {}
    for name, role, agency in (
        ("cata", "caseworker", AGENCY),
        ("sofi", "supervisor", AGENCY),
        ("adm", "administrator", AGENCY),
        ("ana", "analyst", AGENCY),
        ("otro", "caseworker", "Cruz Roja"),
        ("otra", "supervisor", "Cruz Roja"),
    ):
        made[name] = factory.user(name, role, agency=agency)[0]
    return made


def people(session: Session, who: Principal, case_id: str) -> dict[str, ReturnMember]:
    return {m.person_ref: m for m in casework.members(session, who, case_id)}


def sent(session: Session, owner: Principal, members: list[ReturnMember]) -> SentManifest:
    """A manifest as ``manifests.prepare`` stores it, acknowledged by the partner."""
    persons = [
        {
            "ref": m.id,
            "given_names": m.given_names,
            "surname_1": m.surname_1,
            "surname_2": m.surname_2,
            "document_number": m.document_number,
            "nationality": m.nationality,
            "birth_date": m.birth_date.isoformat() if m.birth_date else None,
        }
        for m in members
    ]
    payload = json.dumps({"kind": "corridor.manifest", "persons": persons}, sort_keys=True)
    row = SentManifest(
        id=str(uuid.uuid4()),
        owner_country=owner.country,
        owner_agency=owner.agency,
        peer_node="nodo-ec",
        to_country="EC",
        to_agency="Cancillería",
        departure="bus-20",
        leg_date=date(2026, 12, 21),
        purpose="control migratorio del tramo",
        legal_basis="Acuerdo CL-EC 2026, art. 4",
        member_ids=json.dumps([m.id for m in members]),
        payload=payload,
        signature="f" * 128,
        sha256=hashlib.sha256(payload.encode()).hexdigest(),
        status="acknowledged",
        receipt='{"receipt":{"by":"nodo-ec"},"signature":"ab"}',
        created_by=owner.label,
        created_at=datetime.now(UTC),
        acknowledged_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    return row


def checkin(session: Session, owner: Principal, person: str, kind: str) -> Checkin:
    row = Checkin(
        id=str(uuid.uuid4()),
        owner_country=owner.country,
        owner_agency=owner.agency,
        person=person,
        kind=kind,
        stop="chacalluta",
        at=datetime.now(UTC),
        note=f"nota {kind}",
        recorded_by="pablo@PDI.CL",
        made_at_node="paso-chacalluta",
        sha256="0" * 64,
        received_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    return row


def audited(session: Session, action: str, target: str) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(AuditEntry.detail)
        .where(AuditEntry.action == action, AuditEntry.target == target)
        .order_by(AuditEntry.seq)
    )
    return [json.loads(d) for d in rows]


# ------------------------------------------------------------------ audited reads


def test_a_look_at_a_case_is_audited_once(node: Node, staff: dict[str, Principal]) -> None:
    cata, sofi, otro = staff["cata"], staff["sofi"], staff["otro"]
    with node.sessions() as session:
        found = casework.register(session, node, cata, household())
        assert casework.view(session, node, sofi, found.id) is found
        casework.case(session, cata, found.id)
        casework.members(session, cata, found.id)
        casework.history(session, cata, found.id)
        with pytest.raises(NotFound):
            casework.view(session, node, otro, found.id)
        actors = session.scalars(
            select(AuditEntry.actor).where(AuditEntry.action == "corridor.case.viewed")
        ).all()
        assert actors == [sofi.label]


# ------------------------------------------------------------------ subject access report


def test_the_report_holds_everything_about_the_person(
    node: Node, staff: dict[str, Principal]
) -> None:
    cata, sofi = staff["cata"], staff["sofi"]
    kw: dict[str, Any] = {"sheet_version": "v1", "language": "es", "counsellor": "Laura Vidal"}
    with node.sessions() as session:
        found = casework.register(session, node, cata, household())
        casework.move(session, node, cata, found.id, "counselled", "sesión de orientación")
        consents.record_consent(session, node, cata, found.id, "m1", witness="Pedro", **kw)
        consents.record_consent(session, node, cata, found.id, "m2", **kw)
        consents.record_consent(session, node, cata, found.id, "m3", guardian_member_id="m1", **kw)
        household_members = people(session, cata, found.id)
        m1, m2 = household_members["m1"], household_members["m2"]
        carried = sent(session, cata, [m1, m2])
        sent(session, cata, [m2])  # without her: not in her report
        checkin(session, cata, m1.id, "boarded")
        checkin(session, cata, m2.id, "crossed")
        casework.view(session, node, sofi, found.id)
        report = protection.subject_report(session, node, cata, member_id=m1.id)
        by_ref = protection.subject_report(session, node, cata, member_id=" m1 ")
        assert audited(session, "corridor.subject_report", m1.id)[0]["case"] == found.id
    assert by_ref["member"]["id"] == m1.id
    member = report["member"]
    assert (member["given_names"], member["surname_1"], member["surname_2"]) == (
        "María José",
        "Pérez",
        "Gómez",
    )
    assert member["birth_date"] == "1985-04-02" and member["document_number"] == "V12345678"
    assert member["nationality"] == "VE" and member["flags"] == ["pregnant"]
    assert member["is_minor"] is False and report["erased"] is False
    assert report["case"]["id"] == found.id and report["case"]["reference"] == "H-1"
    assert [e["to_status"] for e in report["history"]] == ["registered", "counselled"]
    assert [(c["as"], c["member"], c["guardian"]) for c in report["consents"]] == [
        ("propio", "m1", None),
        ("tutor", "m3", "m1"),
    ]
    assert report["consents"][0]["witness"] == "Pedro"
    assert [(c["kind"], c["note"]) for c in report["checkins"]] == [("boarded", "nota boarded")]
    [manifest] = report["manifests"]
    assert manifest["id"] == carried.id and manifest["fields"] == FIELDS
    assert (manifest["peer_node"], manifest["to_country"], manifest["to_agency"]) == (
        "nodo-ec",
        "EC",
        "Cancillería",
    )
    assert manifest["legal_basis"] == "Acuerdo CL-EC 2026, art. 4"
    assert manifest["receipt_held"] is True and manifest["payload_redacted"] is False
    accesses = {(a["action"], a["actor"], a["about"]) for a in report["accesses"]}
    assert ("corridor.case.viewed", sofi.label, "caso") in accesses
    assert ("corridor.case.register", cata.label, "caso") in accesses
    # The second report sees the first one being made.
    assert ("corridor.subject_report", cata.label, "persona") in {
        (a["action"], a["actor"], a["about"]) for a in by_ref["accesses"]
    }


def test_a_household_file_id_must_name_one_person(node: Node, staff: dict[str, Principal]) -> None:
    cata, otro = staff["cata"], staff["otro"]
    with node.sessions() as session:
        first = casework.register(session, node, cata, household())
        second = casework.register(
            session, node, cata, household("H-2", [adult("m1", "Pedro", "Soto")])
        )
        theirs = casework.register(session, node, otro, household("H-3"))
        ones = [people(session, cata, c.id)["m1"].id for c in (first, second)]
        with pytest.raises(InputError, match="varios integrantes") as refused:
            protection.subject_report(session, node, cata, member_id="m1")
        assert all(i in refused.value.message for i in ones)
        their_m2 = people(session, otro, theirs.id)["m2"]
        assert theirs.id not in refused.value.message
        # m2 is in one of her cases (and in another agency's, which she does not see).
        report = protection.subject_report(session, node, cata, member_id="m2")
        assert report["case"]["id"] == first.id
        for unknown in (their_m2.id, "nadie", "x" * 500):
            with pytest.raises(NotFound, match="No existe el integrante"):
                protection.subject_report(session, node, cata, member_id=unknown)


def test_the_report_is_refused_outside_casework(node: Node, staff: dict[str, Principal]) -> None:
    cata = staff["cata"]
    with node.sessions() as session:
        found = casework.register(session, node, cata, household())
        m1 = people(session, cata, found.id)["m1"]
        for who in ("ana", "adm"):
            with pytest.raises(PermissionDenied):
                protection.subject_report(session, node, staff[who], member_id=m1.id)
        with pytest.raises(NotFound):
            protection.subject_report(session, node, staff["otro"], member_id=m1.id)
        assert audited(session, "corridor.subject_report", m1.id) == []


# ------------------------------------------------------------------ erasure


def test_only_a_closed_case_is_erased_and_only_once(
    node: Node, staff: dict[str, Principal]
) -> None:
    cata, sofi, adm = staff["cata"], staff["sofi"], staff["adm"]
    with node.sessions() as session:
        found = casework.register(session, node, cata, household())
        pedro = adult("x1", "Pedro", "Soto", birth_date="1990-01-01")
        other = casework.register(session, node, cata, household("H-2", [pedro]))
        mine = people(session, cata, found.id)
        x1 = people(session, cata, other.id)["x1"]
        alone = sent(session, cata, [mine["m1"], mine["m2"], mine["m3"]])
        mixed = sent(session, cata, [mine["m1"], x1])
        proof = (alone.sha256, alone.signature, alone.receipt)
        with pytest.raises(Conflict, match=r"registrado \(registered\)"):
            protection.erase_case(session, node, adm, case_id=found.id, reason="pedido")
        casework.move(session, node, cata, found.id, "withdrawn", "ya no viaja")
        with pytest.raises(PermissionDenied):
            protection.erase_case(session, node, cata, case_id=found.id, reason="pedido")
        with pytest.raises(NotFound):
            protection.erase_case(session, node, staff["otra"], case_id=found.id, reason="x")
        with pytest.raises(InputError, match="--reason"):
            protection.erase_case(session, node, adm, case_id=found.id, reason=" \x07 ")
        assert found.erased_at is None and mine["m1"].given_names == "María José"
        done = protection.erase_case(
            session, node, adm, case_id=found.id, reason="solicitud de la titular"
        )
        assert (done["members"], done["manifests"]) == (3, 2)
        for m in casework.members(session, cata, found.id):
            assert (m.given_names, m.surname_1, m.surname_2) == (protection.ERASED, "", None)
            assert (m.birth_date, m.document_number, m.nationality, m.flags) == (
                None,
                None,
                None,
                "[]",
            )
        assert found.erased_at is not None
        for gone in ("María", "Pérez", "V12345678", "Juan", "Rojas", "1985-04-02"):
            assert gone not in alone.payload and gone not in mixed.payload
        body = json.loads(alone.payload)
        assert body["persons"] == [] and "borrados" in body["redacted"]["note"]
        assert {p["ref"] for p in body["redacted"]["persons"]} == {m.id for m in mine.values()}
        assert (alone.sha256, alone.signature, alone.receipt) == proof
        assert [p["ref"] for p in json.loads(mixed.payload)["persons"]] == [x1.id]
        assert "Pedro" in mixed.payload and x1.given_names == "Pedro"
        [entry] = audited(session, "corridor.case.erased", found.id)
        assert entry == {"reason": "solicitud de la titular", "members": 3, "manifests": 2}
        with pytest.raises(Conflict, match="ya borrado"):
            protection.erase_case(session, node, sofi, case_id=found.id, reason="otra vez")
        # An erased case moves no more, whatever its status would allow.
        with pytest.raises(Conflict, match="fue borrado"):
            casework.move(session, node, sofi, found.id, "referred", "derivar")
        report = protection.subject_report(session, node, cata, member_id=mine["m1"].id)
    assert report["erased"] is True and report["erased_at"] is not None
    assert "borraron" in report["notice"]
    assert report["member"]["document_number"] is None
    assert report["member"]["given_names"] == protection.ERASED
    [carried_alone, _mixed] = report["manifests"]
    assert carried_alone["payload_redacted"] and carried_alone["fields"] == FIELDS
    assert carried_alone["receipt_held"]
    assert ("corridor.case.erased", adm.label) in {
        (a["action"], a["actor"]) for a in report["accesses"]
    }


def test_a_manifest_whose_persons_were_erased_is_not_sent_again(
    node: Node, staff: dict[str, Principal]
) -> None:
    cata, adm = staff["cata"], staff["adm"]
    with node.sessions() as session:
        found = casework.register(session, node, cata, household())
        row = sent(session, cata, list(people(session, cata, found.id).values()))
        row.status, manifest_id = "pending", row.id
        casework.move(session, node, cata, found.id, "withdrawn", "ya no viaja")
        protection.erase_case(session, node, adm, case_id=found.id, reason="pedido")
        session.commit()
    # Refused before any network call: its peer does not even exist.
    with pytest.raises(Conflict, match="datos borrados"):
        flows.deliver_manifest(node, cata, manifest_id=manifest_id)


# ------------------------------------------------------------------ retention

TODAY = date(2027, 6, 1)


def aged(
    session: Session, node: Node, who: Principal, ref: str, status: str, days: int
) -> ReturnCase:
    """A case whose last change was ``days`` before ``TODAY`` at noon."""
    found = casework.register(session, node, who, household(ref, [adult("p", ref, "Lara")]))
    found.status = status
    found.updated_at = datetime.combine(TODAY, time(12), tzinfo=UTC) - timedelta(days=days)
    session.flush()
    return found


def received(session: Session, owner: Principal, retain_until: date) -> ReceivedManifest:
    row = ReceivedManifest(
        id=str(uuid.uuid4()),
        owner_country=owner.country,
        owner_agency=owner.agency,
        from_node="nodo-pe",
        from_country="PE",
        from_agency="Migraciones",
        departure="bus-9",
        leg_date=retain_until - timedelta(days=30),
        purpose="tránsito",
        legal_basis="acuerdo",
        persons=1,
        payload='{"persons":[{"ref":"r1","given_names":"Ana"}]}',
        signature="ab",
        sha256="0" * 64,
        received_at=datetime.now(UTC),
        retain_until=retain_until,
    )
    session.add(row)
    session.flush()
    return row


def test_retention_erases_closed_cases_a_year_after_their_last_change(
    node: Node, staff: dict[str, Principal]
) -> None:
    sofi, otra = staff["sofi"], staff["otra"]
    with node.sessions() as session:
        withdrawn = aged(session, node, sofi, "A", "withdrawn", 400)
        arrived = aged(session, node, sofi, "B", "arrived", 366)
        recent = aged(session, node, sofi, "C", "followed_up", 365)  # after the cut-off
        still_open = aged(session, node, sofi, "D", "scheduled", 900)
        theirs = aged(session, node, otra, "E", "withdrawn", 900)
        expired = received(session, sofi, TODAY - timedelta(days=1))
        current = received(session, sofi, TODAY)
        done = protection.apply_retention(session, node, sofi, today=TODAY)
        assert (done["cases"], done["members"], done["cutoff"]) == (2, 2, "2026-06-01")
        assert done["received_manifests"] == 1
        assert expired.payload is None and current.payload is not None
        erased = {c.id for c in (withdrawn, arrived, recent, still_open, theirs) if c.erased_at}
        assert erased == {withdrawn.id, arrived.id}
        assert people(session, sofi, withdrawn.id)["p"].given_names == protection.ERASED
        assert people(session, sofi, recent.id)["p"].given_names == "C"
        assert audited(session, "corridor.case.erased", arrived.id)[0]["reason"].startswith(
            "retención"
        )
        again = protection.apply_retention(session, node, sofi, today=TODAY)
        assert (again["cases"], again["received_manifests"]) == (0, 0)
        shorter = protection.apply_retention(session, node, sofi, today=TODAY, keep_days=30)
        assert shorter["cases"] == 1 and recent.erased_at is not None
        assert still_open.erased_at is None and theirs.erased_at is None
        with pytest.raises(InputError, match="--keep-days"):
            protection.apply_retention(session, node, sofi, today=TODAY, keep_days=0)
        with pytest.raises(PermissionDenied):
            protection.apply_retention(session, node, staff["cata"], today=TODAY)
        assert len(audited(session, "corridor.retention.applied", "")) == 3


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    cases=st.lists(
        st.tuples(st.sampled_from(casework.STATUSES), st.integers(0, 1200)),
        min_size=1,
        max_size=5,
    ),
    keep=st.integers(protection.MIN_KEEP_DAYS, 800),
)
def test_retention_erases_exactly_the_closed_cases_past_the_cutoff(
    node: Node, staff: dict[str, Principal], cases: list[tuple[str, int]], keep: int
) -> None:
    sofi = staff["sofi"]
    with node.sessions() as session:
        try:
            made = [
                aged(session, node, sofi, "ABCDE"[i], status, days)
                for i, (status, days) in enumerate(cases)
            ]
            protection.apply_retention(session, node, sofi, today=TODAY, keep_days=keep)
            for found, (status, days) in zip(made, cases, strict=True):
                # Noon ``days`` ago is before midnight ``keep`` days ago iff days > keep.
                due = status in ("withdrawn", "referred", "followed_up", "arrived") and days > keep
                assert (found.erased_at is not None) == due, (status, days, keep)
        finally:
            session.rollback()


# ------------------------------------------------------------------ breach register


def breach(**change: Any) -> dict[str, Any]:
    return {
        "discovered_at": datetime.now(UTC) - timedelta(days=2),
        "description": "Se envió por error la lista de una salida a un correo externo.",
        "data_categories": "nombres, documentos",
        "persons_affected": 12,
        "measures": "Se pidió borrar el correo.\nSe cambió el procedimiento de envío.",
        **change,
    }


def test_the_breach_register_counts_five_days(node: Node, staff: dict[str, Principal]) -> None:
    sofi, adm, otra = staff["sofi"], staff["adm"], staff["otra"]
    with node.sessions() as session:
        data = breach()
        row = breaches.record_breach(session, node, sofi, **data)
        found = data["discovered_at"]
        assert row.notify_by.replace(tzinfo=UTC) == found + timedelta(days=5)
        [pending] = breaches.breaches(session, adm, now=found + timedelta(days=2))
        assert (pending["state"], pending["hours_left"]) == ("pendiente", 72.0)
        assert "\n" in pending["measures"]
        [overdue] = breaches.breaches(session, sofi, now=found + timedelta(days=5, hours=1))
        assert (overdue["state"], overdue["hours_overdue"]) == ("vencida", 1.0)
        assert breaches.breaches(session, otra, now=found) == []
        with pytest.raises(NotFound):
            breaches.notify_breach(
                session, node, otra, breach_id=row.id, notified_to="x", at=datetime.now(UTC)
            )
        with pytest.raises(InputError, match="--at"):
            breaches.notify_breach(
                session, node, adm, breach_id=row.id, notified_to="SPDP",
                at=found - timedelta(hours=1),
            )  # fmt: skip
        breaches.notify_breach(
            session, node, adm, breach_id=row.id,
            notified_to="Superintendencia de Protección de Datos Personales", at=datetime.now(UTC),
        )  # fmt: skip
        [done] = breaches.breaches(session, sofi, now=found + timedelta(days=30))
        assert (done["state"], done["late"]) == ("notificada", False)
        with pytest.raises(Conflict, match="ya fue notificada"):
            breaches.notify_breach(
                session, node, adm, breach_id=row.id, notified_to="x", at=datetime.now(UTC)
            )
        assert audited(session, "corridor.breach.recorded", row.id)[0]["persons_affected"] == 12
        assert audited(session, "corridor.breach.notified", row.id)[0]["late"] is False


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"discovered_at": datetime.now(UTC) + timedelta(hours=2)}, "--discovered"),
        ({"discovered_at": datetime(2026, 12, 1, 10, 0)}, "--discovered"),
        ({"discovered_at": datetime(1999, 12, 1, tzinfo=UTC)}, "--discovered"),
        ({"description": "   "}, "--description"),
        ({"data_categories": "nombres\x1b[31m"}, "--categories"),
        ({"measures": "borrado \u202eotneimidecorp"}, "--measures"),
        ({"persons_affected": -1}, "--affected"),
    ],
)
def test_bad_breach_input_changes_nothing(
    node: Node, staff: dict[str, Principal], change: dict[str, Any], field: str
) -> None:
    with node.sessions() as session:
        before = session.scalar(select(func.count()).select_from(AuditEntry))
        with pytest.raises(InputError) as refused:
            breaches.record_breach(session, node, staff["sofi"], **breach(**change))
        assert refused.value.problems[0].field == field
        assert session.scalar(select(func.count()).select_from(Breach)) == 0
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == before


def test_the_breach_register_is_not_casework(node: Node, staff: dict[str, Principal]) -> None:
    with node.sessions() as session:
        for who in ("cata", "ana"):
            with pytest.raises(PermissionDenied):
                breaches.record_breach(session, node, staff[who], **breach())
            with pytest.raises(PermissionDenied):
                breaches.breaches(session, staff[who], now=datetime.now(UTC))
        assert session.scalar(select(func.count()).select_from(Breach)) == 0


# ------------------------------------------------------------------ commands

# The real ``alianza`` entry point.
_MAIN = "from alianza import cli; cli.main()"


def run(fresh: FreshNode, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-c", _MAIN, *args],
        capture_output=True,
        text=True,
        env=fresh.env,
        timeout=300,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"alianza {' '.join(args)} -> {proc.returncode}\n{proc.stderr}")
    return proc


def one_line(proc: subprocess.CompletedProcess[str], code: int, option: str) -> None:
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == code, proc.stderr
    assert len(lines) == 1 and option in lines[0], proc.stderr


def test_the_protection_commands(fresh: FreshNode, tmp_path: Path) -> None:
    node = fresh.init(country="CL", agency=AGENCY)
    with transaction(node.sessions) as session:
        for name, role in (("cata", "caseworker"), ("sofi", "supervisor"), ("ana", "analyst")):
            auth.add_user(
                session, node=node, principal=node.system, username=name, full_name=name,
                country="CL", agency=AGENCY, role=role,
            )  # fmt: skip
    source = tmp_path / "hogar.json"
    source.write_text(json.dumps(household(), ensure_ascii=False), encoding="utf-8")
    added = run(fresh, "corridor", "case", "add", str(source), "--user", "cata", "--json",
                check=True)  # fmt: skip
    case_id = json.loads(added.stdout)["id"]
    run(fresh, "corridor", "case", "show", case_id[:8], "--user", "sofi", check=True)

    report = run(fresh, "corridor", "subject-report", "m1", "--user", "cata", "--json",
                 check=True)  # fmt: skip
    body = json.loads(report.stdout)
    assert body["member"]["document_number"] == "V12345678"
    assert ("corridor.case.viewed", f"sofi@{AGENCY}.CL") in {
        (a["action"], a["actor"]) for a in body["accesses"]
    }
    out = tmp_path / "informe.json"
    run(fresh, "corridor", "subject-report", "m1", "--user", "cata", "-o", str(out), check=True)
    assert json.loads(out.read_text(encoding="utf-8"))["member"]["id"] == body["member"]["id"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    human = run(fresh, "corridor", "subject-report", "m1", "--user", "cata", check=True)
    assert "Informe de acceso del titular" in human.stdout and "María José" in human.stdout
    assert run(fresh, "corridor", "subject-report", "m1", "--user", "ana").returncode == 4
    assert run(fresh, "corridor", "subject-report", "nadie", "--user", "cata").returncode == 5
    one_line(run(fresh, "corridor", "subject-report", "m1", "--user", "cata", "-o",
                 str(tmp_path / "no" / "hay.json")), 2, "--output")  # fmt: skip

    erase = ("corridor", "case", "erase", case_id[:8], "--user", "sofi", "--reason")
    assert run(fresh, *erase, "pedido de la titular").returncode == 6
    one_line(run(fresh, *erase, "  "), 2, "--reason")
    retention = ("corridor", "retention", "apply", "--user", "sofi")
    one_line(run(fresh, *retention, "--today", "2027-13-01"), 2, "--today")
    one_line(run(fresh, *retention, "--keep-days", "5"), 2, "--keep-days")
    kept = json.loads(run(fresh, *retention, "--json", check=True).stdout)
    assert kept["cases"] == 0

    found = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    add = ("corridor", "breach", "add", "--description", "correo a otra persona",
           "--categories", "nombres", "--measures", "retirado", "--user", "sofi")  # fmt: skip
    one_line(run(fresh, *add, "--discovered", found, "--affected", "-1"), 2, "--affected")
    one_line(run(fresh, *add, "--discovered", "ayer", "--affected", "3"), 2, "--discovered")
    one_line(run(fresh, *add, "--discovered", "2026-12-01T10:00", "--affected", "3"), 2,
             "--discovered")  # fmt: skip
    made = json.loads(run(fresh, *add, "--discovered", found, "--affected", "3", "--json",
                          check=True).stdout)  # fmt: skip
    assert made["state"] == "pendiente" and 95 < made["hours_left"] <= 96
    listed = json.loads(run(fresh, "corridor", "breach", "list", "--user", "sofi", "--json",
                            check=True).stdout)  # fmt: skip
    assert [b["id"] for b in listed["breaches"]] == [made["id"]]
    notified = run(fresh, "corridor", "breach", "notify", made["id"][:8], "--to",
                   "Superintendencia de Protección de Datos", "--user", "sofi", "--json",
                   check=True)  # fmt: skip
    assert json.loads(notified.stdout)["state"] == "notificada"
    table = run(fresh, "corridor", "breach", "list", "--user", "sofi", check=True)
    assert "notificada" in table.stdout
    assert run(fresh, "corridor", "breach", "list", "--user", "cata").returncode == 4
