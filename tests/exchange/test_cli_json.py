"""The exchange commands as a script uses them: ``--json`` (one object on stdout, alone),
released data shown whole, and request ids typed as a unique prefix of what the user may
see (``exchange.lookup``): ambiguous is a clear error listing the ids, unknown and
someone else's answer the same."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from alianza.auth import service as auth
from alianza.auth.permissions import Principal
from alianza.db import transaction
from alianza.errors import InputError, NotFound, PermissionDenied
from alianza.exchange import lookup
from alianza.exchange.lookup import find_release
from alianza.exchange.models import ReleaseRequest
from alianza.node.context import Node
from tests.conftest import Factory
from tests.exchange.conftest import Running
from tests.exchange.test_hits_release import PERSON, owned

# Long enough that a table or a terminal of 60 columns would cut it.
NOTES = " ".join(f"Contenedor {i} embarcado en Posorja con destino a Valparaíso." for i in range(8))
RELEASE_KEYS = {
    "request_id",
    "status",
    "data",
    "direction",
    "peer",
    "kind",
    "removed_fields",
    "owner_rules",
}
PERSON_QUERY = [
    "--given-names",
    "José Luis",
    "--surname-1",
    "González",
    "--surname-2",
    "Pérez",
    "--birth-date",
    "1985-07-14",
]


def cli(r: Running, *args: str, columns: int = 200) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alianza.cli", *args],
        env={**r.env, "COLUMNS": str(columns)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def as_json(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The one JSON object a command printed, alone on stdout."""
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, proc.stdout
    shown = json.loads(lines[0])
    assert isinstance(shown, dict)
    return shown


def _out_row(request_id: str, principal: Principal, peer: str) -> ReleaseRequest:
    now = datetime.now(UTC)
    return ReleaseRequest(
        request_id=request_id,
        direction="out",
        peer_node=peer,
        ref="ref-" + request_id[:8],
        kind="person",
        purpose="investigación",
        legal_basis="Ley 20.000",
        requested_by=principal.label,
        requested_at=now,
        due_at=now + timedelta(hours=48),
        status="pending",
    )


def _sibling(request_id: str, at: int) -> str:
    """Another id sharing ``request_id``'s first ``at`` characters and no more."""
    other = "0" if request_id[at] != "0" else "1"
    return request_id[:at] + other + request_id[at + 1 :]


