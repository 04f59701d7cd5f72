"""Repeated wrong passwords lock a name out (its own node: the lock-out also counts the
browser's address, which would lock the other tests' logins out)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from alianza.auth.service import MAX_FAILURES
from tests.e2e.scene import PASSWORD

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[Any]:
    from tests.e2e.scene import build

    made = build(tmp_path_factory.mktemp("bloqueo") / "nodo", synthetic=5)
    yield made
    made.server.kill()


def test_wrong_passwords_lock_the_user_out(visit: Any) -> None:
    v = visit("carla.puerto", "equivocada-0")
    assert "Usuario o contraseña incorrectos" in v.page.locator("[role=alert]").inner_text()
    v.check("login-error")
    for n in range(1, MAX_FAILURES):
        v.page.fill("#usuario", "carla.puerto")
        v.page.fill("#clave", f"equivocada-{n}")
        v.page.click("button[type=submit]")
        v.page.wait_for_load_state()
    v.page.fill("#usuario", "carla.puerto")
    v.page.fill("#clave", PASSWORD)
    v.page.click("button[type=submit]")
    v.page.wait_for_load_state()
    assert "/consola/login" in v.page.url
    assert "Demasiados intentos" in v.page.locator("[role=alert]").inner_text()
    v.check("login-bloqueado")
