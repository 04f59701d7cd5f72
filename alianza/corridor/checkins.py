"""Check-ins: a person of the corridor seen boarding, crossing, arriving, reported missing
or in a medical incident, recorded where it happened, often at a border post whose link
is down for hours.

A post runs its own small node (the same software, on SQLite). It knows whom to expect
from the manifests it received (``manifests.roster``), records check-ins locally with
ids made there, and pushes them to its national node when the link returns
(``flows.push_checkins``). Nothing waits on the network and nothing is lost: a push that
fails leaves every check-in pending, and one that runs twice stores each once.

Two check-ins of the same person that cannot both be true are a conflict, kept for a
person to settle (``settle``). Neither is overwritten and neither wins by arriving last
("last write wins" would let a late sync from a post erase that a person went missing).
What cannot both be true (``_contradiction``), within ``WINDOW`` of each other:
- the same step at two different places (boarding twice, crossing two borders, an
  incident at two places): boarding at one stop and crossing at the next is the road;
- reported missing at one place and seen at another;
and, at any distance in time, arrived at two different destinations. A place that records
several events of one person (boarded then crossed at the same post) is a sequence, not a
conflict.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from alianza.audit.service import audit_act
from alianza.auth.permissions import Principal, authorize, holds, visible
from alianza.codes.text import clean_text, gate_line, gate_multiline, shown
from alianza.corridor import casework, household, manifests
from alianza.corridor.contract import validated
from alianza.corridor.models import Checkin, CheckinConflict, ReturnCase, ReturnMember
from alianza.errors import Conflict, InputError, NotFound, PermissionDenied
from alianza.exchange.models import Peer
from alianza.node.context import Node
from alianza.node.keys import canonical

RECORD = "record_checkins"
SETTLE = "settle_checkins"
MESSAGE = "corridor.checkins"

KINDS = ("boarded", "crossed", "arrived", "missing", "medical_incident")
KIND_LABELS = {
    "boarded": "embarcó",
    "crossed": "cruzó",
    "arrived": "llegó",
    "missing": "no se presentó / desaparecida",
    "medical_incident": "incidente médico",
}
# Kinds that place the person somewhere at that moment.
PRESENCE = frozenset({"boarded", "crossed", "arrived", "medical_incident"})
# Two places closer in time than this cannot both be right (border posts of the corridor
# are hundreds of kilometres apart: hours by road).
WINDOW = timedelta(hours=3)
# A clock a little ahead is tolerated; a check-in in the future is not.
CLOCK_SLACK = timedelta(minutes=10)
MAX_BATCH = 500

Line = Annotated[str, BeforeValidator(gate_line)]
Text = Annotated[str, BeforeValidator(gate_multiline)]


class CheckinIn(BaseModel):
    """One check-in as a post sends it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: uuid.UUID
    person: Line = Field(min_length=1, max_length=64)
    manifest_id: uuid.UUID | None = None
    kind: Literal["boarded", "crossed", "arrived", "missing", "medical_incident"]
    stop: Line = Field(min_length=1, max_length=128)
    at: datetime
    note: Text = Field("", max_length=1000)
    recorded_by: Line = Field(min_length=1, max_length=120)


class CheckinBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checkins: list[CheckinIn] = Field(min_length=1, max_length=MAX_BATCH)


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _digest(item: CheckinIn | Checkin, made_at: str) -> str:
    body = {
        "person": item.person,
        "kind": item.kind,
        "stop": item.stop,
        "at": _aware(item.at).astimezone(UTC).isoformat(),
        "note": item.note,
        "made_at": made_at,
    }
    return hashlib.sha256(canonical(body)).hexdigest()


def _check_time(at: datetime, field: str) -> datetime:
    if at.tzinfo is None:
        raise InputError.at(field, "la hora debe llevar zona horaria (p. ej. -05:00)")
    if at > _now() + CLOCK_SLACK:
        raise InputError.at(field, f"hora en el futuro ({at.isoformat()})")
    if at < _now() - timedelta(days=3660):
        raise InputError.at(field, "hora de hace más de diez años")
    return at


