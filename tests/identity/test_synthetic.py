"""The synthetic identity generator: contract, valid documents, corruption rates, the truth."""

from __future__ import annotations

import csv
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from stdnum.cl import rut
from stdnum.ec import ci
from stdnum.pe import cui

from alianza.codes.identifiers import normalize_document
from alianza.identity import vocabulary as voc
from alianza.identity.synthetic import (
    CHILE,
    CLEAN,
    COLOMBIA,
    DOCUMENT_TYPES,
    ECUADOR,
    HEADER,
    NATIONALITIES,
    DedupeTruth,
    LinkageTruth,
    Person,
    RegistryProfile,
    corrupt,
    dedupe_set,
    linkage_pair,
    population,
)

Row = dict[str, str]
LEFT, OVERLAP, RIGHT, SEED = 2_000, 0.6, 1_800, 5
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def read(path: Path) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


def make_pair(
    folder: Path, *, seed: int = SEED, left: int = LEFT, right: int = RIGHT, **kw: RegistryProfile
) -> LinkageTruth:
    folder.mkdir(parents=True, exist_ok=True)
    return linkage_pair(
        left_size=left,
        overlap=OVERLAP,
        right_size=right,
        seed=seed,
        left_path=folder / "left.csv",
        right_path=folder / "right.csv",
        truth_path=folder / "truth.csv",
        key_path=folder / "keys.csv",
        **kw,
    )


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> LinkageTruth:
    return make_pair(tmp_path_factory.mktemp("pair"))


@pytest.fixture(scope="module")
def dedupe(tmp_path_factory: pytest.TempPathFactory) -> DedupeTruth:
    folder = tmp_path_factory.mktemp("dedupe")
    return dedupe_set(size=3_000, seed=SEED, path=folder / "d.csv", truth_path=folder / "t.csv")


def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def sounds(text: str) -> str:
    # Written independently of the generator: what Spanish spelling slips leave unchanged.
    key = fold(text).lower().replace("ll", "y").replace("z", "s")
    key = re.sub(r"c(?=[ei])", "s", key)
    return re.sub(r"g(?=[ei])", "j", key).replace("v", "b").replace("h", "")


# --- determinism and the contract ----------------------------------------------------------


