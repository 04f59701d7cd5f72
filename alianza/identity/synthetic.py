"""Synthetic persons of the region and registries written from them, with the truth.

For identity-linkage benchmarks and tests: Chileans, Venezuelans, Ecuadorians, Peruvians,
Colombians and some Argentines (``vocabulary.NATIONALITY_MIX``), with surnames drawn
Zipf-like from 380+ surnames of the region (``vocabulary.zipf_table``), compound given names,
valid national documents (RUT_CL and CI_EC with their check digits, DNI_PE 8 digits, CC_CO
6-10 digits, CI_VE ``V`` + 6-8 digits; unique per person up to 10 million persons) and a
passport each. Argentines have no national document of the contract: registries hold their
passport. Everything is deterministic for a seed.

Hard negatives, by position in blocks of 200 persons: 10% of persons have a sibling in the
population (``SIBLING_SHARE``: both surnames and nationality shared, other given names, born
1-15 years apart) and 3% a namesake (``NAMESAKE_SHARE``: same given names, surnames and sex,
another birth date and document). ``Person.sibling_id`` / ``namesake_id`` name the partner.

A registry writes a person through :func:`corrupt` with a :class:`RegistryProfile`. Kinds
and default rates (CHILE / ECUADOR / COLOMBIA; ``CLEAN`` has none), each drawn per record
unless said otherwise:

======================  =====================================================  =================
field                   corruption                                             CL / EC / CO
======================  =====================================================  =================
typo                    one b/v, s/z/c, ll/y, silent h, g/j slip, per field    .02 / .06 / .04
cut_given               two given names cut to the first ("José")              .10 / .25 / .20
initial_given           one given name as an initial ("J. Luis", "José L.")    .04 / .08 / .06
glue_particles          per particle surname: "Delacruz", "Sanmartín"          .10 / .30 / .20
drop_particles          per particle surname: "de la Cruz" -> "Cruz"           .05 / .15 / .10
drop_surname_2          second surname left out, nationals of the registry     .02 / .05 / .04
drop_surname_2_foreign  the same for foreigners (foreign registries keep one)  .25 / .50 / .40
swap_names              surnames in the given-name box and vice versa          .01 / .03 / .02
surnames_in_one         both surnames in surname_1, surname_2 empty            .02 / .06 / .04
ascii                   accents and ñ lost (ñ -> n)                            .30 / .55 / .45
icao                    ICAO 9303 transliteration, ñ -> NXX, upper case        .01 / .05 / .03
upper / lower / title   letter case (otherwise as spelt, "de la Cruz")         .60/0/.10 (CL)
swap_day_month          day and month swapped (only when both <= 12)           .02 / .06 / .04
year_off_by_one         birth year +1 or -1                                    .01 / .03 / .02
foreign_passport        foreigner recorded by passport, not national document  .40 / .70 / .60
check_digit_dropped     RUT_CL / CI_EC written without its check digit         .03 / .10 / .08
document_typo           one digit of the document number replaced             .01 / .03 / .02
missing_*               sex / birth_date / nationality / document (type and    .01/.01/.01/.03/
                        number) / document_type empty                          .01 (CL)
======================  =====================================================  =================

ECUADOR: case .70/.05/.10, missing .05/.03/.04/.08/.03; COLOMBIA: case .65/.05/.10, missing
.03/.02/.02/.05/.02. Rows follow the contract of ``alianza link`` and ``alianza dedupe``
(``HEADER``). :func:`linkage_pair` writes LEFT as CHILE and RIGHT as ECUADOR by default; the
benchmark is 10,000 x 9,000 with 60% of the left persons (6,000) in both. :func:`dedupe_set`
writes as COLOMBIA, persons once (80%), twice (12%), three (5%) or four times (3%). Both
stream to disk: a population is compact arrays (14 bytes a person), a row is built when
written; two registries of 1,000,000 take about 25 s of CPU and 250 MB.
"""

