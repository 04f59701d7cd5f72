"""Training the model on the registries themselves, or using the shipped one.

No labels: u from random pairs, m by expectation maximisation (EM) over the training rules
of ``model.py``, the share of matches from near-certain pairs. Two things keep a run from
stopping on data we did not generate:

* **m never below the floor, during EM too.** A pair that a training rule lets through
  but that disagrees on several comparisons at once (a document number shared by two
  different persons, a birth date shared by strangers) reaches rungs no matching pair in
  that session reaches. EM's estimate for such a rung is zero, and it gets there
  faster than exponentially: the pair's match probability is the product of those rungs'
  m, and each m is re-estimated from that probability, so with four rungs m went
  4e-9, 5e-34, 3e-133, then exactly 0.0 in the fourth iteration on two 4-row files.
  Splink refuses an m of 0.0 (``m_probability value 0.0 is below the minimum allowed
  value of 1e-300``) and the run stopped. The model already held that no field is never
  mistyped (``M_FLOOR``, applied after training); it now holds during EM as well, at
  each maximisation step, so EM converges to the floor instead of underflowing.
* **Too small to train: the shipped model.** Below ``MIN_TRAINING_RECORDS`` records
  (on the smaller side of a linkage) the m and u of the shipped model
  (``defaults.py``) are used as they are, without term-frequency adjustments (a few
  hundred rows cannot measure how common a name is), with the share of matches
  estimated on the data; the run says so in one line.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

import splink.internals.expectation_maximisation as splink_em
from splink import Linker, SettingsCreator
from splink.blocking_analysis import count_comparisons_from_blocking_rules

from alianza.identity import model
from alianza.identity.defaults import default_model, without_tf

Progress = Callable[[str], None]
log = logging.getLogger("alianza.identity")

# Random pairs for the u probabilities: 100,000 (every common level is seen hundreds of
# times; a level rarer than that gets 1 / U_PAIRS in ``settle``). 1,000,000 cost more than
# generic Splink's whole run and changed F1 by 0.0002; going from 250,000 to 100,000 made
# a 10,000 x 9,000 run 20% faster (3.6 -> 2.9 s) with F1 equal to the fourth decimal on it
# and on the four independent settings (issue 11, 2 December 2026). At most EM_PAIRS
# blocked pairs per EM round, so a 1M x 1M run trains in minutes.
U_PAIRS = 1e5
EM_PAIRS = 2e6
# Least m of any level: a registry mistypes any field at least once in a thousand records.
M_FLOOR = 1e-3
# Share of true matches the deterministic rules are taken to find (for the prior).
RECALL = 0.7
# Fewer records than this (on the smaller side) and EM has a few dozen pairs per rule to
# learn from: the shipped model, trained on 10,000 x 9,000 records, knows more.
MIN_TRAINING_RECORDS = 500
SMALL_MESSAGE = "registro pequeño ({n} registros < {min}): se usa el modelo incluido, sin entrenar"

# --- EM with the floor ---------------------------------------------------------------------

_EM_FLOOR: ContextVar[float | None] = ContextVar("alianza_em_floor", default=None)
_PRIOR_RECORD = "_probability_two_random_records_match"


def _floored(
    compute: Callable[[Any], list[dict[str, Any]]],
) -> Callable[[Any], list[dict[str, Any]]]:
    """Splink's maximisation step, with every m at least the floor set for this context."""

    def compute_floored(df_params: Any) -> list[dict[str, Any]]:
        records = compute(df_params)
        floor = _EM_FLOOR.get()
        if floor is None:  # not an alianza training (generic Splink in the same process)
            return records
        for record in records:
            m = record["m_probability"]
            # NaN or None too: a comparison whose every pair had probability 0.
            if record["output_column_name"] != _PRIOR_RECORD and not (
                isinstance(m, float | int) and m >= floor
            ):
                record["m_probability"] = floor
        return records

    compute_floored.__wrapped__ = compute  # type: ignore[attr-defined]
    return compute_floored


# Splink 5 has no floor for m in EM (nor a hook for one): the step that turns expected
# counts into m and u is wrapped once, and floors only inside ``_em_floor`` below.
if not hasattr(splink_em.compute_proportions_for_new_parameters, "__wrapped__"):
    splink_em.compute_proportions_for_new_parameters = _floored(  # type: ignore[assignment]
        splink_em.compute_proportions_for_new_parameters
    )


@contextlib.contextmanager
def _em_floor(floor: float) -> Iterator[None]:
    token = _EM_FLOOR.set(floor)
    try:
        yield
    finally:
        _EM_FLOOR.reset(token)


# --- the share of matches ------------------------------------------------------------------


