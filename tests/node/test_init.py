"""Creating and opening a node."""

from __future__ import annotations

import stat

import pytest

from alianza.errors import Conflict, InputError, IntegrityFailure, NodeNotInitialised
from alianza.node.context import open_node
from alianza.node.keys import generate_key
from tests.conftest import FreshNode


def test_init_creates_key_identity_and_schema(fresh: FreshNode) -> None:
    node = fresh.init(country="ec", agency="Policía Nacional")
    assert node.country == "EC" and node.node_id.startswith("ec-")
    assert stat.S_IMODE(node.settings.key_path.stat().st_mode) == 0o600
    reopened = open_node(node.settings)
    assert reopened.key.public_hex == node.key.public_hex
    reopened.engine.dispose()


def test_init_refuses_to_overwrite(fresh: FreshNode) -> None:
    fresh.init()
    with pytest.raises(Conflict):
        fresh.init()


@pytest.mark.parametrize(
    ("country", "agency", "field"), [("Chile", "PDI", "country"), ("CL", "  ", "agency")]
)
def test_init_validates_its_input(fresh: FreshNode, country: str, agency: str, field: str) -> None:
    with pytest.raises(InputError) as err:
        fresh.init(country=country, agency=agency)
    assert err.value.problems[0].field == field
    assert not fresh.settings.key_path.exists()


def test_open_refuses_missing_node_and_foreign_key(fresh: FreshNode) -> None:
    if not fresh.settings.database_url:
        with pytest.raises(NodeNotInitialised):
            open_node(fresh.settings)
    node = fresh.init()
    node.settings.key_path.unlink()
    generate_key(node.settings.key_path)
    with pytest.raises(IntegrityFailure, match="no corresponde"):
        open_node(node.settings)
