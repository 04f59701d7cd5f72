"""The pruned walk (``ladders.walk_above``) keeps exactly what the full walk would keep.

Every pair at or above the floor must come back with the weight and the levels the full
walk (``ladders.walk_many``) gives it, to the last bit, and every pair left out must
weigh less than the floor. Hypothesis draws watch lists full of namesakes (a few names
for many people), dates and documents a little off (a digit swapped, one more, one
less, day and month crossed), missing fields and several entries per person, and weighs
every traveller against every entry under term frequencies and without, at several
floors and priors; the full walk is held in turn to the model's own pair scorer. The
screener, given the same list, answers the same with pruning and without it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import jellyfish
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alianza.identity.contract import HEADER
from alianza.identity.defaults import default_model
from alianza.identity.features import FEATURE_COLUMNS, features
from alianza.identity.model import COMPARISONS
from alianza.node.context import Node
from alianza.screening import ladders, service
from alianza.screening.index import TF_COLUMNS
from alianza.screening.scorer import Scorer
from alianza.screening.service import Screener, explain_text, visible_to
from tests.screening.test_store import _variants

SCORER = Scorer(default_model())
Row = dict[str, str]
Array = np.ndarray[Any, Any]

# Few values, so that most people share their names (namesakes) and most pairs are near
# one another; every pool has its empty value (a missing field).
GIVEN = ["José Luis", "JOSE", "José", "JOSUE", "Luis", "María José", "MARIA", "MARIO", "J"]
SURNAMES = ["González", "Gonzales", "Gonsalez", "Pérez", "Quispe", "Quishpe", "de la Cruz", ""]
# A date and the ways a registry writes it off: day and month crossed, a year off, a
# conventional day, one digit changed or two swapped, one character more or less (in the
# year too: the day and month then stand one place off), wholly another.
DATES = [
    "1985-07-04", "1985-04-07", "1986-07-04", "1985-01-01", "1985-07-14", "1958-07-04",
    "1985-07-40", "19850-07-04", "1985-7-04", "11985-07-04", "19085-07-04", "1985-07-044",
    "1979-02-11", "",
]  # fmt: skip
NUMBERS = [
    "V-12345678", "V-12345687", "V-1234567", "V-123456789", "12345678", "X1234567",
    "87654321", "1234567890123456789", "",
]  # fmt: skip
TYPES = ["CI_VE", "PASSPORT", "DNI_PE", "OTHER", ""]

ROWS = st.builds(
    lambda given_names, surname_1, surname_2, birth, sex, nationality, kind, number: {
        **dict.fromkeys(HEADER, ""),
        "record_id": "r",
        "given_names": given_names,
        "surname_1": surname_1,
        "surname_2": surname_2,
        "birth_date": birth,
        "sex": sex,
        "nationality": nationality,
        "document_type": kind if number else "",
        "document_number": number,
    },
    st.sampled_from(GIVEN),
    st.sampled_from(SURNAMES),
    st.sampled_from(SURNAMES),
    st.sampled_from(DATES),
    st.sampled_from(["M", "F", ""]),
    st.sampled_from(["VE", "CL", "PE", ""]),
    st.sampled_from(TYPES),
    st.sampled_from(NUMBERS),
)
CHECKS = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class Listed:
    """A watch list in columns, as ``WatchIndex`` holds it, built from entries' features."""

    def __init__(self, entries: list[dict[str, Any]]) -> None:
        self.entries = entries
        self.codes: dict[str, Array] = {}
        for column in FEATURE_COLUMNS:
            values = [e[column] for e in entries]
            if column in ladders.NUMERIC:
                self.codes[column] = np.array([v or 0 for v in values], dtype=np.int64)
            else:
                self.codes[column] = ladders.codes(values)
        self.chars: dict[str, Array] = {}
        self.lengths: dict[str, Array] = {}
        for column, width in ladders.TYPO_WIDTH.items():
            held = [ladders.as_bytes(e[column], width) for e in entries]
            joined = np.frombuffer(b"".join(b for b, _ in held), dtype=np.uint8)
            self.chars[column] = joined.reshape(len(entries), width)
            self.lengths[column] = np.array([k for _, k in held], dtype=np.int16)
        self.counts = {c: Counter(e[c] for e in entries if e[c]) for c in TF_COLUMNS}

    share = 1.0  # below 1: names as rare as on a list 1/share times longer

    def frequency(self, column: str, value: str) -> float:
        return self.counts[column][value] / len(self.entries) * self.share

    def columns(self, positions: Array) -> ladders.Columns:
        return ladders.Columns(self.codes, positions, self.chars, self.lengths)

    def text(self, positions: Array) -> Callable[[str, Array], Sequence[Any]]:
        return lambda column, rows: [self.entries[p][column] for p in positions[rows].tolist()]


