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

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text
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
    # The departure (``INPUT.json`` id) the case is scheduled on; its manifests list it.
    departure: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # When its personal data was erased (retention or a request): the case stays as a
    # counted shell, its members' names, documents and dates gone.
    erased_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


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


class SentManifest(Base):
    """A manifest this node sent: one departure's persons, for one country's leg, to one
    partner node, signed; kept with the partner's signed receipt (``manifests.py``)."""

    __tablename__ = "corridor_manifests_sent"
    __table_args__ = (Index("ix_manifests_sent_owner", "owner_country", "owner_agency"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_country: Mapped[str] = mapped_column(String(2))
    owner_agency: Mapped[str] = mapped_column(String(80))
    peer_node: Mapped[str] = mapped_column(String(64))
    to_country: Mapped[str] = mapped_column(String(2))
    to_agency: Mapped[str] = mapped_column(String(80))
    departure: Mapped[str] = mapped_column(String(64))
    leg_date: Mapped[dt.date] = mapped_column(Date)
    purpose: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)
    member_ids: Mapped[str] = mapped_column(Text)  # JSON list: whose data left with it
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON, as signed
    signature: Mapped[str] = mapped_column(String(256))
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # pending | acknowledged
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    receipt: Mapped[str | None] = mapped_column(Text, nullable=True)  # the signed receipt
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )


class ReceivedManifest(Base):
    """A manifest a partner sent this node: a one-off disclosure for one leg, never a
    record (so never in anyone's sync feed), erased when its retention date passes."""

    __tablename__ = "corridor_manifests_received"
    __table_args__ = (Index("ix_manifests_received_owner", "owner_country", "owner_agency"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_country: Mapped[str] = mapped_column(String(2))  # the receiving agency
    owner_agency: Mapped[str] = mapped_column(String(80))
    from_node: Mapped[str] = mapped_column(String(64))
    from_country: Mapped[str] = mapped_column(String(2))
    from_agency: Mapped[str] = mapped_column(String(80))
    departure: Mapped[str] = mapped_column(String(64))
    leg_date: Mapped[dt.date] = mapped_column(Date)
    purpose: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)
    persons: Mapped[int] = mapped_column(Integer)
    payload: Mapped[str | None] = mapped_column(Text, nullable=True)  # None once erased
    signature: Mapped[str] = mapped_column(String(256))
    sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    retain_until: Mapped[dt.date] = mapped_column(Date)
    erased_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Checkin(Base):
    """One sighting of a person on the corridor (boarded, crossed, arrived, missing,
    medical incident), made at a node (often a border post's, offline) and kept as made:
    the id is given where it was made, so a sync that runs twice stores it once."""

    __tablename__ = "corridor_checkins"
    __table_args__ = (Index("ix_checkins_person", "person"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_country: Mapped[str] = mapped_column(String(2))
    owner_agency: Mapped[str] = mapped_column(String(80))
    person: Mapped[str] = mapped_column(String(64))  # the manifest's ref (a member id)
    manifest_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    kind: Mapped[str] = mapped_column(String(20))
    stop: Mapped[str] = mapped_column(String(128))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(120))
    made_at_node: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))  # of what was seen (for changed copies)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # At the node where it was made: when its national node acknowledged it.
    pushed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    push_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class CheckinConflict(Base):
    """Two check-ins of the same person that cannot both be true, kept for a person to
    settle (never "last write wins": both check-ins stay as they were made)."""

    __tablename__ = "corridor_checkin_conflicts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_country: Mapped[str] = mapped_column(String(2))
    owner_agency: Mapped[str] = mapped_column(String(80))
    person: Mapped[str] = mapped_column(String(64), index=True)
    first_id: Mapped[str] = mapped_column(String(36))
    second_id: Mapped[str] = mapped_column(String(36))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # open | settled
    found_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    settled_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    settled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decision: Mapped[str | None] = mapped_column(Text, nullable=True)


class Breach(Base):
    """A personal-data breach: when it was found, what and whom it touched, what was done,
    and when the authority was told (Ecuador's LOPDP art. 43: within 5 days)."""

    __tablename__ = "corridor_breaches"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_country: Mapped[str] = mapped_column(String(2))
    owner_agency: Mapped[str] = mapped_column(String(80))
    discovered_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    description: Mapped[str] = mapped_column(Text)
    data_categories: Mapped[str] = mapped_column(Text)
    persons_affected: Mapped[int] = mapped_column(Integer)
    measures: Mapped[str] = mapped_column(Text)
    reported_by: Mapped[str] = mapped_column(String(120))
    notify_by: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    notified_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    notified_to: Mapped[str | None] = mapped_column(Text, nullable=True)
