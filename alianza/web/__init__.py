"""HTTP plumbing shared by every router (transactions, authentication, errors, limits),
and the console: the people's pages, served by the same application (``web.console``)."""

from alianza.domains import Domain

DOMAIN = Domain(
    name="web",
    summary="Consola web: páginas para las personas, en español e inglés.",
    on_app="alianza.web.console:attach",
    # The situation picture (``web.situation``): aggregates only, for the leaders.
    grants={"view_situation": frozenset({"supervisor"})},
)
