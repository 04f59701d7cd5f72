"""Federation between nodes: peers, signed messages, sync, hit/no-hit, release, witnesses."""

from alianza.domains import Domain

DOMAIN = Domain(
    name="exchange",
    summary="Nodos asociados, sincronización, hit/no-hit, entregas y consentimientos.",
    routers=("alianza.exchange.views:router",),
    commands="alianza.exchange.commands:register",
    models=("alianza.exchange.models",),
    grants={
        "query_peers": frozenset({"analyst", "supervisor", "border_officer", "port_analyst"}),
        "release": frozenset({"supervisor"}),
        # Registering or changing a peer: the node's own administrators (and its operator).
        "federate": frozenset({"administrator", "system"}),
        # Running a sync (it changes no rule): also supervisors.
        "sync": frozenset({"administrator", "supervisor", "system"}),
    },
    rules=(
        "alianza.exchange.policy:RELEASE_RULE",
        "alianza.exchange.policy:CONSENT_RULE",
        "alianza.exchange.policy:NODE_RULE",
    ),
    on_app="alianza.exchange.desk:attach",
    signers="alianza.exchange.service:peer_keys",
)
