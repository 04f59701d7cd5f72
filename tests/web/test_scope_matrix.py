"""For every endpoint and every role: nothing outside the caller's scope is returned.

A small world of records with every scope is built on the node for each test; the
callers are every role of (CL, PDI) plus analysts of (CL, Carabineros) and
(EC, Policía Nacional). What each caller may see is written out below by hand, as a
truth table: the expectations never come from ``authorize`` or ``visible_clause``, which
are what is under test.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import func, select

from alianza.auth.models import User
from alianza.auth.permissions import Action, Principal, authorize, visible_clause
from alianza.errors import PermissionDenied
from alianza.node.context import Node
from alianza.records import service as records
from alianza.records.models import Record, RecordVersion
from tests.conftest import RULES, Factory

# --- the world -----------------------------------------------------------------------------

# Users that own records (all analysts): key -> (username, country, agency).
OWNERS: dict[str, tuple[str, str, str]] = {
    "cl_pdi": ("own.pdi", "CL", "PDI"),
    "cl_carab": ("own.carab", "CL", "Carabineros"),
    "ec_pn": ("own.ecpn", "EC", "Policía Nacional"),
    "pe_pnp": ("own.pnp", "PE", "PNP"),
    # Same agency name as the callers' own, in another country: not "their" agency.
    "ec_pdi": ("own.ecpdi", "EC", "PDI"),
}


def _person(given: str, s1: str, s2: str, doc_type: str, number: str, nat: str) -> dict[str, Any]:
    return {
        "category": "wanted",
        "given_names": given,
        "surname_1": s1,
        "surname_2": s2,
        "birth_date": "1984-03-02",
        "nationality": nat,
        "documents": [{"type": doc_type, "number": number}],
    }


@dataclass(frozen=True)
class Spec:
    owner: str
    kind: str
    data: dict[str, Any]
    scope: str
    scope_countries: tuple[str, ...] = ()
    review_date: str | None = None  # a past date makes the record due for review
    deleted: bool = False


PAST = "2020-01-15"
# Roles that read records at all (the others are refused every record route with 403).
READ_ROLES = frozenset({"analyst", "supervisor", "border_officer", "port_analyst"})

WORLD: dict[str, Spec] = {
    "pdi_person": Spec(
        "cl_pdi",
        "person",
        _person("Juan Carlos", "González", "Pérez", "RUT_CL", "12.345.678-5", "CL"),
        "agency",
    ),
    "pdi_container": Spec(
        "cl_pdi",
        "container",
        {"number": "CSQU3054383", "status": "suspect", "last_port": "San Antonio"},
        "agency",
        review_date=PAST,
    ),
    "pdi_vehicle": Spec(
        "cl_pdi",
        "vehicle",
        {"plate": "BB-CL-12", "country": "CL", "make": "Toyota", "status": "stolen"},
        "agency",
    ),
    "pdi_deleted": Spec(
        "cl_pdi",
        "person",
        _person("Pedro", "González", "Soto", "RUT_CL", "11.111.111-1", "CL"),
        "country",
        review_date=PAST,
        deleted=True,
    ),
    "carab_person": Spec(
        "cl_carab",
        "person",
        _person("Rosa", "González", "Muñoz", "RUT_CL", "9.876.543-3", "CL"),
        "country",
    ),
    "carab_vessel": Spec(
        "cl_carab",
        "vessel",
        {"name": "Don Lucho", "imo": "9074729", "flag": "CL", "vessel_type": "pesquero"},
        "country",
        review_date=PAST,
    ),
    "ec_cl_document": Spec(
        "ec_pn",
        "document",
        {
            "status": "stolen",
            "document_type": "PASSPORT",
            "number": "A1234567",
            "issuing_country": "EC",
            "holder_name": "María González",
        },
        "partners",
        ("CL",),
        review_date=PAST,
    ),
    "ec_cl_seizure": Spec(
        "ec_pn",
        "seizure",
        {
            "reference": "INC-2024-0042",
            "date": "2024-05-10",
            "country": "EC",
            "place": "Guayaquil",
            "substance": "cocaína",
            "quantity_kg": 120.5,
            "container": "CSQU3054383",
            "vessel_imo": "9074729",
        },
        "partners",
        ("CL",),
    ),
    "ec_pe_person": Spec(
        "ec_pn",
        "person",
        _person("Luis Alberto", "González", "Vera", "CI_EC", "1710034065", "EC"),
        "partners",
        ("PE",),
    ),
    "ec_pe_container": Spec(
        "ec_pn",
        "container",
        {"number": "CSQU3054383", "status": "watch", "last_port": "Guayaquil"},
        "partners",
        ("PE",),
    ),
    "pe_org": Spec(
        "pe_pnp",
        "organisation",
        {"name": "Los Pulpos", "country": "PE", "org_type": "banda"},
        "members",
    ),
    "pe_vehicle": Spec(
        "pe_pnp",
        "vehicle",
        {"plate": "ABC-123", "country": "PE", "status": "wanted"},
        "members",
    ),
    "pe_private": Spec(
        "pe_pnp",
        "person",
        _person("Carmen", "Quispe", "Mamani", "DNI_PE", "10117410", "PE"),
        "agency",
    ),
    "ec_pdi_person": Spec(
        "ec_pdi",
        "person",
        _person("Jorge", "González", "Andrade", "CI_EC", "1710034065", "EC"),
        "agency",
    ),
}
ALL = frozenset(WORLD)


@dataclass(frozen=True)
class Caller:
    role: str
    country: str
    agency: str


CALLERS: dict[str, Caller] = {
    "pdi.analyst": Caller("analyst", "CL", "PDI"),
    "pdi.border": Caller("border_officer", "CL", "PDI"),
    "pdi.port": Caller("port_analyst", "CL", "PDI"),
    "pdi.case": Caller("caseworker", "CL", "PDI"),
    "pdi.super": Caller("supervisor", "CL", "PDI"),
    "pdi.admin": Caller("administrator", "CL", "PDI"),
    "carab.analyst": Caller("analyst", "CL", "Carabineros"),
    "ecpn.analyst": Caller("analyst", "EC", "Policía Nacional"),
}
CALLER_NAMES = list(CALLERS)

# --- the truth table, by hand ------------------------------------------------------------

_PDI_ALL_KINDS = {
    "pdi_person",  # own agency
    "pdi_container",  # own agency
    "pdi_vehicle",  # own agency
    "pdi_deleted",  # own agency (deleted: readable by id, never listed)
    "carab_person",  # country scope, same country
    "carab_vessel",  # country scope, same country
    "ec_cl_document",  # partners [CL]
    "ec_cl_seizure",  # partners [CL]
    "pe_org",  # members
    "pe_vehicle",  # members
}
# What GET /records/{id} may return for each caller (deleted records included).
READABLE: dict[str, frozenset[str]] = {
    "pdi.analyst": frozenset(_PDI_ALL_KINDS),
    "pdi.border": frozenset(  # person, document, vehicle only
        {"pdi_person", "pdi_vehicle", "pdi_deleted", "carab_person", "ec_cl_document", "pe_vehicle"}
    ),
    "pdi.port": frozenset(  # container, vessel, organisation, seizure only
        {"pdi_container", "carab_vessel", "ec_cl_seizure", "pe_org"}
    ),
    "pdi.case": frozenset(),  # no police records at all
    "pdi.super": frozenset(_PDI_ALL_KINDS),
    "pdi.admin": frozenset(),  # no police records at all
    "carab.analyst": frozenset(
        {
            "carab_person",  # own agency
            "carab_vessel",  # own agency
            "pdi_deleted",  # country scope, CL
            "ec_cl_document",  # partners [CL]
            "ec_cl_seizure",  # partners [CL]
            "pe_org",  # members
            "pe_vehicle",  # members
        }
    ),
    "ecpn.analyst": frozenset(
        {
            "ec_cl_document",  # own agency
            "ec_cl_seizure",  # own agency
            "ec_pe_person",  # own agency
            "ec_pe_container",  # own agency
            "pe_org",  # members
            "pe_vehicle",  # members
        }
    ),
}
DELETED = frozenset(n for n, s in WORLD.items() if s.deleted)
# What lists (search, export) return: readable and not deleted.
LISTED = {c: r - DELETED for c, r in READABLE.items()}

# Free-text queries and the records (any scope) whose keys they match.
QUERIES: dict[str, frozenset[str]] = {
    "González": frozenset(
        {
            "pdi_person",
            "carab_person",
            "ec_cl_document",
            "ec_pe_person",
            "ec_pdi_person",
        }  # pdi_deleted lost its keys when deleted
    ),
    "CSQU 305438 3": frozenset({"pdi_container", "ec_pe_container", "ec_cl_seizure"}),
    "9074729": frozenset({"carab_vessel", "ec_cl_seizure"}),
    "12.345.678-5": frozenset({"pdi_person"}),
    "1710034065": frozenset({"ec_pe_person", "ec_pdi_person"}),
}

EXPORTERS = frozenset({"pdi.analyst", "pdi.super", "carab.analyst", "ecpn.analyst"})
# GET /records/review-due: the caller's own agency's live records past their review date.
REVIEW_DUE: dict[str, frozenset[str]] = {"pdi.super": frozenset({"pdi_container"})}
USER_ADMINS = frozenset({"pdi.admin"})
AUDITORS = frozenset({"pdi.admin", "pdi.super"})
# Kinds each caller may create.
_ALL_KINDS = frozenset(
    {"person", "document", "vehicle", "vessel", "container", "organisation", "seizure"}
)
WRITE_KINDS: dict[str, frozenset[str]] = {
    "pdi.analyst": _ALL_KINDS,
    "pdi.border": frozenset(),
    "pdi.port": frozenset({"container", "vessel", "organisation", "seizure"}),
    "pdi.case": frozenset(),
    "pdi.super": _ALL_KINDS,
    "pdi.admin": frozenset(),
    "carab.analyst": _ALL_KINDS,
    "ecpn.analyst": _ALL_KINDS,
}
_PDI_OWN = frozenset({"pdi_person", "pdi_container", "pdi_vehicle", "pdi_deleted"})
# Records each caller may change or delete (PUT, DELETE) and renew.
MUTABLE: dict[str, frozenset[str]] = {
    "pdi.analyst": _PDI_OWN,
    "pdi.border": frozenset(),
    "pdi.port": frozenset({"pdi_container"}),
    "pdi.case": frozenset(),
    "pdi.super": _PDI_OWN,
    "pdi.admin": frozenset(),
    "carab.analyst": frozenset({"carab_person", "carab_vessel"}),
    "ecpn.analyst": frozenset(
        {"ec_cl_document", "ec_cl_seizure", "ec_pe_person", "ec_pe_container"}
    ),
}
RENEWABLE: dict[str, frozenset[str]] = {"pdi.super": _PDI_OWN}

SAMPLE_DATA: dict[str, dict[str, Any]] = {
    "person": _person("Ana María", "Rojas", "Díaz", "RUT_CL", "12.345.678-5", "CL"),
    "document": {
        "status": "lost",
        "document_type": "RUT_CL",
        "number": "9.876.543-3",
        "issuing_country": "CL",
    },
    "vehicle": {"plate": "KXTR-55", "country": "CL"},
    "vessel": {"name": "Estrella del Sur", "imo": "9074729"},
    "container": {"number": "CSQU3054383"},
    "organisation": {"name": "Clan del Norte", "country": "CL"},
    "seizure": {
        "reference": "INC-2025-0001",
        "date": "2025-01-20",
        "country": "CL",
        "place": "Arica",
        "substance": "marihuana",
        "quantity_kg": 35,
    },
}


# --- fixture ---------------------------------------------------------------------------


@dataclass
class World:
    node: Node
    ids: dict[str, str]  # record name -> id
    tokens: dict[str, str]  # caller -> token
    principals: dict[str, Principal]  # callers and owners

    def name_of(self, record_id: str) -> str:
        return {v: k for k, v in self.ids.items()}[record_id]

    def names(self, ids: list[str]) -> set[str]:
        by_id = {v: k for k, v in self.ids.items()}
        unknown = [i for i in ids if i not in by_id]
        assert not unknown, f"ids outside the world returned: {unknown}"
        assert len(ids) == len(set(ids)), f"duplicates in {ids}"
        return {by_id[i] for i in ids}

    def headers(self, caller: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[caller]}"}

    def snapshot(self) -> dict[str, Any]:
        """Everything a write could have changed."""
        with self.node.sessions() as session:
            rows = session.execute(
                select(
                    Record.id,
                    Record.version,
                    Record.deleted,
                    Record.scope,
                    Record.scope_countries,
                    Record.review_date,
                    Record.label,
                    Record.updated_at,
                )
            ).all()
            versions = session.scalar(select(func.count()).select_from(RecordVersion))
            users = set(session.scalars(select(User.username)))
        return {"records": {r[0]: tuple(r[1:]) for r in rows}, "versions": versions, "users": users}


@pytest.fixture
def world(node: Node, factory: Factory) -> World:
    principals: dict[str, Principal] = {}
    for key, (username, country, agency) in OWNERS.items():
        principals[key], _ = factory.user(username, "analyst", country=country, agency=agency)
    ids: dict[str, str] = {}
    for name, spec in WORLD.items():
        rules: dict[str, Any] = {"scope": spec.scope, "scope_countries": list(spec.scope_countries)}
        if spec.review_date:
            rules["review_date"] = spec.review_date
        ids[name] = factory.record(principals[spec.owner], spec.kind, spec.data, **rules).record.id
        if spec.deleted:
            with node.sessions() as session:
                records.delete_record(
                    session,
                    node=node,
                    principal=principals[spec.owner],
                    record_id=ids[name],
                    reason="registro duplicado",
                )
                session.commit()
    tokens: dict[str, str] = {}
    for name, c in CALLERS.items():
        principals[name], tokens[name] = factory.user(
            name, c.role, country=c.country, agency=c.agency
        )
    return World(node=node, ids=ids, tokens=tokens, principals=principals)


def _without(response: Response, record_id: str) -> tuple[int, str, str]:
    """A response with the requested id blanked, to compare with a missing id's."""
    return (
        response.status_code,
        response.headers.get("content-type", ""),
        response.text.replace(record_id, "<id>"),
    )


