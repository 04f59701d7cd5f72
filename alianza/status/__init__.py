"""Selective regularisation as rules-as-code: explained eligibility; a person decides.

On a file, without a node: programmes as versioned rules with their legal sources
(``programmes/*.toml``, read by ``rules``; conditions in the small language of
``language``), the APPLICATIONS.csv contract (``contract``), the evaluation of a whole
file at once with an explanation for every application (``evaluate``, and ``naive``,
the same rules interpreted row by row, kept as the benchmark's anchor and the tests'
oracle), the commands (``commands``: ``alianza status evaluate`` and ``alianza status
programmes``) and synthetic applications (``synthetic``).

A protection flag (asylum claim, refugee, unaccompanied child, victim of trafficking)
sends an application to a person, whatever the rules say: the blocks are the corridor's
(``alianza.corridor.blocks``). The outcome is a recommendation: no decision about a
person is taken here.

On the node (``models``, ``policy``, ``applications``: register and evaluate,
``decisions``: a person confirms or overrides, a supervisor signs off a refusal, an
appeal reopens; ``evidence``; ``letter``: the decision letter as PDF; ``case_commands``:
``alianza status application ...``; ``views``: ``/api/v1/status``). Checks through
the exchange (``checks``: what was asked and answered, a person's review of a hit;
``flows``: the questions to this node and its partners, a release request per hit);
statistics from aggregates only (``stats``).
"""

from alianza.domains import Domain

DOMAIN = Domain(
    name="status",
    summary="Regularización selectiva: reglas versionadas con su fuente legal, resultados "
    "explicados; decide una persona.",
    commands="alianza.status.commands:register",
    routers=("alianza.status.views:router",),
    models=("alianza.status.models",),
    migrations="alianza.status.migrations",
    rules=("alianza.status.policy:APPLICATION_RULE",),
    # Regularisation casework is not police work: no police role registers, decides or
    # signs off an application. A refusal is signed off by a supervisor (four eyes).
    grants={
        "manage_applications": frozenset({"caseworker", "supervisor"}),
        "sign_off_refusals": frozenset({"supervisor"}),
        # Criminal-record and alert checks of an applicant, through the exchange (only
        # that question, with its purpose and legal basis: no police query beyond it).
        "check_applications": frozenset({"caseworker", "supervisor"}),
        # A hit is reviewed by a supervisor: cleared (not the same person) or confirmed.
        "review_hits": frozenset({"supervisor"}),
        # Aggregates for those who lead the programme (no person in them).
        "read_statistics": frozenset({"supervisor", "administrator"}),
    },
)
