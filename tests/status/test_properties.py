"""Properties over random applications: the evaluator never crashes, its outcome is one
of three, ``failed_conditions`` is empty exactly when eligible, a protection flag always
goes to a person, and the column-wise evaluator says what the row-by-row one says.
Random text in any cell is either read or refused with an ``InputError``, never more."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alianza.corridor.blocks import BLOCKING_FLAGS, LIFTED_BY
from alianza.errors import InputError
from alianza.status import contract, naive, rules, synthetic
from alianza.status.evaluate import evaluate
from alianza.status.rules import PROTECTION
from alianza.status.vocabulary import DOCUMENTS, FAMILY_TIES, FLAGS
from tests.status.conftest import application, to_text

CHECKS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# (programme, evaluation date) pairs covering every shipped version.
WHEN = [
    ("cl-regularizacion-extraordinaria", date(2018, 8, 1)),
    ("cl-regularizacion-extraordinaria", date(2021, 11, 30)),
    ("cl-reunificacion-familiar", date(2023, 3, 1)),
    ("ec-virte", date(2020, 3, 1)),
    ("ec-virte", date(2023, 1, 15)),
    ("ec-residencia-mercosur", date(2024, 5, 1)),
]


def _maybe(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.just(""), strategy)


def _codes(vocabulary: dict[str, str]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(sorted(vocabulary)), max_size=5).map(";".join)


@st.composite
def rows(draw: st.DrawFn, on: date) -> list[dict[str, str]]:
    """Applications whose dates can all be true (birth <= entry <= application <= on)."""
    found = []
    for i in range(draw(st.integers(1, 6))):
        applied = on - timedelta(days=draw(st.integers(0, 3000)))
        entry = applied - timedelta(days=draw(st.integers(0, 4000)))
        birth = entry - timedelta(days=draw(st.integers(0, 30000)))
        expiry = applied + timedelta(days=draw(st.integers(-4000, 4000)))
        cells = {
            "application_id": f"r{i}",
            "birth_date": draw(_maybe(st.just(birth.isoformat()))),
            "entry_date": draw(_maybe(st.just(entry.isoformat()))),
            "application_date": draw(_maybe(st.just(applied.isoformat()))),
            "document_expiry": draw(_maybe(st.just(expiry.isoformat()))),
            "nationality": draw(_maybe(st.sampled_from(["VE", "CO", "PE", "HT", "BO", "CL"]))),
            "entry_regular": draw(st.sampled_from(["true", "false", "", "TRUE"])),
            "criminal_record_declared": draw(st.sampled_from(["true", "false", ""])),
            "pending_criminal_case": draw(st.sampled_from(["true", "false", ""])),
            "documents": draw(_codes(DOCUMENTS)),
            "family_ties": draw(_codes(FAMILY_TIES)),
            "flags": draw(st.one_of(st.just(""), st.just(""), _codes(FLAGS))),
        }
        found.append(application(**cells))
    return found


def _blocked(flags: str) -> bool:
    have = set(flags.split(";")) - {""}
    return any(f in have and LIFTED_BY.get(f) not in have for f in BLOCKING_FLAGS)


@CHECKS
@given(data=st.data(), which=st.sampled_from(WHEN))
def test_any_possible_application_gets_a_sound_verdict(
    data: st.DataObject, which: tuple[str, date]
) -> None:
    programme_id, on = which
    programme = rules.programmes()[programme_id]
    version = programme.version_on(on)
    raw = [{**r, "country": programme.country} for r in data.draw(rows(on))]
    apps = contract.parse(
        to_text(raw),
        name="in.csv",
        on=on,
        country=programme.country,
        programme=programme.id,
        fields=version.fields,
    )
    fast = evaluate(apps, programme=programme, version=version)
    slow = naive.evaluate(apps, programme=programme, version=version)
    assert (fast.outcomes, fast.failed, fast.explanations) == (
        slow.outcomes,
        slow.failed,
        slow.explanations,
    )
    ids = {c.id for c in version.conditions} | {PROTECTION}
    for row, outcome, failed, explanation in zip(
        raw, fast.outcomes, fast.failed, fast.explanations, strict=True
    ):
        assert outcome in ("eligible", "not_eligible", "needs_review")
        assert (failed == "") == (outcome == "eligible")
        assert set(failed.split(";")) - {""} <= ids
        if _blocked(row["flags"]):
            assert outcome == "needs_review" and failed.startswith(PROTECTION)
        for condition in version.conditions:
            assert f"«{condition.id}»" in explanation and condition.source in explanation


_CELL = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "true", "2020-02-30", "VE", "pasaporte;x", "\x00", "\u202e", "é"]),
)


@CHECKS
@given(cells=st.dictionaries(st.sampled_from(contract.COLUMNS), _CELL, max_size=6))
def test_random_text_in_any_cell_is_read_or_refused_never_a_crash(cells: dict[str, Any]) -> None:
    programme = rules.programmes()["ec-virte"]
    on = date(2023, 1, 15)
    version = programme.version_on(on)
    row = application(country="EC", entry_date="2021-01-01", application_date="2022-10-01")
    row.update(cells)
    try:
        apps = contract.parse(
            to_text([row]),
            name="in.csv",
            on=on,
            country="EC",
            programme=programme.id,
            fields=version.fields,
        )
    except InputError as exc:
        assert exc.message.startswith("in.csv") and exc.exit_code == 2
        return
    result = evaluate(apps, programme=programme, version=version)
    assert result.outcomes[0] in ("eligible", "not_eligible", "needs_review")


@pytest.mark.parametrize(("programme_id", "on"), WHEN[1::2])
def test_synthetic_applications_keep_the_contract_and_mix_every_outcome(
    programme_id: str, on: date
) -> None:
    programme = rules.programmes()[programme_id]
    version = programme.version_on(on)
    made = synthetic.rows(3000, programme=programme, version=version, on=on, seed=5)
    assert made == synthetic.rows(3000, programme=programme, version=version, on=on, seed=5)
    apps = contract.parse(
        to_text(made),
        name="in.csv",
        on=on,
        country=programme.country,
        programme=programme.id,
        fields=version.fields,
    )
    counts = evaluate(apps, programme=programme, version=version).counts()
    assert min(counts.values()) > 0
    nationalities = {r["nationality"] for r in made}
    assert {"VE", "CO", "PE", "HT"} <= nationalities
    share = sum(r["nationality"] == "VE" for r in made) / len(made)
    assert 0.6 < share < 0.85
    assert any(r["flags"] for r in made) and any(
        r["criminal_record_declared"] == "true" for r in made
    )
