"""Identity linkage: synthetic persons of the region and registries written from them."""

from alianza.domains import Domain

DOMAIN = Domain(
    name="identity",
    summary="Vinculación y deduplicación de registros de personas.",
    commands="alianza.identity.commands:register",
)
