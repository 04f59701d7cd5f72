"""Tables of the exchange: peers, replay protection, cursors, receipts, hits, releases,
consent requests and witnessed checkpoints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from alianza.db import Base
from alianza.records.models import Record


class Peer(Base):
    """A partner node registered explicitly, like a bilateral interface."""

    __tablename__ = "peers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_id: Mapped[str] = mapped_column(String(64), unique=True)
    country: Mapped[str] = mapped_column(String(2))
    agency: Mapped[str] = mapped_column(String(80))
    url: Mapped[str] = mapped_column(String(300))
    public_key: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Puller side: the last feed position of this peer stored here (committed per page).
    pull_cursor: Mapped[int] = mapped_column(Integer, default=0)
    last_sync_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    # Owner side: the furthest feed position this node has served to the peer.
    served_cursor: Mapped[int] = mapped_column(Integer, default=0)


class PendingAck(Base):
    """Puller side: deletions applied here whose receipt the owner has not yet received."""

    __tablename__ = "pending_acks"

    peer_node: Mapped[str] = mapped_column(String(64), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)


class SeenNonce(Base):
    """Nonces of accepted messages, kept for the freshness window (replay protection)."""

    __tablename__ = "seen_nonces"

    sender: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class FeedRetraction(Base):
    """Owner side: a peer lost sight of a record (scope narrowed); it must drop its copy."""

    __tablename__ = "feed_retractions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer)
    peer_node: Mapped[str] = mapped_column(String(64))
    at: Mapped[str] = mapped_column(String(40))
    signature: Mapped[str] = mapped_column(String(128))


class DeletionReceipt(Base):
    """Owner side: a peer's signed acknowledgement that it applied a tombstone or retraction."""

    __tablename__ = "deletion_receipts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    peer_node: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[str] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    message: Mapped[str] = mapped_column(Text)  # the signed envelope, kept as proof
    signature: Mapped[str] = mapped_column(String(128))

    __table_args__ = (
        Index("uq_deletion_receipts_peer_record", "peer_node", "record_id", "version", unique=True),
    )


class HitReference(Base):
    """Owner side: an opaque reference handed out in a HIT, resolvable only here."""

    __tablename__ = "hit_references"

    ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id"))
    peer_node: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReleaseRequest(Base):
    """Step 2 of Prüm: a request for a record's fields, seen from either side.

    ``direction`` is ``out`` on the asking node and ``in`` on the owning node; both keep
    the same ``request_id``. A person at the owning node decides; the answer is signed.
    """

    __tablename__ = "release_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(36))
    direction: Mapped[str] = mapped_column(String(3))
    peer_node: Mapped[str] = mapped_column(String(64))
    ref: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[str | None] = mapped_column(String(36), nullable=True)  # owner side
    kind: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(200))
    legal_basis: Mapped[str] = mapped_column(String(300))
    requested_by: Mapped[str] = mapped_column(String(120))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # pending, approved, refused; after approval: retracted (the owner withdrew it; asking
    # side: copy erased, receipt not yet confirmed), erased (receipt stored at the owner),
    # expired (the owner's review date passed: the asking side erased its copy).
    status: Mapped[str] = mapped_column(String(12), index=True)
    decided_by: Mapped[str] = mapped_column(String(120), default="")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reason: Mapped[str] = mapped_column(String(500), default="")
    removed_fields: Mapped[str] = mapped_column(String(500), default="")
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)  # signed answer (JSON)
    # After a retraction: the asking node's signed receipt that it erased its copy (kept on
    # both sides; on the asking side until the owner confirms it stored it).
    receipt: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The record asked for, on the owner's side (no foreign key: the asking side has none).
    record: Mapped[Record | None] = relationship(
        primaryjoin="foreign(ReleaseRequest.record_id) == Record.id", viewonly=True
    )

    __table_args__ = (
        Index("uq_release_requests_request_direction", "request_id", "direction", unique=True),
    )


class ConsentRequest(Base):
    """Re-sharing a partner's record with a third country: a signed request to its owner."""

    __tablename__ = "consent_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(36))
    direction: Mapped[str] = mapped_column(String(3))
    peer_node: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[str] = mapped_column(String(36))
    third_country: Mapped[str] = mapped_column(String(2))
    purpose: Mapped[str] = mapped_column(String(200))
    requested_by: Mapped[str] = mapped_column(String(120))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(12))
    decided_by: Mapped[str] = mapped_column(String(120), default="")
    reason: Mapped[str] = mapped_column(String(500), default="")
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Ours on the owner's side, the partner's copy on the asking side.
    record: Mapped[Record | None] = relationship(
        primaryjoin="foreign(ConsentRequest.record_id) == Record.id", viewonly=True
    )

    __table_args__ = (
        Index("uq_consent_requests_request_direction", "request_id", "direction", unique=True),
    )


class WitnessedCheckpoint(Base):
    """A peer's signed audit checkpoint that this node countersigned (we are its witness)."""

    __tablename__ = "witnessed_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    peer_node: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    head: Mapped[str] = mapped_column(String(64))
    peer_signature: Mapped[str] = mapped_column(String(128))
    witnessed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("uq_witnessed_checkpoints_peer_seq", "peer_node", "seq", unique=True),)


class CheckpointWitness(Base):
    """A peer's countersignature on one of our checkpoints."""

    __tablename__ = "checkpoint_witnesses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    head: Mapped[str] = mapped_column(String(64))
    witness_node: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("uq_checkpoint_witnesses_seq_witness", "seq", "witness_node", unique=True),
    )