def _weigh_both(
    travellers: list[Row],
    entries: list[Row],
    *,
    term_frequencies: bool,
    prior: float | None,
    floor: float,
    share: float = 1.0,
) -> tuple[int, int, int]:
    """Every traveller against every entry, pruned and in full: the pruned walk's pairs
    must hold every pair at or above ``floor`` as the full walk weighs it (the number of
    pairs, of those walked in full, of those at or above ``floor``)."""
    queries = [features(row) for row in travellers]
    listed_ = Listed([features(row) for row in entries])
    listed_.share = share
    owner = np.repeat(np.arange(len(queries)), len(entries))
    positions = np.tile(np.arange(len(entries)), len(queries))
    frequency = listed_.frequency if term_frequencies else None
    least = float(np.log2(floor / (1.0 - floor)))
    full_weights, full_levels = ladders.walk_many(
        SCORER,
        queries,
        owner,
        listed_.columns(positions),
        text=listed_.text(positions),
        frequency=frequency,
        prior=prior,
    )
    rows, weights, levels = ladders.walk_above(
        SCORER,
        queries,
        owner,
        listed_.columns(positions),
        text=listed_.text(positions),
        frequency=frequency,
        prior=prior,
        floor=least,
    )
    assert (np.diff(rows) > 0).all()  # in order, each once
    # Nothing at or above the floor is left out, and what is kept is weighed as in full.
    kept = np.flatnonzero(full_weights >= least)
    assert np.isin(kept, rows).all()
    assert weights.tolist() == full_weights[rows].tolist()
    assert (levels == full_levels[:, rows]).all()
    # The full walk is the model's own pair scorer, pair by pair.
    for k, (t, e) in enumerate(zip(owner.tolist(), positions.tolist(), strict=True)):
        weight, reached = SCORER.score(
            queries[t], listed_.entries[e], frequency=frequency, prior=prior
        )
        assert full_levels[:, k].tolist() == reached, (travellers[t], entries[e])
        assert full_weights[k] == weight
    return len(owner), len(rows), len(kept)


@CHECKS
@given(
    entries=st.lists(ROWS, min_size=1, max_size=40),
    travellers=st.lists(ROWS, min_size=1, max_size=6),
    term_frequencies=st.booleans(),
    prior=st.sampled_from([None, 1e-6, 1e-4, 1e-2]),
    floor=st.sampled_from([0.001, 0.01, 0.5, 0.99]),
    # On a short list every name is common, and agreeing on it counts for less; on a long
    # one a rare name counts for more than the level's weight: both must be bounded.
    share=st.sampled_from([1.0, 1e-3, 1e-6]),
)
def test_pruning_keeps_every_pair_the_full_walk_keeps_as_it_weighs_it(
    entries: list[Row],
    travellers: list[Row],
    term_frequencies: bool,
    prior: float | None,
    floor: float,
    share: float,
) -> None:
    _weigh_both(
        travellers,
        entries,
        term_frequencies=term_frequencies,
        prior=prior,
        floor=floor,
        share=share,
    )


def _row(given_names: str, birth: str, number: str, **more: str) -> Row:
    return {
        **dict.fromkeys(HEADER, ""),
        "record_id": "r",
        "given_names": given_names,
        "surname_1": "González",
        "surname_2": "Pérez",
        "birth_date": birth,
        "sex": "M",
        "nationality": "VE",
        "document_type": "CI_VE" if number else "",
        "document_number": number,
        **more,
    }


@pytest.mark.parametrize("term_frequencies", [False, True])
def test_namesakes_are_left_out_before_they_are_weighed_in_full(term_frequencies: bool) -> None:
    # One José Luis González Pérez wanted, a hundred namesakes born other days with other
    # documents, and the wanted man's own entries a little off: the namesakes go, he stays.
    wanted = _row("José Luis", "1985-07-04", "V-12345678")
    entries = [
        _row("José Luis", f"19{50 + k % 40}-{1 + k % 12:02d}-{1 + k % 27:02d}", f"V-{k:08d}")
        for k in range(100)
    ]
    entries += [
        wanted,
        _row("José Luis", "1985-04-07", "V-12345687"),  # day and month, two digits swapped
        _row("Jose", "19850-07-04", ""),  # a digit more, no document
        _row("José Luis", "1985-07-04", "V-12345678", nationality="", sex=""),
    ]
    count, walked, kept = _weigh_both(
        [wanted, _row("Jose Luis", "1985-7-04", "V-1234567")],
        entries,
        term_frequencies=term_frequencies,
        prior=1e-6,  # a long list's
        floor=0.01,
    )
    assert 4 <= kept <= walked < count / 10


