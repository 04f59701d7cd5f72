"""Screening a traveller: ranked candidates, explanations, scope, MRZ, bad input, the index."""

from __future__ import annotations

from typing import Any

import pytest

from alianza.errors import InputError, PermissionDenied
from alianza.identity.mrz import check_digit
from alianza.node.context import Node
from alianza.records import service as records
from alianza.screening.flows import screen
from alianza.screening.service import Screener, alpha2
from tests.conftest import Factory

WANTED = {
    "category": "wanted",
    "given_names": "José Luis",
    "surname_1": "González",
    "surname_2": "Peña",
    "birth_date": "1985-07-04",
    "sex": "M",
    "nationality": "VE",
    "documents": [{"type": "CI_VE", "number": "V-12345678"}],
    "aliases": ["El Flaco Rojas"],
}
SIBLING = {**WANTED, "given_names": "Carlos Andrés", "birth_date": "1979-02-11", "documents": []}


@pytest.fixture
def setup(node: Node, factory: Factory) -> dict[str, Any]:
    analyst, _ = factory.user("ana", "analyst")
    officer, _ = factory.user("ofi", "border_officer")
    wanted = factory.record(analyst, "person", WANTED, scope="country").record.id
    sibling = factory.record(analyst, "person", SIBLING, scope="country").record.id
    hidden = factory.record(
        analyst, "person", {**WANTED, "given_names": "Oculto"}, scope="agency"
    ).record.id
    other, _ = factory.user("otra", "border_officer", agency="Carabineros")
    return {
        "officer": officer,
        "other": other,
        "wanted": wanted,
        "sibling": sibling,
        "hidden": hidden,
        "screener": Screener(node),
    }


def _ids(result: Any) -> list[str]:
    return [c.record_id for c in result.candidates]


@pytest.mark.parametrize(
    ("traveller", "at_least"),
    [
        # as written in the record
        ({"given_names": "José Luis", "surname_1": "González", "surname_2": "Peña"}, 0.5),
        # accents and ñ lost, second given name cut, second surname dropped
        ({"given_names": "JOSE", "surname_1": "GONZALEZ"}, 0.5),
        # ICAO transliteration, s/z confusion, day and month swapped
        ({"given_names": "JOSE LUIS", "surname_1": "GONSALEZ", "surname_2": "PENXXA"}, 0.5),
        # given name and surnames in the wrong boxes: first, though with little certainty
        # (swapped boxes count once, as one agreement of the given names)
        ({"given_names": "GONZALEZ", "surname_1": "JOSE", "surname_2": "LUIS"}, 0.05),
    ],
)
def test_the_wanted_person_ranks_first(
    setup: dict[str, Any], traveller: dict[str, str], at_least: float
) -> None:
    birth = "1985-04-07" if "PENXXA" in traveller.values() else "1985-07-04"
    result = screen(
        setup["screener"],
        principal=setup["officer"],
        values={**traveller, "birth_date": birth},
        ask_partners=False,
    )
    assert _ids(result)[0] == setup["wanted"]
    assert result.candidates[0].probability > at_least


def test_a_sibling_ranks_below_and_low(setup: dict[str, Any]) -> None:
    result = screen(
        setup["screener"],
        principal=setup["officer"],
        values={
            "given_names": "José Luis",
            "surname_1": "González",
            "surname_2": "Peña",
            "birth_date": "1985-07-04",
            "document_type": "CI_VE",
            "document_number": "12345678",
        },
        ask_partners=False,
    )
    ids = _ids(result)
    assert ids[0] == setup["wanted"]
    sibling = [c for c in result.candidates if c.record_id == setup["sibling"]]
    assert not sibling or sibling[0].probability < 0.5


def test_an_alias_finds_the_record(setup: dict[str, Any]) -> None:
    result = screen(
        setup["screener"],
        principal=setup["officer"],
        values={"given_names": "El Flaco Rojas", "birth_date": "1985-07-04"},
        ask_partners=False,
    )
    assert setup["wanted"] in _ids(result)


def test_explanations_in_spanish_and_english(setup: dict[str, Any]) -> None:
    result = screen(
        setup["screener"],
        principal=setup["officer"],
        values={"given_names": "JOSE", "surname_1": "GONZALEZ", "birth_date": "1985-04-07"},
        ask_partners=False,
    )
    top = result.candidates[0].as_dict()
    assert "coincide: nombres de pila (primer nombre igual)" in top["explanation_es"]
    assert "día y mes cambiados" in top["explanation_es"]
    assert "day and month swapped" in top["explanation_en"]
    assert "falta: documento" in top["explanation_es"]
    statuses = {e["field"]: e["status"] for e in top["explanation"]}
    assert statuses["documento"] == "missing" and statuses["nombres de pila"] == "agrees"