from __future__ import annotations

import csv
import random
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import chain, islice
from pathlib import Path

from alianza.identity import vocabulary as voc

HEADER = ("record_id", "given_names", "surname_1", "surname_2", "birth_date", "sex",
          "nationality", "document_type", "document_number")  # fmt: skip
NATIONALITIES = frozenset(voc.COUNTRIES)
DOCUMENT_TYPES = frozenset({"CI_VE", "CI_EC", "RUT_CL", "DNI_PE", "CC_CO", "PASSPORT"})
NATIONAL_DOCUMENT = {"CL": "RUT_CL", "EC": "CI_EC", "PE": "DNI_PE", "CO": "CC_CO", "VE": "CI_VE"}
SIBLING_SHARE = 0.10
NAMESAKE_SHARE = 0.03
# The benchmark: 10,000 left records, 9,000 right, 60% of the left persons (6,000) in both.
BENCHMARK_LEFT, BENCHMARK_RIGHT, BENCHMARK_OVERLAP = 10_000, 9_000, 0.6
# Dedupe: persons written once 80%, twice 12%, three times 5%, four times 3%.
DEDUPE_COPIES = (1,) * 80 + (2,) * 12 + (3,) * 5 + (4,) * 3

_BLOCK, _SIBLINGS, _PAIRS = 200, 20, 26  # in a block: 10 sibling pairs, then 3 namesake pairs
_CHECKED = ("RUT_CL", "CI_EC")
# Unique numbers: (PRIME * k + offset) % modulus is a bijection on k < modulus.
_PRIMES = (2654435761, 2246822519, 3266489917, 668265263, 374761393, 2869860233)
# Passports: Chile F, Ecuador A, Peru E, Colombia AV + digits; Venezuela 9 digits; Argentina AAx.
_PASSPORT_MODULUS = dict(CL=10**8, EC=10**7, PE=10**8, CO=10**7, VE=10**8, AR=26 * 10**6)
_PASSPORT_FORMAT = {"CL": "F{0:08d}", "EC": "A{0:07d}", "PE": "E{0:08d}", "CO": "AV{0:07d}"}
_PASSPORT_FORMAT |= {"VE": "1{0:08d}", "AR": "AA{1}{2:06d}"}
_ENYE = {"ñ": "nxx", "Ñ": "NXX"}
_ASCII = str.maketrans("áéíóúüñÁÉÍÓÚÜÑ", "aeiouunAEIOUUN")
_ICAO = str.maketrans(dict(zip("áéíóúüÁÉÍÓÚÜ", "aeiouuAEIOUU", strict=True)) | _ENYE)
Rows = Iterator[list[str]]


@dataclass(slots=True)
class Person:
    """A true identity. ``document_type`` is "" for Argentines (no contract document)."""

    person_id: str
    given_names: tuple[str, ...]
    surname_1: str
    surname_2: str
    birth_date: date
    sex: str
    nationality: str
    document_type: str
    document_number: str
    passport_number: str
    sibling_id: str = ""
    namesake_id: str = ""


@dataclass(frozen=True, slots=True)
class RegistryProfile:
    """How a registry writes persons: its country, id prefix and corruption rates."""

    country: str = "CL"
    prefix: str = "R-"
    typo: float = 0.0
    cut_given: float = 0.0
    initial_given: float = 0.0
    glue_particles: float = 0.0
    drop_particles: float = 0.0
    drop_surname_2: float = 0.0
    drop_surname_2_foreign: float = 0.0
    swap_names: float = 0.0
    surnames_in_one: float = 0.0
    ascii: float = 0.0
    icao: float = 0.0
    upper: float = 0.0
    lower: float = 0.0
    title: float = 0.0
    swap_day_month: float = 0.0
    year_off_by_one: float = 0.0
    foreign_passport: float = 0.0
    check_digit_dropped: float = 0.0
    document_typo: float = 0.0
    missing_sex: float = 0.0
    missing_birth_date: float = 0.0
    missing_nationality: float = 0.0
    missing_document: float = 0.0
    missing_document_type: float = 0.0


