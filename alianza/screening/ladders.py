"""The model's ladders walked for one traveller against many entries at once, in NumPy.

``identity/model.py`` writes each level twice (SQL for batch linkage, a Python test per
pair); a traveller against a million-person list meets a few hundred entries, and walking
the Python tests pair by pair cost 3 ms a traveller (issue 11: 5,000 travellers a second
were wanted). Here every equality level is one comparison of columns of codes (the hash
of each value, 0 for a missing one) for all the entries at once; the levels that need the
text itself (similar spelling, one character off, an initial) call the model's own test
once per distinct value among the entries still undecided. Weights are added in the
order ``Scorer.score`` adds them, so the totals are the same floats.

``LADDERS`` names the SQL of every level it stands in for; ``check_ladders`` (run at
import) refuses a model whose ladders changed, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from alianza.identity.model import COMPARISONS, IMPUTED_DAYS
from alianza.screening.scorer import Scorer, _tf_adjustment

Array = np.ndarray[Any, Any]
#: Columns kept as codes, one int64 per entry each (``code``).
CODED = (
    "given_names",
    "given_1",
    "given_1_phonetic",
    "surname_1",
    "surname_1_core",
    "surname_2_core",
    "surname_1_phonetic",
    "surname_2_phonetic",
    "birth_date",
    "birth_md",
    "doc_key",
    "doc_type",
    "sex",
    "nationality",
)
#: Kept as numbers (0 when missing).
NUMERIC = ("birth_year",)
#: Columns with a "one character off or two swapped" level, kept also as bytes (this
#: width, zero-padded) and lengths: strings of one length are compared in NumPy.
TYPO_WIDTH = {"birth_date": 10, "doc_key": 16}
MISSING, OTHER = -1, 255  # lengths: no value; a value the bytes cannot hold (asked as text)

# What each level of each comparison says, in model order, as ``model.py`` writes its SQL
# (or, for Splink's own levels, its label): a twin below for each.
LADDERS: dict[str, tuple[str, ...]] = {
    "given": (
        "given_1_l IS NULL OR given_1_r IS NULL",
        "given_names_l = given_names_r",
        "given_1_l = given_1_r",
        "given_1_phonetic_l = given_1_phonetic_r",
        "escritura parecida (≥ 0.9)",
        "un carácter distinto o dos cambiados",
        "(length(given_1_l) = 1 OR length(given_1_r) = 1)"
        " AND substr(given_1_l, 1, 1) = substr(given_1_r, 1, 1)",
        "given_1_l = surname_1_r AND surname_1_l = given_1_r",
    ),
    "surnames": (
        "surname_1_core_l IS NULL OR surname_1_core_r IS NULL",
        "surname_1_core_l = surname_1_core_r AND surname_2_core_l = surname_2_core_r",
        "surname_1_core_l = surname_1_core_r"
        " AND (surname_2_core_l IS NULL OR surname_2_core_r IS NULL)",
        "surname_1_phonetic_l = surname_1_phonetic_r"
        " AND surname_2_phonetic_l = surname_2_phonetic_r",
        "primer apellido suena igual, el segundo parecido",
        "surname_1_phonetic_l = surname_1_phonetic_r AND surname_2_core_l <> surname_2_core_r",
        "surname_1_phonetic_l = surname_1_phonetic_r",
        "surname_1_core_l = surname_2_core_r OR surname_2_core_l = surname_1_core_r",
        "given_1_l = surname_1_r AND surname_1_l = given_1_r",
        "escritura parecida (≥ 0.88)",
    ),
    "birth": (
        "birth_date_l IS NULL OR birth_date_r IS NULL",
        "birth_date_l = birth_date_r AND surname_1_core_l = surname_1_core_r"
        " AND substr(given_1_l, 1, 1) <> substr(given_1_r, 1, 1)"
        " AND given_1_phonetic_l <> given_1_phonetic_r"
        " AND instr(given_names_l, given_1_r) = 0 AND instr(given_names_r, given_1_l) = 0",
        "birth_date_l = birth_date_r",
        "birth_swapped_l = birth_date_r",
        "birth_md_l = birth_md_r AND abs(birth_year_l - birth_year_r) = 1",
        "un carácter distinto o dos cambiados",
        "birth_year_l = birth_year_r AND (birth_md_l IN ('01-01', '06-15', '06-30', '07-01')"
        " OR birth_md_r IN ('01-01', '06-15', '06-30', '07-01'))",
        "birth_year_l = birth_year_r",
    ),
    "document": (
        "doc_key_l IS NULL OR doc_key_r IS NULL",
        "doc_key_l = doc_key_r",
        "un carácter distinto o dos cambiados",
        "doc_type_l IS NULL OR doc_type_r IS NULL OR doc_type_l <> doc_type_r",
    ),
    "sex": ("sex_l IS NULL OR sex_r IS NULL", "sex_l = sex_r"),
    "nationality": (
        "nationality_l IS NULL OR nationality_r IS NULL",
        "nationality_l = nationality_r",
    ),
}


def check_ladders() -> None:
    """Refuse to run if ``identity/model.py``'s ladders are not the ones twinned here."""
    for comparison in COMPARISONS:
        said = tuple(level.sql or level.label for level in comparison.levels)
        if said != LADDERS.get(comparison.name):
            raise RuntimeError(
                f"screening/ladders.py no sigue al modelo en '{comparison.name}': {said}"
            )


