"""Dates as alianza accepts them: ISO ``AAAA-MM-DD`` text only, and plausible.

Pydantic's lax mode reads ``0`` or ``"0"`` as 1970-01-01 (a Unix time) and a datetime at
midnight as a date; a record's date is a calendar day typed or exported by a person or a
system, so only the ISO form (or a ``date`` already parsed) is a date here.

"Today" depends on where one stands: a date is "not in the future" when it is not later
than today anywhere on Earth (UTC+14), and "not in the past" when it is not earlier than
today anywhere (UTC-12), so a node in any time zone may write its own local today.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

EARLIEST = date(1900, 1, 1)
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_BAD = "fecha inválida (use AAAA-MM-DD)"


def iso_date(value: Any) -> date:
    """``value`` as a date if it is one or an ISO ``AAAA-MM-DD`` text; else ``ValueError``."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(_BAD)


def latest_today(now: datetime | None = None) -> date:
    """The latest calendar day it is anywhere now (UTC+14)."""
    return ((now or datetime.now(UTC)) + timedelta(hours=14)).date()


def earliest_today(now: datetime | None = None) -> date:
    """The earliest calendar day it is anywhere now (UTC-12)."""
    return ((now or datetime.now(UTC)) - timedelta(hours=12)).date()


def happened(value: date) -> date:
    """A date that has happened: from 1900-01-01 to today, else ``ValueError``."""
    if value < EARLIEST:
        raise ValueError(f"fecha anterior a {EARLIEST.isoformat()}: no es plausible")
    if value > latest_today():
        raise ValueError("fecha futura: no es plausible")
    return value


def not_past(value: date, *, today: date | None = None) -> date:
    """A date that is today or later, else ``ValueError``."""
    if value < (today or earliest_today()):
        raise ValueError("fecha pasada: debe ser hoy o posterior")
    return value


# A strict ISO date, and one that must already have happened (birth, seizure).
IsoDate = Annotated[date, BeforeValidator(iso_date)]
PastDate = Annotated[date, BeforeValidator(iso_date), AfterValidator(happened)]