def test_the_same_seed_gives_the_same_files_and_another_seed_others(tmp_path: Path) -> None:
    runs = [make_pair(tmp_path / name, seed=s, left=300, right=250) for name, s in
            (("a", 1), ("b", 1), ("c", 2))]  # fmt: skip
    for name in ("left.csv", "right.csv", "truth.csv", "keys.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "c" / name).read_bytes()
    assert runs[0].matches == runs[1].matches == 180
    assert runs[0].sibling_pairs == runs[1].sibling_pairs
    outputs = []
    for name in ("x", "y"):
        dedupe_set(size=400, seed=9, path=tmp_path / f"{name}.csv", truth_path=tmp_path / "t.csv")
        outputs.append((tmp_path / f"{name}.csv").read_bytes() + (tmp_path / "t.csv").read_bytes())
    assert outputs[0] == outputs[1]
    assert population(size=50, seed=3) == population(size=50, seed=3)
    assert population(size=50, seed=3) != population(size=50, seed=4)


def check_contract(path: Path) -> list[Row]:
    assert header(path) == list(HEADER)
    rows = read(path)
    ids = [row["record_id"] for row in rows]
    assert all(ids) and len(set(ids)) == len(ids)
    for row in rows:
        assert None not in row and None not in row.values()  # no row longer or shorter
        if row["birth_date"]:
            assert DATE.match(row["birth_date"]), row
            date.fromisoformat(row["birth_date"])
        assert row["sex"] in {"", "M", "F"}
        assert row["nationality"] in NATIONALITIES | {""}
        assert row["document_type"] in DOCUMENT_TYPES | {""}
        assert row["given_names"] or row["surname_1"], row
    return rows


def test_every_row_follows_the_contract(pair: LinkageTruth, dedupe: DedupeTruth) -> None:
    left, right = check_contract(pair.left_path), check_contract(pair.right_path)
    records = check_contract(dedupe.path)
    assert (len(left), len(right), len(records)) == (LEFT, RIGHT, 3_000)
    assert {r["record_id"][:3] for r in left} == {"CL-"}
    assert {r["record_id"][:3] for r in right} == {"EC-"}
    # The corrupted sets still use every value of the contract.
    assert {r["document_type"] for r in left + right} == DOCUMENT_TYPES | {""}
    assert {r["nationality"] for r in left + right} == NATIONALITIES | {""}


def check_document(kind: str, number: str) -> None:
    assert normalize_document(kind, number, field="doc")  # the project's own gate
    if kind == "RUT_CL":
        assert rut.is_valid(number) and re.fullmatch(r"\d{7,8}-[\dK]", number)
    elif kind == "CI_EC":
        assert ci.is_valid(number) and "01" <= number[:2] <= "24"
    elif kind == "DNI_PE":
        assert cui.is_valid(number) and re.fullmatch(r"\d{8}", number)
    elif kind == "CC_CO":
        assert re.fullmatch(r"\d{6,10}", number)
    elif kind == "CI_VE":
        assert re.fullmatch(r"V\d{6,8}", number)
    else:
        assert kind == "PASSPORT" and re.fullmatch(r"[A-Z0-9]{5,9}", number)


def test_documents_are_valid_and_unique_in_the_population() -> None:
    people = population(size=6_000, seed=2)
    for person in people:
        if person.document_type:
            check_document(person.document_type, person.document_number)
        check_document("PASSPORT", person.passport_number)
    numbers = [p.document_number for p in people if p.document_number]
    assert len(set(numbers)) == len(numbers)
    assert len({p.passport_number for p in people}) == len(people)
    assert {p.document_type for p in people} == DOCUMENT_TYPES - {"PASSPORT"} | {""}
    lengths = Counter(len(p.document_number) for p in people if p.document_type == "CC_CO")
    assert set(lengths) >= {6, 7, 8, 10}


def test_clean_registries_write_the_truth_and_valid_documents(tmp_path: Path) -> None:
    clean_cl, clean_ec = replace(CLEAN, prefix="A-"), replace(CLEAN, prefix="B-", country="EC")
    result = make_pair(tmp_path, left_profile=clean_cl, right_profile=clean_ec)
    rows = {r["record_id"]: r for r in read(result.left_path) + read(result.right_path)}
    people = {p.person_id: p for p in population(size=result.persons, seed=SEED)}
    for key in read(tmp_path / "keys.csv"):
        row, person = rows[key["record_id"]], people[key["person_id"]]
        kind = person.document_type or "PASSPORT"
        number = person.document_number or person.passport_number
        assert row == {
            "record_id": key["record_id"],
            "given_names": " ".join(person.given_names),
            "surname_1": person.surname_1,
            "surname_2": person.surname_2,
            "birth_date": person.birth_date.isoformat(),
            "sex": person.sex,
            "nationality": person.nationality,
            "document_type": kind,
            "document_number": number,
        }
        check_document(kind, number)


# --- the population ------------------------------------------------------------------------


def test_population_has_realistic_names_and_the_documented_hard_negatives() -> None:
    people = population(size=10_000, seed=1)
    by_id = {p.person_id: p for p in people}
    surnames = Counter(s for p in people for s in (p.surname_1, p.surname_2))
    top = [name for name, _ in surnames.most_common(12)]
    assert {"González", "Rodríguez", "Pérez"} <= set(top)
    assert 0.02 < surnames["González"] / (2 * len(people)) < 0.06
    assert {"Quispe", "Mamani", "Zambrano", "Vera", "Muñoz", "Núñez", "Ibáñez", "Peña"} <= set(
        surnames
    )
    assert {"de la Cruz", "del Río", "de los Santos", "San Martín"} <= set(surnames)
    assert len(surnames) > 300
    given = Counter(" ".join(p.given_names) for p in people)
    assert {"José Luis", "María José", "Juan Carlos", "Ana María"} <= set(given)
    assert any("de los Ángeles" in name for name in given)
    assert 0.5 < sum(len(p.given_names) > 1 for p in people) / len(people) < 0.85
    siblings = [p for p in people if p.sibling_id]
    namesakes = [p for p in people if p.namesake_id]
    assert len(siblings) == 1_000 and len(namesakes) == 300  # 10% and 3%
    for person in siblings:
        other = by_id[person.sibling_id]
        assert other.sibling_id == person.person_id
        assert (other.surname_1, other.surname_2) == (person.surname_1, person.surname_2)
        assert other.nationality == person.nationality
        assert other.given_names[0] != person.given_names[0]
        assert 365 <= abs((other.birth_date - person.birth_date).days) <= 15 * 366
    for person in namesakes:
        other = by_id[person.namesake_id]
        same = ("given_names", "surname_1", "surname_2", "sex", "nationality")
        assert all(getattr(other, f) == getattr(person, f) for f in same)
        assert other.birth_date != person.birth_date
        assert other.document_number != person.document_number or not person.document_number


def test_typo_variants_are_single_spanish_spelling_slips() -> None:
    names = voc.SURNAMES + voc.FIRST + voc.SECONDS
    with_variants = 0
    for name in names:
        variants = voc.typo_variants(name)
        with_variants += bool(variants)
        for variant in variants:
            assert variant != name and sounds(variant) == sounds(name), (name, variant)
            assert abs(len(variant) - len(name)) <= 1
    assert with_variants / len(names) > 0.65
    assert {"Vázquez", "Básquez"} <= set(voc.typo_variants("Vásquez"))
    assert "Giménez" in voc.typo_variants("Jiménez")
    assert "Éctor" in voc.typo_variants("Héctor") and "Helena" in voc.typo_variants("Elena")
    assert "Viyacís" in voc.typo_variants("Villacís")


# --- corruption kinds at their rates -------------------------------------------------------

RATE = 0.3
PEOPLE = population(size=10_000, seed=11)
ACCENTED = re.compile("[áéíóúüñÁÉÍÓÚÜÑ]")


def names_of(p: Person) -> str:
    return " ".join((*p.given_names, p.surname_1, p.surname_2))


def has_particle(surname: str) -> bool:
    return surname.split(" ")[0] in {"de", "del", "San", "Santa"} and " " in surname


def initials(p: Person, row: Row) -> bool:
    g = p.given_names
    last = " ".join(f"{x.split()[-1][0]}." for x in g[1:])
    return row["given_names"] in (f"{g[0][0]}. {' '.join(g[1:])}", f"{g[0]} {last}")


def year_off(p: Person, row: Row) -> bool:
    y, m, d = (int(x) for x in row["birth_date"].split("-"))
    born = p.birth_date
    return abs(y - born.year) == 1 and (m, d) in ((born.month, born.day), (2, 28))


def one_digit(truth: str, written: str) -> bool:
    diff = [i for i, (a, b) in enumerate(zip(truth, written, strict=False)) if a != b]
    return len(truth) == len(written) and len(diff) == 1 and written[diff[0]].isdigit()


# kind: (applies to this person?, was it done in this row?) for a registry of Chile.
Check = tuple[Callable[[Person], bool], Callable[[Person, Row], bool]]
CHECKS: dict[str, Check] = {
    "typo": (
        lambda p: bool(voc.typo_variants(p.surname_1)),
        lambda p, r: (
            r["surname_1"] != p.surname_1 and sounds(r["surname_1"]) == sounds(p.surname_1)
        ),
    ),
    "cut_given": (
        lambda p: len(p.given_names) > 1,
        lambda p, r: r["given_names"] == p.given_names[0],
    ),
    "initial_given": (lambda p: len(p.given_names) > 1, initials),
    "glue_particles": (
        lambda p: has_particle(p.surname_1),
        lambda p, r: r["surname_1"].lower() == p.surname_1.replace(" ", "").lower(),
    ),
    "drop_particles": (
        lambda p: has_particle(p.surname_1),
        lambda p, r: r["surname_1"] == p.surname_1.split(" ")[-1],
    ),
    "drop_surname_2": (lambda p: p.nationality == "CL", lambda p, r: r["surname_2"] == ""),
    "drop_surname_2_foreign": (lambda p: p.nationality != "CL", lambda p, r: r["surname_2"] == ""),
    "swap_names": (
        lambda p: True,
        lambda p, r: (
            r["given_names"] == f"{p.surname_1} {p.surname_2}"
            and r["surname_1"] == p.given_names[0]
        ),
    ),
    "surnames_in_one": (
        lambda p: True,
        lambda p, r: r["surname_1"] == f"{p.surname_1} {p.surname_2}" and r["surname_2"] == "",
    ),
    "ascii": (
        lambda p: bool(ACCENTED.search(names_of(p))),
        lambda p, r: not ACCENTED.search(" ".join(r.values())) and "xx" not in r["surname_1"],
    ),
    "icao": (lambda p: "ñ" in names_of(p).lower(), lambda p, r: "NXX" in " ".join(r.values())),
    "upper": (lambda p: True, lambda p, r: r["surname_1"] == p.surname_1.upper()),
    "lower": (lambda p: True, lambda p, r: r["surname_1"] == p.surname_1.lower()),
    "title": (
        lambda p: p.surname_1.title() != p.surname_1,
        lambda p, r: r["surname_1"] == p.surname_1.title(),
    ),
    "swap_day_month": (
        lambda p: (
            p.birth_date.day <= 12
            and p.birth_date.month <= 12
            and p.birth_date.day != p.birth_date.month
        ),
        lambda p, r: r["birth_date"] == f"{p.birth_date:%Y-%d-%m}",
    ),
    "year_off_by_one": (lambda p: True, year_off),
    "foreign_passport": (
        lambda p: p.nationality != "CL" and bool(p.document_type),
        lambda p, r: r["document_type"] == "PASSPORT",
    ),
    "check_digit_dropped": (
        lambda p: p.document_type in ("RUT_CL", "CI_EC"),
        lambda p, r: r["document_number"] == p.document_number.replace("-", "")[:-1],
    ),
    "document_typo": (
        lambda p: bool(p.document_type),
        lambda p, r: one_digit(p.document_number, r["document_number"]),
    ),
    "missing_sex": (lambda p: True, lambda p, r: r["sex"] == ""),
    "missing_birth_date": (lambda p: True, lambda p, r: r["birth_date"] == ""),
    "missing_nationality": (lambda p: True, lambda p, r: r["nationality"] == ""),
    "missing_document": (
        lambda p: True,
        lambda p, r: r["document_type"] == r["document_number"] == "",
    ),
    "missing_document_type": (
        lambda p: True,
        lambda p, r: r["document_type"] == "" and r["document_number"] != "",
    ),
}


def observed(profile: RegistryProfile, kind: str, seed: int = 1) -> tuple[float, int]:
    applies, done = CHECKS[kind]
    rng = random.Random(seed)
    rows = [(p, corrupt(p, rng=rng, registry_profile=profile)) for p in PEOPLE if applies(p)]
    return sum(done(p, row) for p, row in rows) / max(1, len(rows)), len(rows)


def test_every_profile_field_has_a_check() -> None:
    rates = set(RegistryProfile.__dataclass_fields__) - {"country", "prefix"}
    assert rates == set(CHECKS)


@pytest.mark.parametrize("kind", sorted(CHECKS))
def test_each_corruption_kind_occurs_at_its_configured_rate(kind: str) -> None:
    only: dict[str, Any] = {kind: RATE}
    rate, applicable = observed(replace(CLEAN, **only), kind)
    assert applicable >= 100, kind
    tolerance = 4 * (RATE * (1 - RATE) / applicable) ** 0.5 + 0.01
    assert abs(rate - RATE) < tolerance, (kind, rate, applicable)
    assert observed(CLEAN, kind)[0] == 0.0, kind  # the check finds nothing in clean rows


def test_the_default_profiles_corrupt_at_their_documented_rates() -> None:
    for profile in (CHILE, ECUADOR, COLOMBIA):
        home = replace(profile, country="CL")
        rng = random.Random(3)
        rows = [(p, corrupt(p, rng=rng, registry_profile=home)) for p in PEOPLE]
        md, fp = home.missing_document, home.foreign_passport
        cases: list[tuple[str, Callable[[Person], bool], Callable[[Person, Row], bool], float]] = [
            ("sex", lambda p: True, lambda p, r: r["sex"] == "", home.missing_sex),
            ("birth", lambda p: True, lambda p, r: r["birth_date"] == "", home.missing_birth_date),
            ("nat", lambda p: True, lambda p, r: r["nationality"] == "", home.missing_nationality),
            ("doc", lambda p: True, lambda p, r: r["document_number"] == "", md),
            (
                "passport",
                lambda p: p.nationality != "CL" and bool(p.document_type),
                lambda p, r: r["document_type"] == "PASSPORT",
                fp * (1 - md) * (1 - home.missing_document_type),
            ),
            (
                "check digit",
                lambda p: p.nationality == "CL",
                lambda p, r: r["document_number"] == p.document_number[:-2],
                home.check_digit_dropped * (1 - md),
            ),
            (
                "upper",
                lambda p: True,
                lambda p, r: r["surname_1"].isupper(),
                home.icao + (1 - home.icao) * home.upper,
            ),
            (
                "cut",
                lambda p: len(p.given_names) > 1,
                lambda p, r: sounds(r["given_names"]) == sounds(p.given_names[0]),
                home.cut_given * (1 - home.swap_names),
            ),
        ]
        for name, applies, done, expected in cases:
            hits = [done(p, r) for p, r in rows if applies(p)]
            rate = sum(hits) / len(hits)
            tolerance = 4 * (expected * (1 - expected) / len(hits)) ** 0.5 + 0.01
            assert abs(rate - expected) < tolerance, (profile.prefix, name, rate, expected)


# --- the truth -----------------------------------------------------------------------------


def test_the_truth_links_the_same_person_and_nothing_else(pair: LinkageTruth) -> None:
    keys = {k["record_id"]: k["person_id"] for k in read(pair.truth_path.parent / "keys.csv")}
    left = [r["record_id"] for r in read(pair.left_path)]
    right = [r["record_id"] for r in read(pair.right_path)]
    truth = read(pair.truth_path)
    assert header(pair.truth_path) == ["left_id", "right_id"]
    assert len(truth) == pair.matches == round(OVERLAP * LEFT)
    assert set(keys) == set(left) | set(right) and pair.persons == LEFT + RIGHT - pair.matches
    for registry in (left, right):  # each person at most once per registry
        assert len({keys[rid] for rid in registry}) == len(registry)
    truth_pairs = {(t["left_id"], t["right_id"]) for t in truth}
    assert all(keys[a] == keys[b] for a, b in truth_pairs)
    assert {t["left_id"] for t in truth} <= set(left) and {t["right_id"] for t in truth} <= set(
        right
    )
    shared = {keys[rid] for rid in left} & {keys[rid] for rid in right}
    assert len(shared) == len(truth)
    # Ids and order do not leak the truth: matched rows sit at unrelated positions.
    at_left, at_right = {rid: i for i, rid in enumerate(left)}, {r: i for i, r in enumerate(right)}
    gaps = [abs(at_left[a] / LEFT - at_right[b] / RIGHT) for a, b in truth_pairs]
    assert 0.25 < sum(gaps) / len(gaps) < 0.42  # 1/3 for independent positions
    assert sorted(left) != left and sorted(right) != right


def test_siblings_and_namesakes_cross_the_registries_as_non_matches(pair: LinkageTruth) -> None:
    keys = {k["record_id"]: k["person_id"] for k in read(pair.truth_path.parent / "keys.csv")}
    people = {p.person_id: p for p in population(size=pair.persons, seed=SEED)}
    truth = {(t["left_id"], t["right_id"]) for t in read(pair.truth_path)}
    right_of = {keys[r["record_id"]]: r["record_id"] for r in read(pair.right_path)}
    found: Counter[str] = Counter()
    for row in read(pair.left_path):
        person = people[keys[row["record_id"]]]
        for kind, other in (("sibling", person.sibling_id), ("namesake", person.namesake_id)):
            if other in right_of:
                found[kind] += 1
                assert (row["record_id"], right_of[other]) not in truth
    assert found["sibling"] >= 50 and found["namesake"] >= 15
    assert pair.sibling_pairs >= found["sibling"] / 2 and pair.namesake_pairs > 0


def test_dedupe_truth_names_every_record_and_persons_repeat(dedupe: DedupeTruth) -> None:
    rows = {r["record_id"]: r for r in read(dedupe.path)}
    truth = read(dedupe.truth_path)
    assert header(dedupe.truth_path) == ["record_id", "person_id"]
    assert [t["record_id"] for t in truth] == list(rows)
    copies = Counter(t["person_id"] for t in truth)
    assert set(copies.values()) == {1, 2, 3, 4}
    assert len(copies) == dedupe.persons
    assert sum(c > 1 for c in copies.values()) == dedupe.duplicated_persons
    assert 0.15 < dedupe.duplicated_persons / dedupe.persons < 0.25  # 20% documented
    people = {p.person_id: p for p in population(size=dedupe.persons, seed=SEED)}
    namesakes = [p for p in people.values() if p.namesake_id in copies and p.person_id in copies]
    assert namesakes  # both namesakes written: a pair the deduper must keep apart
    # Copies of one person differ (they are corrupted independently), not always.
    by_person: dict[str, list[tuple[str, ...]]] = {}
    for t in truth:
        by_person.setdefault(t["person_id"], []).append(tuple(rows[t["record_id"]].values())[1:])
    repeated = [v for v in by_person.values() if len(v) > 1]
    assert sum(len(set(v)) > 1 for v in repeated) / len(repeated) > 0.5
    missing = sum(r["sex"] == "" for r in rows.values()) / len(rows)
    assert abs(missing - COLOMBIA.missing_sex) < 0.015


def test_bad_sizes_are_refused(tmp_path: Path) -> None:
    paths: dict[str, Any] = {f"{n}_path": tmp_path / f"{n}.csv" for n in ("left", "right", "truth")}
    with pytest.raises(ValueError):
        linkage_pair(left_size=100, overlap=1.5, right_size=200, seed=1, **paths)
    with pytest.raises(ValueError):
        linkage_pair(left_size=100, overlap=0.9, right_size=50, seed=1, **paths)
    with pytest.raises(ValueError):
        dedupe_set(size=-1, seed=1, path=tmp_path / "d.csv", truth_path=tmp_path / "t.csv")
