"""Batch linkage and deduplication on synthetic registries, scored against their truth.

One linkage pair (1,500 Chilean x 1,300 Ecuadorian records, 900 persons in both) and one
Colombian registry of 1,000 records with duplicates are linked once per module; the tests
then read the pairs. Each corruption the generator applies to the right registry is found
again by comparing a right row with the true person it was written from, so a kind of
corruption that stops the linker from matching shows up by name.
"""

from __future__ import annotations

import csv
import itertools
import math
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from alianza.errors import InputError
from alianza.identity import vocabulary as voc
from alianza.identity.contract import read_registry
from alianza.identity.linker import dedupe, link
from alianza.identity.synthetic import (
    NATIONAL_DOCUMENT,
    DedupeTruth,
    LinkageTruth,
    Person,
    dedupe_set,
    linkage_pair,
    population,
)

Row = dict[str, str]
Pair = tuple[str, str]
SEED = 11
LEFT, OVERLAP, RIGHT = 1_500, 0.6, 1_300
THRESHOLD = 0.5


def read_pairs(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))[1:]


def f1(found: set[Pair], truth: set[Pair]) -> tuple[float, float, float]:
    hits = len(found & truth)
    precision = hits / len(found) if found else 0.0
    recall = hits / len(truth) if truth else 0.0
    score = 2 * precision * recall / (precision + recall) if hits else 0.0
    return precision, recall, score


@dataclass
class Linked:
    truth: LinkageTruth
    left: dict[str, Row]
    right: dict[str, Row]
    person_of: dict[str, Person]  # record id -> the true person
    matches: set[Pair]
    pairs: pd.DataFrame
    one_to_one: pd.DataFrame

    @property
    def found(self) -> set[Pair]:
        return set(zip(self.pairs["left_id"], self.pairs["right_id"], strict=True))

    @property
    def probability(self) -> dict[Pair, float]:
        columns = (self.pairs["left_id"], self.pairs["right_id"], self.pairs["probability"])
        return {(a, b): float(p) for a, b, p in zip(*columns, strict=True)}


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> Linked:
    folder = tmp_path_factory.mktemp("linkage")
    truth = linkage_pair(
        left_size=LEFT,
        overlap=OVERLAP,
        right_size=RIGHT,
        seed=SEED,
        left_path=folder / "left.csv",
        right_path=folder / "right.csv",
        truth_path=folder / "truth.csv",
        key_path=folder / "keys.csv",
    )
    left, right = read_registry(truth.left_path), read_registry(truth.right_path)
    assert left.problems == right.problems == []
    people = {p.person_id: p for p in population(size=truth.persons, seed=SEED)}
    return Linked(
        truth=truth,
        left={r["record_id"]: r for r in left.rows},
        right={r["record_id"]: r for r in right.rows},
        person_of={rid: people[pid] for rid, pid in read_pairs(folder / "keys.csv")},
        matches={(a, b) for a, b in read_pairs(truth.truth_path)},
        pairs=link(left.rows, right.rows, threshold=THRESHOLD),
        one_to_one=link(left.rows, right.rows, threshold=THRESHOLD, one_to_one=True),
    )


# --- what the generator did to a row --------------------------------------------------------


def fold(text: str) -> str:
    bare = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(bare.upper().split())


def _particle_surnames(person: Person) -> list[str]:
    return [s for s in (person.surname_1, person.surname_2) if s.partition(" ")[0] in voc.PARTICLES]


def _names(row: Row) -> str:
    return row["given_names"] + row["surname_1"] + row["surname_2"]


def p_row_names(person: Person) -> Row:
    return {
        "given_names": " ".join(person.given_names),
        "surname_1": person.surname_1,
        "surname_2": person.surname_2,
    }


def expected_number(row: Row, person: Person) -> str:
    return person.passport_number if row["document_type"] == "PASSPORT" else person.document_number


