"""The watch list kept on disk (``screening/snapshot.py``): a process that starts from it
ranks exactly as one that loaded the database, whatever changed in between, and a file
that is not this node's own, signed and whole, is never used."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from alianza.identity.features import FEATURE_COLUMNS
from alianza.node.context import Node
from alianza.node.flows import init_node
from alianza.records import service as records
from alianza.records.models import Record
from alianza.screening import snapshot
from alianza.screening.index import ListState, WatchIndex
from alianza.screening.ladders import NUMERIC, TYPO_WIDTH
from alianza.screening.service import Screener
from alianza.settings import Settings
from tests.conftest import Factory
from tests.screening.test_batch import person
from tests.screening.test_store import _same_ranking


@pytest.fixture
def kept(node: Node) -> Iterator[Path]:
    """The node's kept list, removed after the test (the test node's folder is shared)."""
    path = snapshot.location(node)
    path.unlink(missing_ok=True)
    yield path
    path.unlink(missing_ok=True)


def _keeping(node: Node) -> Screener:
    screener = Screener(node)
    screener.keep_at = 0  # the test lists are small: keep them anyway
    screener.keep_every = None  # no timer thread behind the test's back
    return screener


def test_a_process_starting_from_the_kept_list_ranks_as_the_database_after_changes(
    node: Node,
    factory: Factory,
    listed: dict[str, Any],
    kept: Path,
) -> None:
    first = _keeping(node)
    total = first.refresh()
    assert kept.exists() and kept.stat().st_mode & 0o777 == 0o600
    assert kept.parent.stat().st_mode & 0o777 == 0o700
    analyst = listed["analyst"]
    ids = listed["ids"]
    with node.sessions() as session:
        for record_id in [ids[i] for i in range(1, 40, 4) if i % 9]:  # own, not copies
            records.delete_record(
                session, node=node, principal=analyst, record_id=record_id, reason="prueba"
            )
        # Rules changed without a version, and a partner's copy retracted in place.
        session.execute(update(Record).where(Record.id.in_(ids[2:40:5])).values(scope="agency"))
        session.execute(update(Record).where(Record.id == ids[3]).values(deleted=True))
        session.commit()
    for traveller in listed["travellers"][:6]:  # new records, some the travellers themselves
        factory.record(analyst, "person", person(traveller, documents=False), scope="country")

    second = _keeping(node)
    assert snapshot.load(node) is not None
    read = second.refresh()
    # Only what changed was read again (or dropped), and the rest came from the file.
    assert 0 < read < total / 4
    assert _same_ranking(node, second, listed) > 100
    # The file was written again once caught up: a third process reads nothing.
    third = _keeping(node)
    assert third.refresh() == 0
    assert third.index.live == second.index.live
    assert _same_ranking(node, third, listed) > 100


def test_a_change_has_the_kept_list_written_again_soon(
    node: Node, listed: dict[str, Any], kept: Path
) -> None:
    # An erased person must leave the file too, not only the running process's memory.
    screener = _keeping(node)
    screener.refresh()
    screener.keep_every = 0.05
    erased = listed["ids"][4]
    before = kept.stat().st_mtime_ns
    with node.sessions() as session:
        records.delete_record(
            session, node=node, principal=listed["analyst"], record_id=erased, reason="prueba"
        )
        session.commit()
    try:
        assert screener.refresh() == 1
        for _ in range(200):
            if kept.stat().st_mtime_ns != before:
                break
            time.sleep(0.05)
        state = snapshot.load(node)
        assert state is not None and erased not in state.record_ids
        assert len(state.record_ids) == len(screener.index.by_record)
    finally:
        screener.close()


def _flip(path: Path, at: int) -> None:
    raw = bytearray(path.read_bytes())
    raw[at % len(raw)] ^= 0x01
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda p: _flip(p, 3), id="magic"),
        pytest.param(lambda p: _flip(p, 60), id="header"),
        pytest.param(lambda p: _flip(p, p.stat().st_size // 2), id="data"),
        pytest.param(lambda p: _flip(p, -5), id="signature"),
        pytest.param(lambda p: p.write_bytes(p.read_bytes()[:-200]), id="truncated"),
        pytest.param(lambda p: p.write_bytes(p.read_bytes() + b"0"), id="appended"),
        pytest.param(lambda p: p.write_bytes(b""), id="empty"),
    ],
)
def test_a_spoiled_kept_list_is_ignored_and_written_again(
    node: Node,
    listed: dict[str, Any],
    kept: Path,
    spoil: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    total = _keeping(node).refresh()
    spoil(kept)
    with caplog.at_level(logging.WARNING, logger="alianza.screening"):
        assert snapshot.load(node) is None
    assert "ignorada" in caplog.text
    again = _keeping(node)
    assert again.refresh() == total  # loaded from the database
    assert _same_ranking(node, again, listed) > 100
    assert snapshot.load(node) is not None  # and kept again, whole


@pytest.mark.parametrize(
    "header",
    [
        {"format": 1, "parts": [["x", "<i8", [10**12]]]},
        [1, 2, 3],
        {"format": 1, "node": None},
        "texto",
    ],
    ids=["a-terabyte-part", "a-list", "no-node", "a-string"],
)
def test_a_hostile_header_is_refused_before_anything_is_allocated(
    node: Node, kept: Path, header: Any
) -> None:
    import orjson

    from alianza.screening.stored import revision

    if isinstance(header, dict):
        header = {"node": node.node_id, "revision": revision(), **header}
    raw = orjson.dumps(header)
    kept.parent.mkdir(mode=0o700, exist_ok=True)
    kept.write_bytes(snapshot.MAGIC + len(raw).to_bytes(8, "little") + raw + b"0" * 200)
    assert snapshot.load(node) is None


def test_a_catch_up_that_fails_leaves_the_index_empty(
    node: Node,
    listed: dict[str, Any],
    kept: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _keeping(node).refresh()
    screener = _keeping(node)

    def broken(self: Any, session: Any) -> int:
        raise RuntimeError("la base se cayó")

    with monkeypatch.context() as m:
        m.setattr(WatchIndex, "_reconcile", broken)
        with pytest.raises(RuntimeError):
            screener.refresh()
    assert screener.index.version == -1 and screener.index.live == 0
    assert screener.refresh() == 0 and screener.index.live  # the kept list, caught up
    assert _same_ranking(node, screener, listed) > 100


def test_another_nodes_kept_list_is_ignored(
    node: Node,
    listed: dict[str, Any],
    kept: Path,
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path / "otro", database_url="")
    other = init_node(settings, country="EC", agency="Policía")
    try:
        screener = _keeping(node)
        screener.refresh()
        state = screener.index.state()
        # Another node's own file, and one that claims to be ours but is signed by it.
        for signer in (other, dataclasses.replace(other, node_id=node.node_id)):
            written = snapshot.save(signer, state)
            kept.write_bytes(written.read_bytes())
            assert snapshot.load(node) is None
    finally:
        other.close()


def test_a_list_too_small_to_keep_is_not_written(
    node: Node, listed: dict[str, Any], kept: Path
) -> None:
    screener = Screener(node)
    assert screener.refresh() < screener.keep_at
    assert not kept.exists()


# Any text but a NUL, which no stored value holds (``save`` refuses one, tested below).
_text = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=()), max_size=12)
_texts = st.lists(_text, max_size=8)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_state_comes_back_from_the_file_as_it_went(
    node: Node, kept: Path, data: st.DataObject
) -> None:
    records_n = data.draw(st.integers(0, 5))
    sizes = [data.draw(st.integers(1, 3)) for _ in range(records_n)]
    n = sum(sizes)
    ids = data.draw(st.lists(_text, min_size=records_n, max_size=records_n))
    rules = [tuple(data.draw(st.lists(st.text(max_size=4), min_size=8, max_size=8)))]
    texts = {}
    for c in FEATURE_COLUMNS:
        if c in NUMERIC:
            continue
        strings = list(dict.fromkeys(data.draw(_texts)))
        places = data.draw(st.lists(st.integers(-1, len(strings) - 1), min_size=n, max_size=n))
        texts[c] = strings, np.array(places, np.int32)
    state = ListState(
        version=data.draw(st.integers(-1, 2**40)),
        record_ids=ids,
        record_versions=np.array(
            data.draw(st.lists(st.integers(1, 9), min_size=records_n, max_size=records_n)),
            np.int64,
        ),
        record_of=np.repeat(np.arange(records_n), sizes).astype(np.int32),
        rule_of=np.zeros(n, np.int32),
        rules=rules,
        numbers={c: np.arange(n, dtype=np.int64) for c in NUMERIC},
        texts=texts,
        chars={c: np.full((n, w), 65, np.uint8) for c, w in TYPO_WIDTH.items()},
        lengths={c: np.full(n, 3, np.int16) for c in TYPO_WIDTH},
    )
    snapshot.save(node, state)
    back = snapshot.load(node)
    assert back is not None
    assert back.version == state.version and back.rules == state.rules
    assert back.record_ids == state.record_ids
    for c, (strings, places) in state.texts.items():
        assert back.texts[c][0] == strings
        assert back.texts[c][1].tolist() == places.tolist()
    assert back.record_of.tolist() == state.record_of.tolist()


def _content(index: WatchIndex) -> dict[str, Any]:
    """What an index holds, per record: version, rules and each entry's values (in no
    process's hashes: two indexes compare equal when they would screen alike)."""
    state = index.state()
    out: dict[str, Any] = {}
    for e, number in enumerate(state.record_of.tolist()):
        record_id = state.record_ids[number]
        values = [
            (strings[places[e]] if places[e] >= 0 else None)
            for strings, places in state.texts.values()
        ]
        values += [int(state.numbers[c][e]) for c in NUMERIC]
        values += [state.chars[c][e].tobytes() for c in TYPO_WIDTH]
        values += [int(state.lengths[c][e]) for c in TYPO_WIDTH]
        held = out.setdefault(
            record_id,
            [int(state.record_versions[number]), state.rules[state.rule_of[e]], []],
        )
        held[2].append(tuple(values))
    for held in out.values():
        held[2].sort(key=repr)
    return out


