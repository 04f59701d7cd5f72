"""Port container targeting: which export containers to open today, and why.

Files alone for now (``alianza ports train|score|select``): the contract
(``contract``), past-only features (``features``), the selection-corrected LightGBM model
in a versioned directory (``model``), and the day's list under a budget with exploration
and explanations (``selection``). The functions take pandas tables, so a node that stores
declarations calls the same ones.
"""

from alianza.domains import Domain

DOMAIN = Domain(
    name="ports",
    summary="Selección de contenedores de exportación a inspeccionar, explicada.",
    commands="alianza.ports.node_commands:register",
    routers=("alianza.ports.views:router",),
    # The node's side (store.py): declarations held by the port unit, seizure links.
    models=("alianza.ports.models",),
    migrations="alianza.ports.migrations",
    grants={"target_containers": frozenset({"port_analyst", "supervisor"})},
)
