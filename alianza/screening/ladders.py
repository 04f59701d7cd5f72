"""The model's ladders walked for many (traveller, entry) pairs at once, in NumPy.

``identity/model.py`` writes each level twice (SQL for batch linkage, a Python test per
pair); a traveller against a million-person list meets a few hundred entries, and walking
the Python tests pair by pair cost 3 ms a traveller (issue 11: 5,000 travellers a second
were wanted). Here every equality level is one comparison of columns of codes (the hash
of each value, 0 for a missing one) over all the pairs of a batch of travellers at once
(one traveller at a time, NumPy's fixed cost per call was most of the time); the levels
that need the text itself (similar spelling, one character off, an initial) call the
model's own test once per distinct (traveller's value, entry's value), and only where a
bound on the letters the two share says the test can hold; one character off is found
eight bytes at a time. Weights are added in the order ``Scorer.score`` adds them, so the
totals are the same floats.

A screener wants only the pairs that may reach its floor, and at a million entries most
pairs are namesakes far below it. ``walk_above`` walks each ladder first for the most it
may weigh (``_Ceiling``: the same rungs, the dear levels counted possible, not tried),
drops the pairs whose bound cannot reach the floor, stage by stage (the date, the
document and the nationality of every pair first, the names of the few left), and walks
in full only what its bounds left in doubt.

``LADDERS`` names the SQL of every level it stands in for; ``check_ladders`` (run at
import) refuses a model whose ladders changed, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from alianza.identity.contract import HEADER
from alianza.identity.features import features
from alianza.identity.model import COMPARISONS, IMPUTED_DAYS
from alianza.screening.bounds import Bound, bound_of
from alianza.screening.scorer import Scorer, _tf_adjustment, tf_adjustments

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
#: width, zero-padded, at most 16: two words, ``_words``) and lengths: strings of one
#: length are compared in NumPy.
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
        # ``walk_above`` bounds a TF level's adjustment by the traveller's value, which
        # is the entry's only where the level holds on equal values.
        for level in comparison.levels:
            if level.tf and not _equal_on(level.sql, level.tf):
                raise RuntimeError(
                    f"screening/ladders.py: el nivel '{level.label}' ajusta por frecuencia"
                    f" sin exigir {level.tf} igual"
                )


def _equal_on(sql: str, column: str) -> bool:
    """Whether ``sql`` holds only where ``column`` is equal on both sides: it is that
    equality, alone or AND more (no OR outside parentheses)."""
    equal = f"{column}_l = {column}_r"
    if sql == equal:
        return True
    outside = sql
    while (inner := re.sub(r"\([^()]*\)", "", outside)) != outside:
        outside = inner
    return sql.startswith(equal + " AND ") and " OR " not in outside


def _check_birth_parts() -> None:
    """Refuse to run if ``features`` no longer cuts the year from a date's characters
    0-3 and the day and month from 5 on (``_birth`` narrows its typos by the two)."""
    for day in ("1985-07-04", "2001-12-31", "1999-1-1"):
        cut = features({**dict.fromkeys(HEADER, ""), "birth_date": day})
        if (cut["birth_year"], cut["birth_md"]) != (int(day[:4]), day[5:]):
            raise RuntimeError("screening/ladders.py: features ya no corta así la fecha")


check_ladders()
_check_birth_parts()


def code(value: Any) -> int:
    """The code of a value: 0 when missing, else its hash (never 0)."""
    if value is None:
        return 0
    return hash(value) or 1


_NONE = hash(None)


def codes(values: Sequence[Any]) -> Array:
    """``code`` of each value as one int64 array, in C loops (no Python call per value)."""
    n = len(values)
    hashes = np.fromiter(map(hash, values), dtype=np.int64, count=n)
    there = np.fromiter(map(bool, values), dtype=bool, count=n)
    out = hashes.copy()
    out[hashes == 0] = 1
    # Of the values not there (None, ""), None is the one hashing as None does ("" is 0).
    out[~there & (hashes == _NONE)] = 0
    return out


#: The conventional dates' MM-DD as codes (the model's ``IMPUTED_DAYS``).
_IMPUTED_CODES = np.array([code(day) for day in sorted(IMPUTED_DAYS)], dtype=np.int64)


def _gather(values: Array, at: Array) -> Array:
    """The rows ``at`` of ``values`` (all of them valid positions)."""
    # take with mode="clip" skips the bounds check per element that indexing does: on a
    # million-entry list it gathered a quarter faster (every ``at`` here is in range).
    taken: Array = values.take(at, axis=0, mode="clip")
    return taken


def as_bytes(value: str | None, width: int) -> tuple[bytes, int]:
    """``value`` zero-padded to ``width`` bytes, and its length (``MISSING``, ``OTHER``)."""
    if value is None:
        return bytes(width), MISSING
    if not value.isascii() or len(value) > width:
        return bytes(width), OTHER
    return value.encode().ljust(width, b"\0"), len(value)


class Columns:
    """The coded columns of the entries being weighed (each gathered once, on first use)."""

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
            taken = self._taken[name] = _gather(self._codes[name], self.positions)
        return taken

    def subset(self, keep: Array) -> Columns:
        """The columns of the pairs ``keep`` selects."""
        # Gathered again from the whole list, when used: the pairs left after a stage
        # are a few, and slicing every column the stage gathered cost more.
        return Columns(self._codes, self.positions[keep], self.chars, self.lengths)


class Queries:
    """The travellers' side of the pairs: each traveller's codes, gathered per pair (the
    pair's ``owner``) on first use, and the travellers' values for the text levels."""

    def __init__(self, queries: Sequence[Mapping[str, Any]], owner: Array) -> None:
        self.queries = queries
        self.owner = owner
        self._own: dict[str, Array] = {}
        self._taken: dict[str, Array] = {}

    def own(self, name: str) -> Array:
        """One code per traveller (``birth_year``: the number, 0 when missing)."""
        held = self._own.get(name)
        if held is None:
            values = [q[name] for q in self.queries]
            if name in NUMERIC:
                held = np.array([v or 0 for v in values], dtype=np.int64)
            else:
                held = codes(values)
            self._own[name] = held
        return held

    def __getitem__(self, name: str) -> Array:
        taken = self._taken.get(name)
        if taken is None:
            taken = self._taken[name] = _gather(self.own(name), self.owner)
        return taken

    def cut(self, name: str, start: int) -> Array:
        """``code`` of each pair's traveller's value of ``name`` from character ``start``
        on (0: no value)."""
        key = f"{name}[{start}:]"
        taken = self._taken.get(key)
        if taken is None:
            values = [None if q[name] is None else q[name][start:] for q in self.queries]
            taken = self._taken[key] = _gather(codes(values), self.owner)
        return taken

    def typo(self, column: str, width: int) -> tuple[Array, Array]:
        """Each traveller's value of ``column`` as bytes (``as_bytes``) and its length."""
        key = f"{column} bytes"
        held = self._own.get(key)
        if held is None:
            pairs = [as_bytes(q[column], width) for q in self.queries]
            chars = np.frombuffer(b"".join(b for b, _ in pairs), dtype=np.uint8)
            self._own[key] = held = chars.reshape(len(pairs), width)
            self._own[f"{column} length"] = np.array([k for _, k in pairs], dtype=np.int64)
        return held, self._own[f"{column} length"]

    def values(self, name: str) -> list[Any]:
        """Each traveller's value of ``name``."""
        return [q[name] for q in self.queries]

    def value(self, name: str, rows: Array) -> list[Any]:
        """The travellers' values of ``name`` at these pairs."""
        return [self.queries[t][name] for t in self.owner[rows].tolist()]

    def subset(self, keep: Array) -> Queries:
        """The travellers' side of the pairs ``keep`` selects."""
        sub = Queries(self.queries, self.owner[keep])
        sub._own = self._own  # the same travellers: what is known of each still holds
        return sub


Text = Callable[[str, Array], Sequence[Any]]
#: Bits a pair's bound may fall short of its true weight by rounding alone (sums of a
#: dozen weights of a few bits: the real error is some 1e-13).
_SLACK = 1e-6
#: Below any weight a pair may have (``_Ceiling``: a level not possible).
_NEVER = 1024.0


def walk(
    scorer: Scorer,
    query: Mapping[str, Any],
    y: Columns,
    *,
    count: int,
    text: Text,
    frequency: Callable[[str, str], float] | None,
    prior: float | None,
) -> tuple[Array, Array]:
    """Total weights (bits) and levels (comparisons × entries) of one traveller against
    ``count`` entries: ``walk_many`` with one traveller."""
    owner = np.zeros(count, dtype=np.intp)
    return walk_many(scorer, [query], owner, y, text=text, frequency=frequency, prior=prior)


def walk_many(
    scorer: Scorer,
    queries: Sequence[Mapping[str, Any]],
    owner: Array,
    y: Columns,
    *,
    text: Text,
    frequency: Callable[[str, str], float] | None,
    prior: float | None,
) -> tuple[Array, Array]:
    """Total weights (bits) and levels (comparisons × pairs) of (traveller, entry) pairs:
    pair ``k`` is traveller ``queries[owner[k]]`` against the entry at ``y.positions[k]``.

    A batch of travellers is one pass over all their pairs (per traveller, NumPy's fixed
    cost per call was most of the time). ``text(column, rows)``: the entries' values of
    ``column`` at those pairs, for the levels that need the text itself; those are asked
    once per distinct (traveller's value, entry's value).
    """
    q = Queries(queries, owner)
    return _walk(scorer, q, y, text=text, frequency=frequency, start=_start(scorer, prior))


def walk_above(
    scorer: Scorer,
    queries: Sequence[Mapping[str, Any]],
    owner: Array,
    y: Columns,
    *,
    text: Text,
    frequency: Callable[[str, str], float] | None,
    prior: float | None,
    floor: float,
) -> tuple[Array, Array, Array]:
    """``walk_many`` of only the pairs that may weigh ``floor`` bits or more: their rows
    (in order), total weights and levels, each exactly as ``walk_many`` gives it.

    Most pairs of a long list are namesakes whose date or document disagrees, far below
    any floor (issue 11: 184 pairs a traveller, one in 300 kept). Each pair's weight is
    bounded first: the comparisons not yet looked at by the most they may add for its
    traveller, the others by the most their cheap levels leave possible (``_Ceiling``).
    Stage by stage, the pairs whose bound is below ``floor`` are dropped, and the others'
    columns gathered next. A pair dropped could never have reached ``floor``, so the
    pairs at or above it are the same. The levels the cheap ones settled stand; only
    the pairs a dear level may have taken are walked again, by ``_Ladder``.
    """
    q = Queries(queries, owner)
    start = _start(scorer, prior)
    values = _level_values(scorer, q, frequency)
    # The most each comparison may add, per traveller: its best level, TF included.
    most = [_best(c, len(queries)) for c in values]
    bound: Array = (start + np.sum(most, axis=0))[owner]
    rows = np.arange(len(owner))
    levels: dict[int, Array] = {}  # per comparison: each pair's level, if the ceiling knew it
    unsure: dict[int, Array] = {}  # and where it did not
    for stage in _STAGES:
        for c in stage:
            per_pair = [v if isinstance(v, float) else v[q.owner] for v in values[c]]
            ceiling = _Ceiling(per_pair, len(rows))
            _RUNGS[c](ceiling, q, y, _refused)
            bound += ceiling.most() - most[c][q.owner]
            levels[c], unsure[c] = ceiling.level, ceiling.unsure
        # Indices, not the mask itself: selecting by a mixed mask is branchy and slow.
        keep = np.flatnonzero(bound >= floor - _SLACK)
        rows, bound = rows[keep], bound[keep]
        q, y = q.subset(keep), y.subset(keep)
        levels = {c: level[keep] for c, level in levels.items()}
        unsure = {c: doubt[keep] for c, doubt in unsure.items()}
        if not len(rows):
            return rows, bound, np.empty((len(COMPARISONS), 0), dtype=np.int8)

    def kept_text(column: str, at: Array) -> Sequence[Any]:
        return text(column, rows[at])

    reached = np.empty((len(COMPARISONS), len(rows)), dtype=np.int8)
    for c, rung in enumerate(_RUNGS):
        reached[c] = levels[c]
        asked = np.flatnonzero(unsure[c])
        if len(asked):

            def asked_text(column: str, at: Array, asked: Array = asked) -> Sequence[Any]:
                return kept_text(column, asked[at])

            ladder = _Ladder(len(asked), len(COMPARISONS[c].levels))
            rung(ladder, q.subset(asked), y.subset(asked), asked_text)
            reached[c, asked] = ladder.level
    total = _weigh(scorer, reached, y, text=kept_text, frequency=frequency, start=start)
    return rows, total, reached


def _start(scorer: Scorer, prior: float | None) -> float:
    return scorer.prior_weight if prior is None else math.log2(prior / (1.0 - prior))


def _walk(
    scorer: Scorer,
    q: Queries,
    y: Columns,
    *,
    text: Text,
    frequency: Callable[[str, str], float] | None,
    start: float,
) -> tuple[Array, Array]:
    count = len(q.owner)
    levels = np.empty((len(COMPARISONS), count), dtype=np.int8)
    for c, (comparison, rung) in enumerate(zip(COMPARISONS, _RUNGS, strict=True)):
        ladder = _Ladder(count, len(comparison.levels))
        rung(ladder, q, y, text)
        levels[c] = ladder.level
    return _weigh(scorer, levels, y, text=text, frequency=frequency, start=start), levels


def _weigh(
    scorer: Scorer,
    levels: Array,
    y: Columns,
    *,
    text: Text,
    frequency: Callable[[str, str], float] | None,
    start: float,
) -> Array:
    """Total weights of pairs at these levels, added in the order ``Scorer.score`` adds
    them, so the totals are the same floats."""
    total = np.full(levels.shape[1], start, dtype=np.float64)
    for c, comparison in enumerate(COMPARISONS):
        level = levels[c]
        total += np.asarray(scorer.weights[c])[level]
        if frequency is not None:
            for i, lv in enumerate(comparison.levels):
                if lv.tf:
                    _add_tf(total, level == i, scorer.exact_u[c][i], lv.tf, y, text, frequency)
    return total


def _level_values(
    scorer: Scorer, q: Queries, frequency: Callable[[str, str], float] | None
) -> list[list[Array | float]]:
    """The weight of each level of each comparison (the else rung last), TF included: an
    array over the travellers for a level with a term-frequency adjustment."""
    shares: dict[str, Array] = {}  # how common each traveller's value is, per TF column
    out: list[list[Array | float]] = []
    for c, comparison in enumerate(COMPARISONS):
        values: list[Array | float] = list(scorer.weights[c])
        for i, lv in enumerate(comparison.levels):
            if not lv.tf or frequency is None:
                continue
            share = shares.get(lv.tf)
            if share is None:
                share = shares[lv.tf] = np.array(
                    [0.0 if v is None else frequency(lv.tf, v) for v in q.values(lv.tf)],
                    dtype=np.float64,
                )
            # A TF level holds only where the two values are equal (``check_ladders``):
            # the entry's value is the traveller's, so the adjustment is the traveller's.
            values[i] = values[i] + tf_adjustments(scorer.exact_u[c][i], share)
        out.append(values)
    return out


def _best(values: list[Array | float], count: int) -> Array:
    """The greatest of these weights (numbers, or one per traveller) for each traveller."""
    best = np.full(count, max(v for v in values if isinstance(v, float)))
    for v in values:
        if not isinstance(v, float):
            np.maximum(best, v, out=best)
    return best


def _refused(column: str, rows: Array) -> Sequence[Any]:
    # A bound never reads the text: the levels that would are taken as possible instead.
    raise AssertionError(f"una cota no lee el texto ({column})")


def _add_tf(
    total: Array,
    at: Array,
    u_exact: float,
    column: str,
    y: Columns,
    text: Text,
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


def _pair_keys(a: Array, b: Array) -> Array:
    """One int64 per (a, b) pair, equal exactly when both are equal (no hash to collide)."""
    _, ia = np.unique(a, return_inverse=True)
    kinds_b, ib = np.unique(b, return_inverse=True)
    keyed: Array = ia.reshape(-1).astype(np.int64) * len(kinds_b) + ib.reshape(-1)
    return keyed


class _Rungs(Protocol):
    """What a comparison's ladder is walked with: its levels (``_Ladder``) or the most it
    may weigh (``_Ceiling``)."""

    open: Array

    def take(self, i: int, holds: Array) -> None: ...

    def take_among(self, i: int, among: Array, holds: Callable[[Array], Array]) -> None: ...

    def by_text(
        self,
        i: int,
        column: str,
        q: Queries,
        y: Columns,
        text: Text,
        test: Callable[[Any, Any], bool],
        among: Array | None = None,
        bound: Bound | None = None,
    ) -> None: ...

    def by_typo(
        self,
        i: int,
        column: str,
        q: Queries,
        y: Columns,
        text: Text,
        test: Callable[[Any, Any], bool],
        near: Array | None = None,
    ) -> None: ...


class _Ladder:
    """Levels of all pairs, set from the strongest down: a level only takes pairs that no
    level above it took."""

    def __init__(self, count: int, levels: int) -> None:
        self.level = np.full(count, levels, dtype=np.int8)  # the else rung
        self.open = np.ones(count, dtype=bool)

    def take(self, i: int, holds: Array | bool) -> None:
        hit = self.open & holds
        self.level[hit] = i
        self.open &= ~hit

    def take_rows(self, i: int, rows: Array) -> None:
        """Level ``i`` for these rows (pairs, all still open)."""
        self.level[rows] = i
        self.open[rows] = False

    def take_among(self, i: int, among: Array, holds: Callable[[Array], Array]) -> None:
        """Level ``i`` for the open pairs of ``among`` where ``holds(rows)`` (a test too
        dear for every pair) says so."""
        rows = np.flatnonzero(self.open & among)
        if len(rows):
            self.take_rows(i, rows[holds(rows)])

    def by_text(
        self,
        i: int,
        column: str,
        q: Queries,
        y: Columns,
        text: Text,
        test: Callable[[Any, Any], bool],
        among: Array | None = None,
        bound: Bound | None = None,
    ) -> None:
        """Level ``i`` for the open pairs (of ``among``, if given) where ``test(traveller's
        value, entry's value)`` holds, tried once per distinct pair of values (and only
        where ``bound`` says it may hold)."""
        rows = np.flatnonzero(self.open) if among is None else among
        if not len(rows):
            return
        keyed = _pair_keys(q[column][rows], y[column][rows])
        _, first, inverse = np.unique(keyed, return_index=True, return_inverse=True)
        theirs = text(column, rows[first])
        ours = q.value(column, rows[first])
        holds = np.zeros(len(first), dtype=bool)
        maybe = np.arange(len(first)) if bound is None else np.flatnonzero(bound(ours, theirs))
        for k in maybe.tolist():
            holds[k] = test(ours[k], theirs[k])
        self.take_rows(i, rows[holds[inverse.reshape(-1)]])

    def by_typo(
        self,
        i: int,
        column: str,
        q: Queries,
        y: Columns,
        text: Text,
        test: Callable[[Any, Any], bool],
        near: Array | None = None,
    ) -> None:
        """Level ``i`` for one character off or two adjacent ones swapped, computed on the
        bytes (``_typo_bytes``); values the bytes do not hold go to ``test``. ``near``:
        a condition every such pair meets (only those pairs are tried)."""
        rows = np.flatnonzero(self.open if near is None else self.open & near)
        if not len(rows):
            return
        if column not in y.chars:
            self.by_text(i, column, q, y, text, test, among=rows)
            return
        held, asked = _typo_bytes(column, q, y, rows)
        self.take_rows(i, rows[held])
        if asked.any():
            self.by_text(i, column, q, y, text, test, among=rows[asked])


class _Ceiling:
    """The most one comparison may weigh, per pair: its ladder walked as ``_Ladder`` walks
    it, except that a level whose test is dear (the text itself) is never tried, only
    counted possible wherever it would be (the pair ``unsure`` of its level from there):
    an upper bound from the cheap levels, which are taken exactly, so the pairs they take
    reach no level below, and their ``level`` is the one ``_Ladder`` finds."""

    def __init__(self, values: Sequence[Array | float], count: int) -> None:
        self.values = values  # each level's weight, the else rung last
        self.level = np.full(count, len(values) - 1, dtype=np.int8)  # the else rung
        self.open = np.ones(count, dtype=bool)
        self.unsure = np.zeros(count, dtype=bool)
        # The most the levels not tried may weigh, raised by _NEVER: what is possible is
        # above 0, what is not is 0.
        self._maybe = np.zeros(count)

    def maybe(self, i: int, where: Array) -> None:
        """Level ``i``, not tried, may take the open pairs ``where`` holds."""
        where = self.open & where
        # In arithmetic, not masks (np.where, where=, most[where] = ...): a mask of mixed
        # pairs costs a branch mispredicted every few pairs, ten times the product.
        np.maximum(self._maybe, where * (self.values[i] + _NEVER), out=self._maybe)
        self.unsure |= where

    def take(self, i: int, holds: Array) -> None:
        hit = self.open & holds
        # Each pair is taken once: from the else rung down to ``i``.
        self.level -= hit.view(np.int8) * np.int8(len(self.values) - 1 - i)
        self.open &= ~holds

    def take_among(self, i: int, among: Array, holds: Callable[[Array], Array]) -> None:
        self.maybe(i, among)

    def by_text(
        self,
        i: int,
        column: str,
        q: Queries,
        y: Columns,
        text: Text,
        test: Callable[[Any, Any], bool],
        among: Array | None = None,
        bound: Bound | None = None,
    ) -> None:
        where = self.open
        if among is not None:
            where = np.zeros(len(self.open), dtype=bool)
            where[among] = True
        self.maybe(i, where)

    def by_typo(
        self,
        i: int,
        column: str,
        q: Queries,
        y: Columns,
        text: Text,
        test: Callable[[Any, Any], bool],
        near: Array | None = None,
    ) -> None:
        # The bytes are cheap enough to try: a typo counts for little, the else rung it
        # would leave for much less, and the two are most pairs' difference. Without
        # ``near``, all pairs are tried (most are open: picking those out cost more).
        if column not in y.chars:
            self.maybe(i, self.open if near is None else near)
            return
        if near is None:
            held, asked = _typo_bytes(column, q, y, None)
            self.take(i, held)
            self.maybe(i, asked)
            return
        rows = np.flatnonzero(self.open & near)
        held, asked = _typo_bytes(column, q, y, rows)
        hit = np.zeros(len(self.open), dtype=bool)
        hit[rows[held]] = True
        self.take(i, hit)
        hit[:] = False
        hit[rows[asked]] = True
        self.maybe(i, hit)

    def most(self) -> Array:
        """The bound: the weight of the level each pair reached (the else rung if none
        took it), or of a level not tried that may have taken it, whichever is more."""
        scalars = np.array([v if isinstance(v, float) else 0.0 for v in self.values])
        reached = _gather(scalars, self.level)
        for i, v in enumerate(self.values):
            if not isinstance(v, float):  # a weight per pair (TF)
                reached += (self.level == i) * v
        # _maybe back down by _NEVER: to some 1e-13 (weights are some tens of bits,
        # _NEVER a power of two), well inside _SLACK.
        most: Array = np.maximum(reached, self._maybe - _NEVER)
        return most


def _typo_bytes(column: str, q: Queries, y: Columns, rows: Array | None) -> tuple[Array, Array]:
    """Of these pairs (None: all), those one character off or two adjacent ones swapped,
    by their bytes; and those whose values the bytes do not hold (to be asked with the
    text)."""
    own_chars, own_lengths = q.typo(column, TYPO_WIDTH[column])
    traveller = q.owner if rows is None else q.owner[rows]
    where = y.positions if rows is None else y.positions[rows]
    n = _gather(own_lengths, traveller)
    m = _gather(y.lengths[column], where).astype(np.int64)
    asked = (n == OTHER) | (m == OTHER)
    bytewise = ~asked & (n >= 0) & (m >= 0)
    same = np.flatnonzero(bytewise & (n == m))
    apart = np.flatnonzero(bytewise & (np.abs(n - m) == 1))
    # Most pairs differ in many places: eight bytes at a time (``_words``) rule them out,
    # and only the few left are followed byte by byte.
    ours = _words(own_chars)
    maybe = np.zeros(len(where), dtype=bool)
    if len(same):
        theirs = _words(_gather(y.chars[column], where[same]))
        set_ = _bytes_set(theirs ^ _gather(ours, traveller[same]))
        # One length: at most two bytes differ.
        maybe[same] = ((set_[:, 0] + set_[:, 1]) * _LOW >> _TOP) <= 2
    if len(apart):
        theirs = _words(_gather(y.chars[column], where[apart]))
        yours = _gather(ours, traveller[apart])
        # One character more: each byte of the shorter equals the longer's byte at the
        # same place or the one after (before and after the one left out). ``flip``: all
        # ones where the entry's is the longer (a select without a branch).
        flip = np.zeros(len(apart), dtype=np.uint64) - (m > n)[apart].astype(np.uint64)
        swap = (theirs ^ yours) & flip[:, None]
        short, long_ = theirs ^ swap, yours ^ swap
        after = np.empty_like(long_)  # the longer, one byte on
        after[:, 0] = (long_[:, 0] >> _BYTE) | (long_[:, 1] << _SEVEN_BYTES)
        after[:, 1] = long_[:, 1] >> _BYTE
        clash = _bytes_set(short ^ long_) & _bytes_set(short ^ after)
        maybe[apart] = (clash[:, 0] | clash[:, 1]) == 0
    held = np.zeros(len(where), dtype=bool)
    at = np.flatnonzero(maybe)
    if len(at):
        held[at] = _typo_exact(
            _gather(y.chars[column], where[at]),
            own_chars[traveller[at]],
            m[at],
            n[at],
        )
    return held, asked


#: One bit at the bottom of each byte; a product by it sums the bytes into the top one.
_LOW = np.uint64(0x0101010101010101)
_TOP, _SEVEN_BYTES, _BYTE = np.uint64(56), np.uint64(56), np.uint64(8)
_FOUR, _TWO, _ONE = np.uint64(4), np.uint64(2), np.uint64(1)


def _words(chars: Array) -> Array:
    """Rows of at most 16 bytes as two little-endian uint64 each (zeros past the row)."""
    count, width = chars.shape
    if width > 16:
        raise ValueError(f"{width} bytes: two words hold at most 16")
    if width == 16 and chars.flags.c_contiguous:
        return chars.view("<u8")
    padded = np.zeros((count, 16), dtype=np.uint8)
    padded[:, :width] = chars
    return padded.view("<u8")


def _bytes_set(x: Array) -> Array:
    """The bottom bit of each byte of ``x`` (uint64) set where the byte is not zero."""
    x = x | (x >> _FOUR)
    x |= x >> _TWO
    x |= x >> _ONE
    out: Array = x & _LOW
    return out


def _typo_exact(theirs: Array, ours: Array, m: Array, n: Array) -> Array:
    """Whether each pair of byte rows (lengths ``m`` and ``n``, at most one apart) is one
    character off or two adjacent ones swapped: between strings of one length that is one
    differing byte, or two adjacent ones crossed; one character more or less, the
    shorter's common start and end with the longer cover it."""
    width = theirs.shape[1]
    held = np.zeros(len(m), dtype=bool)
    same = n == m
    if same.any():
        differ = theirs[same] != ours[same]
        count = differ.sum(axis=1)
        first = differ.argmax(axis=1)
        second = np.minimum(first + 1, width - 1)
        k = np.arange(len(first))
        a, b = theirs[same], ours[same]
        crossed = (
            (count == 2)
            & differ[k, second]
            & (a[k, first] == b[k, second])
            & (a[k, second] == b[k, first])
        )
        held[same] = (count <= 1) | crossed
    apart = ~same & (m >= 1)  # as the model's test: '' and one character are a typo
    if apart.any():
        shorter = (m < n)[apart][:, None]
        o, t = ours[apart], theirs[apart]
        short = np.where(shorter, t, o)
        long_ = np.where(shorter, o, t)
        k = np.minimum(n, m)[apart][:, None]
        column_at = np.arange(width)[None, :]
        inside = column_at < k
        head = np.cumprod((short == long_) & inside, axis=1).sum(axis=1)
        # The common end: short[j] == long[j + 1] for j from k - 1 down.
        shifted = np.concatenate([long_[:, 1:], np.zeros_like(long_[:, :1])], axis=1)
        broken = (short != shifted) & inside
        last = np.where(broken.any(axis=1), width - 1 - broken[:, ::-1].argmax(axis=1), -1)
        tail = k[:, 0] - 1 - last
        held[apart] = head + tail >= k[:, 0]
    return held


def _differ(q: Queries, column: str, y: Columns) -> Array:
    # The model's _differ: both present and not equal.
    differ: Array = (q[column] != 0) & (y[column] != 0) & (y[column] != q[column])
    return differ


def _eq(q: Queries, a: str, y: Columns, b: str | None = None) -> Array:
    # The model's _eq: the traveller's value present and equal to the entry's.
    equal: Array = (q[a] != 0) & (y[b or a] == q[a])
    return equal


def _null(q: Queries, column: str, y: Columns) -> Array:
    missing: Array = (q[column] == 0) | (y[column] == 0)
    return missing


def _asking(level: Any, column: str, **same: Any) -> Callable[[Any, Any], bool]:
    """The model's test of ``level`` on one column's values (and ``same`` on both sides)."""
    test = level.test
    return lambda a, b: bool(test({**same, column: a}, {**same, column: b}))


def _given(ladder: _Rungs, q: Queries, y: Columns, text: Text) -> None:
    levels = COMPARISONS[0].levels
    ladder.take(0, _null(q, "given_1", y))
    ladder.take(1, _eq(q, "given_names", y))
    ladder.take(2, _eq(q, "given_1", y))
    ladder.take(3, _eq(q, "given_1_phonetic", y))
    for i in (4, 5, 6):  # similar spelling, a typo, an initial
        test = _asking(levels[i], "given_1")
        ladder.by_text(i, "given_1", q, y, text, test, bound=bound_of(levels[i], "given_1"))
    ladder.take(7, _eq(q, "given_1", y, "surname_1") & _eq(q, "surname_1", y, "given_1"))


def _surnames(ladder: _Rungs, q: Queries, y: Columns, text: Text) -> None:
    levels = COMPARISONS[1].levels
    ladder.take(0, _null(q, "surname_1_core", y))
    first = _eq(q, "surname_1_core", y)
    ladder.take(1, first & _eq(q, "surname_2_core", y))
    ladder.take(2, first & _null(q, "surname_2_core", y))
    sounds = _eq(q, "surname_1_phonetic", y)
    ladder.take(3, sounds & _eq(q, "surname_2_phonetic", y))
    # The first surname sounds alike (on both sides, so the model's test sees it equal):
    # is the second, where both have one, close?
    both = (q["surname_2_core"] != 0) & (y["surname_2_core"] != 0)
    close = _asking(levels[4], "surname_2_core", surname_1_phonetic="")
    rows = np.flatnonzero(ladder.open & sounds & both)
    bound = bound_of(levels[4], "surname_2_core")
    ladder.by_text(4, "surname_2_core", q, y, text, close, among=rows, bound=bound)
    ladder.take(5, sounds & _differ(q, "surname_2_core", y))
    ladder.take(6, sounds)
    crossed = _eq(q, "surname_1_core", y, "surname_2_core") | _eq(
        q, "surname_2_core", y, "surname_1_core"
    )
    ladder.take(7, crossed)
    ladder.take(8, _eq(q, "given_1", y, "surname_1") & _eq(q, "surname_1", y, "given_1"))
    spelled = _asking(levels[9], "surname_1_core")
    bound = bound_of(levels[9], "surname_1_core")
    ladder.by_text(9, "surname_1_core", q, y, text, spelled, bound=bound)


_TWIN_COLUMNS = ("given_1", "given_names", "given_1_phonetic")


def _birth(ladder: _Rungs, q: Queries, y: Columns, text: Text) -> None:
    levels = COMPARISONS[2].levels
    ladder.take(0, _null(q, "birth_date", y))
    same_date = _eq(q, "birth_date", y)

    # Twins: the same date and surname, given names with nothing in common. The few pairs
    # that share the date and the surname but not the name's sound are asked with the
    # model's own test.
    def twins(rows: Array) -> Array:
        out = np.zeros(len(rows), dtype=bool)
        asked = np.flatnonzero(
            (_eq(q, "surname_1_core", y) & (y["given_1_phonetic"] != q["given_1_phonetic"]))[rows]
        )
        if not len(asked):
            return out
        at = rows[asked]
        test = levels[1].test
        theirs = zip(*(text(c, at) for c in _TWIN_COLUMNS), strict=True)
        travellers = q.owner[at].tolist()
        out[asked] = np.fromiter(
            (
                test(q.queries[t], {**q.queries[t], **dict(zip(_TWIN_COLUMNS, v, strict=True))})
                for t, v in zip(travellers, theirs, strict=True)
            ),
            dtype=bool,
            count=len(at),
        )
        return out

    ladder.take_among(1, same_date, twins)
    ladder.take(2, same_date)
    swapped = q["birth_swapped"]
    ladder.take(3, (swapped != 0) & (y["birth_date"] == swapped))
    year = q["birth_year"]
    dated = year != 0
    same_md = y["birth_md"] == q["birth_md"]
    ladder.take(4, dated & same_md & (np.abs(y["birth_year"] - year) == 1))
    # features cuts the year from characters 0-3 of a date, the day and month from 5 on
    # (``_check_birth_parts``). One character off or two swapped leaves 0-3 or 5 on as
    # they were; one character more or less, 0-3, or else puts the traveller's from 4
    # on (the entry's one longer) or from 6 on (one shorter) where the entry's day and
    # month are. Only the pairs where one of these holds are tried.
    near = (
        same_md
        | (y["birth_year"] == year)
        | (y["birth_md"] == q.cut("birth_date", 4))
        | (y["birth_md"] == q.cut("birth_date", 6))
    )
    test = _asking(levels[5], "birth_date")
    ladder.by_typo(5, "birth_date", q, y, text, test, near=near)
    same_year = dated & (y["birth_year"] == year)
    # A conventional date on either side, asked only of the few pairs of the same year.
    at = np.flatnonzero(same_year)
    if len(at):
        conventional = np.zeros(len(same_year), dtype=bool)
        conventional[at] = (
            np.isin(y["birth_md"][at], _IMPUTED_CODES)
            | np.isin(q.own("birth_md"), _IMPUTED_CODES)[q.owner[at]]
        )
        ladder.take(6, conventional)
        ladder.take(7, same_year)


def _document(ladder: _Rungs, q: Queries, y: Columns, text: Text) -> None:
    levels = COMPARISONS[3].levels
    ladder.take(0, _null(q, "doc_key", y))
    ladder.take(1, _eq(q, "doc_key", y))
    ladder.by_typo(2, "doc_key", q, y, text, _asking(levels[2], "doc_key"))
    ladder.take(3, _null(q, "doc_type", y) | (y["doc_type"] != q["doc_type"]))


def _sex(ladder: _Rungs, q: Queries, y: Columns, text: Text) -> None:
    ladder.take(0, _null(q, "sex", y))
    ladder.take(1, _eq(q, "sex", y))


def _nationality(ladder: _Rungs, q: Queries, y: Columns, text: Text) -> None:
    ladder.take(0, _null(q, "nationality", y))
    ladder.take(1, _eq(q, "nationality", y))


Rung = Callable[[_Rungs, Queries, Columns, Text], None]
#: Each comparison's ladder, in model order.
_RUNGS: tuple[Rung, ...] = (_given, _surnames, _birth, _document, _sex, _nationality)
_BY_NAME = {c.name: k for k, c in enumerate(COMPARISONS)}
#: The comparisons a pair's bound is tightened with, stage by stage (the pairs below the
#: floor dropped after each): the date, the document and the nationality first, which
#: together part most namesakes for a few columns (a third of the pairs are left; no two
#: of them part many), then the given names (a few in a hundred left), then the surnames
#: and the sex, which parts few.
_STAGES: tuple[tuple[int, ...], ...] = tuple(
    tuple(_BY_NAME[name] for name in stage)
    for stage in (("birth", "document", "nationality"), ("given",), ("surnames", "sex"))
)
if sorted(c for stage in _STAGES for c in stage) != list(range(len(COMPARISONS))):
    raise RuntimeError("screening/ladders.py: cada comparación va en una etapa, una vez")
