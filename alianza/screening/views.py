"""``POST /api/v1/screen``: one traveller against the watch list, for a border post;
``POST /api/v1/screen/batch``: up to ``MAX_BATCH`` travellers against the same list."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from alianza.auth.permissions import Principal
from alianza.screening.flows import screen, screen_many
from alianza.screening.service import SCREEN, Screener
from alianza.web.deps import require

router = APIRouter(tags=["control fronterizo"])
MAX_BATCH = 10_000


class TravellerIn(BaseModel):
    """A traveller: fields as read from the document."""

    model_config = ConfigDict(extra="forbid")

    given_names: str | None = Field(default=None, max_length=200)
    surname_1: str | None = Field(default=None, max_length=200)
    surname_2: str | None = Field(default=None, max_length=200)
    birth_date: str | None = Field(default=None, description="AAAA-MM-DD")
    sex: str | None = Field(default=None, description="M o F")
    nationality: str | None = Field(default=None, description="ISO 3166 alfa-2")
    document_type: str | None = Field(
        default=None, description="CI_VE, CI_EC, RUT_CL, DNI_PE, CC_CO, PASSPORT"
    )
    document_number: str | None = Field(default=None, max_length=40)


class ScreenIn(TravellerIn):
    """A traveller: fields as read from the document, and/or its raw MRZ."""

    mrz: str | None = Field(
        default=None, max_length=200, description="Zona MRZ (TD1 o TD3), líneas separadas"
    )
    limit: int = Field(default=10, ge=1, le=50)
    ask_partners: bool = Field(
        default=True, description="Consultar (hit/no-hit) a los socios dueños de un candidato"
    )


class ScreenOut(BaseModel):
    traveller: dict[str, str]
    document_checks: list[str]
    candidates: list[dict[str, Any]]


@router.post("/api/v1/screen", response_model=ScreenOut, summary="Control de un viajero")
def screen_traveller(
    body: ScreenIn, request: Request, principal: Annotated[Principal, require(SCREEN)]
) -> ScreenOut:
    screener: Screener = request.app.state.screener
    values = body.model_dump(exclude={"mrz", "limit", "ask_partners"})
    result = screen(
        screener,
        principal=principal,
        values=values,
        mrz=body.mrz,
        limit=body.limit,
        ask_partners=body.ask_partners,
    )
    return ScreenOut(
        traveller=result.traveller,
        document_checks=result.document_checks,
        candidates=[c.as_dict() for c in result.candidates],
    )


class ScreenBatchIn(BaseModel):
    """A list of travellers (a manifest), each as in ``POST /api/v1/screen`` without MRZ."""

    model_config = ConfigDict(extra="forbid")

    travellers: list[TravellerIn] = Field(min_length=1, max_length=MAX_BATCH)
    limit: int = Field(default=10, ge=1, le=50)


class ScreenedOut(BaseModel):
    traveller: dict[str, str]
    candidates: list[dict[str, Any]]


class ScreenBatchOut(BaseModel):
    results: list[ScreenedOut]


@router.post("/api/v1/screen/batch", response_model=ScreenBatchOut, summary="Control de una lista")
def screen_travellers(
    body: ScreenBatchIn, request: Request, principal: Annotated[Principal, require(SCREEN)]
) -> Response:
    """Each traveller ranked as by ``POST /api/v1/screen``, in one call and one audit entry.

    Partners are not asked about anyone in a list: a partner's candidate comes back with
    ``result: NO_CONSULTADO`` (ask ``POST /api/v1/screen`` for the ones that matter).
    """
    screener: Screener = request.app.state.screener
    found = screen_many(
        screener,
        principal=principal,
        travellers=[t.model_dump() for t in body.travellers],
        limit=body.limit,
    )
    # ``ScreenBatchOut``'s shape, serialised once by orjson: FastAPI's own path (validate
    # the response model, ``jsonable_encoder``, ``json.dumps``) walked every candidate's
    # explanation three times, about a tenth of a 10,000-traveller list's time.
    results = [
        {"traveller": s.traveller, "candidates": [c.as_dict() for c in s.candidates]} for s in found
    ]
    return Response(orjson.dumps({"results": results}), media_type="application/json")
