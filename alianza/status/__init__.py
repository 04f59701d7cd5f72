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
"""

from alianza.domains import Domain

DOMAIN = Domain(
    name="status",
    summary="Regularización selectiva: reglas versionadas con su fuente legal, resultados "
    "explicados; decide una persona.",
    commands="alianza.status.commands:register",
)
