"""Keep attacking: schemathesis over every operation of the OpenAPI of a node with data.

A node holding records of several kinds (its own agency's, a couple of them readable by
the country) is called through its whole OpenAPI, as an administrator and as an analyst,
with a bounded number of generated requests per operation, valid ones and invalid ones.
The test fails on any 5xx and on any answer the OpenAPI does not describe: an undocumented
status code, a content type, headers or a body that do not match the documented schema.
Every error answer is a problem body (RFC 9457) documented on every operation
(``alianza.web.errors.PROBLEM_STATUSES``), so a 401, 403, 404 or 409 is checked too.

So that the requests get past "not found" and "invalid" to the domain's code: record
paths get a real record's id half of the time, user paths a real (spare) user, and the
bodies of record writes, screening and queries are often a valid body with one field
replaced by anything (``_near_valid``). Routes that would spoil the others' state are
tamed: ``POST /auth/revoke`` gets a fresh token for every call (it revokes the caller's
own token), record deletions run last, and the only user a path can name is the spare
one (disabling the caller would turn every later call into a 401).
``POST /sync`` and ``POST /queries`` stay: no peer is registered, so they answer at once.

It runs once per CI: only with ``--db sqlite``. What it attacks is the HTTP surface
(validation, rendering, documented shapes), which the backend does not change; the
backends' differences are covered by the rest of the suite, which runs on both, and this
test is among the slowest of the suite (about a minute per role on a loaded machine).
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
# Schemathesis reads an answer for 10 s by default; the route planners solve for up to the
# request's own ``time_limit`` (at most 30 s, by design: a budget of 50 on the regional
# network takes about 16 s), so a generated request may rightly take that long.
SLOWEST = 60.0
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


# Anything JSON can hold, for one field of an otherwise valid body.
ANY = st.one_of(
    st.text(max_size=40),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.lists(st.text(max_size=8), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
)
Overrides = tuple[dict[str, str], Any]  # path parameters and a body


def _perturbed(base: dict[str, Any], nested: str = "data") -> st.SearchStrategy[dict[str, Any]]:
    """``base``, or ``base`` with one of its fields (or of its ``nested`` object) replaced
    by anything."""
    inner = base.get(nested, {})
    paths = [(k,) for k in base] + [(nested, k) for k in inner] + [(nested, "extra")]

    def replace(path: tuple[str, ...], value: Any) -> dict[str, Any]:
        if len(path) == 1:
            return {**base, path[0]: value}
        return {**base, nested: {**inner, path[1]: value}}

    return st.one_of(st.just(base), st.builds(replace, st.sampled_from(paths), ANY))


def _near_valid(ids: list[str]) -> dict[str, st.SearchStrategy[Overrides]]:
    """Per operation, bodies that pass the schema and reach the domain's own checks (a
    generated ``data`` object is almost never a valid record of its kind)."""
    rules = {"purpose": "investigación", "legal_basis": "Ley 20.000", "scope": "country"}
    creates = [{"kind": k, "data": d, "rules": rules} for k, d, _ in RECORDS]
    updates = [
        st.tuples(st.just({"record_id": i}), _perturbed({"data": d, "rules": rules}))
        for i, (_, d, _) in zip(ids, RECORDS, strict=True)
    ]
    query = {"kind": "person", "values": {"surname_1": "González"}, "purpose": "investigation"}
    screen = {k: v for k, v in PERSON.items() if k in ("given_names", "surname_1", "birth_date")}
    return {
        "POST /api/v1/records": st.tuples(st.just({}), st.one_of([_perturbed(c) for c in creates])),
        "PUT /api/v1/records/{record_id}": st.one_of(updates),
        "POST /api/v1/queries": st.tuples(st.just({}), _perturbed(query, "values")),
        "POST /api/v1/screen": st.tuples(st.just({}), _perturbed(screen)),
    }


def _run(
    operation: schemathesis.APIOperation,
    mode: GenerationMode,
    *,
    paths: dict[str, list[str]],
    near: st.SearchStrategy[Overrides] | None,
    call: Callable[[schemathesis.Case], None],
) -> None:
    strategy = st.tuples(
        operation.as_strategy(generation_mode=mode),
        st.fixed_dictionaries({name: st.sampled_from(values) for name, values in paths.items()}),
        st.booleans(),
        st.none() if near is None else st.one_of(st.none(), near),
    )

    @given(strategy)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.generate],  # no shrinking: a failure prints its curl line
        suppress_health_check=list(HealthCheck),
    )
    def attack(drawn: tuple[schemathesis.Case, dict[str, str], bool, Overrides | None]) -> None:
        case, real, use_real, override = drawn
        if use_real and case.path_parameters is not None:
            for name, value in real.items():
                if name in case.path_parameters:
                    case.path_parameters[name] = value
        if override is not None:
            path, case.body = override
            if case.path_parameters is not None:
                case.path_parameters.update(path)
        call(case)

    attack()


@pytest.fixture(autouse=True)
def _once_per_ci(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("the HTTP surface does not depend on the backend: run once, on SQLite")


@pytest.mark.parametrize("role", ["administrator", "analyst"])
def test_openapi_holds_against_generated_requests(node: Node, factory: Factory, role: str) -> None:
    analyst, _ = factory.user("ana", "analyst")
    ids = [factory.record(analyst, kind, data, **rules).record.id for kind, data, rules in RECORDS]
    factory.user(SPARE_USER, "border_officer")
    username = f"yo.{role}"
    _, token = factory.user(username, role)

    app = create_app(node=node)
    # Not through ``from_asgi`` nor an entered client: either starts the app's lifespan
    # (the audit timer) and leaves it running; a tick would share the test's one
    # connection from another thread. Without it the app runs as under a plain TestClient.
    schema = schemathesis.openapi.from_dict(app.openapi())
    schema.app = app
    # Our token on every call: generated Authorization headers (missing ones in negative
    # mode) would spend half the examples on 401s, which the route matrix covers.
    schema.config.generation.update(with_security_parameters=False)
    session = ASGIClient(app)
    paths = {"record_id": ids, "username": [SPARE_USER]}
    near = _near_valid(ids)

    def call_as(token_for: Callable[[], str]) -> Callable[[schemathesis.Case], None]:
        def call(case: schemathesis.Case) -> None:
            headers = {"Authorization": f"Bearer {token_for()}"}
            case.call_and_validate(session=session, headers=headers, checks=CHECKS, timeout=SLOWEST)

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
                _run(operation, mode, paths=paths, near=near.get(operation.label), call=call)
            except Unsatisfiable:
                pass  # nothing to get wrong in its input (no parameters, a free-form body)
            except (Exception, BaseExceptionGroup) as exc:  # a check's failures are a group
                # Every operation is attacked, then all findings are reported together.
                failures.append(f"{operation.label} [{mode.value}]: {exc}")
    assert not failures, "\n\n".join(failures)
