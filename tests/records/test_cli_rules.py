"""Who receives a record and who may find it, set from the real ``alianza`` command: the
four rule options of ``records import`` and ``records rules``, ids typed as a prefix, and
``--json`` output a script can read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from alianza.auth import service as auth
from alianza.db import transaction
from alianza.node.context import Node
from alianza.records.models import Record, RecordVersion
from tests.conftest import FreshNode

PURPOSE = ["--purpose", "investigación de tráfico", "--legal-basis", "Ley 20.000"]
CSV = "id,kind,number\nc1,container,CSQU3054383\n"


def _ready(fresh: FreshNode) -> Node:
    node = fresh.init()
    with transaction(node.sessions) as session:
        for username, role in (("ana", "analyst"), ("sofia", "supervisor")):
            auth.add_user(
                session,
                node=node,
                principal=node.system,
                username=username,
                full_name=username,
                country=node.country,
                agency=node.agency,
                role=role,
            )
    return node


def _csv(fresh: FreshNode, text: str = CSV) -> str:
    path: Path = fresh.dir.parent / "in.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _count(node: Node) -> int:
    with node.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(Record)) or 0)


def _rules(node: Node, record_id: str) -> dict[str, Any]:
    """The rules of the record's current version, as stored (and signed)."""
    with node.sessions() as s:
        record = s.get(Record, record_id)
        assert record is not None
        stored = s.scalar(
            select(RecordVersion.rules).where(
                RecordVersion.record_id == record_id, RecordVersion.version == record.version
            )
        )
    assert stored is not None
    rules: dict[str, Any] = json.loads(stored)
    return rules


def _only_id(node: Node) -> str:
    with node.sessions() as s:
        [record_id] = s.scalars(select(Record.id))
    return record_id