def prior(tables: list[Any], *, link_type: model.LinkType) -> float:
    """The share of matches among all pairs, from the near-certain pairs (recall 0.7).

    What Splink's ``estimate_probability_two_random_records_match`` computes, done here
    so that data without a single near-certain pair (small or disjoint registries) keeps
    a usable prior instead of zero, and data where every pair is near-certain does not
    stop the run.
    """
    counts = count_comparisons_from_blocking_rules(
        tables,
        blocking_rules=list(model.DETERMINISTIC_RULES),
        link_type=link_type,
        record_sample_proportion=1.0,
    )
    found = counts[-1]["cumulative_comparison_count"]
    possible = counts[-1]["total_possible_comparison_count"]
    if not possible:
        return model.DEFAULT_PRIOR
    if not found:
        return min(model.DEFAULT_PRIOR, 1.0 / possible)
    return min(max(found / RECALL / possible, 1e-9), 0.5)


# --- training ------------------------------------------------------------------------------


def too_small(sizes: list[int]) -> bool:
    """Whether registries of these sizes are too small to train on (empty ones link nothing)."""
    return 0 < min(sizes) < MIN_TRAINING_RECORDS


def small_note(sizes: list[int]) -> str | None:
    """The one line that says the shipped model is used, or None when the run trains."""
    if not too_small(sizes):
        return None
    return SMALL_MESSAGE.format(n=min(sizes), min=MIN_TRAINING_RECORDS)


def shipped(
    tables: list[Any],
    *,
    records: int,
    link_type: model.LinkType,
    dialect: str,
    progress: Progress,
) -> Linker:
    """A linker with the shipped model's m and u and this data's share of matches."""
    message = SMALL_MESSAGE.format(n=records, min=MIN_TRAINING_RECORDS)
    progress(message)
    log.info(message)
    settings = model.settings(link_type, prior=prior(tables, link_type=link_type))
    return Linker(
        tables,
        with_probabilities(settings, dialect=dialect),
        log_level=None,
        validate_settings=False,
    )


def with_probabilities(
    settings: SettingsCreator, *, dialect: str, source: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``settings`` in ``dialect`` with the m and u of ``source`` (the shipped model).

    The shipped JSON holds DuckDB's SQL (``jaro_winkler_similarity``); the settings are
    written again for the engine's dialect (Spark's ``jaro_winkler``) and only the
    probabilities are taken from the JSON, level by level. No term frequencies: the
    shipped model's were measured on other registries.
    """
    out = settings.create_settings_dict(dialect)
    trained = without_tf(source or default_model())
    for ours, theirs in zip(out["comparisons"], trained["comparisons"], strict=True):
        levels = zip(ours["comparison_levels"], theirs["comparison_levels"], strict=True)
        for level, learnt in levels:
            for key in ("m_probability", "u_probability"):
                if key in learnt:
                    level[key] = learnt[key]
            for key in ("tf_adjustment_column", "tf_adjustment_weight", "tf_minimum_u_value"):
                level.pop(key, None)
    return out


def train_linker(
    tables: list[Any], *, link_type: model.LinkType, progress: Progress, dialect: str = "duckdb"
) -> Linker:
    """A linker trained on ``tables`` themselves (``settle``d)."""
    progress("estimando la proporción de coincidencias")
    settings = model.settings(link_type, prior=prior(tables, link_type=link_type))
    # Splink's settings check only logs columns missing from the input (at WARNING, held
    # back during a run); ours come from features.py, and the check cost 1.3 s a Linker.
    linker = Linker(tables, settings, log_level=None, validate_settings=False)
    progress("estimando probabilidades u con pares al azar")
    # In one pass. Splink's default is ten chunks, stopping once every level has been
    # seen often enough; the model's rare rungs (twins, a conventional date) are never
    # seen that often, so all ten ran, each a full query over its sample: 2.7 s of a
    # 10,000 x 9,084 run where one pass over the same number of pairs takes 0.9 s. On
    # Spark each chunk was a round of jobs (600 x 600 records: 160 s in ten chunks).
    linker.training.estimate_u_using_random_sampling(max_pairs=U_PAIRS, seed=7, num_chunks=1)
    for rule in model.TRAINING_RULES:
        progress(f"entrenando (EM) sobre {rule.split(' AND ')[0]} ...")
        try:
            with _em_floor(M_FLOOR):
                linker.training.estimate_parameters_using_expectation_maximisation(
                    rule, max_pairs=EM_PAIRS, record_sample_proportion=0.05
                )
        except Exception as exc:  # Splink's EMTrainingException is not public
            if type(exc).__name__ != "EMTrainingException":
                raise
            log.info("EM sin pares para %s", rule)
    # A level no random pair reached (boxes swapped) has no u; Splink would fall back on a
    # default that made it count against a match. It was rarer than 1 in U_PAIRS.
    trained = settle(dict(linker.misc.save_model_to_json()))
    return Linker(tables, trained, log_level=None, validate_settings=False)


def settle(trained: dict[str, Any], *, floor: float = M_FLOOR) -> dict[str, Any]:
    """The model with every m at least ``floor`` and every unseen u at 1 / ``U_PAIRS``.

    EM already keeps m at the floor; a level no EM session reached keeps Splink's default,
    which may be lower.
    """
    for comparison in trained["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m = level.get("m_probability")
            if isinstance(m, float | int) and (m < floor or math.isnan(m)):
                level["m_probability"] = floor
            if level.get("u_probability") is None:
                level["u_probability"] = 1.0 / U_PAIRS
    return trained
