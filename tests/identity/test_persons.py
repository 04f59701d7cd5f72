"""Clusters of records into persons, and person ids that survive re-runs, additions and splits."""

from __future__ import annotations

import hashlib
import itertools
import random
import re

from alianza.identity.persons import components, person_ids

PID = re.compile(r"^P-[0-9A-F]{12}$")


def new_id(record: str) -> str:
    """The id a new cluster whose smallest record is ``record`` gets."""
    return "P-" + hashlib.sha256(record.encode()).hexdigest()[:12].upper()


def groups(ids: dict[str, str]) -> set[frozenset[str]]:
    by: dict[str, set[str]] = {}
    for record, pid in ids.items():
        by.setdefault(pid, set()).add(record)
    return {frozenset(g) for g in by.values()}


# --- components ----------------------------------------------------------------------------


def test_components_join_pairs_transitively() -> None:
    ids = ["e", "d", "c", "b", "a", "z"]
    clusters = components(ids, [("e", "d"), ("c", "d"), ("b", "a")])
    assert clusters == {"a": "a", "b": "a", "c": "c", "d": "c", "e": "c", "z": "z"}


def test_components_representative_is_the_smallest_id_whatever_the_order() -> None:
    records = [f"R{i:03d}" for i in range(60)]
    chain = list(zip(records[1:30], records[:29], strict=True))  # one chain R000..R029
    star = [("R045", r) for r in records[30:45]] + [(r, "R059") for r in records[46:59]]
    rng = random.Random(4)
    for _ in range(5):
        pairs = chain + star
        rng.shuffle(pairs)
        shuffled = records[:]
        rng.shuffle(shuffled)
        clusters = components(shuffled, pairs)
        assert {clusters[r] for r in records[:30]} == {"R000"}
        assert {clusters[r] for r in records[30:45]} == {"R030"}
        assert clusters["R045"] == "R030"
        assert {clusters[r] for r in records[46:]} == {"R046"}


def test_components_singletons_and_repeated_or_self_pairs() -> None:
    clusters = components(["a", "b", "c"], [("a", "a"), ("b", "c"), ("c", "b"), ("b", "c")])
    assert clusters == {"a": "a", "b": "b", "c": "b"}
    assert components([], []) == {}


def test_components_of_a_long_chain() -> None:
    records = [f"R{i:06d}" for i in range(20_000)]
    clusters = components(reversed(records), itertools.pairwise(records))
    assert set(clusters.values()) == {"R000000"}


# --- person ids ----------------------------------------------------------------------------


CLUSTERS = {"a": "a", "b": "a", "c": "c", "d": "c", "e": "c", "f": "f"}


def test_new_persons_get_hash_ids_of_their_smallest_record() -> None:
    ids = person_ids(CLUSTERS)
    assert ids == {
        "a": new_id("a"),
        "b": new_id("a"),
        "c": new_id("c"),
        "d": new_id("c"),
        "e": new_id("c"),
        "f": new_id("f"),
    }
    assert all(PID.match(pid) for pid in ids.values())


def test_person_ids_are_deterministic_across_runs_and_orders() -> None:
    first = person_ids(CLUSTERS)
    items = list(CLUSTERS.items())
    random.Random(1).shuffle(items)
    assert person_ids(dict(items)) == first
    # The cluster's name (Splink's representative) does not matter, only its members.
    renamed = {r: f"cluster-{c}" for r, c in CLUSTERS.items()}
    assert person_ids(renamed) == first
    # Re-running with the last output changes nothing.
    assert person_ids(CLUSTERS, previous=first) == first
    assert person_ids(CLUSTERS, previous=person_ids(CLUSTERS, previous=first)) == first


def test_an_added_record_joins_and_keeps_the_person_id_even_sorting_first() -> None:
    last = person_ids({"m": "m", "n": "m", "z": "z"})
    now = person_ids({"a": "a", "m": "a", "n": "a", "z": "z"}, previous=last)
    assert now["a"] == now["m"] == now["n"] == last["m"]
    assert now["z"] == last["z"]
    assert last["m"] != new_id("a")  # without previous, "a" would have renamed the person


