"""Versions, tombstones, history, review dates, retention and version signatures."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from alianza.errors import Conflict, InputError, NotFound, PermissionDenied
from alianza.node.context import Node
from alianza.records import review
from alianza.records import service as records
from alianza.records.models import RecordVersion
from alianza.records.rules import Rules
from alianza.records.versions import verify_versions
from tests.conftest import RULES, Factory

CONTAINER = {"number": "CSQU3054383", "status": "suspect", "last_port": "Guayaquil"}
PERSON = {
    "category": "watch",
    "given_names": "María José",
    "surname_1": "Peña",
    "surname_2": "de la Cruz",
    "documents": [{"type": "CI_EC", "number": "1710034065"}],
}


def _rules(**extra: object) -> Rules:
    return Rules.model_validate({**RULES, **extra})


def test_every_change_is_a_new_signed_version(node: Node, factory: Factory) -> None:
    ana, _ = factory.user("ana", "analyst")
    view = factory.record(ana, "container", CONTAINER)
    with node.sessions() as s:
        records.update_record(
            s,
            node=node,
            principal=ana,
            record_id=view.record.id,
            data={**CONTAINER, "status": "seized"},
            rules=_rules(),
            expected_version=1,
            reason="incautado",
        )
        records.delete_record(
            s, node=node, principal=ana, record_id=view.record.id, reason="duplicado"
        )
        versions = records.history(s, node=node, principal=ana, record_id=view.record.id)
        assert [(v.version, v.tombstone) for v in versions] == [(1, False), (2, False), (3, True)]
        assert json.loads(versions[0].data or "{}")["status"] == "suspect"
        assert versions[2].data is None and versions[2].reason == "duplicado"
        report = verify_versions(s, keys={node.node_id: node.key.public_hex})
        assert report.problems == [] and report.checked >= 3


def test_stale_update_is_refused(node: Node, factory: Factory) -> None:
    ana, _ = factory.user("ana", "analyst")
    view = factory.record(ana, "container", CONTAINER)
    with node.sessions() as s, pytest.raises(Conflict, match="versión 1"):
        records.update_record(
            s,
            node=node,
            principal=ana,
            record_id=view.record.id,
            data=CONTAINER,
            rules=_rules(),
            expected_version=3,
        )


def test_tombstoned_record_is_gone_from_search_and_refuses_changes(
    node: Node, factory: Factory
) -> None:
    ana, _ = factory.user("ana", "analyst")
    view = factory.record(ana, "person", PERSON)
    with node.sessions() as s:
        records.delete_record(s, node=node, principal=ana, record_id=view.record.id, reason="x")
        assert records.search(s, node=node, principal=ana, q="pena cruz") == []
        with pytest.raises(Conflict):
            records.update_record(
                s, node=node, principal=ana, record_id=view.record.id, data=PERSON, rules=_rules()
            )
        with pytest.raises(NotFound):
            records.delete_record(s, node=node, principal=ana, record_id="nope", reason="x")


def test_only_the_owner_agency_changes_a_record(node: Node, factory: Factory) -> None:
    ana, _ = factory.user("ana", "analyst")
    other, _ = factory.user("felipe", "analyst", agency="Carabineros")
    view = factory.record(ana, "container", CONTAINER, scope="country")
    with node.sessions() as s:
        assert records.get_record(s, node=node, principal=other, record_id=view.record.id)
        with pytest.raises(PermissionDenied):
            records.update_record(
                s,
                node=node,
                principal=other,
                record_id=view.record.id,
                data=CONTAINER,
                rules=_rules(),
            )


def test_default_review_date_is_five_years(node: Node, factory: Factory) -> None:
    ana, _ = factory.user("ana", "analyst")
    view = factory.record(ana, "container", CONTAINER)
    expected = date.today().replace(year=date.today().year + 5)
    assert view.record.review_date == expected


def test_review_due_renew_and_retention(node: Node, factory: Factory) -> None:
    ana, _ = factory.user("ana", "analyst")
    sup, _ = factory.user("sofia", "supervisor")
    past = date.today() - timedelta(days=40)
    keep = factory.record(ana, "container", CONTAINER, review_date=past.isoformat())
    drop = factory.record(ana, "person", PERSON, review_date=past.isoformat())
    fresh = factory.record(ana, "container", {**CONTAINER, "number": "MSCU1234566"})
    with node.sessions() as s:
        with pytest.raises(PermissionDenied):
            review.review_due(s, node=node, principal=ana)
        due = {r.id for r in review.review_due(s, node=node, principal=sup)}
        assert due == {keep.record.id, drop.record.id}
        renewed = review.renew(
            s, node=node, principal=sup, record_id=keep.record.id, reason="investigación abierta"
        )
        assert renewed.record.review_date > date.today()
        removed = review.enforce_retention(s, node=node, principal=sup)
        assert removed == [drop.record.id]
        assert fresh.record.id not in removed
        rows = s.scalars(select(RecordVersion).where(RecordVersion.record_id == drop.record.id))
        assert all(v.data is None for v in rows)
        with pytest.raises(NotFound):
            records.get_record(s, node=node, principal=sup, record_id="no-such-id")
        report = verify_versions(s, keys={node.node_id: node.key.public_hex})
        assert report.problems == [] and report.redacted == 1


def test_renew_needs_a_reason_and_a_future_date(node: Node, factory: Factory) -> None:
    ana, _ = factory.user("ana", "analyst")
    sup, _ = factory.user("sofia", "supervisor")
    view = factory.record(ana, "container", CONTAINER)
    with node.sessions() as s:
        with pytest.raises(InputError, match="reason"):
            review.renew(s, node=node, principal=sup, record_id=view.record.id, reason=" ")
        with pytest.raises(InputError, match="until"):
            review.renew(
                s,
                node=node,
                principal=sup,
                record_id=view.record.id,
                reason="x",
                until=date.today(),
            )


def test_tampered_version_fails_verification(node: Node, factory: Factory) -> None:
    ana, _ = factory.user("ana", "analyst")
    view = factory.record(ana, "container", CONTAINER)
    with node.sessions() as s:
        s.execute(
            text("UPDATE record_versions SET data = :d WHERE record_id = :r"),
            {"d": json.dumps({**CONTAINER, "status": "cleared"}), "r": view.record.id},
        )
        s.execute(
            text("UPDATE record_versions SET rules = '{}' WHERE record_id != :r"),
            {"r": view.record.id},
        )
        report = verify_versions(s, keys={node.node_id: node.key.public_hex})
        assert any("hash firmado" in p and view.record.id in p for p in report.problems)


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ({"handling_code": "H3"}, "H3 exige"),
        ({"scope": "partners"}, "scope_countries"),
        ({"scope": "agency", "scope_countries": ["EC"]}, "solo se usa"),
        ({"handling_code": "H9"}, "handling_code"),
        ({"source_grade": "D"}, "source_grade"),
        ({"scope_countries": ["XX"], "scope": "partners"}, "XX"),
    ],
)
def test_bad_rules_are_refused(
    node: Node, factory: Factory, rules: dict[str, object], field: str
) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=field):
        Rules.model_validate({**RULES, **rules})
