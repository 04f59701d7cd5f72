"""Fixtures shared by the console's page tests."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from alianza.app import create_app
from alianza.node.context import Node


@pytest.fixture
def browser(node: Node) -> TestClient:
    """The console as a browser meets it (cookies kept between requests)."""
    return TestClient(create_app(node=node), base_url="http://testserver")
