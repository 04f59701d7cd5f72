"""Synthetic APPLICATIONS.csv rows shaped like the caseload (for the benchmark and tests).

The mix follows the figures in the product brief: mostly Venezuelans (R4V: about 7.9
million abroad, about 530,000–650,000 in Chile and 445,000 in Ecuador), then Colombians,
Peruvians and Haitians; some minors, a few of them unaccompanied; entry and application
dates crowded around the programme version's own dates (cut-offs, windows), where the
borderline cases are; documents often missing; a few criminal declarations, pending
cases and protection flags. A seed gives the same rows every time. No real person.
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

from alianza.status.contract import COLUMNS
from alianza.status.rules import Programme, Version
from alianza.status.vocabulary import FAMILY_TIES

NATIONALITIES = (
    ("VE", 0.74),
    ("CO", 0.09),
    ("PE", 0.06),
    ("HT", 0.05),
    ("BO", 0.02),
    ("CU", 0.02),
    ("AR", 0.01),
    ("DO", 0.01),
)
DOCUMENT_TYPES = {"VE": "CI_VE", "CO": "CC_CO", "PE": "DNI_PE"}
# How often each piece of evidence is in the file (registro_migratorio: Ecuador only).
EVIDENCE = (
    ("cedula", 0.75),
    ("pasaporte", 0.5),
    ("antecedentes_origen", 0.6),
    ("partida_nacimiento", 0.4),
    ("declaracion_antecedentes", 0.35),
    ("acreditacion_vinculo", 0.2),
    ("residencia_familiar", 0.15),
    ("contrato_trabajo", 0.2),
)
GIVEN = (
    "María José", "Luis Alberto", "Yolimar", "José Gregorio", "Daniela", "Carlos Eduardo",
    "Andreína", "Jhon Fredy", "Rosa Elena", "Wilmer", "Marie", "Jean Pierre", "Ana Lucía",
)  # fmt: skip
SURNAMES = (
    "González", "Rodríguez", "Pérez", "Hernández", "García", "Martínez", "López", "Díaz",
    "Rojas", "Quispe", "Mamani", "Joseph", "Jean-Baptiste", "Núñez", "Peña", "Castillo",
)  # fmt: skip


def _day(low: date, high: date, rng: random.Random) -> date:
    if high <= low:
        return low
    return low + timedelta(days=rng.randint(0, (high - low).days))


def _near(anchors: list[date], spread: int, rng: random.Random) -> date:
    return rng.choice(anchors) + timedelta(days=rng.randint(-spread, spread))


def _bool(p_true: float, rng: random.Random, *, p_empty: float = 0.0) -> str:
    roll = rng.random()
    if roll < p_empty:
        return ""
    return "true" if roll < p_empty + p_true else "false"


def rows(
    n: int, *, programme: Programme, version: Version, on: date, seed: int = 2027
) -> list[dict[str, str]]:
    """``n`` applications for ``programme`` evaluated on ``on`` (all dates up to ``on``)."""
    rng = random.Random(seed)
    # The version's own dates: the first is taken as the entry cut-off, the others as the
    # application window (a version without dates gets a year before ``on``).
    anchors = sorted(p.value for p in version.parameters.values() if isinstance(p.value, date))
    anchors = [a for a in anchors if a <= on] or [on - timedelta(days=365)]
    cut_off = anchors[0]
    opens = anchors[1] if len(anchors) > 1 else cut_off
    closes = anchors[-1] if len(anchors) > 2 else on
    codes, weights = zip(*NATIONALITIES, strict=True)
    ties = list(FAMILY_TIES)
    out: list[dict[str, str]] = []
    household = ""
    for i in range(n):
        nationality = rng.choices(codes, weights)[0]
        roll = rng.random()
        if roll < 0.5:  # well before the cut-off
            entry = _day(cut_off - timedelta(days=6 * 365), cut_off, rng)
        elif roll < 0.7:  # around it: the borderline cases
            entry = min(_near([cut_off], 60, rng), on)
        else:
            entry = _day(on - timedelta(days=3650), on, rng)
        roll = rng.random()
        if roll < 0.6:  # within the window
            applied = min(max(_day(opens, closes, rng), entry), on)
        elif roll < 0.8:  # around its edges
            applied = min(max(_near([opens, closes], 30, rng), entry), on)
        else:
            applied = _day(entry, on, rng)
        minor = rng.random() < 0.15
        age = rng.randint(0, 17) if minor else rng.randint(18, 65)
        birth = applied - timedelta(days=age * 365 + rng.randint(0, 364))
        if birth > entry:
            birth = entry - timedelta(days=rng.randint(0, 700))
        evidence = [code for code, p in EVIDENCE if rng.random() < p]
        if programme.country == "EC" and rng.random() < 0.5:
            evidence.append("registro_migratorio")
        flags = []
        if rng.random() < 0.02:
            flags.append("asylum_pending")
        if rng.random() < 0.005:
            flags.append("refugee")
        if rng.random() < 0.003:
            flags.append("trafficking_victim")
        if minor and rng.random() < 0.05:
            flags.append("unaccompanied_minor")
            if rng.random() < 0.3:
                flags.append("best_interests_determined")
        if not household or rng.random() < 0.6:
            household = f"h{i + 1:07d}"
        expiry = (
            "" if rng.random() < 0.03 else str(applied + timedelta(days=rng.randint(-1100, 2200)))
        )
        out.append(
            {
                "application_id": f"{programme.country}-{i + 1:07d}",
                "country": programme.country,
                "programme": programme.id,
                "given_names": rng.choice(GIVEN),
                "surname_1": rng.choice(SURNAMES),
                "surname_2": rng.choice(SURNAMES) if rng.random() < 0.8 else "",
                "birth_date": "" if rng.random() < 0.005 else birth.isoformat(),
                "nationality": nationality,
                "document_type": DOCUMENT_TYPES.get(nationality, "PASSPORT"),
                "document_number": str(rng.randint(1_000_000, 30_000_000)),
                "document_expiry": expiry,
                "entry_date": entry.isoformat(),
                "application_date": applied.isoformat(),
                "entry_regular": _bool(0.65, rng, p_empty=0.02),
                "documents": ";".join(evidence),
                "criminal_record_declared": _bool(0.03, rng, p_empty=0.01),
                "pending_criminal_case": _bool(0.02, rng),
                "family_ties": rng.choice(ties) if rng.random() < 0.3 else "",
                "work_contract": _bool(0.25, rng),
                "flags": ";".join(flags),
                "household_id": household,
            }
        )
    return out


def write_csv(path: Path, applications: list[dict[str, str]]) -> None:
    """The rows as an APPLICATIONS.csv with every column of the contract."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(applications)
