"""ICAO 9303 MRZ parsing: specimens, every check digit, long numbers, names, bad input."""

from __future__ import annotations

from datetime import date

import pytest

from alianza.errors import InputError
from alianza.identity.mrz import check_digit, mrz_name_variants, parse_mrz

TODAY = date(2025, 6, 1)

# The ICAO 9303 specimens (part 4 for TD3, part 5 for TD1, the latter also with a long
# document number).
TD3 = [
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
]
TD1 = [
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
]
TD1_LONG = [
    "I<UTOD23145890<7349<<<<<<<<<<<",
    "3407127M9507122UTO<<<<<<<<<<<2",
    "STEVENSON<<PETER<JOHN<<<<<<<<<",
]

_VALUES = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")} | {"<": 0}


def icao(data: str) -> str:
    """Independent check digit (lookup table) to verify specimens and build test MRZs."""
    return str(sum(_VALUES[c] * (7, 3, 1)[i % 3] for i, c in enumerate(data)) % 10)


def td3(*, name: str, number: str, birth: str, sex: str, expiry: str, personal: str) -> list[str]:
    """A TD3 passport MRZ with correct check digits."""
    line1 = f"P<ESP{name}".ljust(44, "<")
    number = number.ljust(9, "<")
    personal = personal.ljust(14, "<")
    body = (
        f"{number}{icao(number)}ESP{birth}{icao(birth)}{sex}{expiry}{icao(expiry)}"
        f"{personal}{icao(personal)}"
    )
    composite = body[0:10] + body[13:20] + body[21:43]
    return [line1, body + icao(composite)]


def _replace(line: str, position: int, char: str) -> str:
    return line[:position] + char + line[position + 1 :]


def _bump(char: str) -> str:
    return str((int(char) + 1) % 10)


def test_specimen_check_digits_are_what_icao_computes() -> None:
    line2 = TD3[1]
    assert line2[9] == icao(line2[0:9]) == "6"
    assert line2[19] == icao(line2[13:19]) == "2"
    assert line2[27] == icao(line2[21:27]) == "9"
    assert line2[42] == icao(line2[28:42]) == "1"
    assert line2[43] == icao(line2[0:10] + line2[13:20] + line2[21:43]) == "0"
    l1, l2 = TD1[0], TD1[1]
    assert l1[14] == icao(l1[5:14]) == "7"
    assert l2[29] == icao(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29]) == "6"
    for data in ("L898902C3", "740812", "D23145890734", "<<<<<<<<<<<<<<"):
        assert str(check_digit(data)) == icao(data)


