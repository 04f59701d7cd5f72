"""Records API: thin handlers over ``alianza.records.service``."""

from __future__ import annotations

import io
import json
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import PlainTextResponse

from alianza.auth.permissions import Action, Principal
from alianza.errors import InputError
from alianza.node.context import Node
from alianza.records import csvio, ftm, review
from alianza.records import service as records
from alianza.records.importer import import_items
from alianza.records.rules import HandlingCode, InfoGrade, Scope, SourceGrade
from alianza.records.schemas import (
    ImportSummary,
    ReasonIn,
    RecordCreate,
    RecordRead,
    RecordUpdate,
    RenewIn,
    ReviewItem,
    VersionRead,
)
from alianza.web.deps import NodeDep, require, unit
from alianza.web.offload import run_heavy

router = APIRouter(prefix="/api/v1/records", tags=["registros"])

# Each route's declared action (``web.deps.require``); the service checks the record.
Reader = Annotated[Principal, require(Action.READ)]
Writer = Annotated[Principal, require(Action.WRITE)]
Exporter = Annotated[Principal, require(Action.EXPORT)]
Reviewer = Annotated[Principal, require(Action.REVIEW)]


class Format(StrEnum):
    FTM = "ftm"
    CSV = "csv"


def _read(view: records.RecordView) -> RecordRead:
    return RecordRead.model_validate(view.as_dict())


@router.get("", response_model=list[RecordRead], summary="Buscar registros visibles")
def search_records(
    node: NodeDep,
    principal: Reader,
    q: Annotated[str | None, Query(max_length=200, description="nombre o identificador")] = None,
    kind: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> list[RecordRead]:
    with unit(node) as session:
        views = records.search(
            session, node=node, principal=principal, q=q, kind=kind, limit=limit, offset=offset
        )
        return [_read(v) for v in views]


@router.post("", response_model=RecordRead, status_code=201, summary="Crear un registro")
def create_record(body: RecordCreate, node: NodeDep, principal: Writer) -> RecordRead:
    with unit(node) as session:
        view = records.create_record(
            session,
            node=node,
            principal=principal,
            kind=body.kind,
            data=body.data,
            rules=body.rules,
            reason=body.reason,
        )
        return _read(view)


@router.get("/review-due", response_model=list[ReviewItem], summary="Registros por revisar")
def review_due(node: NodeDep, principal: Reviewer) -> list[ReviewItem]:
    with unit(node) as session:
        rows = review.review_due(session, node=node, principal=principal)
        return [
            ReviewItem(id=r.id, kind=r.kind, label=r.label, review_date=r.review_date) for r in rows
        ]


@router.post("/import", response_model=ImportSummary, summary="Importar FtM (JSON lines) o CSV")
async def import_records(
    request: Request,
    node: NodeDep,
    principal: Writer,
    format: Format = Format.FTM,
    purpose: str | None = None,
    legal_basis: str | None = None,
    handling_code: HandlingCode | None = None,
    source_grade: SourceGrade | None = None,
    info_grade: InfoGrade | None = None,
    scope: Scope | None = None,
) -> ImportSummary:
    raw = await request.body()
    defaults = {
        "purpose": purpose,
        "legal_basis": legal_basis,
        "handling_code": handling_code.value if handling_code else None,
        "source_grade": source_grade.value if source_grade else None,
        "info_grade": info_grade.value if info_grade else None,
        "scope": scope.value if scope else None,
    }
    # Off the event loop, decoding included: a long import must not stop the node
    # answering (partners' hit/no-hit queries have a 30-second timeout).
    return await run_heavy(_import, node, principal, raw, format, defaults)


def _import(
    node: Node, principal: Principal, raw: bytes, format: Format, defaults: dict[str, Any]
) -> ImportSummary:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError.at("body", f"el archivo no es UTF-8 (byte {exc.start})") from None
    # Line by line, as the CLI reads a file (newline=""): one 73 MB split held the
    # interpreter lock for a tenth of a second.
    lines = io.StringIO(text, newline="")
    items = ftm.read_lines(lines) if format is Format.FTM else csvio.read_rows(lines)
    with unit(node) as session:
        result = import_items(
            session,
            node=node,
            principal=principal,
            items=items,
            defaults=defaults,
            source=f"api:{format.value}",
        )
        return ImportSummary(
            created=result.created, updated=result.updated, unchanged=result.unchanged
        )


_EXPORTED = {"schema": {"type": "string"}}


# ``Response``: the OpenAPI then names the two media types sent, not a text/plain never sent.
@router.get(
    "/export",
    response_class=Response,
    responses={
        200: {
            "description": "Líneas FtM (JSON) o CSV, según ``format``",
            "content": {"application/x-ndjson": _EXPORTED, "text/csv": _EXPORTED},
        }
    },
    summary="Exportar lo visible (FtM o CSV)",
)
def export_records(
    node: NodeDep, principal: Exporter, format: Format = Format.FTM, kind: str | None = None
) -> PlainTextResponse:
    chunks: list[str] = []
    with unit(node) as session:
        records.export(
            session,
            node=node,
            principal=principal,
            fmt=format.value,
            kind=kind,
            write=chunks.append,
        )
    body = "".join(chunks)
    media = "application/x-ndjson" if format is Format.FTM else "text/csv"
    return PlainTextResponse(body, media_type=media)


@router.get("/{record_id}", response_model=RecordRead, summary="Leer un registro")
def get_record(record_id: str, node: NodeDep, principal: Reader) -> RecordRead:
    with unit(node) as session:
        return _read(
            records.get_record(session, node=node, principal=principal, record_id=record_id)
        )


@router.put("/{record_id}", response_model=RecordRead, summary="Nueva versión de un registro")
def update_record(
    record_id: str, body: RecordUpdate, node: NodeDep, principal: Writer
) -> RecordRead:
    with unit(node) as session:
        view = records.update_record(
            session,
            node=node,
            principal=principal,
            record_id=record_id,
            data=body.data,
            rules=body.rules,
            expected_version=body.expected_version,
            reason=body.reason,
        )
        return _read(view)


@router.delete("/{record_id}", response_model=RecordRead, summary="Eliminar (lápida firmada)")
def delete_record(record_id: str, body: ReasonIn, node: NodeDep, principal: Writer) -> RecordRead:
    with unit(node) as session:
        view = records.delete_record(
            session, node=node, principal=principal, record_id=record_id, reason=body.reason
        )
        return _read(view)


@router.get("/{record_id}/history", response_model=list[VersionRead], summary="Historial")
def history(record_id: str, node: NodeDep, principal: Reader) -> list[VersionRead]:
    with unit(node) as session:
        rows = records.history(session, node=node, principal=principal, record_id=record_id)
        return [
            VersionRead(
                version=v.version,
                tombstone=v.tombstone,
                redacted=v.data is None and not v.tombstone,
                created_at=v.created_at,
                author=v.author,
                reason=v.reason,
                rules=json.loads(v.rules),
                data=json.loads(v.data) if v.data else None,
                content_hash=v.content_hash,
                signer=v.signer,
                signature=v.signature,
            )
            for v in rows
        ]


@router.post("/{record_id}/renew", response_model=RecordRead, summary="Renovar tras revisión")
def renew(record_id: str, body: RenewIn, node: NodeDep, principal: Reviewer) -> RecordRead:
    with unit(node) as session:
        view = review.renew(
            session,
            node=node,
            principal=principal,
            record_id=record_id,
            reason=body.reason,
            until=body.until,
        )
        return _read(view)
