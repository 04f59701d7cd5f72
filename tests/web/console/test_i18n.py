"""Every label of the console is in both catalogues, translated in English; dates and
numbers are written as people of the region write them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from alianza.auth.permissions import ROLE_LABELS
from alianza.web.console import i18n
from alianza.web.console.render import ROLE_MSGIDS

WEB = Path(i18n.__file__).resolve().parent.parent


def _labels() -> set[str]:
    found = extract_from_dir(
        str(WEB),
        method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2")],
        options_map={
            "**/templates/**.html": {
                "extensions": "jinja2.ext.i18n",
                "trim_blocks": "true",
                "lstrip_blocks": "true",
            }
        },
        keywords={**DEFAULT_KEYWORDS, "N_": None},
    )
    labels = set()
    for _, _, message, _, _ in found:
        labels.add(message if isinstance(message, str) else message[0])
    return labels


def _catalogue(lang: str) -> dict[str, str]:
    path = i18n.TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        return {str(m.id): str(m.string) for m in read_po(po) if m.id and not m.fuzzy}


def test_every_label_is_in_both_catalogues() -> None:
    labels = _labels()
    assert len(labels) > 100
    spanish, english = _catalogue("es"), _catalogue("en")
    assert not labels - set(spanish), "faltan en es: tools/console_catalogues.py"
    untranslated = sorted(m for m in labels if not english.get(m))
    assert not untranslated, f"sin traducir al inglés: {untranslated}"


def test_the_role_names_shown_are_marked_for_translation() -> None:
    assert set(ROLE_LABELS.values()) <= set(ROLE_MSGIDS)


def test_the_catalogues_translate() -> None:
    assert i18n.gettext_for("en")("Control fronterizo") == "Border screening"
    assert i18n.gettext_for("es")("Control fronterizo") == "Control fronterizo"
    assert i18n.gettext_for("xx")("Registros") == "Registros"  # unknown: Spanish


def test_dates_and_numbers_as_written_in_the_region() -> None:
    assert i18n.day(date(2026, 4, 3)) == "03-04-2026"
    assert i18n.day("2026-04-03", "en") == "03-04-2026"
    assert i18n.day(None) == ""
    assert i18n.number(1234567.5, "es", 1) == "1.234.567,5"
    assert i18n.number(1234567.5, "en", 1) == "1,234,567.5"
    assert i18n.percent(0.9731) == "97,3 %"
    # 15:30 UTC is 12:30 in Santiago (summer time) and 10:30 in Guayaquil.
    moment = datetime(2026, 1, 10, 15, 30, tzinfo=UTC)
    assert i18n.moment(moment, "es", "CL") == "10-01-2026 12:30"
    assert i18n.moment(moment, "es", "EC") == "10-01-2026 10:30"


def test_a_typed_birth_date_becomes_iso() -> None:
    assert i18n.parse_day("04-03-1980") == "1980-03-04"
    assert i18n.parse_day("4/3/1980") == "1980-03-04"
    assert i18n.parse_day("1980-03-04") == "1980-03-04"
    assert i18n.parse_day("ayer") == "ayer"  # left for the contract to refuse by name
