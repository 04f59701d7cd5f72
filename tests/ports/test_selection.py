"""The day's list: budget, recorded exploration probabilities, explanations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from alianza.errors import InputError
from alianza.ports import model as models
from alianza.ports.selection import EXPLORATION, MODEL, choose, describe, top_reasons


def test_budget_and_exploration_shares() -> None:
    risk = np.linspace(0, 1, 1000)
    chosen = choose(risk, budget=0.05, explore=0.2, seed=1)
    assert len(chosen.rows) == 50 and len(set(chosen.rows)) == 50
    by_model = chosen.rows[chosen.by == MODEL]
    assert sorted(by_model) == list(range(999, 959, -1))[::-1]  # the 40 highest
    explored = chosen.by == EXPLORATION
    assert explored.sum() == 10
    assert set(chosen.rows[explored]).isdisjoint(by_model)
    np.testing.assert_allclose(chosen.probability[~explored], 1.0)
    np.testing.assert_allclose(chosen.probability[explored], 10 / 960)


def test_exploration_is_reproducible_and_fair() -> None:
    risk = np.random.default_rng(0).random(500)
    a = choose(risk, budget=0.1, explore=0.5, seed=42)
    b = choose(risk, budget=0.1, explore=0.5, seed=42)
    c = choose(risk, budget=0.1, explore=0.5, seed=43)
    assert (a.rows == b.rows).all() and (a.probability == b.probability).all()
    assert set(a.rows) != set(c.rows)
    # The recorded probability is the real inclusion frequency of an unpicked row.
    hits = np.zeros(len(risk))
    for seed in range(400):
        pick = choose(risk, budget=0.1, explore=0.5, seed=seed)
        hits[pick.rows[pick.by == EXPLORATION]] += 1
    rest = np.argsort(-risk, kind="stable")[25:]
    assert hits[rest].mean() / 400 == pytest.approx(a.probability[-1], rel=0.05)


@pytest.mark.parametrize(("budget", "explore"), [(0, 0.1), (1.5, 0.1), (0.05, 1.0), (0.1, -0.1)])
def test_bad_options(budget: float, explore: float) -> None:
    with pytest.raises(InputError):
        choose(np.zeros(10), budget=budget, explore=explore, seed=1)


def test_reasons_come_from_pred_contrib(trained: models.RiskModel, day_frame: pd.DataFrame) -> None:
    part = day_frame.head(200)
    features = trained.features_of(part)
    contributions = trained.contributions(trained.matrix(features))
    reasons = top_reasons(contributions, trained.features)
    for row, found in zip(contributions, reasons, strict=True):
        positive = sorted((v for v in row[:-1] if v > 0), reverse=True)[:3]
        assert [v for _, v in found] == pytest.approx(positive)


def test_explanations_read_like_an_analyst() -> None:
    raw = {"destination_port": "BEANR", "hs_code": "080390", "transshipment_port": "PAMIT"}
    assert describe("exporter_age_days", {"exporter_age_days": 12.0}, raw) == (
        "exportador nuevo (12 días)"
    )
    assert describe("exporter_age_days", {"exporter_age_days": math.nan}, raw) == (
        "exportador sin historial previo"
    )
    assert describe("dest_port_hit", {"dest_port_hit": 0.031}, raw).startswith(
        "destino de riesgo: BE-ANR"
    )
    assert "PA-MIT" in describe("transship_hit", {"transship_hit": 0.02}, raw)
    assert describe("booking_lead_days", {"booking_lead_days": 1.0}, raw) == (
        "reserva con poca antelación (1 día)"
    )
    assert "0803" in describe("value_kg_z", {"value_kg_z": -2.5}, raw)
    for name in trained_feature_names():
        assert describe(name, {name: 1.0}, raw)  # every feature has a sentence


def trained_feature_names() -> list[str]:
    from alianza.ports.features import feature_names

    return feature_names()