def _case_of(session: Session, person: str) -> ReturnCase | None:
    return session.scalar(
        select(ReturnCase)
        .join(ReturnMember, ReturnMember.case_id == ReturnCase.id)
        .where(ReturnMember.id == person)
    )


Roster = dict[str, tuple[str, dict[str, Any]]]


def _known(
    session: Session, node: Node, person: str, roster: Roster | None = None
) -> tuple[str | None, ReturnCase | None] | None:
    """Where this node knows the person from: (a manifest's id, its case), or None."""
    case = _case_of(session, person)
    if case is not None and case.erased_at is None:
        return None, case
    held = (roster if roster is not None else manifests.roster(session, node)).get(person)
    if held is not None:
        return held[0], None
    return None


def by_document(session: Session, node: Node, principal: Principal, document: str) -> str:
    """The person (manifest ref, or member id) with this document number, as the officer
    reads it off the document: in this node's manifests, or in the principal's cases."""
    authorize(principal, RECORD)
    wanted = household.normal_document(clean_text(document, field="--document"))
    if not wanted:
        raise InputError.at("--document", "indique el número de documento")
    found = {
        ref
        for ref, (_, person) in manifests.roster(session, node).items()
        if household.normal_document(str(person.get("document_number") or "")) == wanted
    }
    if holds(principal, casework.MANAGE):
        # Only casework roles look in the cases: a case is protection data, and a border
        # officer works from the manifest of the persons expected.
        found.update(
            session.scalars(
                select(ReturnMember.id)
                .join(ReturnCase, ReturnMember.case_id == ReturnCase.id)
                .where(
                    ReturnMember.document_number == wanted,
                    visible(principal, casework.MANAGE, ReturnCase),
                    ReturnCase.erased_at.is_(None),
                )
            )
        )
    if not found:
        raise NotFound(f"Nadie con el documento {shown(document)} en los manifiestos ni casos.")
    if len(found) > 1:
        raise InputError.at("--document", "varias personas con ese documento: use --person")
    return found.pop()


def record(
    session: Session,
    node: Node,
    principal: Principal,
    *,
    person: str,
    kind: str,
    stop: str,
    at: datetime,
    note: str = "",
) -> Checkin:
    """Record what was seen here, now or earlier today (works with no link at all)."""
    authorize(principal, RECORD)
    item = validated(
        CheckinIn,
        {
            "id": str(uuid.uuid4()),
            "person": person,
            "kind": kind,
            "stop": stop,
            "at": at,
            "note": note,
            "recorded_by": principal.label,
        },
    )
    _check_time(item.at, "at")
    known = _known(session, node, item.person)
    if known is not None and known[1] is not None and not holds(principal, casework.MANAGE):
        held = manifests.roster(session, node).get(item.person)
        known = (held[0], None) if held else None
    if known is None:
        raise NotFound(
            f"La persona {shown(item.person)} no figura en ningún manifiesto ni caso de este nodo."
        )
    manifest_id, case = known
    if case is not None:
        # A case of another agency, or one a border officer may not look into, is not said
        # to exist.
        try:
            authorize(principal, casework.MANAGE, case)
        except PermissionDenied:
            raise NotFound(
                f"La persona {shown(item.person)} no figura en ningún manifiesto ni caso "
                "de este nodo."
            ) from None
    row = _store(
        session,
        item,
        manifest_id=manifest_id,
        made_at=node.node_id,
        owner=(principal.country, principal.agency),
    )
    found = detect_conflicts(session, row)
    audit_act(
        session,
        node,
        principal,
        "corridor.checkin.recorded",
        row.id,
        {"person": row.person, "kind": row.kind, "stop": row.stop, "conflicts": found},
    )
    return row


def _store(
    session: Session,
    item: CheckinIn,
    *,
    manifest_id: str | None,
    made_at: str,
    owner: tuple[str, str],
) -> Checkin:
    row = Checkin(
        id=str(item.id),
        owner_country=owner[0],
        owner_agency=owner[1],
        person=item.person,
        manifest_id=manifest_id or (str(item.manifest_id) if item.manifest_id else None),
        kind=item.kind,
        stop=item.stop,
        at=item.at,
        note=item.note,
        recorded_by=item.recorded_by,
        made_at_node=made_at,
        sha256=_digest(item, made_at),
        received_at=_now(),
    )
    session.add(row)
    session.flush()
    return row


