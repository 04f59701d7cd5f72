"""One exception tree, mapped in one place to HTTP statuses and CLI exit codes.

::

    AlianzaError                      500 / exit 1   our bug or an unexpected state
    ├── InputError                    422 / exit 2   bad input, names the field
    │   ├── NeutralityError           422 / exit 2   political/religious/ethnic/union data
    │   └── PayloadTooLarge           413 / exit 2
    ├── AuthenticationError           401 / exit 3   missing, wrong or expired token
    ├── PermissionDenied              403 / exit 4   role, agency or scope forbids it
    ├── NotFound                      404 / exit 5
    ├── Conflict                      409 / exit 6   stale version, duplicate name
    ├── NodeNotInitialised            409 / exit 7   ``alianza node init`` first
    ├── IntegrityFailure              500 / exit 8   signature or audit chain broken
    ├── PeerError                     502 / exit 9   a partner node is down or answers garbage
    ├── RateLimited                   429 / exit 10  too many queries from one peer
    └── Unavailable                   503 / exit 11  the database is busy: try again

Messages are in Spanish (the console's first language) and say what to do next.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class FieldProblem:
    """One offending item: where it is and what is wrong with it."""

    field: str
    message: str


class AlianzaError(Exception):
    """Base of every error alianza raises on purpose."""

    http_status = 500
    exit_code = 1
    title = "Error interno"

    def __init__(self, message: str, *, problems: list[FieldProblem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []

    def to_problem(self) -> dict[str, object]:
        """RFC 9457 problem body."""
        body: dict[str, object] = {
            "type": f"urn:alianza:error:{type(self).__name__}",
            "title": self.title,
            "status": self.http_status,
            "detail": self.message,
        }
        if self.problems:
            body["errors"] = [{"field": p.field, "message": p.message} for p in self.problems]
        return body


class InputError(AlianzaError):
    http_status = 422
    exit_code = 2
    title = "Entrada inválida"

    @classmethod
    def at(cls, field: str, message: str) -> InputError:
        """An error about a single field, named in the message."""
        return cls(f"{field}: {message}", problems=[FieldProblem(field, message)])


class NeutralityError(InputError):
    title = "Dato prohibido por la regla de neutralidad"


class PayloadTooLarge(InputError):
    http_status = 413
    title = "Contenido demasiado grande"


class AuthenticationError(AlianzaError):
    http_status = 401
    exit_code = 3
    title = "No autenticado"


class PermissionDenied(AlianzaError):
    http_status = 403
    exit_code = 4
    title = "Sin permiso"


class NotFound(AlianzaError):
    http_status = 404
    exit_code = 5
    title = "No encontrado"


class Conflict(AlianzaError):
    http_status = 409
    exit_code = 6
    title = "Conflicto"


class NodeNotInitialised(AlianzaError):
    http_status = 409
    exit_code = 7
    title = "Nodo sin inicializar"


class IntegrityFailure(AlianzaError):
    http_status = 500
    exit_code = 8
    title = "Integridad comprometida"


class PeerError(AlianzaError):
    http_status = 502
    exit_code = 9
    title = "Nodo asociado no disponible"


class RateLimited(AlianzaError):
    http_status = 429
    exit_code = 10
    title = "Demasiadas consultas"


class Unavailable(AlianzaError):
    http_status = 503
    exit_code = 11
    title = "Servicio ocupado"
