"""Border screening: one traveller against the watch list, explained."""

from alianza.domains import Domain

DOMAIN = Domain(
    name="screening",
    summary="Control fronterizo contra la lista de vigilancia.",
    routers=("alianza.screening.views:router",),
    commands="alianza.screening.commands:register",
    grants={"screen": frozenset({"analyst", "supervisor", "border_officer"})},
    on_app="alianza.screening.service:attach",
    on_versions="alianza.screening.stored:store_features",
)