def _contradiction(a: Checkin, b: Checkin) -> str | None:
    """Why two check-ins of one person cannot both be true, or None."""
    if a.made_at_node == b.made_at_node and a.stop == b.stop:
        return None
    if a.kind == "arrived" and b.kind == "arrived" and a.stop != b.stop:
        return "llegó a dos destinos distintos"
    if abs(_aware(a.at) - _aware(b.at)) >= WINDOW:
        return None
    kinds = {a.kind, b.kind}
    if a.kind == b.kind and a.kind in PRESENCE and a.stop != b.stop:
        # Boarding then crossing is the road; crossing two borders within hours is not.
        return "vista en dos lugares a la vez"
    if "missing" in kinds and kinds & PRESENCE:
        return "dada por desaparecida en un lugar y vista en otro"
    return None


def _label(c: Checkin) -> str:
    when = _aware(c.at).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{KIND_LABELS.get(c.kind, c.kind)} en {c.stop} ({when}, {c.made_at_node})"


def detect_conflicts(session: Session, new: Checkin) -> int:
    """Keep a conflict for each earlier check-in of the person that contradicts ``new``."""
    others = session.scalars(
        select(Checkin).where(
            Checkin.person == new.person,
            Checkin.id != new.id,
            Checkin.owner_country == new.owner_country,
        )
    )
    found = 0
    for other in others:
        why = _contradiction(other, new)
        if why is None:
            continue
        session.add(
            CheckinConflict(
                id=str(uuid.uuid4()),
                owner_country=new.owner_country,
                owner_agency=new.owner_agency,
                person=new.person,
                first_id=other.id,
                second_id=new.id,
                reason=f"{why}: {_label(other)} / {_label(new)}",
                status="open",
                found_at=_now(),
            )
        )
        found += 1
    if found:
        session.flush()
    return found


def receive(session: Session, node: Node, *, peer: Peer, body: dict[str, Any]) -> dict[str, Any]:
    """Store a post's check-ins (each once, by its id), keep any conflict, say which went in.

    The whole message is checked before anything is stored; an item this node cannot
    place (a person it does not know, an id already received with other content) is
    refused alone, with its reason, so one bad line does not hold a post's sync back."""
    batch = validated(CheckinBatch, body, prefix="body.")
    for i, item in enumerate(batch.checkins):
        _check_time(item.at, f"body.checkins[{i}].at")
    accepted: list[str] = []
    refused: list[dict[str, str]] = []
    conflicts = 0
    roster = manifests.roster(session, node)  # read once per message, not per item
    for item in batch.checkins:
        key = str(item.id)
        existing = session.get(Checkin, key)
        if existing is not None:
            if existing.sha256 == _digest(item, peer.node_id):
                accepted.append(key)  # sent again after a lost reply
            else:
                refused.append({"id": key, "reason": "ya recibido con otro contenido"})
            continue
        known = _known(session, node, item.person, roster)
        if known is None:
            refused.append({"id": key, "reason": "persona desconocida en el nodo nacional"})
            continue
        manifest_id, case = known
        owner = (case.owner_country, case.owner_agency) if case else (node.country, node.agency)
        row = _store(session, item, manifest_id=manifest_id, made_at=peer.node_id, owner=owner)
        conflicts += detect_conflicts(session, row)
        accepted.append(key)
    return {"accepted": accepted, "refused": refused, "conflicts": conflicts}


