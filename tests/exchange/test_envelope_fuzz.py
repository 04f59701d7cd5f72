"""Fuzzing envelope parsing (issue 9): anyone may post a message to ``/api/v1/exchange``.

Whatever the message holds, unsigned or signed by a registered peer, parsing and opening
it raise nothing but an ``AlianzaError`` subclass. Bounded examples, no deadline.
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alianza.errors import AlianzaError, InputError
from alianza.exchange.envelope import check_fresh, open_message, parse
from alianza.exchange.models import Peer
from alianza.node.context import Node
from alianza.node.keys import FileKey, NodeKey, canonical

pytestmark = pytest.mark.once  # fuzzing: once per CI run, on the SQLite pass

NASTY = st.one_of(
    st.characters(),
    st.characters(categories=["Cs", "Cc", "Cf", "Mn"]),
    st.sampled_from("\x00\x07\n\t\u202e\u200b\ufeff\u0301 "),
)
TEXT = st.text(alphabet=NASTY, max_size=24)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=10,
)
PEER_ID = "ec-0123456789ab"
TYPES = ["sync.pull", "query.hit", "release.request", "consent.request", "witness.exchange"]


def _ts(offset: int) -> str:
    return (datetime.now(UTC) + timedelta(seconds=offset)).isoformat()


@st.composite
def envelopes(draw: st.DrawFn, recipient: str = "cl-node") -> dict[str, Any]:
    """A well-formed envelope with up to three fields replaced by anything, or dropped."""
    envelope: dict[str, Any] = {
        "sender": draw(st.sampled_from([PEER_ID, "xx-unknown"])),
        "recipient": recipient,
        "type": draw(st.sampled_from(TYPES)),
        "ts": _ts(draw(st.integers(-600, 600))),
        "nonce": draw(st.text("0123456789abcdef", min_size=16, max_size=64)),
        "in_reply_to": "",
        "body": draw(st.dictionaries(st.sampled_from(["cursor", "kind", "values"]), JSON)),
    }
    for name in draw(st.sets(st.sampled_from(sorted(envelope)), max_size=3)):
        choice = draw(st.sampled_from(["text", "json", "drop"]))
        if choice == "drop":
            del envelope[name]
        else:
            envelope[name] = draw(TEXT if choice == "text" else JSON)
    return envelope


MESSAGES = st.one_of(
    JSON,
    st.fixed_dictionaries(
        {
            "envelope": st.one_of(envelopes(), envelopes(), JSON),
            "signature": st.one_of(st.text("0123456789abcdef"), JSON),
        }
    ),
)


def _roundtrip(message: Any) -> Any:
    # What the server sees: the client's JSON, parsed again (NaN and surrogates survive).
    return json.loads(json.dumps(message))


@given(MESSAGES)
@settings(max_examples=300, deadline=None)
def test_parse_raises_only_input_errors(message: Any) -> None:
    try:
        envelope, _ = parse(_roundtrip(message))
    except InputError as exc:
        json.dumps(exc.to_problem(), ensure_ascii=False).encode("utf-8").decode()
        return
    canonical(envelope)  # what parse lets through can be signed and verified
    envelope["sender"].encode("utf-8")
    with contextlib.suppress(AlianzaError):
        check_fresh(envelope, datetime.now(UTC))


@pytest.fixture
def peer_key(node: Node) -> NodeKey:
    key = FileKey(Ed25519PrivateKey.generate())
    with node.sessions() as s:
        s.add(
            Peer(
                node_id=PEER_ID,
                country="EC",
                agency="PN",
                url="http://127.0.0.1:9",
                public_key=key.public_hex,
                added_at=datetime.now(UTC),
            )
        )
        s.commit()
    return key


@given(data=st.data())
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_open_message_raises_only_alianza_errors(
    node: Node, peer_key: NodeKey, data: st.DataObject
) -> None:
    envelope = data.draw(envelopes(recipient=node.node_id))
    message: Any = {"envelope": envelope, "signature": "00" * 64}
    if data.draw(st.booleans()):
        # Signed by the registered peer: parsing must hold after the signature too (orjson
        # refuses what JSON cannot carry with TypeError: parse must refuse that too).
        with contextlib.suppress(TypeError):
            message["signature"] = peer_key.sign(canonical(envelope))
    with node.sessions() as session:
        try:
            open_message(session, node=node, message=_roundtrip(message))
        except AlianzaError as exc:
            json.dumps(exc.to_problem(), ensure_ascii=False)
        finally:
            session.rollback()


def test_a_lone_surrogate_in_a_signed_envelope_is_refused_before_the_database(
    node: Node, peer_key: NodeKey
) -> None:
    envelope = {
        "sender": PEER_ID,
        "recipient": node.node_id,
        "type": "sync.pull",
        "ts": _ts(0),
        "nonce": "ab" * 16,
        "in_reply_to": "",
        "body": {"cursor": 0, "note": "\ud800"},
    }
    with node.sessions() as session, pytest.raises(InputError, match=r"envelope\.body\.note"):
        open_message(session, node=node, message={"envelope": envelope, "signature": "00" * 64})


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("sender", "\ud800", "sustituto"),
        ("type", "sync.pull\u202e", "bidireccional"),
        ("sender", " " + PEER_ID, "normalizar"),
        ("recipient", "x" * 65, "64 caracteres"),
        ("ts", "2026-01-01\x00", "control"),
    ],
)
def test_header_fields_are_short_clean_one_line_texts(field: str, value: str, words: str) -> None:
    envelope = {
        "sender": PEER_ID,
        "recipient": "cl-node",
        "type": "sync.pull",
        "ts": _ts(0),
        "nonce": "ab" * 16,
        "body": {},
    }
    envelope[field] = value
    with pytest.raises(InputError, match=words) as info:
        parse({"envelope": envelope, "signature": "00"})
    assert info.value.problems[0].field == f"envelope.{field}"
