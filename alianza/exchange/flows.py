"""Federation flows: sync, queries to partners, release and consent requests.

Each spans network calls, so it lives here and not in a service: network calls never
happen inside a database transaction; each step opens and commits its own short one, so
a slow or dead peer holds no lock and blocks no other peer, and a flow cut off anywhere
leaves every finished step committed.
"""

from __future__ import annotations

import contextlib
import json
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
from sqlalchemy import select

from alianza.audit import service as audit
from alianza.audit.models import AuditHead
from alianza.audit.service import audit_act
from alianza.auth.permissions import Action, Principal, allowed, authorize
from alianza.codes.countries import normalize_country
from alianza.db import transaction
from alianza.errors import AlianzaError, InputError, NotFound, PeerError
from alianza.exchange import client, pull, release, released, witness
from alianza.exchange.envelope import Opened
from alianza.exchange.hits import parse_query
from alianza.exchange.models import ConsentRequest, Peer, PendingAck, ReleaseRequest
from alianza.exchange.service import get_peer
from alianza.node.context import Node
from alianza.records.models import Record
from alianza.records.policy import KindOf


def discover(url: str, *, timeout: float = 10.0) -> dict[str, Any]:
    """A node's public identity from its ``/api/v1/node`` page (checked against its key later)."""
    try:
        response = httpx2.get(url.rstrip("/") + "/api/v1/node", timeout=timeout)
        info = response.json()
    except (httpx2.HTTPError, ValueError) as exc:
        raise PeerError(f"No se pudo leer la identidad de {url}: {exc}") from None
    if not isinstance(info, dict) or not {"node_id", "country", "agency", "public_key"} <= set(
        info
    ):
        raise PeerError(f"{url} no parece un nodo alianza.")
    return info


@dataclass(slots=True)
class SyncReport:
    """What one sync with one peer did."""

    peer: str
    pages: int = 0
    received: int = 0
    deletions: int = 0
    answers: int = 0
    witnessed: bool = False
    refused: int = 0  # authentic versions refused by the local gate, never stored
    error: str = ""


def _peer_snapshot(node: Node, node_id: str) -> Peer:
    with node.sessions() as session:
        peer = get_peer(session, node_id)
        session.expunge(peer)
        return peer


def sync_peer(
    node: Node, node_id: str, *, http: httpx2.Client | None = None, max_pages: int | None = None
) -> SyncReport:
    """Pull every change a peer has for us, then fetch answers and exchange witnesses."""
    report = SyncReport(peer=node_id)
    try:
        _pull(node, node_id, report, http=http, max_pages=max_pages)
        _poll_answers(node, node_id, report, http=http)
        _witness(node, node_id, report, http=http)
        error = ""
    except AlianzaError as exc:
        error = exc.message
        report.error = error
    except (ValueError, KeyError, TypeError) as exc:  # a peer's answer we cannot read
        error = f"respuesta ilegible de {node_id} ({type(exc).__name__})"
        report.error = error
    if not error and report.refused:
        error = f"{report.refused} versiones rechazadas por no pasar la validación local"
    with transaction(node.sessions) as session:
        peer = get_peer(session, node_id)
        peer.last_sync_at, peer.last_error = datetime.now(UTC), error[:500]
        audit_act(
            session,
            node,
            node.system,
            "exchange.sync",
            node_id,
            {
                "received": report.received,
                "deletions": report.deletions,
                "answers": report.answers,
                "refused": report.refused,
                "error": error,
            },
        )
    return report


