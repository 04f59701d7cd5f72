"""The synthetic data generator: valid, deterministic, with the promised mix."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from stdnum import imo, iso6346
from stdnum.cl import rut
from stdnum.ec import ci

from alianza.demo.generator import GeneratedRecord, _digit_sums, generate_records
from alianza.errors import InputError
from alianza.records.kinds import validate_data
from alianza.records.rules import HandlingCode, RecordKind, Rules, Scope

N = 2_000
MIX = {
    RecordKind.PERSON: 0.55,
    RecordKind.DOCUMENT: 0.10,
    RecordKind.VEHICLE: 0.08,
    RecordKind.VESSEL: 0.05,
    RecordKind.CONTAINER: 0.12,
    RecordKind.ORGANISATION: 0.05,
    RecordKind.SEIZURE: 0.05,
}
PORTS = {"Guayaquil", "Posorja", "Puerto Bolívar", "Manta"}


@pytest.fixture(scope="module", params=["CL", "EC"])
def records(request: pytest.FixtureRequest) -> list[GeneratedRecord]:
    return list(generate_records(n=N, seed=11, country=request.param))


def test_every_record_passes_the_gates_already_canonical(records: list[GeneratedRecord]) -> None:
    assert len(records) == N
    for record in records:
        assert validate_data(record.kind, record.data) == record.data
        rules = Rules(**record.rules)
        if rules.handling_code is HandlingCode.H3:
            assert rules.handling_note
        if rules.scope is Scope.PARTNERS:
            assert rules.scope_countries == record.rules["scope_countries"]


def test_identifiers_pass_python_stdnum(records: list[GeneratedRecord]) -> None:
    seen = Counter[str]()
    for record in records:
        for doc in record.data.get("documents", []):
            seen[doc["type"]] += 1
            if doc["type"] == "RUT_CL":
                assert rut.is_valid(doc["number"]), doc
            elif doc["type"] == "CI_EC":
                assert ci.is_valid(doc["number"]) and doc["number"][2] < "6", doc
                assert "01" <= doc["number"][:2] <= "24"
        if record.kind is RecordKind.CONTAINER:
            assert iso6346.is_valid(record.data["number"])
            assert record.data["last_port"] in PORTS
        if record.kind is RecordKind.VESSEL and "imo" in record.data:
            assert imo.is_valid(record.data["imo"])
    for doc_type in ("RUT_CL", "CI_EC", "DNI_PE", "CC_CO", "CI_VE", "PASSPORT"):
        assert seen[doc_type] > 0, doc_type


def test_check_digit_tables_agree_with_stdnum() -> None:
    assert _digit_sums((2, 1, 2), fold=True)[987] == 9 + 8 + 5  # 2*9=18 -> 9, 7, 2*7=14 -> 5
    assert _digit_sums((8, 9, 4, 5))[1234] == 8 + 18 + 12 + 20
    for record in generate_records(n=N, seed=3, country="CL"):
        for doc in record.data.get("documents", []):
            if doc["type"] == "RUT_CL":
                body, check = doc["number"].split("-")
                assert rut.calc_check_digit(body) == check


def test_same_seed_same_records_other_seed_other_records() -> None:
    first = list(generate_records(n=300, seed=5, country="EC"))
    again = list(generate_records(n=300, seed=5, country="EC"))
    other = list(generate_records(n=300, seed=6, country="EC"))
    assert first == again
    assert [r.data for r in first] != [r.data for r in other]


def test_kind_mix_is_roughly_as_specified(records: list[GeneratedRecord]) -> None:
    counts = Counter(record.kind for record in records)
    for kind, share in MIX.items():
        assert abs(counts[kind] / N - share) < 0.03, (kind, counts[kind])


def test_persons_are_realistic(records: list[GeneratedRecord]) -> None:
    persons = [r.data for r in records if r.kind is RecordKind.PERSON]
    nationalities = Counter(p["nationality"] for p in persons)
    assert sum(nationalities[c] for c in ("CL", "EC", "VE", "CO", "PE")) / len(persons) > 0.85
    assert all(p["surname_2"] for p in persons)
    assert all(p["sex"] in ("M", "F") for p in persons)
    assert all(date(1950, 1, 1).isoformat() <= p["birth_date"] <= "2007-12-31" for p in persons)
    surnames = {p["surname_1"] for p in persons} | {p["surname_2"] for p in persons}
    assert surnames & {"de la Cruz", "Del Castillo", "de la Torre", "San Martín"}
    assert any("ñ" in s for s in surnames)
    assert any(" " in p["given_names"] for p in persons)


def test_siblings_and_namesakes_are_present(records: list[GeneratedRecord]) -> None:
    persons = [r.data for r in records if r.kind is RecordKind.PERSON]
    families: dict[tuple[str, str], set[str]] = {}
    names: dict[tuple[str, str, str], set[str]] = {}
    for p in persons:
        families.setdefault((p["surname_1"], p["surname_2"]), set()).add(p["given_names"])
        names.setdefault((p["given_names"], p["surname_1"], p["surname_2"]), set()).add(
            p["birth_date"]
        )
    siblings = sum(1 for given in families.values() if len(given) > 1)
    namesakes = sum(1 for births in names.values() if len(births) > 1)
    assert siblings >= 0.01 * len(persons)
    assert namesakes >= 0.01 * len(persons)


def test_seizures_and_vessels(records: list[GeneratedRecord]) -> None:
    seizures = [r.data for r in records if r.kind is RecordKind.SEIZURE]
    references = [s["reference"] for s in seizures]
    assert len(set(references)) == len(references)
    assert all(
        ref.startswith(("EC-GYE-2024-", "EC-PSJ-2024-", "EC-PBO-2024-", "EC-MEC-2024-"))
        for ref in references
    )
    assert {s["substance"] for s in seizures} <= {"cocaína", "marihuana", "ketamina"}
    mean = sum(s["quantity_kg"] for s in seizures) / len(seizures)
    assert 30 < mean < 400  # 294.6 t in 2024 spread over a few thousand seizures
    flags = {"735": "EC", "725": "CL", "351": "PA", "352": "PA", "353": "PA", "636": "LR"}
    for vessel in (r.data for r in records if r.kind is RecordKind.VESSEL):
        assert flags[vessel["mmsi"][:3]] == vessel["flag"]


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(InputError) as info:
        list(generate_records(n=1, country="AR"))
    assert info.value.problems[0].field == "country"
    with pytest.raises(InputError) as info:
        list(generate_records(n=-1))
    assert info.value.problems[0].field == "n"
    assert list(generate_records(n=0)) == []
