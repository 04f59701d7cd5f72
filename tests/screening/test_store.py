"""The compact watch list ranks exactly as the list of one object per entry did.

``Reference`` below is the index as it was before issue 11 (an ``Entry`` with a features
dict per way of meeting a record, a dict of lists per blocking key, every candidate
scored): the new store must give the same candidates, in the same order, with the same
weights and levels, on generated data, before and after records change.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import Any

import numpy as np
import pytest
from sqlalchemy import update

from alianza.identity.features import features
from alianza.node.context import Node
from alianza.records import service as records
from alianza.records.models import Record, RecordFeatures, RecordVersion
from alianza.screening import index as index_module
from alianza.screening import ladders, service
from alianza.screening.bounds import bound_of
from alianza.screening.index import TF_COLUMNS, Entry, _ways, keys
from alianza.screening.scorer import list_prior, probability
from alianza.screening.service import Screener, visible_to
from tests.conftest import Factory
from tests.screening.test_batch import person


class Reference:
    """The watch list of one object per entry, read whole from the database."""

    def __init__(self, node: Node) -> None:
        self.entries: list[Entry] = []
        self.blocks: dict[tuple[str, ...], list[int]] = defaultdict(list)
        self.frequencies: dict[str, Counter[str]] = {c: Counter() for c in TF_COLUMNS}
        with node.sessions() as session:
            rows = session.execute(index_module._current().where(Record.kind == "person"))
            for row in rows:
                if row.deleted or not row.data:
                    continue
                for f in _ways(json.loads(row.data), row.id):
                    rules = {name: getattr(row, name) for name in index_module.RULE_FIELDS}
                    self.entries.append(Entry(record_id=row.id, **rules, features=f))
                    for key in set(keys(f)):
                        self.blocks[key].append(len(self.entries) - 1)
                    for c in TF_COLUMNS:
                        if f[c]:
                            self.frequencies[c][f[c]] += 1

    def frequency(self, column: str, value: str) -> float:
        return self.frequencies[column][value] / max(len(self.entries), 1)

    def rank(self, screener: Screener, traveller: dict[str, str], allowed: Any) -> list[Any]:
        query = features({"record_id": "?", **traveller})
        use_tf = len(self.entries) >= service.TF_MIN_ENTRIES
        prior = list_prior(screener.scorer.prior, len(self.entries))
        seen: set[int] = set()
        for key in keys(query, query=True):
            seen.update(self.blocks.get(key, ()))
        best: dict[str, tuple[float, list[int], Entry]] = {}
        for entry in (self.entries[i] for i in sorted(seen)):
            if not allowed(entry):
                continue
            weight, reached = screener.scorer.score(
                query,
                entry.features,
                frequency=self.frequency if use_tf else None,
                prior=prior,
            )
            known = best.get(entry.record_id)
            if known is None or weight > known[0]:
                best[entry.record_id] = (weight, reached, entry)
        ranked = sorted(best.values(), key=lambda t: (-t[0], t[2].record_id))
        return [(e.record_id, round(w, 9), r) for w, r, e in ranked[:30] if probability(w) >= 0.01][
            :10
        ]


def _same_ranking(node: Node, screener: Screener, listed: dict[str, Any]) -> int:
    reference = Reference(node)
    compared = 0
    for officer in listed["officers"]:
        allowed = visible_to(officer)
        for traveller in listed["travellers"]:
            ours = [
                (e.record_id, round(c.weight, 9), [ev.weight for ev in c.evidence])
                for c, e in screener.rank(traveller, allowed=allowed)
            ]
            theirs = [
                (rid, w, [ev.weight for ev in screener.scorer.explain(r)])
                for rid, w, r in reference.rank(screener, traveller, allowed)
            ]
            assert ours == theirs, traveller
            compared += len(ours)
    return compared


@pytest.mark.parametrize("term_frequencies", [False, True])
def test_the_store_ranks_as_the_reference(
    node: Node,
    listed: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    term_frequencies: bool,
) -> None:
    if term_frequencies:
        monkeypatch.setattr(service, "TF_MIN_ENTRIES", 10)
    screener = Screener(node)
    screener.refresh()
    assert _same_ranking(node, screener, listed) > 100


def test_the_store_follows_changes_as_the_reference(
    node: Node, factory: Factory, listed: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    screener = Screener(node)
    screener.refresh()
    analyst = listed["analyst"]
    with node.sessions() as session:
        for record_id in listed["ids"][1:40:3]:
            records.delete_record(
                session, node=node, principal=analyst, record_id=record_id, reason="prueba"
            )
        session.commit()
    for traveller in listed["travellers"][:15]:  # new records, some the travellers themselves
        data = person(traveller, documents=False)
        factory.record(analyst, "person", {**data, "category": "watch"}, scope="country")
    screener.refresh()
    assert _same_ranking(node, screener, listed) > 100
    # Enough changes to merge the recent entries into the sorted blocks.
    monkeypatch.setattr(index_module, "_MERGE_AT", 1)
    factory.record(analyst, "person", person(listed["travellers"][20]), scope="country")
    screener.refresh()
    assert not screener.index._recent
    assert _same_ranking(node, screener, listed) > 100
    with node.sessions() as session:
        newest = session.query(RecordVersion.id).order_by(RecordVersion.id.desc()).first()
    assert newest is not None and screener.index.version == newest[0]


@pytest.mark.parametrize("term_frequencies", [False, True])
def test_every_candidate_is_weighed_as_the_pair_scorer_weighs_it(
    node: Node, listed: dict[str, Any], term_frequencies: bool
) -> None:
    # Not only the ten shown: every entry met, at every level of every comparison.
    screener = Screener(node)
    screener.refresh()
    index = screener.index
    frequency = index.frequency if term_frequencies else None
    reached: set[tuple[int, int]] = set()
    for traveller in [*listed["travellers"], *_variants(listed["travellers"][:40])]:
        query = features({"record_id": "?", **traveller})
        found = index.positions(query).tolist()
        if not found:
            continue
        at = np.array(found, dtype=np.int64)
        weights, levels = ladders.walk(
            screener.scorer,
            query,
            ladders.Columns(index.codes, at, index.chars, index.lengths),
            count=len(found),
            text=lambda c, rows, at=at: index.text(c, at[rows]),
            frequency=frequency,
            prior=1e-4,
        )
        for i, position in enumerate(found):
            entry = index.entry(position)
            weight, levels_of = screener.scorer.score(
                query, entry.features, frequency=frequency, prior=1e-4
            )
            assert levels[:, i].tolist() == levels_of, (traveller, entry.record_id)
            assert weights[i] == weight
            reached.update(enumerate(levels_of))
    # The generated data reaches most rungs of every ladder.
    missing = {(c, i) for c, n in enumerate((9, 11, 9, 5, 3, 3)) for i in range(n)} - reached
    assert not missing, missing


def _other(text: str) -> str:
    return text[:-1] + ("Q" if text[-1:] != "Q" else "K") if text else text


def _variants(travellers: list[dict[str, str]]) -> list[dict[str, str]]:
    """Travellers written a little off, for the rungs the generator seldom reaches."""
    out = []
    for t in travellers:
        birth = t["birth_date"]
        out += [
            {**t, "given_names": _other(t["given_names"])},
            {**t, "surname_1": _other(t["surname_1"]), "surname_2": ""},
            {**t, "given_names": ""},
            {**t, "sex": {"M": "F", "F": "M"}.get(t["sex"], "")},
            {**t, "nationality": "BR"},
        ]
        if t["document_number"]:  # a digit lost, a digit more
            number = t["document_number"]
            out += [{**t, "document_number": number[:-1]}, {**t, "document_number": number + "7"}]
            out += [{**t, "document_number": number[:2] + number[3:]}]
        if birth:
            typo = birth[:-1] + ("1" if birth[-1] != "1" else "2")
            out += [{**t, "birth_date": typo}, {**t, "birth_date": birth[:4] + "-12-28"}]
            # A date the registry did not know (same year), and a twin (other name).
            out += [{**t, "birth_date": birth[:4] + "-01-01"}, {**t, "given_names": "ZOILO"}]
        if t["surname_2"]:  # the second surname mistyped, and another one
            out += [{**t, "surname_2": _other(t["surname_2"])}, {**t, "surname_2": "QUISPE"}]
    return out


@pytest.mark.parametrize("term_frequencies", [False, True])
def test_many_travellers_in_one_pass_are_weighed_as_each_alone(
    node: Node, listed: dict[str, Any], term_frequencies: bool
) -> None:
    # The batch pass mixes travellers' pairs (distinct pairs of values asked once, typos
    # of every length at once): each pair must come out as the traveller alone and as
    # the pair scorer weigh it, to the last bit.
    screener = Screener(node)
    screener.refresh()
    index = screener.index
    frequency = index.frequency if term_frequencies else None
    queries, owners, found = [], [], []
    for traveller in [*listed["travellers"], *_variants(listed["travellers"][:40])]:
        query = features({"record_id": "?", **traveller})
        at = index.positions(query)
        owners.append(np.full(len(at), len(queries), dtype=np.int64))
        queries.append(query)
        found.append(at)
    positions = np.concatenate(found)
    assert len(positions) > 500
    weights, levels = ladders.walk_many(
        screener.scorer,
        queries,
        np.concatenate(owners),
        ladders.Columns(index.codes, positions, index.chars, index.lengths),
        text=lambda c, rows: index.text(c, positions[rows]),
        frequency=frequency,
        prior=1e-4,
    )
    k = 0
    for query, at in zip(queries, found, strict=True):
        alone_w, alone_l = ladders.walk(
            screener.scorer,
            query,
            ladders.Columns(index.codes, at, index.chars, index.lengths),
            count=len(at),
            text=lambda c, rows, at=at: index.text(c, at[rows]),
            frequency=frequency,
            prior=1e-4,
        )
        assert weights[k : k + len(at)].tolist() == alone_w.tolist()
        assert (levels[:, k : k + len(at)] == alone_l).all()
        for i, position in enumerate(at.tolist()):
            weight, reached = screener.scorer.score(
                query, index.entry(position).features, frequency=frequency, prior=1e-4
            )
            assert levels[:, k + i].tolist() == reached
            assert weights[k + i] == weight
        k += len(at)


def test_a_list_ranks_as_its_travellers_one_by_one(
    node: Node, listed: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "LOOKUP_AT_ONCE", 37)  # several chunks, one cut short
    screener = Screener(node)
    screener.refresh()
    travellers = [*listed["travellers"], *_variants(listed["travellers"][:10])]
    for officer in listed["officers"]:
        allowed = visible_to(officer)
        together = screener.rank_many(travellers, allowed=allowed)
        shown = 0
        for traveller, ranked in zip(travellers, together, strict=True):
            alone = screener.rank(traveller, allowed=allowed)
            assert [(e.record_id, e.features, c.weight, c.evidence) for c, e in ranked] == [
                (e.record_id, e.features, c.weight, c.evidence) for c, e in alone
            ]
            shown += len(ranked)
        assert shown > 100


def test_the_spelling_bounds_never_leave_out_a_pair_the_model_would_take(
    listed: dict[str, Any],
) -> None:
    # The bounds only spare the model's tests: every pair they leave out must fail them.
    names = sorted(
        {
            v
            for t in listed["travellers"]
            for v in (features({"record_id": "?", **t})[c] for c in ("given_1", "surname_1_core"))
            if v
        }
    )
    names += [_other(v) for v in names[:60]] + [v[1:] for v in names[:60]] + ["", "Ñandú", "A"]
    ours = [a for a in names for _ in names]
    theirs = [b for _ in names for b in names]
    checked = 0
    for c, i, column in ((0, 4, "given_1"), (0, 5, "given_1"), (1, 9, "surname_1_core")):
        level = ladders.COMPARISONS[c].levels[i]
        bound = bound_of(level, column)
        assert bound is not None
        may = bound(ours, theirs)
        assert 0 < may.sum() < len(ours) / 2  # it spares most questions
        for a, b, kept in zip(ours, theirs, may.tolist(), strict=True):
            if not kept:
                assert not level.test({column: a}, {column: b}), (level.label, a, b)
                checked += 1
    assert checked > 10_000


def test_dropping_a_record_without_entries_leaves_the_next_record_alone(
    node: Node, factory: Factory, listed: dict[str, Any]
) -> None:
    # A record whose stored features hold no way of meeting it has no entries; it had a
    # "start" all the same (the next record's first entry), and dropping it dropped that
    # record instead.
    analyst = listed["analyst"]
    empty = factory.record(analyst, "person", person(listed["travellers"][0]), scope="country")
    after = [
        factory.record(analyst, "person", person(t), scope="country").record.id
        for t in listed["travellers"][1:6]
    ]
    with node.sessions() as session:
        session.execute(
            update(RecordFeatures)
            .where(RecordFeatures.record_id == empty.record.id)
            .values(features="[]")
        )
        session.commit()
    screener = Screener(node)
    screener.refresh()
    assert empty.record.id not in screener.index.by_record
    live_before = screener.index.live
    with node.sessions() as session:
        records.delete_record(
            session, node=node, principal=analyst, record_id=empty.record.id, reason="prueba"
        )
        session.commit()
    screener.refresh()
    assert screener.index.live == live_before
    for record_id in after:
        start = screener.index.by_record[record_id]
        assert screener.index.alive[start]