# --- the truth table itself is coherent --------------------------------------------------


def test_truth_table_covers_every_caller_and_record() -> None:
    assert set(READABLE) == set(CALLERS) == set(WRITE_KINDS) == set(MUTABLE)
    for sets in (READABLE.values(), MUTABLE.values(), RENEWABLE.values(), QUERIES.values()):
        for names in sets:
            assert names <= ALL
    # A narrower role of (CL, PDI) never sees more than the analyst of the same agency.
    for caller in ("pdi.border", "pdi.port", "pdi.case", "pdi.admin"):
        assert READABLE[caller] <= READABLE["pdi.analyst"], caller


# --- checks, one per endpoint (each test below runs several on one world) -----------------


def _check_search(client: TestClient, world: World, caller: str) -> None:
    """GET /records, plain, by kind, by q, by q and kind: exactly the visible live records."""
    h = world.headers(caller)

    def ids(params: dict[str, Any]) -> set[str]:
        r = client.get("/api/v1/records", params={"limit": 500, **params}, headers=h)
        if r.status_code == 403:  # a role without read may be refused outright
            assert not READABLE[caller], (params, r.text)
            return set()
        assert r.status_code == 200, (params, r.text)
        body = r.json()
        assert all(item["deleted"] is False for item in body), params
        return world.names([item["id"] for item in body])

    assert ids({}) == LISTED[caller]
    for kind in sorted(_ALL_KINDS):
        expected = {n for n in LISTED[caller] if WORLD[n].kind == kind}
        assert ids({"kind": kind}) == expected, kind
    for q, matching in QUERIES.items():
        assert ids({"q": q}) == LISTED[caller] & matching, q
    expected = {n for n in LISTED[caller] & QUERIES["González"] if WORLD[n].kind == "person"}
    assert ids({"q": "González", "kind": "person"}) == expected