def _pull(
    node: Node,
    node_id: str,
    report: SyncReport,
    *,
    http: httpx2.Client | None,
    max_pages: int | None,
) -> None:
    # Two stages overlap: while one page is stored (here, in its own transaction), the
    # next is fetched and checked (signatures, hashes, the local content gate) on a
    # helper thread that never touches the database. The owner builds the next page and
    # SQLite writes this one meanwhile; each page is still checked whole before any of it
    # is stored, and stored against the live, locked peer row.
    def fetch(
        peer: Peer, cursor: int, acks: list[dict[str, Any]]
    ) -> tuple[Opened, pull.CheckedPage]:
        answer = client.send(
            node,
            peer,
            type="sync.pull",
            body={"cursor": cursor, "limit": node.settings.sync_page, "acks": acks},
            client=http,
            timeout=node.settings.peer_timeout,
        )
        return answer, pull.check_page(node=node, peer=peer, page=answer.body, pool=pool)

    pool: Executor | None = None  # started once a sync proves long (its first page full)
    ahead: tuple[int, list[dict[str, Any]], Future[tuple[Opened, pull.CheckedPage]]] | None = None
    owed_before = False  # the last page's deletions, not in the request made ahead
    with contextlib.ExitStack() as stack:
        helper = stack.enter_context(
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="alianza-sync")
        )
        while max_pages is None or report.pages < max_pages:
            peer = _peer_snapshot(node, node_id)
            with node.sessions() as session:
                pending = [
                    {"record_id": a.record_id, "version": a.version}
                    for a in session.scalars(
                        select(PendingAck).where(PendingAck.peer_node == node_id)
                    )
                ]
            if ahead is not None and ahead[0] == peer.pull_cursor:
                acks, (answer, checked) = ahead[1], ahead[2].result()
                missed = owed_before
            else:
                if ahead is not None:  # asked from a cursor another sync moved past
                    with contextlib.suppress(AlianzaError, ValueError, KeyError, TypeError):
                        ahead[2].result()
                acks = pending
                answer, checked = fetch(peer, peer.pull_cursor, acks)
                missed = False
            ahead = None
            more = bool(answer.body.get("more"))
            if (
                more
                and isinstance(checked.next_cursor, int)
                and (max_pages is None or report.pages + 1 < max_pages)
            ):
                if pool is None and (pool := pull.checking_pool()) is not None:
                    stack.callback(pool.shutdown, cancel_futures=True)
                # Asked with the acknowledgements sent just now (the owner keeps one of
                # each); those of this page go with the request after it.
                ahead = (
                    checked.next_cursor,
                    pending,
                    helper.submit(fetch, peer, checked.next_cursor, pending),
                )
            with transaction(node.sessions) as session:
                # Locked: two syncs with the same peer (two workers, API and CLI) take turns.
                live = session.scalar(select(Peer).where(Peer.node_id == node_id).with_for_update())
                if live is None:
                    raise NotFound(f"No hay un nodo asociado '{node_id}'.")
                if live.pull_cursor != peer.pull_cursor:
                    continue  # another sync moved on meanwhile: ask again from its cursor
                sent = {(a["record_id"], a["version"]) for a in acks}
                if sent:
                    for row in session.scalars(
                        select(PendingAck).where(PendingAck.peer_node == node_id)
                    ):
                        if (row.record_id, row.version) in sent:
                            session.delete(row)
                refused: list[InputError] = []
                new_acks = pull.store_page(
                    session, node=node, peer=live, checked=checked, refused=refused
                )
                peer_actor = node.peer(node_id=node_id, country=live.country, agency=live.agency)
                for problem in refused:
                    # A sync problem with the partner, on the record: what was refused and why.
                    audit_act(
                        session,
                        node,
                        peer_actor,
                        "exchange.version_refused",
                        node_id,
                        {"problem": problem.message[:500]},
                    )
                report.refused += len(refused)
                for ack in new_acks:
                    session.merge(
                        PendingAck(
                            peer_node=node_id, record_id=ack["record_id"], version=ack["version"]
                        )
                    )
                received = checked.entries
                if received:
                    audit_act(
                        session,
                        node,
                        peer_actor,
                        "exchange.sync_page",
                        node_id,
                        {"entries": received, "cursor": live.pull_cursor},
                    )
            report.pages += 1
            report.received += received
            report.deletions += len(new_acks)
            owed_before = bool(new_acks)
            # One more (empty) pull delivers the receipts of deletions applied in the last
            # page (or in the one before, when this page was asked for ahead of them).
            if not more and not (new_acks and not acks) and not missed:
                break


def _poll_answers(
    node: Node, node_id: str, report: SyncReport, *, http: httpx2.Client | None
) -> None:
    """Fetch the owner's answers: decisions on pending requests, retractions of approved
    releases (the copy is erased and a signed receipt goes back), expired copies erased."""
    with transaction(node.sessions) as session:
        released.expire_copies(session, node=node)
    with node.sessions() as session:
        ids = [
            request_id
            for model in release.REQUEST_MODELS
            for request_id in session.scalars(
                select(model.request_id).where(
                    model.peer_node == node_id, model.direction == "out", model.status == "pending"
                )
            )
        ]
        # Approved copies are asked about again: the owner may have retracted them (it
        # answers only for those, never sending released data twice).
        held = list(
            session.scalars(
                select(ReleaseRequest.request_id)
                .where(
                    ReleaseRequest.peer_node == node_id,
                    ReleaseRequest.direction == "out",
                    ReleaseRequest.status == "approved",
                )
                .order_by(ReleaseRequest.decided_at.desc())
                .limit(500)
            )
        )
    for _ in range(2):  # a retraction answered now sends its receipt in the second round
        receipts = _unconfirmed_receipts(node, node_id)
        if not ids and not held and not receipts:
            return
        peer = _peer_snapshot(node, node_id)
        answer = client.send(
            node,
            peer,
            type="requests.poll",
            body={"request_ids": ids[:500], "approved_ids": held, "receipts": receipts},
            client=http,
            timeout=node.settings.peer_timeout,
        )
        retracted = _store_answers(node, node_id, answer.body, report)
        ids, held = [], []
        if not retracted:
            return


