"""API edge models for users and tokens."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)


class TokenRead(BaseModel):
    token: str
    expires_at: datetime


class TokenCreate(BaseModel):
    """A token issued by an administrator; without ``days``, the node's default lifetime."""

    model_config = ConfigDict(extra="forbid")

    days: int | None = Field(default=None, ge=1, le=365)


class TokensRevoked(BaseModel):
    username: str
    # Tokens that were still valid and are now revoked.
    revoked: int


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(max_length=80)
    full_name: str = Field(default="", max_length=200)
    country: str = Field(max_length=80)
    agency: str = Field(max_length=80)
    role: str = Field(max_length=40)
    password: str | None = Field(default=None, max_length=200)


class UserRead(BaseModel):
    username: str
    full_name: str
    country: str
    agency: str
    role: str
    active: bool