def _check_search_pages(client: TestClient, world: World, caller: str) -> None:
    """Paging through GET /records never reaches past the caller's scope."""
    seen: list[str] = []
    for offset in range(0, len(WORLD), 4):
        r = client.get(
            "/api/v1/records", params={"limit": 4, "offset": offset}, headers=world.headers(caller)
        )
        if r.status_code == 403:
            assert not READABLE[caller]
            return
        seen += [item["id"] for item in r.json()]
    assert world.names(seen) == LISTED[caller]


def _check_get_and_history(client: TestClient, world: World, caller: str) -> None:
    """GET /records/{id} and /history: 200 in scope; otherwise exactly a missing id's 404
    (or, for a role that reads no records at all, the same 403 for every id)."""
    h = world.headers(caller)
    missing = str(uuid.uuid4())
    absent = _without(client.get(f"/api/v1/records/{missing}", headers=h), missing)
    absent_history = _without(client.get(f"/api/v1/records/{missing}/history", headers=h), missing)
    expected = 404 if READABLE[caller] or CALLERS[caller].role in READ_ROLES else 403
    assert absent[0] == absent_history[0] == expected
    for name, rid in world.ids.items():
        spec = WORLD[name]
        r = client.get(f"/api/v1/records/{rid}", headers=h)
        history = client.get(f"/api/v1/records/{rid}/history", headers=h)
        if name in READABLE[caller]:
            assert r.status_code == 200, (name, r.text)
            body = r.json()
            assert (body["id"], body["kind"], body["deleted"]) == (rid, spec.kind, spec.deleted)
            if spec.deleted:
                assert body["data"] == {}
            assert history.status_code == 200, (name, history.text)
            versions = history.json()
            assert [v["version"] for v in versions] == ([1, 2] if spec.deleted else [1]), name
            assert versions[-1]["tombstone"] is spec.deleted
            continue
        assert _without(r, rid) == absent, name
        assert _without(history, rid) == absent_history, name
        text = r.text.replace(rid, "<id>") + history.text.replace(rid, "<id>")
        for secret in (OWNERS[spec.owner][2], spec.kind, *map(str, spec.data.values())):
            if len(secret) > 3:
                assert secret not in text, (name, secret)


