"""Deterministic synthetic records for the demo, the tests and the benchmarks.

Nothing here is real: every person, document, vehicle, vessel, container, organisation
(apart from the public names of well-known criminal groups) and seizure is drawn from
``random.Random(seed)``, so the same seed always yields the same records.

The proportions follow the public figures in ``docs/product.md`` (section "Figures"):

- nationalities: Venezuelans abroad 7.89 million (R4V, November 2024), about 530,000-650,000
  of them in Chile and about 445,000 in Ecuador (R4V, July 2024), next to Colombians and
  Peruvians on the same corridor;
- seizures: Ecuador seized 294.6 t of drugs in 2024 (210 t in 2021, 201 t in 2022, about
  211 t in 2023); quantities are drawn from a heavy-tailed log-normal distribution (median
  about 33 kg, mean about 110 kg, capped at 9 t), so roughly 2,700 seizures add up to a
  year like 2024;
- ports: Guayaquil handles about 87% of Ecuador's cargo (about 2.1 million TEU in
  January-October 2024); Posorja, Puerto Bolívar and Manta share the rest.

Persons include siblings (both surnames shared, about 3%) and namesakes (same full name,
another birth date, about 2%), the cases identity matching must get right. Word lists and
weights live in ``alianza.demo.vocabulary``.

Every ``data`` dict is already in the canonical form ``validate_data`` returns, and every
``rules`` dict builds a valid ``Rules``. Speed matters (the benchmarks generate a million
records), so every table is built once at import, the rules of a run come from a pool of
combinations, and each record costs a handful of ``random()`` calls.
``tests/demo/test_generator.py`` checks the output against the gates and python-stdnum.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from alianza.demo import vocabulary as voc
from alianza.errors import InputError
from alianza.records.rules import RecordKind

T = TypeVar("T")

__all__ = ["GeneratedRecord", "generate_records"]


@dataclass(slots=True)
class GeneratedRecord:
    """One synthetic record: its kind, its data and the rules that travel with it."""

    kind: RecordKind
    data: dict[str, Any]
    rules: dict[str, Any]


def _digit_sums(weights: tuple[int, ...], *, fold: bool = False) -> tuple[int, ...]:
    """Weighted digit sum of every number of ``len(weights)`` digits, leading zeros included.

    Check digits are computed from these tables, two or three look-ups per number, because
    calling python-stdnum for each of a million records would halve the generator's speed.
    The sums are the ones stdnum computes; the tests check every generated identifier with
    stdnum's validators.
    """
    if not weights:
        return (0,)
    rest = _digit_sums(weights[1:], fold=fold)
    head = [weights[0] * digit for digit in range(10)]
    if fold:
        head = [value - 9 if value > 9 else value for value in head]
    return tuple(value + tail for value in head for tail in rest)


# Chile RUN/RUT (as stdnum.cl.rut): digits from the right weigh 9, 8, 7, 6, 5, 4, 9, 8.
_RUT_HIGH = _digit_sums((8, 9, 4, 5))
_RUT_LOW = _digit_sums((6, 7, 8, 9))
# Ecuador cédula (as stdnum.ec.ci): weights 2, 1, 2, ... with products above 9 less 9.
_CI_212 = _digit_sums((2, 1, 2), fold=True)
_CI_121 = _digit_sums((1, 2, 1), fold=True)
# IMO (as stdnum.imo): the first six digits weigh 7 to 2.
_IMO_HIGH = _digit_sums((7, 6, 5))
_IMO_LOW = _digit_sums((4, 3, 2))
# ISO 6346 (as stdnum.iso6346): character i weighs 2**i; letters use the code's alphabet.
_ISO_ALPHABET = "0123456789A BCDEFGHIJK LMNOPQRSTU VWXYZ"
_ISO_OWNER = {
    code: sum(_ISO_ALPHABET.index(ch) * 2**i for i, ch in enumerate(code))
    for code in voc.OWNER_CODES
}
_ISO_HIGH = _digit_sums((16, 32, 64))
_ISO_LOW = _digit_sums((128, 256, 512))


def _rut(body: int) -> str:
    """A RUN/RUT in canonical form, ``12345678-5``."""
    high, low = divmod(body, 10_000)
    return f"{body}-{'0123456789K'[(_RUT_HIGH[high] + _RUT_LOW[low]) % 11]}"


def _ec_cedula(province: int, third: int, serial: int) -> str:
    """A 10-digit Ecuadorian cédula: province 01-24, third digit below 6, check digit."""
    high, low = divmod(serial, 1000)
    total = _CI_212[province * 10 + third] + _CI_121[high] + _CI_212[low]
    return f"{province:02d}{third}{serial:06d}{(10 - total % 10) % 10}"


def _imo(first6: int) -> str:
    """A 7-digit IMO number from its first six digits."""
    high, low = divmod(first6, 1000)
    return f"{first6:06d}{(_IMO_HIGH[high] + _IMO_LOW[low]) % 10}"


def _container(owner: str, serial: int) -> str:
    """An 11-character ISO 6346 container number from owner code and 6-digit serial."""
    high, low = divmod(serial, 1000)
    check = (_ISO_OWNER[owner] + _ISO_HIGH[high] + _ISO_LOW[low]) % 11 % 10
    return f"{owner}{serial:06d}{check}"


class _Generator:
    """Builds records of each kind from one seeded random stream."""

    def __init__(self, *, seed: int, country: str) -> None:
        self.rng = random.Random(seed)
        self.r = self.rng.random
        self.country = country
        self.nationalities = voc.NATIONALITIES[country]
        self.legal_bases = voc.LEGAL_BASES[country]
        self.partners = voc.PARTNERS[country]
        self.shell_suffix = voc.SHELL_SUFFIX[country]
        # Recent persons, kept to make siblings (same two surnames) and namesakes.
        self.recent: list[tuple[str, str, str, str, int, str]] = []
        self.seizure_seq = dict.fromkeys(voc.PORT_CODES.values(), 0)

    def pick(self, items: Sequence[T]) -> T:
        return items[int(self.r() * len(items))]

    def digits(self, low: int, high: int) -> int:
        return low + int(self.r() * (high - low))

    # --- persons ---------------------------------------------------------------------

    def surname(self, nationality: str) -> str:
        local = voc.LOCAL_SURNAMES.get(nationality, voc.FOREIGN_SURNAMES)
        return self.pick(local if self.r() < 0.4 else voc.COMMON_SURNAMES)

    def given_names(self, sex: str) -> str:
        male = sex == "M"
        first = self.pick(voc.MALE if male else voc.FEMALE)
        if " " not in first and self.r() < 0.45:
            return f"{first} {self.pick(voc.SECOND_MALE if male else voc.SECOND_FEMALE)}"
        return first

    def national_document(self, nationality: str, year: int) -> dict[str, Any] | None:
        r = self.r
        if nationality == "CL":
            # RUNs are issued in sequence, so older people hold lower numbers.
            body = 4_000_000 + (year - 1950) * 330_000 + int(r() * 600_000)
            return {"type": "RUT_CL", "number": _rut(body), "country": "CL"}
        if nationality == "EC":
            cedula = _ec_cedula(1 + int(r() * 24), int(r() * 6), int(r() * 1_000_000))
            return {"type": "CI_EC", "number": cedula, "country": "EC"}
        if nationality == "PE":
            return {"type": "DNI_PE", "number": f"{int(r() * 80_000_000):08d}", "country": "PE"}
        if nationality == "CO":
            number = (
                self.digits(10_000_000, 99_999_999)
                if year < 1990
                else self.digits(1_000_000_000, 1_150_000_000)
            )
            return {"type": "CC_CO", "number": str(number), "country": "CO"}
        if nationality == "VE":
            number = (
                self.digits(3_000_000, 9_999_999)
                if year < 1985
                else self.digits(10_000_000, 32_000_000)
            )
            return {"type": "CI_VE", "number": f"V{number}", "country": "VE"}
        return None

    def passport(self, nationality: str) -> dict[str, Any]:
        prefix = voc.PASSPORT_PREFIX.get(nationality, "P")
        width = 9 - len(prefix)
        number = int(self.r() * 10**width)
        return {"type": "PASSPORT", "number": f"{prefix}{number:0{width}d}", "country": nationality}

    def person(self) -> dict[str, Any]:
        r = self.r
        roll = r()
        recent = self.recent
        if roll < 0.03 and recent:
            # Sibling: both surnames shared, own given names, born within about 12 years.
            _, s1, s2, nat, birth, _ = self.pick(recent)
            sex = "M" if r() < 0.5 else "F"
            given = self.given_names(sex)
            birth = min(max(birth + int((r() - 0.5) * 8_800), 0), len(voc.BIRTH_DATES) - 1)
        elif roll < 0.05 and recent:
            # Namesake: same full name and nationality, another person born another day.
            given, s1, s2, nat, _, sex = self.pick(recent)
            birth = int(r() * len(voc.BIRTH_DATES))
        else:
            nat = self.pick(self.nationalities)
            sex = "M" if r() < 0.55 else "F"
            given = self.given_names(sex)
            s1 = self.surname(nat)
            s2 = self.surname(nat)
            birth = int(r() * len(voc.BIRTH_DATES))
            if len(recent) < 512:
                recent.append((given, s1, s2, nat, birth, sex))
            else:
                recent[int(r() * 512)] = (given, s1, s2, nat, birth, sex)
        birth_date = voc.BIRTH_DATES[birth]
        documents: list[dict[str, Any]] = []
        national = self.national_document(nat, int(birth_date[:4]))
        if national is not None:
            documents.append(national)
        if self.country == "CL" and nat in ("VE", "PE", "CO", "HT", "BO") and r() < 0.4:
            # Foreign residents in Chile get a RUN in the 25-27 million range.
            body = self.digits(25_000_000, 28_000_000)
            documents.append({"type": "RUT_CL", "number": _rut(body), "country": "CL"})
        if national is None or r() < (0.4 if nat == "VE" else 0.15):
            documents.append(self.passport(nat))
        data: dict[str, Any] = {
            "category": self.pick(voc.CATEGORIES),
            "given_names": given,
            "surname_1": s1,
            "surname_2": s2,
            "birth_date": birth_date,
            "sex": sex,
            "nationality": nat,
            "documents": documents,
            "aliases": [self.pick(voc.ALIASES)] if r() < 0.08 else [],
        }
        if r() < 0.15:
            data["notes"] = self.pick(voc.PERSON_NOTES)
        return data

    # --- other kinds -----------------------------------------------------------------

    def document(self) -> dict[str, Any]:
        issuing = self.pick(voc.DOC_COUNTRIES)
        year = int(self.pick(voc.BIRTH_DATES)[:4])
        doc = self.passport(issuing) if self.r() < 0.35 else self.national_document(issuing, year)
        assert doc is not None  # voc.DOC_COUNTRIES only lists countries with a national ID
        data: dict[str, Any] = {
            "status": self.pick(voc.DOC_STATUS),
            "document_type": doc["type"],
            "number": doc["number"],
            "issuing_country": issuing,
        }
        if self.r() < 0.7:
            sex = "M" if self.r() < 0.5 else "F"
            data["holder_name"] = (
                f"{self.given_names(sex)} {self.surname(issuing)} {self.surname(issuing)}"
            )
        return data

    def vehicle(self) -> dict[str, Any]:
        r, pick = self.r, self.pick
        home = r() < 0.8
        if (self.country == "CL") == home:
            if r() < 0.7:  # 2007 format, BCDF12
                letters = voc.CL_PLATE_LETTERS
                plate = "".join([pick(letters) for _ in range(4)]) + f"{int(r() * 100):02d}"
            else:  # older format, AB1234
                letters = voc.OLD_PLATE_LETTERS
                plate = pick(letters) + pick(letters) + f"{1000 + int(r() * 9000)}"
            plate_country = "CL"
        else:
            plate = (
                pick(voc.EC_PROVINCES)
                + pick(voc.OLD_PLATE_LETTERS)
                + pick(voc.OLD_PLATE_LETTERS)
                + f"{int(r() * 10_000):04d}"
            )
            plate_country = "EC"
        make, model = pick(voc.VEHICLES)
        return {
            "plate": plate,
            "country": plate_country,
            "make": make,
            "model": model,
            "colour": pick(voc.COLOURS),
            "status": pick(voc.VEHICLE_STATUS),
        }

    def vessel(self) -> dict[str, Any]:
        r, pick = self.r, self.pick
        mid = pick(voc.FLAGS)
        fishing = mid in ("735", "725") and r() < 0.5
        names = voc.FISHING_NAMES if fishing else voc.MERCHANT_NAMES
        data: dict[str, Any] = {"name": pick(names) + pick(voc.ROMAN)}
        if not fishing or r() < 0.7:
            data["imo"] = _imo(700_000 + int(r() * 300_000))
        data["mmsi"] = f"{mid}{int(r() * 1_000_000):06d}"
        data["flag"] = voc.MID_FLAG[mid]
        data["vessel_type"] = pick(voc.FISHING_TYPES if fishing else voc.MERCHANT_TYPES)
        return data

    def container_number(self) -> str:
        return _container(self.pick(voc.OWNER_CODES), int(self.r() * 1_000_000))

    def container(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "number": self.container_number(),
            "status": self.pick(voc.CONTAINER_STATUS),
            "last_port": self.pick(voc.PORTS),
        }
        if self.r() < 0.3:
            data["notes"] = self.pick(voc.CARGO_NOTES)
        return data

    def organisation(self) -> dict[str, Any]:
        r, pick = self.r, self.pick
        if r() < 0.4:
            name, country, aliases = pick(voc.GANGS)
            data: dict[str, Any] = {
                "name": name + pick(voc.CELLS),
                "country": country,
                "org_type": "organización criminal",
                "aliases": list(aliases),
            }
        else:
            name = f"{pick(voc.SHELL_PREFIX)} {pick(voc.SHELL_CORE)} {pick(self.shell_suffix)}"
            data = {
                "name": name,
                "country": self.country,
                "org_type": "empresa de fachada",
                "aliases": [],
            }
        if r() < 0.25:
            data["notes"] = pick(voc.ORG_NOTES)
        return data

    def seizure(self) -> dict[str, Any]:
        r, pick = self.r, self.pick
        port = pick(voc.PORTS)
        code = voc.PORT_CODES[port]
        self.seizure_seq[code] += 1
        substance = pick(voc.SUBSTANCES)
        # Log-normal: many small seizures, a few of several tonnes (see module docstring).
        kg = min(self.rng.lognormvariate(3.5 if substance != "ketamina" else 1.0, 1.6), 9_000.0)
        data: dict[str, Any] = {
            "reference": f"EC-{code}-2024-{self.seizure_seq[code]:06d}",
            "date": pick(voc.SEIZURE_DATES),
            "country": "EC",
            "place": f"Puerto de {port}",
            "substance": substance,
            "quantity_kg": round(kg, 1),
        }
        if r() < 0.6:
            data["container"] = self.container_number()
        if r() < 0.3:
            data["vessel_imo"] = _imo(900_000 + int(r() * 100_000))
        if r() < 0.3:
            data["notes"] = pick(voc.SEIZURE_NOTES)
        return data

    # --- rules -----------------------------------------------------------------------

    def rule_template(self, kind: RecordKind) -> dict[str, Any]:
        pick = self.pick
        code = pick(voc.HANDLING)
        scope = pick(voc.SCOPES)
        rules: dict[str, Any] = {
            "handling_code": code,
            "source_grade": pick(voc.SOURCE_GRADES),
            "info_grade": pick(voc.INFO_GRADES),
            "purpose": pick(voc.PURPOSES[kind]),
            "legal_basis": pick(self.legal_bases),
            "scope": scope,
        }
        if code == "H3":
            rules["handling_note"] = pick(voc.H3_NOTES)
        if scope == "partners":
            rules["scope_countries"] = pick(self.partners)
        return rules

    def rules(self, pool: Sequence[dict[str, Any]]) -> dict[str, Any]:
        # Drawn from a per-run pool of combinations (drawing each field anew per record
        # cost a quarter of the run); the copy keeps records independent of each other.
        rules = dict(self.pick(pool))
        countries = rules.get("scope_countries")
        if countries is not None:
            rules["scope_countries"] = list(countries)
        if self.r() < 0.7:
            rules["review_date"] = self.pick(voc.REVIEW_DATES)
        return rules


def generate_records(*, n: int, seed: int = 0, country: str = "CL") -> Iterator[GeneratedRecord]:
    """Yield ``n`` synthetic records for a node of ``country`` (CL or EC), same seed same data."""
    if n < 0:
        raise InputError.at("n", f"el número de registros no puede ser negativo ({n})")
    code = country.strip().upper()
    if code not in voc.NATIONALITIES:
        raise InputError.at("country", f"país sin datos de demostración '{country}'; use CL o EC")
    gen = _Generator(seed=seed, country=code)
    builders: dict[RecordKind, Callable[[], dict[str, Any]]] = {
        RecordKind.PERSON: gen.person,
        RecordKind.DOCUMENT: gen.document,
        RecordKind.VEHICLE: gen.vehicle,
        RecordKind.VESSEL: gen.vessel,
        RecordKind.CONTAINER: gen.container,
        RecordKind.ORGANISATION: gen.organisation,
        RecordKind.SEIZURE: gen.seizure,
    }
    pools = {
        kind: tuple(gen.rule_template(kind) for _ in range(voc.RULE_POOL)) for kind in builders
    }
    table = tuple((kind, builders[kind], pools[kind]) for kind in voc.KINDS)
    r, rules, size = gen.r, gen.rules, len(table)
    for _ in range(n):
        kind, build, pool = table[int(r() * size)]
        yield GeneratedRecord(kind=kind, data=build(), rules=rules(pool))
