"""The puller's checks on each version a peer sends (no server needed)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from alianza.db import transaction
from alianza.errors import AuthenticationError, InputError, IntegrityFailure
from alianza.exchange import pull
from alianza.exchange import service as exchange_service
from alianza.exchange.models import Peer
from alianza.node.context import Node
from alianza.node.keys import generate_key
from alianza.records.models import RecordVersion
from alianza.records.versions import signed_version_row
from tests.conftest import RULES, FreshNode

DATA = {"number": "CSQU3054383", "status": "suspect"}


@pytest.fixture
def puller(fresh: FreshNode, tmp_path: Path) -> tuple[Node, Peer, Node]:
    node = fresh.init()
    other = dataclasses.replace(
        node,
        key=generate_key(tmp_path / "ec.pem"),
        node_id="ec-1234",
        country="EC",
        agency="Policía Nacional",
    )
    with transaction(node.sessions) as s:
        peer = exchange_service.add_peer(
            s,
            node=node,
            actor=node.system,
            node_id=other.node_id,
            country="EC",
            agency="Policía Nacional",
            url="http://127.0.0.1:9",
            public_key=other.key.public_hex,
        )
        s.expunge(peer)
    return node, peer, other


def _version(by: Node, **over: object) -> dict[str, object]:
    rules = {
        **RULES,
        "handling_code": "H0",
        "handling_note": None,
        "source_grade": "X",
        "info_grade": "4",
        "scope": "members",
        "scope_countries": [],
        "review_date": "2031-01-01",
    }
    row = signed_version_row(
        key=by.key,
        signer=by.node_id,
        record_id="0b8f9a52-6c1e-4c59-9a8e-0d3c5a1b2c3d",
        version=1,
        kind="container",
        owner_country="EC",
        owner_agency="Policía Nacional",
        data=DATA,
        rules=rules,
        tombstone=False,
        created_at="2026-11-28T00:00:00+00:00",
        author="pn",
        reason="",
    )
    row.update(over)
    return row


def _apply(node: Node, peer: Peer, entries: list[dict[str, object]]) -> list[InputError]:
    refused: list[InputError] = []
    with transaction(node.sessions) as s:
        live = s.get(Peer, peer.id)
        assert live is not None
        pull.apply_changes(
            s,
            node=node,
            peer=live,
            page={"entries": entries, "next_cursor": 1, "more": False},
            refused=refused,
        )
    return refused


def test_a_good_version_is_stored_once(puller: tuple[Node, Peer, Node]) -> None:
    node, peer, other = puller
    entry = {"type": "version", "version": _version(other)}
    _apply(node, peer, [entry])
    _apply(node, peer, [entry, entry])
    with node.sessions() as s:
        assert s.scalar(select(func.count()).select_from(RecordVersion)) == 1


def test_version_signed_by_someone_else_is_refused(
    puller: tuple[Node, Peer, Node], tmp_path: Path
) -> None:
    node, peer, other = puller
    third = dataclasses.replace(other, key=generate_key(tmp_path / "pe.pem"), node_id="pe-1")
    with pytest.raises(AuthenticationError, match="firmada por pe-1"):
        _apply(node, peer, [{"type": "version", "version": _version(third)}])
    forged = _version(other)
    forged["signature"] = _version(third)["signature"]
    with pytest.raises(AuthenticationError, match="firma inválida"):
        _apply(node, peer, [{"type": "version", "version": forged}])


def test_a_peer_cannot_send_records_it_does_not_own(puller: tuple[Node, Peer, Node]) -> None:
    node, peer, other = puller
    row = _version(other, owner_country="CL", owner_agency="PDI")
    with pytest.raises(AuthenticationError, match="no es suyo"):
        _apply(node, peer, [{"type": "version", "version": row}])


def test_altered_data_and_malformed_entries_are_refused(puller: tuple[Node, Peer, Node]) -> None:
    node, peer, other = puller
    row = _version(other)
    row["data"] = json.dumps({**DATA, "status": "cleared"})
    with pytest.raises(IntegrityFailure):
        _apply(node, peer, [{"type": "version", "version": row}])
    with pytest.raises(InputError):
        _apply(node, peer, [{"type": "version", "version": {"record_id": "x"}}])
    with pytest.raises(InputError):
        _apply(node, peer, [{"type": "borrado-total"}])
    with node.sessions() as s:
        assert s.scalar(select(func.count()).select_from(RecordVersion)) == 0


def _signed(other: Node, n: int, *, kind: str, data: object, **rules: object) -> dict[str, object]:
    base = json.loads(str(_version(other)["rules"]))
    return signed_version_row(
        key=other.key,
        signer=other.node_id,
        record_id=f"{n}b8f9a52-6c1e-4c59-9a8e-0d3c5a1b2c3d"[:36],
        version=1,
        kind=kind,
        owner_country="EC",
        owner_agency="Policía Nacional",
        data=data,  # type: ignore[arg-type]
        rules={**base, **rules},
        tombstone=False,
        created_at="2026-11-28T00:00:00+00:00",
        author="pn",
        reason="",
    )


PERSON = {
    "category": "wanted",
    "given_names": "ANA",
    "surname_1": "PAZ",
    "birth_date": "1980-01-01",
}
# Authentic (signed by the partner) but invalid here: each refused, recorded, never stored.
BAD = [
    ("person", {**PERSON, "politicalOpinion": "x"}, {}),
    ("person", {**PERSON, "partido_politico": "x"}, {}),
    ("person", {**PERSON, "creencias": "x"}, {}),
    ("person", {**PERSON, "etnias": "x"}, {}),
    ("person", {**PERSON, "documents": [{"type": "RUT_CL", "number": "12.345.678-9"}]}, {}),
    ("person", {**PERSON, "birth_date": "1985-02-30"}, {}),
    ("container", DATA, {"scope": "weird"}),
    ("container", DATA, {"handling_code": "H9"}),
    ("container", {}, {}),
    ("container", {**DATA, "notes": "x" * 1_000_000}, {}),
]


def test_invalid_partner_versions_are_refused_recorded_and_never_stored(
    puller: tuple[Node, Peer, Node],
) -> None:
    """Issue 9, D3: a partner's version passes exactly the local write's gate."""
    node, peer, other = puller
    entries = [
        {"type": "version", "version": _signed(other, i, kind=k, data=d, **r)}
        for i, (k, d, r) in enumerate(BAD, start=1)
    ]
    good = {"type": "version", "version": _version(other)}
    refused = _apply(node, peer, [*entries, good])
    assert len(refused) == len(BAD)
    assert any("neutralidad" in p.message for p in refused)
    with node.sessions() as s:
        stored = list(s.scalars(select(RecordVersion.record_id)))
    assert stored == [_version(other)["record_id"]]  # only the good one


def test_a_record_of_another_agency_of_the_peer_country_keeps_its_owner(
    puller: tuple[Node, Peer, Node],
) -> None:
    """A node may host several agencies of its country; the copy names the real owner."""
    from alianza.records.models import Record

    node, peer, other = puller
    row = _version(other, owner_agency="Servicio Nacional de Aduana del Ecuador")
    row["signature"] = other.key.sign(_header(row))
    _apply(node, peer, [{"type": "version", "version": row}])
    with node.sessions() as s:
        record = s.get(Record, str(row["record_id"]))
        assert record is not None
        assert record.owner_agency == "Servicio Nacional de Aduana del Ecuador"
        assert record.origin == other.node_id


def _header(row: dict[str, object]) -> bytes:
    from alianza.records.versions import version_header

    fields = {k: v for k, v in row.items() if k not in ("data", "signature")}
    return version_header(**fields)  # type: ignore[arg-type]


def test_a_version_erased_by_the_owners_retention_still_syncs(
    puller: tuple[Node, Peer, Node],
) -> None:
    """Retention erases old data but keeps signed headers; a lagging peer must not stall."""
    node, peer, other = puller
    row = _version(other)
    row["data"] = None  # erased at the owner after signing
    _apply(node, peer, [{"type": "version", "version": row}])
    with node.sessions() as s:
        stored = s.scalar(select(RecordVersion))
        assert stored is not None and stored.data is None


@pytest.mark.parametrize(
    ("field", "value"),
    [("version", "1"), ("version", 2**40), ("rules", "{no json"), ("record_id", "x" * 90)],
)
def test_malformed_signed_fields_are_input_errors(
    puller: tuple[Node, Peer, Node], field: str, value: object
) -> None:
    node, peer, other = puller
    row = _version(other)
    row[field] = value
    if field == "rules":
        row["signature"] = other.key.sign(_header(row))
    with pytest.raises(InputError):
        _apply(node, peer, [{"type": "version", "version": row}])


def test_an_answer_addressed_to_another_node_is_refused(
    puller: tuple[Node, Peer, Node],
) -> None:
    """A release answer is bound to the partner that asked, not only to its request id."""
    from alianza.errors import PermissionDenied
    from alianza.exchange.released import store_answer
    from alianza.node.keys import canonical

    node, peer, other = puller
    payload = {
        "request_id": "r-1",
        "owner": other.node_id,
        "to": "pe-otro",
        "status": "approved",
        "data": {"given_names": "A"},
    }
    answer = {"payload": payload, "signature": other.key.sign(canonical(payload))}
    with node.sessions() as s, pytest.raises(PermissionDenied, match="otro nodo"):
        store_answer(s, node=node, peer=peer, answer=answer)
    payload = {**payload, "to": node.node_id}
    answer = {"payload": payload, "signature": other.key.sign(canonical(payload))}
    with node.sessions() as s:
        assert store_answer(s, node=node, peer=peer, answer=answer) is None  # no such request
