"""Refresh the console's catalogues: extract every label (pybabel's map in
``alianza/web/translations/babel.cfg``), then merge into ``es`` (the msgids are Spanish:
its entries repeat them) and ``en`` (existing translations kept; new ones left empty
for a person to translate, and ``tests/web/console/test_i18n.py`` fails until they are).

Usage: ``.venv/bin/python tools/console_catalogues.py``
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "alianza" / "web" / "translations"


def extract() -> Catalog:
    """Every label of the console's Python and templates, as a template catalogue."""
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        subprocess.run(
            [
                str(Path(sys.executable).parent / "pybabel"), "--quiet", "extract",
                "-F", str(HERE / "babel.cfg"), "-k", "N_", "--no-location", "--sort-output",
                "--project", "alianza", "-o", str(pot), str(ROOT / "alianza" / "web"),
            ],
            check=True,
        )  # fmt: skip
        with pot.open("rb") as f:
            return read_po(f)


def merge(template: Catalog, lang: str) -> tuple[int, int]:
    """Write ``lang``'s catalogue from ``template``; (messages, untranslated)."""
    path = HERE / lang / "LC_MESSAGES" / "messages.po"
    old: dict[str, str] = {}
    if path.exists():
        with path.open("rb") as f:
            old = {str(m.id): str(m.string) for m in read_po(f) if m.id and m.string}
    name = "Spanish" if lang == "es" else "English"
    catalog = Catalog(
        locale=lang,
        project="alianza",
        domain="messages",
        fuzzy=False,
        header_comment=f"# The alianza console's labels in {name} (tools/console_catalogues.py).",
    )
    missing = 0
    for message in template:
        if not message.id:
            continue
        text = str(message.id) if lang == "es" else old.get(str(message.id), "")
        missing += not text
        catalog.add(message.id, text)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog, width=100, omit_header=False, sort_output=True)
    return len(catalog), missing


def main() -> None:
    template = extract()
    for lang in ("es", "en"):
        count, missing = merge(template, lang)
        print(f"{lang}: {count} mensajes, {missing} sin traducir")


if __name__ == "__main__":
    main()
