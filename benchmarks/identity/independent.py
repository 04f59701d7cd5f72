"""Registries from a second generator, independent of ``alianza.identity.synthetic``.

The project's own generator (``synthetic.py``) encodes the project's own assumptions: its
surname table, its corruption list, its rates. A matcher tuned on it can fail on a registry
made by someone else, so this module draws registries from other sources and other
distributions, and nothing here reads ``synthetic.py`` or ``vocabulary.py``:

- **Names** from Faker's Spanish-language locales (``es_CO``, ``es_MX``, ``es_CL``,
  ``es_AR``, ``es_ES``), each nationality drawing from its own mix of locales, with Faker's
  own name frequencies; Argentines and Spaniards often have one surname only.
- **Nationalities** per setting (mostly Venezuelan in the first, as a migration registry).
- **Documents**: Chile RUT and Ecuador cédula with their check digits from python-stdnum,
  Venezuelan CI with or without ``V``, Colombian CC of 6-10 digits, Peruvian DNI, passports
  of two letters and seven digits; a share of each registry without any document.
- **Dates of birth**: ages 0-90 drawn from a triangular law, and registries that impute an
  unknown day and month as ``YYYY-01-01`` or ``YYYY-06-15`` (the contract admits only ISO
  dates, so imputation, not format, is what varies).
- **Corruptions** unlike ours: keyboard slips (a neighbouring key), a letter dropped,
  doubled or two swapped, OCR confusions (O/0, I/1, S/5 in documents), surnames written in
  reverse order, compound surnames hyphenated into one box, a married name ("DE PEREZ")
  appended, the second given name dropped or added, a date's digits transposed, day off
  by one, sex left out or wrong, nationality written as the country of residence.
- **Hard negatives**: twins (same surnames, birth date and document type, other given
  names) and parents and children sharing every name (``JR``), plus whatever namesakes
  Faker's frequencies produce.

Every row keeps the registry contract (``alianza.identity.contract``).

    .venv/bin/python benchmarks/identity/independent.py OUT_DIR [--setting NAME] [--seed N]

writes ``left.csv``, ``right.csv``, ``truth.csv`` (``left_id,right_id``) per setting.
"""

from __future__ import annotations

import argparse
import csv
import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

from faker import Faker
from stdnum.cl import rut
from stdnum.ec import ci

HEADER = ("record_id", "given_names", "surname_1", "surname_2", "birth_date", "sex",
          "nationality", "document_type", "document_number")  # fmt: skip
NATIONAL = {"VE": "CI_VE", "CO": "CC_CO", "EC": "CI_EC", "PE": "DNI_PE", "CL": "RUT_CL"}
# Which Faker locales name the people of each nationality (none has a Venezuelan,
# Ecuadorian or Peruvian locale: their neighbours' lists stand in, mixed).
LOCALES = {
    "VE": ("es_CO", "es_MX", "es_ES"),
    "CO": ("es_CO",),
    "EC": ("es_MX", "es_CO"),
    "PE": ("es_MX", "es_ES"),
    "CL": ("es_CL",),
    "AR": ("es_AR",),
    "ES": ("es_ES",),
}
ONE_SURNAME = {"AR": 0.85, "ES": 0.1}  # share of people of that nationality with one surname
_KEYBOARD = ["qwertyuiop", "asdfghjklñ", "zxcvbnm"]
_NEIGHBOURS = {
    ch: "".join(
        row[j]
        for r2, row in enumerate(_KEYBOARD)
        for j in (i - 1, i, i + 1)
        if abs(r2 - r) <= 1 and 0 <= j < len(row) and row[j] != ch
    )
    for r, row in enumerate(_KEYBOARD)
    for i, ch in enumerate(row)
}
_OCR = {"0": "O", "1": "I", "5": "S", "8": "B"}


