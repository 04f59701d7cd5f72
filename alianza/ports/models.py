"""The port unit's tables: the export declarations it holds, and the links between a
seizure (ours or a partner's) and one of those declarations, which become labels only
when an analyst confirms them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from alianza.db import Base


class PortDeclaration(Base):
    """One export declaration, as the contract writes it, held by one agency."""

    __tablename__ = "port_declarations"
    __table_args__ = (
        Index("ix_port_declarations_container", "container_number"),
        Index("ix_port_declarations_date", "date"),
    )

    declaration_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date)
    port: Mapped[str] = mapped_column(String(5))
    exporter_id: Mapped[str] = mapped_column(String(64))
    declarant_id: Mapped[str] = mapped_column(String(64))
    hs_code: Mapped[str] = mapped_column(String(10))
    destination_country: Mapped[str] = mapped_column(String(2))
    destination_port: Mapped[str] = mapped_column(String(5), default="")
    transshipment_port: Mapped[str] = mapped_column(String(5), default="")
    container_number: Mapped[str] = mapped_column(String(11))
    container_type: Mapped[str] = mapped_column(String(6))
    gross_weight_kg: Mapped[float] = mapped_column(Float)
    declared_value_usd: Mapped[float] = mapped_column(Float)
    vessel_imo: Mapped[str] = mapped_column(String(7), default="")
    booking_lead_days: Mapped[int] = mapped_column(Integer)
    # The outcome, once known: inspected here (and what was found), or a confirmed seizure.
    inspected: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    illicit: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    label_source: Mapped[str | None] = mapped_column(String(12), nullable=True)
    # When a daily selection chose it: the day and the probability it had of being chosen
    # (1 for the top of the list, the exploration share's draw otherwise).
    selected_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    selection_probability: Mapped[float | None] = mapped_column(Float, nullable=True)
    owner_country: Mapped[str] = mapped_column(String(2))
    owner_agency: Mapped[str] = mapped_column(String(80))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SeizureLink(Base):
    """A seizure that names one of our declarations' containers: proposed by the node,
    decided by a person (``confirmed`` makes it a label, ``rejected`` never does)."""

    __tablename__ = "seizure_links"
    __table_args__ = (Index("ix_seizure_links_pair", "seizure_id", "declaration_id", unique=True),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    seizure_id: Mapped[str] = mapped_column(String(36))  # the seizure record
    declaration_id: Mapped[str] = mapped_column(String(64), index=True)
    container_number: Mapped[str] = mapped_column(String(11))
    seizure_origin: Mapped[str] = mapped_column(String(120))  # "local" or the partner node
    status: Mapped[str] = mapped_column(String(10), default="proposed")
    proposed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    owner_country: Mapped[str] = mapped_column(String(2))
    owner_agency: Mapped[str] = mapped_column(String(80))
