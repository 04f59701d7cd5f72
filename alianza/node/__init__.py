"""The node itself: its identity, its key pair, its creation, its server."""

from alianza.domains import Domain

DOMAIN = Domain(
    name="node",
    summary="Identidad, claves y servidor del nodo.",
    commands="alianza.node.commands:register",
    models=("alianza.node.models",),
    signers="alianza.node.service:own_key",
)
