"""Name model: folding, particles, parsing and keys, one case per kind of corruption."""

from __future__ import annotations

import pytest

from alianza.identity.names import (
    KEY_COLUMNS,
    Name,
    fold,
    name_keys,
    parse_fields,
    parse_full,
    phonetic,
    surname_core,
)

REFERENCE = parse_fields("Juan Carlos", "González", "Pérez")


def keys(given: str, surname_1: str, surname_2: str) -> dict[str, str | None]:
    return name_keys(parse_fields(given, surname_1, surname_2))


# --- fold -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("José Ñúñez", "JOSE NUNEZ"),
        ("Argüello", "ARGUELLO"),
        ("MUNXXOZ", "MUNOZ"),  # ICAO 9303 writes Ñ as NXX
        ("O'Higgins-Riquelme", "O HIGGINS RIQUELME"),
        ("  maría   del  carmen. ", "MARIA DEL CARMEN"),
        ("Øyvind Łukasz Straße", "OYVIND LUKASZ STRASSE"),  # no NFKD to ASCII: rigour
        ("ＪＵＡＮ", "JUAN"),  # full-width
        ("Шевченко", "SHEVCHENKO"),
        ("", ""),
        ("-- . --", ""),
    ],
)
def test_fold(raw: str, folded: str) -> None:
    assert fold(raw) == folded


# --- phonetic ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variants",
    [
        ("BALLESTEROS", "VALLESTEROS", "BAYESTEROS"),  # b/v, ll/y
        ("GONZALEZ", "GONSALES", "GONZALES"),  # s/z
        ("HERNANDEZ", "ERNANDEZ", "HERNANDES"),  # silent h
        ("JIMENEZ", "GIMENEZ", "XIMENEZ"),  # g/j, initial x
        ("YEPES", "LLEPES"),  # ll/y
        ("CESAR", "SESAR"),  # c/s
        ("QUISPE", "KISPE", "QISPE"),  # qu/k/q
        ("VELASQUEZ", "VELAZQUEZ", "BELASQUEZ"),
        ("HUGO", "UGO"),
        ("HUAMAN", "GUAMAN", "WAMAN"),
        ("JAVIER", "XAVIER"),
        ("ESTEFANY", "STEPHANY", "ESTEFANI"),
        ("JHON", "JOHN", "JON"),
        ("GODOY", "GODOI"),
        ("ASCENCIO", "ASENSIO", "ASENCIO"),
        ("CARRASCO", "CARASCO"),
        ("GUERRERO", "GUERERO"),  # gue: hard g, not j
    ],
)
def test_phonetic_variants_share_a_key(variants: tuple[str, ...]) -> None:
    assert len({phonetic(v) for v in variants}) == 1, [phonetic(v) for v in variants]


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("PEREZ", "PERALTA"),
        ("GARCIA", "GARCES"),  # vowels are kept
        ("LUIS", "LUZ"),
        ("JUAN", "JUANA"),
        ("MARIA", "MARIO"),
        ("GUERRERO", "GERRERO"),  # ge sounds j
        ("ALEJANDRA", "ALEXANDRA"),  # medial x is ks
        ("CHAVEZ", "SAVEZ"),  # ch is not c or s
        ("FUENTE", "FUENTES"),
    ],
)
def test_phonetic_different_names_stay_different(one: str, other: str) -> None:
    assert phonetic(one) != phonetic(other)


def test_phonetic_exact_keys() -> None:
    assert phonetic("VELÁSQUEZ") == "BELASKES"
    assert phonetic("CHÁVEZ") == "CHABES"
    assert phonetic("") == ""


# --- particles ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("surname", "core"),
    [
        ("De la Fuente", "FUENTE"),
        ("DELAFUENTE", "FUENTE"),  # glued
        ("Fuente", "FUENTE"),  # dropped
        ("Del Río", "RIO"),
        ("DELRIO", "RIO"),
        ("de los Santos", "SANTOS"),
        ("DELOSSANTOS", "SANTOS"),
        ("DE LA HOZ", "HOZ"),
        ("DELAHOZ", "HOZ"),
        ("De León", "LEON"),
        ("DELEON", "LEON"),  # not DEL + EON
        ("Del Águila", "AGUILA"),
        ("DELAGUILA", "AGUILA"),  # not DELA + GUILA
        ("DEARMAS", "ARMAS"),
        ("San Martín", "SANMARTIN"),  # SAN belongs to the surname
        ("SANMARTIN", "SANMARTIN"),
        ("Ortega y Gasset", "ORTEGAGASSET"),
        ("Ortega-Gasset", "ORTEGAGASSET"),
    ],
)
def test_surname_core_particles_glued_or_dropped(surname: str, core: str) -> None:
    assert surname_core(surname) == core


@pytest.mark.parametrize("surname", ["DELGADO", "DELGADILLO", "LASSO", "LARA", "LAGOS", "LOSADA"])
def test_surname_core_keeps_real_surnames_that_look_glued(surname: str) -> None:
    assert surname_core(surname) == surname


