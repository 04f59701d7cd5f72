"""Signed messages between nodes.

Every request and every response is an envelope ``{sender, recipient, type, ts, nonce,
in_reply_to, body}`` signed with the sender's Ed25519 key over its canonical JSON. The
receiver checks, in this order: the sender is a registered peer, the signature is the
peer's, the envelope is addressed to this node, its time is within the freshness window,
and its nonce has not been seen (replay). Any failure is refused with a clear error and
changes nothing.

Before any of that, ``parse`` checks the message's shape, since anyone may post one: the
header fields are short one-line texts through the text gate, and the whole message can
be canonicalised (no lone surrogate, no depth beyond ``MAX_DEPTH``, numbers JSON can
sign). Nothing unchecked reaches the database, a signature or an error message.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alianza.codes.shape import check_canonical
from alianza.codes.text import text_problem
from alianza.errors import AuthenticationError, InputError
from alianza.exchange.models import Peer, SeenNonce
from alianza.node.context import Node
from alianza.node.keys import canonical, verify

# Messages older or newer than this are refused; nonces are remembered this long.
WINDOW = timedelta(minutes=5)
_NONCE = re.compile(r"[0-9a-f]{16,64}")
# Header fields and their longest value (node ids fit the peers table's 64 characters).
_HEADER = {"sender": 64, "recipient": 64, "type": 64, "ts": 64, "nonce": 64}
_SIGNATURE = 256


@dataclass(slots=True)
class Opened:
    """A verified incoming envelope and the peer that sent it."""

    peer: Peer
    envelope: dict[str, Any]
    signature: str = ""

    @property
    def body(self) -> dict[str, Any]:
        body = self.envelope.get("body")
        return body if isinstance(body, dict) else {}


def seal(
    node: Node, *, recipient: str, type: str, body: dict[str, Any], in_reply_to: str = ""
) -> dict[str, Any]:
    """A signed envelope from this node to ``recipient``."""
    envelope = {
        "sender": node.node_id,
        "recipient": recipient,
        "type": type,
        "ts": datetime.now(UTC).isoformat(),
        "nonce": secrets.token_hex(16),
        "in_reply_to": in_reply_to,
        "body": body,
    }
    return {"envelope": envelope, "signature": node.key.sign(canonical(envelope))}


def parse(message: Any) -> tuple[dict[str, Any], str]:
    """The envelope and signature of ``message``, or ``InputError`` naming what is wrong."""
    if not isinstance(message, dict):
        raise InputError.at("message", "se esperaba un objeto {envelope, signature}")
    envelope, signature = message.get("envelope"), message.get("signature")
    if not isinstance(envelope, dict) or not isinstance(signature, str):
        raise InputError.at("message", "faltan 'envelope' o 'signature'")
    if len(signature) > _SIGNATURE or not signature.isascii():
        raise InputError.at("signature", "se esperaba una firma en hexadecimal")
    for field, longest in _HEADER.items():
        value = envelope.get(field)
        if not isinstance(value, str) or not value:
            raise InputError.at(f"envelope.{field}", "falta o no es texto")
        if len(value) > longest:
            raise InputError.at(f"envelope.{field}", f"más de {longest} caracteres")
        cleaned, problem = text_problem(value)
        if problem is None and cleaned != value:
            problem = "espacios sobrantes o texto sin normalizar (NFC)"
        if problem is not None:
            # Refused as it stands, never cleaned: the signature covers the bytes sent.
            raise InputError.at(f"envelope.{field}", problem)
    check_canonical(envelope, field="envelope")
    if not _NONCE.fullmatch(envelope["nonce"]):
        # Checked before anything is stored: a nonce the table cannot hold would fail the
        # commit of every query batched with it.
        raise InputError.at("envelope.nonce", "se esperaban de 16 a 64 cifras hexadecimales")
    return envelope, signature


def check_signature(message: Any, *, peer: Peer) -> dict[str, Any]:
    """The envelope of ``message`` if ``peer`` signed it (no freshness or replay check)."""
    envelope, signature = parse(message)
    if envelope["sender"] != peer.node_id:
        raise AuthenticationError(
            f"El mensaje dice venir de {envelope['sender']}, no de {peer.node_id}."
        )
    if not verify(peer.public_key, canonical(envelope), signature):
        raise AuthenticationError(f"Firma inválida en un mensaje de {peer.node_id}.")
    return envelope


def check_fresh(envelope: dict[str, Any], now: datetime) -> None:
    """Refuse an envelope dated outside the freshness window around ``now``."""
    try:
        ts = datetime.fromisoformat(envelope["ts"])
    except ValueError:
        raise InputError.at("envelope.ts", "fecha ilegible") from None
    if ts.tzinfo is None:
        raise InputError.at("envelope.ts", "la fecha debe llevar zona horaria")
    if abs(now - ts) > WINDOW:
        raise AuthenticationError(
            f"Mensaje fuera de la ventana de {int(WINDOW.total_seconds() // 60)} minutos "
            f"(enviado {envelope['ts']}): reloj desfasado o mensaje reenviado."
        )


def open_message(session: Session, *, node: Node, message: Any) -> Opened:
    """Verify an incoming request (sender, signature, recipient, time, replay)."""
    envelope, signature = parse(message)
    peer = session.scalar(select(Peer).where(Peer.node_id == envelope["sender"]))
    if peer is None or not peer.active:
        raise AuthenticationError(f"Nodo desconocido: {envelope['sender']}.")
    check_signature(message, peer=peer)
    if envelope["recipient"] != node.node_id:
        raise AuthenticationError(
            f"El mensaje va dirigido a {envelope['recipient']}, no a este nodo."
        )
    now = datetime.now(UTC)
    check_fresh(envelope, now)
    remember_nonce(session, sender=peer.node_id, nonce=envelope["nonce"], now=now)
    return Opened(peer=peer, envelope=envelope, signature=signature)


def remember_nonce(session: Session, *, sender: str, nonce: str, now: datetime) -> None:
    """Record a nonce, refusing one already seen inside the window (a replay)."""
    if secrets.randbelow(100) == 0:
        # Expired nonces go now and then, not on every message (one DELETE per message
        # made every incoming message wait on the same rows).
        session.execute(delete(SeenNonce).where(SeenNonce.seen_at < now - 2 * WINDOW))
    if session.get(SeenNonce, (sender, nonce)) is not None:
        raise AuthenticationError(f"Mensaje repetido (nonce {nonce[:8]}…): se rechaza.")
    try:
        with session.begin_nested():
            session.add(SeenNonce(sender=sender, nonce=nonce, seen_at=now))
    except IntegrityError:
        raise AuthenticationError(f"Mensaje repetido (nonce {nonce[:8]}…): se rechaza.") from None


def open_reply(message: Any, *, node: Node, peer: Peer, request: dict[str, Any]) -> Opened:
    """Verify a peer's response to our request (signature, addressee, reply-to, time)."""
    envelope = check_signature(message, peer=peer)
    if envelope["recipient"] != node.node_id:
        raise AuthenticationError("La respuesta no está dirigida a este nodo.")
    if envelope.get("in_reply_to") != request["envelope"]["nonce"]:
        raise AuthenticationError("La respuesta no corresponde a la solicitud enviada.")
    check_fresh(envelope, datetime.now(UTC))
    return Opened(peer=peer, envelope=envelope)