# Each detector looks at the right row and the person it was written from; it recognises
# the corruption where it is visible (a typo that lands on the original spelling is not).
DETECTORS: dict[str, Callable[[Row, Person], bool]] = {
    "typo": lambda row, p: (  # seen in surname_1 only
        fold(row["surname_1"]) != fold(p.surname_1)
        and fold(row["surname_1"]) in {fold(v) for v in voc.typo_variants(p.surname_1)}
    ),
    "cut_given": lambda row, p: (
        len(p.given_names) > 1 and fold(row["given_names"]) == fold(p.given_names[0])
    ),
    "initial_given": lambda row, p: "." in row["given_names"],
    "glue_particles": lambda row, p: any(
        fold(row[box]) == fold(s.replace(" ", ""))
        for s in _particle_surnames(p)
        for box in ("surname_1", "surname_2")
    ),
    "drop_particles": lambda row, p: any(
        fold(row[box]) == fold(s.rpartition(" ")[2])
        for s in _particle_surnames(p)
        for box in ("surname_1", "surname_2")
    ),
    "drop_surname_2": lambda row, p: (
        bool(p.surname_2)
        and not row["surname_2"]
        and fold(p.surname_2).rpartition(" ")[2] not in fold(row["surname_1"] + row["given_names"])
    ),
    "swap_names": lambda row, p: (
        bool(row["surname_1"])
        and fold(row["surname_1"]) == fold(p.given_names[0])
        and fold(row["given_names"]).startswith(fold(p.surname_1).rpartition(" ")[2][:3])
    ),
    "surnames_in_one": lambda row, p: (
        bool(p.surname_2)
        and not row["surname_2"]
        and fold(row["surname_1"]).endswith(fold(p.surname_2).rpartition(" ")[2])
        and len(fold(row["surname_1"])) > len(fold(p.surname_1))
    ),
    "ascii": lambda row, p: (
        not _names(p_row_names(p)).isascii() and _names(row).isascii() and "NXX" not in _names(row)
    ),
    "icao": lambda row, p: "NXX" in _names(row),
    "upper": lambda row, p: _names(row).isupper() and not p.given_names[0].isupper(),
    "lower": lambda row, p: _names(row).islower(),
    "swap_day_month": lambda row, p: (
        p.birth_date.day != p.birth_date.month
        and p.birth_date.day <= 12
        and row["birth_date"] == f"{p.birth_date.year}-{p.birth_date:%d}-{p.birth_date:%m}"
    ),
    "year_off_by_one": lambda row, p: (
        bool(row["birth_date"])
        and row["birth_date"][4:] == p.birth_date.isoformat()[4:]
        and abs(int(row["birth_date"][:4]) - p.birth_date.year) == 1
    ),
    "foreign_passport": lambda row, p: bool(p.document_type) and row["document_type"] == "PASSPORT",
    "check_digit_dropped": lambda row, p: (
        row["document_type"] in ("RUT_CL", "CI_EC")
        and row["document_number"]
        == p.document_number[: -2 if row["document_type"] == "RUT_CL" else -1]
    ),
    "document_typo": lambda row, p: (
        bool(row["document_number"])
        and len(row["document_number"]) == len(expected_number(row, p))
        and sum(
            a != b for a, b in zip(row["document_number"], expected_number(row, p), strict=True)
        )
        == 1
    ),
    "missing_sex": lambda row, p: not row["sex"],
    "missing_birth_date": lambda row, p: not row["birth_date"],
    "missing_nationality": lambda row, p: not row["nationality"],
    "missing_document": lambda row, p: not row["document_number"],
    "missing_document_type": lambda row, p: (
        bool(row["document_number"]) and not row["document_type"]
    ),
}


def passport_vs_national(left: Row, right: Row) -> bool:
    national = set(NATIONAL_DOCUMENT.values())
    kinds = {left["document_type"], right["document_type"]}
    return "PASSPORT" in kinds and bool(kinds & national)


def kinds_of(linked: Linked, left_id: str, right_id: str) -> set[str]:
    right, person = linked.right[right_id], linked.person_of[right_id]
    found = {name for name, seen in DETECTORS.items() if seen(right, person)}
    if passport_vs_national(linked.left[left_id], right):
        found.add("passport_vs_national")
    return found


def recall_by_kind(linked: Linked) -> dict[str, tuple[int, int]]:
    """Kind -> (true pairs whose right row shows it, how many of them were linked)."""
    found = linked.found
    counts: dict[str, list[int]] = {}
    for left_id, right_id in linked.matches:
        for kind in kinds_of(linked, left_id, right_id):
            seen = counts.setdefault(kind, [0, 0])
            seen[0] += 1
            seen[1] += (left_id, right_id) in found
    return {kind: (n, hits) for kind, (n, hits) in counts.items()}