def test_a_new_record_alone_gets_a_new_id() -> None:
    last = person_ids({"m": "m", "n": "m"})
    now = person_ids({"a": "a", "m": "m", "n": "m"}, previous=last)
    assert now["m"] == now["n"] == last["m"]
    assert now["a"] == new_id("a")


def test_a_split_keeps_the_id_on_the_larger_part() -> None:
    last = person_ids({r: "a" for r in "abcde"})
    # "a", the smallest record, ends up in the smaller part.
    now = person_ids({"a": "a", "b": "a", "c": "c", "d": "c", "e": "c"}, previous=last)
    assert now["c"] == now["d"] == now["e"] == last["a"]
    assert now["a"] == now["b"] != last["a"]
    assert PID.match(now["a"])
    assert groups(now) == {frozenset("ab"), frozenset("cde")}


def test_an_even_split_keeps_the_id_once() -> None:
    last = person_ids({r: "a" for r in "abcd"})
    now = person_ids({"a": "a", "b": "a", "c": "c", "d": "c"}, previous=last)
    assert len(set(now.values())) == 2
    assert last["a"] in now.values()
    assert person_ids({"a": "a", "b": "a", "c": "c", "d": "c"}, previous=last) == now


def test_a_merge_keeps_the_majority_id() -> None:
    last = person_ids({"a": "a", "x": "x", "y": "x", "z": "x"})
    assert last["a"] != last["x"]
    # "a" sorts first, but three of the four records were person x.
    now = person_ids({r: "a" for r in "axyz"}, previous=last)
    assert set(now.values()) == {last["x"]}


def test_a_merge_tie_goes_to_the_smallest_person_id() -> None:
    last = {
        "a": "P-BBBBBBBBBBBB",
        "b": "P-BBBBBBBBBBBB",
        "c": "P-AAAAAAAAAAAA",
        "d": "P-AAAAAAAAAAAA",
    }
    now = person_ids({r: "a" for r in "abcd"}, previous=last)
    assert set(now.values()) == {"P-AAAAAAAAAAAA"}


def test_ids_of_persons_gone_are_not_reused() -> None:
    # Record "x" was deleted; its person's id (which happens to be the one a new cluster
    # {"a2"} would get) must not be handed to another person.
    last = {"b": new_id("b"), "x": new_id("a2")}
    now = person_ids({"b": "b", "a2": "a2"}, previous=last)
    assert now["b"] == last["b"]
    assert now["a2"] != new_id("a2")
    assert PID.match(now["a2"])


def test_every_person_id_is_unique_to_one_cluster_after_many_changes() -> None:
    rng = random.Random(11)
    records = [f"R{i:04d}" for i in range(400)]
    previous: dict[str, str] | None = None
    for _ in range(6):
        pairs = [(rng.choice(records), rng.choice(records)) for _ in range(220)]
        present = [r for r in records if rng.random() < 0.9]
        clusters = components(present, [(a, b) for a, b in pairs if a in present and b in present])
        ids = person_ids(clusters, previous=previous)
        assert set(ids) == set(present)
        by_cluster: dict[str, set[str]] = {}
        for record, pid in ids.items():
            by_cluster.setdefault(pid, set()).add(clusters[record])
        assert all(len(c) == 1 for c in by_cluster.values())  # one id, one cluster
        assert len(set(ids.values())) == len(set(clusters.values()))  # and the reverse
        if previous is not None:
            # A cluster made only of records of one earlier person that had no other part
            # keeps that person's id.
            for pid in set(previous.values()):
                members = {r for r, p in previous.items() if p == pid and r in ids}
                new = {ids[r] for r in members}
                if len(new) == 1 and {r for r in ids if ids[r] in new} == members:
                    assert new == {pid}
        previous = ids
