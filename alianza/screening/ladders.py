"""The model's ladders walked for many (traveller, entry) pairs at once, in NumPy.

``identity/model.py`` writes each level twice (SQL for batch linkage, a Python test per
pair); a traveller against a million-person list meets a few hundred entries, and walking
the Python tests pair by pair cost 3 ms a traveller (issue 11: 5,000 travellers a second
were wanted). Here every equality level is one comparison of columns of codes (the hash
of each value, 0 for a missing one) over all the pairs of a batch of travellers at once
(one traveller at a time, NumPy's fixed cost per call was most of the time); the levels
that need the text itself (similar spelling, one character off, an initial) call the
model's own test once per distinct (traveller's value, entry's value), and only where a
bound on the letters the two share says the test can hold. Weights are added in the
order ``Scorer.score`` adds them, so the totals are the same floats.

``LADDERS`` names the SQL of every level it stands in for; ``check_ladders`` (run at
import) refuses a model whose ladders changed, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from alianza.identity.model import COMPARISONS, IMPUTED_DAYS
from alianza.screening.bounds import Bound, bound_of
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
            taken = self._taken[name] = self._codes[name][self.positions]
        return taken


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
            taken = self._taken[name] = self.own(name)[self.owner]
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

    def value(self, name: str, rows: Array) -> list[Any]:
        """The travellers' values of ``name`` at these pairs."""
        return [self.queries[t][name] for t in self.owner[rows].tolist()]


Text = Callable[[str, Array], Sequence[Any]]


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
    count = len(owner)
    q = Queries(queries, owner)
    start = scorer.prior_weight if prior is None else math.log2(prior / (1.0 - prior))
    total = np.full(count, start, dtype=np.float64)
    levels = np.empty((len(COMPARISONS), count), dtype=np.int8)
    rungs = (_given, _surnames, _birth, _document, _sex, _nationality)
    for c, (comparison, rung) in enumerate(zip(COMPARISONS, rungs, strict=True)):
        level = rung(q, y, count, text)
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
    ) -> None:
        """Level ``i`` for one character off or two adjacent ones swapped: between strings
        of one length that is one differing byte, or two adjacent ones crossed; one
        character more or less, the shorter's common start and end with the longer cover
        it (all computed here). Values not held as bytes go to ``test``."""
        rows = np.flatnonzero(self.open)
        if not len(rows):
            return
        if column not in y.chars:
            self.by_text(i, column, q, y, text, test)
            return
        width = TYPO_WIDTH[column]
        own_chars, own_lengths = q.typo(column, width)
        traveller = q.owner[rows]
        n = own_lengths[traveller]
        where = y.positions[rows]
        m = y.lengths[column][where]
        asked = (n == OTHER) | (m == OTHER)
        bytewise = ~asked & (n >= 0) & (m >= 0) & (np.abs(n - m) <= 1)
        if bytewise.any():
            at = np.flatnonzero(bytewise)
            ours = own_chars[traveller[at]]
            theirs = y.chars[column][where[at]]
            n_, m_ = n[at], m[at]
            held = np.zeros(len(at), dtype=bool)
            same = n_ == m_
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
            apart = ~same & (m_ >= 1)  # as the model's test: '' and one character are a typo
            if apart.any():
                shorter = (m_ < n_)[apart][:, None]
                o, t = ours[apart], theirs[apart]
                short = np.where(shorter, t, o)
                long_ = np.where(shorter, o, t)
                k = np.minimum(n_, m_)[apart][:, None]
                column_at = np.arange(width)[None, :]
                inside = column_at < k
                head = np.cumprod((short == long_) & inside, axis=1).sum(axis=1)
                # The common end: short[j] == long[j + 1] for j from k - 1 down.
                shifted = np.concatenate([long_[:, 1:], np.zeros_like(long_[:, :1])], axis=1)
                broken = (short != shifted) & inside
                last = np.where(broken.any(axis=1), width - 1 - broken[:, ::-1].argmax(axis=1), -1)
                tail = k[:, 0] - 1 - last
                held[apart] = head + tail >= k[:, 0]
            self.take_rows(i, rows[at[held]])
        if asked.any():
            self.by_text(i, column, q, y, text, test, among=rows[asked])


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


