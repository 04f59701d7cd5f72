"""From a contract row to the comparison columns: dates, document keys, missing parts, dtypes."""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest

from alianza.identity.contract import HEADER, read_registry
from alianza.identity.features import FEATURE_COLUMNS, feature_frame, features
from alianza.identity.names import KEY_COLUMNS
from alianza.identity.synthetic import ECUADOR, corrupt, dedupe_set, population

Row = dict[str, str]
BASE: Row = {
    "record_id": "R-1",
    "given_names": "María José",
    "surname_1": "de la Fuente",
    "surname_2": "Núñez",
    "birth_date": "1990-03-07",
    "sex": "F",
    "nationality": "CL",
    "document_type": "RUT_CL",
    "document_number": "12.345.678-5",
}
EMPTY: Row = {h: "" for h in HEADER} | {"record_id": "R-0"}
COLUMNS = ("unique_id", *FEATURE_COLUMNS)


def feat(**changes: str) -> dict[str, object]:
    return features({**BASE, **changes})


def test_columns_are_the_declared_ones_in_order() -> None:
    assert tuple(feat()) == COLUMNS
    assert FEATURE_COLUMNS[: len(KEY_COLUMNS)] == KEY_COLUMNS
    assert len(set(COLUMNS)) == len(COLUMNS)


def test_a_full_row() -> None:
    out = feat()
    assert out["unique_id"] == "R-1"
    assert (out["given_1"], out["surname_1"], out["surname_1_core"]) == (
        "MARIA",
        "DE LA FUENTE",
        "FUENTE",
    )
    assert out["surname_2"] == "NUNEZ"
    assert (out["sex"], out["nationality"]) == ("F", "CL")


@pytest.mark.parametrize(
    ("birth", "year", "md", "swapped"),
    [
        ("1990-03-07", 1990, "03-07", "1990-07-03"),
        ("1990-12-01", 1990, "12-01", "1990-01-12"),
        ("1990-03-13", 1990, "03-13", None),  # day 13 is no month
        ("1990-05-05", 1990, "05-05", None),  # swapping changes nothing
        ("2000-02-29", 2000, "02-29", None),
        ("1985-11-30", 1985, "11-30", None),
    ],
)
def test_birth_columns(birth: str, year: int, md: str, swapped: str | None) -> None:
    out = feat(birth_date=birth)
    assert out["birth_date"] == birth
    assert (out["birth_year"], out["birth_md"], out["birth_swapped"]) == (year, md, swapped)


def test_day_month_swap_meets_its_counterpart() -> None:
    # A registry that swapped day and month writes what the other side's birth_swapped holds.
    right = feat(birth_date="1990-07-03")
    assert feat()["birth_swapped"] == right["birth_date"]
    assert right["birth_swapped"] == feat()["birth_date"]


def test_year_off_by_one_keeps_month_and_day() -> None:
    assert feat(birth_date="1991-03-07")["birth_md"] == feat()["birth_md"]
    assert feat(birth_date="1991-03-07")["birth_year"] == 1991


@pytest.mark.parametrize(
    ("kind", "numbers"),
    [
        ("RUT_CL", ["12.345.678-5", "12345678-5", "123456785", "12345678", "12.345.678"]),
        ("CI_EC", ["1710034065", "171003406"]),
        ("CI_VE", ["V-12345678", "V12345678", "E-12345678", "12345678", "12.345.678"]),
        ("DNI_PE", ["12345678", "12345678-4"]),
    ],
)
def test_document_key_is_the_same_across_check_digit_and_prefix(
    kind: str, numbers: list[str]
) -> None:
    keys = {feat(document_type=kind, document_number=n)["doc_key"] for n in numbers}
    assert len(keys) == 1
    assert keys.pop() in ("12345678", "171003406")


def test_document_key_is_not_shared_by_different_numbers() -> None:
    assert (
        feat(document_number="12345678")["doc_key"] != feat(document_number="12345679")["doc_key"]
    )


