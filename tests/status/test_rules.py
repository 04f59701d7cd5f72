"""Programme files and the condition language: what loads, what is refused and why."""

from __future__ import annotations

import re
import textwrap
from datetime import date

import pytest

from alianza.errors import InputError
from alianza.status import language, rules

PROGRAMME = """
id = "xx-prueba"
country = "CL"
name = "Programa de prueba"
summary = "Solo para las pruebas."

[[versions]]
id = "v1"
valid_from = 2020-01-01
valid_to = 2020-12-31
legal_basis = "Decreto de prueba 1"
[versions.parameters.cutoff]
value = 2019-12-31
source = "Decreto de prueba 1, art. 1"
[[versions.conditions]]
id = "ingreso"
label = "haber ingresado hasta el {cutoff}"
when = 'entry_date <= param.cutoff'
if_failed = "not_eligible"
source = "Decreto de prueba 1, art. 1"

[[versions]]
id = "v2"
valid_from = 2022-01-01
legal_basis = "Decreto de prueba 2"
[versions.parameters.cutoff]
value = 2021-12-31
source = "Decreto de prueba 2, art. 1"
[[versions.conditions]]
id = "ingreso"
label = "haber ingresado hasta el {cutoff}"
when = 'entry_date <= param.cutoff'
if_failed = "not_eligible"
source = "Decreto de prueba 2, art. 1"
"""


WHEN, VALID_TO = "entry_date <= param.cutoff", "valid_to = 2020-12-31"


def _load(text: str = PROGRAMME) -> rules.Programme:
    return rules.load_text(textwrap.dedent(text), name="xx-prueba.toml")


def _refused(old: str, new: str) -> str:
    text = PROGRAMME.replace(old, new, 1)
    assert text != PROGRAMME, "the replacement did not apply"
    with pytest.raises(InputError) as caught:
        _load(text)
    return caught.value.message


def test_every_shipped_programme_cites_its_sources() -> None:
    shipped = rules.programmes()
    assert {"CL", "EC"} == {p.country for p in shipped.values()}
    for programme in shipped.values():
        for version in programme.versions:
            assert len(version.legal_basis) > 10
            for parameter in version.parameters.values():
                assert parameter.source.strip(), (programme.id, parameter.name)
            for condition in version.conditions:
                assert condition.source.strip(), (programme.id, condition.id)
                # A label reads after "Cumple:" and quotes no raw placeholder.
                assert "{" not in condition.label and condition.label[0].islower()
    # Doubtful facts are marked, never stated as certain.
    assert any(
        "a verificar" in p.source
        for programme in shipped.values()
        for v in programme.versions
        for p in v.parameters.values()
    )


def test_the_version_in_force_and_the_dates_without_one() -> None:
    programme = _load()
    assert programme.version_on(date(2020, 1, 1)).id == "v1"
    assert programme.version_on(date(2020, 12, 31)).id == "v1"
    assert programme.version_on(date(2022, 1, 1)).id == "v2"
    assert programme.version_on(date(2099, 1, 1)).id == "v2"  # no end: still in force
    with pytest.raises(InputError, match="no existía el 2019-12-31"):
        programme.version_on(date(2019, 12, 31))
    with pytest.raises(InputError, match=r"ninguna versión .* vigente el 2021-06-01") as caught:
        programme.version_on(date(2021, 6, 1))
    assert caught.value.problems[0].field == "--on"


