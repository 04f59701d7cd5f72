"""The node key inside a PKCS#11 token (an HSM, a smart card, SoftHSM2 in the tests).

With a token the private key never leaves it: not the database, not the disk. The node's
key file then holds no key, only an RFC 7512 URI naming where the key is::

    pkcs11:token=alianza;object=nodo?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/alianza/pin

Path attributes (before ``?``): ``token`` (the token's label, required), ``object`` (the
key's label, required), ``serial``, ``id``. Query attributes: ``module-path`` (the
PKCS#11 library, required), ``pin-source`` (``file:`` a file readable by the node's user
only, as the key file is) or ``pin-value``. Other RFC 7512 attributes are refused by name
rather than ignored, so a URI that means something else never opens the wrong key.

The key is Ed25519 (``CKK_EC_EDWARDS``, mechanism ``CKM_EDDSA``, PKCS#11 3.0): the same
signatures as a file key, so partners verify either the same way. python-pkcs11 talks to
the token; one session per node, signing under a lock (a PKCS#11 session is not shared
between threads at once).
"""

from __future__ import annotations

import os
import stat
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

from alianza.errors import Conflict, InputError, IntegrityFailure

if TYPE_CHECKING:
    from alianza.node.keys import NodeKey

SCHEME = "pkcs11:"
_PATH_ATTRS = {"token", "object", "serial", "id", "type"}
_QUERY_ATTRS = {"module-path", "pin-source", "pin-value"}
ED25519_OID = "1.3.101.112"


@dataclass(frozen=True, slots=True)
class TokenUri:
    """The parts of a ``pkcs11:`` URI that alianza uses."""

    token: str
    object: str
    module_path: str
    serial: str | None = None
    key_id: bytes | None = None
    pin_source: str | None = None
    pin_value: str | None = field(default=None, repr=False)

    def pin(self) -> str | None:
        """The user PIN: from ``pin-value``, or the file ``pin-source`` names (0600)."""
        if self.pin_value is not None:
            return self.pin_value
        if self.pin_source is None:
            return None
        if not self.pin_source.startswith("file:"):
            raise InputError.at("pkcs11", "pin-source debe ser 'file:/ruta'")
        path = Path(self.pin_source.removeprefix("file:").removeprefix("//"))
        if not path.is_file():
            raise InputError.at("pkcs11", f"no se encuentra el archivo del PIN {path}")
        if os.name == "posix" and path.stat().st_mode & 0o077:
            raise IntegrityFailure(
                f"El archivo del PIN {path} es accesible para otros usuarios "
                f"(permisos {stat.S_IMODE(path.stat().st_mode):o}): 'chmod 600 {path}'."
            )
        return path.read_text(encoding="utf-8").strip()


def parse_uri(text: str) -> TokenUri:
    """Parse an RFC 7512 URI; a clear error names what is missing or unknown."""
    text = text.strip()
    if not text.startswith(SCHEME):
        raise InputError.at("pkcs11", "la URI debe empezar por 'pkcs11:'")
    body = text.removeprefix(SCHEME)
    path_part, _, query_part = body.partition("?")
    attrs: dict[str, str] = {}
    for piece in filter(None, path_part.split(";")):
        name, sep, value = piece.partition("=")
        if not sep or name not in _PATH_ATTRS:
            raise InputError.at("pkcs11", f"atributo desconocido o sin valor: {piece!r}")
        attrs[name] = unquote(value)
    query: dict[str, str] = {}
    for name, value in parse_qsl(query_part, keep_blank_values=True):
        if name not in _QUERY_ATTRS:
            raise InputError.at("pkcs11", f"atributo de consulta desconocido: {name!r}")
        query[name] = value
    if attrs.get("type", "private") != "private":
        raise InputError.at("pkcs11", "la URI debe nombrar la clave privada (type=private)")
    for needed, where in (("token", attrs), ("object", attrs), ("module-path", query)):
        if not where.get(needed):
            raise InputError.at("pkcs11", f"falta '{needed}' en la URI")
    if "pin-source" in query and "pin-value" in query:
        raise InputError.at("pkcs11", "use pin-source o pin-value, no ambos")
    return TokenUri(
        token=attrs["token"],
        object=attrs["object"],
        serial=attrs.get("serial"),
        key_id=attrs["id"].encode("latin-1") if "id" in attrs else None,
        module_path=query["module-path"],
        pin_source=query.get("pin-source"),
        pin_value=query.get("pin-value"),
    )


def _pkcs11() -> Any:
    """python-pkcs11, an optional dependency: only nodes with a token need it."""
    try:
        import pkcs11
    except ImportError:
        raise InputError.at(
            "pkcs11", "falta python-pkcs11: instale 'alianza[hsm]' para usar un token"
        ) from None
    return pkcs11


