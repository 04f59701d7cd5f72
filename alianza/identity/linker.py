"""Batch linkage between two registries and deduplication inside one.

Each run prepares the comparison columns (``features.py``), trains the model of
``model.py`` on the data itself (``training.py``: no labels; registries too small to
train on use the shipped model), scores the blocked pairs and keeps those at or above the
threshold. Linkage can then be made one-to-one; deduplication clusters the pairs into
persons with stable ids (``persons.py``). An empty registry links to nothing: no pairs,
no error (a file whose every row broke the contract is refused by the command instead).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from splink import Linker

from alianza.errors import InputError
from alianza.identity import model, training
from alianza.identity.engines import Engine, make_engine
from alianza.identity.features import feature_frame
from alianza.identity.persons import components, person_ids
from alianza.identity.training import settle

__all__ = ["dedupe", "feature_frame", "link", "link_frames", "settle", "train"]

Progress = Callable[[str], None]


@dataclass(slots=True)
class Trained:
    """What a run learnt: the model as Splink JSON, for reports and for screening."""

    model: dict[str, Any] = field(default_factory=dict)


def _silent(_: str) -> None:
    pass


def link(
    left: Iterable[dict[str, str]],
    right: Iterable[dict[str, str]],
    *,
    threshold: float = 0.5,
    engine: str = "duckdb",
    one_to_one: bool = False,
    progress: Progress = _silent,
    trained: Trained | None = None,
    use: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Pairs (left_id, right_id, probability) at or above ``threshold``, best first.

    ``use``: a model trained before (``train``); without it the model is trained on the
    two registries themselves. ``trained`` receives the model the run used.
    """
    _check_threshold(threshold)
    progress("preparando nombres, fechas y documentos")
    out = link_frames(
        feature_frame(left),
        feature_frame(right),
        threshold=threshold,
        engine=engine,
        progress=progress,
        trained=trained,
        use=use,
    )
    if one_to_one:
        out = _one_to_one(out)
    return out.reset_index(drop=True)