def test_labels_quote_the_parameters_in_spanish() -> None:
    programme = _load()
    assert programme.versions[0].conditions[0].label == (
        "haber ingresado hasta el 31 de diciembre de 2019"
    )
    assert rules.render(["pasaporte", "cedula"]).startswith("pasaporte; cédula")
    assert rules.render(["VE", "CO"]) == "Venezuela; Colombia"
    assert rules.render(True) == "sí" and rules.render(50.0) == "50"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (VALID_TO, "valid_to = 2022-06-30", "se superpone con la versión v1"),
        (VALID_TO, "valid_to = 2019-06-30", "anterior a valid_from"),
        ('id = "xx-prueba"', 'id = "otro"', "debe llamarse otro.toml"),
        ('country = "CL"', 'country = "PE"', "country"),
        ('if_failed = "not_eligible"', 'if_failed = "deport"', "if_failed"),
        ('source = "Decreto de prueba 1, art. 1"\n[[', 'source = ""\n[[', "source"),
        (WHEN, "entry_date <= param.corte", "parámetro desconocido 'corte'"),
        (WHEN, "entry_date <= 3", "compara fecha con número"),
        (WHEN, "entry_dat <= param.cutoff", "campo desconocido 'entry_dat'"),
        (WHEN, "entry_date <= param.cutoff or", "se esperaba algo más"),
        (WHEN, "entry_date <= param.cutoff)", "sobra ')'"),
        (WHEN, '__import__("os")', "llegó '__import__'"),
        (WHEN, "entry_regular; import os", "carácter inesperado"),
        (WHEN, 'documents includes "pasaprote"', "'pasaprote' no es un código de"),
        (WHEN, 'nationality in ["VE", "XX"]', "'XX' no es un código de national"),
        (WHEN, 'nationality < "VE"', "no se aplica a texto"),
        (WHEN, "entry_date", "'la condición' espera lógico y recibe fecha"),
        (WHEN, "documents includes documents", "no se aplica"),
        (WHEN, "years(entry_date, 3) > 1", "'years' espera fecha"),
        (WHEN, "not not", "llegó 'el final'"),
        ("haber ingresado hasta el {cutoff}", "hasta el {corte}", "parámetro desconocido 'corte'"),
        ("haber ingresado hasta el {cutoff}", "hasta el {cutoff:>10}", "sin formato"),
        ('id = "ingreso"', 'id = "sin_bloqueo_de_proteccion"', "la añade el evaluador"),
    ],
)
def test_a_bad_programme_file_is_refused_naming_the_item(old: str, new: str, expected: str) -> None:
    message = _refused(old, new)
    assert expected in message
    assert message.startswith("xx-prueba.toml")


def test_a_condition_that_reads_nothing_is_refused() -> None:
    with pytest.raises(InputError, match="no mira"):
        language.parse("param.a == param.b", params={"a": 1, "b": 2}, where="c")
    with pytest.raises(InputError, match="no mira ningún dato"):
        language.parse("true", params={}, where="c")


def test_nesting_and_length_are_bounded() -> None:
    deep = "(" * 60 + "entry_regular" + ")" * 60
    with pytest.raises(InputError, match="anidada"):
        language.parse(deep, params={}, where="c")
    with pytest.raises(InputError, match="más de 1000"):
        language.parse("entry_regular or " * 100 + "entry_regular", params={}, where="c")


def test_the_grammar_reads_what_the_docstring_shows() -> None:
    params = {
        "entry_before": date(2020, 3, 18),
        "window_opens": date(2021, 4, 20),
        "window_closes": date(2021, 10, 17),
        "identity_documents": ["pasaporte", "cedula"],
        "adult_age": 18,
        "certificates": ["antecedentes_origen"],
        "nationalities": ["VE"],
    }
    shown = re.findall(r"^    (\S.*)$", language.__doc__ or "", flags=re.MULTILINE)[:6]
    assert len(shown) == 6
    for text in shown:
        assert language.parse(text, params=params, where="c").kind is language.Kind.BOOL
    node = language.parse(shown[3], params=params, where="c")
    assert language.fields_of(node) == ("birth_date", "application_date", "documents")
    more = {"docs": ["pasaporte"], "on": True}
    for text in (
        'nationality not in ["VE"] or "cedula" in documents',
        "(entry_regular or not param.on) and evaluation_date >= application_date",
        "entry_regular == false and documents includes_any param.docs",
    ):
        assert language.parse(text, params=more, where="c").kind is language.Kind.BOOL
