"""Features of an export declaration, each computed from the past only.

**No leakage.** A declaration dated *d* sees only declarations dated strictly before *d*
(the order is the calendar day: declarations of the same day never see one another,
whatever their order in the file), and only their outcomes as known: a row to score
brings its count, never a label. Every history feature is computed the same way, without
a Python loop over rows: the rows are summed per (key, day), the daily sums are
accumulated per key in day order, and each row reads the accumulated sums *before* its
day (``_past``). The tests alter and shuffle the rows after a date and check that the
features of earlier rows do not change.

**History.** A model keeps the daily sums of its training file (``daily_sums``) so that a
file scored later sees the training history too: ``build_features(frame, history=...)``
merges them with the file's own rows and computes as above.

The features (names are stable: the model stores them, ``explain`` renders them):

- per exporter, declarant, HS heading (4 digits) and chapter (2), destination country,
  destination port, transshipment port (none is a key of its own), vessel and route
  (port, destination, hub): past declarations ``_n``, share inspected ``_insp_rate``, and
  findings per inspection ``_hit``, smoothed toward the past national rate (an additive
  prior worth ``PRIOR_WEIGHT`` inspections: a key seen twice is not 50% risky);
- exporter and declarant age in days since first seen (``_age_days``), exporter volume
  per day of life; first-time pairings: exporter with this destination, with this HS
  heading, declarant with this exporter (``_n``);
- weight-to-value anomaly: log dollars a kilo and log weight as z-scores against the HS
  heading's past mean and spread (``value_kg_z``, ``weight_z``);
- booking lead time, weight, day of week, whether transshipped; port, container type,
  HS chapter and destination country as categories;
- combinations a targeting officer reasons with: new exporter × destination risk, new
  exporter × hub risk, short booking × new exporter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Key -> the columns that make it (joined with "|"); "all" is the whole port.
GROUPS: dict[str, tuple[str, ...]] = {
    "exporter": ("exporter_id",),
    "declarant": ("declarant_id",),
    "hs4": ("hs4",),
    "hs2": ("hs2",),
    "dest_country": ("destination_country",),
    "dest_port": ("destination_port",),
    "transship": ("transshipment_port",),
    "vessel": ("vessel_imo",),
    "route": ("port", "destination_port", "transshipment_port"),
    "exp_dest": ("exporter_id", "destination_port"),
    "exp_hs4": ("exporter_id", "hs4"),
    "decl_exp": ("declarant_id", "exporter_id"),
    "all": (),
}
RATED: tuple[str, ...] = ("exporter", "declarant", "hs4", "hs2", "dest_country", "dest_port")
RATED += ("transship", "vessel", "route")
AGED = ("exporter", "declarant")
PAIRS = ("exp_dest", "exp_hs4", "decl_exp")
CATEGORICAL = ("port", "container_type", "hs2_code", "destination_country")
SUMS = ("n", "insp", "ill", "lv", "lv2", "lw", "lw2")
PRIOR_WEIGHT = 20.0  # inspections' worth of the national rate in a smoothed rate
NEW_EXPORTER = 5  # fewer past declarations than this: a new exporter
SHORT_LEAD = 3  # days


def feature_names() -> list[str]:
    """Every feature, in the model's column order."""
    names: list[str] = []
    for g in RATED:
        names += [f"{g}_n", f"{g}_insp_rate", f"{g}_hit"]
    names += [f"{g}_age_days" for g in AGED]
    names += [f"{g}_n" for g in PAIRS]
    names += ["exporter_per_day", "value_kg_z", "weight_z", "log_value_kg"]
    names += ["gross_weight_kg", "booking_lead_days", "transshipped", "day_of_week"]
    names += ["new_exporter_x_dest_hit", "new_exporter_x_transship_hit"]
    names += ["short_lead_x_new_exporter"]
    names += list(CATEGORICAL)
    return names


