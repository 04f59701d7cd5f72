"""``alianza seizures`` from the real command: a report per bad row, ``--strict`` stores
nothing and exits 2, the IDS export and the aggregates as a script reads them."""

from __future__ import annotations

import csv
import io
import json

from alianza.auth import service as auth
from alianza.db import transaction
from tests.conftest import FreshNode
from tests.seizures.test_service import BAD, GOOD, HEADER

PURPOSE = ["--purpose", "investigación de tráfico", "--legal-basis", "Ley 20.000"]


def test_import_reports_skips_and_strict_stores_nothing(fresh: FreshNode) -> None:
    node = fresh.init(country="EC", agency="UCCP")
    with transaction(node.sessions) as session:
        auth.add_user(
            session, node=node, principal=node.system, username="pia", full_name="Pía",
            country="EC", agency="UCCP", role="port_analyst",
        )  # fmt: skip
    path = fresh.dir.parent / "incautaciones.csv"
    path.write_text(HEADER + "\n".join([*GOOD, BAD[1]]) + "\n", encoding="utf-8")
    strict = fresh.cli(
        "seizures", "import", str(path), "--user", "pia", "--strict", *PURPOSE, "--json"
    )
    assert strict.returncode == 2, strict.stderr
    assert json.loads(strict.stdout) == {
        "stored": False,
        "skipped": [{"row": 5, "field": "container", "reason": strict_reason(strict.stdout)}],
    }
    done = fresh.cli("seizures", "import", str(path), "--user", "pia", *PURPOSE, "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert (out["created"], [s["row"] for s in out["skipped"]]) == (3, [5])
    ids = fresh.cli("seizures", "export", "--user", "pia", "--format", "ids")
    assert ids.returncode == 0, ids.stderr
    assert len(list(csv.DictReader(io.StringIO(ids.stdout)))) == 3
    groups = fresh.cli("seizures", "aggregate", "--user", "pia", "--by", "port", "--json")
    assert {g["port"] for g in json.loads(groups.stdout)["groups"]} == {"ECGYE", "CLSAI", "ECMEC"}
    unknown = fresh.cli("seizures", "export", "--user", "pia", "--format", "xml")
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr


def strict_reason(stdout: str) -> str:
    reason = json.loads(stdout)["skipped"][0]["reason"]
    assert "ISO 6346" in reason or "dígito" in reason
    return str(reason)
