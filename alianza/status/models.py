"""Regularisation casework on the node: applications, the rules' evaluations, the
decisions of persons, every change of status and the evidence's metadata
(``applications.py`` and ``decisions.py`` are the only writers).

An application belongs to the agency that registered it (``policy.APPLICATION_RULE``).
Its columns are the APPLICATIONS.csv contract's (``contract.py``), so the rules read a
stored application exactly as they read a row of a file: code lists (``documents``,
``family_ties``, ``flags``) as ``;``-separated codes, ``true/false`` cells as nullable
booleans (empty: unknown). An evaluation, a decision and an event are only ever added:
an appeal reopens the case and keeps what came before.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from alianza.db import Base


class Application(Base):
    """One person's application to a regularisation programme."""

    __tablename__ = "status_applications"
    __table_args__ = (Index("ix_status_applications_owner", "owner_country", "owner_agency"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    reference: Mapped[str] = mapped_column(String(128))  # the contract's application_id
    country: Mapped[str] = mapped_column(String(2))
    programme: Mapped[str] = mapped_column(String(64))
    # The version in force on the application date: a later decree never changes it.
    programme_version: Mapped[str] = mapped_column(String(32))
    owner_country: Mapped[str] = mapped_column(String(2))
    owner_agency: Mapped[str] = mapped_column(String(80))
    given_names: Mapped[str] = mapped_column(String(200))
    surname_1: Mapped[str] = mapped_column(String(200))
    surname_2: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    nationality: Mapped[str] = mapped_column(String(2))
    document_type: Mapped[str] = mapped_column(String(16))
    document_number: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    document_expiry: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    entry_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    application_date: Mapped[dt.date] = mapped_column(Date)
    entry_regular: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    documents: Mapped[str] = mapped_column(Text)
    criminal_record_declared: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    pending_criminal_case: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    family_ties: Mapped[str] = mapped_column(Text)
    work_contract: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    flags: Mapped[str] = mapped_column(Text)
    household_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    status_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The final outcome, once a person decided and (for a refusal) a supervisor signed.
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Evaluation(Base):
    """What the rules recommended, under which version, with its explanation."""

    __tablename__ = "status_evaluations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("status_applications.id"), index=True)
    programme_version: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))
    failed_conditions: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str] = mapped_column(Text)
    evaluated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Decision(Base):
    """A person's decision on an evaluation: confirmed or overridden, with a reason; a
    refusal (and an override of a refusal) waits for a supervisor's sign-off."""

    __tablename__ = "status_decisions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("status_applications.id"), index=True)
    evaluation_id: Mapped[str] = mapped_column(ForeignKey("status_evaluations.id"))
    by: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    decision: Mapped[str] = mapped_column(String(16))  # confirm | override
    outcome: Mapped[str] = mapped_column(String(16))  # eligible | not_eligible
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    needs_sign_off: Mapped[bool] = mapped_column(Boolean)
    signed_off_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    signed_off_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    # Marked for removal: only with a criminal hit a person confirmed, never with a
    # protection block (``decisions.decide``).
    removal: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the applicant was first given the decision letter: the appeal period runs from
    # then (``decisions.appeal``).
    notified_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Event(Base):
    """One change of an application's status: who, in which role, when and why."""

    __tablename__ = "status_events"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("status_applications.id"), index=True)
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    by: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text)


class Evidence(Base):
    """An evidence file's metadata (the file itself stays with the agency's records)."""

    __tablename__ = "status_evidence"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("status_applications.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # a document code of the vocabulary
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    added_by: Mapped[str] = mapped_column(String(120))
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Check(Base):
    """One hit/no-hit check of an applicant at one node (this node or a partner): which
    question, with which purpose and legal basis, what it answered, and a person's review
    of a hit. Only the answer is kept: a hit's references are opaque, never the data."""

    __tablename__ = "status_checks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("status_applications.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # criminal_record | document_alert
    node_id: Mapped[str] = mapped_column(String(64))  # the node asked (this one, or a peer)
    node_country: Mapped[str] = mapped_column(String(2))
    node_agency: Mapped[str] = mapped_column(String(80))
    purpose: Mapped[str] = mapped_column(String(40))
    legal_basis: Mapped[str] = mapped_column(String(300))
    result: Mapped[str] = mapped_column(String(10))  # HIT | NO_HIT | ERROR | NOT_ASKED
    # HIT: the references the node handed out (a partner's opaque ones; this node's record
    # ids), ';'-separated. ERROR / NOT_ASKED: why.
    refs: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text)
    release_request_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    asked_by: Mapped[str] = mapped_column(String(120))
    asked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # A person's review of a hit: cleared (not the same person) or confirmed.
    review: Mapped[str | None] = mapped_column(String(12), nullable=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    reviewed_role: Mapped[str | None] = mapped_column(String(20), nullable=True)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    review_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