@dataclass(frozen=True, slots=True)
class Noise:
    """How one registry writes a person; each rate is drawn per record."""

    keyboard: float = 0.04  # one letter of one name replaced by a neighbouring key
    drop_letter: float = 0.02
    double_letter: float = 0.02
    swap_letters: float = 0.02
    reverse_surnames: float = 0.02  # maternal first
    hyphenate: float = 0.03  # both surnames in surname_1 as "PEREZ-GOMEZ"
    married: float = 0.01  # women: "DE <husband's surname>" appended to the surnames
    drop_second_given: float = 0.2
    drop_surname_2: float = 0.1
    no_accents: float = 0.6
    upper: float = 0.7
    impute_date: float = 0.03  # day and month unknown: YYYY-01-01 or YYYY-06-15
    date_day_off: float = 0.02
    date_digits_swapped: float = 0.01  # 1987 written 1978, 12 written 21 when a date
    missing_birth: float = 0.02
    missing_sex: float = 0.05
    wrong_sex: float = 0.005
    missing_nationality: float = 0.05
    residence_as_nationality: float = 0.03  # the registry's own country instead
    missing_document: float = 0.1
    passport_instead: float = 0.3  # foreigners shown by passport, not national document
    document_typo: float = 0.02  # two digits swapped or an OCR confusion
    drop_prefix: float = 0.3  # Venezuelan CI without its V


@dataclass(frozen=True, slots=True)
class Setting:
    """One benchmark setting: who lives in the registries and how each writes them."""

    name: str
    description: str
    left_size: int
    right_size: int
    overlap: int  # persons in both registries
    nationalities: dict[str, float]
    country: tuple[str, str] = ("CO", "EC")  # where each registry is kept
    left: Noise = field(default_factory=Noise)
    right: Noise = field(default_factory=Noise)
    twins: float = 0.03  # share of persons with a twin in the population
    juniors: float = 0.01  # share with a parent of the same full name
    name_pool: int = 0  # >0: each locale's names cut to its N most frequent


_MIGRATION = {"VE": 0.62, "CO": 0.14, "EC": 0.1, "PE": 0.09, "CL": 0.05}
SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting(
            "migrantes",
            "10.000 × 9.084, mayoría venezolana, 5.084 en ambos",
            10_000,
            9_084,
            5_084,
            _MIGRATION,
            right=Noise(keyboard=0.06, drop_second_given=0.3, missing_document=0.15),
        ),
        Setting(
            "documentos_a_medias",
            "6.000 × 5.000, la mitad sin documento, sexo y nacionalidad a menudo vacíos",
            6_000,
            5_000,
            3_000,
            {"CO": 0.4, "VE": 0.3, "PE": 0.15, "EC": 0.1, "AR": 0.05},
            left=Noise(missing_document=0.5, missing_sex=0.3, missing_nationality=0.4),
            right=Noise(
                missing_document=0.5, missing_sex=0.4, missing_nationality=0.5, keyboard=0.05
            ),
        ),
        Setting(
            "nombres_comunes",
            "6.000 × 5.500, pocos nombres muy repetidos, gemelos, fechas imputadas",
            6_000,
            5_500,
            3_500,
            {"EC": 0.45, "PE": 0.3, "VE": 0.15, "CL": 0.1},
            country=("EC", "PE"),
            left=Noise(impute_date=0.15),
            right=Noise(impute_date=0.2, date_day_off=0.04, drop_second_given=0.35),
            twins=0.06,
            juniors=0.03,
            name_pool=40,
        ),
        Setting(
            "sucio",
            "5.000 × 5.000, corrupción fuerte en ambos lados",
            5_000,
            5_000,
            2_500,
            {"VE": 0.4, "CO": 0.3, "AR": 0.1, "ES": 0.1, "CL": 0.1},
            country=("CL", "AR"),
            left=Noise(keyboard=0.1, drop_letter=0.05, swap_letters=0.05, hyphenate=0.08),
            right=Noise(
                keyboard=0.12,
                drop_letter=0.06,
                double_letter=0.05,
                swap_letters=0.06,
                reverse_surnames=0.05,
                missing_birth=0.06,
                date_day_off=0.05,
                date_digits_swapped=0.03,
                document_typo=0.06,
                missing_document=0.25,
            ),
        ),
    )
}


