"""Users, passwords and API tokens.

Passwords are hashed with scrypt (``hashlib``, standard library: no extra dependency for
one KDF); tokens are 256-bit random strings of which only a SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from alianza.auth.models import ApiToken, User
from alianza.auth.permissions import Principal, Role
from alianza.errors import AuthenticationError, Conflict, InputError, NotFound
from alianza.records.countries import normalize_country

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
TOKEN_PREFIX = "alz_"


def _hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    derived = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${derived.hex()}"


def _check_password(password: str, stored: str) -> bool:
    try:
        _, salt_hex, _ = stored.split("$")
    except ValueError:
        return False
    return hmac.compare_digest(_hash_password(password, bytes.fromhex(salt_hex)), stored)


def token_hash(token: str) -> str:
    """SHA-256 of a token: what the database keeps."""
    return hashlib.sha256(token.encode()).hexdigest()


def principal_of(user: User) -> Principal:
    """The acting identity of a user."""
    return Principal(
        username=user.username, country=user.country, agency=user.agency, role=Role(user.role)
    )


def add_user(
    session: Session,
    *,
    username: str,
    full_name: str,
    country: str,
    agency: str,
    role: str,
    password: str | None = None,
) -> User:
    """Create a user; the name must be new."""
    if not _USERNAME.match(username):
        raise InputError.at(
            "username", f"nombre de usuario inválido '{username}' (minúsculas, dígitos, . _ -)"
        )
    try:
        the_role = Role(role)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise InputError.at("role", f"rol desconocido '{role}'; se admite: {allowed}") from None
    try:
        the_country = normalize_country(country)
    except ValueError as exc:
        raise InputError.at("country", str(exc)) from None
    if not agency.strip():
        raise InputError.at("agency", "la institución no puede estar vacía")
    if password is not None and len(password) < 10:
        raise InputError.at("password", "la contraseña debe tener al menos 10 caracteres")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise Conflict(f"El usuario '{username}' ya existe.")
    user = User(
        username=username,
        full_name=full_name.strip() or username,
        country=the_country,
        agency=agency.strip(),
        role=the_role.value,
        password_hash=_hash_password(password) if password else None,
        active=True,
        created_at=datetime.now(UTC),
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, username: str) -> User:
    """A user by name, or ``NotFound``."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"No existe el usuario '{username}'.")
    return user


def issue_token(session: Session, *, user: User, ttl_days: int) -> tuple[str, datetime]:
    """A new API token for ``user``; the clear token is returned once and never stored."""
    if ttl_days < 1 or ttl_days > 365:
        raise InputError.at("days", "la vigencia del token debe estar entre 1 y 365 días")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    expires = now + timedelta(days=ttl_days)
    session.add(
        ApiToken(
            user_id=user.id,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=expires,
            revoked=False,
        )
    )
    session.flush()
    return token, expires


def login(session: Session, *, username: str, password: str) -> User:
    """The user whose password this is, or ``AuthenticationError`` (same for any cause)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not user.password_hash:
        raise AuthenticationError("Usuario o contraseña incorrectos.")
    if not _check_password(password, user.password_hash):
        raise AuthenticationError("Usuario o contraseña incorrectos.")
    return user


def authenticate(session: Session, token: str) -> User:
    """The user holding a valid, unexpired token."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    if row is None or row.revoked:
        raise AuthenticationError("Token inválido o revocado.")
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
    if expires <= datetime.now(UTC):
        raise AuthenticationError("El token expiró: solicite uno nuevo.")
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise AuthenticationError("El usuario del token no está activo.")
    return user


def list_users(session: Session) -> list[User]:
    """Every user of the node."""
    return list(session.scalars(select(User).order_by(User.username)))
