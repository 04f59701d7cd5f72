"""What partners asked us, whom we sync with, and whether our audit log still holds.

- Incoming hit/no-hit queries: the audit entries ``exchange.query_received`` that the
  principal may audit (``audit.trail.acts``; the entry keeps the values asked, the page
  shows only which fields were asked, never the names or dates).
- Peers: last sync, last error, deletions (tombstones, retractions) served and waiting
  for the partner's signed receipt, and the receipts received (``exchange.service.
  list_peers``, ``pull.pending_acknowledgements`` and ``feed.receipts``, as
  ``GET /api/v1/peers`` and ``/peers/pending-receipts``).
- The audit chain: verified up to which entry, signed checkpoints, the problems found
  (``audit.service.verify_chain``, audited, as ``GET /api/v1/audit/verify``), and the
  partners that countersigned our checkpoints (``exchange.witness``; checked locally,
  without a network call).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from alianza.audit import service as audit
from alianza.audit.trail import acts
from alianza.auth.permissions import Action, Principal
from alianza.exchange import feed, pull, service, witness
from alianza.web.console.i18n import N_
from alianza.web.console.nav import NavEntry
from alianza.web.console.pages.exchange import tabs
from alianza.web.console.render import page
from alianza.web.console.session import PREFIX, requires
from alianza.web.deps import NodeDep, unit

router = APIRouter(include_in_schema=False)
PEERS = f"{PREFIX}/nodos"
AUDIT = f"{PREFIX}/auditoria"
# The audit pages are reached from the exchange's tabs (the top bar holds enough): a
# supervisor's "Intercambio", an administrator's "Nodos asociados".
NAV = (NavEntry(PEERS, N_("Nodos asociados"), action=Action.FEDERATE, order=60),)
Auditor = Annotated[Principal, requires(Action.AUDIT)]
Federator = Annotated[Principal, requires(Action.FEDERATE)]
QUERIES = 200
RECEIPTS = 50
RESULTS = {"HIT": N_("coincidencia"), "NO_HIT": N_("sin coincidencia")}


def _query(entry: Any) -> dict[str, Any]:
    detail = entry.detail
    values = detail.get("values")
    return {
        "seq": entry.seq,
        "at": entry.at,
        "peer": entry.actor.removeprefix("nodo:"),
        "purpose": detail.get("purpose", ""),
        "requested_by": detail.get("requested_by") or "",
        "result": detail.get("result", ""),
        # Which fields were asked, never their values (names, birth dates).
        "fields": sorted(values) if isinstance(values, dict) else [],
        "hits": len(detail.get("refs") or []),
    }


@router.get(f"{AUDIT}/consultas")
def queries(request: Request, node: NodeDep, principal: Auditor) -> Response:
    with unit(node) as session:
        rows = [
            _query(e)
            for e in acts(
                session,
                node=node,
                principal=principal,
                action="exchange.query_received",
                limit=QUERIES,
            )
        ]
    return page(
        request,
        "exchange/queries.html",
        rows=rows,
        hits=sum(1 for r in rows if r["result"] == "HIT"),
        results=RESULTS,
        **tabs(principal, "queries"),
    )


@router.get(PEERS)
def peers(request: Request, node: NodeDep, principal: Federator) -> Response:
    with unit(node) as session:
        listed = service.list_peers(session, node=node, principal=principal)
        pending = pull.pending_acknowledgements(session, node=node)
        waiting: dict[str, int] = {}
        for item in pending:
            waiting[item["peer"]] = waiting.get(item["peer"], 0) + 1
        received = feed.receipts(session, limit=RECEIPTS)
        rows = [
            {
                "node_id": p.node_id,
                "country": p.country,
                "agency": p.agency,
                "url": p.url,
                "active": p.active,
                "last_sync_at": p.last_sync_at,
                "last_error": p.last_error,
                "pending": waiting.get(p.node_id, 0),
            }
            for p in listed
        ]
    return page(
        request,
        "exchange/peers.html",
        rows=rows,
        pending=pending[:RECEIPTS],
        more=max(0, len(pending) - RECEIPTS),
        receipts=received,
        **tabs(principal, "peers"),
    )


@router.get(AUDIT)
def chain(request: Request, node: NodeDep, principal: Auditor) -> Response:
    with unit(node) as session:
        report = audit.verify_chain(
            session,
            public_key=node.key.public_hex,
            node_id=node.node_id,
            checkpoint_every=node.settings.checkpoint_every,
        )
        audit.audit_act(session, node, principal, "audit.verify", "", {"ok": report.ok})
        last = witness.latest_checkpoint(session)
        latest = {"seq": last.seq, "at": last.at} if last is not None else None
        checked = witness.check_witnesses(session, node=node)
        seen = witness.witnesses(session)
    return page(
        request,
        "exchange/audit.html",
        report=report,
        latest=latest,
        witnessed=checked,
        witnesses=seen,
        **tabs(principal, "audit"),
    )
