"""Property-based: ``link`` and ``dedupe`` never raise on registries that keep the contract.

Hypothesis draws registries of 1 to 60 rows (so every run uses the shipped model, as a
border post's small file would): fields empty, every field empty but one, duplicated rows,
all rows identical, one side empty, names in other scripts and up to the contract's 200
characters. Each output is checked for shape: only known ids, probabilities in
[threshold, 1], no pair twice, every record given a person.

Examples are few and derandomised (CI has two cores; each example is a whole linkage of
about a second): the point is breadth of shapes, not volume.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alianza.identity.contract import HEADER, MAX_FIELD, check_row
from alianza.identity.documents import DOCUMENT_TYPES
from alianza.identity.linker import dedupe, link

Row = dict[str, str]
THRESHOLD = 0.5
CHECKS = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

NAMES = [
    "José Luis", "MARÍA DE LOS ÁNGELES", "Quishpe", "de la Cruz", "O'Higgins", "Muñoz-Pérez",
    "Y", "Ñ", "J.", "Ortega y Gasset", "San Martín", "NXX", "DELGADO", "van der Berg",
    "Иван", "Петрова", "王伟", "محمد", "Αλέξανδρος", "Nguyễn", "Łukasz", "Øster", "ß",
    "José\u0301", "🙂", "-", "...", "A" * MAX_FIELD, ("de la " * 40)[:MAX_FIELD],
]  # fmt: skip
name = st.one_of(
    st.sampled_from(NAMES),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40).map(
        str.strip
    ),
)
birth = st.dates(dt.date(1900, 1, 1), dt.date(2025, 12, 31)).map(dt.date.isoformat)
nationality = st.sampled_from(["CL", "EC", "PE", "CO", "VE", "AR", "US", "CN", "RU"])
document = st.one_of(
    st.tuples(
        st.sampled_from(sorted(DOCUMENT_TYPES)),
        st.from_regex(r"[VE]?[0-9]{1,12}", fullmatch=True),
    ),
    st.sampled_from(
        [("RUT_CL", "12345678-5"), ("CI_EC", "1710034065"), ("PASSPORT", "AB1234567"),
         ("CI_VE", "V12345678"), ("", "123456789"), ("OTHER", "X-1")]
    ),
)  # fmt: skip


@st.composite
def row(draw: st.DrawFn, *, only: str | None = None) -> Row:
    """One contract row; with ``only``, that field alone is filled."""
    values = {
        "given_names": draw(name),
        "surname_1": draw(name),
        "surname_2": draw(name),
        "birth_date": draw(birth),
        "sex": draw(st.sampled_from("MF")),
        "nationality": draw(nationality),
    }
    values["document_type"], values["document_number"] = draw(document)
    for field in values:
        if (
            only is not None
            and field != only
            and not (only == "document_number" and field == "document_type")
        ):
            values[field] = ""
        elif only is None and draw(st.booleans()) and draw(st.booleans()):
            values[field] = ""  # a quarter of the fields empty
    if not values["document_number"]:
        values["document_type"] = ""
    return {"record_id": "", **values}


@st.composite
def registry(draw: st.DrawFn, *, prefix: str, min_size: int = 1) -> list[Row]:
    """1 to 60 rows in one of several shapes, ids unique."""
    shape = draw(st.sampled_from(["mixed", "identical", "duplicates", "one_field"]))
    size = draw(st.integers(min_size, 60))
    if shape == "identical":
        rows = [draw(row())] * size
    elif shape == "duplicates":
        pool = draw(st.lists(row(), min_size=1, max_size=5))
        rows = [draw(st.sampled_from(pool)) for _ in range(size)]
    elif shape == "one_field":
        only = draw(st.sampled_from(HEADER[1:]))
        rows = draw(st.lists(row(only=only), min_size=size, max_size=size))
    else:
        rows = draw(st.lists(row(), min_size=size, max_size=size))
    out = [{**r, "record_id": f"{prefix}{i}"} for i, r in enumerate(rows)]
    for i, r in enumerate(out):
        assert check_row(r, seen=set(), row=i + 2) is None, (r, check_row(r, seen=set(), row=i))
    return out


def well_formed_pairs(pairs: pd.DataFrame, left: list[Row], right: list[Row]) -> None:
    assert list(pairs.columns) == ["left_id", "right_id", "probability"]
    assert set(pairs["left_id"]) <= {r["record_id"] for r in left}
    assert set(pairs["right_id"]) <= {r["record_id"] for r in right}
    assert not pairs.duplicated(["left_id", "right_id"]).any()
    assert all(THRESHOLD <= p <= 1.0 for p in pairs["probability"])
    assert list(pairs["probability"]) == sorted(pairs["probability"], reverse=True)


@CHECKS
@given(left=registry(prefix="L"), right=registry(prefix="R"), one_to_one=st.booleans())
def test_link_never_raises(left: list[Row], right: list[Row], one_to_one: bool) -> None:
    pairs = link(left, right, threshold=THRESHOLD, one_to_one=one_to_one)
    well_formed_pairs(pairs, left, right)
    if one_to_one:
        assert not pairs["left_id"].duplicated().any()
        assert not pairs["right_id"].duplicated().any()


@settings(CHECKS, max_examples=4)
@given(rows=registry(prefix="L"), empty_left=st.booleans())
def test_link_with_one_side_empty_is_no_pairs(rows: list[Row], empty_left: bool) -> None:
    left, right = ([], rows) if empty_left else (rows, [])
    pairs = link(left, right, threshold=THRESHOLD)
    assert pairs.empty
    assert list(pairs.columns) == ["left_id", "right_id", "probability"]


@CHECKS
@given(rows=registry(prefix="D"))
def test_dedupe_never_raises(rows: list[Row]) -> None:
    persons = dedupe(rows, threshold=THRESHOLD)
    assert set(persons) == {r["record_id"] for r in rows}
    assert all(isinstance(p, str) and p for p in persons.values())
