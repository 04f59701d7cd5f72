"""Fellegi–Sunter scoring of one pair in Python, with the weights batch linkage learnt.

Batch linkage scores millions of pairs in SQL; a border post asks about one traveller and
needs an answer in milliseconds, so the same ladder of levels (``identity/model.py``, each
level with its Python twin) is walked here and weighed with the m and u probabilities of
a trained Splink model. The explanation is the walk itself: for each comparison the level
reached, in Spanish and English, and whether it speaks for or against the match.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from splink.internals.settings_creator import SettingsCreator

from alianza.identity.model import COMPARISONS, Features


@dataclass(slots=True, frozen=True)
class Evidence:
    """What one comparison found: its level, in two languages, and its weight in bits."""

    field: str
    field_en: str
    level: str
    level_en: str
    status: str  # "agrees" | "differs" | "missing"
    weight: float

    def as_dict(self) -> dict[str, Any]:
        """JSON form for the API."""
        return {
            "field": self.field,
            "field_en": self.field_en,
            "level": self.level,
            "level_en": self.level_en,
            "status": self.status,
            "weight": round(self.weight, 2),
        }


STATUS_ES = {"agrees": "coincide", "differs": "difiere", "missing": "falta"}


class Scorer:
    """Weights of every level of every comparison, read from a Splink model (JSON dict)."""

    def __init__(self, model: Mapping[str, Any]) -> None:
        # Read through Splink's own settings objects, so that untrained levels take
        # Splink's defaults and every m and u its clamps, exactly as in batch linkage.
        settings = SettingsCreator.from_path_or_dict(dict(model)).get_settings("duckdb")
        self.prior = float(settings._probability_two_random_records_match)
        self.prior_weight = math.log2(self.prior / (1.0 - self.prior))
        trained = {c.output_column_name: c.comparison_levels for c in settings.comparisons}
        # weights[c][i]: log2(m/u) of level i of comparison c (0 for the null level).
        self.weights: list[list[float]] = []
        self.exact_u: list[list[float]] = []
        for comparison in COMPARISONS:
            levels = trained[comparison.name]
            if len(levels) != len(comparison.levels) + 1:
                raise ValueError(f"modelo incompatible en '{comparison.name}'")
            self.weights.append([float(level._match_weight or 0.0) for level in levels])
            self.exact_u.append(
                [
                    0.0 if level.is_null_level else float(level.u_probability or 0.0)
                    for level in levels
                ]
            )
        self._explained: dict[tuple[int, ...], tuple[Evidence, ...]] = {}

    def score(
        self,
        left: Features,
        right: Features,
        *,
        frequency: Callable[[str, str], float] | None = None,
        prior: float | None = None,
    ) -> tuple[float, list[int]]:
        """Total match weight (bits, prior included) and the level of each comparison.

        ``frequency(column, value)``: how common the right side's value is, for the levels
        that carry a term-frequency adjustment (None: no adjustment). ``prior``: the share
        of matches among the pairs being scored, when it is not the training data's.
        """
        total = self.prior_weight if prior is None else math.log2(prior / (1.0 - prior))
        reached = []
        for c, comparison in enumerate(COMPARISONS):
            i = comparison.level_of(left, right)
            reached.append(i)
            total += self.weights[c][i]
            if frequency is not None and i < len(comparison.levels):
                tf = comparison.levels[i].tf
                if tf:
                    total += _tf_adjustment(self.exact_u[c][i], frequency(tf, right[tf]))
        return total, reached

    def explain(self, reached: list[int]) -> list[Evidence]:
        """The walk of ``score`` in words."""
        # A list of travellers meets the same few walks again and again: each is put in
        # words once (the evidence is frozen, so the copies can share it).
        key = tuple(reached)
        known = self._explained.get(key)
        if known is None:
            known = self._explained[key] = tuple(self._explain(reached))
        return list(known)

    def _explain(self, reached: list[int]) -> list[Evidence]:
        out = []
        for c, (comparison, i) in enumerate(zip(COMPARISONS, reached, strict=True)):
            weight = self.weights[c][i]
            if i < len(comparison.levels):
                level = comparison.levels[i]
                label, label_en, null = level.label, level.label_en, level.null
            else:
                label, label_en, null = "distintos", "different", False
            status = "missing" if null else ("agrees" if weight > 0 else "differs")
            out.append(
                Evidence(
                    field=comparison.label,
                    field_en=comparison.label_en,
                    level=label,
                    level_en=label_en,
                    status=status,
                    weight=weight,
                )
            )
        return out


def probability(weight: float) -> float:
    """Match probability of a total weight in bits."""
    return 1.0 / (1.0 + math.pow(2.0, -weight))


#: The least frequency a term-frequency adjustment divides by.
TF_FLOOR = 1e-6


def _tf_adjustment(u_exact: float, frequency: float) -> float:
    # Splink's term-frequency adjustment: agreeing on a value as common as ``frequency``
    # is worth log2(u / frequency) bits more (or less) than the level's average agreement.
    if not u_exact or not frequency:
        return 0.0
    return math.log2(u_exact / max(frequency, TF_FLOOR))


def tf_adjustments(u_exact: float, frequencies: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """``_tf_adjustment`` of many frequencies at once (NumPy's log2: to the last bit or
    so, for bounds; a weight shown is always ``_tf_adjustment``'s)."""
    if not u_exact:
        return np.zeros(len(frequencies), dtype=np.float64)
    adjust = np.log2(u_exact / np.maximum(frequencies, TF_FLOOR))
    out: np.ndarray[Any, Any] = np.where(frequencies != 0, adjust, 0.0)
    return out


def list_prior(trained_prior: float, entries: int) -> float:
    """The prior for one traveller against a list of ``entries``: at most 1 in ``entries``.

    The trained prior is the share of matches between two registries of the training's
    size; a traveller is at most one of the people on a list, so against a long list a
    pair is a match with probability 1/N at most. A short list keeps the trained prior
    (1/N would make weak evidence look strong).
    """
    return min(trained_prior, 1.0 / max(entries, 1))
