"""Evidence files of an application: their metadata only (kind, name, type, size,
SHA-256), checked before anything is kept.

A file is accepted when its extension and its first bytes agree on one of the types a
caseworker scans or photographs (PDF, JPEG, PNG) and it holds at most 10 MB: a renamed
executable or an empty upload is refused naming the file. The magic numbers are checked
by hand (three signatures; python-magic would bring libmagic to every node for them).
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import PurePath

from sqlalchemy.orm import Session

from alianza.audit.service import audit_act
from alianza.auth.permissions import Principal, authorize
from alianza.codes.text import clean_text, shown
from alianza.errors import Conflict, InputError
from alianza.node.context import Node
from alianza.status import applications as service
from alianza.status.models import Evidence
from alianza.status.vocabulary import DOCUMENTS

MAX_BYTES = 10 * 1024 * 1024
# extension -> (media type, magic number at the start of the file)
TYPES: dict[str, tuple[str, bytes]] = {
    ".pdf": ("application/pdf", b"%PDF-"),
    ".jpg": ("image/jpeg", b"\xff\xd8\xff"),
    ".jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    ".png": ("image/png", b"\x89PNG\r\n\x1a\n"),
}
# A decided or final application takes no new evidence (an appeal reopens it).
_OPEN = frozenset({"registered", "evaluated", "appealed"})


def check_file(filename: str, content: bytes) -> str:
    """The file's media type; ``InputError`` naming the file when it is not accepted."""
    name = clean_text(filename.strip(), field="archivo")
    where = f"archivo {shown(name, limit=80)}"
    if not name or len(name) > 255:
        raise InputError.at("archivo", "nombre vacío o de más de 255 caracteres")
    kind = TYPES.get(PurePath(name).suffix.lower())
    if kind is None:
        raise InputError.at(where, "tipo no admitido (se admite: " + ", ".join(TYPES) + ")")
    if not content:
        raise InputError.at(where, "está vacío")
    if len(content) > MAX_BYTES:
        raise InputError.at(where, f"{len(content):,} bytes: más de 10 MB")
    media, magic = kind
    if not content.startswith(magic):
        raise InputError.at(where, f"el contenido no es {media} (no coincide con su extensión)")
    return media


def add(
    session: Session,
    node: Node,
    principal: Principal,
    application_id: str,
    *,
    kind: str,
    filename: str,
    content: bytes,
) -> Evidence:
    """Keep an evidence file's metadata on an open application."""
    authorize(principal, service.MANAGE)
    code = kind.strip().lower()
    if code not in DOCUMENTS:
        raise InputError.at(
            "tipo de evidencia",
            f"desconocido '{shown(kind, limit=40)}' (se admite: {', '.join(DOCUMENTS)})",
        )
    media = check_file(filename, content)
    found = service.visible_application(session, principal, application_id)
    if found.status not in _OPEN:
        raise Conflict(
            f"La solicitud {found.id} está {service.STATUS_LABELS[found.status]}: no admite "
            "nueva evidencia (un recurso la reabre)."
        )
    made = Evidence(
        id=str(uuid.uuid4()),
        application_id=found.id,
        kind=code,
        filename=PurePath(filename.strip()).name,
        media_type=media,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        added_by=principal.label,
        added_at=service.utcnow(),
    )
    session.add(made)
    session.flush()
    audit_act(
        session, node, principal, "status.evidence.add", found.id,
        {"kind": code, "size": made.size, "sha256": made.sha256},
    )  # fmt: skip
    return made