def _keys(frame: pd.DataFrame, columns: Sequence[str]) -> pa.ChunkedArray | pa.Array:
    if not columns:
        return pa.array(np.full(len(frame), "*", dtype=object), pa.large_string())
    arrays = [_arrow(frame[c]) for c in columns]
    if len(arrays) == 1:
        return arrays[0]
    return pc.binary_join_element_wise(*arrays, pa.scalar("|", pa.large_string()))


def _arrow(series: pd.Series) -> pa.Array:
    array = pa.array(series.astype("string[pyarrow]"))
    return array.cast(pa.large_string())


def _prepared(frame: pd.DataFrame) -> pd.DataFrame:
    """The derived columns the keys need (HS heading and chapter)."""
    out = frame.copy()
    hs = out["hs_code"].astype("string[pyarrow]")
    out["hs4"] = hs.str.slice(0, 4)
    out["hs2"] = hs.str.slice(0, 2)
    return out


def _day(frame: pd.DataFrame) -> np.ndarray:
    return np.asarray(frame["date"].to_numpy().astype("datetime64[D]").astype(np.int64))


def _row_sums(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    n = len(frame)
    sums: dict[str, np.ndarray] = {"n": np.ones(n)}
    if "inspected" in frame.columns:
        sums["insp"] = frame["inspected"].to_numpy(dtype=np.float64)
        sums["ill"] = (frame["illicit"].to_numpy(dtype=np.float64, na_value=0.0) == 1) * 1.0
    else:
        # Rows to score bring their count, never an outcome.
        sums["insp"] = np.zeros(n)
        sums["ill"] = np.zeros(n)
    lv, lw = _log_value_kg(frame), np.log1p(frame["gross_weight_kg"].to_numpy(dtype=np.float64))
    sums.update(lv=lv, lv2=lv * lv, lw=lw, lw2=lw * lw)
    return sums


def _log_value_kg(frame: pd.DataFrame) -> np.ndarray:
    value = frame["declared_value_usd"].to_numpy(dtype=np.float64)
    weight = frame["gross_weight_kg"].to_numpy(dtype=np.float64)
    return np.asarray(np.log1p(value) - np.log1p(weight))


def daily_sums(frame: pd.DataFrame) -> pd.DataFrame:
    """Per group, key and day: the sums a later file's features need (a model keeps them)."""
    prepared = _prepared(frame)
    day = _day(prepared)
    sums = _row_sums(prepared)
    parts = []
    for group, columns in GROUPS.items():
        keys = _keys(prepared, columns)
        table = pd.DataFrame(
            {"key": pd.arrays.ArrowStringArray(keys.cast(pa.string())), "day": day}
        )
        wanted = SUMS if group == "hs4" else SUMS[:3]
        for name in wanted:
            table[name] = sums[name]
        daily = table.groupby(["key", "day"], sort=False, observed=True).sum().reset_index()
        daily.insert(0, "group", group)
        parts.append(daily)
    out = pd.concat(parts, ignore_index=True)
    out["group"] = out["group"].astype("category")
    out[list(SUMS)] = out[list(SUMS)].fillna(0.0)
    return out


def _past(
    keys: pa.ChunkedArray | pa.Array,
    day: np.ndarray,
    sums: Mapping[str, np.ndarray],
    names: Sequence[str],
    history: _History | None,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """For each row: the sums of ``names`` over rows of its key dated strictly before it,
    and the first day its key was seen before it (NaN if never).

    The rows (and the history's lines, older) come in day order (``build_features`` sorts
    them), so no sort is needed here: keys are numbered in order of first appearance (a
    hash, ``dictionary_encode``), hence a key's first appearance is its first day; (key,
    day) pairs likewise become lines in day order, and a running sum per key over the lines
    minus the line itself is the sum over earlier days only."""
    row_keys = _flat(keys)
    all_day, values = day, {name: sums[name] for name in names}
    own = np.arange(len(day))
    if history is None:
        codes = np.asarray(pc.dictionary_encode(row_keys).indices, dtype=np.int64)
    else:
        # The history's keys were numbered once (``_split_history``); the file's keys are
        # looked up in them, and the new ones numbered after them in order of appearance.
        found = pc.index_in(row_keys.cast(history.dictionary.type), value_set=history.dictionary)
        row_codes = found.to_numpy(zero_copy_only=False)
        new = np.isnan(row_codes)
        if new.any():
            fresh = pc.dictionary_encode(row_keys.filter(pa.array(new))).indices
            row_codes[new] = np.asarray(fresh, dtype=np.float64) + len(history.dictionary)
        codes = np.concatenate([history.codes, row_codes.astype(np.int64)])
        all_day = np.concatenate([history.day, day])
        values = {name: np.concatenate([history.sums[name], sums[name]]) for name in names}
        own = own + len(history.day)
        if len(day) and history.day[-1] > day[0]:
            # A file that overlaps the history (the training year scored again): back in
            # day order (a radix sort when the days fit in 16 bits), keys renumbered.
            shifted = all_day - all_day.min()
            small = shifted.astype(np.uint16) if shifted.max() < 1 << 16 else shifted
            order = np.argsort(small, kind="stable")
            codes, _ = pd.factorize(codes[order], sort=False)
            all_day = all_day[order]
            values = {name: v[order] for name, v in values.items()}
            where = np.empty_like(order)
            where[order] = np.arange(len(order))
            own = where[own]
    low = int(all_day.min()) if len(all_day) else 0
    span = int(all_day.max()) - low + 1 if len(all_day) else 1
    line, stamps = pd.factorize(codes * span + (all_day - low), sort=False)
    line_key = stamps // span
    totals = pd.DataFrame(
        {name: np.bincount(line, weights=values[name], minlength=len(stamps)) for name in names}
    )
    before = totals.groupby(line_key, sort=False).cumsum().to_numpy() - totals.to_numpy()
    # Keys are numbered by first appearance: a row whose code exceeds every earlier code
    # is its key's first row, on its key's first day.
    opened = codes > np.maximum.accumulate(np.r_[-1, codes[:-1]])
    first_day = np.empty(int(codes.max()) + 1 if len(codes) else 0, dtype=np.int64)
    first_day[codes[opened]] = all_day[opened]
    row_first = first_day[codes[own]].astype(np.float64)
    first_seen = np.where(row_first < day, row_first, np.nan)
    row_line = line[own]
    return {name: before[row_line, j] for j, name in enumerate(names)}, first_seen


def _flat(keys: pa.ChunkedArray | pa.Array) -> pa.Array:
    return keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys


@dataclass(slots=True)
class _History:
    """One group's daily sums, in day order, as ``_past`` reads them."""

    dictionary: pa.Array  # the keys, numbered by first appearance in day order
    codes: np.ndarray  # each line's key, as its index in ``dictionary``
    day: np.ndarray
    sums: dict[str, np.ndarray]


def build_features(frame: pd.DataFrame, *, history: pd.DataFrame | None = None) -> pd.DataFrame:
    """The feature table of ``frame`` (one row per declaration, in its order, float32;
    categorical columns as raw text, encoded by the model's maps)."""
    day = _day(frame)
    if len(day) > 1 and (np.diff(day) < 0).any():
        order = np.argsort(day, kind="stable")
        features = build_features(frame.iloc[order], history=history)
        restore = np.empty_like(order)
        restore[order] = np.arange(len(order))
        return features.iloc[restore].reset_index(drop=True)
    prepared = _prepared(frame)
    sums = _row_sums(prepared)
    hist = _split_history(history)
    out: dict[str, np.ndarray] = {}

    base, _ = _past(_keys(prepared, ()), day, sums, ("insp", "ill"), hist.get("all"))
    prior = (base["ill"] + 0.5) / (base["insp"] + 100.0)  # the national past rate, eased
    for group in (*RATED, *PAIRS):
        names = ("n", "insp", "ill") if group in RATED else ("n",)
        past, first = _past(_keys(prepared, GROUPS[group]), day, sums, names, hist.get(group))
        out[f"{group}_n"] = past["n"]
        if group in RATED:
            with np.errstate(invalid="ignore", divide="ignore"):
                out[f"{group}_insp_rate"] = np.where(
                    past["n"] > 0, past["insp"] / past["n"], np.nan
                )
            out[f"{group}_hit"] = (past["ill"] + PRIOR_WEIGHT * prior) / (
                past["insp"] + PRIOR_WEIGHT
            )
        if group in AGED:
            out[f"{group}_age_days"] = day - first

    past, _ = _past(
        _keys(prepared, GROUPS["hs4"]), day, sums, ("n", "lv", "lv2", "lw", "lw2"), hist.get("hs4")
    )
    count = np.maximum(past["n"], 1.0)
    lv = sums["lv"]
    out["value_kg_z"] = _z(lv, past["lv"] / count, past["lv2"] / count, past["n"])
    out["weight_z"] = _z(sums["lw"], past["lw"] / count, past["lw2"] / count, past["n"])
    out["log_value_kg"] = lv
    with np.errstate(invalid="ignore", divide="ignore"):
        out["exporter_per_day"] = out["exporter_n"] / (out["exporter_age_days"] + 1.0)
    out["gross_weight_kg"] = prepared["gross_weight_kg"].to_numpy(np.float64)
    lead = prepared["booking_lead_days"].to_numpy(np.float64)
    out["booking_lead_days"] = lead
    out["transshipped"] = (prepared["transshipment_port"].astype("string") != "").to_numpy(
        np.float64
    )
    out["day_of_week"] = ((day + 3) % 7).astype(np.float64)  # 0 = Monday
    new = out["exporter_n"] < NEW_EXPORTER
    out["new_exporter_x_dest_hit"] = new * out["dest_port_hit"]
    out["new_exporter_x_transship_hit"] = new * out["transship_hit"] * out["transshipped"]
    out["short_lead_x_new_exporter"] = (new & (lead <= SHORT_LEAD)) * 1.0

    numeric = feature_names()[: -len(CATEGORICAL)]
    block = np.empty((len(day), len(numeric)), dtype=np.float32, order="F")
    for j, name in enumerate(numeric):
        block[:, j] = out[name]
    features = pd.DataFrame(block, columns=numeric, copy=False)
    # Text stays Arrow-backed: the model encodes it against its own category map.
    sources = ("port", "container_type", "hs2", "destination_country")
    for name, column in zip(CATEGORICAL, sources, strict=True):
        features[name] = _text(prepared[column])
    return features


def _text(series: pd.Series) -> pd.arrays.ArrowStringArray:
    return pd.arrays.ArrowStringArray(_arrow(series).cast(pa.string()))


def _z(value: np.ndarray, mean: np.ndarray, square: np.ndarray, n: np.ndarray) -> np.ndarray:
    spread = np.sqrt(np.maximum(square - mean * mean, 0.0)) + 0.05
    return np.asarray(np.where(n >= 10, (value - mean) / spread, np.nan))


def _split_history(history: pd.DataFrame | None) -> dict[str, _History]:
    if history is None or not len(history):
        return {}
    out = {}
    for group, part in history.groupby("group", observed=True):
        days = part["day"].to_numpy(dtype=np.int64)
        order = np.argsort(days, kind="stable")
        encoded = pc.dictionary_encode(_flat(_arrow(part["key"])).take(pa.array(order)))
        sums = {name: part[name].to_numpy(dtype=np.float64)[order] for name in SUMS}
        out[str(group)] = _History(
            dictionary=encoded.dictionary,
            codes=np.asarray(encoded.indices, dtype=np.int64),
            day=days[order],
            sums=sums,
        )
    return out
