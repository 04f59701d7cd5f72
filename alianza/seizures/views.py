"""``/api/v1/seizures``: the seizures a user may see, in UNODC's IDS layout or as JSON,
and their aggregates by month, port, route or substance (no personal data)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Response
from fastapi.responses import PlainTextResponse

from alianza.auth.permissions import Principal
from alianza.seizures import service
from alianza.web.deps import NodeDep, require, unit

router = APIRouter(prefix="/api/v1/seizures", tags=["incautaciones"])
Reporter = Annotated[Principal, require(service.REPORT)]


class Format(StrEnum):
    IDS = "ids"
    CSV = "csv"
    JSON = "json"


class Group(StrEnum):
    MONTH = "month"
    PORT = "port"
    ROUTE = "route"
    SUBSTANCE = "substance"


_EXPORTED = {"schema": {"type": "string"}}


# ``Response``: the OpenAPI names the two media types sent, not a text/plain never sent.
@router.get(
    "/export",
    response_class=Response,
    responses={
        200: {
            "description": "CSV (IDS o completo) o JSON, según ``format``",
            "content": {
                "text/csv": _EXPORTED,
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            },
        }
    },
    summary="Exportar incautaciones",
)
def export_seizures(
    node: NodeDep, principal: Reporter, format: Format = Format.IDS
) -> PlainTextResponse:
    chunks: list[str] = []
    with unit(node) as session:
        service.export(
            session, node=node, principal=principal, fmt=format.value, write=chunks.append
        )
    media = "application/json" if format is Format.JSON else "text/csv"
    return PlainTextResponse("".join(chunks), media_type=media)


@router.get("/aggregates", summary="Incautaciones por mes, puerto, ruta o sustancia")
def seizure_aggregates(
    node: NodeDep, principal: Reporter, by: Group = Group.MONTH
) -> dict[str, Any]:
    with unit(node) as session:
        rows = service.aggregates(session, node=node, principal=principal, by=by.value)
    return {"by": by.value, "groups": rows}