# --- parsing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "GONZÁLEZ PÉREZ, JUAN CARLOS",  # comma: surnames first
        "Juan Carlos González Pérez",  # natural order
        "JUAN CARLOS GONZALEZ PEREZ",  # all caps, no comma: still natural order
        "GONZALEZ<PEREZ<<JUAN<CARLOS<<<<<<",  # MRZ
    ],
)
def test_parse_full_orders(text: str) -> None:
    assert parse_full(text) == REFERENCE


@pytest.mark.parametrize(
    ("text", "name"),
    [
        (
            "María de los Ángeles de la Fuente Pérez",
            Name(("MARIA", "DE LOS ANGELES"), "DE LA FUENTE", "PEREZ"),
        ),
        ("Juan San Martín Rojas", Name(("JUAN",), "SAN MARTIN", "ROJAS")),
        ("María del Carmen Pérez", Name(("MARIA", "DEL CARMEN"), "PEREZ", "")),
        ("José Ortega y Gasset", Name(("JOSE",), "ORTEGA", "GASSET")),
        ("Juan Y. Pérez Gómez", Name(("JUAN", "Y"), "PEREZ", "GOMEZ")),  # Y as an initial
        (
            "DE LA FUENTE<PEREZ<<MARIA<DE<LOS<ANGELES",
            Name(("MARIA", "DE LOS ANGELES"), "DE LA FUENTE", "PEREZ"),
        ),
        ("Pérez", Name((), "PEREZ", "")),
        ("", Name((), "", "")),
    ],
)
def test_parse_full_units(text: str, name: Name) -> None:
    assert parse_full(text) == name


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        (("Juan Carlos", "González Pérez", ""), REFERENCE),  # both surnames in box 1
        (("Juan Carlos", "González-Pérez", ""), REFERENCE),
        (("Juan", "De la Fuente Pérez", ""), Name(("JUAN",), "DE LA FUENTE", "PEREZ")),
        (("Juan", "San Martín", ""), Name(("JUAN",), "SAN MARTIN", "")),
        (("José", "Ortega y Gasset", ""), Name(("JOSE",), "ORTEGA", "GASSET")),
        (("José", "Ortega y Gasset", "López"), Name(("JOSE",), "ORTEGA Y GASSET", "LOPEZ")),
        (("Juan Carlos", "", "González"), Name(("JUAN", "CARLOS"), "GONZALEZ", "")),
    ],
)
def test_parse_fields_repairs_surname_boxes(fields: tuple[str, str, str], name: Name) -> None:
    assert parse_fields(*fields) == name


@pytest.mark.parametrize(
    "fields",
    [
        ("Juan Carlos González Pérez", "", ""),  # whole name in the given box
        ("González Pérez, Juan Carlos", "", ""),
        ("", "Juan Carlos González Pérez", ""),  # whole name in the surname box
        ("", "GONZALEZ PEREZ, JUAN CARLOS", ""),
        ("", "GONZALEZ<PEREZ<<JUAN<CARLOS", ""),
    ],
)
def test_parse_fields_whole_name_in_one_box(fields: tuple[str, str, str]) -> None:
    assert parse_fields(*fields) == REFERENCE


def test_parse_fields_given_empty_keeps_two_surnames() -> None:
    assert parse_fields("", "DE LA FUENTE PEREZ", "") == Name((), "DE LA FUENTE", "PEREZ")


def test_name_properties() -> None:
    name = parse_fields("María de los Ángeles", "de la Fuente", "Pérez")
    assert name.given_names == "MARIA DE LOS ANGELES"
    assert name.first_given == "MARIA"
    assert name.initials == "MA"
    assert name.surnames == ("DE LA FUENTE", "PEREZ")
    assert name.full == "MARIA DE LOS ANGELES DE LA FUENTE PEREZ"


# --- keys: what the linker sees for each corruption ----------------------------------------


def test_name_keys_columns_and_values() -> None:
    got = keys("María de los Ángeles", "de la Fuente", "")
    assert tuple(got) == KEY_COLUMNS
    assert got == {
        "given_names": "MARIA DE LOS ANGELES",
        "given_1": "MARIA",
        "given_initials": "MA",
        "surname_1": "DE LA FUENTE",
        "surname_2": None,  # missing is NULL, never ""
        "surname_1_core": "FUENTE",
        "surname_2_core": None,
        "given_1_phonetic": "MARIA",
        "surname_1_phonetic": "FUENTE",
        "surname_2_phonetic": None,
        "surnames_sorted": "FUENTE",
        "name_sorted": "ANGELES FUENTE MARIA",
    }


def test_name_keys_missing_parts_are_null() -> None:
    got = keys("", "Pérez", "")
    assert {c for c, v in got.items() if v is None} == {
        "given_names",
        "given_1",
        "given_initials",
        "given_1_phonetic",
        "surname_2",
        "surname_2_core",
        "surname_2_phonetic",
    }
    assert set(name_keys(parse_full("")).values()) == {None}


