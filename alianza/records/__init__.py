"""Records and the rules that travel with them."""

from alianza.domains import Domain

DOMAIN = Domain(
    name="records",
    summary="Registros con sus reglas: crear, importar, exportar, revisar.",
    routers=("alianza.records.views:router",),
    commands="alianza.records.commands:register",
    models=("alianza.records.models",),
    grants={
        "read": frozenset(
            {"analyst", "supervisor", "border_officer", "port_analyst", "peer", "system"}
        ),
        "write": frozenset({"analyst", "supervisor", "port_analyst"}),
        "export": frozenset({"analyst", "supervisor"}),
        "review": frozenset({"supervisor"}),
        # Hit/no-hit over records a partner does not receive: only partner nodes ask.
        "discover": frozenset({"peer", "system"}),
    },
    rules=(
        "alianza.records.policy:RECORD_RULE",
        "alianza.records.policy:REF_RULE",
        "alianza.records.policy:KIND_RULE",
    ),
)
