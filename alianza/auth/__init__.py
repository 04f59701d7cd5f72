"""Users, roles, API tokens and the one permission function."""

from alianza.domains import Domain

DOMAIN = Domain(
    name="auth",
    summary="Usuarios, roles y tokens.",
    routers=("alianza.auth.views:router",),
    commands="alianza.auth.commands:register",
    models=("alianza.auth.models",),
    grants={"manage_users": frozenset({"administrator", "system"})},
    rules=("alianza.auth.policy:USER_RULE",),
)
