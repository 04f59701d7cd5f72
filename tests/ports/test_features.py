"""No feature of a declaration sees a row dated on or after its own date."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alianza.ports.features import build_features, daily_sums, feature_names


@pytest.fixture(scope="module")
def small(train_frame: pd.DataFrame) -> pd.DataFrame:
    # Six weeks, a few busy exporters: enough shared keys for history to matter.
    frame = train_frame[train_frame["date"] < "2024-02-12"]
    busy = frame["exporter_id"].value_counts().index[:40]
    return frame[frame["exporter_id"].isin(busy)].head(1500).reset_index(drop=True)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    numeric = [c for c in a.columns if pd.api.types.is_float_dtype(a[c])]
    np.testing.assert_allclose(a[numeric].to_numpy(), b[numeric].to_numpy(), equal_nan=True)
    assert (a.drop(columns=numeric).to_numpy() == b.drop(columns=numeric).to_numpy()).all()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut_day=st.integers(3, 40), seed=st.integers(0, 2**31 - 1))
def test_changing_the_future_leaves_the_past_alone(
    small: pd.DataFrame, cut_day: int, seed: int
) -> None:
    cut = small["date"].min() + pd.Timedelta(days=cut_day)
    past = small["date"] < cut
    before = build_features(small)[past.to_numpy()].reset_index(drop=True)

    rng = np.random.default_rng(seed)
    altered = small.copy()
    later = np.flatnonzero(~past.to_numpy())
    # Flip the future's outcomes, move it between exporters, inflate its values...
    altered.loc[later, "inspected"] = 1
    altered.loc[later, "illicit"] = rng.integers(0, 2, len(later)).astype("float32")
    altered.loc[later, "exporter_id"] = rng.permutation(altered.loc[later, "exporter_id"])
    altered.loc[later, "declared_value_usd"] *= 50
    # ... drop some of it, and put what is left first, shuffled.
    kept = rng.permutation(later)[: max(1, int(len(later) * rng.uniform(0.3, 1.0)))]
    future = altered.iloc[kept]
    altered = altered.iloc[np.r_[kept, np.flatnonzero(past.to_numpy())]].reset_index(drop=True)
    after = build_features(altered).iloc[len(future) :].reset_index(drop=True)
    _same(before, after)


def test_rows_of_the_same_day_do_not_see_each_other(small: pd.DataFrame) -> None:
    first = small[small["date"] == small["date"].min()]
    features = build_features(first)
    assert (features["exporter_n"] == 0).all() and features["exporter_age_days"].isna().all()


def test_history_counts_as_if_the_files_were_one(small: pd.DataFrame) -> None:
    cut = small["date"].min() + pd.Timedelta(days=20)
    older, newer = small[small["date"] < cut], small[small["date"] >= cut]
    whole = build_features(small)[(small["date"] >= cut).to_numpy()].reset_index(drop=True)
    split = build_features(newer.drop(columns=["inspected", "illicit"]), history=daily_sums(older))
    for name in ("exporter_n", "exporter_age_days", "exp_dest_n", "hs4_n", "value_kg_z"):
        np.testing.assert_allclose(split[name], whole[name], equal_nan=True, rtol=1e-5)
    # A file to score brings counts, not outcomes: its own rows add no inspections.
    inspected = split["exporter_insp_rate"].fillna(0) <= whole["exporter_insp_rate"].fillna(0)
    assert (inspected | np.isclose(split["exporter_insp_rate"], whole["exporter_insp_rate"])).all()
    assert list(split.columns) == feature_names()


def test_new_exporter_features(small: pd.DataFrame) -> None:
    features = build_features(small)
    row = features.iloc[-1]
    assert row["exporter_age_days"] >= 0 and row["exporter_n"] > 0
    exporter = small["exporter_id"].iloc[-1]
    earlier = small[(small["exporter_id"] == exporter) & (small["date"] < small["date"].iloc[-1])]
    assert row["exporter_n"] == len(earlier)
    assert row["exporter_age_days"] == (small["date"].iloc[-1] - earlier["date"].min()).days