def test_td3_specimen() -> None:
    mrz = parse_mrz("\n".join(TD3), today=TODAY)
    assert mrz.format == "TD3"
    assert (mrz.document_code, mrz.issuing_state, mrz.nationality) == ("P", "UTO", "UTO")
    assert (mrz.surnames, mrz.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert mrz.document_number == "L898902C3"
    assert (mrz.birth_date, mrz.expiry_date, mrz.sex) == ("1974-08-12", "2012-04-15", "F")
    assert mrz.optional_data == "ZE184226B"
    assert mrz.failed_checks == []
    assert mrz.unreadable_fields == []
    assert mrz.valid
    assert mrz.lines == tuple(TD3)


def test_td1_specimen() -> None:
    mrz = parse_mrz(TD1, today=TODAY)
    assert mrz.format == "TD1"
    assert (mrz.document_code, mrz.issuing_state, mrz.nationality) == ("I", "UTO", "UTO")
    assert (mrz.surnames, mrz.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert mrz.document_number == "D23145890"
    assert (mrz.birth_date, mrz.expiry_date, mrz.sex) == ("1974-08-12", "2012-04-15", "F")
    assert (mrz.optional_data, mrz.optional_data_2) == ("", "")
    assert mrz.valid


def test_td1_long_document_number_continues_in_optional_data() -> None:
    assert icao("D23145890734") == "9"
    mrz = parse_mrz(TD1_LONG, today=TODAY)
    assert mrz.document_number == "D23145890734"
    assert mrz.optional_data == ""
    assert mrz.failed_checks == []
    # Its check digit is the last overflow character; a wrong one is flagged by name.
    broken = [_replace(TD1_LONG[0], 18, "0"), *TD1_LONG[1:]]
    assert "document_number" in parse_mrz(broken, today=TODAY).failed_checks


def test_td1_long_number_keeps_optional_data_after_it() -> None:
    line1 = "I<UTOD23145890<7349<AB12<<<<<<"
    line2 = "3407127M9507122UTO<<<<<<<<<<<"
    line2 += icao(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
    mrz = parse_mrz([line1, line2, TD1_LONG[2]], today=TODAY)
    assert (mrz.document_number, mrz.optional_data) == ("D23145890734", "AB12")
    assert mrz.valid


def test_td1_filler_check_digit_without_overflow_is_flagged() -> None:
    line1 = _replace(TD1[0], 14, "<")
    mrz = parse_mrz([line1, *TD1[1:]], today=TODAY)
    assert mrz.document_number == "D23145890"
    assert "document_number" in mrz.failed_checks
    assert not mrz.valid


@pytest.mark.parametrize(
    ("position", "name"),
    [(9, "document_number"), (19, "birth_date"), (27, "expiry_date"), (42, "optional_data")],
)
def test_td3_each_corrupted_check_digit_is_named(position: int, name: str) -> None:
    line2 = _replace(TD3[1], position, _bump(TD3[1][position]))
    # Re-seal the composite so that only the corrupted check digit is wrong.
    line2 = line2[:43] + icao(line2[0:10] + line2[13:20] + line2[21:43])
    mrz = parse_mrz([TD3[0], line2], today=TODAY)
    assert mrz.failed_checks == [name]
    assert not mrz.valid


def test_td3_corrupted_composite_and_unsealed_corruption() -> None:
    composite = _replace(TD3[1], 43, _bump(TD3[1][43]))
    assert parse_mrz([TD3[0], composite], today=TODAY).failed_checks == ["composite"]
    # A misread data character fails its own check and the composite, both named.
    misread = _replace(TD3[1], 2, "0")  # L898902C3 -> L808902C3
    assert parse_mrz([TD3[0], misread], today=TODAY).failed_checks == [
        "document_number",
        "composite",
    ]


@pytest.mark.parametrize(
    ("line", "position", "name"),
    [(0, 14, "document_number"), (1, 6, "birth_date"), (1, 14, "expiry_date")],
)
def test_td1_each_corrupted_check_digit_is_named(line: int, position: int, name: str) -> None:
    lines = list(TD1)
    lines[line] = _replace(lines[line], position, _bump(lines[line][position]))
    l1, l2 = lines[0], lines[1]
    lines[1] = l2[:29] + icao(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
    assert parse_mrz(lines, today=TODAY).failed_checks == [name]


def test_td1_corrupted_composite_is_named() -> None:
    lines = [TD1[0], _replace(TD1[1], 29, _bump(TD1[1][29])), TD1[2]]
    assert parse_mrz(lines, today=TODAY).failed_checks == ["composite"]


def test_td2_document() -> None:
    line1 = "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<"
    body = f"D23145890{icao('D23145890')}UTO740812{icao('740812')}F120415{icao('120415')}<<<<<<<"
    line2 = body + icao(body[0:10] + body[13:20] + body[21:35])
    mrz = parse_mrz([line1, line2], today=TODAY)
    assert mrz.format == "TD2"
    assert (mrz.surnames, mrz.given_names, mrz.document_number) == (
        "ERIKSSON",
        "ANNA MARIA",
        "D23145890",
    )
    assert mrz.valid
    bad = _replace(line2, 35, _bump(line2[35]))
    assert parse_mrz([line1, bad], today=TODAY).failed_checks == ["composite"]


def test_visa_has_no_composite_check() -> None:
    line1 = "V<UTOERIKSSON<<ANNA<MARIA".ljust(44, "<")
    line2 = f"L8988901C{icao('L8988901C')}XXX400907{icao('400907')}F961210{icao('961210')}"
    line2 += "6ZE184226B<<<<<<"
    mrz = parse_mrz([line1, line2], today=TODAY)
    assert (mrz.format, mrz.document_code, mrz.nationality) == ("MRVA", "V", "XXX")
    assert mrz.optional_data == "6ZE184226B"
    assert mrz.valid


def test_spanish_name_with_nxx_round_trips_as_written() -> None:
    lines = td3(
        name="MUNXXOZ<GARCIA<<JOSE<LUIS",
        number="XDA123456",
        birth="850230",  # not a calendar date: flagged, not a crash
        sex="M",
        expiry="300101",
        personal="",
    )
    mrz = parse_mrz(lines, today=TODAY)
    assert (mrz.surnames, mrz.given_names) == ("MUNXXOZ GARCIA", "JOSE LUIS")
    assert mrz.failed_checks == []
    assert mrz.unreadable_fields == ["birth_date"]
    assert mrz.birth_date == ""
    assert mrz_name_variants(mrz.surnames) == ["MUNXXOZ GARCIA", "MUNOZ GARCIA", "MUÑOZ GARCIA"]
    assert mrz_name_variants("PENA<<ANA") == ["PENA ANA"]


def test_empty_personal_number_may_use_filler_check_digit() -> None:
    lines = td3(
        name="PEREZ<<ANA", number="AB123", birth="900101", sex="F", expiry="300101", personal=""
    )
    assert lines[1][42] == "0"
    assert parse_mrz(lines, today=TODAY).valid
    line2 = _replace(lines[1], 42, "<")
    line2 = line2[:43] + icao(line2[0:10] + line2[13:20] + line2[21:43])
    mrz = parse_mrz([lines[0], line2], today=TODAY)
    assert mrz.valid
    assert mrz.document_number == "AB123"


@pytest.mark.parametrize(
    ("birth", "expected"), [("250601", "2025-06-01"), ("260101", "1926-01-01")]
)
def test_birth_century_inferred_expiry_always_2000s(birth: str, expected: str) -> None:
    lines = td3(name="X<<Y", number="A1", birth=birth, sex="X", expiry="991231", personal="")
    mrz = parse_mrz(lines, today=TODAY)
    assert mrz.birth_date == expected
    assert mrz.expiry_date == "2099-12-31"
    assert mrz.sex == ""


def test_input_tolerance() -> None:
    messy = "\r\n  " + TD3[0].lower() + "  \r\n\r\n\t" + TD3[1] + "\n\n"
    assert parse_mrz(messy, today=TODAY) == parse_mrz(TD3, today=TODAY)
    assert parse_mrz("".join(TD1), today=TODAY) == parse_mrz(TD1, today=TODAY)


def _refused(raw: str | list[str]) -> str:
    with pytest.raises(InputError) as info:
        parse_mrz(raw, today=TODAY)
    assert info.value.problems[0].field == "mrz"
    return info.value.problems[0].message


def test_wrong_structure_raises_naming_line_and_position() -> None:
    assert "línea 2: tiene 43 caracteres; se esperaban 44" in _refused([TD3[0], TD3[1][:-1]])
    assert "línea 3: tiene 31" in _refused([TD1[0], TD1[1], TD1[2] + "<"])
    assert "línea 1: tiene 40 caracteres; se esperaban 44 o 36" in _refused(["A" * 40, "B" * 40])
    assert "1 línea" in _refused(TD3[0])
    assert "0 línea" in _refused("  \n ")
    assert "4 línea" in _refused([*TD1, TD1[2]])
    bad_char = _replace(TD3[1], 20, "*")
    assert "línea 2, posición 21: el carácter '*'" in _refused([TD3[0], bad_char])
    assert "línea 1, posición 6: el carácter 'Ñ'" in _refused([_replace(TD3[0], 5, "ñ"), TD3[1]])


def test_space_inside_a_line_is_refused() -> None:
    spaced = _replace(TD3[0], 13, " ")
    message = _refused([spaced, TD3[1]])
    assert "línea 1, posición 14: un espacio" in message


def test_custom_field_name() -> None:
    with pytest.raises(InputError) as info:
        parse_mrz(["x"], field="data.mrz")
    assert info.value.problems[0].field == "data.mrz"
