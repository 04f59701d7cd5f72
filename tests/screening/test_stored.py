"""Features stored with each person version: written once, read at load, never trusted
when stale, gone with the data they came from; and the columnar index they feed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from sqlalchemy import delete, select, update

from alianza.identity import synthetic
from alianza.identity.contract import read_registry
from alianza.identity.features import FEATURE_COLUMNS, features
from alianza.node.context import Node
from alianza.records import review
from alianza.records.importer import ImportItem, import_items
from alianza.records.models import Record, RecordFeatures, RecordVersion
from alianza.screening import stored
from alianza.screening.index import WatchIndex, key_hashes, keys, query_hashes
from alianza.screening.service import FIELDS
from tests.conftest import Factory
from tests.screening.test_batch import person

PERSON = {
    "category": "watch",
    "given_names": "María José",
    "surname_1": "Pérez",
    "surname_2": "Quishpe",
    "birth_date": "1990-04-12",
    "sex": "F",
    "nationality": "EC",
    "aliases": ["Majo Pérez"],
    "documents": [{"type": "PASSPORT", "number": "AB1234567"}],
}


@pytest.fixture
def listed(node: Node, factory: Factory, tmp_path: Path) -> dict[str, Any]:
    synthetic.linkage_pair(
        left_size=80,
        overlap=0.5,
        right_size=60,
        seed=5,
        left_path=tmp_path / "l.csv",
        right_path=tmp_path / "r.csv",
        truth_path=tmp_path / "t.csv",
    )
    analyst, _ = factory.user("ana", "analyst")
    ids = [factory.record(analyst, "person", PERSON).record.id]
    for row in read_registry(tmp_path / "l.csv").rows:
        try:
            ids.append(factory.record(analyst, "person", person(row)).record.id)
        except Exception:  # a generated document the validators refuse: keep the person
            ids.append(factory.record(analyst, "person", person(row, documents=False)).record.id)
    travellers = [{k: r[k] for k in FIELDS} for r in read_registry(tmp_path / "r.csv").rows]
    return {"analyst": analyst, "ids": ids, "travellers": travellers}


def _stored(node: Node) -> dict[str, tuple[int, str, str]]:
    with node.sessions() as s:
        rows = s.execute(select(RecordFeatures)).scalars().all()
        return {r.record_id: (r.version, r.revision, r.features) for r in rows}


def _loaded(node: Node) -> WatchIndex:
    index = WatchIndex()
    with node.sessions() as s:
        index.refresh(s)
    return index


def _entries(index: WatchIndex) -> list[tuple[str, dict[str, Any]]]:
    at = index.live_positions().tolist()
    found = [(index.record_id(p), index.entry(p).features) for p in at]
    return sorted(found, key=lambda e: (e[0], orjson.dumps(e[1], option=orjson.OPT_SORT_KEYS)))


def test_a_person_version_stores_its_features_when_written(
    node: Node, factory: Factory, listed: dict[str, Any]
) -> None:
    held = _stored(node)
    assert set(held) == set(listed["ids"])
    version, revision, text = held[listed["ids"][0]]
    assert (version, revision) == (1, stored.revision())
    ways = orjson.loads(text)
    assert len(ways) == 2  # the name and its alias, each with the one document
    expected = [[f[c] for c in FEATURE_COLUMNS] for f in stored.ways(PERSON, listed["ids"][0])]
    assert ways == expected
    # A container has no features; an update stores the new version's.
    factory.record(listed["analyst"], "container", {"number": "MSCU1234566", "status": "seized"})
    assert set(_stored(node)) == set(listed["ids"])


def test_the_importer_stores_features_with_the_versions(node: Node, factory: Factory) -> None:
    analyst, _ = factory.user("ana", "analyst")
    rules = {"purpose": "control", "legal_basis": "Ley", "scope": "country"}
    items = [
        ImportItem(where=f"línea {i}", kind="person", data=dict(PERSON, given_names=name),
                   rules=rules, source_id=f"P-{i}")
        for i, name in enumerate(["Ana", "Luisa", "Rosa"])
    ]  # fmt: skip
    with node.sessions() as s:
        import_items(s, node=node, principal=analyst, items=items)
        s.commit()
    held = _stored(node)
    assert len(held) == 3
    assert {r for _, r, _ in held.values()} == {stored.revision()}


def test_the_index_from_stored_features_is_the_index_from_data(
    node: Node, listed: dict[str, Any]
) -> None:
    from_store = _loaded(node)
    assert from_store.computed == 0
    with node.sessions() as s:
        s.execute(delete(RecordFeatures))
        s.commit()
    from_data = _loaded(node)
    assert from_data.computed == len(listed["ids"])
    assert _entries(from_store) == _entries(from_data)
    for traveller in listed["travellers"]:
        query = features({"record_id": "?", **traveller})
        a, b = from_store.positions(query), from_data.positions(query)
        assert [from_store.record_id(p) for p in a] == [from_data.record_id(p) for p in b]


def test_stale_or_unreadable_features_are_recomputed_never_trusted(
    node: Node, listed: dict[str, Any]
) -> None:
    honest = _entries(_loaded(node))
    first, second = listed["ids"][0], listed["ids"][1]
    lie = orjson.dumps([[None] * len(FEATURE_COLUMNS)]).decode()
    with node.sessions() as s:
        # Another revision's features (older code) saying something else entirely...
        s.execute(
            update(RecordFeatures)
            .where(RecordFeatures.record_id == first)
            .values(revision="0" * 32, features=lie)
        )
        # ...and this revision's, but not JSON this code can read.
        s.execute(
            update(RecordFeatures)
            .where(RecordFeatures.record_id == second)
            .values(features='[["corrupto"]]')
        )
        s.commit()
    index = _loaded(node)
    assert index.computed == 2
    assert _entries(index) == honest
    with node.sessions() as s:
        assert stored.refresh_stored(s) == (1, 1)  # the stale one replaced
        s.commit()
    assert _stored(node)[first][1:] == (stored.revision(), stored.encode(PERSON, first))


def test_features_of_an_earlier_version_are_not_the_current_ones(
    node: Node, listed: dict[str, Any]
) -> None:
    from alianza.records import service as records
    from alianza.records.rules import Rules
    from tests.conftest import RULES

    rid = listed["ids"][0]
    with node.sessions() as s:
        records.update_record(
            s,
            node=node,
            principal=listed["analyst"],
            record_id=rid,
            data={**PERSON, "given_names": "Rosa", "aliases": []},
            rules=Rules(**RULES),
            expected_version=1,
        )
        s.commit()
    index = _loaded(node)
    assert index.computed == 0
    names = {f["given_names"] for r, f in _entries(index) if r == rid}
    assert names == {"ROSA"}


def test_redacted_data_takes_its_features_with_it(
    node: Node, factory: Factory, listed: dict[str, Any]
) -> None:
    rid = listed["ids"][0]
    with node.sessions() as s:
        # As a partner's retraction does: the data goes, nothing else is said.
        s.execute(update(RecordVersion).where(RecordVersion.record_id == rid).values(data=None))
        s.commit()
    assert rid not in _stored(node)
    assert rid not in {r for r, _ in _entries(_loaded(node))}
    # Retention, the service's way.
    sup, _ = factory.user("sofia", "supervisor")
    old = factory.record(listed["analyst"], "person", PERSON, review_date="2001-01-01")
    assert old.record.id in _stored(node)
    with node.sessions() as s:
        assert review.enforce_retention(s, node=node, principal=sup) == [old.record.id]
        s.commit()
    assert old.record.id not in _stored(node)
    with node.sessions() as s:
        assert s.get(Record, old.record.id) is not None


def test_one_travellers_key_hashes_are_the_list_ones(listed: dict[str, Any]) -> None:
    queries = [features({"record_id": "?", **t}) for t in listed["travellers"]]
    queries.append(features({"record_id": "?", **dict.fromkeys(FIELDS, "")}))
    columns = {c: [q[c] for q in queries] for c in queries[0] if c != "unique_id"}
    hashes, rows = key_hashes(columns, query=True)
    for i, query in enumerate(queries):
        assert sorted(hashes[rows == i].tolist()) == sorted(query_hashes(query))
        assert len(query_hashes(query)) == len(list(keys(query, query=True)))


def test_a_list_looks_up_as_each_traveller_alone(node: Node, listed: dict[str, Any]) -> None:
    index = _loaded(node)
    queries = [features({"record_id": "?", **t}) for t in listed["travellers"]]
    together = index.positions_many(queries)
    assert sum(len(p) > 0 for p in together) > len(queries) // 2
    for query, found in zip(queries, together, strict=True):
        assert np.array_equal(found, index.positions(query))
