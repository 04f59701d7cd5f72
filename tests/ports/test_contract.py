"""The declarations contract: every rule names its row and field; headers fail whole."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import imo as std_imo
from stdnum import iso6346

from alianza.errors import InputError
from alianza.ports.contract import (
    HEADER,
    SCORE_HEADER,
    _fixed,
    _imo_ok,
    _iso6346_ok,
    parse_declarations,
    read_declarations,
)

GOOD = {
    "declaration_id": "028-2024-40-00000001",
    "date": "2024-03-01",
    "port": "ECGYE",
    "exporter_id": "0990012345001",
    "declarant_id": "AGA-0042",
    "hs_code": "080390",
    "destination_country": "BE",
    "destination_port": "BEANR",
    "transshipment_port": "PAMIT",
    "container_number": "CSQU3054383",
    "container_type": "45R1",
    "gross_weight_kg": "21000.5",
    "declared_value_usd": "12000",
    "vessel_imo": "IMO 9074729",
    "booking_lead_days": "12",
    "inspected": "1",
    "illicit": "0",
}


def csv_of(*rows: dict[str, str], header: tuple[str, ...] = HEADER) -> bytes:
    lines = [",".join(header)]
    lines += [",".join(row[c] for c in header) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def test_a_good_row_is_read_typed() -> None:
    found = parse_declarations(csv_of(GOOD), name="a.csv", labels=True)
    assert found.problems == []
    row = found.frame.iloc[0]
    assert row["vessel_imo"] == "9074729"  # the "IMO " prefix goes
    assert row["gross_weight_kg"] == 21000.5 and row["booking_lead_days"] == 12
    assert str(row["date"].date()) == "2024-03-01"
    assert row["inspected"] == 1 and row["illicit"] == 0


BAD = [
    ("declaration_id", "", "vacío"),
    ("declaration_id", "D 1", "identificador"),
    ("date", "01/03/2024", "AAAA-MM-DD"),
    ("date", "2024-02-30", "calendario"),
    ("date", "1850-01-01", "fuera de rango"),
    ("port", "GYE", "UN/LOCODE"),
    ("port", "XXGYE", "país ISO 3166"),
    ("destination_port", "", "vacío"),
    ("transshipment_port", "PA-MIT", "UN/LOCODE"),
    ("destination_country", "XX", "ISO 3166"),
    ("hs_code", "803", "4 a 10 dígitos"),
    ("hs_code", "0803.90", "4 a 10 dígitos"),
    ("container_number", "CSQU3054384", "dígito verificador"),
    ("container_number", "CSQ3054383", "ISO 6346"),
    ("vessel_imo", "9074728", "dígito verificador"),
    ("vessel_imo", "90747", "7 dígitos"),
    ("container_type", "4", "tipo ISO 6346"),
    ("gross_weight_kg", "-1", "negativo"),
    ("gross_weight_kg", "mucho", "no es un número"),
    ("declared_value_usd", "-0.5", "negativo"),
    ("booking_lead_days", "2.5", "entero"),
    ("booking_lead_days", "400", "365"),
    ("inspected", "si", "0 ni 1"),
    ("illicit", "", "0 ni 1"),
]


@pytest.mark.parametrize(("field", "value", "reason"), BAD)
def test_each_rule_names_row_and_field(field: str, value: str, reason: str) -> None:
    bad = (
        {**GOOD, "declaration_id": "D2", field: value}
        if field != "declaration_id"
        else {
            **GOOD,
            field: value,
        }
    )
    found = parse_declarations(csv_of(GOOD, bad), name="a.csv", labels=True)
    assert len(found.frame) == 1  # the bad row is skipped, the good one kept
    assert [(p.row, p.field) for p in found.problems] == [(3, field)]
    assert reason in found.problems[0].reason
    assert f"fila 3, {field}" in str(found.problems[0])


def test_illicit_must_be_empty_when_not_inspected() -> None:
    row = {**GOOD, "inspected": "0", "illicit": "1"}
    found = parse_declarations(csv_of(row), name="a.csv", labels=True)
    assert [(p.row, p.field) for p in found.problems] == [(2, "illicit")]
    ok = {**GOOD, "inspected": "0", "illicit": ""}
    assert parse_declarations(csv_of(ok), name="a.csv", labels=True).problems == []


def test_a_repeated_declaration_is_reported_once() -> None:
    found = parse_declarations(csv_of(GOOD, GOOD), name="a.csv", labels=True)
    assert [(p.row, p.field) for p in found.problems] == [(3, "declaration_id")]


def test_rows_with_wrong_field_counts_keep_later_row_numbers() -> None:
    data = (
        csv_of(GOOD)
        + b"a,b,c\n"
        + csv_of({**GOOD, "declaration_id": "D9", "hs_code": "1"})[len(",".join(HEADER)) + 1 :]
    )
    found = parse_declarations(data, name="a.csv", labels=True)
    assert [(p.row, p.field) for p in found.problems] == [(3, "(fila)"), (4, "hs_code")]


def test_strict_stops_at_the_first_bad_row() -> None:
    data = csv_of(GOOD, {**GOOD, "declaration_id": "D2", "port": "x"})
    with pytest.raises(InputError, match=r"fila 3, port.*--strict"):
        parse_declarations(data, name="a.csv", labels=True, strict=True)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ((*HEADER, "color"), "columnas desconocidas: color"),
        (HEADER[:-3] + HEADER[-2:], "faltan: booking_lead_days"),
        (SCORE_HEADER, "faltan: inspected, illicit"),
    ],
)
def test_unknown_or_missing_columns_are_one_clear_line(
    header: tuple[str, ...], message: str
) -> None:
    row = {**GOOD, "color": "rojo"}
    with pytest.raises(InputError) as caught:
        parse_declarations(csv_of(row, header=header), name="a.csv", labels=True)
    assert message in caught.value.message and "\n" not in caught.value.message


def test_files_to_score_omit_the_labels() -> None:
    found = parse_declarations(csv_of(GOOD, header=SCORE_HEADER), name="a.csv", labels=False)
    assert list(found.frame.columns) == list(SCORE_HEADER)
    labelled = parse_declarations(csv_of(GOOD), name="a.csv", labels=False)
    assert list(labelled.frame.columns) == list(SCORE_HEADER)  # outcomes dropped


def test_unreadable_inputs(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no se puede leer"):
        read_declarations(tmp_path / "nada.csv")
    with pytest.raises(InputError, match="vacío"):
        parse_declarations(b"", name="a.csv")
    with pytest.raises(InputError, match="UTF-8"):
        parse_declarations(csv_of(GOOD).replace(b"ECGYE", b"EC\xffYE"), name="a.csv")


def test_generated_files_keep_the_contract(files: Path) -> None:
    found = read_declarations(files / "train.csv", labels=True)
    assert found.problems == [] and len(found.frame) > 10_000


@settings(max_examples=300, deadline=None)
@given(
    owner=st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3),
    kind=st.sampled_from("UJZR"),
    serial=st.integers(0, 9_999_999),
)
def test_vectorised_iso6346_agrees_with_stdnum(owner: str, kind: str, serial: int) -> None:
    number = f"{owner}{kind}{serial:07d}"
    import pyarrow as pa

    ours = bool(_iso6346_ok(_fixed(pa.array([number]), 11))[0])
    assert ours == iso6346.is_valid(number)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 9_999_999))
def test_vectorised_imo_agrees_with_stdnum(number: int) -> None:
    import pyarrow as pa

    text = f"{number:07d}"
    assert bool(_imo_ok(_fixed(pa.array([text]), 7))[0]) == std_imo.is_valid(text)
    assert _fixed(pa.array([], pa.string()), 7).shape == (0, 7)
    assert np.all(_imo_ok(_fixed(pa.array(["9074729"] * 3), 7)))
