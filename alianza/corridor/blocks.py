"""Protection screening: the hard blocks (non-refoulement), one function for every module.

A household with one member who must not be moved is never scheduled, whatever a planner,
a priority or a person's haste says; it is put on hold and referred. The return corridor
calls ``blocks`` before planning, and the regularisation module calls the same function
before any decision that would end in a removal.

The blocks, each with what it protects:

- ``asylum_pending``: a pending asylum claim (1951 Convention art. 33; Chile Ley 21.325
  art. 4; Ecuador LOMH art. 2);
- ``refugee``: recognised refugee status (the same);
- ``unaccompanied_minor``: an unaccompanied or separated child without a best-interests
  determination (CRC art. 3; ``best_interests_determined`` lifts it);
- ``trafficking_victim``: a presumed victim of trafficking (Palermo Protocol art. 8);
- ``unfit_to_travel``: medical unfitness to travel.

A member's consent is not a protection block but it stops a seat the same way (no
consent, no seat): ``reasons`` reports both, so a caseworker sees every reason at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

BLOCKING_FLAGS: dict[str, str] = {
    "asylum_pending": "solicitud de asilo pendiente",
    "refugee": "refugiado reconocido",
    "unaccompanied_minor": "menor no acompañado sin determinación del interés superior",
    "trafficking_victim": "presunta víctima de trata",
    "unfit_to_travel": "no apto para viajar (médico)",
}
# A flag that lifts another: a best-interests determination lifts the child's block.
LIFTED_BY = {"unaccompanied_minor": "best_interests_determined"}


@dataclass(frozen=True, slots=True)
class Block:
    member: str
    flag: str  # a key of BLOCKING_FLAGS, or "no_consent"
    reason: str


def member_blocks(member: str, flags: Iterable[str], *, consent: bool | None = True) -> list[Block]:
    """Why this person cannot be moved (empty: nothing stops them)."""
    have = {str(f).strip().lower() for f in flags}
    found = [
        Block(member, flag, reason)
        for flag, reason in BLOCKING_FLAGS.items()
        if flag in have and LIFTED_BY.get(flag, "\0") not in have
    ]
    if consent is not True:
        found.append(Block(member, "no_consent", "sin consentimiento informado registrado"))
    return found


def blocks(members: Iterable[tuple[str, Iterable[str], bool | None]]) -> list[Block]:
    """Every block of a household: (member id, flags, consent) for each member."""
    return [
        b
        for member, flags, consent in members
        for b in member_blocks(member, flags, consent=consent)
    ]


def is_protection_block(block: Block) -> bool:
    """A non-refoulement block (hold and refer), as opposed to a missing consent."""
    return block.flag in BLOCKING_FLAGS
