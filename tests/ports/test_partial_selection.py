"""A node knows the selection probability only for the rows its own lists chose: the
model takes it there and estimates the propensity of every other row."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alianza.ports import model as models


def test_recorded_probabilities_where_known_estimates_elsewhere(train_frame: pd.DataFrame) -> None:
    recorded = np.full(len(train_frame), np.nan)
    rows = np.flatnonzero(train_frame["inspected"].to_numpy() == 1)[::3]
    recorded[rows] = 0.5
    trained = models.train(train_frame, seed=11, selection_probability=recorded)
    method = trained.meta["propensity"]["method"]
    assert f"registrada en {len(rows):,} filas" in method
    assert "validación cruzada" in method
