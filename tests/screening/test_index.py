"""The watch list's column builders against the one-value functions they stand for
(``ladders.as_bytes``, ``ladders.code``): a load builds a million entries with the
former, a traveller is coded with the latter, and the two must agree value by value."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from alianza.screening.index import codes_of, sorted_unique, typo_columns
from alianza.screening.ladders import as_bytes, code

VALUES = st.lists(st.none() | st.just("") | st.text(max_size=20), max_size=40)


@settings(max_examples=200, deadline=None)
@given(values=VALUES, width=st.sampled_from([10, 16]))
def test_typo_columns_are_as_bytes_of_each_value(values: list[str | None], width: int) -> None:
    chars, lengths = typo_columns(values, width)
    one = [as_bytes(v, width) for v in values]
    assert chars == b"".join(b for b, _ in one)
    assert lengths.tolist() == [k for _, k in one]


@settings(max_examples=200, deadline=None)
@given(values=VALUES)
def test_codes_of_are_the_code_of_each_value(values: list[str | None]) -> None:
    coded, there = codes_of(values)
    assert coded.tolist() == [code(v) for v in values]
    assert there.tolist() == [bool(v) for v in values]
    assert coded.dtype == np.int64


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=-(2**62), max_value=2**62), max_size=300))
def test_sorted_unique_is_numpys_unique(values: list[int]) -> None:
    """The lookups' dedupe (a sort and a neighbour test) gives ``np.unique``'s answer."""
    array = np.array(values, dtype=np.int64)
    found = sorted_unique(array)
    assert found.dtype == np.int64
    assert np.array_equal(found, np.unique(array))