def _given(q: Queries, y: Columns, n: int, text: Text) -> Array:
    levels = COMPARISONS[0].levels
    ladder = _Ladder(n, len(levels))
    ladder.take(0, _null(q, "given_1", y))
    ladder.take(1, _eq(q, "given_names", y))
    ladder.take(2, _eq(q, "given_1", y))
    ladder.take(3, _eq(q, "given_1_phonetic", y))
    for i in (4, 5, 6):  # similar spelling, a typo, an initial
        test = _asking(levels[i], "given_1")
        ladder.by_text(i, "given_1", q, y, text, test, bound=bound_of(levels[i], "given_1"))
    ladder.take(7, _eq(q, "given_1", y, "surname_1") & _eq(q, "surname_1", y, "given_1"))
    return ladder.level


def _surnames(q: Queries, y: Columns, n: int, text: Text) -> Array:
    levels = COMPARISONS[1].levels
    ladder = _Ladder(n, len(levels))
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
    return ladder.level


_TWIN_COLUMNS = ("given_1", "given_names", "given_1_phonetic")


def _birth(q: Queries, y: Columns, n: int, text: Text) -> Array:
    levels = COMPARISONS[2].levels
    ladder = _Ladder(n, len(levels))
    ladder.take(0, _null(q, "birth_date", y))
    same_date = _eq(q, "birth_date", y)
    # Twins: the same date and surname, given names with nothing in common. The few pairs
    # that share the date and the surname but not the name's sound are asked with the
    # model's own test.
    rows = np.flatnonzero(
        ladder.open
        & same_date
        & _eq(q, "surname_1_core", y)
        & (y["given_1_phonetic"] != q["given_1_phonetic"])
    )
    if len(rows):
        twins = levels[1].test
        theirs = zip(*(text(c, rows) for c in _TWIN_COLUMNS), strict=True)
        travellers = q.owner[rows].tolist()
        holds = np.fromiter(
            (
                twins(q.queries[t], {**q.queries[t], **dict(zip(_TWIN_COLUMNS, v, strict=True))})
                for t, v in zip(travellers, theirs, strict=True)
            ),
            dtype=bool,
            count=len(rows),
        )
        ladder.take_rows(1, rows[holds])
    ladder.take(2, same_date)
    swapped = q["birth_swapped"]
    ladder.take(3, (swapped != 0) & (y["birth_date"] == swapped))
    year = q["birth_year"]
    dated = year != 0
    ladder.take(4, dated & (y["birth_md"] == q["birth_md"]) & (np.abs(y["birth_year"] - year) == 1))
    ladder.by_typo(5, "birth_date", q, y, text, _asking(levels[5], "birth_date"))
    same_year = dated & (y["birth_year"] == year)
    conventional = (y["birth_md"] == _IMPUTED_CODES[:, None]).any(axis=0)
    theirs_conventional = np.isin(q.own("birth_md"), _IMPUTED_CODES)[q.owner]
    ladder.take(6, same_year & (conventional | theirs_conventional))
    ladder.take(7, same_year)
    return ladder.level


def _document(q: Queries, y: Columns, n: int, text: Text) -> Array:
    levels = COMPARISONS[3].levels
    ladder = _Ladder(n, len(levels))
    ladder.take(0, _null(q, "doc_key", y))
    ladder.take(1, _eq(q, "doc_key", y))
    ladder.by_typo(2, "doc_key", q, y, text, _asking(levels[2], "doc_key"))
    ladder.take(3, _null(q, "doc_type", y) | (y["doc_type"] != q["doc_type"]))
    return ladder.level


def _sex(q: Queries, y: Columns, n: int, text: Text) -> Array:
    ladder = _Ladder(n, 2)
    ladder.take(0, _null(q, "sex", y))
    ladder.take(1, _eq(q, "sex", y))
    return ladder.level


def _nationality(q: Queries, y: Columns, n: int, text: Text) -> Array:
    ladder = _Ladder(n, 2)
    ladder.take(0, _null(q, "nationality", y))
    ladder.take(1, _eq(q, "nationality", y))
    return ladder.level
