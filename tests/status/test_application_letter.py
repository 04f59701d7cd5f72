"""The decision letter (``alianza.status.letter``): a valid PDF, in Spanish with its
accents, naming the decision, who decided and signed, every condition with its legal
source, and how to appeal. Runs on both backends (``conftest.py``)."""

from __future__ import annotations

import re

import pytest

from alianza.auth.permissions import Principal
from alianza.errors import Conflict
from alianza.node.context import Node
from alianza.status import applications, decisions, letter, rules
from tests.conftest import Factory
from tests.status.test_applications import AGENCY, row


def check_pdf(body: bytes) -> None:
    """The file's structure, as a reader walks it: the header, the trailer, and every
    object where the cross-reference table says it starts."""
    assert body.startswith(b"%PDF-1.")
    assert body.rstrip().endswith(b"%%EOF")
    start = int(re.findall(rb"startxref\s+(\d+)", body)[-1])
    assert body[start : start + 4] == b"xref"
    table = re.match(rb"xref\s+0 (\d+)\s+", body[start:])
    assert table is not None
    count = int(table.group(1))
    entries = re.findall(rb"(\d{10}) (\d{5}) ([nf])", body[start:])[:count]
    assert len(entries) == count
    for number, (offset, _, kind) in enumerate(entries):
        if kind == b"n":
            assert body[int(offset) :].startswith(f"{number} 0 obj".encode())
    assert re.search(rb"/Type\s*/Catalog", body)


def text(body: bytes) -> str:
    """The letter's text, as written in its (uncompressed) content: Latin-1 strings."""
    shown = re.findall(rb"\((.*?)(?<!\\)\)\s*Tj", body, flags=re.S)
    return " ".join(s.replace(b"\\(", b"(").replace(b"\\)", b")").decode("latin-1")
                    for s in shown)  # fmt: skip


@pytest.fixture
def people(factory: Factory) -> dict[str, Principal]:
    return {
        name: factory.user(name, role, agency=AGENCY)[0]
        for name, role in (("cata", "caseworker"), ("sofi", "supervisor"))
    }


def test_a_refusal_letter(node: Node, people: dict[str, Principal]) -> None:
    cata, sofi = people["cata"], people["sofi"]
    with node.sessions() as session:
        found = applications.register(
            session, node, cata, row(criminal_record_declared="true", given_names="Nuñez José")
        )
        decisions.decide(session, node, cata, found.id, confirm=True,
                         reason="declaró una condena por robo con violencia")  # fmt: skip
        with pytest.raises(Conflict, match="cuando la decisión es firme"):
            letter.letter(session, node, cata, found.id)
        decisions.sign_off(session, node, sofi, found.id)
        body = letter.letter(session, node, cata, found.id)
    check_pdf(body)
    words = " ".join(text(body).split())
    assert "Decisión: NO ELEGIBLE" in words
    assert "Nuñez José" in words
    assert cata.label in words and sofi.label in words
    assert "robo con violencia" in words
    version = rules.programmes()["cl-regularizacion-extraordinaria"].version_on(
        found.application_date
    )
    for condition in version.conditions:
        assert f"«{condition.id}»" in words
    assert "«sin_antecedentes_penales» (no cumple)" in words
    assert "5 días hábiles" in words and "Ley 19.880, art. 59" in words
    assert "Servicio Nacional de Migraciones" in words
    assert "Ley 21.719, art. 8 bis" in words


def test_latin1_keeps_spanish_and_writes_the_rest_by_its_letter() -> None:
    assert letter.latin1("Peña, ¿Ñandú? «sí» — Dvořák Łu") == "Peña, ¿Ñandú? «sí» - Dvorák ?u"
