"""The console's languages: Babel catalogues, and dates and numbers as people write them.

Spanish is the default (msgids are Spanish: the templates read as the page does), English
the other language. The catalogues are the ``.po`` files under ``alianza/web/translations``;
they are compiled in memory when first used (``babel.messages``: a few milliseconds), so no
``.mo`` is committed or built, and a ``.po`` edited is what is served. A ``fuzzy`` entry is
not used. ``tests/web/console/test_i18n.py`` checks that every label of the templates and
pages is in both catalogues and translated in English.

Dates are DD-MM-AAAA in both languages (the region's order: ``03-04-2026`` is 3 April);
numbers use the language's separators (``1.234,5`` in Spanish, ``1,234.5`` in English).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from pathlib import Path

from babel.dates import format_date, format_datetime, get_timezone
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
DOMAIN = "messages"
LANGUAGES = ("es", "en")
DEFAULT = "es"
# Babel's locale for each language's numbers and dates (Chilean usage for Spanish; the
# separators are the same in Ecuador's).
BABEL_LOCALE = {"es": "es_CL", "en": "en_GB"}
DATE = "dd-MM-yyyy"
# Times are shown in the node's own country's zone.
ZONES = {
    "CL": "America/Santiago",
    "EC": "America/Guayaquil",
    "PE": "America/Lima",
    "CO": "America/Bogota",
    "AR": "America/Argentina/Buenos_Aires",
}


def N_(message: str) -> str:
    """Mark a label for extraction; it is translated where it is shown."""
    return message


def language(value: str | None) -> str:
    """One of ``LANGUAGES`` (the default for anything else)."""
    return value if value in LANGUAGES else DEFAULT


@cache
def translations(lang: str) -> Translations:
    """The compiled catalogue of ``lang`` (from its ``.po``, once per process)."""
    path = TRANSLATIONS / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=lang, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(fp=compiled, domain=DOMAIN)


def gettext_for(lang: str) -> Callable[[str], str]:
    """``gettext`` of one language."""
    return translations(language(lang)).gettext


def day(value: date | datetime | str | None, lang: str = DEFAULT) -> str:
    """DD-MM-AAAA ('' for nothing; an ISO text is read first)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, DATE, locale=BABEL_LOCALE[language(lang)])


def moment(value: datetime | str | None, lang: str = DEFAULT, country: str = "") -> str:
    """DD-MM-AAAA HH:MM in ``country``'s time zone (UTC if unknown; '' for nothing)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    return format_datetime(
        value,
        f"{DATE} HH:mm",
        tzinfo=get_timezone(ZONES.get(country, "UTC")),
        locale=BABEL_LOCALE[language(lang)],
    )


def number(value: float | int | None, lang: str = DEFAULT, digits: int = 0) -> str:
    """A number with the language's separators."""
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=BABEL_LOCALE[language(lang)])


def percent(value: float | None, lang: str = DEFAULT) -> str:
    """A share as a percentage with one decimal (0.9731 -> 97,3 %)."""
    if value is None:
        return ""
    return format_percent(value, format="#,##0.0 %", locale=BABEL_LOCALE[language(lang)])


def parse_day(text: str) -> str:
    """A birth date typed as DD-MM-AAAA (or DD/MM/AAAA, or ISO) as ISO AAAA-MM-DD.

    Anything else is returned unchanged, for the screening contract to refuse by name.
    """
    text = text.strip()
    parts = text.replace("/", "-").replace(".", "-").split("-")
    if (
        len(parts) == 3
        and len(parts[0]) <= 2
        and len(parts[2]) == 4
        and all(p.isdigit() for p in parts)
    ):
        return f"{parts[2]}-{int(parts[1]):02d}-{int(parts[0]):02d}"
    return text