def _open_session(uri: TokenUri, *, rw: bool) -> Any:
    pkcs11 = _pkcs11()
    if not Path(uri.module_path).is_file():
        raise InputError.at("pkcs11", f"no existe la biblioteca PKCS#11 {uri.module_path}")
    try:
        lib = pkcs11.lib(uri.module_path)
        token = lib.get_token(token_label=uri.token, token_serial=uri.serial)
        try:
            return token.open(user_pin=uri.pin(), rw=rw)
        except pkcs11.exceptions.UserAlreadyLoggedIn:
            # Login is per process and token: another session of ours already holds it.
            return token.open(rw=rw)
    except pkcs11.exceptions.NoSuchToken:
        raise InputError.at("pkcs11", f"no hay token con etiqueta {uri.token!r}") from None
    except pkcs11.exceptions.PinIncorrect:
        raise InputError.at("pkcs11", "el PIN del token es incorrecto") from None
    except pkcs11.exceptions.PKCS11Error as exc:
        raise InputError.at(
            "pkcs11", f"el token rechazó la sesión ({type(exc).__name__})"
        ) from None


def _raw_point(der_point: bytes) -> bytes:
    """The 32 raw bytes of an Ed25519 CKA_EC_POINT (a DER OCTET STRING, or raw)."""
    if len(der_point) == 34 and der_point[:2] == b"\x04\x20":
        return der_point[2:]
    if len(der_point) == 32:
        return der_point
    raise IntegrityFailure("La clave del token no es Ed25519 (CKA_EC_POINT inesperado).")


class TokenKey:
    """A node key held in a PKCS#11 token: signs there, publishes its public half."""

    def __init__(self, uri: TokenUri) -> None:
        pkcs11 = _pkcs11()
        from pkcs11 import Attribute, KeyType, ObjectClass

        self.uri = uri
        self._lock = threading.Lock()
        self._session = _open_session(uri, rw=False)
        found: dict[str, Any] = {"label": uri.object, "key_type": KeyType.EC_EDWARDS}
        if uri.key_id is not None:
            found["id"] = uri.key_id
        try:
            self._private = self._session.get_key(object_class=ObjectClass.PRIVATE_KEY, **found)
            public = self._session.get_key(object_class=ObjectClass.PUBLIC_KEY, **found)
        except pkcs11.exceptions.NoSuchKey:
            self._session.close()
            raise IntegrityFailure(
                f"El token {uri.token!r} no tiene una clave Ed25519 {uri.object!r}."
            ) from None
        except pkcs11.exceptions.MultipleObjectsReturned:
            self._session.close()
            raise IntegrityFailure(
                f"El token {uri.token!r} tiene varias claves {uri.object!r}: añada id= a la URI."
            ) from None
        self._public = _raw_point(public[Attribute.EC_POINT])

    @property
    def public_hex(self) -> str:
        return self._public.hex()

    def sign(self, message: bytes) -> str:
        from pkcs11 import Mechanism

        with self._lock:
            return bytes(self._private.sign(message, mechanism=Mechanism.EDDSA)).hex()

    def close(self) -> None:
        with self._lock:
            self._session.close()


def _refuse_taken(session: Any, uri: TokenUri) -> None:
    from pkcs11 import Attribute, ObjectClass

    # Read to the end: a search left open fails when the session closes under it.
    taken = list(
        session.get_objects({Attribute.LABEL: uri.object, Attribute.CLASS: ObjectClass.PRIVATE_KEY})
    )
    if taken:
        raise Conflict(
            f"El token {uri.token!r} ya tiene una clave {uri.object!r}; no se sobrescribe."
        )


def check_token(uri_text: str) -> None:
    """Before a node is created: the token opens with its PIN and the key label is free."""
    uri = parse_uri(uri_text)
    with _open_session(uri, rw=True) as session:
        _refuse_taken(session, uri)


def create_token_key(uri_text: str) -> NodeKey:
    """Generate the node's Ed25519 pair inside the token; refuse if the label is taken."""
    pkcs11 = _pkcs11()
    from pkcs11 import Attribute, KeyType, Mechanism
    from pkcs11.util.ec import encode_named_curve_parameters

    uri = parse_uri(uri_text)
    with _open_session(uri, rw=True) as session:
        _refuse_taken(session, uri)
        try:
            params = session.create_domain_parameters(
                KeyType.EC_EDWARDS,
                {Attribute.EC_PARAMS: encode_named_curve_parameters(ED25519_OID)},
                local=True,
            )
            template: dict[Any, Any] = {Attribute.EXTRACTABLE: False, Attribute.SENSITIVE: True}
            params.generate_keypair(
                store=True,
                label=uri.object,
                id=uri.key_id,
                mechanism=Mechanism.EC_EDWARDS_KEY_PAIR_GEN,
                private_template=template,
            )
        except pkcs11.exceptions.PKCS11Error as exc:
            raise InputError.at(
                "pkcs11", f"el token no pudo crear una clave Ed25519 ({type(exc).__name__})"
            ) from None
    return TokenKey(uri)