def pending(session: Session, node: Node, *, limit: int = MAX_BATCH) -> list[Checkin]:
    """Check-ins made here that the national node has not acknowledged yet, oldest first."""
    stmt = (
        select(Checkin)
        .where(Checkin.made_at_node == node.node_id, Checkin.pushed_at.is_(None))
        .order_by(Checkin.received_at, Checkin.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def outgoing(row: Checkin) -> dict[str, Any]:
    """A check-in as it is pushed (``CheckinIn``)."""
    return {
        "id": row.id,
        "person": row.person,
        "manifest_id": row.manifest_id,
        "kind": row.kind,
        "stop": row.stop,
        "at": _aware(row.at).isoformat(),
        "note": row.note,
        "recorded_by": row.recorded_by,
    }


def mark_pushed(session: Session, *, reply: dict[str, Any], sent: list[Checkin]) -> None:
    """Mark what the national node accepted, and why it refused the rest."""
    ids = {row.id for row in sent}
    accepted = reply.get("accepted")
    refused = reply.get("refused")
    if not isinstance(accepted, list) or not isinstance(refused, list):
        raise InputError.at("reply", "respuesta sin 'accepted' y 'refused'")
    now = _now()
    by_id = {row.id: row for row in sent}
    for key in accepted:
        if key in ids:
            by_id[key].pushed_at = now
            by_id[key].push_error = None
    for item in refused:
        if isinstance(item, dict) and item.get("id") in ids:
            row = by_id[item["id"]]
            row.pushed_at = now  # answered: not sent again, the reason stays shown
            row.push_error = clean_text(str(item.get("reason", "rechazado"))[:500], field="reply")


def checkins_of(session: Session, principal: Principal, person: str) -> list[Checkin]:
    """A person's check-ins the principal may see, in time order."""
    authorize(principal, RECORD)
    stmt = (
        select(Checkin)
        .where(Checkin.person == person, visible(principal, RECORD, Checkin))
        .order_by(Checkin.at, Checkin.id)
    )
    return list(session.scalars(stmt))


def recent(session: Session, principal: Principal, *, limit: int = 100) -> list[Checkin]:
    """The latest check-ins the principal may see."""
    authorize(principal, RECORD)
    stmt = (
        select(Checkin)
        .where(visible(principal, RECORD, Checkin))
        .order_by(Checkin.at.desc(), Checkin.id)
        .limit(max(1, min(limit, 1000)))
    )
    return list(session.scalars(stmt))


def conflicts(
    session: Session, principal: Principal, *, open_only: bool = True
) -> list[CheckinConflict]:
    """Conflicts the principal may see, oldest first."""
    authorize(principal, RECORD)
    stmt = select(CheckinConflict).where(visible(principal, RECORD, CheckinConflict))
    if open_only:
        stmt = stmt.where(CheckinConflict.status == "open")
    return list(session.scalars(stmt.order_by(CheckinConflict.found_at, CheckinConflict.id)))


def settle(
    session: Session,
    node: Node,
    principal: Principal,
    *,
    conflict_id: str,
    decision: str,
) -> CheckinConflict:
    """A person settles a conflict, saying what happened; both check-ins stay as made."""
    authorize(principal, SETTLE)
    text = clean_text(decision, field="decisión", multiline=True).strip()
    if not text:
        raise InputError.at("decisión", "diga qué pasó (p. ej. cuál de los dos registros vale)")
    row = session.scalar(
        select(CheckinConflict).where(
            CheckinConflict.id == conflict_id,
            visible(principal, SETTLE, CheckinConflict),
        )
    )
    if row is None:
        raise NotFound(f"No existe el conflicto {shown(conflict_id)}.")
    if row.status != "open":
        raise Conflict(f"El conflicto {row.id} ya fue resuelto por {row.settled_by}.")
    row.status = "settled"
    row.settled_by = principal.label
    row.settled_at = _now()
    row.decision = text[:2000]
    audit_act(session, node, principal, "corridor.checkin.settled", row.id, {"person": row.person})
    return row


def view(row: Checkin) -> dict[str, Any]:
    """A check-in as JSON."""
    return {
        **outgoing(row),
        "made_at_node": row.made_at_node,
        "received_at": _aware(row.received_at).isoformat(),
        "pushed_at": _aware(row.pushed_at).isoformat() if row.pushed_at else None,
        "push_error": row.push_error,
    }


def conflict_view(row: CheckinConflict) -> dict[str, Any]:
    """A conflict as JSON."""
    return {
        "id": row.id,
        "person": row.person,
        "first": row.first_id,
        "second": row.second_id,
        "reason": row.reason,
        "status": row.status,
        "found_at": _aware(row.found_at).isoformat(),
        "settled_by": row.settled_by,
        "settled_at": _aware(row.settled_at).isoformat() if row.settled_at else None,
        "decision": row.decision,
    }
