"""Humanitarian return corridor: voluntary return planned within capacity, whole
households, never a blocked person.

So far the planner on a file (``contract``: INPUT.json; ``planner``: aggregated integer
model, LP bound, rounding, CP-SAT polish, the greedy baseline; ``commands``: ``alianza
corridor plan``), the protection blocks every module reuses (``blocks``), and instances
shaped like the corridor (``synthetic``). Casework, manifests and tracking come next.
"""

from alianza.domains import Domain

DOMAIN = Domain(
    name="corridor",
    summary="Corredor humanitario de retorno voluntario: planificación y bloqueos de protección.",
    commands="alianza.corridor.commands:register",
)
