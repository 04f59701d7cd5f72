"""Every route of every domain × every role: who gets past the route's declared action.

The routes come from the app that the registry builds (``alianza.domains``), so a route
added to any domain without a line in ``EXPECTED`` fails ``test_every_route_has_an_
expectation``. The expectations are written out here by hand, as a truth table: they
never come from the grant table, which is what is under test.

Each route is called as a user of each role (all of the node's own agency), with a body
and path that are well-formed enough to reach the route and no further: a role that may
not call the route gets 403 whatever it sends; a role that may gets anything but 401/403
(often 404 or 422 for the dummy input); without a token every non-public route is 401.
Resource-level rules (scopes, owners) are tested in ``test_scope_matrix.py`` and the
domains' own tests.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from alianza.app import create_app
from alianza.auth.permissions import USER_ROLES
from alianza.node.context import Node
from tests.conftest import Factory

ALL = frozenset(r.value for r in USER_ROLES)
READERS = frozenset({"analyst", "supervisor", "border_officer", "port_analyst"})
WRITERS = frozenset({"analyst", "supervisor", "port_analyst"})
EXPORTERS = frozenset({"analyst", "supervisor"})
# The IDS report and aggregates of seizures (no personal data); port targeting.
REPORTERS = frozenset({"analyst", "supervisor", "port_analyst"})
TARGETERS = frozenset({"supervisor", "port_analyst"})
# Route interdiction plans (who plans where controls go).
PLANNERS = frozenset({"analyst", "supervisor", "port_analyst"})
SUPERVISORS = frozenset({"supervisor"})
ADMINS = frozenset({"administrator"})
AUDITORS = frozenset({"administrator", "supervisor"})
SYNCERS = frozenset({"administrator", "supervisor"})
ASKERS = frozenset({"analyst", "supervisor", "border_officer", "port_analyst"})
SCREENERS = frozenset({"analyst", "supervisor", "border_officer"})
# The return corridor: casework, manifests sent and read, check-ins and their conflicts.
CASEWORKERS = frozenset({"caseworker", "supervisor"})
MANIFEST_READERS = frozenset({"caseworker", "supervisor", "border_officer"})
# Erasure, retention and the breach register (``protect_data``).
PROTECTORS = frozenset({"administrator", "supervisor"})
PUBLIC = None  # no token needed (login, the node's identity, signed partner messages)

EXPECTED: dict[tuple[str, str], frozenset[str] | None] = {
    ("GET", "/api/v1/node"): PUBLIC,
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("POST", "/api/v1/auth/revoke"): ALL,
    ("GET", "/api/v1/auth/me"): ALL,
    ("GET", "/api/v1/users"): ADMINS,
    ("POST", "/api/v1/users"): ADMINS,
    ("POST", "/api/v1/users/{username}/disable"): ADMINS,
    ("POST", "/api/v1/users/{username}/enable"): ADMINS,
    ("POST", "/api/v1/users/{username}/tokens"): ADMINS,
    ("DELETE", "/api/v1/users/{username}/tokens"): ADMINS,
    ("GET", "/api/v1/audit"): AUDITORS,
    ("GET", "/api/v1/audit/verify"): AUDITORS,
    ("GET", "/api/v1/records"): READERS,
    ("POST", "/api/v1/records"): WRITERS,
    ("GET", "/api/v1/records/review-due"): SUPERVISORS,
    ("POST", "/api/v1/records/import"): WRITERS,
    ("GET", "/api/v1/records/export"): EXPORTERS,
    ("GET", "/api/v1/records/{record_id}"): READERS,
    ("PUT", "/api/v1/records/{record_id}"): WRITERS,
    ("DELETE", "/api/v1/records/{record_id}"): WRITERS,
    ("GET", "/api/v1/records/{record_id}/history"): READERS,
    ("POST", "/api/v1/records/{record_id}/renew"): SUPERVISORS,
    ("POST", "/api/v1/exchange"): PUBLIC,
    ("GET", "/api/v1/peers"): ADMINS,
    ("POST", "/api/v1/peers"): ADMINS,
    ("GET", "/api/v1/peers/pending-receipts"): SYNCERS,
    ("POST", "/api/v1/sync"): SYNCERS,
    ("POST", "/api/v1/queries"): ASKERS,
    ("GET", "/api/v1/releases"): ASKERS,
    ("POST", "/api/v1/releases"): ASKERS,
    ("POST", "/api/v1/releases/{request_id}/approve"): SUPERVISORS,
    ("POST", "/api/v1/releases/{request_id}/refuse"): SUPERVISORS,
    ("POST", "/api/v1/releases/{request_id}/retract"): SUPERVISORS,
    ("POST", "/api/v1/consents"): ASKERS,
    ("GET", "/api/v1/consents"): ASKERS,
    ("POST", "/api/v1/consents/{request_id}/{decision}"): SUPERVISORS,
    ("POST", "/api/v1/screen"): SCREENERS,
    ("POST", "/api/v1/screen/batch"): SCREENERS,
    ("GET", "/api/v1/seizures/export"): REPORTERS,
    ("GET", "/api/v1/seizures/aggregates"): REPORTERS,
    ("GET", "/api/v1/ports/inspections"): TARGETERS,
    ("POST", "/api/v1/ports/inspections/fix"): TARGETERS,
    ("POST", "/api/v1/ports/links/propose"): TARGETERS,
    ("GET", "/api/v1/ports/links"): TARGETERS,
    ("POST", "/api/v1/ports/links/{link_id}/confirm"): TARGETERS,
    ("POST", "/api/v1/ports/links/{link_id}/reject"): TARGETERS,
    ("GET", "/api/v1/routes/region"): PLANNERS,
    ("POST", "/api/v1/routes/interdict"): PLANNERS,
    ("POST", "/api/v1/routes/shortest-path"): PLANNERS,
    ("GET", "/api/v1/routes/plans"): PLANNERS,
    ("GET", "/api/v1/routes/plans/{plan_id}"): PLANNERS,
    ("GET", "/api/v1/corridor/cases"): CASEWORKERS,
    ("POST", "/api/v1/corridor/cases"): CASEWORKERS,
    ("GET", "/api/v1/corridor/cases/{case_id}"): CASEWORKERS,
    ("POST", "/api/v1/corridor/cases/{case_id}/move"): CASEWORKERS,
    ("POST", "/api/v1/corridor/cases/{case_id}/consents"): CASEWORKERS,
    ("POST", "/api/v1/corridor/cases/{case_id}/withdraw"): CASEWORKERS,
    ("POST", "/api/v1/corridor/cases/{case_id}/board"): CASEWORKERS,
    ("POST", "/api/v1/corridor/plan"): CASEWORKERS,
    ("GET", "/api/v1/corridor/manifests"): CASEWORKERS,
    ("POST", "/api/v1/corridor/manifests"): CASEWORKERS,
    ("POST", "/api/v1/corridor/manifests/{manifest_id}/send"): CASEWORKERS,
    ("GET", "/api/v1/corridor/manifests/received"): MANIFEST_READERS,
    ("GET", "/api/v1/corridor/manifests/received/{manifest_id}"): MANIFEST_READERS,
    ("GET", "/api/v1/corridor/checkins"): MANIFEST_READERS,
    ("POST", "/api/v1/corridor/checkins"): MANIFEST_READERS,
    ("POST", "/api/v1/corridor/checkins/sync"): MANIFEST_READERS,
    ("GET", "/api/v1/corridor/conflicts"): MANIFEST_READERS,
    ("POST", "/api/v1/corridor/conflicts/{conflict_id}/settle"): CASEWORKERS,
    ("GET", "/api/v1/corridor/members/{member_id}/report"): CASEWORKERS,
    ("POST", "/api/v1/corridor/cases/{case_id}/erase"): PROTECTORS,
    ("POST", "/api/v1/corridor/retention"): PROTECTORS,
    ("GET", "/api/v1/corridor/breaches"): PROTECTORS,
    ("POST", "/api/v1/corridor/breaches"): PROTECTORS,
    ("POST", "/api/v1/corridor/breaches/{breach_id}/notify"): PROTECTORS,
    # Regularisation applications: caseworkers and supervisors; a supervisor signs off.
    ("GET", "/api/v1/status/applications"): CASEWORKERS,
    ("POST", "/api/v1/status/applications"): CASEWORKERS,
    ("GET", "/api/v1/status/applications/{application_id}"): CASEWORKERS,
    ("POST", "/api/v1/status/applications/{application_id}/decide"): CASEWORKERS,
    ("POST", "/api/v1/status/applications/{application_id}/sign-off"): SUPERVISORS,
    ("POST", "/api/v1/status/applications/{application_id}/appeal"): CASEWORKERS,
    ("GET", "/api/v1/status/applications/{application_id}/letter"): CASEWORKERS,
    ("POST", "/api/v1/status/applications/{application_id}/checks"): CASEWORKERS,
    ("GET", "/api/v1/status/applications/{application_id}/checks"): CASEWORKERS,
    ("POST", "/api/v1/status/applications/{application_id}/checks/{check_id}/review"): (
        SUPERVISORS
    ),
    ("GET", "/api/v1/status/stats"): AUDITORS,
}

DUMMY = {
    "record_id": "00000000-0000-4000-8000-000000000000",
    "request_id": "00000000-0000-4000-8000-000000000000",
    "username": "nadie",
    "decision": "approve",
    "link_id": "00000000-0000-4000-8000-000000000000",
    "plan_id": "00000000-0000-4000-8000-000000000000",
    "case_id": "00000000-0000-4000-8000-000000000000",
    "manifest_id": "00000000-0000-4000-8000-000000000000",
    "conflict_id": "00000000-0000-4000-8000-000000000000",
    "breach_id": "00000000-0000-4000-8000-000000000000",
    "member_id": "00000000-0000-4000-8000-000000000000",
    "application_id": "00000000-0000-4000-8000-000000000000",
    "check_id": "00000000-0000-4000-8000-000000000000",
}


def _routes(node: Node) -> list[tuple[str, str]]:
    # The app's OpenAPI document lists every route every domain registered (FastAPI
    # nests included routers, so its route list is not flat).
    paths = create_app(node=node).openapi()["paths"]
    return [(method.upper(), path) for path, item in paths.items() for method in item]


def test_every_route_has_an_expectation(node: Node) -> None:
    routes = set(_routes(node))
    missing = routes - set(EXPECTED)
    stale = set(EXPECTED) - routes
    assert not missing, f"routes without an expectation in the matrix: {sorted(missing)}"
    assert not stale, f"expectations for routes that no longer exist: {sorted(stale)}"


def _call(client: TestClient, method: str, path: str, token: str | None) -> int:
    url = path.format(**DUMMY)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body: Any = {} if method in ("POST", "PUT") else None
    if method == "DELETE":
        response = client.request(method, url, headers=headers, json={})
    else:
        response = client.request(method, url, headers=headers, json=body)
    return response.status_code


def test_each_role_gets_past_a_route_only_if_expected(node: Node, factory: Factory) -> None:
    tokens = {role: factory.user(f"m.{role.replace('_', '')}", role)[1] for role in sorted(ALL)}
    client = TestClient(create_app(node=node))
    wrong: list[str] = []
    # Revoking one's own token goes last: it ends the caller's session.
    for (method, path), allowed in sorted(EXPECTED.items(), key=lambda r: "revoke" in r[0][1]):
        if allowed is PUBLIC:
            continue  # exercised by their own tests (login, node info, signed messages)
        status = _call(client, method, path, None)
        if status != 401:
            wrong.append(f"no token: {method} {path} -> {status}, not 401")
        for role, token in tokens.items():
            status = _call(client, method, path, token)
            if role in allowed and (status in (401, 403) or status >= 500):
                wrong.append(f"{role}: {method} {path} -> {status}, expected to get past")
            elif role not in allowed and status != 403:
                wrong.append(f"{role}: {method} {path} -> {status}, not 403")
    assert not wrong, "\n".join(wrong)


# Path parameters no stored id can be: a NUL (PostgreSQL's driver refuses it in a query:
# nine routes answered 500), a lone surrogate, a bidirectional override, 5,000 characters.
IMPOSSIBLE = ["a%00b", "%ED%A0%80", "%E2%80%AEabc", "x" * 5000, "..%2F..%2Fetc"]


def test_an_impossible_path_parameter_is_not_found_on_every_route(
    node: Node, factory: Factory
) -> None:
    """Every route with a path parameter, called by a role that may call it, answers an
    impossible id with a 4xx naming nothing, never a 500 (both backends)."""
    tokens = {role: factory.user(f"p.{role.replace('_', '')}", role)[1] for role in sorted(ALL)}
    client = TestClient(create_app(node=node), raise_server_exceptions=False)
    wrong: list[str] = []
    for (method, path), allowed in sorted(EXPECTED.items(), key=lambda r: "revoke" in r[0][1]):
        names = re.findall(r"{(\w+)}", path)
        if not names or allowed is PUBLIC:
            continue
        headers = {"Authorization": f"Bearer {tokens[sorted(allowed)[0]]}"}
        for bad in IMPOSSIBLE:
            url = path.format(**dict.fromkeys(names, bad))
            body: Any = {} if method in ("POST", "PUT", "DELETE") else None
            status = client.request(method, url, headers=headers, json=body).status_code
            if status >= 500:
                wrong.append(f"{method} {path} con {bad[:12]!r} -> {status}")
    assert not wrong, "\n".join(wrong)
