"""Login, logout, the caller's identity, and user administration (thin: see service)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials

from alianza.auth import service as auth
from alianza.auth.models import User
from alianza.auth.permissions import Action, Principal
from alianza.auth.schemas import (
    LoginIn,
    TokenCreate,
    TokenRead,
    TokensRevoked,
    UserCreate,
    UserRead,
)
from alianza.errors import AuthenticationError, RateLimited
from alianza.web.deps import NodeDep, PrincipalDep, bearer, require, unit

router = APIRouter(prefix="/api/v1", tags=["usuarios"])

# The route-level declaration of user management (the service checks the user too).
Manager = Annotated[Principal, require(Action.MANAGE_USERS)]

Username = Annotated[str, Path(max_length=80, description="Nombre de usuario.")]


def _user(u: User) -> UserRead:
    return UserRead(
        username=u.username,
        full_name=u.full_name,
        country=u.country,
        agency=u.agency,
        role=u.role,
        active=u.active,
    )


@router.post(
    "/auth/token",
    response_model=TokenRead,
    summary="Iniciar sesión: token de API",
    responses={401: {"description": "Credenciales incorrectas"}, 429: {"description": "Bloqueo"}},
)
def login(body: LoginIn, request: Request, node: NodeDep) -> TokenRead:
    address = request.client.host if request.client else ""
    with unit(node) as session:
        try:
            _, token, expires = auth.login(
                session,
                node=node,
                username=body.username,
                password=body.password,
                address=address,
            )
            refused: AuthenticationError | RateLimited | None = None
        except (AuthenticationError, RateLimited) as exc:
            # The failure's count and audit entry are committed all the same.
            refused = exc
    if refused is not None:
        raise refused
    return TokenRead(token=token, expires_at=expires)


@router.post(
    "/auth/revoke", response_model=TokensRevoked, summary="Cerrar sesión: revocar mi token"
)
def revoke_own(
    node: NodeDep,
    principal: PrincipalDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> TokensRevoked:
    if credentials is None:  # pragma: no cover - PrincipalDep has refused it already
        raise AuthenticationError("Falta el token.")
    with unit(node) as session:
        auth.revoke_own_token(
            session, node=node, principal=principal, token=credentials.credentials
        )
    return TokensRevoked(username=principal.username, revoked=1)


@router.get("/auth/me", response_model=UserRead, summary="Quién soy")
def me(node: NodeDep, principal: PrincipalDep) -> UserRead:
    with unit(node) as session:
        return _user(auth.get_user(session, principal.username))


@router.get("/users", response_model=list[UserRead], summary="Usuarios de mi institución")
def list_users(node: NodeDep, principal: Manager) -> list[UserRead]:
    with unit(node) as session:
        return [_user(u) for u in auth.list_users(session, node=node, principal=principal)]


@router.post("/users", response_model=UserRead, status_code=201, summary="Crear usuario")
def add_user(body: UserCreate, node: NodeDep, principal: Manager) -> UserRead:
    with unit(node) as session:
        user = auth.add_user(
            session,
            node=node,
            principal=principal,
            username=body.username,
            full_name=body.full_name,
            country=body.country,
            agency=body.agency,
            role=body.role,
            password=body.password,
        )
        return _user(user)


@router.post("/users/{username}/disable", response_model=UserRead, summary="Desactivar usuario")
def disable_user(username: Username, node: NodeDep, principal: Manager) -> UserRead:
    with unit(node) as session:
        return _user(auth.disable_user(session, node=node, principal=principal, username=username))


@router.post("/users/{username}/enable", response_model=UserRead, summary="Reactivar usuario")
def enable_user(username: Username, node: NodeDep, principal: Manager) -> UserRead:
    with unit(node) as session:
        return _user(auth.enable_user(session, node=node, principal=principal, username=username))


@router.post(
    "/users/{username}/tokens",
    response_model=TokenRead,
    status_code=201,
    summary="Emitir un token para un usuario",
)
def issue_token(
    username: Username,
    node: NodeDep,
    principal: Manager,
    body: Annotated[TokenCreate | None, Body()] = None,
) -> TokenRead:
    with unit(node) as session:
        token, expires = auth.issue_token(
            session,
            node=node,
            principal=principal,
            username=username,
            ttl_days=body.days if body is not None else None,
        )
    return TokenRead(token=token, expires_at=expires)


@router.delete(
    "/users/{username}/tokens",
    response_model=TokensRevoked,
    summary="Revocar todos los tokens de un usuario",
)
def revoke_tokens(username: Username, node: NodeDep, principal: Manager) -> TokensRevoked:
    with unit(node) as session:
        count = auth.revoke_tokens(session, node=node, principal=principal, username=username)
    return TokensRevoked(username=username, revoked=count)
