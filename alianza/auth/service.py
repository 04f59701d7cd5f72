"""Users, passwords, API tokens and the login's lock-out.

Passwords are hashed with scrypt (``hashlib``, standard library: no extra dependency for
one KDF); tokens are 256-bit random strings of which only a SHA-256 is stored.

Every act on a user (create, list, issue or revoke tokens, disable, enable) is authorised
here through ``authorize(principal, Action.MANAGE_USERS, user)`` (the rule is in
``auth.policy``) and audited here, once; the API and the CLI only call these functions.
Nothing here commits: the caller owns the transaction.

A login takes the same time whether the name exists or not (a dummy hash is checked for
unknown, inactive and password-less users), and after ``MAX_FAILURES`` failures within
``WINDOW`` for one name or one client address further attempts are refused for a while,
twice as long at each lock-out in a row. Counters are kept for any name typed, so a
lock-out tells nothing about which names exist.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from alianza.audit.service import Act, append_many, audit_act
from alianza.auth.models import ApiToken, LoginThrottle, User
from alianza.auth.permissions import (
    USER_ROLES,
    Action,
    Principal,
    Role,
    allowed,
    authorize,
    visible,
)
from alianza.codes.countries import normalize_country
from alianza.errors import (
    AuthenticationError,
    Conflict,
    InputError,
    NotFound,
    RateLimited,
)

if TYPE_CHECKING:
    from alianza.node.context import Node

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
TOKEN_PREFIX = "alz_"

# The lock-out (issue 9, B2): at most this many failures in a row within the window.
MAX_FAILURES = 10
WINDOW = timedelta(minutes=15)
FIRST_LOCK = timedelta(minutes=15)
LONGEST_LOCK = timedelta(hours=24)

LOGIN_REFUSED = "Usuario o contraseña incorrectos."


# --- passwords and tokens ----------------------------------------------------------------


def _hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    # surrogatepass: a lone surrogate typed at the login is a wrong password, not a 500.
    secret = password.encode("utf-8", "surrogatepass")
    derived = hashlib.scrypt(secret, salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${derived.hex()}"


def _check_password(password: str, stored: str) -> bool:
    try:
        _, salt_hex, _ = stored.split("$")
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    return hmac.compare_digest(_hash_password(password, salt), stored)


@cache
def _dummy_hash() -> str:
    """A hash no password matches, checked when there is no user's hash to check."""
    return _hash_password(secrets.token_urlsafe(32))


