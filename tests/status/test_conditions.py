"""Every condition of every shipped programme version, met and failed, and its borders.

``CASES`` holds, for each version, an application that meets everything and, for each
condition, a change that fails that condition alone. A test checks the table covers
every condition shipped: a new condition without a case here fails the suite.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from alianza.status import rules
from alianza.status.explain import condition_state
from tests.status.conftest import one

NE, NR, OK = "not_eligible", "needs_review", "eligible"

CASES: dict[tuple[str, str], dict[str, Any]] = {
    ("cl-regularizacion-extraordinaria", "2018"): {
        "on": "2018-08-01",
        "base": {"entry_date": "2018-01-10", "application_date": "2018-05-02"},
        "fail": {
            "ingreso_antes_del_corte": ({"entry_date": "2018-04-09"}, NE),
            "solicitud_en_plazo": ({"application_date": "2018-07-23"}, NE),
            "documento_identidad": ({"documents": "antecedentes_origen"}, NR),
            "certificado_antecedentes": ({"documents": "pasaporte"}, NR),
            "sin_antecedentes_penales": ({"criminal_record_declared": "true"}, NE),
            "sin_causa_penal_pendiente": ({"pending_criminal_case": "true"}, NR),
        },
    },
    ("cl-regularizacion-extraordinaria", "2021"): {
        "on": "2021-11-30",
        "base": {},
        "fail": {
            "ingreso_antes_del_corte": ({"entry_date": "2020-03-18"}, NE),
            "ingreso_por_paso_habilitado": ({"entry_regular": "false"}, NE),
            "solicitud_en_plazo": ({"application_date": "2021-10-18"}, NE),
            "documento_identidad": ({"documents": "antecedentes_origen"}, NR),
            "certificado_antecedentes": ({"documents": "cedula"}, NR),
            "sin_antecedentes_penales": ({"criminal_record_declared": "true"}, NE),
            "sin_causa_penal_pendiente": ({"pending_criminal_case": "true"}, NR),
        },
    },
    ("cl-reunificacion-familiar", "2022"): {
        "on": "2023-03-01",
        "base": {
            "entry_date": "2022-06-01",
            "application_date": "2023-01-10",
            "family_ties": "conyuge",
            "documents": "pasaporte;antecedentes_origen;acreditacion_vinculo;residencia_familiar",
        },
        "fail": {
            "vinculo_familiar": ({"family_ties": "hermano;otro"}, NE),
            "acreditacion_vinculo": (
                {"documents": "pasaporte;antecedentes_origen;acreditacion_vinculo"},
                NR,
            ),
            "documento_identidad": (
                {"documents": "antecedentes_origen;acreditacion_vinculo;residencia_familiar"},
                NR,
            ),
            "documento_vigente": ({"document_expiry": "2023-01-09"}, NR),
            "certificado_antecedentes": (
                {"documents": "pasaporte;acreditacion_vinculo;residencia_familiar"},
                NR,
            ),
            "ingreso_por_paso_habilitado": ({"entry_regular": "false"}, NR),
            "sin_antecedentes_penales": ({"criminal_record_declared": "true"}, NE),
            "sin_causa_penal_pendiente": ({"pending_criminal_case": "true"}, NR),
        },
    },
    ("ec-virte", "2019-verhu"): {
        "on": "2020-03-01",
        "base": {
            "entry_date": "2019-03-01",
            "application_date": "2019-10-01",
            "documents": "cedula;antecedentes_origen",
            "document_expiry": "2016-01-01",
        },
        "fail": {
            "nacionalidad": ({"nationality": "CO"}, NE),
            "ingreso_regular": ({"entry_regular": "false"}, NE),
            "ingreso_antes_del_corte": ({"entry_date": "2019-07-27"}, NE),
            "solicitud_en_plazo": ({"application_date": "2019-08-25"}, NE),
            "documento_identidad": ({"documents": "antecedentes_origen"}, NR),
            "documento_vigente": ({"document_expiry": "2014-10-01"}, NR),
            "certificado_antecedentes": ({"documents": "cedula;pasaporte"}, NR),
            "sin_antecedentes_penales": ({"criminal_record_declared": "true"}, NE),
            "sin_causa_penal_pendiente": ({"pending_criminal_case": "true"}, NR),
        },
    },
    ("ec-virte", "2022-virte"): {
        "on": "2023-01-15",
        "base": {
            "entry_date": "2021-01-01",
            "application_date": "2022-10-01",
            "documents": "pasaporte;antecedentes_origen;registro_migratorio",
        },
        "fail": {
            "nacionalidad": ({"nationality": "PE"}, NE),
            "ingreso_regular": ({"entry_regular": "false"}, NE),
            "ingreso_antes_del_corte": ({"entry_date": "2022-06-02"}, NE),
            "registro_migratorio": ({"documents": "pasaporte;antecedentes_origen"}, NR),
            "solicitud_en_plazo": ({"application_date": "2022-08-31"}, NE),
            "documento_identidad": ({"documents": "antecedentes_origen;registro_migratorio"}, NR),
            "documento_vigente": ({"document_expiry": "2017-10-01"}, NR),
            "certificado_antecedentes": ({"documents": "pasaporte;registro_migratorio"}, NR),
            "sin_antecedentes_penales": ({"criminal_record_declared": "true"}, NE),
            "sin_causa_penal_pendiente": ({"pending_criminal_case": "true"}, NR),
        },
    },
    ("ec-residencia-mercosur", "2017-lomh"): {
        "on": "2024-05-01",
        "base": {
            "nationality": "CO",
            "document_type": "CC_CO",
            "entry_date": "2023-01-01",
            "application_date": "2024-02-01",
            "entry_regular": "false",  # the agreement asks nothing of the entry (art. 3)
            "documents": (
                "pasaporte;partida_nacimiento;antecedentes_origen;declaracion_antecedentes"
            ),
            "document_expiry": "2027-01-01",
        },
        "fail": {
            "nacionalidad": ({"nationality": "VE"}, NE),
            "documento_identidad": (
                {"documents": "partida_nacimiento;antecedentes_origen;declaracion_antecedentes"},
                NR,
            ),
            "documento_vigente": ({"document_expiry": "2024-01-31"}, NR),
            "partida_nacimiento": (
                {"documents": "pasaporte;antecedentes_origen;declaracion_antecedentes"},
                NR,
            ),
            "certificado_antecedentes": (
                {"documents": "pasaporte;partida_nacimiento;declaracion_antecedentes"},
                NR,
            ),
            "declaracion_antecedentes": (
                {"documents": "pasaporte;partida_nacimiento;antecedentes_origen"},
                NR,
            ),
            "sin_antecedentes_penales": ({"criminal_record_declared": "true"}, NE),
            "sin_causa_penal_pendiente": ({"pending_criminal_case": "true"}, NR),
        },
    },
}

FAILURES = [
    pytest.param(programme, version, condition, id=f"{programme}-{version}-{condition}")
    for (programme, version), case in CASES.items()
    for condition in case["fail"]
]


def _case(programme: str, version: str) -> dict[str, Any]:
    case = CASES[(programme, version)]
    country = rules.programmes()[programme].country
    base = {"country": country, **case["base"]}
    return {"on": case["on"], "base": base, "fail": case["fail"]}


def test_the_table_covers_every_condition_shipped() -> None:
    shipped = {
        (p.id, v.id, c.id)
        for p in rules.programmes().values()
        for v in p.versions
        for c in v.conditions
    }
    covered = {
        (programme, version, condition)
        for (programme, version), case in CASES.items()
        for condition in case["fail"]
    }
    assert covered == shipped
    countries = [p.country for p in rules.programmes().values()]
    assert countries.count("CL") >= 2 and countries.count("EC") >= 2


@pytest.mark.parametrize(("programme", "version"), list(CASES))
def test_the_base_application_meets_every_condition(programme: str, version: str) -> None:
    case = _case(programme, version)
    found = rules.programmes()[programme].version_on(date.fromisoformat(case["on"]))
    assert found.id == version
    verdict = one(programme, case["on"], **case["base"])
    assert (verdict.outcome, verdict.failed) == (OK, [])
    for condition in found.conditions:
        assert f"Cumple «{condition.id}»: {condition.label} ({condition.source})." in (
            verdict.explanation
        )


@pytest.mark.parametrize(("programme", "version", "condition"), FAILURES)
def test_each_condition_fails_alone(programme: str, version: str, condition: str) -> None:
    case = _case(programme, version)
    change, expected = case["fail"][condition]
    verdict = one(programme, case["on"], **{**case["base"], **change})
    assert verdict.failed == [condition]
    assert verdict.outcome == expected
    found = rules.programmes()[programme].version_on(date.fromisoformat(case["on"]))
    source = next(c.source for c in found.conditions if c.id == condition)
    assert f"No cumple «{condition}»" in verdict.explanation
    assert source in verdict.explanation


# Borders: the last day that passes and the first that fails (or the reverse).
CL, RF, EV, MS = (
    "cl-regularizacion-extraordinaria",
    "cl-reunificacion-familiar",
    "ec-virte",
    "ec-residencia-mercosur",
)
ENTRY, APPLIED, EXPIRY = "entry_date", "application_date", "document_expiry"
BORDERS = [
    # Chile 2018: "hasta el 8 de abril" includes the day; 90 days to register, 30 days
    # for an irregular entry.
    (CL, "2018", "ingreso_antes_del_corte", {ENTRY: "2018-04-08"}, {ENTRY: "2018-04-09"}),
    (CL, "2018", "solicitud_en_plazo", {APPLIED: "2018-04-23"}, {APPLIED: "2018-04-22"}),
    (CL, "2018", "solicitud_en_plazo", {APPLIED: "2018-07-22"}, {APPLIED: "2018-07-23"}),
    (
        CL,
        "2018",
        "solicitud_en_plazo",
        {"entry_regular": "false", APPLIED: "2018-05-22"},
        {"entry_regular": "false", APPLIED: "2018-05-23"},
    ),
    # Chile 2021: "antes del 18 de marzo de 2020" excludes the day; 180 days to apply.
    (CL, "2021", "ingreso_antes_del_corte", {ENTRY: "2020-03-17"}, {ENTRY: "2020-03-18"}),
    (CL, "2021", "solicitud_en_plazo", {APPLIED: "2021-04-20"}, {APPLIED: "2021-04-19"}),
    (CL, "2021", "solicitud_en_plazo", {APPLIED: "2021-10-17"}, {APPLIED: "2021-10-18"}),
    # An adult from the 18th birthday on: the certificate is asked for on that very day.
    (
        CL,
        "2021",
        "certificado_antecedentes",
        {"documents": "pasaporte", "birth_date": "2003-06-02"},
        {"documents": "pasaporte", "birth_date": "2003-06-01"},
    ),
    (RF, "2022", "documento_vigente", {EXPIRY: "2023-01-10"}, {EXPIRY: "2023-01-09"}),
    # Ecuador: entry up to the decree's date; a document expired less than 5 years ago.
    (EV, "2019-verhu", "ingreso_antes_del_corte", {ENTRY: "2019-07-26"}, {ENTRY: "2019-07-27"}),
    (EV, "2019-verhu", "solicitud_en_plazo", {APPLIED: "2019-08-26"}, {APPLIED: "2019-08-25"}),
    (EV, "2019-verhu", "documento_vigente", {EXPIRY: "2014-10-02"}, {EXPIRY: "2014-10-01"}),
    (EV, "2022-virte", "ingreso_antes_del_corte", {ENTRY: "2022-06-01"}, {ENTRY: "2022-06-02"}),
    (EV, "2022-virte", "solicitud_en_plazo", {APPLIED: "2022-09-01"}, {APPLIED: "2022-08-31"}),
    (MS, "2017-lomh", "documento_vigente", {EXPIRY: "2024-02-01"}, {EXPIRY: "2024-01-31"}),
]


@pytest.mark.parametrize(("programme", "version", "condition", "passes", "fails"), BORDERS)
def test_borders(
    programme: str, version: str, condition: str, passes: dict[str, str], fails: dict[str, str]
) -> None:
    case = _case(programme, version)
    inside = one(programme, case["on"], **{**case["base"], **passes})
    outside = one(programme, case["on"], **{**case["base"], **fails})
    assert condition not in inside.failed and inside.outcome == OK
    assert condition in outside.failed and outside.outcome != OK


@pytest.mark.parametrize(
    ("programme", "version", "empty", "condition"),
    [
        (CL, "2021", "entry_regular", "ingreso_por_paso_habilitado"),
        (CL, "2021", "entry_date", "ingreso_antes_del_corte"),
        (CL, "2021", "criminal_record_declared", "sin_antecedentes_penales"),
        (RF, "2022", "document_expiry", "documento_vigente"),
        (EV, "2022-virte", "nationality", "nacionalidad"),
        (MS, "2017-lomh", "application_date", "documento_vigente"),
    ],
)
def test_an_empty_cell_is_undecided_and_goes_to_a_person(
    programme: str, version: str, empty: str, condition: str
) -> None:
    case = _case(programme, version)
    verdict = one(programme, case["on"], **{**case["base"], empty: ""})
    assert condition in verdict.failed
    assert verdict.outcome == NR
    assert f"Sin datos para «{condition}»" in verdict.explanation and empty in verdict.explanation
    # The letter and the console read the stored verdict back: undecided, not failed.
    assert condition_state(condition, verdict.failed, verdict.explanation) == "unknown"


def test_an_empty_cell_does_not_hide_a_refusal() -> None:
    # An undecided condition and a failed exclusion: the refusal stands.
    case = _case("cl-regularizacion-extraordinaria", "2021")
    verdict = one(
        "cl-regularizacion-extraordinaria",
        case["on"],
        **{**case["base"], "entry_regular": "", "criminal_record_declared": "true"},
    )
    assert verdict.outcome == NE
    assert verdict.failed == ["ingreso_por_paso_habilitado", "sin_antecedentes_penales"]
    states = {c: condition_state(c, verdict.failed, verdict.explanation) for c in verdict.failed}
    assert states == {
        "ingreso_por_paso_habilitado": "unknown",
        "sin_antecedentes_penales": "failed",
    }
    assert condition_state("ingreso_antes_del_corte", verdict.failed, verdict.explanation) == "met"


def test_a_minor_needs_no_criminal_record_certificate_even_without_a_birth_date_twin() -> None:
    # Kleene's "or": a known minor passes without the certificate; an unknown age with
    # the certificate passes too; only an unknown age without it is undecided.
    case = _case("cl-regularizacion-extraordinaria", "2021")
    on, base = case["on"], case["base"]
    minor = one(
        "cl-regularizacion-extraordinaria",
        on,
        **{**base, "birth_date": "2010-01-01", "documents": "pasaporte"},
    )
    unknown_with = one("cl-regularizacion-extraordinaria", on, **{**base, "birth_date": ""})
    unknown_without = one(
        "cl-regularizacion-extraordinaria",
        on,
        **{**base, "birth_date": "", "documents": "pasaporte"},
    )
    assert minor.outcome == OK and unknown_with.outcome == OK
    assert unknown_without.failed == ["certificado_antecedentes"]