# --- linkage ---------------------------------------------------------------------------------


def test_link_reaches_f1_against_the_truth(linked: Linked) -> None:
    assert len(linked.matches) == linked.truth.matches == 900
    precision, recall, score = f1(linked.found, linked.matches)
    assert score >= 0.9, (precision, recall)
    assert precision >= 0.85 and recall >= 0.85, (precision, recall)


def test_link_output_shape(linked: Linked) -> None:
    pairs = linked.pairs
    assert list(pairs.columns) == ["left_id", "right_id", "probability"]
    assert set(pairs["left_id"]) <= set(linked.left)
    assert set(pairs["right_id"]) <= set(linked.right)
    assert pairs["probability"].between(THRESHOLD, 1.0).all()
    assert pairs["probability"].is_monotonic_decreasing
    assert not pairs.duplicated(["left_id", "right_id"]).any()
    assert list(pairs.index) == list(range(len(pairs)))


def test_link_is_deterministic(linked: Linked) -> None:
    # The one-to-one run is a second, independent run: its pairs come from the same scores.
    again = linked.probability
    for a, b, p in linked.one_to_one.itertuples(index=False):
        assert again[(a, b)] == pytest.approx(p, abs=1e-9)


# The kinds the generator applies to the ECUADOR registry, with the fewest examples this
# seed must show (so a detector or the generator going quiet fails here, not silently).
KINDS = {
    "typo": 10,
    "cut_given": 50,
    "initial_given": 20,
    "glue_particles": 5,
    "drop_particles": 3,
    "drop_surname_2": 50,
    "swap_names": 10,
    "surnames_in_one": 10,
    "ascii": 50,
    "icao": 3,
    "upper": 200,
    "lower": 10,
    "swap_day_month": 10,
    "year_off_by_one": 10,
    "foreign_passport": 100,
    "passport_vs_national": 100,
    "check_digit_dropped": 10,
    "document_typo": 5,
    "missing_sex": 10,
    "missing_birth_date": 10,
    "missing_nationality": 10,
    "missing_document": 20,
    "missing_document_type": 10,
}
# Named in the brief: these must be found nearly always.
KEY_KINDS = ("drop_surname_2", "swap_day_month", "passport_vs_national")


@pytest.fixture(scope="module")
def by_kind(linked: Linked) -> dict[str, tuple[int, int]]:
    return recall_by_kind(linked)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_no_corruption_kind_stops_matching(by_kind: dict[str, tuple[int, int]], kind: str) -> None:
    examples, found = by_kind.get(kind, (0, 0))
    assert examples >= KINDS[kind], f"only {examples} true pairs show {kind}"
    floor = 0.9 if kind in KEY_KINDS else 0.8
    assert found / examples >= floor, f"{kind}: {found} of {examples} linked"


def test_detectors_see_nothing_in_a_clean_row(linked: Linked) -> None:
    for person in itertools.islice(linked.person_of.values(), 300):
        clean = {
            "record_id": "x",
            **p_row_names(person),
            "birth_date": person.birth_date.isoformat(),
            "sex": person.sex,
            "nationality": person.nationality,
            "document_type": person.document_type or "PASSPORT",
            "document_number": person.document_number or person.passport_number,
        }
        assert {k for k, seen in DETECTORS.items() if seen(clean, person)} == set(), person


def test_key_corruptions_are_found(linked: Linked) -> None:
    found = linked.found
    for kind in KEY_KINDS:
        examples = [m for m in linked.matches if kind in kinds_of(linked, *m)]
        missed = [m for m in examples if m not in found]
        assert len(examples) >= 10, kind
        assert len(missed) <= 0.1 * len(examples), (kind, missed[:5])


