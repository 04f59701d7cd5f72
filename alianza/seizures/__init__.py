"""The seizure registry: one shared record of what was found, in UNODC's IDS layout.

Seizures are records of the ``seizure`` kind (``records/kinds.py``), so they carry their
rules, travel through the exchange and answer partners' hit/no-hit on reference,
container, booking and IMO. This domain adds what a port control unit does with them:
import a file of seizures (row by row, with a report), export them in the Individual
Drug Seizures layout, and count them by month, port and route without personal data.
"""

from alianza.domains import Domain

DOMAIN = Domain(
    name="seizures",
    summary="Incautaciones: registro común, exportación IDS y agregados.",
    routers=("alianza.seizures.views:router",),
    commands="alianza.seizures.commands:register",
    # The IDS report and the aggregates carry no personal data: a port unit files them
    # itself. The full export (links to persons, notes) stays the records' EXPORT.
    grants={"report_seizures": frozenset({"port_analyst", "analyst", "supervisor"})},
)