def test_query_release_and_show_as_json(pair: tuple[Running, Running]) -> None:
    cl, ec = pair
    owned(
        ec,
        {**PERSON, "notes": NOTES},
        scope="partners",
        scope_countries=["CL"],
        handling_code="H2",
    )
    ana = cl.user("ana", "analyst")
    ask = ["--purpose", "investigation", "--user", "ana", "--json"]
    hit = cli(cl, "query", "person", *PERSON_QUERY, *ask)
    [answer] = as_json(hit)["answers"]
    assert answer["peer"] == ec.node.node_id and answer["hit"] is True
    assert answer["country"] == "EC" and answer["agency"] == "Policía Nacional"
    assert len(answer["references"]) == 1 and "error" not in answer
    assert answer["hits"] == [{"ref": answer["references"][0], "kind": "person"}]
    assert "González" not in hit.stdout and "Posorja" not in hit.stdout  # references only
    miss = cli(
        cl,
        "query",
        "person",
        "--given-names",
        "María Fernanda",
        "--surname-1",
        "Rojas",
        "--birth-date",
        "1971-03-09",
        *ask,
    )
    [no_hit] = as_json(miss)["answers"]
    assert no_hit == {
        "peer": ec.node.node_id,
        "country": "EC",
        "agency": "Policía Nacional",
        "hit": False,
        "references": [],
        "hits": [],
    }

    asked = cli(
        cl,
        "release",
        "request",
        "--peer",
        answer["peer"],
        "--ref",
        answer["references"][0],
        "--kind",
        "person",
        "--purpose",
        "investigación",
        "--legal-basis",
        "Acuerdo Chile-Ecuador, art. 4",
        "--user",
        "ana",
        "--json",
    )
    request_id = as_json(asked)["request_id"]
    assert str(uuid.UUID(request_id)) == request_id

    # The owner decides by a prefix of the id it was sent, and is answered with it whole.
    ec.user("sup", "supervisor")
    approved = cli(
        ec,
        "release",
        "approve",
        request_id[:8],
        "--remove-field",
        "documents",
        "--user",
        "sup",
        "--json",
    )
    assert as_json(approved) == {
        "request_id": request_id,
        "status": "approved",
        "removed_fields": ["documents"],
    }
    [report] = as_json(cli(cl, "sync", "--json"))["reports"]
    assert report["peer"] == ec.node.node_id and report["answers"] == 1
    assert report["error"] is None

    shown = as_json(cli(cl, "release", "show", request_id[:6], "--user", "ana", "--json"))
    assert set(shown) <= RELEASE_KEYS
    assert shown["request_id"] == request_id and shown["status"] == "approved"
    assert shown["data"]["notes"] == NOTES  # whole, however long
    assert shown["data"]["surname_1"] == "González"
    assert "documents" not in shown["data"] and shown["removed_fields"] == ["documents"]
    assert shown["direction"] == "out" and shown["peer"] == ec.node.node_id
    assert shown["owner_rules"]["handling_code"] == "H2"

    # As text, on a narrow terminal: every released field on a line of its own, whole.
    text = cli(cl, "release", "show", request_id, "--user", "ana", columns=60)
    assert text.returncode == 0, text.stderr
    assert f"notes: {NOTES}" in [line.strip() for line in text.stdout.splitlines()]
    assert request_id in text.stdout and "documents" in text.stdout  # as a removed field
    assert '"1710034065"' not in text.stdout
    listed = cli(cl, "release", "list", "--user", "ana", columns=80)
    assert listed.returncode == 0 and request_id in listed.stdout, listed.stdout
    [row] = as_json(cli(cl, "release", "list", "--user", "ana", "--json"))["requests"]
    assert row["request_id"] == request_id and row["data"]["notes"] == NOTES

    # A prefix two requests share is refused, naming both whole; one more character is not.
    with transaction(cl.node.sessions) as s:
        s.add(_out_row(_sibling(request_id, 6), ana, ec.node.node_id))
    ambiguous = cli(cl, "release", "show", request_id[:6], "--user", "ana", "--json")
    assert ambiguous.returncode == 2 and ambiguous.stdout == ""
    assert request_id in ambiguous.stderr and _sibling(request_id, 6) in ambiguous.stderr
    assert (
        as_json(cli(cl, "release", "show", request_id[:7], "--user", "ana", "--json"))["request_id"]
        == request_id
    )

    # Unknown, and another agency's request on the same node: the same answer.
    with transaction(cl.node.sessions) as s:
        auth.add_user(
            s,
            node=cl.node,
            principal=Principal.system(country="CL", agency="Carabineros"),
            username="cara",
            full_name="cara",
            country="CL",
            agency="Carabineros",
            role="analyst",
        )
    unknown_id = str(uuid.uuid4())
    unknown = cli(cl, "release", "show", unknown_id, "--user", "ana")
    hidden = cli(cl, "release", "show", request_id, "--user", "cara")
    assert unknown.returncode == hidden.returncode == 5
    assert unknown.stderr.replace(unknown_id, "ID") == hidden.stderr.replace(request_id, "ID")
    assert "No existe la solicitud de entrega" in hidden.stderr
    # The owner's side: a request it received is not one the asking analyst may decide.
    refused = cli(ec, "release", "refuse", request_id[:8], "--user", "pn", "--reason", "no")
    assert refused.returncode == 4, refused.stderr

    # The owner takes it back: Chile's copy is erased at its next sync, a receipt returns.
    retract = ["--reason", "orden judicial", "--user", "sup", "--json"]
    taken = as_json(cli(ec, "release", "retract", request_id[:8], *retract))
    assert taken == {"request_id": request_id, "status": "retracted", "peer": cl.node.node_id}
    as_json(cli(cl, "sync", "--json"))
    erased = as_json(cli(cl, "release", "show", request_id, "--user", "ana", "--json"))
    assert erased["status"] == "erased" and erased["data"] == {}
    with ec.node.sessions() as s:
        owner_row = lookup.find_release(s, principal=ec.users["sup"], request_id=request_id)
        assert owner_row.status == "erased" and owner_row.receipt


