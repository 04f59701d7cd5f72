"""The corridor planner's INPUT.json contract (issue 14; hidden checks rely on it)::

    {"start_date": "YYYY-MM-DD", "horizon_days": N,
     "stops": [{"id", "name", "country", "kind": "city"|"border"|"reception",
                "daily_capacity": int|null}],
     "departures": [{"id", "mode": "bus"|"flight", "seats": int,
                     "calls": [{"stop": id, "date": "YYYY-MM-DD"}]}],
     "households": [{"id", "origin": stop id, "ready_date": "YYYY-MM-DD",
                     "priority": "normal"|"high",
                     "members": [{"id", "birth_date", "consent": bool, "flags": [...]}]}]}

Checked whole before anything is planned; the first problem raises ``InputError`` (exit
code 2) naming the item by its path (``departures[3].calls[1].stop``) and, where it has
one, its id: malformed JSON, a missing or mistyped field, an unknown stop, negative seats
or capacity, calls out of date order, a repeated id, a date that is not a calendar day, a
horizon of zero days. Unknown extra fields are ignored (a case file may carry more than
the planner needs).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from alianza.codes.text import shown
from alianza.errors import InputError

MAX_HORIZON = 3660
MAX_ITEMS = 1_000_000
M = TypeVar("M", bound=BaseModel)


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class Stop(_Model):
    id: str = Field(min_length=1, max_length=128)
    name: str = Field("", max_length=200)
    country: str = Field("", max_length=64)
    kind: Literal["city", "border", "reception"]
    daily_capacity: int | None = Field(None, ge=0)


class Call(_Model):
    stop: str = Field(min_length=1, max_length=128)
    date: date


class Departure(_Model):
    id: str = Field(min_length=1, max_length=128)
    mode: Literal["bus", "flight"]
    seats: int = Field(ge=0)
    calls: list[Call] = Field(min_length=1)


class Member(_Model):
    id: str = Field(min_length=1, max_length=128)
    birth_date: date | None = None
    # Strictly true or false: pydantic's lax mode would read "yes", "1" or "on" as
    # consent, and consent is not something to infer.
    consent: StrictBool
    flags: list[str] = Field(default_factory=list, max_length=64)


class Household(_Model):
    id: str = Field(min_length=1, max_length=128)
    origin: str = Field(min_length=1, max_length=128)
    ready_date: date
    priority: Literal["normal", "high"] = "normal"
    members: list[Member] = Field(min_length=1, max_length=64)


class CorridorInput(_Model):
    start_date: date
    horizon_days: int = Field(ge=1, le=MAX_HORIZON)
    stops: list[Stop] = Field(min_length=1, max_length=MAX_ITEMS)
    departures: list[Departure] = Field(max_length=MAX_ITEMS)
    households: list[Household] = Field(max_length=MAX_ITEMS)

    @property
    def end_date(self) -> date:
        """The last day of the horizon."""
        return self.start_date + timedelta(days=self.horizon_days - 1)


def error_location(loc: tuple[Any, ...], raw: Any) -> str:
    """``departures[3].calls[1].stop`` (with the item's id when it has one)."""
    parts: list[str] = []
    node = raw
    for step in loc:
        if isinstance(step, int):
            parts[-1] = f"{parts[-1]}[{step}]" if parts else f"[{step}]"
            node = node[step] if isinstance(node, list) and step < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                parts[-1] += f" ({shown(node['id'])})"
        else:
            parts.append(str(step))
            node = node.get(step) if isinstance(node, dict) else None
    return ".".join(parts) or "INPUT.json"


ERROR_MESSAGES = {
    "missing": "falta este campo",
    "literal_error": "valor no admitido",
    "date_from_datetime_parsing": "fecha inválida (use AAAA-MM-DD)",
    "date_parsing": "fecha inválida (use AAAA-MM-DD)",
    "date_type": "fecha inválida (use AAAA-MM-DD)",
    "greater_than_equal": "no puede ser negativo",
    "int_parsing": "se esperaba un número entero",
    "int_type": "se esperaba un número entero",
    "int_from_float": "se esperaba un número entero",
    "bool_type": "se esperaba true o false",
    "bool_parsing": "se esperaba true o false",
    "too_short": "no puede estar vacío",
    "string_too_short": "no puede estar vacío",
    "string_too_long": "texto demasiado largo",
    "string_type": "se esperaba un texto",
    "list_type": "se esperaba una lista",
    "model_type": "se esperaba un objeto JSON",
    "model_attributes_type": "se esperaba un objeto JSON",
    "too_long": "demasiados elementos",
    "less_than_equal": "demasiado grande",
}


def validated(model: type[M], raw: Any, *, prefix: str = "") -> M:
    """``raw`` checked against ``model``; the first problem raises ``InputError`` naming
    the item by its path (and its id where it has one)."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = error_location(tuple(error["loc"]), raw)
        message = ERROR_MESSAGES.get(error["type"], error["msg"])
        if error["type"] == "literal_error":
            message = f"valor no admitido ({error['ctx'].get('expected', '')})"
        elif error["type"] == "extra_forbidden":
            message = "campo no admitido"
        elif error["type"] == "value_error":
            message = str(error.get("ctx", {}).get("error", error["msg"]))
        raise InputError.at(f"{prefix}{where}" if prefix else where, message) from None


def parse(raw: Any) -> CorridorInput:
    """Check the decoded JSON: its shape, then what the shape cannot say."""
    data = validated(CorridorInput, raw)
    _check_references(data)
    return data


def _unique(items: list[Any], name: str) -> None:
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item.id in seen:
            raise InputError.at(f"{name}[{i}] ({shown(item.id)})", "identificador repetido")
        seen.add(item.id)


def _check_references(data: CorridorInput) -> None:
    _unique(data.stops, "stops")
    _unique(data.departures, "departures")
    _unique(data.households, "households")
    stops = {s.id for s in data.stops}
    members: set[str] = set()
    for i, dep in enumerate(data.departures):
        at = f"departures[{i}] ({shown(dep.id)})"
        for j, call in enumerate(dep.calls):
            if call.stop not in stops:
                raise InputError.at(
                    f"{at}.calls[{j}].stop", f"parada desconocida '{shown(call.stop)}'"
                )
            if j and call.date < dep.calls[j - 1].date:
                raise InputError.at(
                    f"{at}.calls[{j}].date",
                    f"las escalas no están en orden de fecha ({call.date} antes de "
                    f"{dep.calls[j - 1].date})",
                )
    for i, household in enumerate(data.households):
        at = f"households[{i}] ({shown(household.id)})"
        if household.origin not in stops:
            raise InputError.at(f"{at}.origin", f"parada desconocida '{shown(household.origin)}'")
        for j, member in enumerate(household.members):
            if member.id in members:
                raise InputError.at(
                    f"{at}.members[{j}] ({shown(member.id)})",
                    "la persona ya figura en otro hogar (un hogar no se divide ni se repite)",
                )
            members.add(member.id)


def read_json(path: Path, name: str) -> Any:
    """The JSON document in ``path``; ``InputError`` naming ``name`` when the file is
    missing, unreadable, not UTF-8 or not JSON."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError.at(name, f"no existe el archivo {path}") from None
    except IsADirectoryError:
        raise InputError.at(name, f"{path} es una carpeta") from None
    except UnicodeDecodeError as exc:
        raise InputError.at(name, f"no es texto UTF-8 (byte {exc.start})") from None
    except OSError as exc:
        raise InputError.at(name, f"no se puede leer ({exc.strerror})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError.at(
            name, f"JSON mal formado (línea {exc.lineno}, columna {exc.colno}: {exc.msg})"
        ) from None


def load(path: Path) -> CorridorInput:
    raw = read_json(path, "INPUT.json")
    if not isinstance(raw, dict):
        raise InputError.at("INPUT.json", "se esperaba un objeto JSON")
    return parse(raw)


def load_previous(path: Path) -> dict[str, str]:
    """A previous PLAN.json's assignments (household -> departure), for ``--keep``."""
    try:
        raw = json.loads(path.read_bytes().decode("utf-8-sig"))
    except FileNotFoundError:
        raise InputError.at("--keep", f"no existe el archivo {path}") from None
    except (UnicodeDecodeError, json.JSONDecodeError, OSError):
        raise InputError.at("--keep", f"{path} no es un PLAN.json legible") from None
    rows = raw.get("assignments") if isinstance(raw, dict) else None
    if not isinstance(rows, list):
        raise InputError.at("--keep", "se esperaba un PLAN.json con 'assignments'")
    held: dict[str, str] = {}
    for i, row in enumerate(rows):
        if not (
            isinstance(row, dict)
            and isinstance(row.get("household"), str)
            and isinstance(row.get("departure"), str)
        ):
            raise InputError.at(f"--keep assignments[{i}]", "se esperaba household y departure")
        held[row["household"]] = row["departure"]
    return held