def _export_ids(text: str, fmt: str) -> list[str]:
    if fmt == "ftm":
        return [json.loads(line)["id"] for line in text.splitlines() if line.strip()]
    return [row["id"] for row in csv.DictReader(io.StringIO(text))]


def _check_export(client: TestClient, world: World, caller: str) -> None:
    """GET /records/export (FtM and CSV, all and by kind): exactly the visible live records."""
    h = world.headers(caller)
    for fmt in ("ftm", "csv"):
        r = client.get("/api/v1/records/export", params={"format": fmt}, headers=h)
        if caller not in EXPORTERS:
            assert r.status_code == 403, (fmt, r.text)
            continue
        assert r.status_code == 200, r.text
        assert world.names(_export_ids(r.text, fmt)) == LISTED[caller], fmt
        for name in ALL - LISTED[caller]:
            assert world.ids[name] not in r.text, (fmt, name)
        for kind in ("person", "vessel", "seizure"):
            r = client.get(
                "/api/v1/records/export", params={"format": fmt, "kind": kind}, headers=h
            )
            assert r.status_code == 200, r.text
            expected = {n for n in LISTED[caller] if WORLD[n].kind == kind}
            assert world.names(_export_ids(r.text, fmt)) == expected, (fmt, kind)


def _check_review_due(client: TestClient, world: World, caller: str) -> None:
    """GET /records/review-due: only the caller's agency's live records past review."""
    r = client.get("/api/v1/records/review-due", headers=world.headers(caller))
    if caller not in REVIEW_DUE:
        assert r.status_code == 403, r.text
        return
    assert r.status_code == 200, r.text
    assert world.names([item["id"] for item in r.json()]) == REVIEW_DUE[caller]