# The model's typo level of each column the bytes hold (the ladders' names, their rungs).
TYPO_LEVELS = {"birth_date": ("birth", 5), "doc_key": ("document", 2)}
# Short alphabets, so that values are often one character apart; some too long for the
# bytes, some not ASCII (both asked as text). Values are never empty (features: None).
TYPO_TEXT = st.text("0123456789-AÑ", min_size=1, max_size=18)


@pytest.mark.parametrize("floor", [0.01, 0.5])
def test_a_rare_name_counts_in_the_bound_as_in_the_weight(floor: float) -> None:
    # On a long list a name held by one person adds bits (term frequencies) beyond its
    # level's weight: a namesake born another day may still reach the floor by it alone.
    traveller = _row("José", "1985-07-04", "V-12345678")
    entries = [_row("José Luis", "1970-01-02", "V-87654321"), _row("Mario", "1970-01-02", "")]
    _, _, kept = _weigh_both(
        [traveller], entries, term_frequencies=True, prior=1e-6, floor=floor, share=1e-6
    )
    assert kept == 1


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(
    pairs=st.lists(
        st.tuples(TYPO_TEXT, TYPO_TEXT | st.sampled_from(["12345678", "1234-56-78"])),
        min_size=1,
        max_size=30,
    ),
    column=st.sampled_from(sorted(TYPO_LEVELS)),
)
def test_typos_by_their_bytes_are_the_models_typos(
    pairs: list[tuple[str, str]], column: str
) -> None:
    # Eight bytes at a time rule most pairs out, the rest are followed byte by byte, and
    # values longer than the bytes hold go to the model's test: as the model, every time.
    ours, theirs = [a for a, _ in pairs], [b for _, b in pairs]
    width = ladders.TYPO_WIDTH[column]
    listed_ = Listed.__new__(Listed)
    held = [ladders.as_bytes(v, width) for v in theirs]
    joined = np.frombuffer(b"".join(b for b, _ in held), dtype=np.uint8)
    listed_.codes = {column: ladders.codes(theirs)}
    listed_.chars = {column: joined.reshape(len(theirs), width)}
    listed_.lengths = {column: np.array([k for _, k in held], dtype=np.int16)}
    listed_.entries = [{column: v} for v in theirs]
    positions = np.arange(len(pairs))
    q = ladders.Queries([{column: v} for v in ours], positions)
    name, rung = TYPO_LEVELS[column]
    level = next(c for c in COMPARISONS if c.name == name).levels[rung]
    ladder = ladders._Ladder(len(pairs), 1)
    test = ladders._asking(level, column)
    ladder.by_typo(0, column, q, listed_.columns(positions), listed_.text(positions), test)
    expected = [jellyfish.damerau_levenshtein_distance(a, b) <= 1 for a, b in pairs]
    assert (ladder.level == 0).tolist() == expected


@pytest.mark.parametrize("term_frequencies", [False, True])
def test_the_screener_answers_the_same_with_pruning_and_without(
    node: Node,
    listed: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    term_frequencies: bool,
) -> None:
    if term_frequencies:
        monkeypatch.setattr(service, "TF_MIN_ENTRIES", 10)
    pruned, full = Screener(node), Screener(node)
    full.prune = False
    pruned.refresh()
    full.refresh()
    travellers = [*listed["travellers"], *_variants(listed["travellers"][:40])]
    shown = 0
    for officer in listed["officers"]:
        allowed = visible_to(officer)
        for floor in (0.01, 0.5):
            ours = pruned.rank_many(travellers, allowed=allowed, min_probability=floor)
            theirs = full.rank_many(travellers, allowed=allowed, min_probability=floor)
            assert [_said(found) for found in ours] == [_said(found) for found in theirs]
            shown += sum(map(len, ours))
        for traveller in travellers[:25]:  # one traveller: the online path
            alone = pruned.rank(traveller, allowed=allowed)
            assert _said(alone) == _said(full.rank(traveller, allowed=allowed))
    assert shown > 100


def _said(found: list[tuple[service.Candidate, Any]]) -> list[tuple[Any, ...]]:
    """What the screener shows of each candidate: record, weight, levels, explanations."""
    return [
        (
            entry.record_id,
            candidate.weight,
            candidate.probability,
            candidate.evidence,
            explain_text(candidate.evidence, english=False),
            explain_text(candidate.evidence, english=True),
            candidate.as_dict(),
        )
        for candidate, entry in found
    ]