check_ladders()


def code(value: Any) -> int:
    """The code of a value: 0 when missing, else its hash (never 0)."""
    if value is None:
        return 0
    return hash(value) or 1


#: The conventional dates' MM-DD as codes (the model's ``IMPUTED_DAYS``).
_IMPUTED_CODES = np.array([code(day) for day in sorted(IMPUTED_DAYS)], dtype=np.int64)


def as_bytes(value: str | None, width: int) -> tuple[bytes, int]:
    """``value`` zero-padded to ``width`` bytes, and its length (``MISSING``, ``OTHER``)."""
    if value is None:
        return bytes(width), MISSING
    if not value.isascii() or len(value) > width:
        return bytes(width), OTHER
    return value.encode().ljust(width, b"\0"), len(value)


class Columns:
    """The coded columns of the candidates of one traveller (gathered once)."""

    def __init__(
        self,
        codes: dict[str, Array],
        positions: Array,
        chars: dict[str, Array] | None = None,
        lengths: dict[str, Array] | None = None,
    ) -> None:
        self._codes = codes
        self.positions = positions
        self.chars = chars or {}
        self.lengths = lengths or {}
        self._taken: dict[str, Array] = {}

    def __getitem__(self, name: str) -> Array:
        taken = self._taken.get(name)
        if taken is None:
            taken = self._taken[name] = self._codes[name][self.positions]
        return taken


def walk(
    scorer: Scorer,
    query: dict[str, Any],
    y: Columns,
    *,
    count: int,
    text: Callable[[str, Array], Sequence[Any]],
    frequency: Callable[[str, str], float] | None,
    prior: float | None,
) -> tuple[Array, Array]:
    """Total weights (bits) and levels (comparisons × entries) of ``count`` entries.

    ``text(column, rows)``: the values of ``column`` at those rows of the candidates, for
    the levels that need the text itself.
    """
    q = {name: code(query[name]) for name in CODED}
    start = scorer.prior_weight if prior is None else math.log2(prior / (1.0 - prior))
    total = np.full(count, start, dtype=np.float64)
    levels = np.empty((len(COMPARISONS), count), dtype=np.int8)
    rungs = (_given, _surnames, _birth, _document, _sex, _nationality)
    for c, (comparison, rung) in enumerate(zip(COMPARISONS, rungs, strict=True)):
        level = rung(q, query, y, count, text)
        levels[c] = level
        total += np.asarray(scorer.weights[c])[level]
        if frequency is not None:
            for i, lv in enumerate(comparison.levels):
                if lv.tf:
                    _add_tf(total, level == i, scorer.exact_u[c][i], lv.tf, y, text, frequency)
    return total, levels


def _add_tf(
    total: Array,
    at: Array,
    u_exact: float,
    column: str,
    y: Columns,
    text: Callable[[str, Array], Sequence[Any]],
    frequency: Callable[[str, str], float],
) -> None:
    rows = np.flatnonzero(at)
    if not len(rows):
        return
    _, first, inverse = np.unique(y[column][rows], return_index=True, return_inverse=True)
    adjust = np.array(
        [_tf_adjustment(u_exact, frequency(column, v)) for v in text(column, rows[first])],
        dtype=np.float64,
    )
    total[rows] += adjust[inverse]


