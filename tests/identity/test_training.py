"""Training on registries shaped unlike ours: it never stops, and small ones use the shipped model.

The crash these guard against: a training rule lets through pairs of different persons
(a document number shared by strangers) that disagree on several comparisons at once; EM
drove those rungs' m to exactly 0.0 in a few iterations and Splink refused the value
(``m_probability value 0.0 is below the minimum allowed value of 1e-300``).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import splink.internals.expectation_maximisation as splink_em

from alianza.identity import training
from alianza.identity.contract import read_registry
from alianza.identity.defaults import default_model
from alianza.identity.linker import Trained, dedupe, link, train
from alianza.identity.synthetic import linkage_pair

Row = dict[str, str]
FIELDS = ("record_id", "given_names", "surname_1", "surname_2", "birth_date", "sex",
          "nationality", "document_type", "document_number")  # fmt: skip


def rows(*lines: str) -> list[Row]:
    return [dict(zip(FIELDS, line.split(","), strict=True)) for line in lines]


LEFT = rows(
    "A1,José Luis,González,Pérez,1985-07-14,M,CL,RUT_CL,12345678-5",
    "A2,María,Quishpe,Tandazo,1990-01-02,F,EC,CI_EC,1710034065",
    "A3,Carlos,Rodríguez,,1978-11-30,M,VE,PASSPORT,123456789",
    "A4,Ana Lucía,Torres,Mendoza,2001-03-05,F,PE,DNI_PE,45678912",
)
# B3 is another person with A3's passport number: the pair that emptied EM's rungs.
RIGHT = rows(
    "B1,JOSE,GONZALEZ,PEREZ,1985-07-14,M,CL,RUT_CL,12345678-5",
    "B2,MARIA,QUISPE,TANDAZO,1990-02-01,F,EC,CI_EC,1710034065",
    "B3,Pedro,Sánchez,Vera,1966-06-06,M,CO,CC_CO,123456789",
    "B4,ANA LUCIA,TORRES,,2001-03-05,F,PE,,",
)


def m_values(model: dict[str, Any]) -> list[float]:
    """The m of every level that has one (a level EM never reached keeps Splink's default)."""
    return [
        level["m_probability"]
        for comparison in model["comparisons"]
        for level in comparison["comparison_levels"]
        if "m_probability" in level
    ]


def test_em_on_a_document_shared_by_strangers_keeps_m_at_the_floor() -> None:
    trained = train(LEFT, RIGHT)  # trains whatever the size: what the crash needed
    assert min(m_values(trained)) >= training.M_FLOOR


def test_the_floor_holds_only_inside_alianza_training() -> None:
    # Generic Splink in the same process (the benchmark) trains exactly as Splink does.
    assert hasattr(splink_em.compute_proportions_for_new_parameters, "__wrapped__")
    record = {"output_column_name": "given", "comparison_vector_value": 0, "m_probability": 0.0}
    floored = training._floored(lambda _: [dict(record)])
    assert floored(None)[0]["m_probability"] == 0.0
    with training._em_floor(0.001):
        assert floored(None)[0]["m_probability"] == 0.001


@pytest.fixture(scope="module")
def reused_documents(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[list[Row], list[Row], set[tuple[str, str]]]:
    """600 x 600 records, 300 persons in both; 10% of the right rows carry the document of
    an unrelated left person (a clerk's placeholder, a family's shared passport): the shape
    of the held-out registries on which ``alianza link`` stopped."""
    folder = tmp_path_factory.mktemp("reused")
    made = linkage_pair(
        left_size=600, overlap=0.5, right_size=600, seed=3,
        left_path=folder / "l.csv", right_path=folder / "r.csv", truth_path=folder / "t.csv",
    )  # fmt: skip
    left, right = read_registry(made.left_path).rows, read_registry(made.right_path).rows
    rng = random.Random(1)
    for row in right:
        if rng.random() < 0.1:
            other = rng.choice(left)
            row["document_type"], row["document_number"] = (
                other["document_type"],
                other["document_number"],
            )
    truth_rows = read_registry_pairs(made.truth_path)
    return left, right, truth_rows


def read_registry_pairs(path: Path) -> set[tuple[str, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    return {(a, b) for a, b in (line.split(",") for line in lines)}


def test_link_trains_on_documents_reused_by_strangers(
    reused_documents: tuple[list[Row], list[Row], set[tuple[str, str]]],
) -> None:
    left, right, truth = reused_documents
    used = Trained()
    pairs = link(left, right, trained=used)
    assert min(m_values(used.model)) >= training.M_FLOOR
    found = set(zip(pairs["left_id"], pairs["right_id"], strict=True))
    hits = len(found & truth)
    assert hits >= 0.9 * len(truth)
    assert hits >= 0.9 * len(found)


def test_small_registries_use_the_shipped_model() -> None:
    said: list[str] = []
    used = Trained()
    pairs = link(LEFT, RIGHT, trained=used, progress=said.append)
    assert any(s.startswith("registro pequeño (4 registros < 500)") for s in said)
    assert m_values(used.model) == m_values(default_model())
    assert not any(
        "tf_adjustment_column" in level
        for comparison in used.model["comparisons"]
        for level in comparison["comparison_levels"]
    )
    found = set(zip(pairs["left_id"], pairs["right_id"], strict=True))
    assert found == {("A1", "B1"), ("A2", "B2"), ("A4", "B4")}


def test_small_registry_dedupes_with_the_shipped_model() -> None:
    copies = [{**r, "record_id": "C" + r["record_id"]} for r in RIGHT[:3]]
    persons = dedupe([*LEFT[:3], *copies])
    assert len(persons) == 6
    assert persons["A1"] == persons["CB1"]
    assert persons["A2"] == persons["CB2"]
    assert persons["A3"] != persons["CB3"]


def test_an_empty_registry_links_to_nothing() -> None:
    assert link([], RIGHT).empty
    assert link(LEFT, []).empty
    assert dedupe([]) == {}


def test_small_note_only_below_the_minimum() -> None:
    assert (
        training.small_note([4, 4])
        == "registro pequeño (4 registros < 500): se usa el modelo incluido, sin entrenar"
    )
    assert training.small_note([0, 4]) is None
    assert training.small_note([training.MIN_TRAINING_RECORDS] * 2) is None
