"""Return casework on the node: one case per household, its members, their informed
consents and every change of status (``casework.py`` is the only writer).

A case belongs to the agency that registered it (``policy.CASE_RULE``): a household's
protection details are seen by its caseworkers and supervisors only, never by another
agency and never by the police roles. ``flags`` keeps the member's protection flags as
JSON text (``blocks.py`` reads them); ``is_minor`` is fixed when the member is
registered, from the birth date, so a consent rule does not change meaning as the case
ages (a minor's consent was given by a guardian, and stays valid).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from alianza.db import Base


class ReturnCase(Base):
    """One household's voluntary return, from registration to follow-up."""

    __tablename__ = "return_cases"
    __table_args__ = (Index("ix_return_cases_owner", "owner_country", "owner_agency"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    reference: Mapped[str] = mapped_column(String(128))  # the household's external id
    origin: Mapped[str] = mapped_column(String(128))
    ready_date: Mapped[dt.date] = mapped_column(Date)
    priority: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(20))
    status_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    owner_country: Mapped[str] = mapped_column(String(2))
    owner_agency: Mapped[str] = mapped_column(String(80))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ReturnMember(Base):
    """A person of the household."""

    __tablename__ = "return_members"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("return_cases.id"), index=True)
    person_ref: Mapped[str] = mapped_column(String(128))  # the member's id in the file
    given_names: Mapped[str] = mapped_column(String(200))
    surname_1: Mapped[str] = mapped_column(String(200))
    surname_2: Mapped[str | None] = mapped_column(String(200), nullable=True)
    birth_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    document_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    nationality: Mapped[str | None] = mapped_column(String(2), nullable=True)
    flags: Mapped[str] = mapped_column(Text)  # JSON list of protection flags
    is_minor: Mapped[bool] = mapped_column(Boolean)


class ReturnConsent(Base):
    """An informed consent, given after counselling on a version of the information sheet."""

    __tablename__ = "return_consents"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("return_cases.id"), index=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("return_members.id"))
    sheet_version: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(16))
    counsellor: Mapped[str] = mapped_column(String(120))
    witness: Mapped[str | None] = mapped_column(String(120), nullable=True)
    # For a minor: the adult member of the same case who consents for the child.
    guardian_member_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    given_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    confirmed_at_boarding: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )


class ReturnEvent(Base):
    """One change of a case's status: who, in which role, when and why."""

    __tablename__ = "return_events"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("return_cases.id"), index=True)
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    by: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text)
