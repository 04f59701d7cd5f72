"""The registry: the one list of domains that the app, the CLI and the migrations loop over.

Each domain package declares itself once, in its ``__init__.py``, as ``DOMAIN = Domain(...)``:
its API routers, its CLI commands, its SQLAlchemy model modules, its migrations folder (if
it has its own), the actions it defines with the roles that hold them, and a start-up hook
for anything the served app keeps in memory. ``create_app``, ``cli.app``,
``migrations/env.py`` and the permission function read the declarations from here, so a
new domain is a new package plus one line in ``PACKAGES``.

Declarations name their parts as ``"module:attribute"`` strings, loaded only when asked
for: a CLI command does not import FastAPI's routers, and a model module can import its
package without a cycle. (datasette's plugin hooks were the model; pluggy would add a
dependency for what is a list and a dataclass here.)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter, FastAPI

    from alianza.node.context import Node

# The domains of this node, in the order their routes and commands appear.
PACKAGES: list[str] = [
    "alianza.node",
    "alianza.auth",
    "alianza.audit",
    "alianza.records",
    "alianza.exchange",
    "alianza.identity",
    "alianza.screening",
    "alianza.ports",
    "alianza.seizures",
    "alianza.routes",
    "alianza.corridor",
    "alianza.status",
    "alianza.demo",
    "alianza.web",
]


@dataclass(frozen=True, slots=True)
class Domain:
    """What one domain brings to the node."""

    name: str
    # What the domain is for, one line (shown in the CLI's help).
    summary: str
    # ``"module:router"`` for each FastAPI router.
    routers: tuple[str, ...] = ()
    # ``"module:register"``: a function that adds the domain's commands to the Typer app.
    commands: str | None = None
    # Modules whose import registers the domain's tables on ``db.Base.metadata``.
    models: tuple[str, ...] = ()
    # A folder of Alembic revisions of the domain's own (a branch depending on the core).
    migrations: str | None = None
    # Actions this domain defines -> the roles (their values) that hold them.
    grants: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # ``"module:RULE"`` for each kind of resource the domain owns (``auth.permissions.Rule``):
    # who may act on one, in Python and SQL.
    rules: tuple[str, ...] = ()
    # ``"module:function"`` called with (app, node) when the app is created.
    on_app: str | None = None
    # ``"module:function"`` (session, node) -> {node id: Ed25519 public key hex} of the
    # signers whose versions this node may hold (itself, its peers).
    signers: str | None = None
    # ``"module:function"`` (session, rows) called in the same transaction after record
    # versions are written locally (``rows``: the version rows as inserted), for what a
    # domain derives from them (screening stores each person's comparison features).
    on_versions: str | None = None
    # Signed node-to-node message types this domain answers -> ``"module:function"``
    # (session, node, opened) -> reply body; ``exchange.handlers`` verifies the envelope
    # (peer, signature, addressee, time, replay) before calling it.
    messages: Mapping[str, str] = field(default_factory=dict)


def load(ref: str) -> Any:
    """The object ``"module:attribute"`` names (a module alone when there is no colon)."""
    module_name, _, attribute = ref.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


_extra: list[Domain] = []


@cache
def _declared() -> tuple[Domain, ...]:
    found = []
    for package in PACKAGES:
        domain = getattr(importlib.import_module(package), "DOMAIN", None)
        if not isinstance(domain, Domain):
            raise TypeError(f"{package} does not declare DOMAIN = Domain(...)")
        found.append(domain)
    return tuple(found)


def domains() -> tuple[Domain, ...]:
    """Every registered domain."""
    return (*_declared(), *_extra)


def register(domain: Domain) -> None:
    """Add a domain at run time (for tests and out-of-tree plug-ins); same as a line above."""
    if any(d.name == domain.name for d in domains()):
        raise ValueError(f"domain {domain.name!r} is already registered")
    _extra.append(domain)
    _changed()


def unregister(name: str) -> None:
    """Remove a domain added with ``register``."""
    _extra[:] = [d for d in _extra if d.name != name]
    _changed()


_listeners: list[Callable[[], None]] = []


def on_change(listener: Callable[[], None]) -> None:
    """Call ``listener`` whenever the registry changes (caches built from it)."""
    _listeners.append(listener)


def _changed() -> None:
    for listener in _listeners:
        listener()


@cache
def version_hooks() -> tuple[Callable[[Any, list[dict[str, Any]]], None], ...]:
    """The domains' ``on_versions`` functions, loaded once (again when the registry changes)."""
    return tuple(load(d.on_versions) for d in domains() if d.on_versions)


on_change(version_hooks.cache_clear)


def routers() -> Iterator[APIRouter]:
    """Every domain's API routers."""
    for domain in domains():
        for ref in domain.routers:
            yield load(ref)


def add_commands(app: typer.Typer) -> None:
    """Add every domain's commands to ``app``."""
    for domain in domains():
        if domain.commands:
            load(domain.commands)(app)


def import_models() -> None:
    """Import every domain's model modules, so ``Base.metadata`` holds every table."""
    for domain in domains():
        for module in domain.models:
            importlib.import_module(module)


def migration_folders() -> list[Path]:
    """The core's Alembic versions folder and each domain's own."""
    core = Path(__file__).resolve().parent / "migrations" / "versions"
    folders = [core]
    for domain in domains():
        if domain.migrations:
            folders.append(Path(load(domain.migrations).__file__).resolve().parent)
    return folders


def grants() -> dict[str, frozenset[str]]:
    """Action -> roles, over every domain (an action declared twice is a bug)."""
    table: dict[str, frozenset[str]] = {}
    for domain in domains():
        for action, roles in domain.grants.items():
            if action in table:
                raise ValueError(f"action {action!r} declared by two domains")
            table[action] = frozenset(roles)
    return table


def message_handler(kind: str) -> Callable[..., dict[str, Any]] | None:
    """The function a domain declared for a signed message type, or None."""
    for domain in domains():
        ref = domain.messages.get(kind)
        if ref:
            return load(ref)  # type: ignore[no-any-return]
    return None


def start(app: FastAPI, node: Node) -> None:
    """Run every domain's start-up hook on a new app."""
    for domain in domains():
        if domain.on_app:
            load(domain.on_app)(app, node)


def signer_keys(session: Any, node: Node) -> dict[str, str]:
    """Every known signer's public key, from each domain that knows some."""
    keys: dict[str, str] = {}
    for domain in domains():
        if domain.signers:
            keys.update(load(domain.signers)(session, node))
    return keys
