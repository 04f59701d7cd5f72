"""Person hit/no-hit through the identity matcher, and screening against partners' records."""

from __future__ import annotations

import json
from typing import Any

from alianza.db import transaction
from alianza.exchange import flows as exchange
from alianza.records import service as records
from alianza.records.rules import Rules
from alianza.screening.flows import screen
from alianza.screening.service import Screener
from tests.conftest import RULES
from tests.exchange.conftest import Running
from tests.exchange.test_hits_release import PERSON, owned

CORRUPTED = {  # as a foreign registry writes him: accents lost, s for z, one surname
    "given_names": "JOSE",
    "surname_1": "GONSALEZ",
    "surname_2": "",
    "birth_date": "1985-07-14",
}


def _ask(cl: Running, values: dict[str, str]) -> dict[str, Any]:
    ana = cl.users.get("ana") or cl.user("ana", "analyst")
    [answer] = exchange.query_peers(
        cl.node, principal=ana, kind="person", values=values, purpose="border_control"
    )
    return answer


def test_person_queries_find_the_person_as_other_registries_write_him(
    pair: tuple[Running, Running],
) -> None:
    cl, ec = pair
    owned(ec, PERSON, scope="partners", scope_countries=["CL"])
    hit = _ask(cl, CORRUPTED)
    assert hit["result"] == "HIT" and set(hit["hits"][0]) == {"ref", "kind"}
    # Same names, another birth date: a namesake, not him.
    assert _ask(cl, {**CORRUPTED, "birth_date": "1961-02-03"})["result"] == "NO_HIT"


def test_screening_a_partners_record_gives_a_reference_never_its_data(
    pair: tuple[Running, Running],
) -> None:
    cl, ec = pair
    owned(ec, PERSON, scope="partners", scope_countries=["CL"])
    exchange.sync_all(cl.node)  # CL now holds a read-only copy
    officer = cl.user("ofi", "border_officer")
    result = screen(Screener(cl.node), principal=officer, values=CORRUPTED)
    [candidate] = result.candidates
    shown = candidate.as_dict()
    assert "record_id" not in shown
    assert shown["partner"]["node"] == ec.node.node_id
    assert shown["partner"]["result"] == "HIT" and shown["partner"]["hits"][0]["ref"]
    text = json.dumps(shown, ensure_ascii=False)
    for secret in ("Posorja", "1710034065", "Pérez", "wanted"):
        assert secret not in text


def test_a_retracted_copy_is_no_longer_screened(pair: tuple[Running, Running]) -> None:
    # A retraction changes the copy without a new version: the index, which follows
    # versions, must still stop offering it (the review found it kept doing so).
    cl, ec = pair
    record_id = owned(ec, PERSON, scope="partners", scope_countries=["CL"])
    exchange.sync_all(cl.node)
    officer = cl.user("ofi", "border_officer")
    screener = Screener(cl.node)
    assert screen(screener, principal=officer, values=CORRUPTED, ask_partners=False).candidates
    pn = ec.users["pn"]
    with transaction(ec.node.sessions) as s:
        records.update_record(
            s,
            node=ec.node,
            principal=pn,
            record_id=record_id,
            data=PERSON,
            rules=Rules(**{**RULES, "scope": "agency"}),
            reason="ya no se comparte",
        )
    exchange.sync_all(cl.node)  # CL receives the retraction
    assert (
        screen(screener, principal=officer, values=CORRUPTED, ask_partners=False).candidates == []
    )
