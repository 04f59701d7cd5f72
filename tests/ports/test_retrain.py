"""Retraining: the new model is compared with the old on the weeks it held out, and
replaces it only when at least as good (``model.retrain``, ``ports train --replace``).

The data: 120 days of generated declarations (seed 13, about 33,000 rows) with outcomes
redrawn so that the last four weeks hold enough findings to rank: 15% inspected at
random, a finding 15% of the time for the Netherlands and Belgium and 1% elsewhere.
``old`` is trained on the rows before April; ``grown`` is the whole period, so the
held-out weeks (April) are rows ``old`` never saw. A model trained on outcomes shuffled
before its held-out weeks has learnt nothing true: it is the "worse model" of these
tests, a real one and not a patched verdict.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alianza.ports import model as models
from alianza.ports.contract import read_declarations
from alianza.ports.synthetic import generate, write_csv

APRIL = np.datetime64("2024-04-01")


@pytest.fixture(scope="module")
def grown(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    raw = generate(seed=13, days=120, per_year=100_000)
    rng = np.random.default_rng(13)
    inspected = rng.random(len(raw)) < 0.15
    risky = raw["destination_country"].isin(["NL", "BE"]).to_numpy()
    found = rng.random(len(raw)) < np.where(risky, 0.15, 0.01)
    raw["inspected"] = inspected.astype(int)
    raw["illicit"] = np.where(inspected, found.astype(float), np.nan)
    path = tmp_path_factory.mktemp("retrain") / "grown.csv"
    write_csv(raw, path)
    return read_declarations(path, labels=True).frame


@pytest.fixture(scope="module")
def old(grown: pd.DataFrame) -> models.RiskModel:
    return models.train(grown[grown["date"] < APRIL].reset_index(drop=True), seed=3)


def shuffled(frame: pd.DataFrame, *, before: np.datetime64) -> pd.DataFrame:
    """``frame`` with the outcomes of inspected rows dated before ``before`` permuted."""
    out = frame.copy()
    rows = np.flatnonzero((out["inspected"] == 1).to_numpy() & (out["date"] < before).to_numpy())
    column = out.columns.get_loc("illicit")
    values = out["illicit"].to_numpy()[rows]
    out.iloc[rows, column] = np.random.default_rng(0).permutation(values)
    return out


@pytest.fixture(scope="module")
def noise(grown: pd.DataFrame) -> models.RiskModel:
    """A model of the grown period that learnt from shuffled outcomes (its window is real)."""
    window_start = np.datetime64(models.train(grown, seed=3).meta["validation_range"][0])
    return models.train(shuffled(grown, before=window_start), seed=3)


def test_compare_uses_the_held_out_weeks_the_old_model_never_saw(
    old: models.RiskModel, grown: pd.DataFrame
) -> None:
    new = models.train(grown, seed=3)
    comparison = models.compare(old, new)
    assert not comparison.overlap
    assert comparison.window[0] > old.meta["date_range"][1]
    assert comparison.window == new.meta["validation_range"]
    # The new model's figures are its held-out booster's, the ones train recorded.
    assert comparison.new == new.meta["metrics"]
    for figures in (comparison.old, comparison.new):
        assert {"auc_ipw", "precision@1%_ipw", "precision@5%_ipw", "auc"} <= set(figures)
        assert figures["illicit"] >= models.MIN_FRESH_FINDINGS
    assert comparison.new_wins == (comparison.new["auc_ipw"] >= comparison.old["auc_ipw"])


def test_an_old_model_trained_on_the_window_is_flagged_as_overlapping(
    grown: pd.DataFrame,
) -> None:
    new = models.train(grown, seed=3)
    comparison = models.compare(new, new)  # the final model saw every row of the window
    assert comparison.overlap and comparison.window == new.meta["validation_range"]
    # In sample, the old side can only look better than the held-out booster.
    assert comparison.old["auc_ipw"] >= comparison.new["auc_ipw"]


def test_a_worse_new_model_is_kept_aside_unless_forced(
    old: models.RiskModel, noise: models.RiskModel, grown: pd.DataFrame, tmp_path: Path
) -> None:
    directory = tmp_path / "modelo"
    models.save(old, directory)
    window_start = np.datetime64(noise.meta["validation_range"][0])
    frame = shuffled(grown, before=window_start)
    done = models.retrain(frame, directory, seed=3)
    assert done.comparison is not None and not done.comparison.new_wins
    assert not done.replaced and done.directory == models.candidate_dir(directory)
    assert models.load(directory).meta["date_range"] == old.meta["date_range"]
    assert models.load(done.directory).meta["date_range"] == noise.meta["date_range"]

    forced = models.retrain(frame, directory, seed=3, force=True)
    assert forced.replaced and forced.directory == directory
    assert models.load(directory).meta["date_range"] == noise.meta["date_range"]


def test_a_better_new_model_replaces_the_old(grown: pd.DataFrame, tmp_path: Path) -> None:
    before = grown[grown["date"] < APRIL].reset_index(drop=True)
    directory = tmp_path / "modelo"
    models.save(models.train(shuffled(before, before=APRIL), seed=3), directory)
    done = models.retrain(grown, directory, seed=3)
    assert done.comparison is not None and not done.comparison.overlap
    assert done.comparison.new_wins
    assert done.comparison.new["auc_ipw"] > done.comparison.old["auc_ipw"] + 0.1
    assert done.replaced and not models.candidate_dir(directory).exists()
    assert models.load(directory).meta["trained_at"] == done.model.meta["trained_at"]


def test_retrain_without_a_readable_model_just_saves(grown: pd.DataFrame, tmp_path: Path) -> None:
    done = models.retrain(grown, tmp_path / "nuevo", seed=3)
    assert done.replaced and done.comparison is None and done.previous_error is None
    broken = tmp_path / "roto"
    broken.mkdir()
    (broken / "meta.json").write_text('{"format_version": 0}')
    done = models.retrain(grown, broken, seed=3)
    assert done.replaced and done.previous_error and "formato 0" in done.previous_error
    assert models.load(broken).meta["rows"] == len(grown)


def test_train_replace_prints_both_and_keeps_the_better_old(
    grown: pd.DataFrame, noise: models.RiskModel, tmp_path: Path
) -> None:
    first, later = tmp_path / "hasta-marzo.csv", tmp_path / "crecido.csv"
    write_csv(grown[grown["date"] < APRIL], first)
    write_csv(shuffled(grown, before=np.datetime64(noise.meta["validation_range"][0])), later)
    directory = tmp_path / "modelo"

    def alianza(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-c", "from alianza.cli import main; main()", "ports"]
        return subprocess.run([*command, *args], capture_output=True, text=True, timeout=300)

    run = alianza("train", str(first), "--model", str(directory), "--seed", "3")
    assert run.returncode == 0, run.stderr
    again = alianza("train", str(later), "--model", str(directory), "--seed", "3")
    assert again.returncode == 2 and "--replace" in again.stderr
    run = alianza("train", str(later), "--model", str(directory), "--seed", "3", "--replace")
    assert run.returncode == 0, run.stderr
    assert "anterior" in run.stdout and "nuevo" in run.stdout
    assert "AUC ponderada (IPW)" in run.stdout and "Se conserva el modelo anterior" in run.stdout
    assert "modelo.candidato" in run.stdout.replace("\n", "")
    assert models.load(directory).meta["date_range"][1] < "2024-04-01"
    assert models.load(tmp_path / "modelo.candidato").meta["date_range"][1] > "2024-04-01"
    lonely = alianza("train", str(later), "--model", str(tmp_path / "otro"), "--force")
    assert lonely.returncode == 2 and "--force" in lonely.stderr