# --- the tests ---------------------------------------------------------------------------


@pytest.mark.parametrize("caller", CALLER_NAMES)
def test_search_and_single_reads_return_only_the_callers_scope(
    client: TestClient, world: World, caller: str
) -> None:
    _check_search(client, world, caller)
    _check_search_pages(client, world, caller)
    _check_get_and_history(client, world, caller)


@pytest.mark.parametrize("caller", CALLER_NAMES)
def test_export_and_review_due_return_only_the_callers_scope(
    client: TestClient, world: World, caller: str
) -> None:
    _check_export(client, world, caller)
    _check_review_due(client, world, caller)


@pytest.mark.parametrize("caller", CALLER_NAMES)
def test_writes_the_caller_may_not_make_are_refused_change_nothing_and_leak_nothing(
    client: TestClient, world: World, caller: str
) -> None:
    """PUT, DELETE and renew on records the caller may not change; POST of kinds it may
    not write. Refused (403/404), nothing changes, and a record out of scope answers
    exactly as a missing one would: no confirmation that it exists, no owner's name."""
    h = world.headers(caller)
    before = world.snapshot()

    def put(rid: str, data: dict[str, Any]) -> Response:
        body = {"data": data, "rules": RULES, "reason": "corrección"}
        return client.put(f"/api/v1/records/{rid}", json=body, headers=h)

    def delete(rid: str) -> Response:
        body = {"reason": "depuración"}
        return client.request("DELETE", f"/api/v1/records/{rid}", json=body, headers=h)

    def renew(rid: str) -> Response:
        body = {"reason": "sigue vigente"}
        return client.post(f"/api/v1/records/{rid}/renew", json=body, headers=h)

    missing = str(uuid.uuid4())
    absent = {
        "PUT": _without(put(missing, SAMPLE_DATA["person"]), missing),
        "DELETE": _without(delete(missing), missing),
        "renew": _without(renew(missing), missing),
    }
    leaks: list[str] = []
    for name, rid in world.ids.items():
        spec = WORLD[name]
        answers: dict[str, Response] = {}
        if name not in MUTABLE[caller]:
            answers["PUT"] = put(rid, spec.data)
            answers["DELETE"] = delete(rid)
        if name not in RENEWABLE.get(caller, frozenset()):
            answers["renew"] = renew(rid)
        for endpoint, r in answers.items():
            assert r.status_code in (403, 404), (endpoint, name, r.status_code, r.text)
            if name not in READABLE[caller] and _without(r, rid) != absent[endpoint]:
                leaks.append(f"{endpoint} {name}: {r.status_code} {r.text}")
    for kind in sorted(_ALL_KINDS - WRITE_KINDS[caller]):
        r = client.post(
            "/api/v1/records",
            json={"kind": kind, "data": SAMPLE_DATA[kind], "rules": RULES},
            headers=h,
        )
        assert r.status_code == 403, (kind, r.text)
    assert world.snapshot() == before
    assert not leaks, "out-of-scope records distinguishable from missing ones:\n" + "\n".join(leaks)


