"""The node's Ed25519 key pair (``cryptography``) and canonical signing.

Everything the node signs is canonical JSON: sorted keys, no spaces, UTF-8. The same
bytes are produced on every node and every platform, so a partner can verify.

The private key never enters the database: whoever can read or write every table still
cannot sign a checkpoint, a head or an envelope. It lives in its own file, readable by
the node's user only (file 0600 in a directory 0700, like ssh keeps its keys); a key file
that group or others can read is refused, and a key directory left open by an earlier
version is closed on opening. The database's own server user (PostgreSQL on the same
host) must not be the file's owner.

With ``alianza node init --pkcs11 URI`` the key lives in a PKCS#11 token instead
(``alianza.node.token``) and the key file holds only the token's RFC 7512 URI; both kinds
sign the same Ed25519 signatures, so partners and ``audit verify`` cannot tell them apart.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from alianza.errors import IntegrityFailure, NodeNotInitialised


def canonical(obj: Any) -> bytes:
    """Canonical JSON bytes of ``obj``: sorted keys, no spaces, UTF-8.

    orjson gives the same bytes as ``json.dumps(sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)`` (a test holds it to that) at a tenth of the cost.
    """
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


def digest(obj: Any) -> str:
    """SHA-256 hex digest of the canonical form of ``obj``."""
    return hashlib.sha256(canonical(obj)).hexdigest()


class NodeKey(Protocol):
    """What the node signs with: a key file (``FileKey``) or a PKCS#11 token (``TokenKey``)."""

    @property
    def public_hex(self) -> str:
        """The raw 32-byte Ed25519 public key, hex."""
        ...

    def sign(self, message: bytes) -> str:
        """Hex Ed25519 signature of ``message``."""
        ...


@dataclass(slots=True)
class FileKey:
    """A node's private key read from its key file."""

    private: Ed25519PrivateKey

    @property
    def public_hex(self) -> str:
        raw = self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return raw.hex()

    def sign(self, message: bytes) -> str:
        """Hex Ed25519 signature of ``message``."""
        return self.private.sign(message).hex()


def _private_dir(directory: Path) -> None:
    """Create ``directory`` (the key's own folder) or close it to group and others."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.name == "posix" and directory.stat().st_mode & 0o077:
        os.chmod(directory, 0o700)


def _check_private(path: Path) -> None:
    """Refuse a key file that others could read or replace (as ssh does)."""
    if os.name != "posix":
        return
    info = path.stat()
    if info.st_uid != os.geteuid():
        raise IntegrityFailure(
            f"La clave {path} pertenece a otro usuario (uid {info.st_uid}): el nodo debe "
            "ser su dueño ('chown' al usuario del servicio)."
        )
    if info.st_mode & 0o077:
        raise IntegrityFailure(
            f"La clave {path} es accesible para otros usuarios "
            f"(permisos {stat.S_IMODE(info.st_mode):o}): 'chmod 600 {path}'."
        )


def generate_key(path: Path) -> FileKey:
    """Create a new key pair; the private key goes to ``path`` (0600, its folder 0700)."""
    _private_dir(path.parent)
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return FileKey(private)


def load_key(path: Path) -> NodeKey:
    """Load the node's private key, or say how to create one."""
    if not path.exists():
        raise NodeNotInitialised(
            f"No se encuentra la clave del nodo en {path}: 'alianza node init'."
        )
    _private_dir(path.parent)
    _check_private(path)
    content = path.read_bytes()
    if content.lstrip().startswith(b"pkcs11:"):
        from alianza.node.token import TokenKey, parse_uri

        return TokenKey(parse_uri(content.decode("utf-8", "replace")))
    try:
        private = serialization.load_pem_private_key(content, password=None)
    except (ValueError, TypeError):
        raise IntegrityFailure(
            f"El archivo {path} no es una clave PEM ni una URI pkcs11:."
        ) from None
    if not isinstance(private, Ed25519PrivateKey):
        raise IntegrityFailure(f"La clave de {path} no es Ed25519.")
    return FileKey(private)


def write_token_uri(path: Path, uri: str) -> None:
    """Write the key file of a node whose key is in a token: its URI only (0600, 0700)."""
    _private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(uri.strip() + "\n")


def verify(public_hex: str, message: bytes, signature_hex: str) -> bool:
    """Whether ``signature_hex`` is a valid signature of ``message`` by ``public_hex``."""
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(
            bytes.fromhex(signature_hex), message
        )
    except (InvalidSignature, ValueError):
        return False
    return True
