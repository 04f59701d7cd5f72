"""Quick necessary conditions for the model's spelling tests, over many pairs at once.

Most pairs a traveller's batch asks "similar spelling?" or "one character off?" share
few letters, and each question is a call into jellyfish. A bound computed in NumPy on the
letters two values share says which pairs cannot pass; only the others are asked (the
answer is the model's own test, never the bound's).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

Array = np.ndarray[Any, Any]

#: Whether each (traveller's value, entry's value) may pass a test.
Bound = Callable[[Sequence[Any], Sequence[Any]], Array]


def bound_of(level: Any, column: str) -> Bound | None:
    """A quick necessary condition for ``level``'s test on ``column`` (None: none known).

    Most pairs asked "similar spelling?" share few letters. Jaro's matches are pairs of
    equal characters, so they are at most the letters two values share (counted with
    repeats, ``C``): Jaro <= (C/|a| + C/|b| + 1)/3, and Winkler's prefix adds at most
    0.4 of the rest. Each edit of Damerau-Levenshtein moves max(|a|, |b|) - C by at most
    one. Pairs that cannot reach the model's threshold (read from its Splink level, so a
    changed threshold is followed) are never asked; the others are asked as before.
    """
    splink = level.splink
    found = [splink, *getattr(splink, "comparison_levels", ())]
    for part in found:
        expression: Any = getattr(part, "col_expression", None)
        # The column itself, as stored (no lower(), no substr(): those the bound ignores).
        if getattr(expression, "raw_sql_expression", None) != column or expression.operations:
            continue
        limit = float(part.distance_threshold)
        if type(part).__name__ == "JaroWinklerLevel":
            return lambda a, b: shared(a, b, jaro_winkler=limit)
        if type(part).__name__ == "DamerauLevenshteinLevel":
            return lambda a, b: shared(a, b, edits=limit)
    return None


def shared(
    ours: Sequence[Any],
    theirs: Sequence[Any],
    *,
    jaro_winkler: float | None = None,
    edits: float | None = None,
) -> Array:
    """Whether each pair may reach ``jaro_winkler`` (a similarity) or ``edits`` (a
    distance), by the letters the two values share. Values that are not ASCII text are
    always "may" (their characters are not their bytes)."""
    kinds = dict.fromkeys([*ours, *theirs])
    known = [v for v in kinds if isinstance(v, str) and v.isascii()]
    slot = {v: k for k, v in enumerate(known)}
    if not known:
        return np.ones(len(ours), dtype=bool)
    data = np.frombuffer("".join(known).encode(), dtype=np.uint8)
    sizes = np.fromiter(map(len, known), dtype=np.int64, count=len(known))
    letters, symbol = np.unique(data, return_inverse=True)
    owner = np.repeat(np.arange(len(known)), sizes)
    counts = np.bincount(
        owner * len(letters) + symbol.reshape(-1), minlength=len(known) * len(letters)
    )
    counts = counts.reshape(len(known), len(letters)).astype(np.int16)
    a = np.fromiter((slot.get(v, -1) for v in ours), dtype=np.int64, count=len(ours))
    b = np.fromiter((slot.get(v, -1) for v in theirs), dtype=np.int64, count=len(theirs))
    unknown = (a < 0) | (b < 0)
    a[unknown] = b[unknown] = 0
    common = np.minimum(counts[a], counts[b]).sum(axis=1).astype(np.float64)
    la, lb = sizes[a].astype(np.float64), sizes[b].astype(np.float64)
    if jaro_winkler is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            jaro = np.where(common > 0, (common / la + common / lb + 1.0) / 3.0, 0.0)
        best = np.where(jaro > 0.7, jaro + 0.4 * (1.0 - jaro), jaro)
        reach = best >= jaro_winkler - 1e-9
    else:
        limit = float(edits or 0)
        reach = (np.abs(la - lb) <= limit) & (np.maximum(la, lb) - common <= limit)
    may: Array = reach | unknown
    return may