class _Ladder:
    """Levels of all entries, set from the strongest down: a level only takes entries
    that no level above it took."""

    def __init__(self, count: int, levels: int) -> None:
        self.level = np.full(count, levels, dtype=np.int8)  # the else rung
        self.open = np.ones(count, dtype=bool)

    def take(self, i: int, holds: Array | bool) -> None:
        hit = self.open & holds
        self.level[hit] = i
        self.open &= ~hit

    def take_rows(self, i: int, rows: Array) -> None:
        """Level ``i`` for these rows (positions among the candidates, all still open)."""
        self.level[rows] = i
        self.open[rows] = False

    def by_text(
        self,
        i: int,
        column: str,
        y: Columns,
        text: Callable[[str, Array], Sequence[Any]],
        test: Callable[[Any], bool],
    ) -> None:
        """Level ``i`` where ``test(value of column)`` holds, tried once per value."""
        rows = np.flatnonzero(self.open)
        if not len(rows):
            return
        codes = y[column][rows]
        distinct, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
        values = text(column, rows[first])
        holds = np.fromiter((test(v) for v in values), dtype=bool, count=len(distinct))
        hit = rows[holds[inverse]]
        self.level[hit] = i
        self.open[hit] = False

    def by_typo(
        self,
        i: int,
        column: str,
        asked: str,
        y: Columns,
        text: Callable[[str, Array], Sequence[Any]],
        test: Callable[[Any], bool],
    ) -> None:
        """Level ``i`` for one character off or two adjacent ones swapped: between strings
        of one length that is one differing byte, or two adjacent ones crossed (computed
        here); other lengths one apart, and values not held as bytes, go to ``test``."""
        rows = np.flatnonzero(self.open)
        width = TYPO_WIDTH[column]
        if not len(rows) or column not in y.chars:
            self.by_text(i, column, y, text, test)
            return
        mine, n = as_bytes(asked, width)
        if n == OTHER:
            self.by_text(i, column, y, text, test)
            return
        lengths = y.lengths[column][y.positions[rows]]
        same = rows[lengths == n]
        if len(same):
            theirs = y.chars[column][y.positions[same]]
            ours = np.frombuffer(mine, dtype=np.uint8)
            differ = theirs != ours
            count = differ.sum(axis=1)
            first = differ.argmax(axis=1)
            second = np.minimum(first + 1, width - 1)
            at = np.arange(len(same))
            crossed = (
                (count == 2)
                & differ[at, second]
                & (theirs[at, first] == ours[second])
                & (theirs[at, second] == ours[first])
            )
            hit = same[(count <= 1) | crossed]
            self.level[hit] = i
            self.open[hit] = False
        ours = np.frombuffer(mine, dtype=np.uint8)
        for m in (n - 1, n + 1):
            # One character more or less: the shorter is the longer less one character,
            # i.e. their common start and common end together cover the shorter.
            apart = rows[lengths == m]
            if not len(apart) or m < 1 or m > width:
                continue
            theirs = y.chars[column][y.positions[apart]]
            short, long_ = (theirs, ours[None, :]) if m < n else (ours[None, :], theirs)
            k = min(m, n)
            head = np.cumprod(short[:, :k] == long_[:, :k], axis=1).sum(axis=1)
            tail_short = short[:, :k][:, ::-1]
            tail_long = long_[:, 1 : k + 1][:, ::-1]
            tail = np.cumprod(tail_short == tail_long, axis=1).sum(axis=1)
            hit = apart[(head + tail >= k) & self.open[apart]]
            self.level[hit] = i
            self.open[hit] = False
        ask = lengths == OTHER
        if ask.any():
            before = self.open.copy()
            only = np.zeros_like(before)
            only[rows[ask]] = True
            self.open = before & only
            self.by_text(i, column, y, text, test)
            taken = before & only & ~self.open
            self.open = before & ~taken


def _differ(q: dict[str, int], column: str, y: Columns) -> Array | bool:
    # The model's _differ: both present and not equal.
    if not q[column]:
        return False
    differ: Array = (y[column] != 0) & (y[column] != q[column])
    return differ


def _eq(q: dict[str, int], a: str, y: Columns, b: str | None = None) -> Array | bool:
    # The model's _eq: the traveller's value present and equal to the entry's.
    if not q[a]:
        return False
    equal: Array = y[b or a] == q[a]
    return equal


def _null(q: dict[str, int], column: str, y: Columns) -> Array | bool:
    missing: Array = y[column] == 0
    return True if not q[column] else missing


def _given(q: dict[str, int], query: dict[str, Any], y: Columns, n: int, text: Any) -> Array:
    levels = COMPARISONS[0].levels
    ladder = _Ladder(n, len(levels))
    ladder.take(0, _null(q, "given_1", y))
    ladder.take(1, _eq(q, "given_names", y))
    ladder.take(2, _eq(q, "given_1", y))
    ladder.take(3, _eq(q, "given_1_phonetic", y))
    ladder.by_text(4, "given_1", y, text, lambda v: levels[4].test(query, {"given_1": v}))
    ladder.by_text(5, "given_1", y, text, lambda v: levels[5].test(query, {"given_1": v}))
    ladder.by_text(6, "given_1", y, text, lambda v: levels[6].test(query, {"given_1": v}))
    ladder.take(7, _both(_eq(q, "given_1", y, "surname_1"), _eq(q, "surname_1", y, "given_1")))
    return ladder.level


