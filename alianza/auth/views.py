"""Login, the caller's identity, and user administration."""

from __future__ import annotations

from fastapi import APIRouter

from alianza.audit import service as audit
from alianza.audit.service import audit_act
from alianza.auth import service as auth
from alianza.auth.models import User
from alianza.auth.permissions import Action, authorize
from alianza.auth.schemas import LoginIn, TokenRead, UserCreate, UserRead
from alianza.errors import AuthenticationError
from alianza.web.deps import NodeDep, PrincipalDep, unit

router = APIRouter(prefix="/api/v1", tags=["usuarios"])


def _user(u: User) -> UserRead:
    return UserRead(
        username=u.username,
        full_name=u.full_name,
        country=u.country,
        agency=u.agency,
        role=u.role,
        active=u.active,
    )


@router.post("/auth/token", response_model=TokenRead, summary="Iniciar sesión: token de API")
def login(body: LoginIn, node: NodeDep) -> TokenRead:
    try:
        with unit(node) as session:
            user = auth.login(session, username=body.username, password=body.password)
            token, expires = auth.issue_token(
                session, user=user, ttl_days=node.settings.token_ttl_days
            )
            audit_act(session, node, auth.principal_of(user), "auth.login", user.username, {})
            return TokenRead(token=token, expires_at=expires)
    except AuthenticationError:
        # A failed login is audited too, in its own transaction (the failed one rolled back).
        with unit(node) as session:
            audit.append(
                session,
                key=node.key,
                node_id=node.node_id,
                actor=f"anon:{body.username[:80]}",
                action="auth.login_failed",
                target=body.username[:80],
                detail={},
                checkpoint_every=node.settings.checkpoint_every,
            )
        raise


@router.get("/auth/me", response_model=UserRead, summary="Quién soy")
def me(node: NodeDep, principal: PrincipalDep) -> UserRead:
    with unit(node) as session:
        return _user(auth.get_user(session, principal.username))


@router.get("/users", response_model=list[UserRead], summary="Usuarios del nodo")
def list_users(node: NodeDep, principal: PrincipalDep) -> list[UserRead]:
    authorize(principal, Action.MANAGE_USERS)
    with unit(node) as session:
        audit_act(session, node, principal, "user.list", "", {})
        return [_user(u) for u in auth.list_users(session)]


@router.post("/users", response_model=UserRead, status_code=201, summary="Crear usuario")
def add_user(body: UserCreate, node: NodeDep, principal: PrincipalDep) -> UserRead:
    authorize(principal, Action.MANAGE_USERS)
    with unit(node) as session:
        user = auth.add_user(
            session,
            username=body.username,
            full_name=body.full_name,
            country=body.country,
            agency=body.agency,
            role=body.role,
            password=body.password,
        )
        audit_act(
            session,
            node,
            principal,
            "user.add",
            user.username,
            {"role": user.role, "agency": user.agency, "country": user.country},
        )
        return _user(user)