@dataclass(slots=True)
class Person:
    given: list[str]
    surname_1: str
    surname_2: str
    born: date
    sex: str
    nationality: str
    document: str  # national document, "" for those without one
    passport: str


class _Names:
    """Names by locale and sex, drawn with Faker's own frequencies."""

    def __init__(self, seed: int, pool: int) -> None:
        self.fakers: dict[str, Faker] = {}
        self.pool = pool
        self.cache: dict[tuple[str, str], list[str]] = {}
        for locale in {loc for locs in LOCALES.values() for loc in locs}:
            fake = Faker(locale)
            fake.seed_instance(seed)
            self.fakers[locale] = fake

    def draw(self, rng: random.Random, locale: str, kind: str) -> str:
        fake = self.fakers[locale]
        make: Callable[[], str] = {
            "M": fake.first_name_male,
            "F": fake.first_name_female,
            "S": fake.last_name,
        }[kind]
        if not self.pool:
            return make()
        key = (locale, kind)
        if key not in self.cache:  # the N names Faker gives most often
            counts: dict[str, int] = {}
            for _ in range(4000):
                name = make()
                counts[name] = counts.get(name, 0) + 1
            self.cache[key] = sorted(counts, key=lambda n: -counts[n])[: self.pool]
        names = self.cache[key]  # Zipf over the pool: the first name a fifth of the time
        return rng.choices(names, cum_weights=self._zipf(len(names)))[0]

    @staticmethod
    def _zipf(n: int) -> list[float]:
        total, out = 0.0, []
        for rank in range(1, n + 1):
            total += 1.0 / rank
            out.append(total)
        return out


def _document(rng: random.Random, nationality: str, born: date) -> str:
    if nationality == "CL":
        body = str(rng.randint(5_000_000, 26_000_000))
        return f"{body}-{rut.calc_check_digit(body)}"
    if nationality == "EC":
        while True:
            nine = f"{rng.randint(1, 24):02d}{rng.randint(0, 5)}{rng.randint(0, 999_999):06d}"
            number = next((nine + d for d in "0123456789" if ci.is_valid(nine + d)), "")
            if number:
                return number
    if nationality == "VE":
        return f"V{rng.randint(3_000_000, 33_000_000)}"
    if nationality == "CO":
        return str(
            rng.randint(10**9, 2 * 10**9) if born.year >= 2000 else rng.randint(10**6, 10**8)
        )
    if nationality == "PE":
        return f"{rng.randint(10_000_000, 79_999_999)}"
    return ""


def _passport(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_uppercase, k=2)) + f"{rng.randint(0, 9_999_999):07d}"


def _person(rng: random.Random, names: _Names, setting: Setting, today: date) -> Person:
    nats, weights = zip(*setting.nationalities.items(), strict=True)
    nationality = rng.choices(nats, weights)[0]
    locale = rng.choice(LOCALES[nationality])
    sex = rng.choice("MF")
    given = [names.draw(rng, locale, sex)]
    if rng.random() < 0.6:
        second = names.draw(rng, rng.choice(LOCALES[nationality]), sex)
        if second != given[0]:
            given.append(second)
    surname_1 = names.draw(rng, locale, "S")
    one = rng.random() < ONE_SURNAME.get(nationality, 0.0)
    surname_2 = "" if one else names.draw(rng, rng.choice(LOCALES[nationality]), "S")
    age = rng.triangular(0, 90, 28)
    born = today - timedelta(days=int(age * 365.25))
    return Person(
        given=given,
        surname_1=surname_1,
        surname_2=surname_2,
        born=born,
        sex=sex,
        nationality=nationality,
        document=_document(rng, nationality, born),
        passport=_passport(rng),
    )


