"""The model: IPW weights, time-ordered validation, the versioned directory, contributions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alianza.errors import InputError
from alianza.ports import model as models


def test_ipw_weights_on_a_toy_case() -> None:
    inspected = np.array([1, 1, 0, 1, 0, 0, 0, 0, 0, 0])
    probability = np.array([0.5, 0.25, 0.1, 1.0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.001])
    weights, info = models.propensity_weights(inspected, probability)
    raw = np.array([2.0, 4.0, 1.0])
    np.testing.assert_allclose(weights, raw / raw.mean())
    assert info["inspection_rate"] == pytest.approx(0.3)
    # A propensity below the floor (0.1 x the inspection rate) is raised to it.
    weights, info = models.propensity_weights(np.array([1, 1, 0]), np.array([0.001, 0.5, 0.5]))
    floor = models.CLIP * 2 / 3
    np.testing.assert_allclose(weights, np.array([1 / floor, 2.0]) / np.mean([1 / floor, 2.0]))
    assert info["clipped_share"] == 0.5


def test_recorded_probabilities_drive_the_weights(train_frame: pd.DataFrame) -> None:
    frame = train_frame.sort_values("date", kind="stable").reset_index(drop=True)
    probability = np.full(len(frame), 0.5)
    trained = models.train(frame, selection_probability=probability, seed=3)
    assert trained.meta["propensity"]["method"] == "probabilidad de selección registrada"
    assert trained.meta["propensity"]["max_weight"] == pytest.approx(1.0)
    assert trained.propensity is None


def test_the_model_records_its_range_and_metrics(trained: models.RiskModel) -> None:
    meta = trained.meta
    assert meta["format_version"] == models.FORMAT_VERSION
    assert meta["date_range"] == ["2024-01-01", "2024-03-31"]
    assert meta["validation_range"][0] > "2024-03-01"  # the latest weeks
    assert "auc_ipw" in meta["metrics"] and meta["inspected"] > 0
    assert "validación cruzada" in meta["propensity"]["method"]
    assert set(meta["categories"]) == set(meta["categorical"])


def test_contributions_sum_with_the_bias_to_the_raw_score(
    trained: models.RiskModel, day_frame: pd.DataFrame
) -> None:
    matrix = trained.matrix(trained.features_of(day_frame.head(300)))
    contributions = trained.contributions(matrix)
    assert contributions.shape == (300, len(trained.features) + 1)
    raw = trained.booster.predict(matrix, raw_score=True)
    np.testing.assert_allclose(contributions.sum(axis=1), raw, atol=1e-9)
    risk = trained.predict(matrix)
    np.testing.assert_allclose(risk, 1 / (1 + np.exp(-raw)), rtol=1e-9)
    assert ((risk >= 0) & (risk <= 1)).all()


def test_save_and_load(trained: models.RiskModel, day_frame: pd.DataFrame, tmp_path: Path) -> None:
    directory = tmp_path / "modelo"
    models.save(trained, directory)
    with pytest.raises(InputError, match="--replace"):
        models.save(trained, directory)
    models.save(trained, directory, replace=True)
    loaded = models.load(directory)
    part = day_frame.head(200)
    np.testing.assert_allclose(
        loaded.predict(loaded.matrix(loaded.features_of(part))),
        trained.predict(trained.matrix(trained.features_of(part))),
    )


def test_missing_or_foreign_model_directories(trained: models.RiskModel, tmp_path: Path) -> None:
    with pytest.raises(InputError) as missing:
        models.load(tmp_path / "no-existe")
    assert "alianza ports train" in missing.value.message and "\n" not in missing.value.message
    directory = tmp_path / "viejo"
    models.save(trained, directory)
    meta = json.loads((directory / "meta.json").read_text())
    meta["format_version"] = 0
    (directory / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(InputError, match="formato 0"):
        models.load(directory)


def test_too_few_outcomes_is_bad_input(train_frame: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="muy pocos"):
        models.train(train_frame.head(100))