def _unconfirmed_receipts(node: Node, node_id: str) -> list[Any]:
    with node.sessions() as session:
        return [
            json.loads(text)
            for text in session.scalars(
                select(ReleaseRequest.receipt)
                .where(
                    ReleaseRequest.peer_node == node_id,
                    ReleaseRequest.direction == "out",
                    ReleaseRequest.status == "retracted",
                    ReleaseRequest.receipt.is_not(None),
                )
                .limit(500)
            )
            if text
        ]


def _store_answers(node: Node, node_id: str, body: dict[str, Any], report: SyncReport) -> int:
    """Apply one poll reply; how many released copies it made us erase."""
    retracted = 0
    with transaction(node.sessions) as session:
        live = get_peer(session, node_id)
        owner = node.peer(node_id=node_id, country=live.country, agency=live.agency)
        for item in body.get("answers", []):
            request_id = released.store_answer(session, node=node, peer=live, answer=item)
            if request_id:
                status = item["payload"].get("status")
                report.answers += 1
                retracted += status == "retracted"
                audit_act(
                    session,
                    node,
                    owner,
                    "exchange.release_erased"
                    if status == "retracted"
                    else "exchange.answer_received",
                    request_id,
                    {"status": status},
                )
        confirmed = body.get("receipts_stored", [])
        if isinstance(confirmed, list) and confirmed:
            for row in session.scalars(
                select(ReleaseRequest).where(
                    ReleaseRequest.request_id.in_([str(c) for c in confirmed[:500]]),
                    ReleaseRequest.direction == "out",
                    ReleaseRequest.peer_node == node_id,
                    ReleaseRequest.status == "retracted",
                )
            ):
                row.status = "erased"
    return retracted


def _witness(node: Node, node_id: str, report: SyncReport, *, http: httpx2.Client | None) -> None:
    # Witnesses see the log as it is now: sign the current head first if it moved on.
    with transaction(node.sessions) as session:
        cp = witness.latest_checkpoint(session)
        head = session.get(AuditHead, 1)
        if head is not None and (cp is None or head.seq > cp.seq):
            cp = audit.checkpoint(session, key=node.key, node_id=node.node_id)
        if cp is None:
            return
        sent = (cp.seq, cp.entry_hash)
        body = {"seq": cp.seq, "head": cp.entry_hash, "signature": cp.signature}
    peer = _peer_snapshot(node, node_id)
    answer = client.send(
        node, peer, type="audit.witness", body=body, client=http, timeout=node.settings.peer_timeout
    )
    with transaction(node.sessions) as session:
        witness.store_countersignature(
            session,
            node=node,
            peer=get_peer(session, node_id),
            body=answer.body,
            sent=sent,
        )
    report.witnessed = True


def sync_all(
    node: Node, *, principal: Principal | None = None, only: str | None = None
) -> list[SyncReport]:
    """Sync with every active peer (or one); a peer that is down does not stop the others.

    ``principal`` is who asked (a person through the API, or the node itself by default).
    """
    authorize(principal or node.system, Action.SYNC)
    with node.sessions() as session:
        ids = [
            p.node_id
            for p in session.scalars(
                select(Peer).where(Peer.active.is_(True)).order_by(Peer.node_id)
            )
        ]
    if only is not None:
        if only not in ids:
            raise NotFound(f"No hay un nodo asociado activo '{only}'.")
        ids = [only]
    with httpx2.Client(timeout=node.settings.peer_timeout) as http:
        return [sync_peer(node, node_id, http=http) for node_id in ids]


def query_peers(
    node: Node,
    *,
    principal: Principal,
    kind: str,
    values: dict[str, str],
    purpose: str,
    only: str | None = None,
    log_values: bool = True,
) -> list[dict[str, Any]]:
    """Hit/no-hit at each peer; answers carry references, never data (audited both sides).

    ``log_values=False`` (screening at a border post) keeps only the names of the fields
    asked in this node's audit log, not the traveller's data.
    """
    body = {"kind": kind, "values": values, "purpose": purpose, "requested_by": principal.label}
    the_kind, _, _ = parse_query(body)
    # Roles reach kinds at partners as they do at home: a border officer asks about
    # persons, documents and vehicles, never containers.
    authorize(principal, Action.QUERY_PEERS, KindOf(the_kind.value))
    with node.sessions() as session:
        peers = [
            p
            for p in session.scalars(
                select(Peer).where(Peer.active.is_(True)).order_by(Peer.node_id)
            )
            if only is None or p.node_id == only
        ]
        for p in peers:
            session.expunge(p)
    if only is not None and not peers:
        raise NotFound(f"No hay un nodo asociado activo '{only}'.")
    results = [ask_peer(node, peer, body) for peer in peers]
    with transaction(node.sessions) as session:
        audit_act(
            session,
            node,
            principal,
            "exchange.query_sent",
            the_kind.value,
            {
                "values": values if log_values else sorted(k for k, v in values.items() if v),
                "purpose": purpose,
                "results": {r["peer"]: r["result"] for r in results},
            },
        )
    return results