def token_hash(token: str) -> str:
    """SHA-256 of a token: what the database keeps."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def principal_of(user: User) -> Principal:
    """The acting identity of a user (never a node's role, whatever the row says)."""
    role = next((r for r in USER_ROLES if r.value == user.role), None)
    if role is None:
        raise AuthenticationError(f"El usuario '{user.username}' no tiene un rol de usuario.")
    return Principal(username=user.username, country=user.country, agency=user.agency, role=role)


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every one we store is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _new_token(
    session: Session, *, user: User, ttl_days: int, lifetime: timedelta | None = None
) -> tuple[str, datetime]:
    if ttl_days < 1 or ttl_days > 365:
        raise InputError.at("days", "la vigencia del token debe estar entre 1 y 365 días")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    expires = now + (lifetime or timedelta(days=ttl_days))
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


# --- validation ----------------------------------------------------------------------------


def _shown(text: str, limit: int = 80) -> str:
    """``text`` safe to write in the audit log and in messages (escaped when odd)."""
    if _USERNAME.match(text):
        return text
    return text.encode("ascii", "backslashreplace").decode("ascii")[:limit]


def _text(field: str, value: str, *, limit: int, required: bool) -> str:
    # A stop-gap until the shared text validator of issue 9 (C4) lands in alianza.codes:
    # no control or format characters (bidi overrides, zero-width), no lone surrogates.
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp") for c in value):
        raise InputError.at(field, "contiene caracteres de control o invisibles")
    clean = unicodedata.normalize("NFC", value).strip()
    if required and not clean:
        raise InputError.at(field, "no puede estar vacío")
    if len(clean) > limit:
        raise InputError.at(field, f"demasiado largo (máximo {limit} caracteres)")
    return clean


def _role(role: str) -> Role:
    for the_role in USER_ROLES:
        if the_role.value == role:
            return the_role
    names = ", ".join(r.value for r in USER_ROLES)
    raise InputError.at("role", f"rol desconocido '{_shown(role)}'; se admite: {names}")


# --- users -------------------------------------------------------------------------------


def add_user(
    session: Session,
    *,
    node: Node,
    principal: Principal,
    username: str,
    full_name: str,
    country: str,
    agency: str,
    role: str,
    password: str | None = None,
) -> User:
    """Create a user of an agency ``principal`` manages; the name must be new."""
    authorize(principal, Action.MANAGE_USERS)
    if not _USERNAME.match(username):
        raise InputError.at(
            "username",
            f"nombre de usuario inválido '{_shown(username)}' (minúsculas, dígitos, . _ -)",
        )
    the_role = _role(role)
    try:
        the_country = normalize_country(country)
    except ValueError as exc:
        raise InputError.at("country", str(exc)) from None
    the_agency = _text("agency", agency, limit=80, required=True)
    the_name = _text("full_name", full_name, limit=200, required=False)
    if password is not None and len(password) < 10:
        raise InputError.at("password", "la contraseña debe tener al menos 10 caracteres")
    if password is not None and len(password) > 200:
        raise InputError.at("password", "la contraseña no puede pasar de 200 caracteres")
    user = User(
        username=username,
        full_name=the_name or username,
        country=the_country,
        agency=the_agency,
        role=the_role.value,
        password_hash=None,
        active=True,
        created_at=datetime.now(UTC),
    )
    authorize(principal, Action.MANAGE_USERS, user)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"El usuario '{username}' ya existe.")
    if password:
        user.password_hash = _hash_password(password)
    session.add(user)
    session.flush()
    audit_act(
        session,
        node,
        principal,
        "user.add",
        user.username,
        {"role": user.role, "agency": user.agency, "country": user.country},
    )
    return user


def get_user(session: Session, username: str) -> User:
    """A user by name, or ``NotFound`` (no permission check: for the caller's own identity)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"No existe el usuario '{_shown(username)}'.")
    return user


def active_principal(session: Session, username: str) -> Principal:
    """The principal of an active user (who a CLI command acts as)."""
    user = get_user(session, username)
    if not user.active:
        raise AuthenticationError(f"El usuario '{username}' está desactivado.")
    return principal_of(user)


def _managed(session: Session, principal: Principal, username: str) -> User:
    """A user ``principal`` manages; one of another agency looks exactly like a missing one."""
    user = None
    if _USERNAME.match(username):
        user = session.scalar(select(User).where(User.username == username))
    if user is None or not allowed(principal, Action.MANAGE_USERS, user):
        authorize(principal, Action.MANAGE_USERS)  # a role without the action: 403
        raise NotFound(f"No existe el usuario '{_shown(username)}'.")
    authorize(principal, Action.MANAGE_USERS, user)
    return user


def list_users(session: Session, *, node: Node, principal: Principal) -> list[User]:
    """The users ``principal`` manages."""
    authorize(principal, Action.MANAGE_USERS)
    users = list(
        session.scalars(
            select(User)
            .where(visible(principal, Action.MANAGE_USERS, User))
            .order_by(User.username)
        )
    )
    audit_act(session, node, principal, "user.list", "", {"count": len(users)})
    return users


def issue_token(
    session: Session,
    *,
    node: Node,
    principal: Principal,
    username: str,
    ttl_days: int | None = None,
) -> tuple[str, datetime]:
    """A new API token for a user (default lifetime from the settings), shown once."""
    user = _managed(session, principal, username)
    if not user.active:
        raise Conflict(f"El usuario '{username}' está desactivado: actívelo primero.")
    days = node.settings.token_ttl_days if ttl_days is None else ttl_days
    token, expires = _new_token(session, user=user, ttl_days=days)
    audit_act(session, node, principal, "user.token", user.username, {"days": days})
    return token, expires


def _revoke_all(session: Session, user: User) -> int:
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))
        .values(revoked=True)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def revoke_tokens(session: Session, *, node: Node, principal: Principal, username: str) -> int:
    """Revoke every token of a user; how many were still valid."""
    user = _managed(session, principal, username)
    count = _revoke_all(session, user)
    audit_act(session, node, principal, "user.revoke_tokens", user.username, {"count": count})
    return count


def revoke_own_token(session: Session, *, node: Node, principal: Principal, token: str) -> None:
    """Revoke the token the caller is using (logging out)."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    user = session.get(User, row.user_id) if row is not None else None
    if row is None or user is None or user.username != principal.username:
        raise AuthenticationError("Token inválido o revocado.")
    row.revoked = True
    session.flush()
    audit_act(session, node, principal, "auth.revoke", principal.username, {})


