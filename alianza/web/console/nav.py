"""The console's pages and their navigation entries, derived from the grant table.

A page module declares ``NAV``: the entries it adds to the top bar, each with the action
its service authorises. An entry is shown to a principal whose role holds that action
(``auth.permissions.holds``, the grant table the domains declare), so the menu never
offers what the page would refuse, and no list of roles is written here.
"""

from __future__ import annotations

from dataclasses import dataclass

from alianza.auth.permissions import Principal, holds


@dataclass(frozen=True, slots=True)
class NavEntry:
    """One link of the top bar."""

    path: str  # under the console, e.g. "/consola/control"
    label: str  # a msgid (marked with ``N_``), translated when shown
    action: str  # the action the page's service authorises
    order: int = 100  # place in the bar, smallest first


def entries_for(principal: Principal, entries: list[NavEntry]) -> list[NavEntry]:
    """The entries ``principal``'s role may use, in order."""
    return sorted((e for e in entries if holds(principal, e.action)), key=lambda e: e.order)
