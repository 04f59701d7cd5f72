"""Audit entries (append-only, hash-chained), the signed head, signed checkpoints, and the
counters that stand in for entries about messages nobody could be held to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from alianza.db import Base


class AuditEntry(Base):
    """One audited act. ``entry_hash`` covers every field and the previous entry's hash."""

    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40))  # ISO-8601 UTC, hashed as text
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60), index=True)
    target: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text)  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """Single row holding the chain's head; updating it serialises appends.

    Every append re-signs the head (``signature`` over node, seq, hash and ``signed_at``),
    so an entry added, edited or removed after the last checkpoint without the node's key
    leaves a head whose signature no longer verifies.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    entry_hash: Mapped[str] = mapped_column(String(64))
    since_checkpoint: Mapped[int] = mapped_column(Integer)
    signed_at: Mapped[str] = mapped_column(String(40), default="")  # ISO-8601 UTC, signed
    signature: Mapped[str] = mapped_column(String(128), default="")


class AuditCheckpoint(Base):
    """The node's signature over the chain head at ``seq``."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, index=True)
    entry_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    signature: Mapped[str] = mapped_column(String(128))


class RefusalCount(Base):
    """Refused messages whose sender could not be verified, counted per hour.

    Anyone can post an unsigned envelope naming a real peer; one audit entry each would
    let outsiders fill the log. They are counted here instead and folded into one audit
    entry per closed hour (``audit.refusals``). ``sender`` is a registered peer's id or
    empty (unknown), so the table grows by at most peers x statuses rows an hour.
    """

    __tablename__ = "audit_refusal_counts"

    window: Mapped[str] = mapped_column(String(40), primary_key=True)  # the hour, ISO UTC
    sender: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
