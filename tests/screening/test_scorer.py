"""The Python twin of every level agrees with Splink's SQL on real pairs; weights and words."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from splink import DuckDBAPI, Linker

from alianza.identity import model, synthetic
from alianza.identity.contract import read_registry
from alianza.identity.defaults import default_model
from alianza.identity.features import feature_frame, features
from alianza.screening.scorer import Scorer, list_prior, probability


@pytest.fixture(scope="module")
def pairs(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, dict, dict]:
    d: Path = tmp_path_factory.mktemp("par")
    synthetic.linkage_pair(
        left_size=600,
        overlap=0.6,
        right_size=550,
        seed=11,
        left_path=d / "l.csv",
        right_path=d / "r.csv",
        truth_path=d / "t.csv",
    )
    left = read_registry(d / "l.csv").rows
    right = read_registry(d / "r.csv").rows
    api = DuckDBAPI()
    tables = [
        api.register(feature_frame(left), table_name="izquierda"),
        api.register(feature_frame(right), table_name="derecha"),
    ]
    settings = {
        **default_model(),
        "link_type": "link_only",
        "retain_intermediate_calculation_columns": True,
        "retain_matching_columns": True,
    }
    linker = Linker(tables, settings, log_level=None)
    scored = linker.inference.predict(warning_mode="never").as_pandas_dataframe()
    by_id = {r["record_id"]: features(r) for r in left + right}
    return scored, by_id, default_model()


def test_python_levels_equal_splink_sql_levels(pairs: tuple[pd.DataFrame, dict, dict]) -> None:
    scored, by_id, _ = pairs
    assert len(scored) > 300
    for row in scored.itertuples():
        a, b = by_id[row.unique_id_l], by_id[row.unique_id_r]
        for comparison in model.COMPARISONS:
            gamma = int(getattr(row, f"gamma_{comparison.name}"))
            # Splink numbers levels from the strongest down, the null level as -1.
            assert gamma == _gamma(comparison, comparison.level_of(a, b)), (
                comparison.name,
                row.unique_id_l,
                row.unique_id_r,
            )


def test_python_weights_equal_splink_match_weights(pairs: tuple[pd.DataFrame, dict, dict]) -> None:
    # Term-frequency adjustments depend on the table they are counted over (Splink: these
    # two registries; screening: the watch list), so they are set aside on both sides.
    scored, by_id, trained = pairs
    scorer = Scorer(trained)
    tf_columns = [c for c in scored.columns if c.startswith("mw_tf_adj_")]
    for row in scored.itertuples():
        weight, _ = scorer.score(by_id[row.unique_id_l], by_id[row.unique_id_r])
        without_tf = row.match_weight - sum(getattr(row, c) for c in tf_columns)
        assert weight == pytest.approx(without_tf, abs=1e-6), (row.unique_id_l, row.unique_id_r)


def test_explanations_name_what_agreed_differed_and_was_missing() -> None:
    scorer = Scorer(default_model())
    a = features(_row("María José", "Núñez", "Peña", "1990-03-07", "RUT_CL", "12.345.678-5"))
    b = features(_row("MARIA", "NUNXXEZ", "", "1990-07-03", "PASSPORT", "F1234567"))
    weight, reached = scorer.score(a, b)
    words = {e.field: (e.status, e.level) for e in scorer.explain(reached)}
    assert words["nombres de pila"] == ("agrees", "primer nombre igual")
    assert words["apellidos"] == ("agrees", "primer apellido igual, falta el segundo")
    assert words["fecha de nacimiento"] == ("agrees", "día y mes cambiados")
    assert words["documento"][1] == "documentos de distinto tipo"
    assert words["sexo"][0] == "missing"
    english = {e.field_en: e.level_en for e in scorer.explain(reached)}
    assert english["date of birth"] == "day and month swapped"
    assert 0.0 < probability(weight) <= 1.0


def test_a_model_for_other_comparisons_is_refused() -> None:
    broken = default_model() | {"comparisons": default_model()["comparisons"][:-1]}
    with pytest.raises((KeyError, ValueError)):
        Scorer(broken)


def _gamma(comparison: model.Comparison, index: int) -> int:
    # Splink numbers the levels from the strongest (highest) down to 0 for "else", and
    # the null level -1; every comparison here starts with its null level.
    assert comparison.levels[0].null
    return -1 if index == 0 else len(comparison.levels) - index


def _row(given: str, s1: str, s2: str, birth: str, doc_type: str, number: str) -> dict[str, str]:
    return {
        "record_id": "x",
        "given_names": given,
        "surname_1": s1,
        "surname_2": s2,
        "birth_date": birth,
        "sex": "",
        "nationality": "",
        "document_type": doc_type,
        "document_number": number,
    }


def test_a_long_list_lowers_the_prior_a_short_one_keeps_the_trained_one() -> None:
    # Against 1,000,000 entries the trained prior (two registries of 10,000) made 4 of 5
    # batch candidates false: a traveller is at most one person on the list.
    trained = default_model()["probability_two_random_records_match"]
    assert list_prior(trained, 1_000_000) == pytest.approx(1e-6)
    assert list_prior(trained, 3) == trained
    scorer = Scorer(default_model())
    a = features(_row("Ana", "Soto", "", "1990-01-02", "", ""))
    long_list, _ = scorer.score(a, a, prior=list_prior(trained, 1_000_000))
    short_list, _ = scorer.score(a, a)
    assert long_list == pytest.approx(short_list - math.log2(trained / 1e-6), abs=0.01)


def test_swapped_boxes_count_once() -> None:
    # Counted by both name comparisons they were worth +26 bits, more than every name
    # agreeing: one "GONZALEZ AGUILERA, CARLOS" was linked to 485 Carlos González.
    scorer = Scorer(default_model())
    a = features(_row("Carlos", "González", "Aguilera", "", "", ""))
    b = features(_row("GONZALEZ AGUILERA", "CARLOS", "", "", "", ""))
    _, reached = scorer.score(a, b)
    evidence = {e.field: e for e in scorer.explain(reached)}
    assert evidence["nombres de pila"].level == "nombre y apellido en casillas cruzadas"
    assert evidence["nombres de pila"].weight > 5
    assert evidence["apellidos"].level == "nombre y apellido en casillas cruzadas"
    assert evidence["apellidos"].weight == 0.0
