"""Humanitarian return corridor: voluntary return planned within capacity, whole
households, never a blocked person.

The planner on a file (``contract``: INPUT.json; ``planner``: aggregated integer model, LP
bound, rounding, CP-SAT polish, the greedy baseline; ``commands``: ``alianza corridor
plan``), the protection blocks every module reuses (``blocks``), and instances shaped
like the corridor (``synthetic``).

On the node:
- casework (``casework``, ``household``, ``consents``, ``policy``, ``case_commands``): one
  case per household, kept by the agency that registered it, moved through a fixed
  workflow with named users; a protection block holds and refers; only a supervisor
  approves; no consent, no seat;
- manifests (``manifests``): a departure's persons for one country's leg, only the fields
  that leg needs, sent as a signed one-off disclosure and acknowledged by the partner's
  signed receipt; check-ins (``checkins``) at border posts that work offline and sync
  later, contradictions kept as conflicts for a person; ``flows`` for the network calls,
  ``messages`` for what partners send, ``track_commands`` and ``views``;
- data protection (``protection``, ``breaches``, ``protection_commands``): the subject
  access report, erasure and retention, the breach register.
"""

from alianza.domains import Domain

DOMAIN = Domain(
    name="corridor",
    summary="Corredor humanitario de retorno voluntario: planificación, casos y bloqueos de "
    "protección.",
    routers=("alianza.corridor.views:router",),
    commands="alianza.corridor.commands:register",
    models=("alianza.corridor.models",),
    migrations="alianza.corridor.migrations",
    rules=tuple(
        f"alianza.corridor.policy:{rule}"
        for rule in (
            "CASE_RULE",
            "SENT_RULE",
            "RECEIVED_RULE",
            "CHECKIN_RULE",
            "CONFLICT_RULE",
            "BREACH_RULE",
        )
    ),
    # Casework is humanitarian, not police work: no police role manages or approves cases,
    # or sends their manifests. At a crossing, the border officer reads the manifest of
    # the persons expected (only their leg's fields) and records them passing.
    grants={
        "manage_returns": frozenset({"caseworker", "supervisor"}),
        "approve_returns": frozenset({"supervisor"}),
        "send_manifests": frozenset({"caseworker", "supervisor"}),
        "read_manifests": frozenset({"caseworker", "supervisor", "border_officer"}),
        "record_checkins": frozenset({"caseworker", "supervisor", "border_officer"}),
        # A person settles two check-ins that contradict each other.
        "settle_checkins": frozenset({"caseworker", "supervisor"}),
        # The breach register and retention: the node's administrators and supervisors,
        # and the node itself (retention runs on its own).
        "protect_data": frozenset({"administrator", "supervisor", "system"}),
    },
    messages={
        "corridor.manifest": "alianza.corridor.messages:receive_manifest",
        "corridor.checkins": "alianza.corridor.messages:receive_checkins",
    },
)
