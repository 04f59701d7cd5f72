"""``POST /api/v1/screen``: one traveller against the watch list, for a border post."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from alianza.auth.permissions import Principal
from alianza.screening.flows import screen
from alianza.screening.service import SCREEN, Screener
from alianza.web.deps import require

router = APIRouter(tags=["control fronterizo"])


class ScreenIn(BaseModel):
    """A traveller: fields as read from the document, and/or its raw MRZ."""

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
