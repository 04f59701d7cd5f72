"""Keep attacking: schemathesis over every operation of the OpenAPI of a node with data.

A node holding records of several kinds (its own agency's, a couple of them readable by
the country) is called through its whole OpenAPI, as an administrator and as an analyst,
with a bounded number of generated requests per operation, valid ones and invalid ones.
The test fails on any 5xx and on any answer the OpenAPI does not describe: an undocumented
status code, a content type, headers or a body that do not match the documented schema.
Every error answer is a problem body (RFC 9457) documented on every operation
(``alianza.web.errors.PROBLEM_RESPONSES``), so a 401, 403, 404 or 409 is checked too.

Record paths get a real record's id half of the time (otherwise a random one), and user
paths a real user, so the routes go past "not found". Routes that destroy what the others
need run apart: ``POST /auth/revoke`` gets a fresh token for every call (it revokes the
caller's own token), the record deletions run last, and the users whose name can appear
in a path are a spare one (a generated name never matches the caller's).
``POST /sync`` and ``POST /queries`` stay: no peer is registered, so they answer at once.

It runs once per CI: only with ``--db sqlite``. What it attacks is the HTTP surface
(validation, rendering, documented shapes), which the backend does not change; the
backends' differences are covered by the rest of the suite, which runs on both, and this
test is the slowest of the suite (about a minute per role).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import ASGIClient
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from alianza.app import create_app
from alianza.auth import service as auth
from alianza.auth.permissions import Principal
from alianza.node.context import Node
from tests.conftest import Factory
from tests.web.test_api_basics import PERSON

STATS = {}
MAX_EXAMPLES = 12  # per operation, per generation mode, per role
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Run after every other operation: they remove what the others read.
LAST = ("DELETE /api/v1/records/{record_id}",)
SPARE_USER = "repuesto"

RECORDS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("person", PERSON, {}),
    ("container", {"number": "CSQU3054383", "status": "suspect", "last_port": "Guayaquil"}, {}),
    (
        "vehicle",
        {"plate": "BB-CL-12", "country": "CL", "make": "Toyota", "status": "stolen"},
        {"scope": "country"},
    ),
    (
        "vessel",
        {"name": "Don Lucho", "imo": "9074729", "flag": "CL", "vessel_type": "pesquero"},
        {"review_date": "2020-01-15"},
    ),
    ("organisation", {"name": "Los Pulpos", "country": "PE", "org_type": "banda"}, {}),
    (
        "seizure",
        {
            "reference": "INC-2024-0042",
            "date": "2024-05-10",
            "country": "CL",
            "place": "San Antonio",
            "substance": "cocaína",
            "quantity_kg": 120.5,
            "container": "CSQU3054383",
        },
        {"scope": "country"},
    ),
]


def _fresh_token(node: Node, username: str) -> str:
    """Another token for ``username`` (for the route that revokes the caller's token)."""
    with node.sessions() as session:
        token, _ = auth.issue_token(
            session,
            node=node,
            principal=Principal.system(country=node.country, agency=node.agency),
            username=username,
            ttl_days=1,
        )
        session.commit()
    return token


def _run(
    operation: schemathesis.APIOperation,
    mode: GenerationMode,
    *,
    paths: dict[str, list[str]],
    call: Callable[[schemathesis.Case], None],
) -> None:
    strategy = st.tuples(
        operation.as_strategy(generation_mode=mode),
        st.fixed_dictionaries({name: st.sampled_from(values) for name, values in paths.items()}),
        st.booleans(),
    )

    @given(strategy)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.generate],  # no shrinking: a failure prints its curl line
        suppress_health_check=list(HealthCheck),
    )
    def attack(drawn: tuple[schemathesis.Case, dict[str, str], bool]) -> None:
        case, real, use_real = drawn
        if use_real and case.path_parameters is not None:
            for name, value in real.items():
                if name in case.path_parameters:
                    case.path_parameters[name] = value
        call(case)

    attack()


@pytest.mark.parametrize("role", ["administrator", "analyst"])
def test_openapi_holds_against_generated_requests(
    backend: str, node: Node, factory: Factory, role: str
) -> None:
    if backend != "sqlite":
        pytest.skip("the HTTP surface does not depend on the backend: run once, on SQLite")
    analyst, _ = factory.user("ana", "analyst")
    ids = [factory.record(analyst, kind, data, **rules).record.id for kind, data, rules in RECORDS]
    factory.user(SPARE_USER, "border_officer")
    username = f"yo.{role}"
    _, token = factory.user(username, role)

    app = create_app(node=node)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    # Not entered: the app's lifespan (the audit timer) stays off, as with a plain
    # TestClient; a timer tick would share the test's one connection from another thread.
    session = ASGIClient(app)
    paths = {"record_id": ids, "username": [SPARE_USER]}

    def call_as(token_for: Callable[[], str]) -> Callable[[schemathesis.Case], None]:
        def call(case: schemathesis.Case) -> None:
            headers = {"Authorization": f"Bearer {token_for()}"}
            r = case.call_and_validate(session=session, headers=headers, checks=CHECKS); STATS.setdefault(case.operation.label, __import__("collections").Counter())[r.status_code] += 1

        return call

    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda op: op.label in LAST)
    assert len(operations) > 30, [op.label for op in operations]
    failures: list[str] = []
    for operation in operations:
        if operation.label == "POST /api/v1/auth/revoke":
            call = call_as(lambda: _fresh_token(node, username))
        else:
            call = call_as(lambda: token)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _run(operation, mode, paths=paths, call=call)
            except Unsatisfiable:
                pass  # nothing to get wrong in its input (no parameters, a free-form body)
            except (
                Exception,
                BaseExceptionGroup,
            ) as exc:  # every operation is attacked, then all are reported
                failures.append(f"{operation.label} [{mode.value}]: {exc}")
    [print(role, k, dict(v)) for k, v in STATS.items()]; STATS.clear()
    assert not failures, "\n\n".join(failures)
