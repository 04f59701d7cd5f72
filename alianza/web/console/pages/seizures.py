"""Seizures: entry of one seizure, and the map of those the user may see.

Entry is a record of the ``seizure`` kind, written by ``records.service.create_record``
as ``POST /api/v1/records`` writes it (UNODC's IDS fields checked by the records' one
gate, rules settled, version signed, audited); a bad field comes back as the form again
with the field named in Spanish, and nothing is stored (the request's transaction is
rolled back). The map and its table come from ``seizures.service.masses`` and
``aggregates`` (``report_seizures``: no reference, person or note leaves them).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from alianza.auth.permissions import Action, Principal, holds
from alianza.errors import FieldProblem, InputError
from alianza.records import service as records
from alianza.records.rules import Rules
from alianza.seizures import service as seizures
from alianza.web.console.i18n import N_, parse_day
from alianza.web.console.nav import NavEntry
from alianza.web.console.pages.maps import geojson
from alianza.web.console.render import page
from alianza.web.console.session import PREFIX, form, requires, validated
from alianza.web.deps import NodeDep, unit

router = APIRouter(include_in_schema=False)
NAV = (NavEntry(f"{PREFIX}/incautaciones", N_("Incautaciones"), action=seizures.REPORT, order=45),)

Reporter = Annotated[Principal, requires(seizures.REPORT)]
Writer = Annotated[Principal, requires(Action.WRITE)]

# Form field -> (the seizure's field, its label). The labels name the field in errors.
FIELDS: dict[str, tuple[str, str]] = {
    "referencia": ("reference", N_("Referencia")),
    "fecha": ("date", N_("Fecha de la incautación")),
    "pais": ("country", N_("País")),
    "lugar": ("place", N_("Lugar")),
    "puerto": ("port", N_("Puerto (UN/LOCODE)")),
    "latitud": ("latitude", N_("Latitud")),
    "longitud": ("longitude", N_("Longitud")),
    "sustancia": ("substance", N_("Sustancia")),
    "cantidad": ("amount", N_("Cantidad")),
    "unidad": ("unit", N_("Unidad")),
    "medio": ("transport_mode", N_("Medio de transporte")),
    "ocultamiento": ("concealment", N_("Ocultamiento")),
    "produccion": ("producing_country", N_("País de producción")),
    "salida": ("departure_country", N_("País de salida")),
    "destino": ("destination_country", N_("País de destino")),
    "contenedor": ("container", N_("Contenedor")),
    "buque": ("vessel_imo", N_("Buque (IMO)")),
}
NUMBERS = frozenset({"latitude", "longitude", "amount"})
UPPER = frozenset(
    {"country", "producing_country", "departure_country", "destination_country", "port"}
)
RULES: dict[str, tuple[str, str]] = {
    "finalidad": ("purpose", N_("Finalidad")),
    "base_legal": ("legal_basis", N_("Base legal")),
    "alcance": ("scope", N_("Alcance")),
    "codigo": ("handling_code", N_("Código de manejo")),
}
LABELS = {field: label for field, label in (*FIELDS.values(), *RULES.values())}
LABELS["quantity_kg"] = N_("Cantidad")
# The seizure's field -> the form's input, to mark the input that is wrong.
INPUT_OF = {field: name for name, (field, _) in (*FIELDS.items(), *RULES.items())}
INPUT_OF["quantity_kg"] = "cantidad"
UNITS = {"kg": "kg", "g": "g", "l": "l", "ml": "ml", "units": N_("unidades")}
MODES = {
    "sea": N_("marítimo"),
    "air": N_("aéreo"),
    "road": N_("terrestre"),
    "rail": N_("ferroviario"),
    "mail": N_("postal"),
    "pedestrian": N_("a pie"),
    "other": N_("otro"),
}
SCOPES = {
    "agency": N_("solo la institución"),
    "country": N_("el país"),
    "members": N_("todos los miembros"),
}
CODES = ("H0", "H1", "H2")


def _number(text: str) -> Any:
    # Typed with a decimal comma (the region's) or a point; anything else goes to the
    # records' gate as it is, to be refused by name.
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return text


def _data(fields: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, (field, _) in FIELDS.items():
        value = fields.get(name, "").strip()
        if not value:
            continue
        if field == "date":
            data[field] = parse_day(value)
        elif field in NUMBERS:
            data[field] = _number(value)
        elif field in UPPER:
            data[field] = value.upper()
        else:
            data[field] = value
    return data


def _problems(error: InputError) -> list[dict[str, str]]:
    shown = error.problems or [FieldProblem("", error.message)]
    out = []
    for p in shown:
        field = p.field.removeprefix("data.").removeprefix("rules.")
        out.append(
            {
                "field": field,
                "input": INPUT_OF.get(field, ""),
                "label": LABELS.get(field, field),
                "message": p.message,
            }
        )
    return out


def _form(
    request: Request, *, fields: dict[str, str], problems: list[dict[str, str]], status: int
) -> Response:
    return page(
        request,
        "seizures/new.html",
        status=status,
        fields=fields,
        problems=problems,
        bad={p["input"]: p["message"] for p in problems if p["input"]},
        today=date.today(),
        units=UNITS,
        modes=MODES,
        scopes=SCOPES,
        codes=CODES,
    )


@router.get(f"{PREFIX}/incautaciones/nueva")
def new_seizure(request: Request, principal: Writer) -> Response:
    return _form(request, fields={}, problems=[], status=200)


@router.post(f"{PREFIX}/incautaciones/nueva")
async def add_seizure(request: Request, node: NodeDep, principal: Writer) -> Response:
    fields = await form(request)
    try:
        rules = validated(
            Rules,
            {
                field: fields.get(name, "").strip()
                for name, (field, _) in RULES.items()
                if fields.get(name, "").strip()
            },
        )
        with unit(node) as session:
            made = records.create_record(
                session,
                node=node,
                principal=principal,
                kind=seizures.KIND,
                data=_data(fields),
                rules=rules,
                reason="consola: incautación registrada",
            )
            record_id = made.record.id
    except InputError as exc:
        return _form(request, fields=fields, problems=_problems(exc), status=422)
    return RedirectResponse(f"{PREFIX}/registros/{record_id}", status_code=303)


@router.get(f"{PREFIX}/incautaciones")
def seizure_map(request: Request, node: NodeDep, principal: Reporter) -> Response:
    with unit(node) as session:
        by_port = seizures.aggregates(session, node=node, principal=principal, by="port")
        by_month = seizures.aggregates(session, node=node, principal=principal, by="month")
    return page(
        request,
        "seizures/map.html",
        by_port=by_port,
        by_month=by_month,
        can_write=holds(principal, Action.WRITE),
    )


@router.get(f"{PREFIX}/incautaciones/mapa.geojson")
def seizure_points(request: Request, node: NodeDep, principal: Reporter) -> Response:
    """Seized kilograms per place (coordinates given), summed: no reference, no person."""
    places: dict[tuple[float, float], dict[str, Any]] = defaultdict(
        lambda: {"kilograms": 0.0, "seizures": 0, "ports": set(), "substances": set()}
    )
    with unit(node) as session:
        for row in seizures.masses(session, principal=principal):
            if row["lat"] is None or row["lon"] is None:
                continue
            at = places[(round(float(row["lon"]), 2), round(float(row["lat"]), 2))]
            at["kilograms"] += row["kilograms"]
            at["seizures"] += 1
            if row["port"]:
                at["ports"].add(row["port"])
            at["substances"].add(row["substance"])
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {
                "kilograms": round(v["kilograms"], 3),
                "seizures": v["seizures"],
                "ports": sorted(v["ports"]),
                "substances": sorted(v["substances"]),
            },
        }
        for (lon, lat), v in sorted(places.items())
    ]
    return geojson(request, {"type": "FeatureCollection", "features": features})
