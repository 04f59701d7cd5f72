"""How a decision is appealed in each country, and by when.

The period runs from the notification: the day the applicant was first given the
decision letter (``Decision.notified_at``, set when the letter is first issued); a
decision whose letter was never issued was never notified, and its period has not
begun. Days are working days: Monday to Friday, less the country's national public
holidays (the ``holidays`` package's calendars of Chile and Ecuador, national holidays
only: a regional holiday does not stop the national services' clock). The refusal names
the deadline, and a person can register a late appeal that the law admits by giving the
date it was actually filed.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta

import holidays


@dataclass(frozen=True, slots=True)
class Appeal:
    """How a decision is appealed in one country (verify against the official text)."""

    remedy: str
    days: int  # working days from the notification
    before: str
    source: str


APPEALS = {
    "CL": Appeal(
        "recurso de reposición (y, en subsidio, jerárquico)",
        5,
        "el Servicio Nacional de Migraciones, en la oficina que dictó esta decisión o en "
        "su sitio web oficial",
        "Ley 19.880, art. 59; Ley 21.325 (a verificar con el texto oficial)",
    ),
    "EC": Appeal(
        "recurso de apelación",
        10,
        "la máxima autoridad del Ministerio de Relaciones Exteriores y Movilidad Humana, en "
        "la oficina que dictó esta decisión",
        "Código Orgánico Administrativo, arts. 219 y 224 (a verificar con el texto oficial)",
    ),
}


def deadline(notified: date, *, country: str) -> date:
    """The last day to appeal a decision notified on ``notified`` (working days)."""
    left, day = APPEALS[country].days, notified
    while left:
        day += timedelta(days=1)
        if working(day, country=country):
            left -= 1
    return day


def working(day: date, *, country: str) -> bool:
    """Whether ``day`` is a working day in ``country`` (not a weekend, not a national
    public holiday)."""
    return day.weekday() < 5 and day not in _holidays(country, day.year)


@functools.cache
def _holidays(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=year))
