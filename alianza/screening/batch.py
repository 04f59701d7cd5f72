"""Batch screening: a whole passenger list against the watch list, in SQL.

Online screening walks the model in Python, a traveller at a time. A list of thousands
(a flight manifest, a ship's crew) is one linkage instead: the travellers against the
watch-list entries, scored by Splink with the node's trained model (no training at this
point), on DuckDB. The watch-list table is built once per version of the index.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from alianza.auth.permissions import Action, Principal, authorize
from alianza.identity import linker
from alianza.identity.defaults import without_tf
from alianza.identity.features import FEATURE_COLUMNS
from alianza.records.policy import KindOf
from alianza.screening.index import RULE_FIELDS, make_entry
from alianza.screening.scorer import list_prior
from alianza.screening.service import SCREEN, TF_MIN_ENTRIES, Screener, visible_to


def watch_frame(screener: Screener, *, principal: Principal) -> tuple[pa.Table, list[str]]:
    """The entries ``principal`` may be screened against, as a feature table, and their labels.

    Labels are the record id for this node's own records and ``socio:<node>`` for a
    partner's (the partner's data never leaves through a batch either). Built column by
    column into Arrow (pandas' string conversion of a million rows took longer than the
    screening itself) and kept until the index changes.
    """
    screener.refresh()
    key = (screener.index.version, principal.country, principal.agency)
    cached = screener.cache.get("watch_frame")
    if cached is not None and cached[0] == key:
        return cached[1], cached[2]
    node_id = screener.node.node_id
    visible = visible_to(principal)
    index = screener.index
    with index.lock:
        shown = np.array(
            [visible(make_entry(str(i), rules, {})) for i, rules in enumerate(index.rules)],
            dtype=bool,
        )
        at = index.live_positions()
        if len(shown):
            at = at[shown[index.rule_of[at]]]
        columns: dict[str, list[Any]] = {c: index.text(c, at) for c in FEATURE_COLUMNS}
        ids = [index.record_ids[k] for k in index.record_of[at].tolist()]
        rules_of = index.rule_of[at].tolist()
        origin = RULE_FIELDS.index("origin")
        labels = [
            rid if index.rules[r][origin] == node_id else f"socio:{index.rules[r][origin]}"
            for rid, r in zip(ids, rules_of, strict=True)
        ]
    columns = {"unique_id": [str(i) for i in range(len(at))], **columns}
    table = pa.table(
        {
            name: pa.array(values, type=pa.int64() if name == "birth_year" else pa.string())
            for name, values in columns.items()
        }
    )
    screener.cache["watch_frame"] = (key, table, labels)
    return table, labels


def screen_batch(
    screener: Screener,
    *,
    principal: Principal,
    travellers: Iterable[dict[str, str]],
    threshold: float = 0.5,
) -> pd.DataFrame:
    """(traveller_id, record_id, probability) at or above ``threshold``, best first."""
    authorize(principal, SCREEN)
    authorize(principal, Action.READ, KindOf("person"))
    watch, labels = watch_frame(screener, principal=principal)
    model = screener.model if len(watch) >= TF_MIN_ENTRIES else without_tf(screener.model)
    model = {
        **model,
        "probability_two_random_records_match": list_prior(
            float(model["probability_two_random_records_match"]), len(watch)
        ),
    }
    pairs = linker.link_frames(
        linker.feature_frame(travellers), watch, threshold=threshold, use=model
    )
    if pairs.empty:
        return pd.DataFrame({"traveller_id": [], "record_id": [], "probability": []})
    out = pd.DataFrame(
        {
            "traveller_id": pairs["left_id"],
            "record_id": [labels[int(i)] for i in pairs["right_id"]],
            "probability": pairs["probability"],
        }
    )
    # A record met through several entries (aliases, documents) counts once, at its best.
    out = out.sort_values("probability", ascending=False, kind="stable")
    return out.drop_duplicates(["traveller_id", "record_id"]).reset_index(drop=True)
