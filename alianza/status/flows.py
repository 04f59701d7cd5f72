"""Regularisation work that crosses the network: an applicant's checks at this node and
at every partner (``checks.py`` says what is asked and why). The questions are asked
between transactions, never holding a row lock while a partner answers; the answers are
kept (and a hit pauses the application) in one transaction, and each release request a
partner's hit opens is filed and noted on its own after that: a flow cut off after the
answers leaves the application paused, the safe side, with every answer kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from alianza.auth.permissions import Principal
from alianza.db import transaction
from alianza.errors import AlianzaError
from alianza.exchange import flows as exchange
from alianza.exchange.hits import (
    MAX_HITS,
    PersonMatcher,
    QueryKind,
    find_records,
    parse_query,
)
from alianza.exchange.models import Peer
from alianza.node.context import Node
from alianza.records.rules import KIND_VALUES
from alianza.status import checks
from alianza.status.checks import Answer, Question

# A partner's opaque hit reference (``hits.new_reference``: URL-safe base64).
_REF = re.compile(r"[A-Za-z0-9_-]{8,64}")


@dataclass(slots=True)
class CheckReport:
    """What one run of an application's checks found."""

    application_id: str
    status: str = ""
    checks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def hits(self) -> int:
        """How many questions a node answered with a hit."""
        return sum(c["result"] == "HIT" for c in self.checks)


def _body(question: Question, principal: Principal) -> dict[str, Any]:
    return {
        "kind": question.query_kind,
        "values": question.values,
        "purpose": checks.PURPOSE,
        "requested_by": principal.label,
    }


def _here(
    node: Node, principal: Principal, question: Question, matcher: PersonMatcher | None
) -> Answer:
    """The question asked of this node's own records, within what the asking agency may
    discover (as a partner's question is answered)."""
    answer = Answer(question.kind, node.node_id, node.country, node.agency, "NO_HIT", here=True)
    try:
        kind, purpose, values = parse_query(_body(question, principal))
        if kind is QueryKind.PERSON and matcher is None:
            # The identity matcher the exchange's desk uses, over this node's watch list.
            from alianza.screening.service import IdentityMatcher, Screener

            matcher = IdentityMatcher(Screener(node))
        with node.reads() as session:
            found = find_records(
                session,
                node_id=node.node_id,
                peer_country=principal.country,
                peer_agency=principal.agency,
                kind=kind,
                purpose=purpose,
                values=values,
                matcher=matcher,  # type: ignore[arg-type]
            )
    except AlianzaError as exc:
        answer.result, answer.note = "ERROR", exc.message
        return answer
    if found:
        answer.result = "HIT"
        answer.refs = [record_id for record_id, _ in found]
        answer.hit_kinds = [k for _, k in found]
        answer.note = "registro de este nodo: se lee según su alcance, sin solicitud de entrega"
    return answer


def _there(node: Node, principal: Principal, question: Question, peer: Peer) -> Answer:
    """The question asked of one partner; its answer checked like any partner's data."""
    got = exchange.ask_peer(node, peer, _body(question, principal))
    answer = Answer(question.kind, peer.node_id, peer.country, peer.agency, "ERROR")
    result, hits = got.get("result"), got.get("hits")
    if result == "ERROR":
        answer.note = str(got.get("error") or "sin respuesta")[:500]
        return answer
    well_formed = isinstance(hits, list) and len(hits) <= MAX_HITS and all(
        isinstance(h, dict) and isinstance(h.get("ref"), str) and _REF.fullmatch(h["ref"])
        and h.get("kind") in KIND_VALUES
        for h in hits
    )  # fmt: skip
    if result not in ("HIT", "NO_HIT") or not well_formed or (result == "HIT") != bool(hits):
        answer.note = f"respuesta ilegible de {peer.node_id}: no se tiene en cuenta"
        return answer
    assert isinstance(hits, list)
    answer.result = str(result)
    answer.refs = [h["ref"] for h in hits]
    answer.hit_kinds = [h["kind"] for h in hits]
    return answer


def run_checks(
    node: Node,
    principal: Principal,
    application_id: str,
    *,
    legal_basis: str | None = None,
    matcher: PersonMatcher | None = None,
) -> CheckReport:
    """Ask this node and every active partner the applicant's questions; keep the
    answers; a hit pauses the application and a partner's hit opens a release request."""
    with transaction(node.sessions) as session:
        found = checks.checkable(session, principal, application_id)
        basis = checks.legal_basis_for(found.country, legal_basis)
        asked = checks.questions(found)
        full_id, reference = found.id, found.reference
        peers = list(
            session.scalars(select(Peer).where(Peer.active.is_(True)).order_by(Peer.node_id))
        )
        for p in peers:
            session.expunge(p)
    answers: list[Answer] = []
    for question in asked:
        if question.missing:
            answers.append(
                Answer(question.kind, node.node_id, node.country, node.agency, "NOT_ASKED",
                       note=question.missing, here=True)
            )  # fmt: skip
            continue
        answers.append(_here(node, principal, question, matcher))
        for peer in peers:
            answers.append(_there(node, principal, question, peer))
    with transaction(node.sessions) as session:
        made = checks.record(session, node, principal, full_id, answers=answers, legal_basis=basis)
        kept = [(row.id, a) for row, a in zip(made, answers, strict=True)]
    for check_id, a in kept:
        if a.result != "HIT" or a.here or not a.refs:
            continue
        try:
            filed = exchange.file_release(
                node, principal=principal, peer_node=a.node_id, ref=a.refs[0],
                kind=a.hit_kinds[0] or "person",
                purpose=f"Regularización migratoria: verificación de {checks.KINDS[a.kind]}, "
                f"solicitud {reference}"[:200],
                legal_basis=basis,
            )  # fmt: skip
            request_id, note = filed.request_id, "solicitud de entrega abierta (48 h)"
        except AlianzaError as exc:
            request_id, note = None, f"no se pudo pedir la entrega: {exc.message}"
        with transaction(node.sessions) as session:
            checks.set_release(session, check_id, request_id=request_id, note=note)
    with transaction(node.sessions) as session:
        found = checks.checkable(session, principal, full_id)
        report = CheckReport(application_id=full_id, status=found.status)
        ids = {check_id for check_id, _ in kept}
        report.checks = [checks.as_json(c) for c in checks.checks(session, full_id) if c.id in ids]
    return report
