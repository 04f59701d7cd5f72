"""The console in a real browser: Debian's chromium driven by Playwright (sync API).

- ``scene``    (module) a PDI node like the demo's, served by ``alianza serve``
               (``tests/e2e/scene.py``); killed at the end of the module.
- ``browser``  (package) headless chromium from ``/usr/bin/chromium`` (Playwright's
               ``executable_path``: it never downloads a browser of its own).
- ``visit``    logs in as a user in a fresh browser context; ``Visit.check(name)``
               saves ``screenshots/<name>.png`` (1366×768) and runs axe-core on the page,
               failing on any serious or critical violation.

The browser lives for this package only, not the session: Playwright's sync API keeps an
event loop set as running on the main thread while it is open, and the tests after this
package that call ``asyncio.run`` (tests/web) failed with "cannot be called from a running
event loop" when it stayed open until the session's end.

Browser tests are a slow stage: they run once per CI run, on the SQLite pass (marker
``once``). Without chromium or axe-core (``make install-dev`` and ``.ci/run`` install
both) they are skipped with the reason, except in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
SHOTS = HERE / "screenshots"
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("ALIANZA_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1366, "height": 768}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.once)


def _missing() -> str | None:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"no hay chromium en {CHROMIUM} (apt-get install -y chromium)"
    if not AXE.exists():
        return "falta axe-core: npm install --prefix tests/e2e"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "falta playwright (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    reason = _missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"pruebas de navegador imposibles en CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[Any]:
    from tests.e2e.scene import build

    made = build(tmp_path_factory.mktemp("consola") / "nodo")
    yield made
    made.server.kill()


@dataclass
class Visit:
    """One user's browser context on the console."""

    page: Any
    base: str
    username: str

    def go(self, path: str) -> Any:
        return self.page.goto(self.base + path)

    def check(self, name: str) -> None:
        """Screenshot the page, then fail on serious or critical axe-core violations."""
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        self.page.add_script_tag(path=str(AXE))
        found = self.page.evaluate(
            """async () => {
                const r = await axe.run(document, {resultTypes: ['violations']});
                return r.violations
                    .filter(v => v.impact === 'serious' || v.impact === 'critical')
                    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
            }"""
        )
        assert not found, f"axe-core en {name}: {json.dumps(found, ensure_ascii=False)}"

    def post_raw(self, path: str, form: dict[str, str]) -> Any:
        """A POST that did not come from a console page (no CSRF token): a forgery."""
        return self.page.request.post(self.base + path, form=form, max_redirects=0)


@pytest.fixture
def visit(browser: Any, scene: Any) -> Iterator[Any]:
    contexts: list[Any] = []

    def open_as(username: str, password: str | None = None) -> Visit:
        from tests.e2e.scene import PASSWORD

        context = browser.new_context(viewport=VIEWPORT, locale="es-CL")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        visit = Visit(page=page, base=scene.url, username=username)
        visit.go("/consola/login")
        page.fill("#usuario", username)
        page.fill("#clave", password or PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        return visit

    yield open_as
    for context in contexts:
        context.close()
