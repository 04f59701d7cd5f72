"""Step 1 of Prüm: hit/no-hit. A peer learns that a record exists, never what it holds.

Identifier queries (document number, plate, container, IMO) match the normalised search
keys. Person queries go through one ``PersonMatcher``: the identity matcher of
``screening/`` (the model batch linkage learnt, over this node's own person records). A
HIT carries opaque references, resolvable only on this node, that the asking side may use
in a release request (step 2).
"""

from __future__ import annotations

import functools
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from alianza.auth.permissions import Action, Principal, visible
from alianza.errors import InputError, RateLimited
from alianza.records.keys import compact_id
from alianza.records.models import Record, RecordKey
from alianza.records.rules import HandlingCode

MAX_HITS = 10


class Purpose(StrEnum):
    """Why a partner asks (purpose limitation: each query states one)."""

    CRIME_PREVENTION = "crime_prevention"
    INVESTIGATION = "investigation"
    BORDER_CONTROL = "border_control"
    PORT_CONTROL = "port_control"
    JUDICIAL = "judicial"
    MISSING_PERSON = "missing_person"
    # An application for a residence status: the applicant's criminal record and alerts.
    MIGRATION_STATUS = "migration_status"


class QueryKind(StrEnum):
    PERSON = "person"
    DOCUMENT = "document"
    VEHICLE = "vehicle"
    CONTAINER = "container"
    VESSEL = "vessel"


_ID_FIELD = {
    QueryKind.DOCUMENT: "number",
    QueryKind.VEHICLE: "plate",
    QueryKind.CONTAINER: "number",
    QueryKind.VESSEL: "imo",
}


@dataclass(slots=True)
class PersonQuery:
    """The fields a person query may carry."""

    given_names: str
    surname_1: str
    surname_2: str
    birth_date: str


class PersonMatcher(Protocol):
    """Finds this node's person records the peer may discover that may be the queried person.

    The identity matcher (``screening.service.IdentityMatcher``) is the one in service.
    """

    def candidates(
        self,
        session: Session,
        query: PersonQuery,
        *,
        node_id: str,
        peer_country: str,
        peer_agency: str,
        judicial: bool,
    ) -> list[tuple[str, str]]:
        """(record id, kind) of each candidate, best first."""
        ...


def parse_query(body: dict[str, Any]) -> tuple[QueryKind, Purpose, dict[str, str]]:
    """Validate a query's kind, purpose and values (errors name the field)."""
    try:
        kind = QueryKind(str(body.get("kind")))
    except ValueError:
        allowed = ", ".join(k.value for k in QueryKind)
        raise InputError.at(
            "kind", f"consulta desconocida '{body.get('kind')}'; se admite: {allowed}"
        ) from None
    try:
        purpose = Purpose(str(body.get("purpose")))
    except ValueError:
        allowed = ", ".join(p.value for p in Purpose)
        raise InputError.at(
            "purpose", f"finalidad desconocida '{body.get('purpose')}'; se admite: {allowed}"
        ) from None
    values = body.get("values")
    if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
        raise InputError.at("values", "se esperaba un objeto de textos")
    if kind is QueryKind.PERSON:
        for field in ("given_names", "surname_1", "birth_date"):
            if not values.get(field, "").strip():
                raise InputError.at(f"values.{field}", "obligatorio en una consulta de persona")
        try:
            # fromisoformat on 3.11 wants exactly AAAA-MM-DD; strptime took 1985-3-4, which
            # then never equalled 1985-03-04 anywhere.
            if len(values["birth_date"]) != 10:
                raise ValueError
            datetime.strptime(values["birth_date"], "%Y-%m-%d")
        except ValueError:
            raise InputError.at("values.birth_date", "fecha inválida (use AAAA-MM-DD)") from None
        allowed_fields = {"given_names", "surname_1", "surname_2", "birth_date"}
    else:
        field = _ID_FIELD[kind]
        if not compact_id(values.get(field, "")):
            raise InputError.at(f"values.{field}", "obligatorio")
        allowed_fields = {field}
    extra = set(values) - allowed_fields
    if extra:
        raise InputError.at(f"values.{sorted(extra)[0]}", "campo desconocido en la consulta")
    return kind, purpose, {k: v.strip() for k, v in values.items()}