# (corrupted record, columns that must still equal the reference Juan Carlos González Pérez)
CORRUPTIONS = {
    "dropped second surname": (("Juan Carlos", "González", ""), ["given_names", "surname_1"]),
    "given cut to one word": (("Juan", "González", "Pérez"), ["given_1", "surnames_sorted"]),
    "given cut to initials": (("J. C.", "González", "Pérez"), ["given_initials", "surname_1"]),
    "accents lost": (("JUAN CARLOS", "GONZALEZ", "PEREZ"), KEY_COLUMNS),
    "surnames swapped": (("Juan Carlos", "Pérez", "González"), ["surnames_sorted", "name_sorted"]),
    "given and surnames swapped": (("González Pérez", "Juan", "Carlos"), ["name_sorted"]),
    "s/z and c": (
        ("Juan Carlos", "Gonsales", "Peres"),
        ["surname_1_phonetic", "surname_2_phonetic"],
    ),
    "surnames first, no comma": (("", "GONZALEZ PEREZ JUAN CARLOS", ""), ["name_sorted"]),
}


@pytest.mark.parametrize("kind", list(CORRUPTIONS))
def test_corruption_keeps_comparable_keys(kind: str) -> None:
    fields, columns = CORRUPTIONS[kind]
    got, want = keys(*fields), name_keys(REFERENCE)
    assert {c: got[c] for c in columns} == {c: want[c] for c in columns}
    assert all(want[c] is not None for c in columns)


def test_given_cut_to_initial_matches_on_first_initial() -> None:
    got = keys("J.", "González", "Pérez")
    assert got["given_initials"] == "J"
    assert name_keys(REFERENCE)["given_initials"] == "JC"
    assert got["surnames_sorted"] == name_keys(REFERENCE)["surnames_sorted"]


@pytest.mark.parametrize("written", ["Muñoz", "MUNOZ", "MUNXXOZ", "Munoz"])
def test_enye_lost_or_icao_keeps_surname_equal(written: str) -> None:
    assert keys("Ana", written, "")["surname_1"] == "MUNOZ"


@pytest.mark.parametrize(
    ("written", "column", "reference"),
    [
        (("Ana", "DELAFUENTE", "Rojas"), "surname_1_core", ("Ana", "De la Fuente", "Rojas")),
        (("Ana", "Fuente", "Rojas"), "surname_1_core", ("Ana", "De la Fuente", "Rojas")),
        (("Ana", "Valdivia", "Rojas"), "surname_1_phonetic", ("Ana", "Baldivia", "Rojas")),
        (("Ana", "Cevallos", "Rojas"), "surname_1_phonetic", ("Ana", "Ceballos", "Rojas")),
        (("Yolanda", "Pérez", ""), "given_1_phonetic", ("Llolanda", "Pérez", "")),
        (("Hilda", "Pérez", ""), "given_1_phonetic", ("Ilda", "Pérez", "")),
        (("Gerardo", "Pérez", ""), "given_1_phonetic", ("Jerardo", "Pérez", "")),
    ],
)
def test_spelling_corruption_in_keys(
    written: tuple[str, str, str], column: str, reference: tuple[str, str, str]
) -> None:
    assert keys(*written)[column] == keys(*reference)[column]


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (("Juan Carlos", "González", "Pérez"), ("Juan Carlos", "González", "Peralta")),
        (("Luis", "García", "Rojas"), ("Luz", "Garcés", "Rojas")),
        (("María", "Delgado", "Soto"), ("María", "Gado", "Soto")),
        (("Ana", "Lara", "Soto"), ("Ana", "Ara", "Soto")),
        (("Ana", "Fuentes", "Soto"), ("Ana", "De la Fuente", "Soto")),
    ],
)
def test_different_people_keep_different_keys(
    one: tuple[str, str, str], other: tuple[str, str, str]
) -> None:
    a, b = keys(*one), keys(*other)
    assert a["name_sorted"] != b["name_sorted"]
    assert (a["given_1_phonetic"], a["surname_1_phonetic"], a["surname_2_phonetic"]) != (
        b["given_1_phonetic"],
        b["surname_1_phonetic"],
        b["surname_2_phonetic"],
    )


@pytest.mark.parametrize(
    ("given", "expected"),
    [("alexander", ("ALEXANDER",)), ("Juan Carlos", ("JUAN", "CARLOS"))],
)
def test_given_names_alone_stay_given_names(given: str, expected: tuple[str, ...]) -> None:
    # A registry that lost the surnames still holds given names, not a surname (FEBRL4
    # pairs such as "alexander" + no surname were read as surname ALEXANDER and missed).
    name = parse_fields(given, "", "")
    assert name.given == expected
    assert (name.surname_1, name.surname_2) == ("", "")
