"""The container risk model: LightGBM on the past-only features, corrected for selection.

**Labels exist only where someone looked.** Only inspected declarations have an outcome,
and the past policy did not inspect at random: it favoured some ports, products and
destinations, new exporters, and tips. A model fitted on inspected rows as they are
learns the risk *of the rows that policy liked*, and ranks badly the kinds of rows it
seldom opened. We correct with **inverse propensity weighting** (IPW): each labelled row
weighs 1 / P(inspected | its features), so the labelled rows stand for the whole flow
(Horvitz-Thompson). The propensity comes

- from the recorded selection probability when the caller has it (``train(...,
  selection_probability=...)``: the ``selection_probability`` that ``ports select``
  writes for the rows it picked, as a node stores them; NaN where unknown, and those
  rows are estimated as below), else
- from a first LightGBM classifier of ``inspected ~ features`` over every row (the CSV
  contract records no probability). It is *cross-fitted* (each half of the rows is
  predicted by a model trained on the other half): an in-sample propensity of an
  inspected row drifts toward 1 and would undo the correction.

Propensities are clipped below at ``CLIP`` × the overall inspection rate, and the weights
normalised to mean 1: a row the old policy almost never opened would otherwise weigh
thousands and the model would chase its noise (the usual variance/bias trade of IPW).
Why IPW rather than a Heckman-style correction or treating uninspected rows as negatives:
it needs no model of the outcome for unlabelled rows, it is what the recorded
probabilities of ``ports select`` (exploration) make exact, and it keeps LightGBM
unchanged (weights only).

**Time-ordered validation.** The latest ``VALID_WEEKS`` weeks are held out for early
stopping and the recorded metrics; the final model is then refitted on every labelled
row with the number of rounds found (the newest weeks carry the newest schemes).

**Versioned directory.** ``save`` writes ``model.txt`` (LightGBM's own format),
``propensity.txt`` (when estimated), ``history.parquet`` (the training file's daily sums,
so features of later files see its past) and ``meta.json``: format version, alianza and
LightGBM versions, feature list, category maps, training date range, validation range,
metrics and parameters. ``load`` refuses a missing directory or another format version
with one line (``InputError``, exit code 2).

**Retraining** (``retrain``, ``compare``): a new model trained on the grown history
replaces the old one only if, on the weeks it held out (rows the old one never saw), its
IPW-weighted AUC is at least the old one's; otherwise it is kept aside in
``DIR.candidato``. ``force`` replaces regardless.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from alianza import __version__
from alianza.errors import InputError
from alianza.ports.features import CATEGORICAL, build_features, daily_sums, feature_names

FORMAT_VERSION = 1
VALID_WEEKS = 4
CLIP = 0.1  # lowest propensity, as a share of the overall inspection rate
MAX_CATEGORIES = 200
# Fitting runs on one thread: LightGBM's histogram threads meet at a barrier per split, and
# on a shared two-core machine (load 6-8) two threads waited on each other so long that a
# 30,000-row fit took 109 s instead of 1.2 s. Prediction splits rows and loses nothing.
FIT_THREADS, PREDICT_THREADS = 1, 2
PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.08,
    "num_leaves": 31,
    "min_data_in_leaf": 40,
    "max_bin": 127,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "cat_smooth": 20.0,
    "metric": ["auc", "binary_logloss"],
    "num_threads": FIT_THREADS,
    "verbosity": -1,
}
PROPENSITY_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.15,
    "num_leaves": 15,
    "min_data_in_leaf": 200,
    "feature_fraction": 0.8,
    "max_bin": 63,
    "num_threads": FIT_THREADS,
    "verbosity": -1,
}
ROUNDS = 500
PROPENSITY_ROUNDS = 60
Progress = Callable[[str], None]


def _silent(message: str) -> None:
    return None


@dataclass(slots=True)
class Validation:
    """The held-out weeks' inspected rows, as ``train`` saw them: their features, outcome,
    IPW weight, day, and the score of the booster fitted *without* them."""

    features: pd.DataFrame
    y: np.ndarray
    weight: np.ndarray
    days: np.ndarray
    score: np.ndarray


@dataclass(slots=True)
class RiskModel:
    """A trained model with what scoring needs: features, category maps, past sums."""

    booster: lgb.Booster
    meta: dict[str, Any]
    history: pd.DataFrame
    propensity: lgb.Booster | None = None
    validation: Validation | None = None  # kept in memory by ``train``, never saved
    _codes: dict[str, pa.Array] = field(default_factory=dict)

    @property
    def features(self) -> list[str]:
        """The feature columns, in the booster's order."""
        return list(self.meta["features"])

    def matrix(self, features: pd.DataFrame) -> np.ndarray:
        """The float32 matrix the booster reads; categories as codes, unknown as missing."""
        return encode(features, self.features, self.meta["categories"], self._codes)

    def features_of(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Features of a file to score, seeing the training file's past."""
        return build_features(frame, history=self.history)

    def predict(self, matrix: np.ndarray) -> np.ndarray:
        """Risk in [0, 1] of each row."""
        return np.asarray(
            self.booster.predict(matrix, num_threads=PREDICT_THREADS), dtype=np.float64
        )

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        """LightGBM's own SHAP contributions (log-odds), one column per feature and the
        bias last: each row sums to the raw score."""
        contributions = self.booster.predict(matrix, pred_contrib=True, num_threads=PREDICT_THREADS)
        return np.asarray(contributions, dtype=np.float64)


def encode(
    features: pd.DataFrame,
    names: list[str],
    categories: dict[str, list[str]],
    cache: dict[str, pa.Array] | None = None,
) -> np.ndarray:
    """``features`` as a float32 matrix in the order ``names``; a category is its index in
    the model's map, an unknown one missing."""
    numeric = [name for name in names if name not in categories]
    if numeric == names[: len(numeric)] and all(
        features[name].dtype == np.float32 for name in numeric
    ):
        # The usual case (build_features' own table): one block copy, not a column loop.
        out = np.empty((len(features), len(names)), dtype=np.float32)
        out[:, : len(numeric)] = features[numeric].to_numpy(dtype=np.float32)
    else:
        out = np.empty((len(features), len(names)), dtype=np.float32)
        for j, name in enumerate(names):
            if name not in categories:
                out[:, j] = features[name].to_numpy(dtype=np.float32)
    for j, name in enumerate(names):
        if name in categories:
            known = (cache or {}).get(name)
            if known is None:
                known = pa.array(categories[name], pa.string())
                if cache is not None:
                    cache[name] = known
            text = pa.array(features[name].astype("string[pyarrow]")).cast(pa.string())
            index = pc.index_in(text, value_set=known)
            out[:, j] = index.to_numpy(zero_copy_only=False).astype(np.float32)
    return out


def _category_maps(features: pd.DataFrame) -> dict[str, list[str]]:
    maps = {}
    for name in CATEGORICAL:
        counts = features[name].astype(object).value_counts()
        maps[name] = sorted(str(v) for v in counts.index[:MAX_CATEGORIES])
    return maps


def _days(frame: pd.DataFrame) -> np.ndarray:
    return np.asarray(frame["date"].to_numpy().astype("datetime64[D]").astype(np.int64))


def validation_mask(days: np.ndarray, *, weeks: int = VALID_WEEKS) -> np.ndarray:
    """The latest ``weeks`` weeks (or the latest fifth of the days, for a short file)."""
    first, last = int(days.min()), int(days.max())
    span = last - first + 1
    held = weeks * 7 if span >= 3 * weeks * 7 else max(1, span // 5)
    return np.asarray(days > last - held)


def propensity_weights(
    inspected: np.ndarray, probability: np.ndarray
) -> tuple[np.ndarray, dict[str, float]]:
    """IPW weights of the inspected rows: 1 / clipped propensity, normalised to mean 1."""
    rate = float(inspected.mean()) if len(inspected) else 0.0
    floor = max(CLIP * rate, 1e-4)
    clipped = np.clip(probability, floor, 1.0)
    raw = 1.0 / clipped[inspected == 1]
    weights = raw / raw.mean() if len(raw) else raw
    info = {
        "inspection_rate": rate,
        "clip_floor": floor,
        "clipped_share": float((probability[inspected == 1] < floor).mean()) if len(raw) else 0.0,
        "max_weight": float(weights.max()) if len(raw) else 0.0,
    }
    return weights, info


def estimate_propensity(
    matrix: np.ndarray,
    inspected: np.ndarray,
    *,
    names: list[str],
    categorical: list[str],
    seed: int,
) -> tuple[np.ndarray, lgb.Booster]:
    """Cross-fitted P(inspected | features) of every row, and the second half's model
    (kept for the record). Uninspected rows are subsampled (and weighted back) to keep the
    first model cheap on millions of rows."""
    rng = np.random.default_rng(seed)
    n = len(inspected)
    keep_share = min(1.0, 300_000 / max(1, int((inspected == 0).sum())))
    kept = (inspected == 1) | (rng.random(n) < keep_share)
    weight = np.where(inspected == 1, 1.0, 1.0 / keep_share)
    fold = rng.integers(0, 2, n)
    params = {**PROPENSITY_PARAMS, "seed": seed}
    out = np.empty(n)
    booster: lgb.Booster | None = None
    for k in (0, 1):
        fit = kept & (fold != k)
        data = lgb.Dataset(
            matrix[fit],
            inspected[fit],
            weight=weight[fit],
            feature_name=names,
            categorical_feature=categorical,
            free_raw_data=True,
        )
        booster = lgb.train(params, data, num_boost_round=PROPENSITY_ROUNDS)
        out[fold == k] = booster.predict(matrix[fold == k], num_threads=PREDICT_THREADS)
    assert booster is not None
    return out, booster


def train(
    frame: pd.DataFrame,
    *,
    selection_probability: np.ndarray | None = None,
    seed: int = 2026,
    progress: Progress = _silent,
) -> RiskModel:
    """Train on a labelled declarations table (``contract.read_declarations(labels=True)``)."""
    if "inspected" not in frame.columns:
        raise InputError.at("inspected", "el archivo de entrenamiento necesita inspected e illicit")
    frame = frame.sort_values("date", kind="stable").reset_index(drop=True)
    inspected = frame["inspected"].to_numpy(dtype=np.int8)
    labelled = inspected == 1
    y = frame["illicit"].to_numpy(dtype=np.float64, na_value=0.0)[labelled]
    if labelled.sum() < 50 or y.sum() < 5 or y.sum() == labelled.sum():
        raise InputError.at(
            "inspected",
            f"muy pocos resultados para entrenar ({int(labelled.sum())} inspecciones, "
            f"{int(y.sum())} hallazgos; hacen falta al menos 50 y 5, y algún negativo)",
        )
    progress("calculando rasgos")
    features = build_features(frame)
    names = feature_names()
    categories = _category_maps(features)
    matrix = encode(features, names, categories)
    categorical = list(CATEGORICAL)

    propensity_model = None
    recorded = (
        None if selection_probability is None else np.asarray(selection_probability, np.float64)
    )
    if recorded is not None and not np.isnan(recorded).any():
        method = "probabilidad de selección registrada"
        probability = recorded
    else:
        progress("estimando la propensión de inspección")
        method = "LightGBM inspected ~ rasgos, validación cruzada en 2 mitades"
        probability, propensity_model = estimate_propensity(
            matrix, inspected, names=names, categorical=categorical, seed=seed
        )
        if recorded is not None:
            # A node knows the probability for the rows its own selections chose (and
            # NaN for the rest): recorded where known, estimated elsewhere.
            known = ~np.isnan(recorded)
            probability = np.where(known, recorded, probability)
            method += f"; registrada en {int(known.sum()):,} filas"
    weights, ipw = propensity_weights(inspected, probability)

    days = _days(frame)[labelled]
    held = validation_mask(_days(frame))[labelled]
    x = matrix[labelled]
    params = {**PARAMS, "seed": seed, "deterministic": True}
    progress("entrenando (validación: últimas semanas)")
    fit = lgb.Dataset(
        x[~held], y[~held], weight=weights[~held], feature_name=names,
        categorical_feature=categorical, free_raw_data=False,
    )  # fmt: skip
    check = lgb.Dataset(x[held], y[held], weight=weights[held], reference=fit)
    booster = lgb.train(
        params,
        fit,
        num_boost_round=ROUNDS,
        valid_sets=[check],
        callbacks=[lgb.early_stopping(50, verbose=False)],
    )
    rounds = max(20, booster.best_iteration or ROUNDS)
    held_score = np.asarray(booster.predict(x[held], num_iteration=rounds), dtype=np.float64)
    metrics = _metrics(held_score, y[held], weights[held])
    validation = Validation(
        features=features.iloc[np.flatnonzero(labelled)[held]].reset_index(drop=True),
        y=y[held],
        weight=weights[held],
        days=days[held],
        score=held_score,
    )
    progress("reentrenando con todas las semanas")
    full = lgb.Dataset(x, y, weight=weights, feature_name=names, categorical_feature=categorical)
    final = lgb.train(params, full, num_boost_round=int(rounds * 1.1))

    first, last = frame["date"].iloc[0], frame["date"].iloc[-1]
    valid_days = days[held]
    meta = {
        "format_version": FORMAT_VERSION,
        "alianza_version": __version__,
        "lightgbm_version": lgb.__version__,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "features": names,
        "categorical": categorical,
        "categories": categories,
        "date_range": [str(first.date()), str(last.date())],
        "validation_range": _range(valid_days),
        "rows": len(frame),
        "inspected": int(labelled.sum()),
        "illicit": int(y.sum()),
        "rounds": int(rounds * 1.1),
        "metrics": metrics,
        "params": params,
        "propensity": {"method": method, **ipw},
    }
    progress("guardando el historial del archivo")
    return RiskModel(
        booster=final,
        meta=meta,
        history=daily_sums(frame),
        propensity=propensity_model,
        validation=validation,
    )


def _range(days: np.ndarray) -> list[str]:
    if not len(days):
        return []
    return [str(np.datetime64(int(days.min()), "D")), str(np.datetime64(int(days.max()), "D"))]


def _metrics(score: np.ndarray, y: np.ndarray, weight: np.ndarray) -> dict[str, float]:
    """Validation figures on the held-out weeks' inspected rows (weighted by IPW)."""
    out: dict[str, float] = {"rows": float(len(y)), "illicit": float(y.sum())}
    if 0 < y.sum() < len(y):
        out["auc"] = _auc(score, y, None)
        out["auc_ipw"] = _auc(score, y, weight)
        order = np.argsort(-score, kind="stable")
        out["hit_rate_top10"] = float(y[order[: max(1, len(y) // 10)]].mean())
        out["hit_rate_all"] = float(y.mean())
        for share in (1, 5):
            top = order[: max(1, -(-len(y) * share // 100))]
            hits = (weight[top] * y[top]).sum() / weight[top].sum()
            out[f"precision@{share}%_ipw"] = float(hits)
    return out


def _auc(score: np.ndarray, y: np.ndarray, weight: np.ndarray | None) -> float:
    # Weighted Mann-Whitney: sklearn is not a dependency of alianza, and this is 6 lines.
    w = np.ones(len(y)) if weight is None else weight
    order = np.argsort(score, kind="mergesort")
    s, yy, ww = score[order], y[order], w[order]
    neg_below = np.cumsum(ww * (1 - yy)) - ww * (1 - yy)
    ties = pd.Series(ww * (1 - yy)).groupby(s).transform("sum").to_numpy()
    gained = (ww * yy * (neg_below + 0.5 * ties)).sum()
    return float(gained / ((ww * yy).sum() * (ww * (1 - yy)).sum()))


# ------------------------------------------------------------------ the model directory


def save(model: RiskModel, directory: Path, *, replace: bool = False) -> None:
    """Write the model directory whole, then move it into place."""
    if directory.exists() and any(directory.iterdir()) and not replace:
        raise InputError.at(
            "--model", f"{directory} ya existe y no está vacío (use --replace para reemplazarlo)"
        )
    if not directory.parent.is_dir():
        raise InputError.at("--model", f"la carpeta {directory.parent} no existe")
    tmp = directory.with_name(f".{directory.name}.{uuid.uuid4().hex[:8]}.partial")
    tmp.mkdir()
    try:
        model.booster.save_model(str(tmp / "model.txt"))
        if model.propensity is not None:
            model.propensity.save_model(str(tmp / "propensity.txt"))
        model.history.to_parquet(tmp / "history.parquet", index=False)
        text = json.dumps(model.meta, indent=2, ensure_ascii=False, default=str)
        (tmp / "meta.json").write_text(text + "\n", encoding="utf-8")
        if directory.exists():
            old = directory.with_name(f".{directory.name}.{uuid.uuid4().hex[:8]}.old")
            directory.rename(old)
            tmp.rename(directory)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def load(directory: Path) -> RiskModel:
    """Read a model directory; ``InputError`` (one line) if missing or of another format."""
    meta_path = directory / "meta.json"
    if not meta_path.is_file():
        raise InputError.at(
            "--model",
            f"{directory} no contiene un modelo (falta meta.json); "
            "entrene uno con 'alianza ports train'",
        )
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError.at("--model", f"{meta_path} ilegible ({exc})") from None
    version = meta.get("format_version") if isinstance(meta, dict) else None
    if version != FORMAT_VERSION:
        raise InputError.at(
            "--model",
            f"{directory} es un modelo de formato {version!r} y esta versión de alianza "
            f"lee el formato {FORMAT_VERSION}; vuelva a entrenarlo con 'alianza ports train'",
        )
    try:
        booster = lgb.Booster(model_file=str(directory / "model.txt"))
        history = pd.read_parquet(directory / "history.parquet")
    except (OSError, lgb.basic.LightGBMError, ValueError) as exc:
        raise InputError.at("--model", f"{directory}: modelo incompleto ({exc})") from None
    if booster.feature_name() != meta.get("features"):
        raise InputError.at("--model", f"{directory}: meta.json no corresponde a model.txt")
    prop = directory / "propensity.txt"
    propensity = lgb.Booster(model_file=str(prop)) if prop.is_file() else None
    return RiskModel(booster=booster, meta=meta, history=history, propensity=propensity)


# ------------------------------------------------------------------ retraining

CRITERION = "auc_ipw"  # the one figure that decides a replacement (see ``compare``)
MIN_FRESH_FINDINGS = 5  # fewer in the rows the old model never saw: use the whole window


@dataclass(slots=True)
class Comparison:
    """The old and the new model on the same held-out rows, and the verdict."""

    window: list[str]  # first and last day of the rows compared
    old: dict[str, float]
    new: dict[str, float]
    overlap: bool  # the rows include days the old model was trained on
    new_wins: bool  # new[CRITERION] >= old[CRITERION]

    def as_dict(self) -> dict[str, Any]:
        """For ``--json`` and the log."""
        return {
            "window": self.window,
            "criterion": CRITERION,
            "overlap": self.overlap,
            "old": self.old,
            "new": self.new,
            "new_wins": self.new_wins,
        }


def compare(old: RiskModel, new: RiskModel) -> Comparison:
    """Score ``old`` and ``new`` on the weeks ``new`` held out (its ``validation``).

    The new model's figures are those of its booster fitted *without* those weeks (the
    one whose rounds early stopping chose); the old model scores the same rows from the
    same past-only features. Both are then out of sample, as long as the old model never
    saw those rows: only the held-out rows dated after the old model's last training day
    are compared. When those hold fewer than ``MIN_FRESH_FINDINGS`` findings (a retrain
    days after the last one), the whole window is used and ``overlap`` says so: the old
    model then scores rows it was trained on, which can only flatter it, so the new one
    replaces it only by beating an optimistic rival (a conservative rule).

    The verdict is one figure, the IPW-weighted AUC (``CRITERION``): it ranks every
    inspected row, weighted to stand for the whole flow, where precision at 1% rests on a
    few dozen rows of a few weeks. The new model wins when it is at least as good; when
    the rows hold no finding to rank (the figure is missing on both sides) it wins too,
    since a retrain was asked for and nothing speaks against it.
    """
    held = new.validation
    if held is None:
        raise ValueError("compare needs a model fresh from train (its held-out weeks)")
    old_last = np.datetime64(old.meta["date_range"][1], "D").astype(np.int64)
    fresh = held.days > old_last
    overlap = not _comparable(held.y[fresh])
    rows = np.ones(len(held.y), dtype=bool) if overlap else fresh
    part = held.features.iloc[np.flatnonzero(rows)]
    try:
        old_score = old.predict(old.matrix(part))
    except KeyError:  # a feature this version no longer computes: the old cannot compete
        old_score = np.full(int(rows.sum()), 0.5)
    y, weight = held.y[rows], held.weight[rows]
    old_metrics = _metrics(old_score, y, weight)
    new_metrics = _metrics(held.score[rows], y, weight)
    new_wins = new_metrics.get(CRITERION, 0.0) >= old_metrics.get(CRITERION, 0.0)
    return Comparison(
        window=_range(held.days[rows]),
        old=old_metrics,
        new=new_metrics,
        overlap=overlap,
        new_wins=new_wins,
    )


def _comparable(y: np.ndarray) -> bool:
    return bool(y.sum() >= MIN_FRESH_FINDINGS and y.sum() < len(y))


@dataclass(slots=True)
class Retrained:
    """What ``retrain`` did: the new model, where it went, and the comparison if any."""

    model: RiskModel
    directory: Path  # where the new model was saved
    replaced: bool  # the new model is now the one in ``model_dir``
    comparison: Comparison | None  # None: there was no readable model to compare with
    previous_error: str | None = None  # why the old model could not be read, if so


def candidate_dir(model_dir: Path) -> Path:
    """Where a new model that lost the comparison is kept: ``DIR.candidato``."""
    return model_dir.with_name(model_dir.name + ".candidato")


def retrain(
    frame: pd.DataFrame,
    model_dir: Path,
    *,
    force: bool = False,
    seed: int = 2026,
    progress: Progress = _silent,
    selection_probability: np.ndarray | None = None,
) -> Retrained:
    """Train on the grown history and replace the model in ``model_dir`` only if the new
    one is at least as good on the latest weeks (``compare``), or under ``force``.

    A losing model is saved whole in ``candidate_dir(model_dir)`` (replacing an older
    candidate), so an analyst can inspect it or promote it with ``--force``. With no model
    in ``model_dir`` the new one is simply saved there; an unreadable one (missing
    meta.json, another format version) cannot compete and is replaced.
    """
    trained = train(frame, selection_probability=selection_probability, seed=seed,
                    progress=progress)  # fmt: skip
    old: RiskModel | None = None
    error = None
    if model_dir.exists() and any(model_dir.iterdir()):
        try:
            old = load(model_dir)
        except InputError as exc:
            error = exc.message
    comparison = compare(old, trained) if old is not None else None
    if comparison is None or comparison.new_wins or force:
        save(trained, model_dir, replace=True)
        return Retrained(trained, model_dir, True, comparison, error)
    aside = candidate_dir(model_dir)
    save(trained, aside, replace=True)
    return Retrained(trained, aside, False, comparison, error)