def disable_user(session: Session, *, node: Node, principal: Principal, username: str) -> User:
    """Deactivate a user and revoke their tokens (a later enable needs new tokens)."""
    user = _managed(session, principal, username)
    user.active = False
    count = _revoke_all(session, user)
    session.flush()
    audit_act(session, node, principal, "user.disable", user.username, {"tokens_revoked": count})
    return user


def enable_user(session: Session, *, node: Node, principal: Principal, username: str) -> User:
    """Reactivate a user, and lift a lock-out of their name."""
    user = _managed(session, principal, username)
    user.active = True
    session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.scope == "user", LoginThrottle.key == user.username
        )
    )
    session.flush()
    audit_act(session, node, principal, "user.enable", user.username, {})
    return user


def authenticate(session: Session, token: str) -> User:
    """The user holding a valid, unexpired token."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    if row is None or row.revoked:
        raise AuthenticationError("Token inválido o revocado.")
    if _aware(row.expires_at) <= datetime.now(UTC):
        raise AuthenticationError("El token expiró: solicite uno nuevo.")
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise AuthenticationError("El usuario del token no está activo.")
    return user


# --- login and its lock-out ------------------------------------------------------------


def _throttles(
    session: Session, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], LoginThrottle]:
    wanted = or_(*(and_(LoginThrottle.scope == s, LoginThrottle.key == k) for s, k in keys))
    rows = session.scalars(select(LoginThrottle).where(wanted).with_for_update())
    return {(r.scope, r.key): r for r in rows}


def _throttle(session: Session, scope: str, key: str, now: datetime) -> LoginThrottle:
    """The counter of ``(scope, key)``, created if new (two first failures may race)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(LoginThrottle)
        .values(scope=scope, key=key, failures=0, window_start=now, lockouts=0, refused=0)
        .on_conflict_do_nothing()
    )
    row = session.scalar(
        select(LoginThrottle)
        .where(LoginThrottle.scope == scope, LoginThrottle.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


def _lock_time(lockouts: int) -> timedelta:
    return min(FIRST_LOCK * (1 << min(lockouts - 1, 16)), LONGEST_LOCK)


def _minutes(delta: timedelta) -> int:
    return max(1, -(-int(delta.total_seconds()) // 60))


def login(
    session: Session,
    *,
    node: Node,
    username: str,
    password: str,
    address: str,
    lifetime: timedelta | None = None,
) -> tuple[User, str, datetime]:
    """The user whose password this is with a new token, or ``AuthenticationError``.

    ``lifetime``: the token's, when shorter than an API token's (a console session).

    Any cause of failure gives the same error after the same work; a name or an address
    locked out gives ``RateLimited``. Failures and lock-outs are audited and counted in
    ``session``: the caller commits them even when this raises.
    """
    now = datetime.now(UTC)
    name = _shown(username, 200)
    where = _shown(address, 200) if address else "desconocida"
    keys = [("user", name), ("address", where)]
    acts: list[Act] = []
    rows = _throttles(session, keys)
    until: datetime | None = None
    for row in rows.values():
        locked = _aware(row.locked_until) if row.locked_until is not None else None
        if locked is not None and locked > now:
            row.refused += 1
            until = max(until or locked, locked)
        elif locked is not None:
            # The lock ran out: say how many attempts it refused, start counting again.
            acts.extend(_refused(node, row))
            row.locked_until, row.failures, row.window_start, row.refused = None, 0, now, 0
    if until is not None:
        _append(session, node, acts)
        session.flush()
        raise RateLimited(
            "Demasiados intentos fallidos de inicio de sesión: espere "
            f"{_minutes(until - now)} minutos antes de volver a intentarlo."
        )

    user = (
        session.scalar(select(User).where(User.username == username))
        if _USERNAME.match(username)
        else None
    )
    stored = user.password_hash if user is not None and user.active else None
    # Hash even when there is nothing to compare with: the time taken must not tell.
    matches = _check_password(password, stored or _dummy_hash())
    if user is not None and stored is not None and matches:
        session.execute(
            delete(LoginThrottle).where(LoginThrottle.scope == "user", LoginThrottle.key == name)
        )
        _append(session, node, acts)
        token, expires = _new_token(
            session, user=user, ttl_days=node.settings.token_ttl_days, lifetime=lifetime
        )
        audit_act(
            session, node, principal_of(user), "auth.login", user.username, {"address": where}
        )
        return user, token, expires

    acts.append(
        Act(
            actor=f"anon:{name}", action="auth.login_failed", target=name, detail={"address": where}
        )
    )
    # The address's count is not cleared by a success: an attacker holding one account
    # would otherwise clear it between guesses at other names.
    for scope, key in keys:
        row = rows.get((scope, key)) or _throttle(session, scope, key, now)
        if now - _aware(row.window_start) > WINDOW:
            row.failures, row.window_start = 0, now
        row.failures += 1
        if row.failures >= MAX_FAILURES:
            row.lockouts += 1
            row.failures = 0
            lock = _lock_time(row.lockouts)
            row.locked_until = now + lock
            acts.append(
                Act(
                    actor=node.system.label,
                    action="auth.lockout",
                    target=key,
                    detail={
                        "scope": scope,
                        "failures": MAX_FAILURES,
                        "minutes": _minutes(lock),
                        "lockouts": row.lockouts,
                    },
                )
            )
    # Counters quiet for longer than the longest lock are forgotten (back-off included).
    stale = and_(
        LoginThrottle.window_start < now - LONGEST_LOCK - WINDOW,
        or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now),
    )
    for row in session.scalars(select(LoginThrottle).where(stale, LoginThrottle.refused > 0)):
        acts.extend(_refused(node, row))
    # The rows this login touched are recent: none of them is stale.
    session.execute(delete(LoginThrottle).where(stale).execution_options(synchronize_session=False))
    _append(session, node, acts)
    session.flush()
    raise AuthenticationError(LOGIN_REFUSED)


def _refused(node: Node, row: LoginThrottle) -> list[Act]:
    """The audit entry of the attempts a lock refused (counted, not written one by one)."""
    if not row.refused:
        return []
    detail = {"scope": row.scope, "refused": row.refused}
    return [Act(node.system.label, "auth.lockout_refused", row.key, detail)]


def _append(session: Session, node: Node, acts: list[Act]) -> None:
    append_many(
        session,
        key=node.key,
        node_id=node.node_id,
        acts=acts,
        checkpoint_every=node.settings.checkpoint_every,
    )