def _surnames(q: dict[str, int], query: dict[str, Any], y: Columns, n: int, text: Any) -> Array:
    levels = COMPARISONS[1].levels
    ladder = _Ladder(n, len(levels))
    ladder.take(0, _null(q, "surname_1_core", y))
    first = _eq(q, "surname_1_core", y)
    ladder.take(1, _both(first, _eq(q, "surname_2_core", y)))
    ladder.take(2, _both(first, _null(q, "surname_2_core", y)))
    sounds = _eq(q, "surname_1_phonetic", y)
    ladder.take(3, _both(sounds, _eq(q, "surname_2_phonetic", y)))
    second = query["surname_2_core"]
    if second is not None and not isinstance(sounds, bool):
        # The first surname sounds alike: is the second, where the entry has one, close?
        rows = np.flatnonzero(ladder.open & sounds & (y["surname_2_core"] != 0))
        if len(rows):
            close = levels[4].test
            values = text("surname_2_core", rows)
            holds = np.fromiter(
                (close(query, {**query, "surname_2_core": v}) for v in values),
                dtype=bool,
                count=len(rows),
            )
            ladder.take_rows(4, rows[holds])
    ladder.take(5, _both(sounds, _differ(q, "surname_2_core", y)))
    ladder.take(6, sounds)
    crossed = _either(
        _eq(q, "surname_1_core", y, "surname_2_core"),
        _eq(q, "surname_2_core", y, "surname_1_core"),
    )
    ladder.take(7, crossed)
    ladder.take(8, _both(_eq(q, "given_1", y, "surname_1"), _eq(q, "surname_1", y, "given_1")))
    ladder.by_text(
        9, "surname_1_core", y, text, lambda v: levels[9].test(query, {"surname_1_core": v})
    )
    return ladder.level


def _birth(q: dict[str, int], query: dict[str, Any], y: Columns, n: int, text: Any) -> Array:
    levels = COMPARISONS[2].levels
    ladder = _Ladder(n, len(levels))
    ladder.take(0, _null(q, "birth_date", y))
    same_date = _eq(q, "birth_date", y)
    if not isinstance(same_date, bool):
        # Twins: the same date and surname, given names with nothing in common. The few
        # entries that share the date and the surname but not the name's sound are asked
        # with the model's own test.
        rows = np.flatnonzero(
            ladder.open
            & same_date
            & _eq(q, "surname_1_core", y)
            & (y["given_1_phonetic"] != q["given_1_phonetic"])
        )
        if len(rows):
            twins = levels[1].test
            names = zip(
                text("given_1", rows),
                text("given_names", rows),
                text("given_1_phonetic", rows),
                strict=True,
            )
            holds = np.fromiter(
                (
                    twins(query, {**query, "given_1": g, "given_names": n, "given_1_phonetic": p})
                    for g, n, p in names
                ),
                dtype=bool,
                count=len(rows),
            )
            ladder.take_rows(1, rows[holds])
    ladder.take(2, same_date)
    swapped = code(query["birth_swapped"])
    ladder.take(3, bool(swapped) and y["birth_date"] == swapped)
    if query["birth_year"] is not None:
        year_off = np.abs(y["birth_year"] - int(query["birth_year"])) == 1
        ladder.take(4, (y["birth_md"] == q["birth_md"]) & year_off)
    ladder.by_typo(
        5,
        "birth_date",
        query["birth_date"],
        y,
        text,
        lambda v: levels[5].test(query, {"birth_date": v}),
    )
    if query["birth_year"] is not None:
        same_year = y["birth_year"] == int(query["birth_year"])
        conventional = (y["birth_md"] == _IMPUTED_CODES[:, None]).any(axis=0)
        if query["birth_md"] in IMPUTED_DAYS:
            conventional = True
        ladder.take(6, same_year & conventional)
        ladder.take(7, same_year)
    return ladder.level


def _document(q: dict[str, int], query: dict[str, Any], y: Columns, n: int, text: Any) -> Array:
    levels = COMPARISONS[3].levels
    ladder = _Ladder(n, len(levels))
    ladder.take(0, _null(q, "doc_key", y))
    ladder.take(1, _eq(q, "doc_key", y))
    ladder.by_typo(
        2, "doc_key", query["doc_key"], y, text, lambda v: levels[2].test(query, {"doc_key": v})
    )
    ladder.take(3, _null(q, "doc_type", y) | (y["doc_type"] != q["doc_type"]))
    return ladder.level


def _sex(q: dict[str, int], query: dict[str, Any], y: Columns, n: int, text: Any) -> Array:
    ladder = _Ladder(n, 2)
    ladder.take(0, _null(q, "sex", y))
    ladder.take(1, _eq(q, "sex", y))
    return ladder.level


def _nationality(q: dict[str, int], query: dict[str, Any], y: Columns, n: int, text: Any) -> Array:
    ladder = _Ladder(n, 2)
    ladder.take(0, _null(q, "nationality", y))
    ladder.take(1, _eq(q, "nationality", y))
    return ladder.level


def _both(a: Array | bool, b: Array | bool) -> Array | bool:
    return a & b


def _either(a: Array | bool, b: Array | bool) -> Array | bool:
    return a | b
