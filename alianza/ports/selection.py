"""The day's inspection list: the riskiest declarations under a budget, a random share to
keep learning, and an explanation in Spanish for each.

**Budget and exploration.** ``choose`` takes ``ceil(budget × rows)`` declarations. Of
those, ``round(explore × k)`` are drawn uniformly at random from the rows the model did not
pick, the rest are the model's top scores. Each chosen row records its inclusion
probability: 1 for the model's picks, ``explored / (rows − model picks)`` for the random
ones. Written next to the row, it lets tomorrow's model weigh today's outcomes by the
inverse of that probability (``model.train(selection_probability=...)``), and the random
share keeps labels coming from rows the model would never open (without it, the model
only ever learns about what it already believes). The draw is seeded: the same file,
model and seed give the same list.

**Explanations** are LightGBM's own contributions (``pred_contrib=True``: exact TreeSHAP
values of this booster, not a second model): for each selected row, the features that
pushed its score up the most, rendered for an analyst ("exportador nuevo (12 días)",
"destino de riesgo: BE-ANR"). The contributions and the bias sum to the row's raw score
(log-odds); the analyst decides, the list only ranks and explains.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alianza.codes.countries import country_names
from alianza.errors import InputError

MODEL, EXPLORATION = "modelo", "exploración"
WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
NEW_DAYS = 180  # an exporter younger than this is "new" in the explanation


@dataclass(slots=True)
class Selection:
    """The chosen rows (indices into the scored table), why, and with what probability."""

    rows: np.ndarray
    by: np.ndarray
    probability: np.ndarray


def choose(risk: np.ndarray, *, budget: float, explore: float, seed: int) -> Selection:
    """The model's top share and a seeded random exploration share, within ``budget``."""
    if not 0 < budget <= 1:
        raise InputError.at("--budget", f"{budget:g} debe estar en (0, 1], p. ej. 0.05")
    if not 0 <= explore < 1:
        raise InputError.at("--explore", f"{explore:g} debe estar en [0, 1), p. ej. 0.1")
    n = len(risk)
    k = min(n, math.ceil(budget * n))
    explored = round(explore * k)
    picked = k - explored
    # Highest risk first; ties keep file order (a stable sort: reproducible).
    order = np.argsort(-risk, kind="stable")
    top, rest = order[:picked], order[picked:]
    rng = np.random.default_rng(seed)
    drawn = np.sort(rng.choice(rest, size=explored, replace=False)) if explored else rest[:0]
    chance = explored / len(rest) if len(rest) else 0.0
    return Selection(
        rows=np.concatenate([top, drawn]).astype(np.int64),
        by=np.array([MODEL] * picked + [EXPLORATION] * explored, dtype=object),
        probability=np.concatenate([np.ones(picked), np.full(explored, chance)]),
    )


def top_reasons(
    contributions: np.ndarray, names: list[str], *, top: int = 3
) -> list[list[tuple[str, float]]]:
    """Per row, up to ``top`` (feature, contribution) that raised the score, largest first
    (``contributions`` as ``RiskModel.contributions`` gives them, bias column last)."""
    values = contributions[:, : len(names)]
    order = np.argsort(-values, axis=1, kind="stable")[:, :top]
    out = []
    for row, picks in zip(values, order, strict=True):
        out.append([(names[j], float(row[j])) for j in picks if row[j] > 0])
    return out


def describe(name: str, feature: Mapping[str, object], raw: Mapping[str, object]) -> str:
    """One feature of one declaration, as an analyst reads it (Spanish)."""
    render = _RENDER.get(name)
    value = feature.get(name)
    if render is None:
        return f"{name}: {value}"
    return render(_num(value), feature, raw)