def population(setting: Setting, *, size: int, seed: int) -> list[Person]:
    """``size`` persons with the setting's twins and parent/child namesakes."""
    rng = random.Random(f"independent:{setting.name}:{seed}")
    names = _Names(seed, setting.name_pool)
    today = date(2026, 1, 1)
    people: list[Person] = []
    while len(people) < size:
        person = _person(rng, names, setting, today)
        people.append(person)
        u = rng.random()
        if u < setting.twins and len(people) < size:
            twin = _person(rng, names, setting, today)
            twin = replace(
                twin,
                surname_1=person.surname_1,
                surname_2=person.surname_2,
                born=person.born,
                nationality=person.nationality,
                document=_document(rng, person.nationality, person.born),
            )
            if twin.given[0] != person.given[0]:
                people.append(twin)
        elif u < setting.twins + setting.juniors and person.sex == "M" and len(people) < size:
            gap = timedelta(days=rng.randint(18 * 365, 40 * 365))
            if person.born - gap > date(1930, 1, 1):
                parent = replace(
                    person,
                    born=person.born - gap,
                    document=_document(rng, person.nationality, person.born - gap),
                    passport=_passport(rng),
                )
                people.append(parent)
    rng.shuffle(people)
    return people


# --- a registry writes a person ------------------------------------------------------------


def _slip(rng: random.Random, text: str, noise: Noise) -> str:
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text) - 1)
    u = rng.random()
    if u < noise.keyboard:
        ch = text[i].lower()
        near = _NEIGHBOURS.get(ch, "")
        if near:
            new = rng.choice(near)
            return text[:i] + (new.upper() if text[i].isupper() else new) + text[i + 1 :]
        return text
    u -= noise.keyboard
    if u < noise.drop_letter:
        return text[:i] + text[i + 1 :]
    u -= noise.drop_letter
    if u < noise.double_letter:
        return text[:i] + text[i] + text[i:]
    u -= noise.double_letter
    if u < noise.swap_letters:
        return text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]
    return text


def _strip_accents(text: str) -> str:
    return text.translate(str.maketrans("áéíóúüÁÉÍÓÚÜ", "aeiouuAEIOUU"))


def _birth(rng: random.Random, born: date, noise: Noise) -> str:
    u = rng.random()
    if u < noise.missing_birth:
        return ""
    u -= noise.missing_birth
    if u < noise.impute_date:
        return f"{born.year:04d}-" + rng.choice(("01-01", "06-15"))
    u -= noise.impute_date
    if u < noise.date_day_off:
        return (born + timedelta(days=rng.choice((-1, 1)))).isoformat()
    u -= noise.date_day_off
    if u < noise.date_digits_swapped:
        year = f"{born.year:04d}"
        swapped = year[:2] + year[3] + year[2]
        if 1900 <= int(swapped) <= 2025 and swapped != year:
            try:
                return date(int(swapped), born.month, born.day).isoformat()
            except ValueError:
                pass
    return born.isoformat()


def _number_typo(rng: random.Random, number: str) -> str:
    digits = [i for i, ch in enumerate(number) if ch.isdigit()]
    if len(digits) < 3:
        return number
    if rng.random() < 0.5:
        i = rng.choice(digits[:-1])
        if number[i + 1].isdigit():
            return number[:i] + number[i + 1] + number[i] + number[i + 2 :]
    i = rng.choice(digits)
    return number[:i] + _OCR.get(number[i], number[i]) + number[i + 1 :]


