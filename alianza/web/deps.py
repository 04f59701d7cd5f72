"""Request dependencies: the node, a unit of work, the authenticated principal."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from alianza.auth import service as auth
from alianza.auth.permissions import Principal, authorize
from alianza.codes.text import shown, text_problem
from alianza.db import transaction
from alianza.errors import AuthenticationError, NotFound
from alianza.node.context import Node

bearer = HTTPBearer(auto_error=False, description="Token de API: 'alianza users token'")


async def get_node(request: Request) -> Node:
    """The node this app serves (async: a plain function would cost every request a trip
    through the thread pool, about an eighth of a hit/no-hit's CPU)."""
    node: Node = request.app.state.node
    return node


NodeDep = Annotated[Node, Depends(get_node)]


def readable_path(request: Request) -> None:
    """A path parameter the text gate refuses (a NUL, a control or bidirectional
    character, a lone surrogate, nothing visible) names nothing stored: not found, before
    any lookup. PostgreSQL's driver refuses a NUL in a query: a record, case, plan or
    release id with ``%00`` was a 500 on nine routes. Called once the caller is known
    (``get_principal``, the console's ``current_principal``), so the probe is audited as
    any other 404 to an authenticated caller; no public route takes a path parameter."""
    for name, value in request.path_params.items():
        if isinstance(value, str) and text_problem(value)[1] is not None:
            raise NotFound(f"No existe ningún elemento con ese {name}: '{shown(value)}'.")


@contextmanager
def unit(node: Node) -> Iterator[Session]:
    """One transaction for one request: views own it, services never commit."""
    with transaction(node.sessions) as session:
        yield session


def get_principal(
    request: Request,
    node: NodeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The user behind the bearer token, or 401 (kept on the request: denials are audited)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationError("Falta el token: cabecera 'Authorization: Bearer <token>'.")
    with node.sessions() as session:
        user = auth.authenticate(session, credentials.credentials)
        principal = auth.principal_of(user)
    request.state.principal = principal
    readable_path(request)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(action: str) -> Any:
    """A route's declared action: the authenticated principal, if their role holds it.

    Runs before the body is read, so a role that may never call a route gets 403 whatever
    it sends. The service behind the route still authorises the act on its resource.
    """

    def dependency(principal: PrincipalDep) -> Principal:
        authorize(principal, action)
        return principal

    return Depends(dependency)