CLEAN = RegistryProfile()
CHILE = RegistryProfile(
    country="CL", prefix="CL-", typo=0.02, cut_given=0.10, initial_given=0.04,
    glue_particles=0.10, drop_particles=0.05, drop_surname_2=0.02, drop_surname_2_foreign=0.25,
    swap_names=0.01, surnames_in_one=0.02, ascii=0.30, icao=0.01, upper=0.60, title=0.10,
    swap_day_month=0.02, year_off_by_one=0.01, foreign_passport=0.40, check_digit_dropped=0.03,
    document_typo=0.01, missing_sex=0.01, missing_birth_date=0.01, missing_nationality=0.01,
    missing_document=0.03, missing_document_type=0.01,
)  # fmt: skip
ECUADOR = RegistryProfile(
    country="EC", prefix="EC-", typo=0.06, cut_given=0.25, initial_given=0.08,
    glue_particles=0.30, drop_particles=0.15, drop_surname_2=0.05, drop_surname_2_foreign=0.50,
    swap_names=0.03, surnames_in_one=0.06, ascii=0.55, icao=0.05, upper=0.70, lower=0.05,
    title=0.10, swap_day_month=0.06, year_off_by_one=0.03, foreign_passport=0.70,
    check_digit_dropped=0.10, document_typo=0.03, missing_sex=0.05, missing_birth_date=0.03,
    missing_nationality=0.04, missing_document=0.08, missing_document_type=0.03,
)  # fmt: skip
COLOMBIA = RegistryProfile(
    country="CO", prefix="CO-", typo=0.04, cut_given=0.20, initial_given=0.06,
    glue_particles=0.20, drop_particles=0.10, drop_surname_2=0.04, drop_surname_2_foreign=0.40,
    swap_names=0.02, surnames_in_one=0.04, ascii=0.45, icao=0.03, upper=0.65, lower=0.05,
    title=0.10, swap_day_month=0.04, year_off_by_one=0.02, foreign_passport=0.60,
    check_digit_dropped=0.08, document_typo=0.02, missing_sex=0.03, missing_birth_date=0.02,
    missing_nationality=0.02, missing_document=0.05, missing_document_type=0.02,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class LinkageTruth:
    left_path: Path
    right_path: Path
    truth_path: Path
    left_records: int
    right_records: int
    matches: int
    persons: int
    sibling_pairs: int  # a sibling in one registry, the other sibling in the other
    namesake_pairs: int  # the same across registries for namesakes


@dataclass(frozen=True, slots=True)
class DedupeTruth:
    path: Path
    truth_path: Path
    records: int
    persons: int
    duplicated_persons: int  # persons written two to four times
    duplicate_pairs: int  # pairs of records of one person: what a deduper should find


# --- the population ------------------------------------------------------------------------


def _digit_sums(weights: tuple[int, ...], *, fold: bool = False) -> tuple[int, ...]:
    # Weighted digit sums of every number with len(weights) digits, for check digits by lookup.
    width = len(weights)
    return tuple(
        sum(p - 9 if fold and p > 9 else p for p in map(int.__mul__, weights, map(int, digits)))
        for digits in (f"{n:0{width}d}" for n in range(10**width))
    )


# Chile RUT (as stdnum.cl.rut): weights 9, 8, 7, 6, 5, 4, 9, 8 from the right, digit = sum % 11.
_RUT_LOW, _RUT_HIGH = _digit_sums((6, 7, 8, 9)), _digit_sums((8, 9, 4, 5))
# Ecuador cédula (as stdnum.ec.ci): weights 2, 1, 2, ... folded; the total is 0 mod 10.
_CI_212, _CI_121 = _digit_sums((2, 1, 2), fold=True), _digit_sums((1, 2, 1), fold=True)


def _rut(body: int) -> str:
    check = "0123456789K"[(_RUT_LOW[body % 10_000] + _RUT_HIGH[body // 10_000]) % 11]
    return f"{body}-{check}"


def _ec_cedula(nine: int) -> str:
    total = _CI_212[nine // 1_000_000] + _CI_121[nine // 1000 % 1000] + _CI_212[nine % 1000]
    return f"{nine:09d}{-total % 10}"


def _given(rand: Callable[[], float], nat: int, male: bool) -> tuple[int, int]:
    firsts = voc.FIRST_TABLE[nat][0 if male else 1]
    first = firsts[int(rand() * len(firsts))]
    if rand() >= voc.SECOND_SHARE[nat]:
        return first, 0
    seconds = voc.SECOND_TABLE[0 if male else 1]
    second = seconds[int(rand() * len(seconds))]
    return (first, second) if voc.SECONDS[second - 1] != voc.FIRST[first] else (first, 0)


class _Population:
    """Persons 0..size-1 as compact arrays (14 bytes each); ``person(k)`` builds one."""

    def __init__(self, *, size: int, seed: int) -> None:
        if size < 0:
            raise ValueError("size must be >= 0")
        rng = random.Random(seed)
        rand, self.size, span = rng.random, size, range(size)
        self.offsets = [rng.randrange(1 << 40) for _ in _PRIMES]
        nat = [voc.NATIONALITY_TABLE[int(rand() * len(voc.NATIONALITY_TABLE))] for _ in span]
        male = [rand() < 0.5 for _ in span]
        given = [_given(rand, n, m) for n, m in zip(nat, male, strict=True)]
        sur1, sur2 = (
            [(t := voc.SURNAME_TABLE[n])[int(rand() * len(t))] for n in nat] for _ in "12"
        )
        birth = [
            y + int(rand() * d)
            for y, d in (voc.BIRTH_YEARS[int(rand() * len(voc.BIRTH_YEARS))] for _ in span)
        ]
        for base in range(0, size, _BLOCK):  # the second of each pair: a sibling or a namesake
            for j in range(base + 1, min(base + _PAIRS, size), 2):
                k = j - 1
                nat[j], sur1[j], sur2[j] = nat[k], sur1[k], sur2[k]
                if j - base < _SIBLINGS:
                    male[j] = rand() < 0.5
                    given[j] = _given(rand, nat[k], male[j])
                    while given[j][0] == given[k][0]:
                        given[j] = _given(rand, nat[k], male[j])
                    gap = rng.randint(365, 15 * 365 + 3) * (1 if rand() < 0.5 else -1)
                    ok = voc.FIRST_DAY <= birth[k] + gap <= voc.LAST_DAY
                    birth[j] = birth[k] + gap if ok else birth[k] - gap
                else:
                    male[j], given[j] = male[k], given[k]
                    while abs(birth[j] - birth[k]) < 30:
                        birth[j] = rng.randint(voc.FIRST_DAY, voc.LAST_DAY)
        self.nat, self.male = array("B", nat), array("B", male)
        self.first = array("H", (g[0] for g in given))
        self.second = array("H", (g[1] for g in given))
        self.sur1, self.sur2, self.birth = array("H", sur1), array("H", sur2), array("I", birth)

    def person(self, k: int) -> Person:
        nat, second, offsets = voc.COUNTRIES[self.nat[k]], self.second[k], self.offsets
        first = voc.FIRST[self.first[k]]
        born = date.fromordinal(self.birth[k])
        if nat == "CL":
            number = _rut(4_000_000 + (_PRIMES[0] * k + offsets[0]) % 24_000_000)
        elif nat == "EC":  # province 01-24, third digit 0-5, serial of 6 digits
            v = (_PRIMES[1] * k + offsets[1]) % 144_000_000
            number = _ec_cedula((v // 6_000_000 + 1) * 10**7 + v % 6_000_000)
        elif nat == "PE":
            number = str(10_000_000 + (_PRIMES[2] * k + offsets[2]) % 70_000_000)
        elif nat == "CO":  # 10 digits since 2004, 6-9 before
            v = (_PRIMES[3] * k + offsets[3]) % 100_000_000
            number = str((1_000_000_000 if born.year >= 2003 else 100_000) + v)
        elif nat == "VE":
            number = f"V{500_000 + (_PRIMES[4] * k + offsets[4]) % 34_500_000}"
        else:
            number = ""
        v = (_PRIMES[5] * k + offsets[5]) % _PASSPORT_MODULUS[nat]
        passport = _PASSPORT_FORMAT[nat].format(v, chr(65 + v // 1_000_000), v % 1_000_000)
        r = k % _BLOCK
        partner = _person_id(k ^ 1) if r < _PAIRS and (k ^ 1) < self.size else ""
        return Person(
            _person_id(k),
            (first, voc.SECONDS[second - 1]) if second else (first,),
            voc.SURNAMES[self.sur1[k]],
            voc.SURNAMES[self.sur2[k]],
            born,
            "M" if self.male[k] else "F",
            nat,
            NATIONAL_DOCUMENT.get(nat, ""),
            number,
            passport,
            partner if r < _SIBLINGS else "",
            "" if r < _SIBLINGS else partner,
        )


def _person_id(k: int) -> str:
    return f"P{k:08d}"


def population(*, size: int, seed: int) -> list[Person]:
    """``size`` persons of the region, the same for the same seed and size."""
    people = _Population(size=size, seed=seed)
    return [people.person(k) for k in range(size)]


# --- a registry writes a person ------------------------------------------------------------


def _typo(name: str, rand: Callable[[], float]) -> str:
    variants = voc.typo_variants(name)
    return variants[int(rand() * len(variants))] if variants else name


def _particles(surname: str, rand: Callable[[], float], profile: RegistryProfile) -> str:
    head, space, _ = surname.partition(" ")
    if not space or head not in voc.PARTICLES:
        return surname
    u = rand()
    if u < profile.glue_particles:
        glued = surname.replace(" ", "")
        return glued[0].upper() + glued[1:].lower()
    if u < profile.glue_particles + profile.drop_particles:
        return surname.rpartition(" ")[2]
    return surname


def _digit_typo(number: str, kind: str, rand: Callable[[], float]) -> str:
    end = len(number) - (2 if "-" in number else 1 if kind == "CI_EC" else 0)
    places = [i for i in range(end) if number[i].isdigit()]
    i = places[int(rand() * len(places))]
    return f"{number[:i]}{(int(number[i]) + 1 + int(rand() * 9)) % 10}{number[i + 1 :]}"


def _row(person: Person, rand: Callable[[], float], p: RegistryProfile, rid: str) -> list[str]:
    given, s1, s2 = list(person.given_names), person.surname_1, person.surname_2
    if p.typo:
        if rand() < p.typo:
            i = int(rand() * len(given))
            given[i] = _typo(given[i], rand)
        if rand() < p.typo:
            s1 = _typo(s1, rand)
        if s2 and rand() < p.typo:
            s2 = _typo(s2, rand)
    if len(given) > 1:
        u = rand()
        if u < p.cut_given:
            given = given[:1]
        elif u < p.cut_given + p.initial_given:
            if rand() < 0.5:
                given[0] = given[0][0] + "."
            else:
                given[1:] = [g.rpartition(" ")[2][0] + "." for g in given[1:]]
    if p.glue_particles or p.drop_particles:
        s1 = _particles(s1, rand, p) if " " in s1 else s1
        s2 = _particles(s2, rand, p) if " " in s2 else s2
    foreign = person.nationality != p.country
    if s2 and rand() < (p.drop_surname_2_foreign if foreign else p.drop_surname_2):
        s2 = ""
    names = " ".join(given)
    u = rand()
    if u < p.swap_names:
        names, s1, s2 = f"{s1} {s2}".strip(), given[0], " ".join(given[1:])
    elif s2 and u < p.swap_names + p.surnames_in_one:
        s1, s2 = f"{s1} {s2}", ""
    u = rand()
    if u < p.icao:
        names, s1, s2 = (x.translate(_ICAO).upper() for x in (names, s1, s2))
    else:
        if u < p.icao + p.ascii:
            names, s1, s2 = names.translate(_ASCII), s1.translate(_ASCII), s2.translate(_ASCII)
        u = rand()
        if u < p.upper:
            names, s1, s2 = names.upper(), s1.upper(), s2.upper()
        elif u < p.upper + p.lower:
            names, s1, s2 = names.lower(), s1.lower(), s2.lower()
        elif u < p.upper + p.lower + p.title:
            names, s1, s2 = names.title(), s1.title(), s2.title()
    born, swap, shift = person.birth_date, rand() < p.swap_day_month, rand() < p.year_off_by_one
    if rand() < p.missing_birth_date:
        birth = ""
    elif swap or shift:
        y, m, d = born.year, born.month, born.day
        if swap and d <= 12 and m <= 12:
            m, d = d, m
        if shift:
            y += 1 if rand() < 0.5 else -1
            d = 28 if m == 2 and d == 29 else d
        birth = f"{y:04d}-{m:02d}-{d:02d}"
    else:
        birth = born.isoformat()
    sex = "" if rand() < p.missing_sex else person.sex
    nationality = "" if rand() < p.missing_nationality else person.nationality
    kind = person.document_type
    if kind and (not foreign or rand() >= p.foreign_passport):
        number = person.document_number
    else:
        kind, number = "PASSPORT", person.passport_number
    if rand() < p.missing_document:
        kind = number = ""
    else:
        u = rand()
        if kind in _CHECKED and u < p.check_digit_dropped:
            number = number[:-2] if kind == "RUT_CL" else number[:-1]
        elif p.check_digit_dropped <= u < p.check_digit_dropped + p.document_typo:
            number = _digit_typo(number, kind, rand)
        if rand() < p.missing_document_type:
            kind = ""
    return [rid, names, s1, s2, birth, sex, nationality, kind, number]


def corrupt(
    person: Person, *, rng: random.Random, registry_profile: RegistryProfile, record_id: str = ""
) -> dict[str, str]:
    """The row a registry with ``registry_profile`` writes for ``person`` (keys: ``HEADER``)."""
    return dict(zip(HEADER, _row(person, rng.random, registry_profile, record_id), strict=True))


# --- files ---------------------------------------------------------------------------------


def _ids(rng: random.Random, prefix: str) -> Callable[[int], str]:
    # A bijection on 40 bits (odd multipliers, xor-shifts): unique, random-looking ids.
    a, b, c, mask = rng.getrandbits(40) | 1, rng.getrandbits(40), rng.getrandbits(40) | 1, 2**40 - 1

    def record_id(i: int) -> str:
        x = (a * i + b) & mask
        x = ((x ^ (x >> 19)) * c) & mask
        return f"{prefix}{x ^ (x >> 21):010X}"

    return record_id


def _write(path: Path, rows: Rows, header: Sequence[str] = HEADER) -> int:
    """Stream ``rows`` to a UTF-8 CSV under ``header``; return how many were written."""
    written = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        while batch := list(islice(rows, 10_000)):
            writer.writerows(batch)
            written += len(batch)
    return written


def linkage_pair(
    *,
    left_size: int,
    overlap: float,
    right_size: int,
    seed: int,
    left_path: Path,
    right_path: Path,
    truth_path: Path,
    left_profile: RegistryProfile = CHILE,
    right_profile: RegistryProfile = ECUADOR,
    key_path: Path | None = None,
) -> LinkageTruth:
    """Two registries sharing ``round(overlap * left_size)`` persons, each at most once.

    ``truth_path`` gets ``left_id,right_id`` of every shared person. ``key_path`` (optional,
    for analysis, never for the linker: person ids pair siblings) gets ``record_id,person_id``
    of both registries, ids of ``population(size=persons, seed=seed)``. Rows are shuffled and
    ids random-looking, so neither leaks the truth.
    """
    both = round(overlap * left_size)
    if not 0.0 <= overlap <= 1.0 or left_size < 0 or not 0 <= both <= right_size:
        raise ValueError("need 0 <= overlap <= 1 and overlap * left_size <= right_size")
    if left_profile.prefix == right_profile.prefix:
        raise ValueError("the two profiles need different record id prefixes")
    size = left_size + right_size - both
    people = _Population(size=size, seed=seed)
    rng = random.Random(f"alianza-linkage:{seed}")
    order = array("I", range(size))
    rng.shuffle(order)
    left, right = order[:left_size], order[:both] + order[left_size:]
    rng.shuffle(left)
    rng.shuffle(right)
    left_id, right_id = _ids(rng, left_profile.prefix), _ids(rng, right_profile.prefix)
    left_at, in_right = array("i", [-1]) * size, bytearray(size)
    for i, k in enumerate(left):
        left_at[k] = i
    for k in right:
        in_right[k] = 1
    noise = random.Random(f"alianza-linkage-rows:{seed}").random

    def rows(persons: array[int], ids: Callable[[int], str], p: RegistryProfile) -> Rows:
        return (_row(people.person(k), noise, p, ids(i)) for i, k in enumerate(persons))

    _write(left_path, rows(left, left_id, left_profile))
    _write(right_path, rows(right, right_id, right_profile))
    truth = ([left_id(left_at[k]), right_id(j)] for j, k in enumerate(right) if left_at[k] >= 0)
    matches = _write(truth_path, truth, ("left_id", "right_id"))
    if key_path is not None:
        keys = chain(
            ([left_id(i), _person_id(k)] for i, k in enumerate(left)),
            ([right_id(j), _person_id(k)] for j, k in enumerate(right)),
        )
        _write(key_path, keys, ("record_id", "person_id"))
    crossing = [0, 0]  # sibling pairs, namesake pairs split across the registries
    for k in range(0, size - 1, 2):
        if k % _BLOCK < _PAIRS and (
            (left_at[k] >= 0 and in_right[k + 1]) or (left_at[k + 1] >= 0 and in_right[k])
        ):
            crossing[k % _BLOCK >= _SIBLINGS] += 1
    return LinkageTruth(
        left_path, right_path, truth_path, left_size, right_size, matches, size, *crossing
    )


def dedupe_set(
    *, size: int, seed: int, path: Path, truth_path: Path, profile: RegistryProfile = COLOMBIA
) -> DedupeTruth:
    """``size`` records of one registry; persons appear 1-4 times (``DEDUPE_COPIES``).

    ``truth_path`` gets ``record_id,person_id``, ids of ``population(size=persons, seed)``.
    """
    if size < 0:
        raise ValueError("size must be >= 0")
    rng = random.Random(f"alianza-dedupe:{seed}")
    copies = array("B")
    total = 0
    while total < size:
        count = min(DEDUPE_COPIES[int(rng.random() * len(DEDUPE_COPIES))], size - total)
        copies.append(count)
        total += count
    people = _Population(size=len(copies), seed=seed)
    records = array("I", (k for k, count in enumerate(copies) for _ in range(count)))
    rng.shuffle(records)
    ids, rand = _ids(rng, profile.prefix), rng.random
    _write(path, (_row(people.person(k), rand, profile, ids(i)) for i, k in enumerate(records)))
    truth = ([ids(i), _person_id(k)] for i, k in enumerate(records))
    _write(truth_path, truth, ("record_id", "person_id"))
    return DedupeTruth(
        path, truth_path, size, len(copies), sum(c > 1 for c in copies),
        sum(c * (c - 1) // 2 for c in copies),
    )  # fmt: skip