def test_import_sets_scope_and_discoverability(fresh: FreshNode) -> None:
    node = _ready(fresh)
    proc = fresh.cli(
        "records",
        "import",
        _csv(fresh),
        "--user",
        "ana",
        *PURPOSE,
        "--scope",
        "partners",
        "--scope-countries",
        "ec,PE",
        "--discoverable",
        "partners",
        "--discoverable-countries",
        "EC,PE",
        "--discoverable-countries",
        "CO",
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    # One JSON object, alone on stdout: no progress bar, no markup.
    assert json.loads(proc.stdout) == {"created": 1, "updated": 0, "unchanged": 0, "total": 1}
    rules = _rules(node, _only_id(node))
    assert rules["scope"] == "partners" and rules["scope_countries"] == ["EC", "PE"]
    assert rules["discoverable"] == "partners"
    assert rules["discoverable_countries"] == ["CO", "EC", "PE"]


def test_import_with_an_undiscoverable_record_of_its_own_agency(fresh: FreshNode) -> None:
    node = _ready(fresh)
    proc = fresh.cli(
        "records",
        "import",
        _csv(fresh),
        "--user",
        "ana",
        *PURPOSE,
        "--scope",
        "agency",
        "--discoverable",
        "none",
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    rules = _rules(node, _only_id(node))
    assert (rules["scope"], rules["discoverable"]) == ("agency", "none")
    assert rules["scope_countries"] == rules["discoverable_countries"] == []


def test_bad_rule_options_name_the_option_and_store_nothing(fresh: FreshNode) -> None:
    node = _ready(fresh)
    path = _csv(fresh)
    cases = [
        (["--scope", "partners", "--scope-countries", "EC,XX"], "--scope-countries", "XX"),
        (["--scope", "partners", "--scope-countries", ","], "--scope-countries", "al menos"),
        (["--discoverable", "todos"], "--discoverable", "se admite: none, partners, members"),
        (["--scope", "everyone"], "--scope", "se admite"),
        (["--discoverable-countries", "Ecuador"], "--discoverable-countries", "Ecuador"),
        (["--scope", "country", "--scope-countries", "EC"], "--scope-countries", "partners"),
        # Whoever receives a record may find it: "none" is narrower than partners in EC.
        (
            ["--discoverable", "none", "--scope", "partners", "--scope-countries", "EC"],
            "--discoverable",
            "--discoverable partners --discoverable-countries EC",
        ),
    ]
    for options, named, said in cases:
        proc = fresh.cli("records", "import", path, "--user", "ana", *PURPOSE, *options, "--json")
        assert proc.returncode == 2, (options, proc.stdout, proc.stderr)
        assert named in proc.stderr and said in proc.stderr, (options, proc.stderr)
        assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert _count(node) == 0


def test_rules_command_changes_the_rules_by_a_record_prefix(fresh: FreshNode) -> None:
    node = _ready(fresh)
    fresh.cli("records", "import", _csv(fresh), "--user", "ana", *PURPOSE, check=True)
    record_id = _only_id(node)
    assert _rules(node, record_id)["discoverable"] == "members"  # the kind's default
    changed = fresh.cli(
        "records",
        "rules",
        record_id[:8].upper(),
        "--user",
        "ana",
        "--scope",
        "partners",
        "--scope-countries",
        "EC",
        "--reason",
        "acuerdo bilateral con Ecuador",
        "--json",
    )
    assert changed.returncode == 0, changed.stderr
    shown = json.loads(changed.stdout)
    assert shown["id"] == record_id and shown["changed"] is True and shown["version"] == 2
    assert shown["rules"]["scope"] == "partners" and shown["rules"]["scope_countries"] == ["EC"]
    stored = _rules(node, record_id)
    assert stored == shown["rules"]
    assert stored["discoverable"] == "members"  # already wider than the new scope
    # Narrowing who may find it: partners, and it must still cover Ecuador.
    narrower = fresh.cli(
        "records",
        "rules",
        record_id[:8],
        "--user",
        "ana",
        "--discoverable",
        "partners",
        "--discoverable-countries",
        "PE",
        "--reason",
        "solo socios",
    )
    assert narrower.returncode == 2 and "--discoverable" in narrower.stderr
    assert "EC" in narrower.stderr and "Traceback" not in narrower.stderr
    text = fresh.cli(
        "records",
        "rules",
        record_id,
        "--user",
        "ana",
        "--discoverable",
        "partners",
        "--discoverable-countries",
        "EC,PE",
        "--reason",
        "solo socios",
        check=True,
    )
    assert record_id in text.stdout and "versión 3" in text.stdout
    stored = _rules(node, record_id)
    assert (stored["discoverable"], stored["discoverable_countries"]) == ("partners", ["EC", "PE"])
    # Back to the agency: the partner countries go with the scope they belonged to.
    fresh.cli(
        "records",
        "rules",
        record_id[:6],
        "--user",
        "ana",
        "--scope",
        "agency",
        "--reason",
        "fin del acuerdo",
        check=True,
    )
    stored = _rules(node, record_id)
    assert (stored["scope"], stored["scope_countries"]) == ("agency", [])
    assert stored["discoverable"] == "partners"  # set by a person: not narrowed behind her back


def test_record_ids_unknown_short_or_without_options(fresh: FreshNode) -> None:
    node = _ready(fresh)
    fresh.cli("records", "import", _csv(fresh), "--user", "ana", *PURPOSE, check=True)
    record_id = _only_id(node)
    base = ["--user", "ana", "--reason", "prueba de reglas"]
    unknown = fresh.cli("records", "rules", "ffffffff", *base, "--scope", "country")
    assert unknown.returncode == 5 and "No existe el registro ffffffff" in unknown.stderr
    short = fresh.cli("records", "rules", record_id[:3], *base, "--scope", "country")
    assert short.returncode == 2 and "RECORD_ID" in short.stderr
    nothing = fresh.cli("records", "rules", record_id, *base)
    assert nothing.returncode == 2 and "--scope" in nothing.stderr
    renewed = fresh.cli(
        "records", "renew", record_id[:5], "--user", "sofia", "--reason", "sigue vigente", "--json"
    )
    assert renewed.returncode == 0, renewed.stderr
    assert json.loads(renewed.stdout)["id"] == record_id
    due = fresh.cli("records", "review-due", "--user", "sofia", "--json", check=True)
    assert json.loads(due.stdout)["records"] == []
    verified = fresh.cli("records", "verify", "--json", check=True)
    assert json.loads(verified.stdout)["problems"] == []
