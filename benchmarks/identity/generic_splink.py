"""Splink 5 configured generically, "as a careful newcomer would": the baseline matcher.

No tuning to our data: Splink's own comparison library with its defaults, blocking on
each identifying field, and the tutorial's training recipe. What a careful newcomer
would choose, and why:

- Comparisons: ``NameComparison`` on ``given_names``, ``surname_1``, ``surname_2``
  (exact match with term-frequency adjustment, Jaro-Winkler >= 0.92 / 0.88 / 0.70),
  ``DateOfBirthComparison(input_is_string=True)`` on ``birth_date`` (ISO strings, the
  DuckDB default format ``%Y-%m-%d``; unparseable dates count as null), ``ExactMatch`` on
  ``sex`` and ``nationality``, ``LevenshteinAtThresholds`` (<= 1, <= 2) on
  ``document_number``. ``document_type`` is not compared: it is nearly constant and
  equal types say nothing by themselves.
- Blocking ("on each field"): ``block_on`` each of ``given_names``, ``surname_1``,
  ``surname_2``, ``birth_date``, ``document_number``. Not ``sex`` or ``nationality``:
  with two or a handful of values they each produce close to the full cross product
  (FEBRL4: 25M pairs for ``nationality``), which ``count_comparisons_from_blocking_rules``
  shows straight away.
- Training (the Splink tutorial): ``probability_two_random_records_match`` from
  deterministic rules with ``recall=0.7`` (falling back to the prior
  ``1 / max(len(left), len(right))`` when those rules find no pair at all), u by random
  sampling (``max_pairs=1e6``, fixed seed), m by EM blocking on
  ``given_names + surname_1`` and then on ``birth_date`` (a round whose rule yields no
  pair is skipped; Splink would raise ``EMTrainingException``).
- Output: pairs with ``match_probability >= threshold``. No clustering, no one-to-one
  constraint.

Quiet: Splink's ``splink`` logger is held at ERROR for the duration of the call and its
handler is never installed (``Linker(log_level=None)``); DuckDB's progress bar is off.

    .venv/bin/python benchmarks/identity/generic_splink.py LEFT.csv RIGHT.csv TRUTH.csv

prints precision, recall, F1 and seconds (``febrl.py OUT_DIR`` writes FEBRL4 in this form).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import duckdb
import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.internals.exceptions import EMTrainingException  # not re-exported publicly

if TYPE_CHECKING:
    from splink.internals.blocking_rule_creator import BlockingRuleCreator

from alianza.identity.contract import HEADER

CONTRACT_COLUMNS = list(HEADER)  # the registry CSV contract of alianza link
OUTPUT_COLUMNS = ["left_id", "right_id", "probability"]
_LEFT = "left_records"
_RIGHT = "right_records"
_SEED = 20240601


@contextlib.contextmanager
def _quiet_splink() -> Iterator[None]:
    """Hold the ``splink`` logger at ERROR (its WARNINGs would reach stderr)."""
    splink_logger = logging.getLogger("splink")
    previous = splink_logger.level
    splink_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        splink_logger.setLevel(previous)


def _prepare(frame: pd.DataFrame, side: str) -> pd.DataFrame:
    missing = [c for c in CONTRACT_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{side}: missing contract columns {missing}")
    out = frame[CONTRACT_COLUMNS].astype("string")
    for column in CONTRACT_COLUMNS:
        stripped = out[column].str.strip()
        out[column] = stripped.mask(stripped == "")
    if out["record_id"].isna().any():
        raise ValueError(f"{side}: empty record_id")
    if out["record_id"].duplicated().any():
        raise ValueError(f"{side}: duplicate record_id")
    return out.reset_index(drop=True)


def _settings(prior: float) -> SettingsCreator:
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="record_id",
        probability_two_random_records_match=prior,
        comparisons=[
            cl.NameComparison("given_names"),
            cl.NameComparison("surname_1"),
            cl.NameComparison("surname_2"),
            cl.DateOfBirthComparison("birth_date", input_is_string=True),
            cl.ExactMatch("sex"),
            cl.ExactMatch("nationality"),
            cl.LevenshteinAtThresholds("document_number"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_names"),
            block_on("surname_1"),
            block_on("surname_2"),
            block_on("birth_date"),
            block_on("document_number"),
        ],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


# Rules meant to admit (almost) no false positives, as in the Splink tutorial.
_DETERMINISTIC_RULES: list[str | BlockingRuleCreator] = [
    "l.given_names = r.given_names and levenshtein(l.birth_date, r.birth_date) <= 1",
    "l.surname_1 = r.surname_1 and levenshtein(l.birth_date, r.birth_date) <= 1",
    "l.given_names = r.given_names and levenshtein(l.surname_1, r.surname_1) <= 2",
    "l.document_number = r.document_number",
]


def _train(linker: Linker) -> None:
    found = linker.blocking_analysis.count_comparisons_from_blocking_rules(
        _DETERMINISTIC_RULES, record_sample_proportion=1.0
    )
    if found and found[-1]["cumulative_comparison_count"] > 0:
        linker.training.estimate_probability_two_random_records_match(
            _DETERMINISTIC_RULES, recall=0.7
        )
    # else: keep the prior given in the settings.
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=_SEED)
    for rule in (block_on("given_names", "surname_1"), block_on("birth_date")):
        # Splink raises when a training rule yields no pair (tiny or disjoint inputs);
        # the m values that round would have trained then keep their defaults.
        with contextlib.suppress(EMTrainingException):
            linker.training.estimate_parameters_using_expectation_maximisation(rule)


def link_generic(
    left: pd.DataFrame, right: pd.DataFrame, *, threshold: float = 0.5
) -> pd.DataFrame:
    """Scored links ``left_id, right_id, probability`` (``probability >= threshold``)."""
    lhs = _prepare(left, "left")
    rhs = _prepare(right, "right")
    if lhs.empty or rhs.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in OUTPUT_COLUMNS})
    prior = 1.0 / max(len(lhs), len(rhs))

    con = duckdb.connect(":memory:")
    try:
        con.execute("SET enable_progress_bar = false")
        db_api = DuckDBAPI(connection=con)
        with _quiet_splink():
            tables = [
                db_api.register(lhs, table_name=_LEFT),
                db_api.register(rhs, table_name=_RIGHT),
            ]
            linker = Linker(tables, _settings(prior), log_level=None)
            _train(linker)
            scored = linker.inference.predict(threshold_match_probability=threshold)
            pairs = scored.as_pandas_dataframe()  # type: ignore[no-untyped-call]
    finally:
        con.close()

    # In link_only each pair has one record from each table; orient by source_dataset.
    left_first = pairs["source_dataset_l"] == _LEFT
    out = pd.DataFrame(
        {
            "left_id": pairs["record_id_l"].where(left_first, pairs["record_id_r"]),
            "right_id": pairs["record_id_r"].where(left_first, pairs["record_id_l"]),
            "probability": pairs["match_probability"].astype(float),
        }
    )
    out = out.astype({"left_id": "object", "right_id": "object"})
    return out.sort_values(["left_id", "right_id"], ignore_index=True)


def pair_scores(predicted: set[tuple[str, str]], truth: set[tuple[str, str]]) -> dict[str, float]:
    """Pairwise precision, recall and F1 of ``predicted`` against ``truth``."""
    hits = len(predicted & truth)
    precision = hits / len(predicted) if predicted else 0.0
    recall = hits / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def _read_contract(path: str) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def main() -> None:
    parser = argparse.ArgumentParser(description="Generic Splink 5 link_only baseline.")
    parser.add_argument("left")
    parser.add_argument("right")
    parser.add_argument("truth", help="CSV with columns left_id,right_id")
    parser.add_argument("--threshold", type=float, default=0.5)
    args = parser.parse_args()

    left = _read_contract(args.left)
    right = _read_contract(args.right)
    truth_frame = _read_contract(args.truth)
    truth = set(zip(truth_frame["left_id"], truth_frame["right_id"], strict=True))

    start = time.perf_counter()
    links = link_generic(left, right, threshold=args.threshold)
    seconds = time.perf_counter() - start

    predicted = set(zip(links["left_id"], links["right_id"], strict=True))
    scores = pair_scores(predicted, truth)
    print(
        f"left={len(left)} right={len(right)} truth={len(truth)} predicted={len(predicted)} "
        f"threshold={args.threshold}"
    )
    print(
        f"precision={scores['precision']:.4f} recall={scores['recall']:.4f} "
        f"f1={scores['f1']:.4f} seconds={seconds:.2f}"
    )


if __name__ == "__main__":
    main()
