"""Records (current state), their signed versions (append-only) and search keys."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from alianza.db import Base


class Record(Base):
    """The current state of a record: owner, rules used for filtering, latest version."""

    __tablename__ = "records"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # no index: low selectivity, see origin
    owner_country: Mapped[str] = mapped_column(String(2))
    owner_agency: Mapped[str] = mapped_column(String(80))
    # The node that owns the record: this node, or the peer a received copy came from.
    # Not indexed on purpose: nearly every row shares one value, and an index on it lured
    # SQLite's planner away from the selective search-key index (23 ms instead of 0.3 ms).
    origin: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    handling_code: Mapped[str] = mapped_column(String(2))
    scope: Mapped[str] = mapped_column(String(10))
    # ",EC,PE," so that one LIKE '%,CL,%' tells whether a country is named.
    scope_countries: Mapped[str] = mapped_column(String(200), default="")
    # Who may learn by hit/no-hit that it exists (never narrower than the scope).
    discoverable: Mapped[str] = mapped_column(String(10), default="none")
    discoverable_countries: Mapped[str] = mapped_column(String(200), default="")
    review_date: Mapped[date] = mapped_column(Date, index=True)
    label: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_records_owner", "owner_country", "owner_agency"),)


class RecordVersion(Base):
    """One signed version. Never updated, except that retention may redact ``data``."""

    __tablename__ = "record_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id"))
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    owner_country: Mapped[str] = mapped_column(String(2))
    owner_agency: Mapped[str] = mapped_column(String(80))
    tombstone: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[str | None] = mapped_column(Text, nullable=True)  # canonical JSON
    rules: Mapped[str] = mapped_column(Text)  # canonical JSON
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(40))  # ISO-8601 UTC, signed as text
    author: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(String(500), default="")
    signer: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))

    __table_args__ = (
        Index("uq_record_versions_record_version", "record_id", "version", unique=True),
    )


class RecordKey(Base):
    """Normalised search keys of a record's current version (``doc:12345678-5``, ``tok:perez``)."""

    __tablename__ = "record_keys"

    record_id: Mapped[str] = mapped_column(ForeignKey("records.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)

    __table_args__ = (Index("ix_record_keys_key", "key"),)


class RecordFeatures(Base):
    """Comparison features of a person version, computed once when the version is written.

    Derived data, owned by screening (``screening/stored.py``): the watch list reads them
    instead of parsing a million names at start-up (issue 11). ``revision`` fingerprints
    the code that computed them; rows of another revision are recomputed, never trusted.
    A trigger (migration 0006) deletes them when their version's data is redacted.
    """

    __tablename__ = "record_features"

    record_id: Mapped[str] = mapped_column(ForeignKey("records.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[str] = mapped_column(String(32))
    features: Mapped[str] = mapped_column(Text)  # JSON: one list of values per way


# Core tables for bulk inserts (an ORM object per row costs more than the row itself).
RECORDS = Base.metadata.tables["records"]
RECORD_VERSIONS = Base.metadata.tables["record_versions"]
RECORD_KEYS = Base.metadata.tables["record_keys"]
RECORD_FEATURES = Base.metadata.tables["record_features"]