@pytest.mark.parametrize(
    ("kind", "number", "valid"),
    [
        ("RUT_CL", "12.345.678-5", "1"),
        ("RUT_CL", "12.345.678-9", "0"),  # wrong check digit: kept, flagged
        ("RUT_CL", "12345678", "0"),  # check digit dropped
        ("CI_EC", "1710034065", "1"),
        ("CI_EC", "1710034061", "0"),
        ("CI_EC", "171003406", "0"),
        ("CI_VE", "V-12345678", "1"),
        ("CC_CO", "1020304050", "1"),
        ("CC_CO", "12AB", "0"),
        ("PASSPORT", "F12345678", "1"),
        ("", "12345678", "0"),  # no type: not verifiable
    ],
)
def test_doc_valid_flag(kind: str, number: str, valid: str) -> None:
    out = feat(document_type=kind, document_number=number)
    assert out["doc_valid"] == valid
    assert out["doc_type"] == (kind or None)
    assert out["doc_key"]


def test_wrong_check_digit_still_gives_the_key() -> None:
    assert feat(document_number="12.345.678-9")["doc_key"] == "12345678"


def test_no_document_number_means_no_document_columns() -> None:
    out = feat(document_type="", document_number="")
    assert (out["doc_type"], out["doc_key"], out["doc_valid"]) == (None, None, None)


def test_missing_parts_are_none() -> None:
    out = features(EMPTY)
    assert out["unique_id"] == "R-0"
    assert all(out[c] is None for c in FEATURE_COLUMNS), {
        c: out[c] for c in FEATURE_COLUMNS if out[c] is not None
    }


def test_missing_second_surname_is_none_not_empty() -> None:
    out = feat(surname_2="")
    assert out["surname_2"] is None
    assert out["surname_2_core"] is None
    assert out["surname_2_phonetic"] is None
    assert out["surname_1_core"] == "FUENTE"


def _check_dtypes(frame: pd.DataFrame) -> None:
    assert tuple(frame.columns) == COLUMNS
    for name in COLUMNS:
        expected = "Int64" if name == "birth_year" else "string"
        assert str(frame[name].dtype) == expected, name


def test_feature_frame_types_with_everything_missing() -> None:
    frame = feature_frame([EMPTY, EMPTY | {"record_id": "R-9"}])
    _check_dtypes(frame)
    assert frame[list(FEATURE_COLUMNS)].isna().all().all()
    assert list(frame["unique_id"]) == ["R-0", "R-9"]


def test_feature_frame_types_with_no_rows() -> None:
    frame = feature_frame([])
    _check_dtypes(frame)
    assert frame.empty


def test_feature_frame_types_with_one_column_all_missing() -> None:
    rows = [BASE | {"record_id": f"R-{i}", "birth_date": "", "surname_2": ""} for i in range(3)]
    frame = feature_frame(rows)
    _check_dtypes(frame)
    assert frame["birth_year"].isna().all()
    assert frame["surname_2_core"].isna().all()
    assert (frame["doc_key"] == "12345678").all()


def test_feature_frame_matches_features_on_synthetic_rows(tmp_path: Path) -> None:
    truth = dedupe_set(size=400, seed=8, path=tmp_path / "d.csv", truth_path=tmp_path / "t.csv")
    rows = read_registry(truth.path).rows
    rng = random.Random(3)
    rows += [
        corrupt(p, rng=rng, registry_profile=ECUADOR, record_id=f"EC-{i}")
        for i, p in enumerate(population(size=200, seed=9))
    ]
    frame = feature_frame(rows)
    _check_dtypes(frame)
    assert len(frame) == len(rows)
    for i in range(0, len(rows), 37):
        expected = features(rows[i])
        got = {c: frame.at[i, c] for c in COLUMNS}
        assert {c: None if pd.isna(v) else v for c, v in got.items()} == expected
    # The document key never carries a RUT check digit or a VE prefix.
    typed = frame[frame["doc_type"].isin(["RUT_CL", "CI_VE"])]
    assert len(typed) > 20
    assert typed["doc_key"].str.fullmatch(r"\d+").all()
