"""API edge models for records (storage stays in SQLAlchemy, logic in the service)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from alianza.records.rules import Rules


class RecordCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(
        description="person, document, vehicle, vessel, container, organisation, seizure"
    )
    data: dict[str, Any]
    rules: Rules
    reason: str = Field(default="", max_length=500)


class RecordUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data: dict[str, Any]
    rules: Rules
    expected_version: int | None = Field(default=None, description="refuse if the record moved on")
    reason: str = Field(default="", max_length=500)


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


class RenewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)
    until: date | None = None


class OwnerRead(BaseModel):
    country: str
    agency: str


class SignatureRead(BaseModel):
    signer: str
    value: str
    content_hash: str


class RecordRead(BaseModel):
    id: str
    kind: str
    owner: OwnerRead
    version: int
    deleted: bool
    label: str
    rules: dict[str, Any]
    data: dict[str, Any]
    created_at: str
    updated_at: str
    signature: SignatureRead


class VersionRead(BaseModel):
    version: int
    tombstone: bool
    redacted: bool
    created_at: str
    author: str
    reason: str
    rules: dict[str, Any]
    data: dict[str, Any] | None
    content_hash: str
    signer: str
    signature: str


class ReviewItem(BaseModel):
    id: str
    kind: str
    label: str
    review_date: date


class ImportSummary(BaseModel):
    created: int
    updated: int
    unchanged: int