def _import_one(client: TestClient, world: World, caller: str, rid: str) -> Response:
    """POST /records/import of one CSV row with the given id, of a kind the caller writes."""
    if "container" in WRITE_KINDS[caller]:
        cols, row = "number", f"{rid},container,CSQU3054383"
    else:
        cols = "given_names,surname_1,documents,category"
        row = f"{rid},person,Ana,Rojas,RUT_CL:12.345.678-5,wanted"
    body = f"id,kind,{cols},purpose,legal_basis\n{row},investigación,Ley 20.000\n"
    return client.post(
        "/api/v1/records/import",
        params={"format": "csv"},
        content=body.encode(),
        headers=world.headers(caller),
    )


@pytest.mark.parametrize("caller", CALLER_NAMES)
def test_import_cannot_probe_or_touch_records_out_of_scope(
    client: TestClient, world: World, caller: str
) -> None:
    """POST /records/import with an out-of-scope record's id must answer exactly as with
    an unused id (no confirmation it exists, no owner, no kind) and leave the record alone.

    One caller per world: users of one agency share an import namespace, so a colleague's
    earlier probe would (rightly) make the same row "unchanged" instead of "created".
    """
    ours = set(world.ids.values())
    before = {k: v for k, v in world.snapshot()["records"].items() if k in ours}
    leaks: list[str] = []
    for name in sorted(ALL - READABLE[caller]):
        rid, unused = world.ids[name], str(uuid.uuid4())
        probe = _without(_import_one(client, world, caller, rid), rid)
        control = _without(_import_one(client, world, caller, unused), unused)
        if probe != control:
            leaks.append(f"{caller} {name}: {probe[0]} {probe[2]} (unused id: {control[0]})")
    after = {k: v for k, v in world.snapshot()["records"].items() if k in ours}
    assert after == before
    assert not leaks, "import tells out-of-scope records from unused ids:\n" + "\n".join(leaks)


