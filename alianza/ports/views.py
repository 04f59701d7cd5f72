"""``/api/v1/ports``: the day's inspection list with each container's reasons, and fixing
it (``daily.py``, as the console's page); seizures that name our containers, and a
person's decision that turns one into a label (``store.py``). Port analysts and
supervisors only."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from alianza.auth.permissions import Principal
from alianza.ports import daily, store
from alianza.ports.models import SeizureLink
from alianza.web.deps import NodeDep, require, unit

router = APIRouter(prefix="/api/v1/ports", tags=["puertos"])
Targeter = Annotated[Principal, require(store.TARGET)]


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000, description="Por qué no corresponde")


LOCODE = r"^[A-Z]{2}[A-Z2-9]{3}$"


class FixIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day: date = Field(description="Día de la lista (AAAA-MM-DD)")
    port: str | None = Field(None, pattern=LOCODE, description="Solo este puerto (UN/LOCODE)")


@router.get("/inspections", summary="Lista de inspección del día, con las razones de cada una")
def inspections(
    node: NodeDep,
    principal: Targeter,
    day: Annotated[date | None, Query(description="Por defecto, el último día guardado")] = None,
    port: Annotated[str | None, Query(pattern=LOCODE)] = None,
) -> dict[str, Any]:
    with unit(node) as session:
        found = daily.inspections(session, node=node, principal=principal, day=day, port=port)
    return {
        "day": found.day.isoformat() if found.day else None,
        "declarations": found.declarations,
        "ports": found.ports,
        "model": found.model,
        "recorded": found.recorded,
        "inspections": found.rows,
    }


@router.post("/inspections/fix", summary="Fijar la lista: cada elegida guarda su probabilidad")
def fix_inspections(body: FixIn, node: NodeDep, principal: Targeter) -> dict[str, Any]:
    with unit(node) as session:
        count = daily.fix_list(
            session, node=node, principal=principal, day=body.day, port=body.port
        )
    return {"day": body.day.isoformat(), "selected": count}


def _out(link: SeizureLink) -> dict[str, Any]:
    return {
        "id": link.id,
        "status": link.status,
        "seizure_id": link.seizure_id,
        "declaration_id": link.declaration_id,
        "container_number": link.container_number,
        "seizure_origin": link.seizure_origin,
        "decided_by": link.decided_by,
        "reason": link.reason,
    }


@router.post("/links/propose", summary="Proponer vínculos incautación-declaración")
def propose(node: NodeDep, principal: Targeter) -> dict[str, Any]:
    with unit(node) as session:
        made = store.propose_links(session, node=node, principal=principal)
        return {"proposed": [_out(link) for link in made]}


@router.get("/links", summary="Vínculos de la agencia")
def list_links(node: NodeDep, principal: Targeter, status: str | None = None) -> dict[str, Any]:
    with unit(node) as session:
        return {
            "links": [_out(x) for x in store.links(session, principal=principal, status=status)]
        }


@router.post("/links/{link_id}/confirm", summary="Confirmar: la declaración queda etiquetada")
def confirm(link_id: str, node: NodeDep, principal: Targeter) -> dict[str, Any]:
    with unit(node) as session:
        link = store.decide_link(
            session, node=node, principal=principal, link_id=link_id, confirm=True
        )
        return _out(link)


@router.post("/links/{link_id}/reject", summary="Rechazar (nunca será una etiqueta)")
def reject(link_id: str, body: RejectIn, node: NodeDep, principal: Targeter) -> dict[str, Any]:
    with unit(node) as session:
        link = store.decide_link(
            session,
            node=node,
            principal=principal,
            link_id=link_id,
            confirm=False,
            reason=body.reason,
        )
        return _out(link)