def test_one_to_one_uses_each_record_once(linked: Linked) -> None:
    one = linked.one_to_one
    assert list(one.columns) == ["left_id", "right_id", "probability"]
    assert one["left_id"].is_unique
    assert one["right_id"].is_unique
    assert one["probability"].is_monotonic_decreasing
    pairs = set(zip(one["left_id"], one["right_id"], strict=True))
    assert pairs <= linked.found
    # Greedy: every pair left out shares a record with a kept pair at least as probable.
    kept_left = dict(zip(one["left_id"], one["probability"], strict=True))
    kept_right = dict(zip(one["right_id"], one["probability"], strict=True))
    for (a, b), p in linked.probability.items():
        if (a, b) not in pairs:
            assert max(kept_left.get(a, -1.0), kept_right.get(b, -1.0)) >= p
    precision, recall, score = f1(pairs, linked.matches)
    assert score >= 0.9, (precision, recall)
    assert precision >= f1(linked.found, linked.matches)[0]


def _partner_pairs(linked: Linked, attribute: str) -> Iterable[tuple[Pair, Person, Person]]:
    by_person_left = {p.person_id: rid for rid, p in linked.person_of.items() if rid in linked.left}
    by_person_right = {
        p.person_id: rid for rid, p in linked.person_of.items() if rid in linked.right
    }
    for left_id in by_person_left.values():
        person = linked.person_of[left_id]
        partner = getattr(person, attribute)
        if partner and partner in by_person_right:
            right_id = by_person_right[partner]
            yield (left_id, right_id), person, linked.person_of[right_id]


def test_siblings_are_not_linked(linked: Linked) -> None:
    probability = linked.probability
    siblings = list(_partner_pairs(linked, "sibling_id"))
    assert len(siblings) >= 50
    linked_siblings = [(pair, probability[pair]) for pair, _, _ in siblings if pair in probability]
    assert linked_siblings == []


@pytest.mark.xfail(
    strict=True,
    reason="known limit on small registries: dates years apart now weigh -9.9 bits (the "
    "else rung starts at m=0.001, model.BIRTH), but at 1,500 x 1,300 the prior is -11.5 bits "
    "and an agreeing full name +19.5, so a namesake born 17 years apart still scores 0.64",
)
def test_namesakes_born_years_apart_are_not_linked(linked: Linked) -> None:
    probability = linked.probability
    namesakes = list(_partner_pairs(linked, "namesake_id"))
    assert len(namesakes) >= 20
    dated = [
        pair
        for pair, _, _ in namesakes
        if linked.left[pair[0]]["birth_date"]
        and linked.right[pair[1]]["birth_date"]
        and abs(
            int(linked.left[pair[0]]["birth_date"][:4])
            - int(linked.right[pair[1]]["birth_date"][:4])
        )
        > 1
    ]
    assert len(dated) >= 15
    linked_namesakes = {pair: round(probability[pair], 3) for pair in dated if pair in probability}
    assert linked_namesakes == {}


@pytest.mark.parametrize("threshold", [0.0, -0.1, 1.0001, 2.0, math.nan])
def test_threshold_outside_0_1_is_an_input_error(linked: Linked, threshold: float) -> None:
    rows = list(linked.left.values())[:5]
    with pytest.raises(InputError, match="threshold"):
        link(rows, rows, threshold=threshold)
    with pytest.raises(InputError, match="threshold"):
        dedupe(rows, threshold=threshold)


def test_an_unknown_engine_is_an_input_error(linked: Linked) -> None:
    rows = list(linked.left.values())[:5]
    with pytest.raises(InputError, match="motor desconocido"):
        link(rows, rows, engine="sqlite")


# --- deduplication ---------------------------------------------------------------------------


@dataclass
class Deduped:
    truth: DedupeTruth
    rows: list[Row]
    person_of: dict[str, str]  # record id -> true person
    ids: dict[str, str]
    again: dict[str, str]  # re-run with previous=ids


@pytest.fixture(scope="module")
def deduped(tmp_path_factory: pytest.TempPathFactory) -> Deduped:
    folder = tmp_path_factory.mktemp("dedupe")
    truth = dedupe_set(size=1_000, seed=SEED, path=folder / "d.csv", truth_path=folder / "t.csv")
    registry = read_registry(truth.path)
    assert registry.problems == []
    ids = dedupe(registry.rows, threshold=THRESHOLD)
    return Deduped(
        truth=truth,
        rows=registry.rows,
        person_of=dict(read_pairs(truth.truth_path)),
        ids=ids,
        again=dedupe(registry.rows, threshold=THRESHOLD, previous=ids),
    )


