"""The hash-chained, signed audit log."""

from alianza.domains import Domain

DOMAIN = Domain(
    name="audit",
    summary="Registro de auditoría encadenado y firmado.",
    routers=("alianza.audit.views:router",),
    commands="alianza.audit.commands:register",
    models=("alianza.audit.models",),
    grants={"audit": frozenset({"administrator", "supervisor", "system"})},
    rules=("alianza.audit.policy:ENTRY_RULE",),
    on_app="alianza.audit.timer:attach",
)
