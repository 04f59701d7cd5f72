"""Protection flags go to a person and never towards removal; a new decree's parameters
never change a decision taken under the old one."""

from __future__ import annotations

import pytest

from alianza.corridor import blocks
from alianza.status.rules import PROTECTION
from tests.status.conftest import application, judge, one

CL = "cl-regularizacion-extraordinaria"
ON = "2021-11-30"


@pytest.mark.parametrize(
    ("flag", "reason"),
    [
        ("asylum_pending", "solicitud de asilo pendiente"),
        ("refugee", "refugiado reconocido"),
        ("unaccompanied_minor", "menor no acompañado"),
        ("trafficking_victim", "presunta víctima de trata"),
    ],
)
def test_a_protection_flag_sends_an_eligible_application_to_a_person(
    flag: str, reason: str
) -> None:
    verdict = one(CL, ON, flags=flag)
    assert verdict.outcome == "needs_review"
    assert verdict.failed == [PROTECTION]
    assert f"No cumple «{PROTECTION}»: {reason}" in verdict.explanation
    assert "no procede ninguna medida de expulsión ni de retorno" in verdict.explanation


def test_a_protection_flag_outweighs_a_criminal_record_and_every_failure() -> None:
    verdict = one(
        CL,
        ON,
        flags="asylum_pending;trafficking_victim",
        criminal_record_declared="true",
        entry_regular="false",
        entry_date="2020-06-01",
    )
    assert verdict.outcome == "needs_review"  # never not_eligible: a person decides
    assert verdict.failed == [
        PROTECTION,
        "ingreso_antes_del_corte",
        "ingreso_por_paso_habilitado",
        "sin_antecedentes_penales",
    ]
    assert "solicitud de asilo pendiente" in verdict.explanation
    assert "presunta víctima de trata" in verdict.explanation


def test_no_explanation_ever_recommends_removal() -> None:
    rows = [
        application(application_id="limpio"),
        application(application_id="condena", criminal_record_declared="true"),
        application(application_id="causa", pending_criminal_case="true"),
        application(
            application_id="asilo", flags="asylum_pending", criminal_record_declared="true"
        ),
    ]
    verdicts = judge(CL, ON, rows)
    for verdict in verdicts:
        # The one mention allowed is the one that rules it out.
        text = verdict.explanation.lower().replace(
            "no procede ninguna medida de expulsión ni de retorno", ""
        )
        for word in ("expuls", "deport", "retorno", "abandonar el país"):
            assert word not in text, verdict.explanation
    assert [v.outcome for v in verdicts] == [
        "eligible",
        "not_eligible",
        "needs_review",
        "needs_review",
    ]
    refused = verdicts[1]
    assert refused.outcome == "not_eligible" and "decide una persona" in refused.explanation


def test_a_best_interests_determination_lifts_the_childs_block() -> None:
    child = {"birth_date": "2008-01-01", "documents": "pasaporte"}
    held = one(CL, ON, flags="unaccompanied_minor", **child)
    lifted = one(CL, ON, flags="unaccompanied_minor;best_interests_determined", **child)
    assert held.outcome == "needs_review" and held.failed == [PROTECTION]
    assert lifted.outcome == "eligible" and lifted.failed == []


def test_the_blocks_are_the_corridors(monkeypatch: pytest.MonkeyPatch) -> None:
    # One shared function: change what lifts a block in the corridor, and the
    # regularisation outcome follows.
    monkeypatch.setattr(blocks, "LIFTED_BY", {})
    child = {"birth_date": "2008-01-01", "documents": "pasaporte"}
    verdict = one(CL, ON, flags="unaccompanied_minor;best_interests_determined", **child)
    assert verdict.outcome == "needs_review" and verdict.failed == [PROTECTION]


def test_parameters_change_with_the_version_in_force() -> None:
    # Entered on 1 May 2019: after the 2018 round's cut-off (8 April 2018), before the
    # 2021 round's (18 March 2020). Same application, two dates, two versions.
    row = application(entry_date="2019-05-01", application_date="2019-11-01")
    in_2019 = judge(CL, "2019-12-01", [row])[0]
    in_2021 = judge(CL, "2021-11-30", [row])[0]
    assert in_2019.failed == ["ingreso_antes_del_corte", "solicitud_en_plazo"]
    assert "versión 2018" in in_2019.explanation
    assert "hasta el 8 de abril de 2018" in in_2019.explanation
    assert in_2021.failed == ["solicitud_en_plazo"]
    assert "versión 2021" in in_2021.explanation
    assert (
        "Cumple «ingreso_antes_del_corte»: haber ingresado a Chile antes del 18 de marzo de 2020"
        in (in_2021.explanation)
    )


def test_a_decision_rerun_on_its_date_is_unchanged_by_a_later_decree() -> None:
    # Ecuador: under the 2019 VERHU, an application without the registration certificate
    # is eligible; the 2022 VIRTE asks for it. Re-run on its date, the 2019 decision holds.
    row = application(
        country="EC",
        entry_date="2019-03-01",
        application_date="2019-10-01",
        documents="cedula;antecedentes_origen",
        document_expiry="2016-01-01",
    )
    decided = judge("ec-virte", "2020-03-01", [row])[0]
    later = judge("ec-virte", "2023-01-15", [row])[0]
    again = judge("ec-virte", "2020-03-01", [row])[0]
    assert decided.outcome == "eligible" and "Decreto Ejecutivo 826" in decided.explanation
    assert later.failed == ["registro_migratorio", "solicitud_en_plazo"]
    assert later.outcome == "not_eligible" and "Decreto Ejecutivo 436" in later.explanation
    assert again == decided


def test_the_last_day_of_a_version_and_the_first_of_the_next() -> None:
    row = application(entry_date="2018-01-10", application_date="2018-05-02")
    last = judge(CL, "2021-04-19", [row])[0]
    first = judge(CL, "2021-04-20", [row])[0]
    assert "versión 2018" in last.explanation and last.outcome == "eligible"
    assert "versión 2021" in first.explanation and first.failed == ["solicitud_en_plazo"]
