"""Request dependencies: the node, a unit of work, the authenticated principal."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from alianza.auth import service as auth
from alianza.auth.permissions import Principal
from alianza.db import transaction
from alianza.errors import AuthenticationError
from alianza.node.context import Node

bearer = HTTPBearer(auto_error=False, description="Token de API: 'alianza users token'")


def get_node(request: Request) -> Node:
    """The node this app serves."""
    node: Node = request.app.state.node
    return node


NodeDep = Annotated[Node, Depends(get_node)]


@contextmanager
def unit(node: Node) -> Iterator[Session]:
    """One transaction for one request: views own it, services never commit."""
    with transaction(node.sessions) as session:
        yield session


def get_principal(
    node: NodeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The user behind the bearer token, or 401."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationError("Falta el token: cabecera 'Authorization: Bearer <token>'.")
    with node.sessions() as session:
        user = auth.authenticate(session, credentials.credentials)
        return auth.principal_of(user)


PrincipalDep = Annotated[Principal, Depends(get_principal)]
