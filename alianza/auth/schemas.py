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


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str
    full_name: str = ""
    country: str
    agency: str
    role: str
    password: str | None = None


class UserRead(BaseModel):
    username: str
    full_name: str
    country: str
    agency: str
    role: str
    active: bool