def test_records_outside_the_officers_scope_are_never_candidates(setup: dict[str, Any]) -> None:
    values = {"given_names": "Oculto", "surname_1": "González", "birth_date": "1985-07-04"}
    mine = screen(setup["screener"], principal=setup["officer"], values=values, ask_partners=False)
    assert setup["hidden"] in _ids(mine)  # same agency (PDI): the agency scope allows it
    theirs = screen(setup["screener"], principal=setup["other"], values=values, ask_partners=False)
    assert setup["hidden"] not in _ids(theirs)  # Carabineros: never, not even as a low score


def test_roles_without_police_records_may_not_screen(
    setup: dict[str, Any], factory: Factory
) -> None:
    caseworker, _ = factory.user("caso", "caseworker")
    with pytest.raises(PermissionDenied):
        screen(setup["screener"], principal=caseworker, values={"surname_1": "X"})


def _td3(surnames: str, given: str, number: str, nat: str, birth: str, sex: str) -> str:
    name = f"P<{nat}{surnames.replace(' ', '<')}<<{given.replace(' ', '<')}"
    line1 = name.ljust(44, "<")
    doc = number.ljust(9, "<")
    expiry, personal = "301231", "<" * 14
    body = (
        f"{doc}{check_digit(doc)}{nat}{birth}{check_digit(birth)}{sex}"
        f"{expiry}{check_digit(expiry)}{personal}{check_digit(personal)}"
    )
    composite = body[0:10] + body[13:20] + body[21:43]
    return f"{line1}\n{body}{check_digit(composite)}"


def test_a_raw_mrz_screens_and_a_bad_check_digit_is_flagged(setup: dict[str, Any]) -> None:
    mrz = _td3("GONZALEZ PENXXA", "JOSE LUIS", "A1234567", "VEN", "850704", "M")
    result = screen(
        setup["screener"], principal=setup["officer"], values={}, mrz=mrz, ask_partners=False
    )
    assert result.traveller["nationality"] == "VE"
    assert _ids(result)[0] == setup["wanted"]
    assert result.document_checks == []
    forged = mrz.replace("850704", "850705")  # birth date changed, check digits left as were
    flagged = screen(
        setup["screener"], principal=setup["officer"], values={}, mrz=forged, ask_partners=False
    )
    assert any("birth_date" in c for c in flagged.document_checks)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({}, "traveller"),
        ({"surname_1": "Soto", "birth_date": "1985-13-01"}, "birth_date"),
        ({"surname_1": "Soto", "nationality": "XX"}, "nationality"),
        ({"surname_1": "Soto", "document_type": "CEDULA", "document_number": "1"}, "document_type"),
        ({"surname_1": "Soto", "sex": "H"}, "sex"),
    ],
)
def test_bad_input_names_the_field(
    setup: dict[str, Any], values: dict[str, str], field: str
) -> None:
    with pytest.raises(InputError) as caught:
        screen(setup["screener"], principal=setup["officer"], values=values)
    assert caught.value.problems[0].field == field


def test_unreadable_mrz_is_refused(setup: dict[str, Any]) -> None:
    with pytest.raises(InputError):
        screen(setup["screener"], principal=setup["officer"], values={}, mrz="P<UTO???\nxx")


def test_the_index_follows_changes(node: Node, setup: dict[str, Any], factory: Factory) -> None:
    screener: Screener = setup["screener"]
    values = {"given_names": "Nueva", "surname_1": "Persona", "birth_date": "1990-01-01"}
    officer = setup["officer"]
    assert not _ids(screen(screener, principal=officer, values=values, ask_partners=False))
    analyst, _ = factory.user("ana2", "analyst")
    created = factory.record(
        analyst,
        "person",
        {
            "category": "watch",
            "given_names": "Nueva",
            "surname_1": "Persona",
            "birth_date": "1990-01-01",
        },
        scope="country",
    ).record.id
    assert _ids(
        screen(screener, principal=setup["officer"], values=values, ask_partners=False)
    ) == [created]
    with node.sessions() as session:
        records.delete_record(
            session, node=node, principal=analyst, record_id=created, reason="error de carga"
        )
        session.commit()
    assert not _ids(screen(screener, principal=officer, values=values, ask_partners=False))


def test_mrz_nationalities() -> None:
    assert (alpha2("CHL"), alpha2("ECU"), alpha2("VEN"), alpha2("D<<"), alpha2("ZZZ")) == (
        "CL",
        "EC",
        "VE",
        "DE",
        "",
    )
