"""The hit/no-hit desk: many queries checked at once, their writes committed together.

A hit/no-hit query is mostly reading: verify the envelope, look the key up within the
peer's scope, sign the answer. What it writes is small but must be durable before the
answer leaves: the nonce (replay protection), the hit references and the audit entry.
Written one query per transaction, those writes queued on the single writer (SQLite) or
the audit head's row lock (PostgreSQL) and capped the desk at about a hundred queries a
second. Here the checks and the lookup run in the request, on a reader that never waits
for writers, and the writes of every query checked since the last commit go into one
transaction (group commit, as databases do with their own log). A query is answered
only after its batch has committed, so nothing is answered that is not audited.

Everything runs on the event loop's thread, the commit included: a writer thread beside
it halved the throughput, and a worker thread per batch cut it to a third (the threads
traded the interpreter lock on every query). The loop therefore waits while a batch
commits (about a millisecond). When another thread of this process holds SQLite's single
writer (an import, a sync), the batch goes to a worker thread instead, so the loop does
not wait for the import. On PostgreSQL the commit can still wait on the audit head's row
lock held by another worker's import.

A nonce seen before, in the database or earlier in the same batch, makes that query a
replay: its answer is thrown away, the refusal is written to the audit log instead, and
the sender gets the same error as on the one-message-at-a-time path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

import anyio.to_thread
from fastapi import FastAPI
from sqlalchemy import Connection, Engine, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from alianza.audit.service import Act, append_many
from alianza.db import Base, transaction, writer_lock
from alianza.errors import AlianzaError, AuthenticationError, InputError, Unavailable
from alianza.exchange import envelope as envelopes
from alianza.exchange.hits import (
    PersonMatcher,
    PersonQuery,
    Prepared,
    Purpose,
    QueryKind,
    RateLimiter,
    find_records,
    lookup_key,
    new_reference,
    parse_query,
    prepared_lookup,
)
from alianza.exchange.models import Peer, SeenNonce
from alianza.node.context import Node
from alianza.node.keys import canonical, verify

log = logging.getLogger("alianza.exchange")

# At most this many queries per transaction: bounds the statement size and the time the
# first query of a batch waits for the last.
MAX_BATCH = 256


class ReplayRefused(AuthenticationError):
    """A replay found at commit time; its refusal is already in the audit log."""


_PEER = select(Peer.node_id, Peer.country, Peer.agency, Peer.public_key, Peer.active).where(
    Peer.node_id == bindparam("node_id")
)


class _PeerRow(NamedTuple):
    node_id: str
    country: str
    agency: str
    public_key: str
    active: bool


@dataclass(slots=True)
class _Work:
    """One checked query waiting for its writes to commit."""

    sender: str
    nonce: str
    seen_at: datetime
    refs: list[dict[str, Any]]
    act: Act
    done: asyncio.Future[None] | None  # made on the loop, when the query joins a batch
    loop: asyncio.AbstractEventLoop
    replay: bool = field(default=False)


class QueryDesk:
    """Answers ``query.hit`` messages for one node (one per serving process)."""

    def __init__(self, node: Node, *, limiter: RateLimiter, matcher: PersonMatcher) -> None:
        self.node = node
        self.limiter = limiter
        self.matcher = matcher
        self._queue: list[_Work] = []
        self._dialect = node.engine.dialect
        insert = postgresql.insert if self._dialect.name == "postgresql" else sqlite.insert
        # Built once, executed with a list of rows (SQLAlchemy's "insertmanyvalues"): a
        # statement built per batch with ``.values([...])`` was compiled anew for every
        # batch size, and the ORM's bulk path cost as much again.
        nonces, refs = Base.metadata.tables["seen_nonces"], Base.metadata.tables["hit_references"]
        self._nonces = (
            insert(nonces).on_conflict_do_nothing().returning(nonces.c.sender, nonces.c.nonce)
        )
        self._refs = insert(refs)
        self._peer = Prepared.of(_PEER, self._dialect)
        # Hot reads go straight to a pooled DBAPI connection of the reader engine; a node
        # bound to one connection (the tests' rolled-back transaction) reads on that one,
        # so it sees its own uncommitted rows.
        self._bind = node.reads.kw["bind"]
        if isinstance(self._bind, Engine):
            self._autocommit = self._bind.execution_options(isolation_level="AUTOCOMMIT")
        self._held: Connection | None = None

    async def answer(self, message: Any) -> dict[str, Any]:
        """The signed reply to one hit/no-hit message (raises ``AlianzaError`` on refusal)."""
        loop = asyncio.get_running_loop()
        kind = _query_kind(message)
        if kind == "person":
            # The identity matcher scores candidates in Python and may have to load the
            # watch list first: off the loop, so other queries are not held up meanwhile.
            envelope, body, work = await anyio.to_thread.run_sync(self._check, message, loop, False)
        else:
            envelope, body, work = self._check(message, loop, True)
        await self._commit(work)
        if work.replay:
            raise ReplayRefused(f"Mensaje repetido (nonce {work.nonce[:8]}…): se rechaza.")
        return envelopes.seal(
            self.node,
            recipient=work.sender,
            type="query.hit.reply",
            body=body,
            in_reply_to=envelope["nonce"],
        )

    def _check(
        self, message: Any, loop: asyncio.AbstractEventLoop, on_loop: bool
    ) -> tuple[dict[str, Any], dict[str, Any], _Work]:
        envelope, signature = envelopes.parse(message)
        with self._cursor(held=on_loop) as cursor:
            rows = self._peer.run(cursor, node_id=envelope["sender"])
            peer = _PeerRow(*rows[0]) if rows else None
            if peer is None or not peer.active:
                raise AuthenticationError(f"Nodo desconocido: {envelope['sender']}.")
            if (peer.country, peer.agency) == (self.node.country, self.node.agency):
                raise AuthenticationError(f"{peer.node_id} dice ser este mismo nodo: se rechaza.")
            if not verify(peer.public_key, canonical(envelope), signature):
                raise AuthenticationError(f"Firma inválida en un mensaje de {peer.node_id}.")
            if envelope["recipient"] != self.node.node_id:
                raise AuthenticationError(
                    f"El mensaje va dirigido a {envelope['recipient']}, no a este nodo."
                )
            now = datetime.now(UTC)
            envelopes.check_fresh(envelope, now)
            self.limiter.take(peer.node_id)
            query = envelope.get("body")
            query = query if isinstance(query, dict) else {}
            kind, purpose, values = parse_query(query)
            if kind is QueryKind.PERSON:
                with self.node.reads() as session:
                    found = find_records(
                        session,
                        node_id=self.node.node_id,
                        peer_country=peer.country,
                        peer_agency=peer.agency,
                        kind=kind,
                        purpose=purpose,
                        values=values,
                        matcher=self.matcher,
                    )
            else:
                # The statement ``find_records`` runs, without the ORM's execution path.
                lookup = prepared_lookup(
                    self.node.node_id,
                    peer.country,
                    peer.agency,
                    judicial=purpose is Purpose.JUDICIAL,
                    dialect=self._dialect,
                )
                key = lookup_key(kind, values)
                found = [(str(a), str(b)) for a, b in lookup.run(cursor, key=key)]
        refs = [
            {
                "ref": new_reference(),
                "record_id": record_id,
                "peer_node": peer.node_id,
                "purpose": purpose.value,
                "created_at": now,
            }
            for record_id, _ in found
        ]
        answer = {
            "result": "HIT" if refs else "NO_HIT",
            "hits": [{"ref": r["ref"], "kind": k} for r, (_, k) in zip(refs, found, strict=True)],
        }
        act = Act(
            actor=f"nodo:{peer.node_id}",
            action="exchange.query_received",
            target=kind.value,
            detail={
                "values": values,
                "purpose": purpose.value,
                "requested_by": query.get("requested_by"),
                "result": answer["result"],
                "refs": [r["ref"] for r in refs],
            },
        )
        work = _Work(
            sender=peer.node_id,
            nonce=envelope["nonce"],
            seen_at=now,
            refs=refs,
            act=act,
            done=None,
            loop=loop,
        )
        return envelope, answer, work

    @contextlib.contextmanager
    def _cursor(self, *, held: bool) -> Iterator[Any]:
        """A DBAPI cursor for the query's reads; ``held``: on the event loop's thread."""
        if isinstance(self._bind, Engine) and self._dialect.name == "sqlite":
            # The reader engine on SQLite: reads in WAL mode, no transaction to end.
            connection = self._bind.raw_connection()
            try:
                cursor = connection.cursor()
                try:
                    yield cursor
                finally:
                    cursor.close()
            finally:
                connection.close()  # back to the pool, which rolls back what was begun
        elif isinstance(self._bind, Engine) and held:
            # PostgreSQL, on the event loop's thread: one connection kept for these reads,
            # in autocommit, so each read is one round trip (a pool checkout pinged the
            # server first, and a transaction added BEGIN and ROLLBACK). A broken one is
            # dropped and the query refused as "retry"; the next query connects again.
            if self._held is None or self._held.invalidated or self._held.closed:
                self._held = self._autocommit.connect()
            held_conn = self._held
            cursor = held_conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                yield cursor
            except self._dialect.loaded_dbapi.Error:
                log.exception("conexión de lectura perdida; se abre otra")
                held_conn.invalidate()
                self._held = None
                raise Unavailable("Base de datos no disponible; reintente.") from None
            finally:
                with contextlib.suppress(Exception):
                    cursor.close()
        elif isinstance(self._bind, Engine):
            with self._autocommit.connect() as conn:
                cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
                try:
                    yield cursor
                finally:
                    cursor.close()
        else:
            cursor = self._bind.connection.dbapi_connection.cursor()
            try:
                yield cursor
            finally:
                cursor.close()

    async def _commit(self, work: _Work) -> None:
        work.done = work.loop.create_future()
        # The first query of a batch schedules the flush; every query checked before the
        # loop gets to it joins the same transaction.
        self._queue.append(work)
        if len(self._queue) == 1:
            work.loop.call_soon(self._flush)
        await work.done

    def _flush(self) -> None:
        batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
        if self._queue:
            batch[0].loop.call_soon(self._flush)
        lock = writer_lock(self.node.engine)
        if lock is not None and not lock.acquire(blocking=False):
            # Another thread of this process is writing (an import, a sync): this batch
            # commits beside the loop instead of stopping the loop until that ends.
            batch[0].loop.create_task(self._beside(batch))
            return
        try:
            errors = self._write_batch(batch)
        finally:
            if lock is not None:
                with contextlib.suppress(RuntimeError):  # a failed commit released it
                    lock.release()
        for work, error in zip(batch, errors, strict=True):
            _settle(work.done, error)

    async def _beside(self, batch: list[_Work]) -> None:
        errors = await anyio.to_thread.run_sync(self._write_batch, batch)
        for work, error in zip(batch, errors, strict=True):
            _settle(work.done, error)

    def _write_batch(self, batch: list[_Work]) -> list[BaseException | None]:
        try:
            with transaction(self.node.sessions) as session:
                self._write(session, batch)
        except Exception:
            # One query must not sink the others batched with it: each is tried alone, so
            # only the one that cannot be written fails.
            return [self._alone(work) for work in batch]
        return [None] * len(batch)

    def _alone(self, work: _Work) -> BaseException | None:
        try:
            with transaction(self.node.sessions) as session:
                self._write(session, [work])
        except AlianzaError as exc:
            return exc
        except Exception:
            log.exception("no se pudo registrar una consulta hit/no-hit")
            return Unavailable(
                "No se pudo registrar la consulta (base de datos ocupada); reintente."
            )
        return None

    def _write(self, session: Session, batch: list[_Work]) -> None:
        now = batch[-1].seen_at
        if batch[0].nonce[-2:] == "00":  # about one batch in 256: drop expired nonces
            session.execute(delete(SeenNonce).where(SeenNonce.seen_at < now - 2 * envelopes.WINDOW))
        unique: dict[tuple[str, str], _Work] = {}
        for work in batch:
            if (work.sender, work.nonce) in unique:
                work.replay = True
            else:
                unique[(work.sender, work.nonce)] = work
        # ON CONFLICT DO NOTHING ... RETURNING names the nonces that are new: also across
        # server processes, where another worker may have stored the same nonce just now.
        connection = session.connection()
        stored = {
            (str(a), str(b))
            for a, b in connection.execute(
                self._nonces,
                [{"sender": s, "nonce": n, "seen_at": w.seen_at} for (s, n), w in unique.items()],
            )
        }
        for key, work in unique.items():
            work.replay = key not in stored
        refs = [r for work in batch if not work.replay for r in work.refs]
        if refs:
            connection.execute(self._refs, refs)
        acts = [
            work.act
            if not work.replay
            else Act(
                actor=work.act.actor,
                action="exchange.refused",
                target="query.hit",
                detail={"reason": f"Mensaje repetido (nonce {work.nonce[:8]}…)", "status": 401},
            )
            for work in batch
        ]
        append_many(
            session,
            key=self.node.key,
            node_id=self.node.node_id,
            acts=acts,
            checkpoint_every=self.node.settings.checkpoint_every,
        )


def _query_kind(message: Any) -> str:
    envelope = message.get("envelope") if isinstance(message, dict) else None
    body = envelope.get("body") if isinstance(envelope, dict) else None
    return str(body.get("kind", "")) if isinstance(body, dict) else ""


def _settle(done: asyncio.Future[None] | None, error: BaseException | None) -> None:
    if done is None or done.done():  # the request went away (client disconnected)
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)


class _AppMatcher:
    """The person matcher another domain put on the app (``app.state.person_matcher``).

    The exchange does not depend on screening: the screening domain's start-up hook
    installs its identity matcher; without it, person queries are refused.
    """

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def candidates(
        self, session: Session, query: PersonQuery, **kwargs: Any
    ) -> list[tuple[str, str]]:
        matcher: PersonMatcher | None = getattr(self.app.state, "person_matcher", None)
        if matcher is None:
            raise InputError.at("kind", "este nodo no atiende consultas de personas")
        return matcher.candidates(session, query, **kwargs)


def attach(app: FastAPI, node: Node) -> None:
    """The exchange's start-up hook: the per-peer rate limiter and the hit desk."""
    limiter = RateLimiter(rate=node.settings.peer_query_rate, burst=node.settings.peer_query_burst)
    app.state.limiter = limiter
    app.state.desk = QueryDesk(node, limiter=limiter, matcher=_AppMatcher(app))