def link_frames(
    left: pd.DataFrame,
    right: pd.DataFrame | Any,  # or a pyarrow Table (DuckDB reads either)
    *,
    threshold: float = 0.5,
    engine: str = "duckdb",
    progress: Progress = _silent,
    trained: Trained | None = None,
    use: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """``link`` on feature tables already built (``features.feature_frame``)."""
    _check_threshold(threshold)
    # Table names become Splink's source_dataset; "left"/"right" are SQL keywords.
    frames = {"izquierda": left, "derecha": right}
    with make_engine(engine, rows=len(left) + len(right)) as eng:
        pairs = _predict(
            eng,
            frames,
            link_type="link_only",
            threshold=threshold,
            progress=progress,
            trained=trained,
            use=use,
        )
    if pairs.empty:
        return pd.DataFrame({"left_id": [], "right_id": [], "probability": []})
    flip = pairs["source_dataset_l"] == "derecha"
    return pd.DataFrame(
        {
            "left_id": pairs["unique_id_l"].where(~flip, pairs["unique_id_r"]),
            "right_id": pairs["unique_id_r"].where(~flip, pairs["unique_id_l"]),
            "probability": pairs["match_probability"],
        }
    ).sort_values(["probability", "left_id", "right_id"], ascending=[False, True, True])


def dedupe_pairs(
    rows: Iterable[dict[str, str]],
    *,
    threshold: float = 0.5,
    engine: str = "duckdb",
    progress: Progress = _silent,
    trained: Trained | None = None,
) -> tuple[list[str], pd.DataFrame]:
    """All record ids, and the pairs (id_l, id_r, probability) of one registry above threshold."""
    _check_threshold(threshold)
    progress("preparando nombres, fechas y documentos")
    frame = feature_frame(rows)
    with make_engine(engine, rows=len(frame)) as eng:
        pairs = _predict(
            eng,
            {"registry": frame},
            link_type="dedupe_only",
            threshold=threshold,
            progress=progress,
            trained=trained,
        )
    edges = pd.DataFrame(
        {
            "id_l": pairs["unique_id_l"] if not pairs.empty else [],
            "id_r": pairs["unique_id_r"] if not pairs.empty else [],
            "probability": pairs["match_probability"] if not pairs.empty else [],
        }
    )
    return [str(x) for x in frame["unique_id"]], edges


def dedupe(
    rows: Iterable[dict[str, str]],
    *,
    threshold: float = 0.5,
    engine: str = "duckdb",
    previous: dict[str, str] | None = None,
    progress: Progress = _silent,
) -> dict[str, str]:
    """Record id -> stable person id for one registry (``persons.py``)."""
    ids, edges = dedupe_pairs(rows, threshold=threshold, engine=engine, progress=progress)
    progress("agrupando en personas")
    clusters = components(ids, zip(edges["id_l"], edges["id_r"], strict=True))
    return person_ids(clusters, previous=previous)


def _require_rows(frames: dict[str, pd.DataFrame]) -> None:
    for name, frame in frames.items():
        if len(frame) == 0:
            raise InputError.at(name, "ningún registro válido que comparar")


def _predict(
    eng: Engine,
    frames: dict[str, pd.DataFrame],
    *,
    link_type: model.LinkType,
    threshold: float,
    progress: Progress,
    trained: Trained | None,
    use: dict[str, Any] | None = None,
) -> pd.DataFrame:
    sizes = [len(frame) for frame in frames.values()]
    if not min(sizes):
        progress("un registro vacío: ningún par")
        return pd.DataFrame()
    tables = [eng.register(frame, name) for name, frame in frames.items()]
    if use is not None:
        linker = Linker(
            tables, {**use, "link_type": link_type}, log_level=None, validate_settings=False
        )
    elif training.too_small(sizes):
        linker = training.shipped(
            tables,
            records=min(sizes),
            link_type=link_type,
            dialect=eng.name,
            progress=progress,
        )
    else:
        linker = training.train_linker(
            tables, link_type=link_type, progress=progress, dialect=eng.name
        )
    if trained is not None:
        trained.model = linker.misc.save_model_to_json()
    progress("comparando los pares candidatos")
    predictions = linker.inference.predict(
        threshold_match_probability=threshold, warning_mode="never"
    )
    return predictions.as_pandas_dataframe()  # type: ignore[no-untyped-call]


def train(
    left: Iterable[dict[str, str]],
    right: Iterable[dict[str, str]],
    *,
    engine: str = "duckdb",
    progress: Progress = _silent,
) -> dict[str, Any]:
    """Train the model on two registries without scoring them (Splink's JSON model)."""
    frames = {"izquierda": feature_frame(left), "derecha": feature_frame(right)}
    _require_rows(frames)
    with make_engine(engine, rows=sum(len(f) for f in frames.values())) as eng:
        tables = [eng.register(frame, name) for name, frame in frames.items()]
        linker = training.train_linker(
            tables, link_type="link_only", progress=progress, dialect=eng.name
        )
        return dict(linker.misc.save_model_to_json())


def _one_to_one(pairs: pd.DataFrame) -> pd.DataFrame:
    # Greedy: the most probable pair first, then every pair touching one of its records is
    # dropped. An optimal assignment (scipy's linear_sum_assignment) would need the dense
    # matrix of both registries; greedy on sorted probabilities is what Splink's own
    # "single best link" clustering does, and is linear in the pairs.
    used_left: set[str] = set()
    used_right: set[str] = set()
    keep = []
    for i, (lid, rid) in enumerate(zip(pairs["left_id"], pairs["right_id"], strict=True)):
        if lid in used_left or rid in used_right:
            continue
        used_left.add(lid)
        used_right.add(rid)
        keep.append(i)
    return pairs.iloc[keep]


def _check_threshold(threshold: float) -> None:
    if not 0.0 < threshold <= 1.0:
        raise InputError.at("--threshold", f"{threshold} fuera de (0, 1]")


def write_pairs(path: Path, pairs: pd.DataFrame) -> int:
    """Write ``left_id,right_id,probability`` (probability with 6 decimals)."""
    from alianza.identity.contract import write_csv

    rows = (
        (lid, rid, f"{p:.6f}")
        for lid, rid, p in zip(
            pairs["left_id"], pairs["right_id"], pairs["probability"], strict=True
        )
    )
    return write_csv(path, ("left_id", "right_id", "probability"), rows)