@pytest.mark.parametrize("caller", CALLER_NAMES)
def test_users_and_audit_endpoints_follow_the_role(
    client: TestClient, world: World, caller: str
) -> None:
    """/users for administrators only; /audit and /audit/verify for administrators and
    supervisors, and the log never holds what a record contains."""
    h = world.headers(caller)
    everyone = {u for u, _, _ in OWNERS.values()} | set(CALLERS)
    before = world.snapshot()
    assert before["users"] == everyone

    entries = client.get("/api/v1/audit", params={"limit": 1000}, headers=h)
    verify = client.get("/api/v1/audit/verify", headers=h)
    if caller in AUDITORS:
        assert entries.status_code == 200, entries.text
        assert verify.status_code == 200, verify.text
        assert verify.json()["ok"] is True, verify.json()
        # Each agency's auditors read their own agency's entries (issue 9, A8).
        created = [e["target"] for e in entries.json() if e["action"] == "record.create"]
        own = [n for n, s in WORLD.items() if OWNERS[s.owner][1:] == ("CL", "PDI")]
        assert sorted(created) == sorted(world.ids[n] for n in own)
        for spec in WORLD.values():
            for value in spec.data.values():
                if isinstance(value, str) and len(value) > 4:
                    assert value not in entries.text, value
    else:
        assert entries.status_code == 403, entries.text
        assert verify.status_code == 403, verify.text

    listed = client.get("/api/v1/users", headers=h)
    new = {
        "username": "nuevo.usuario",
        "full_name": "Nuevo Usuario",
        "country": "CL",
        "agency": "PDI",
        "role": "analyst",
        "password": "una-clave-larga-123",
    }
    created = client.post("/api/v1/users", json=new, headers=h)
    if caller not in USER_ADMINS:
        assert listed.status_code == 403, listed.text
        assert created.status_code == 403, created.text
        assert world.snapshot() == before
        return
    assert listed.status_code == 200, listed.text
    # An administrator lists the users of their own agency only (issue 9, A3).
    pdi = {u for u, c, a in OWNERS.values() if (c, a) == ("CL", "PDI")} | {
        n for n, c in CALLERS.items() if (c.country, c.agency) == ("CL", "PDI")
    }
    assert {u["username"] for u in listed.json()} == pdi
    for u in listed.json():
        assert set(u) == {"username", "full_name", "country", "agency", "role", "active"}
    assert created.status_code == 201, created.text
    assert "password" not in created.text and new["password"] not in created.text
    assert world.snapshot()["users"] == everyone | {"nuevo.usuario"}


# --- the Python rule and the SQL rule agree ----------------------------------------------


def test_authorize_and_visible_clause_agree_for_every_pair(world: World) -> None:
    with world.node.sessions() as session:
        rows = {r.id: r for r in session.scalars(select(Record))}
        assert set(world.ids.values()) <= set(rows)
        for who, principal in world.principals.items():
            by_sql = set(
                session.scalars(select(Record.id).where(visible_clause(principal, Record)))
            )
            by_python = set()
            for rid, record in rows.items():
                try:
                    authorize(principal, Action.READ, record)
                except PermissionDenied:
                    continue
                by_python.add(rid)
            assert by_sql == by_python, who
            if who in READABLE:
                assert world.names(sorted(by_sql)) == READABLE[who], who