def find_records(
    session: Session,
    *,
    node_id: str,
    peer_country: str,
    peer_agency: str,
    kind: QueryKind,
    purpose: Purpose,
    values: dict[str, str],
    matcher: PersonMatcher,
) -> list[tuple[str, str]]:
    """(record id, kind) of this node's records that answer the query and that the peer may
    discover (its scope, or ``discoverable``): step 1 answers beyond what sync gives."""
    judicial = purpose is Purpose.JUDICIAL
    if kind is QueryKind.PERSON:
        query = PersonQuery(
            values["given_names"],
            values["surname_1"],
            values.get("surname_2", ""),
            values["birth_date"],
        )
        return matcher.candidates(
            session,
            query,
            node_id=node_id,
            peer_country=peer_country,
            peer_agency=peer_agency,
            judicial=judicial,
        )
    stmt = _id_lookup(node_id, peer_country, peer_agency, judicial=judicial)
    # Core execution on the session's connection: the ORM layer adds nothing to a
    # two-column read.
    rows = session.connection().execute(stmt, {"key": lookup_key(kind, values)})
    return [(str(a), str(b)) for a, b in rows]


def lookup_key(kind: QueryKind, values: dict[str, str]) -> str:
    """The search key an identifier query looks up (``parse_query`` checked ``values``)."""
    return "id:" + compact_id(values[_ID_FIELD[kind]])


@dataclass(frozen=True, slots=True)
class Prepared:
    """A Core statement compiled once for one dialect, run on a DBAPI cursor.

    For the few reads made on every hit/no-hit query: SQLAlchemy's execution path (cache
    lookup, context, result wrapping) cost four times the SQLite read itself. The SQL is
    still SQLAlchemy's, compiled from the same expressions; the driver caches (SQLite) or
    prepares (psycopg) it per connection. Only for statements whose parameters and columns
    need no type conversion (texts and integers).
    """

    sql: str
    fixed: dict[str, Any]
    order: tuple[str, ...] | None  # positional drivers (SQLite); None: named (psycopg)

    @classmethod
    def of(cls, stmt: Any, dialect: Any) -> Prepared:
        """Compile ``stmt`` for ``dialect``; bound values in it are kept as they are."""
        compiled = stmt.compile(dialect=dialect)
        if "POSTCOMPILE" in compiled.string:
            raise ValueError("expanding parameters cannot be prepared once")
        order = compiled.positiontup
        fixed = compiled.construct_params(_check=False)  # the free ones: None until run
        return cls(compiled.string, fixed, tuple(order) if order else None)

    def run(self, cursor: Any, **values: Any) -> list[Any]:
        """Every row of the statement with ``values`` for its named parameters."""
        params = {**self.fixed, **values}
        cursor.execute(self.sql, [params[k] for k in self.order] if self.order else params)
        return list(cursor.fetchall())


@functools.lru_cache(maxsize=512)
def prepared_lookup(
    node_id: str, peer_country: str, peer_agency: str, *, judicial: bool, dialect: Any
) -> Prepared:
    """``find_records``' identifier lookup for one peer, compiled once (key: ``:key``)."""
    return Prepared.of(_id_lookup(node_id, peer_country, peer_agency, judicial=judicial), dialect)


def _within(node_id: str, peer_country: str, peer_agency: str, *, judicial: bool) -> Any:
    within = and_(
        Record.origin == node_id,
        Record.deleted.is_(False),
        visible(
            Principal.peer(node_id="", country=peer_country, agency=peer_agency),
            Action.DISCOVER,
            Record,
        ),
    )
    if judicial:
        # H1: not for judicial proceedings without the owner's permission; such a record
        # is not offered to a judicial query at all (the owner can still be asked).
        within = and_(within, Record.handling_code != HandlingCode.H1.value)
    return within


@functools.lru_cache(maxsize=512)
def _id_lookup(node_id: str, peer_country: str, peer_agency: str, *, judicial: bool) -> Any:
    # Built once per (peer, judicial or not) and reused: building the scope expression
    # cost more than running it.
    return (
        select(Record.id, Record.kind)
        .join(RecordKey, RecordKey.record_id == Record.id)
        .where(
            _within(node_id, peer_country, peer_agency, judicial=judicial),
            RecordKey.key == bindparam("key"),
        )
        .limit(MAX_HITS)
    )


def new_reference() -> str:
    """An opaque hit reference: random, meaningful only on this node."""
    return secrets.token_urlsafe(18)


class RateLimiter:
    """Token bucket per peer (in the serving process): ``rate`` queries/s, ``burst`` at once.

    Written by hand: the rate-limit packages for FastAPI key on client IP and keep state in
    Redis; here the key is the verified sender node and the state is one dict.
    """

    def __init__(self, *, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> None:
        """Spend one token for ``key`` or raise ``RateLimited``."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                raise RateLimited(
                    f"El nodo {key} superó {self.rate:g} consultas por segundo; reintente luego."
                )
            self._buckets[key] = (tokens - 1.0, now)