def _num(value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return number


def _locode(code: object) -> str:
    text = str(code or "")
    return f"{text[:2]}-{text[2:]}" if len(text) == 5 else text or "—"


def _count(n: float, one: str, many: str) -> str:
    return f"{int(n):,} {one if int(n) == 1 else many}".replace(",", ".")


def _pct(x: float) -> str:
    return "sin datos" if math.isnan(x) else f"{x:.1%}".replace(".", ",")


Render = Callable[[float, Mapping[str, object], Mapping[str, object]], str]


def _age(who: str) -> Render:
    def render(x: float, f: Mapping[str, object], r: Mapping[str, object]) -> str:
        if math.isnan(x):
            return f"{who} sin historial previo"
        days = _count(x, "día", "días")
        return f"{who} nuevo ({days})" if x < NEW_DAYS else f"{who} con {days} de historial"

    return render


def _rated(label: Callable[[Mapping[str, object]], str]) -> dict[str, Render]:
    return {
        "n": lambda x, f, r: (
            f"{label(r)}: {_count(x, 'declaración previa', 'declaraciones previas')}"
        ),
        "insp_rate": lambda x, f, r: f"{label(r)}: inspeccionado {_pct(x)} de las veces",
        "hit": lambda x, f, r: f"{label(r)}: hallazgos por inspección {_pct(x)}",
    }


_KEYS: dict[str, Callable[[Mapping[str, object]], str]] = {
    "exporter": lambda r: f"exportador {r.get('exporter_id')}",
    "declarant": lambda r: f"declarante {r.get('declarant_id')}",
    "hs4": lambda r: f"partida SA {str(r.get('hs_code'))[:4]}",
    "hs2": lambda r: f"capítulo SA {str(r.get('hs_code'))[:2]}",
    "dest_country": lambda r: f"país de destino {_country(r.get('destination_country'))}",
    "dest_port": lambda r: f"destino {_locode(r.get('destination_port'))}",
    "transship": lambda r: (
        f"transbordo en {_locode(r.get('transshipment_port'))}"
        if r.get("transshipment_port")
        else "envío directo"
    ),
    "vessel": lambda r: f"buque IMO {r.get('vessel_imo') or '(sin dato)'}",
    "route": lambda r: (
        f"ruta {_locode(r.get('port'))} → {_locode(r.get('destination_port'))}"
        + (f" vía {_locode(r.get('transshipment_port'))}" if r.get("transshipment_port") else "")
    ),
}


def _country(code: object) -> str:
    return country_names().get(str(code), str(code))


def _first(what: Callable[[Mapping[str, object]], str], many: str) -> Render:
    def render(x: float, f: Mapping[str, object], r: Mapping[str, object]) -> str:
        if x == 0:
            return f"primera vez: {what(r)}"
        return f"{_count(x, many, many)} antes: {what(r)}"

    return render


def _z(label: str) -> Render:
    def render(x: float, f: Mapping[str, object], r: Mapping[str, object]) -> str:
        heading = str(r.get("hs_code"))[:4]
        if math.isnan(x):
            return f"{label}: partida {heading} sin norma previa"
        z = f"{x:+.1f}".replace(".", ",")
        return f"{label} anómalo para la partida {heading} ({z} desv.)"

    return render


def _lead(x: float, f: Mapping[str, object], r: Mapping[str, object]) -> str:
    days = _count(x, "día", "días")
    return (
        f"reserva con poca antelación ({days})" if x <= 7 else f"reserva con {days} de antelación"
    )


_RENDER: dict[str, Render] = {
    "exporter_age_days": _age("exportador"),
    "declarant_age_days": _age("declarante"),
    "exp_dest_n": _first(
        lambda r: f"exportador hacia {_locode(r.get('destination_port'))}",
        "envíos",
    ),
    "exp_hs4_n": _first(
        lambda r: f"exportador con la partida {str(r.get('hs_code'))[:4]}",
        "envíos",
    ),
    "decl_exp_n": _first(lambda r: "este declarante con este exportador", "declaraciones"),
    "exporter_per_day": lambda x, f, r: (
        f"exportador con {x:.1f} declaraciones por día".replace(".", ",")
        if not math.isnan(x)
        else "exportador sin historial previo"
    ),
    "value_kg_z": _z("valor por kilo"),
    "weight_z": _z("peso"),
    "log_value_kg": lambda x, f, r: f"valor declarado {math.exp(x):.2f} USD/kg".replace(".", ","),
    "gross_weight_kg": lambda x, f, r: f"peso bruto {x:,.0f} kg".replace(",", "."),
    "booking_lead_days": _lead,
    "transshipped": lambda x, f, r: _KEYS["transship"](r),
    "day_of_week": lambda x, f, r: f"declarada un {WEEKDAYS[int(x) % 7]}",
    "new_exporter_x_dest_hit": lambda x, f, r: (
        f"exportador nuevo hacia destino de riesgo: {_locode(r.get('destination_port'))}"
    ),
    "new_exporter_x_transship_hit": lambda x, f, r: (
        f"exportador nuevo con transbordo de riesgo: {_locode(r.get('transshipment_port'))}"
    ),
    "short_lead_x_new_exporter": lambda x, f, r: "exportador nuevo con reserva de último momento",
    "port": lambda x, f, r: f"puerto de salida {_locode(r.get('port'))}",
    "container_type": lambda x, f, r: f"contenedor tipo {r.get('container_type')}",
    "hs2_code": lambda x, f, r: _KEYS["hs2"](r),
    "destination_country": lambda x, f, r: _KEYS["dest_country"](r),
}
for _group, _label in _KEYS.items():
    for _suffix, _render in _rated(_label).items():
        _RENDER.setdefault(f"{_group}_{_suffix}", _render)
_RENDER["dest_port_hit"] = lambda x, f, r: (
    f"destino de riesgo: {_locode(r.get('destination_port'))} (hallazgos {_pct(x)})"
)
_RENDER["transship_hit"] = lambda x, f, r: (
    f"transbordo de riesgo: {_locode(r.get('transshipment_port'))} (hallazgos {_pct(x)})"
    if r.get("transshipment_port")
    else f"envío directo (hallazgos {_pct(x)})"
)


def explanations(
    reasons: list[list[tuple[str, float]]],
    features: pd.DataFrame,
    frame: pd.DataFrame,
) -> list[list[str]]:
    """The Spanish sentences of each row's reasons (``features``/``frame``: those rows)."""
    feature_rows = features.to_dict("records")
    raw_rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [
        [describe(name, f, r) for name, _ in row]
        for row, f, r in zip(reasons, feature_rows, raw_rows, strict=True)
    ]