_CHANGES = st.lists(
    st.tuples(
        st.sampled_from(["new", "update", "delete", "scope", "retract"]), st.integers(0, 10**6)
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(changes=_CHANGES)
def test_any_changes_after_keeping_are_caught_up_as_a_load_would(
    node: Node, factory: Factory, listed: dict[str, Any], kept: Path, changes: list[Any]
) -> None:
    from alianza.records.rules import Rules
    from tests.conftest import RULES

    _keeping(node).refresh()  # the list as it is now, kept
    analyst, ids, travellers = listed["analyst"], listed["ids"], listed["travellers"]
    for change, pick in changes:
        # Own records only (every ninth is a partner's copy, which only its owner changes).
        own = [i for k, i in enumerate(ids) if k % 9]
        record_id = own[pick % len(own)]
        traveller = travellers[pick % len(travellers)]
        with node.sessions() as session:
            record = session.get(Record, record_id)
            assert record is not None
            if change == "new":
                # Without documents: a traveller's may fail validation (the fixture's
                # way around it), which is not what this test is about.
                data = person(traveller, documents=False)
                factory.record(analyst, "person", data, scope="country")
            elif record.deleted:
                continue
            elif change == "update":
                records.update_record(
                    session, node=node, principal=analyst, record_id=record_id,
                    data=person(traveller, documents=False), rules=Rules(**RULES),
                )  # fmt: skip
            elif change == "delete":
                records.delete_record(
                    session, node=node, principal=analyst, record_id=record_id, reason="x"
                )
            elif change == "scope":
                record.scope = "agency" if record.scope == "country" else "country"
            else:  # a retraction changes a record without a version
                record.deleted = True
            session.commit()
    adopted = _keeping(node)
    adopted.refresh()
    loaded = WatchIndex()
    with node.reads() as session:
        loaded.refresh(session)
    assert _content(adopted.index) == _content(loaded)


def test_a_value_holding_a_nul_is_not_kept(node: Node, listed: dict[str, Any], kept: Path) -> None:
    screener = _keeping(node)
    screener.keep_at = 10**9  # loaded, not kept yet
    screener.refresh()
    state = screener.index.state()
    state.record_ids[0] = "a\x00b"
    with pytest.raises(ValueError, match="NUL"):
        snapshot.save(node, state)
    assert not kept.exists()
