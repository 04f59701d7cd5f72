"""Humanitarian return corridor: voluntary return planned within capacity, whole
households, never a blocked person.

The planner on a file (``contract``: INPUT.json; ``planner``: aggregated integer model, LP
bound, rounding, CP-SAT polish, the greedy baseline; ``commands``: ``alianza corridor
plan``), the protection blocks every module reuses (``blocks``), and instances shaped
like the corridor (``synthetic``).

On the node, casework (``models``, ``casework``, ``policy``, ``case_commands``): one case
per household, kept by the agency that registered it, moved through a fixed workflow
(registered → counselled → consented → screened → approved → scheduled → departed →
crossed → arrived → followed_up, with the exits withdrawn, referred and on_hold). A
protection block sends a case to hold at screening and is checked again before it is
scheduled; only a supervisor approves. Manifests and tracking come next.
"""

from alianza.domains import Domain

DOMAIN = Domain(
    name="corridor",
    summary="Corredor humanitario de retorno voluntario: planificación, casos y bloqueos de "
    "protección.",
    commands="alianza.corridor.commands:register",
    models=("alianza.corridor.models",),
    migrations="alianza.corridor.migrations",
    rules=("alianza.corridor.policy:CASE_RULE",),
    # Casework is humanitarian, not police work: no police role holds either action.
    grants={
        "manage_returns": frozenset({"caseworker", "supervisor"}),
        "approve_returns": frozenset({"supervisor"}),
    },
)