# ------------------------------------------------------------------ the lookup itself


@pytest.fixture
def two_agencies(node: Node, factory: Factory) -> tuple[Principal, Principal]:
    ana, _ = factory.user("ana", "analyst")
    cara, _ = factory.user("cara", "analyst", agency="Carabineros")
    return ana, cara


def _add(node: Node, *rows: ReleaseRequest) -> None:
    with node.sessions() as s:
        s.add_all(rows)
        s.commit()


def _find(node: Node, principal: Principal, typed: str, **kw: Any) -> ReleaseRequest:
    with node.sessions() as s:
        return find_release(s, principal=principal, request_id=typed, **kw)


def test_find_release_by_unique_prefix(
    node: Node, factory: Factory, two_agencies: tuple[Principal, ...]
) -> None:
    ana, _ = two_agencies
    first = str(uuid.uuid4())
    _add(node, _out_row(first, ana, "ec-1"), _out_row(_sibling(first, 5), ana, "ec-1"))
    assert _find(node, ana, first[:6]).request_id == first
    assert _find(node, ana, first.upper()).request_id == first  # a whole id, copied
    assert _find(node, ana, first[:6], direction="out").request_id == first
    with pytest.raises(InputError, match="REQUEST_ID") as ambiguous:
        _find(node, ana, first[:5])
    assert first in ambiguous.value.message and _sibling(first, 5) in ambiguous.value.message
    with pytest.raises(InputError, match="al menos 4"):
        _find(node, ana, first[:3])
    with pytest.raises(PermissionDenied):
        _find(node, ana, first[:6], direction="in")  # an analyst decides nothing
    sup, _ = factory.user("sup", "supervisor")
    assert _find(node, sup, first[:6]).request_id == first  # one of her agency's
    with pytest.raises(NotFound):
        _find(node, sup, first[:6], direction="in")  # sent, not received


def test_prefixes_never_reach_another_agencys_requests(
    node: Node, two_agencies: tuple[Principal, ...]
) -> None:
    ana, cara = two_agencies
    mine = str(uuid.uuid4())
    theirs = _sibling(mine, 5)
    _add(node, _out_row(mine, ana, "ec-1"), _out_row(theirs, cara, "ec-1"))
    # Carabineros' request shares the prefix, yet Ana's is unique to her, and Carabineros
    # never see hers: not found, worded exactly as an id that does not exist.
    assert _find(node, ana, mine[:5]).request_id == mine
    assert _find(node, cara, mine[:5]).request_id == theirs
    with pytest.raises(NotFound) as hidden:
        _find(node, cara, mine)
    absent = str(uuid.uuid4())
    with pytest.raises(NotFound) as unknown:
        _find(node, cara, absent)
    assert hidden.value.message.replace(mine, "ID") == unknown.value.message.replace(absent, "ID")
    # A pattern is text, never a wildcard.
    with pytest.raises(NotFound):
        _find(node, ana, "%%%%")
    with pytest.raises(NotFound):
        _find(node, ana, "____")


def test_a_role_without_the_exchange_is_refused_not_told_absent(
    node: Node, factory: Factory
) -> None:
    eva, _ = factory.user("eva", "caseworker")
    with pytest.raises(PermissionDenied):
        _find(node, eva, "abcd")
    with pytest.raises(PermissionDenied):
        _find(node, eva, "abcd", direction="in")