def write_row(
    person: Person, rng: random.Random, noise: Noise, country: str, record_id: str
) -> list[str]:
    """The row a registry of ``country`` with ``noise`` writes for ``person``."""
    given = list(person.given)
    if len(given) > 1 and rng.random() < noise.drop_second_given:
        given = given[:1]
    s1, s2 = person.surname_1, person.surname_2
    if rng.random() < noise.drop_surname_2:
        s2 = ""
    parts = [" ".join(given), s1, s2]
    k = rng.randrange(3)
    parts[k] = _slip(rng, parts[k], noise)
    names, s1, s2 = parts
    u = rng.random()
    if s2 and u < noise.reverse_surnames:
        s1, s2 = s2, s1
    elif s2 and u < noise.reverse_surnames + noise.hyphenate:
        s1, s2 = f"{s1}-{s2}", ""
    if person.sex == "F" and rng.random() < noise.married:
        husband = Faker("es_CO")
        husband.seed_instance(rng.randrange(1 << 30))
        if s2:
            s2 = f"{s2} de {husband.last_name()}"
        else:
            s1 = f"{s1} de {husband.last_name()}"
    if rng.random() < noise.no_accents:
        names, s1, s2 = _strip_accents(names), _strip_accents(s1), _strip_accents(s2)
    if rng.random() < noise.upper:
        names, s1, s2 = names.upper(), s1.upper(), s2.upper()
    sex = person.sex
    if rng.random() < noise.missing_sex:
        sex = ""
    elif rng.random() < noise.wrong_sex:
        sex = "M" if sex == "F" else "F"
    nationality = person.nationality
    u = rng.random()
    if u < noise.missing_nationality:
        nationality = ""
    elif u < noise.missing_nationality + noise.residence_as_nationality:
        nationality = country
    kind, number = NATIONAL.get(person.nationality, ""), person.document
    if not number or (person.nationality != country and rng.random() < noise.passport_instead):
        kind, number = "PASSPORT", person.passport
    if kind == "CI_VE" and rng.random() < noise.drop_prefix:
        number = number[1:]
    if rng.random() < noise.document_typo:
        number = _number_typo(rng, number)
    if rng.random() < noise.missing_document:
        kind = number = ""
    birth = _birth(rng, person.born, noise)
    return [record_id, names, s1, s2, birth, sex, nationality, kind, number]


@dataclass(frozen=True, slots=True)
class Written:
    left: Path
    right: Path
    truth: Path
    matches: int


def write_setting(setting: Setting, folder: Path, *, seed: int) -> Written:
    """Write the setting's two registries and their truth under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    size = setting.left_size + setting.right_size - setting.overlap
    people = population(setting, size=size, seed=seed)
    rng = random.Random(f"independent-rows:{setting.name}:{seed}")
    left_people = list(range(setting.left_size))
    right_people = list(range(setting.overlap)) + list(range(setting.left_size, size))
    rng.shuffle(left_people)
    rng.shuffle(right_people)
    ids_l = {k: f"I{seed % 100:02d}-{i:06d}" for i, k in enumerate(left_people)}
    ids_r = {k: f"D{seed % 100:02d}-{i:06d}" for i, k in enumerate(right_people)}
    paths = Written(folder / "left.csv", folder / "right.csv", folder / "truth.csv", 0)
    for path, order, ids, noise, country in (
        (paths.left, left_people, ids_l, setting.left, setting.country[0]),
        (paths.right, right_people, ids_r, setting.right, setting.country[1]),
    ):
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(HEADER)
            for k in order:
                writer.writerow(write_row(people[k], rng, noise, country, ids[k]))
    with paths.truth.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(("left_id", "right_id"))
        for k in range(setting.overlap):
            writer.writerow((ids_l[k], ids_r[k]))
    return replace(paths, matches=setting.overlap)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--setting", choices=sorted(SETTINGS), action="append")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    for name in args.setting or sorted(SETTINGS):
        written = write_setting(SETTINGS[name], args.out / name, seed=args.seed)
        print(f"{name}: {written.left}, {written.right}, {written.matches} pares verdaderos")


if __name__ == "__main__":
    main()
