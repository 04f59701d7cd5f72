"""A new domain is a package plus one line in the registry.

The test writes a small domain package ("widgets": a table with its own migration, a
route, a command, an action held by analysts) into a temporary folder, registers it the
way a line in ``alianza.domains.PACKAGES`` would, and finds it in the app, the CLI, the
migrations and the permission table without touching any other file.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner

from alianza import domains
from alianza.app import create_app
from alianza.auth.permissions import Principal, Role, authorize, grant_table
from alianza.db import Base, migrate, schema_heads
from alianza.domains import Domain
from alianza.errors import PermissionDenied
from alianza.node.context import Node
from tests.conftest import Factory

PACKAGE = {
    "__init__.py": '''
        """Widgets: a domain made by a test."""
        ''',
    "models.py": """
        from sqlalchemy import Integer, String
        from sqlalchemy.orm import Mapped, mapped_column

        from alianza.db import Base


        class Widget(Base):
            __tablename__ = "test_widgets"

            id: Mapped[int] = mapped_column(Integer, primary_key=True)
            name: Mapped[str] = mapped_column(String(40))
        """,
    "views.py": """
        from typing import Annotated

        from fastapi import APIRouter
        from pydantic import BaseModel

        from alianza.auth.permissions import Principal
        from alianza.web.deps import require

        router = APIRouter()


        class CountRead(BaseModel):
            widgets: int


        @router.get("/api/v1/widgets/count", response_model=CountRead)
        def count(principal: Annotated[Principal, require("widgets.count")]) -> CountRead:
            return CountRead(widgets=3)
        """,
    "commands.py": '''
        import typer


        def register(app: typer.Typer) -> None:
            @app.command("widgets")
            def widgets() -> None:
                """Cuenta los widgets."""
                typer.echo("3 widgets")
        ''',
    "migrations/__init__.py": "",
    "migrations/w001_widgets.py": """
        import sqlalchemy as sa
        from alembic import op

        revision = "w001"
        down_revision = None
        branch_labels = ("widgets",)
        depends_on = "0002"


        def upgrade() -> None:
            op.create_table(
                "test_widgets",
                sa.Column("id", sa.Integer(), primary_key=True),
                sa.Column("name", sa.String(40), nullable=False),
            )


        def downgrade() -> None:
            op.drop_table("test_widgets")
        """,
}

WIDGETS = Domain(
    name="widgets",
    summary="Widgets de prueba.",
    routers=("widgets_pkg.views:router",),
    commands="widgets_pkg.commands:register",
    models=("widgets_pkg.models",),
    migrations="widgets_pkg.migrations",
    grants={"widgets.count": frozenset({"analyst"})},
)


@pytest.fixture
def widgets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Domain]:
    root = tmp_path / "widgets_pkg"
    for name, body in PACKAGE.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    domains.register(WIDGETS)  # what one line in domains.PACKAGES does
    yield WIDGETS
    domains.unregister("widgets")
    table = Base.metadata.tables.get("test_widgets")
    if table is not None:
        Base.metadata.remove(table)
    for module in [m for m in sys.modules if m.startswith("widgets_pkg")]:
        del sys.modules[module]


def test_the_domain_appears_in_the_app(widgets: Domain, node: Node, factory: Factory) -> None:
    client = TestClient(create_app(node=node))
    _, analyst = factory.user("ana.widgets", "analyst")
    _, officer = factory.user("bruno.widgets", "border_officer")
    answer = client.get("/api/v1/widgets/count", headers={"Authorization": f"Bearer {analyst}"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"widgets": 3}
    refused = client.get("/api/v1/widgets/count", headers={"Authorization": f"Bearer {officer}"})
    assert refused.status_code == 403
    assert "/api/v1/widgets/count" in client.get("/openapi.json").json()["paths"]


def test_the_domain_appears_in_the_cli(widgets: Domain) -> None:
    app = typer.Typer()
    domains.add_commands(app)
    result = CliRunner().invoke(app, ["widgets"])
    assert result.exit_code == 0, result.output
    assert "3 widgets" in result.output


def test_the_domain_appears_in_the_migrations(widgets: Domain, tmp_path: Path) -> None:
    assert "w001" in schema_heads()
    url = f"sqlite:///{tmp_path / 'widgets.db'}"
    migrate(url)
    engine = create_engine(url)
    try:
        assert inspect(engine).has_table("test_widgets")
        assert inspect(engine).has_table("records")  # the core came first
        with engine.connect() as conn:
            heads = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
        assert heads == schema_heads()
    finally:
        engine.dispose()
    # And its model is on the metadata that autogenerate compares against.
    domains.import_models()
    assert "test_widgets" in Base.metadata.tables


def test_the_domain_appears_in_the_permission_table(widgets: Domain) -> None:
    assert grant_table()["widgets.count"] == frozenset({"analyst"})
    analyst = Principal("ana", "CL", "PDI", Role.ANALYST)
    supervisor = Principal("sol", "CL", "PDI", Role.SUPERVISOR)
    authorize(analyst, "widgets.count")
    with pytest.raises(PermissionDenied):
        authorize(supervisor, "widgets.count")


def test_the_domain_is_gone_once_unregistered() -> None:
    assert "widgets" not in {d.name for d in domains.domains()}
    assert "widgets.count" not in grant_table()


def test_every_declared_part_loads() -> None:
    for domain in domains.domains():
        for ref in domain.routers:
            assert domains.load(ref) is not None
        if domain.commands:
            assert callable(domains.load(domain.commands))
    assert {"records", "exchange", "audit", "auth"} <= {d.name for d in domains.domains()}


def test_no_service_opens_or_commits_a_transaction() -> None:
    """Services take the caller's session; flows (``flows.py``) commit between steps."""
    import re

    package = Path(domains.__file__).parent
    offenders = [
        f"{path.relative_to(package)}:{n}"
        for path in sorted(package.glob("*/service.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"transaction\(|commit\(\)", line)
    ]
    assert offenders == []


SEEN: list[tuple[str, int]] = []


def _spy(session: object, rows: list[dict[str, object]]) -> None:
    SEEN.extend((str(r["record_id"]), int(str(r["version"]))) for r in rows)


def test_a_domain_hears_of_every_version_written(node: Node, factory: Factory) -> None:
    # What screening uses to store a person's features: records never import a domain.
    domains.register(
        Domain(name="espía", summary="Oye versiones.", on_versions="tests.test_domains:_spy")
    )
    try:
        ana, _ = factory.user("ana", "analyst")
        view = factory.record(ana, "container", {"number": "CSQU3054383"})
        assert (view.record.id, 1) in SEEN
    finally:
        domains.unregister("espía")
    assert _spy not in domains.version_hooks()


def _echo(session: object, node: Node, opened: Any) -> dict[str, Any]:
    return {"echo": opened.body.get("say"), "from": opened.peer.node_id}


def test_a_domain_answers_its_own_signed_messages(node: Node, tmp_path: Path) -> None:
    """What the corridor's manifests and check-ins use: the envelope is verified before
    the domain sees the body, and an unknown type stays unknown."""
    from dataclasses import dataclass as _dc
    from datetime import UTC, datetime

    from alianza.errors import AuthenticationError, InputError
    from alianza.exchange.envelope import seal
    from alianza.exchange.handlers import handle
    from alianza.exchange.hits import RateLimiter
    from alianza.exchange.models import Peer
    from alianza.node.keys import generate_key

    @_dc
    class Partner:
        node_id: str
        key: Any

    partner = Partner("ec-eco", generate_key(tmp_path / "eco.key"))
    with node.sessions() as session:
        session.add(
            Peer(node_id="ec-eco", country="EC", agency="Eco", url="http://127.0.0.1:9",
                 public_key=partner.key.public_hex, added_at=datetime.now(UTC))
        )  # fmt: skip
        session.commit()
    domains.register(
        Domain(name="eco", summary="Eco.", messages={"eco.ping": "tests.test_domains:_echo"})
    )
    try:
        with node.sessions() as session:
            message = seal(partner, recipient=node.node_id, type="eco.ping", body={"say": "hola"})  # type: ignore[arg-type]
            reply = handle(
                session, node=node, message=message, limiter=RateLimiter(rate=10, burst=10)
            )
            assert reply["envelope"]["body"] == {"echo": "hola", "from": "ec-eco"}
            forged = {**message, "signature": "00" * 64}
            with pytest.raises(AuthenticationError):
                handle(session, node=node, message=forged, limiter=RateLimiter(rate=10, burst=10))
    finally:
        domains.unregister("eco")
    with node.sessions() as session:
        again = seal(partner, recipient=node.node_id, type="eco.ping", body={})  # type: ignore[arg-type]
        with pytest.raises(InputError, match="desconocido"):
            handle(session, node=node, message=again, limiter=RateLimiter(rate=10, burst=10))
