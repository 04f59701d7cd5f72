"""Screening flows: one traveller (with hit/no-hit questions to partners) and a passenger
list, each audited in its own committed step. They span network calls or long work, so
they live here and not in ``service.py``, whose functions never commit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from alianza.audit.service import audit_act
from alianza.auth.permissions import Action, Principal, authorize
from alianza.db import transaction
from alianza.errors import AlianzaError, InputError
from alianza.node.context import Node
from alianza.records.policy import KindOf
from alianza.screening.service import (
    MATCH,
    PERSON_QUERY,
    SCREEN,
    Candidate,
    Screener,
    Screening,
    traveller_from,
    visible_to,
)


def screen(
    screener: Screener,
    *,
    principal: Principal,
    values: dict[str, str | None],
    mrz: str | None = None,
    limit: int = 10,
    ask_partners: bool = True,
) -> Screening:
    """Rank the watch list for one traveller; partners' records become hit/no-hit queries."""
    authorize(principal, SCREEN)
    authorize(principal, Action.READ, KindOf("person"))
    traveller, failed = traveller_from(values, mrz=mrz)
    node = screener.node
    screener.refresh()

    found = screener.rank(traveller, allowed=visible_to(principal), limit=limit)
    partners: dict[str, list[Candidate]] = {}
    candidates = []
    for candidate, entry in found:
        if entry.origin == node.node_id:
            candidate.record_id = entry.record_id
        else:
            candidate.partner = {"node": entry.origin, "country": entry.owner_country}
            if candidate.probability >= MATCH:
                # Only a likely match is worth telling the partner about this traveller.
                partners.setdefault(entry.origin, []).append(candidate)
            else:
                candidate.partner["result"] = "NO_CONSULTADO"
        candidates.append(candidate)
    for peer, asked in partners.items():
        answer = _ask_partner(node, principal, peer, traveller) if ask_partners else {}
        for candidate in asked:
            candidate.partner.update(answer)
    with transaction(node.sessions) as session:
        audit_act(
            session,
            node,
            principal,
            "screening.query",
            "person",
            {
                "fields": sorted(k for k, v in traveller.items() if v),
                "mrz": bool(mrz),
                "records": [c.record_id for c in candidates if c.record_id],
                "partners": sorted(partners),
            },
        )
    return Screening(traveller=traveller, candidates=candidates, document_checks=failed)


def screen_many(
    screener: Screener,
    *,
    principal: Principal,
    travellers: list[dict[str, str | None]],
    limit: int = 10,
) -> list[Screening]:
    """Rank the watch list for each of a list of travellers, audited once for the list.

    Each traveller is checked and ranked exactly as ``screen`` does one, against the list
    already in memory. Partners are NOT asked: a partner's likely match is returned as a
    reference with ``result: NO_CONSULTADO`` (asking for each of 10,000 travellers would
    be 10,000 network calls); the officer asks about the ones that matter with ``screen``.
    """
    authorize(principal, SCREEN)
    authorize(principal, Action.READ, KindOf("person"))
    rows = []
    for n, values in enumerate(travellers):
        try:
            rows.append(traveller_from(values)[0])
        except InputError as exc:
            problem = exc.problems[0] if exc.problems else None
            field = f"travellers[{n}].{problem.field if problem else 'traveller'}"
            raise InputError.at(field, problem.message if problem else exc.message) from exc
    node = screener.node
    screener.refresh()
    found = screener.rank_many(rows, allowed=visible_to(principal), limit=limit)
    out = []
    records: set[str] = set()
    partners: set[str] = set()
    fields: Counter[str] = Counter()
    for traveller, ranked in zip(rows, found, strict=True):
        fields.update(k for k, v in traveller.items() if v)
        candidates = []
        for candidate, entry in ranked:
            if entry.origin == node.node_id:
                candidate.record_id = entry.record_id
                records.add(entry.record_id)
            else:
                candidate.partner = {
                    "node": entry.origin,
                    "country": entry.owner_country,
                    "result": "NO_CONSULTADO",
                }
                partners.add(entry.origin)
            candidates.append(candidate)
        out.append(Screening(traveller=traveller, candidates=candidates))
    with transaction(node.sessions) as session:
        audit_act(
            session,
            node,
            principal,
            "screening.query_batch",
            "person",
            {
                "travellers": len(rows),
                "fields": dict(sorted(fields.items())),
                "with_candidates": sum(bool(s.candidates) for s in out),
                "records": sorted(records),
                "partners": sorted(partners),
            },
        )
    return out


def _ask_partner(
    node: Node, principal: Principal, peer: str, traveller: dict[str, str]
) -> dict[str, Any]:
    from alianza.exchange import flows as exchange

    if traveller["given_names"] and traveller["surname_1"] and traveller["birth_date"]:
        kind, values = "person", {k: traveller[k] for k in PERSON_QUERY}
    elif traveller["document_number"]:
        # No name and birth date to ask by: the document is the question.
        kind, values = "document", {"number": traveller["document_number"]}
    else:
        return {
            "result": "ERROR",
            "error": "para consultar al socio hacen falta nombre, apellido y fecha de "
            "nacimiento, o un documento",
        }
    try:
        [answer] = exchange.query_peers(
            node,
            principal=principal,
            kind=kind,
            values=values,
            purpose="border_control",
            only=peer,
            log_values=False,
        )
    except AlianzaError as exc:
        return {"result": "ERROR", "error": exc.message}
    return {k: answer.get(k) for k in ("result", "hits", "error", "agency") if k in answer}


def screen_list(
    screener: Screener,
    *,
    principal: Principal,
    travellers: Iterable[dict[str, str]],
    source: str,
    threshold: float = 0.5,
) -> Any:
    """Screen a passenger list; audited (which of our records it matched) before the
    caller discloses anything."""
    from alianza.screening.batch import screen_batch  # Splink and pandas: only for a list

    rows = list(travellers)
    found = screen_batch(screener, principal=principal, travellers=rows, threshold=threshold)
    with transaction(screener.node.sessions) as session:
        audit_act(
            session,
            screener.node,
            principal,
            "screening.batch",
            source,
            {
                "travellers": len(rows),
                "candidates": len(found),
                "records": sorted({r for r in found["record_id"] if not r.startswith("socio:")}),
            },
        )
    return found