def same_person_pairs(assignment: dict[str, str]) -> set[Pair]:
    members: dict[str, list[str]] = {}
    for record, pid in assignment.items():
        members.setdefault(pid, []).append(record)
    return {
        (a, b) for group in members.values() for a, b in itertools.combinations(sorted(group), 2)
    }


def test_dedupe_puts_true_duplicates_together(deduped: Deduped) -> None:
    truth = same_person_pairs(deduped.person_of)
    assert len(truth) == deduped.truth.duplicate_pairs >= 200
    precision, recall, score = f1(same_person_pairs(deduped.ids), truth)
    assert score >= 0.85, (precision, recall)


def test_dedupe_gives_every_record_a_person_id(deduped: Deduped) -> None:
    assert set(deduped.ids) == {r["record_id"] for r in deduped.rows}
    assert all(pid.startswith("P-") and len(pid) == 14 for pid in deduped.ids.values())
    persons = len(set(deduped.ids.values()))
    assert 0.9 * deduped.truth.persons <= persons <= 1.1 * deduped.truth.persons


def test_dedupe_with_previous_keeps_every_id(deduped: Deduped) -> None:
    assert deduped.again == deduped.ids


# --- rungs the independent registries asked for (issue 11) ----------------------------------

_OTHER_NAMES = ("ZOILO", "QUIRINO", "UBALDO", "XAVIERA", "WILMA", "YOLANDA")


def _twin_of(row: Row, k: int) -> Row:
    first = row["given_names"][:1]
    name = next(n for n in _OTHER_NAMES[k % 3 :] + _OTHER_NAMES if n[0] != first)
    return {**row, "record_id": f"gemelo-{k}", "given_names": name,
            "document_type": "", "document_number": ""}  # fmt: skip


def test_twins_without_a_document_are_not_linked_and_the_person_still_is(linked: Linked) -> None:
    # Same surnames, date of birth, sex and nationality, a given name with nothing in common
    # and no document: before the twins rung, surnames and date gave ~25 bits and such a
    # pair linked. The person's own record still links, and so does a twin whose document
    # is the same (then it is the same person written with another name).
    pairs = [
        (a, b)
        for a, b in sorted(linked.matches)
        if linked.left[a]["birth_date"]
        and linked.left[a]["surname_2"]
        and linked.left[a]["given_names"]
    ][:40]
    twins = {f"gemelo-{k}": _twin_of(linked.left[a], k) for k, (a, _) in enumerate(pairs)}
    documented = {
        f"mismo-doc-{k}": {
            **linked.left[a],
            "given_names": twins[f"gemelo-{k}"]["given_names"],
            "record_id": f"mismo-doc-{k}",
        }
        for k, (a, _) in enumerate(pairs)
        if linked.left[a]["document_number"]
    }
    right = [*linked.right.values(), *twins.values(), *documented.values()]
    found = link(list(linked.left.values()), right, threshold=THRESHOLD)
    got = set(zip(found["left_id"], found["right_id"], strict=True))
    assert {(a, t) for (a, _), t in zip(pairs, twins, strict=True)} & got == set()
    assert len({pair for pair in pairs if pair in got}) >= 0.9 * len(pairs)
    assert len(documented) >= 10
    same_doc = {(a, f"mismo-doc-{k}") for k, (a, _) in enumerate(pairs)} & got
    assert len(same_doc) >= 0.8 * len(documented)


def test_a_conventional_date_has_a_rung_of_its_own(linked: Linked) -> None:
    # 1 January, 15 June, 30 June, 1 July: the registry knew only the year; EM weighs that
    # apart from two real dates that only share their year.
    from alianza.identity.features import features
    from alianza.identity.model import BIRTH
    from alianza.identity.model import IMPUTED_DAYS as IMPUTED

    person = next(
        r for r in linked.left.values() if r["birth_date"] and r["birth_date"][5:] not in IMPUTED
    )
    year = person["birth_date"][:4]

    def level(birth: str) -> str:
        other = features({**person, "birth_date": birth})
        return BIRTH.levels[BIRTH.level_of(features(person), other)].label_en

    labels = [level(f"{year}-{md}") for md in ("01-01", "06-15", "06-30", "07-01")]
    assert labels == ["same year, one date a convention"] * 4
    other = "11-23" if person["birth_date"][5:7] != "11" else "03-23"
    assert level(f"{year}-{other}") in ("same year", "one character off or two swapped")
