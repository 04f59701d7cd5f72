"""Fixtures shared by the screening tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from alianza.errors import InputError
from alianza.identity import synthetic
from alianza.identity.contract import read_registry
from alianza.node.context import Node
from alianza.records.models import Record
from alianza.screening.service import FIELDS
from tests.conftest import Factory
from tests.screening.test_batch import person


@pytest.fixture
def listed(node: Node, factory: Factory, tmp_path: Path) -> dict[str, Any]:
    synthetic.linkage_pair(
        left_size=240,
        overlap=0.5,
        right_size=160,
        seed=17,
        left_path=tmp_path / "l.csv",
        right_path=tmp_path / "r.csv",
        truth_path=tmp_path / "t.csv",
    )
    analyst, _ = factory.user("ana", "analyst")
    officer, _ = factory.user("ofi", "border_officer")
    other, _ = factory.user("otra", "border_officer", agency="Carabineros")
    ids = []
    for n, row in enumerate(read_registry(tmp_path / "l.csv").rows):
        data = person(row)
        if n % 7 == 0:  # aliases and a second document: several entries per record
            data["aliases"] = [f"{row['given_names']} {row['surname_2'] or 'ALIAS'}"]
            passport = {"type": "PASSPORT", "number": f"X{n:07d}"}
            data["documents"] = [*data.get("documents", []), passport]
        scope = "agency" if n % 5 == 0 else "country"
        try:
            view = factory.record(analyst, "person", data, scope=scope)
        except InputError:
            view = factory.record(analyst, "person", person(row, documents=False), scope=scope)
        ids.append(view.record.id)
    with node.sessions() as session:  # some records are partners' copies
        session.execute(update(Record).where(Record.id.in_(ids[::9])).values(origin="socio-pe"))
        session.commit()
    travellers = [{k: r[k] for k in FIELDS} for r in read_registry(tmp_path / "r.csv").rows]
    return {"analyst": analyst, "officers": (officer, other), "travellers": travellers, "ids": ids}