def ask_peer(node: Node, peer: Peer, body: dict[str, Any]) -> dict[str, Any]:
    """One hit/no-hit question (``body`` checked by ``parse_query``, asked by a caller who
    was authorized) to one peer: its answer, or ``ERROR`` with the reason."""
    where = {"peer": peer.node_id, "country": peer.country, "agency": peer.agency}
    try:
        answer = client.send(
            node, peer, type="query.hit", body=body, timeout=node.settings.peer_timeout
        )
    except AlianzaError as exc:
        return {**where, "result": "ERROR", "hits": [], "error": exc.message}
    return {**where, "result": answer.body.get("result"), "hits": answer.body.get("hits", [])}


def request_release(
    node: Node,
    *,
    principal: Principal,
    peer_node: str,
    ref: str,
    kind: str,
    purpose: str,
    legal_basis: str,
) -> ReleaseRequest:
    """File a release request for a HIT at a partner (its 48-hour clock starts there)."""
    # The kind the HIT named: the released data will be shown only to roles that reach it.
    authorize(principal, Action.QUERY_PEERS, KindOf(kind))
    return file_release(
        node, principal=principal, peer_node=peer_node, ref=ref, kind=kind,
        purpose=purpose, legal_basis=legal_basis,
    )  # fmt: skip


def file_release(
    node: Node,
    *,
    principal: Principal,
    peer_node: str,
    ref: str,
    kind: str,
    purpose: str,
    legal_basis: str,
) -> ReleaseRequest:
    """``request_release`` for a caller that authorized the act under its own action (a
    regularisation check's hit, ``alianza.status.flows``)."""
    request_id = released.new_request_id()
    peer = _peer_snapshot(node, peer_node)
    body = {
        "request_id": request_id,
        "ref": ref,
        "purpose": purpose,
        "legal_basis": legal_basis,
        "requested_by": principal.label,
    }
    client.send(node, peer, type="release.request", body=body, timeout=node.settings.peer_timeout)
    now = datetime.now(UTC)
    with transaction(node.sessions) as session:
        row = ReleaseRequest(
            request_id=request_id,
            direction="out",
            peer_node=peer_node,
            ref=ref,
            kind=kind,
            purpose=purpose,
            legal_basis=legal_basis,
            requested_by=principal.label,
            requested_at=now,
            # Our own clock: the owner's answer is not trusted to set our deadline.
            due_at=now + timedelta(hours=release.RELEASE_HOURS),
            status="pending",
        )
        session.add(row)
        audit_act(
            session,
            node,
            principal,
            "release.requested",
            request_id,
            {"peer": peer_node, "ref": ref, "purpose": purpose, "legal_basis": legal_basis},
        )
        session.flush()
        session.expunge(row)
    return row


def request_consent(
    node: Node, *, principal: Principal, record_id: str, third_country: str, purpose: str
) -> ConsentRequest:
    """Ask a record's owner to let a third country see it (we never forward the copy)."""
    authorize(principal, Action.QUERY_PEERS)
    try:
        third = normalize_country(third_country)
    except ValueError as exc:
        raise InputError.at("third_country", str(exc)) from None
    with node.sessions() as session:
        record = session.get(Record, record_id)
        # A record one may not see answers exactly like a missing one (no oracle).
        if (
            record is None
            or record.origin == node.node_id
            or not allowed(principal, Action.READ, record)
        ):
            raise NotFound(
                f"No hay una copia recibida {record_id}: solo se piden "
                "consentimientos para registros de otros nodos."
            )
        owner = record.origin
    peer = _peer_snapshot(node, owner)
    request_id = released.new_request_id()
    client.send(
        node,
        peer,
        type="consent.request",
        body={
            "request_id": request_id,
            "record_id": record_id,
            "third_country": third,
            "purpose": purpose,
            "requested_by": principal.label,
        },
        timeout=node.settings.peer_timeout,
    )
    with transaction(node.sessions) as session:
        row = ConsentRequest(
            request_id=request_id,
            direction="out",
            peer_node=owner,
            record_id=record_id,
            third_country=third,
            purpose=purpose,
            requested_by=principal.label,
            requested_at=datetime.now(UTC),
            status="pending",
        )
        session.add(row)
        audit_act(
            session,
            node,
            principal,
            "consent.requested",
            request_id,
            {"peer": owner, "record": record_id, "third": third},
        )
        session.flush()
        session.expunge(row)
    return row
