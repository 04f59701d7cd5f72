"""From the states of a row's conditions and its protection blocks to an outcome, the
failed conditions and a plain-language explanation in Spanish.

Both evaluators (``evaluate``: by column; ``naive``: row by row) end here, so they say
the same thing in the same words. The rules, in order:

1. a protection block (``alianza.corridor.blocks``) sends the application to a person
   (``needs_review``), whatever the conditions say: a person in need of protection is
   never refused, nor recommended for removal, by a rule;
2. otherwise a failed condition whose failure means ``not_eligible`` refuses it;
3. otherwise a failed ``needs_review`` condition (a document that can still be provided,
   a pending case) or one that cannot be decided (an empty cell) sends it to a person;
4. otherwise it is eligible.

``failed_conditions`` lists the protection condition first when it holds, then every
condition not met or not decidable, in the programme's order: it is empty exactly when
the application is eligible. The explanation names every condition, met or not, with its
legal source, and ends by saying that a person decides (the right to an explanation and
to a human decision: Ley 21.719 art. 8 bis in Chile, LOPDP art. 20 in Ecuador).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

from alianza.corridor.blocks import Block
from alianza.status.language import EVALUATION_DATE, FIELDS, Kind
from alianza.status.rules import PROTECTION, Condition, Outcome, Programme, Version, render
from alianza.status.vocabulary import PROTECTION_SOURCES

MET, FAILED, UNKNOWN = 0, 1, 2
HEADS = {
    Outcome.ELIGIBLE: "Resultado: elegible",
    Outcome.NOT_ELIGIBLE: "Resultado: no elegible",
    Outcome.NEEDS_REVIEW: "Resultado: requiere la revisión de una persona",
}
HUMAN_DECISION = {
    "CL": "Ley 21.719, art. 8 bis",
    "EC": "Ley Orgánica de Protección de Datos Personales (LOPDP), art. 20",
}
_NO_PROTECTION_NEED = (
    f"Cumple «{PROTECTION}»: no se declara ninguna necesidad de protección (asilo, refugio, "
    "niño, niña o adolescente no acompañado, trata) (Convención de 1951 sobre el Estatuto "
    "de los Refugiados, art. 33; Convención sobre los Derechos del Niño, art. 3; Protocolo "
    "de Palermo, arts. 7 y 8)."
)


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: Outcome
    failed: str  # condition ids separated by ";"
    explanation: str


@dataclass(slots=True)
class Results:
    """One verdict per application, in the file's order."""

    ids: list[str]
    outcomes: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    explanations: list[str] = field(default_factory=list)

    def rows(self) -> Iterator[tuple[str, str, str, str]]:
        """OUT.csv's rows."""
        return zip(self.ids, self.outcomes, self.failed, self.explanations, strict=True)

    def counts(self) -> dict[str, int]:
        """Applications per outcome (every outcome present, zero or not)."""
        found = {o.value: 0 for o in Outcome}
        for outcome in self.outcomes:
            found[outcome] += 1
        return found


def condition_state(condition_id: str, failed: Collection[str], explanation: str) -> str:
    """A stored evaluation's state of one condition: ``met``, ``failed`` or ``unknown``
    (failed for want of data: the explanation's "Sin datos para «id»" sentence), read
    from the evaluation as stored, without running the rules again (the letter and the
    console both show it)."""
    if condition_id not in failed:
        return "met"
    if f"Sin datos para «{condition_id}»" in explanation:
        return "unknown"
    return "failed"


def _unknowable(condition: Condition) -> str:
    """The fields whose empty cell leaves the condition undecided."""
    kinds = (Kind.DATE, Kind.BOOL, Kind.TEXT)
    names = [f for f in condition.fields if f != EVALUATION_DATE and FIELDS[f] in kinds]
    return ", ".join(names) or "un dato"


def _sentences(condition: Condition) -> tuple[str, str, str]:
    """What the explanation says of the condition when met, failed, undecided."""
    about = f"«{condition.id}»: {condition.label} ({condition.source})"
    failed = f"No cumple {about}."
    if condition.if_failed is Outcome.NEEDS_REVIEW:
        failed = f"No cumple {about}; no excluye: lo revisa una persona."
    return (
        f"Cumple {about}.",
        failed,
        f"Sin datos para {about}; falta {_unknowable(condition)}: lo revisa una persona.",
    )


class Explainer:
    """Verdicts for one programme version on one evaluation date."""

    def __init__(self, *, programme: Programme, version: Version, on: date) -> None:
        self.conditions = version.conditions
        self.sentences = [_sentences(c) for c in version.conditions]
        self.ids = [c.id for c in version.conditions]
        self.refuses = [c.if_failed is Outcome.NOT_ELIGIBLE for c in version.conditions]
        self.about = (
            f"«{programme.name}», versión {version.id} ({version.legal_basis}), vigente el "
            f"{render(on)}."
        )
        self.closing = (
            "Es una recomendación, no una decisión: decide una persona, y quien solicita "
            "tiene derecho a una explicación y a una decisión humana "
            f"({HUMAN_DECISION[programme.country]})."
        )

    def verdict(self, states: Sequence[int], found: Sequence[Block]) -> Verdict:
        """The verdict of one application: its conditions' states, its protection blocks."""
        failed = [PROTECTION] if found else []
        failed += [cid for cid, state in zip(self.ids, states, strict=True) if state != MET]
        if found:
            outcome = Outcome.NEEDS_REVIEW
        elif any(s == FAILED and r for s, r in zip(states, self.refuses, strict=True)):
            outcome = Outcome.NOT_ELIGIBLE
        elif failed:
            outcome = Outcome.NEEDS_REVIEW
        else:
            outcome = Outcome.ELIGIBLE
        parts = [f"{HEADS[outcome]} para {self.about}"]
        if found:
            reasons = "; ".join(
                f"{b.reason} ({PROTECTION_SOURCES.get(b.flag, b.flag)})" for b in found
            )
            parts.append(
                f"No cumple «{PROTECTION}»: {reasons}. Se deriva a una persona y no procede "
                "ninguna medida de expulsión ni de retorno."
            )
        else:
            parts.append(_NO_PROTECTION_NEED)
        parts.extend(s[state] for s, state in zip(self.sentences, states, strict=True))
        parts.append(self.closing)
        return Verdict(outcome, ";".join(failed), " ".join(parts))
