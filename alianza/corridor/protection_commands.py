"""Data protection on the corridor's command line (``protection.py`` holds every rule;
these commands only read options and print).

    alianza corridor subject-report MEMBER --user U [--json] [-o REPORT.json]
    alianza corridor case erase ID --reason TEXT --user U [--json]
    alianza corridor retention apply --user U [--today AAAA-MM-DD] [--keep-days N] [--json]
    alianza corridor breach add --discovered ISO --description TEXT --categories TEXT
        --affected N --measures TEXT --user U [--json]
    alianza corridor breach list --user U [--json]
    alianza corridor breach notify ID --to AUTHORITY [--at ISO] --user U [--json]

``MEMBER`` is the member's id (or its id in the household file, when only one of your
cases has it); ``ID`` may be the first characters of a case or breach id (at least 4).
Each command is one transaction: a refused step writes nothing, and bad input is exit
code 2 with one line naming the option.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from alianza.cli_support import (
    DirOpt,
    JsonOpt,
    UserOpt,
    acting,
    by_prefix,
    console,
    emit_json,
    err_console,
    id_column,
    open_cli_node,
)
from alianza.codes.text import shown
from alianza.errors import InputError

MemberArg = Annotated[
    str, typer.Argument(help="Id del integrante (o su id en el archivo del hogar).")
]
CaseArg = Annotated[str, typer.Argument(help="Id del caso (o sus primeros caracteres).")]
BreachArg = Annotated[str, typer.Argument(help="Id de la brecha (o sus primeros caracteres).")]

MEMBER_LABELS = {
    "id": "id del integrante",
    "person_ref": "id en el archivo del hogar",
    "given_names": "nombres",
    "surname_1": "primer apellido",
    "surname_2": "segundo apellido",
    "birth_date": "fecha de nacimiento",
    "document_number": "documento",
    "nationality": "nacionalidad",
    "flags": "marcas de protección",
    "is_minor": "menor de edad",
}


EXAMPLE = "2026-12-01T10:00-03:00"


def _parse_moment(raw: str, option: str) -> datetime:
    try:
        return datetime.fromisoformat(raw.strip())
    except ValueError:
        why = f"fecha y hora inválida '{shown(raw, limit=40)}' (ISO 8601 con zona: {EXAMPLE})"
        raise InputError.at(option, why) from None


def _writable(output: Path | None) -> None:
    if output is not None and (output.is_dir() or not output.parent.is_dir()):
        raise InputError.at("--output", f"no se puede escribir {output}")


def _write_private(path: Path, body: dict[str, Any]) -> None:
    # The report holds a person's data: the file is created readable by its owner only.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(json.dumps(body, ensure_ascii=False, indent=1) + "\n")


# ------------------------------------------------------------------ printing


def _when(value: str | None) -> str | None:
    """An ISO time as a person reads it: to the minute, in UTC (as everything is stored)."""
    try:
        moment = datetime.fromisoformat(value or "")
    except ValueError:
        return value
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _cell(value: Any) -> Text:
    # Text, never markup: a name or a note may hold brackets the console would swallow.
    if value is None or value == "" or value == []:
        return Text("—")
    if isinstance(value, bool):
        return Text("sí" if value else "no")
    if isinstance(value, list):
        return Text(", ".join(str(v) for v in value))
    return Text(str(value))


def _table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    table = Table(*columns, title=title, title_justify="left")
    for row in rows:
        table.add_row(*(_cell(v) for v in row))
    if table.row_count:
        console.print(table)
    else:
        console.print(Text(f"{title}: ninguno."))


def _print_report(body: dict[str, Any]) -> None:
    member, case = body["member"], body["case"]
    console.print(
        Text(f"Informe de acceso del titular: integrante {member['person_ref']}", style="bold")
    )
    console.print(
        Text(
            f"Caso {case['id']} (hogar {case['reference']}), estado {case['status']}. "
            f"Generado por {body['generated_by']} el {_when(body['generated_at'])}."
        )
    )
    if body.get("notice"):
        console.print(Text(body["notice"], style="yellow"))
    _table(
        "Datos que se conservan",
        ("dato", "valor"),
        ((label, member[key]) for key, label in MEMBER_LABELS.items()),
    )
    _table(
        "Historial del caso",
        ("de", "a", "por", "rol", "cuándo", "motivo"),
        ((e["from_status"], e["to_status"], e["by"], e["role"], _when(e["at"]), e["reason"])
         for e in body["history"]),
    )  # fmt: skip
    _table(
        "Consentimientos",
        ("como", "integrante", "hoja", "idioma", "orientó", "testigo", "dado", "retirado",
         "confirmado al embarcar"),
        ((c["as"], c["member"], c["sheet_version"], c["language"], c["counsellor"],
          c["witness"], _when(c["given_at"]), _when(c["withdrawn_at"]),
          _when(c["confirmed_at_boarding"]))
         for c in body["consents"]),
    )  # fmt: skip
    _table(
        "Registros en el corredor",
        ("tipo", "parada", "cuándo", "registró", "nota"),
        (
            (c["kind"], c["stop"], _when(c["at"]), c["recorded_by"], c["note"])
            for c in body["checkins"]
        ),
    )
    _table(
        "Envíos a otros países (manifiestos)",
        ("a", "salida", "tramo", "finalidad", "base legal", "datos enviados", "estado",
         "acuse firmado"),
        ((f"{m['peer_node']} ({m['to_agency']}, {m['to_country']})", m["departure"],
          m["leg_date"], m["purpose"], m["legal_basis"],
          m["fields"] + (["(borrados después)"] if m["payload_redacted"] else []),
          m["status"], m["receipt_held"])
         for m in body["manifests"]),
    )  # fmt: skip
    _table(
        "Quién vio o tocó estos datos",
        ("cuándo", "quién", "acción", "sobre"),
        ((_when(a["at"]), a["actor"], a["action"], a["about"]) for a in body["accesses"]),
    )


# ------------------------------------------------------------------ commands


def subject_report_command(
    member: MemberArg,
    user: UserOpt,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Escribir el informe (JSON) aquí.")
    ] = None,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Informe de acceso del titular: todo lo que se guarda de una persona, quién lo vio y a
    quién se envió."""
    from alianza.corridor import protection
    from alianza.db import transaction

    _writable(output)
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    # A transaction, not a read: the report itself is audited.
    with transaction(node.sessions) as session:
        body = protection.subject_report(session, node, principal, member_id=member)
    if output is not None:
        _write_private(output, body)
        err_console.print(f"Informe escrito en {output}.", highlight=False, markup=False)
    if as_json:
        emit_json(body)
    elif output is None:
        _print_report(body)


def erase_command(
    case_id: CaseArg,
    reason: Annotated[str, typer.Option("--reason", help="Motivo (obligatorio).")],
    user: UserOpt,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Borrar los datos personales de un caso cerrado (queda el caso, sin ellos)."""
    from alianza.auth.permissions import visible
    from alianza.corridor import protection
    from alianza.corridor.models import ReturnCase
    from alianza.db import transaction

    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        full = by_prefix(
            session, column=ReturnCase.id,
            visible=visible(principal, protection.PROTECT, ReturnCase), prefix=case_id,
            name="ID", missing=f"No existe el caso {case_id}.",
        )  # fmt: skip
        body = protection.erase_case(session, node, principal, case_id=full, reason=reason)
    if as_json:
        emit_json(body)
        return
    err_console.print(
        f"Caso {body['case']} borrado: {body['members']} integrantes; "
        f"{body['manifests']} manifiestos enviados redactados.",
        highlight=False,
    )


def retention_apply_command(
    user: UserOpt,
    today: Annotated[
        str, typer.Option("--today", help="Fecha de referencia (AAAA-MM-DD; por defecto hoy).")
    ] = "",
    keep_days: Annotated[
        int | None,
        typer.Option("--keep-days", help="Días que se conserva un caso cerrado (365)."),
    ] = None,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Aplicar la retención: borrar los casos cerrados hace más de N días y los manifiestos
    recibidos vencidos."""
    from alianza.corridor import protection
    from alianza.db import transaction

    try:
        day = date.fromisoformat(today.strip()) if today.strip() else date.today()
    except ValueError:
        raise InputError.at(
            "--today", f"fecha inválida '{shown(today, limit=20)}' (use AAAA-MM-DD)"
        ) from None
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        keep = protection.RETENTION_DAYS if keep_days is None else keep_days
        body = protection.apply_retention(session, node, principal, today=day, keep_days=keep)
    if as_json:
        emit_json(body)
        return
    received = body["received_manifests"]
    err_console.print(
        f"Retención al {day} (casos cerrados antes del {body['cutoff']}): {body['cases']} "
        f"casos borrados ({body['members']} personas, {body['manifests']} manifiestos "
        f"enviados redactados); manifiestos recibidos borrados: "
        f"{'no disponible' if received is None else received}.",
        highlight=False,
    )


def breach_add_command(
    discovered: Annotated[
        str, typer.Option("--discovered", help="Cuándo se descubrió (ISO 8601 con zona).")
    ],
    description: Annotated[str, typer.Option("--description", help="Qué ocurrió.")],
    categories: Annotated[str, typer.Option("--categories", help="Categorías de datos.")],
    affected: Annotated[int, typer.Option("--affected", help="Personas afectadas (≥ 0).")],
    measures: Annotated[str, typer.Option("--measures", help="Medidas adoptadas.")],
    user: UserOpt,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Registrar una brecha de datos personales (plazo de notificación: 5 días)."""
    from alianza.corridor import breaches
    from alianza.db import transaction

    moment = _parse_moment(discovered, "--discovered")
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        row = breaches.record_breach(
            session, node, principal, discovered_at=moment, description=description,
            data_categories=categories, persons_affected=affected, measures=measures,
        )  # fmt: skip
        body = breaches.breach_view(row, datetime.now(UTC))
    if as_json:
        emit_json(body)
        return
    err_console.print(
        f"Brecha {body['id']} registrada: notificar a la autoridad antes del "
        f"{_when(body['notify_by'])}.",
        highlight=False,
    )
    typer.echo(body["id"])


def _state(b: dict[str, Any]) -> str:
    if b["state"] == "pendiente":
        return f"pendiente (quedan {b['hours_left']} h)"
    if b["state"] == "vencida":
        return f"vencida (hace {b['hours_overdue']} h)"
    return "notificada tarde" if b["late"] else "notificada"


def breach_list_command(
    user: UserOpt,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """El registro de brechas de su institución, con el estado de cada notificación."""
    from alianza.corridor import breaches

    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with node.sessions() as session:
        rows = breaches.breaches(session, principal, now=datetime.now(UTC))
    if as_json:
        emit_json({"breaches": rows})
        return
    table = Table(
        id_column("brecha"), "descubierta", "personas", "categorías", "plazo", "estado",
        "notificada a",
    )  # fmt: skip
    for b in rows:
        table.add_row(
            *(_cell(v) for v in (b["id"], _when(b["discovered_at"]), b["persons_affected"],
                                 b["data_categories"], _when(b["notify_by"]), _state(b),
                                 b["notified_to"]))
        )  # fmt: skip
    console.print(table)


def breach_notify_command(
    breach_id: BreachArg,
    to: Annotated[str, typer.Option("--to", help="Autoridad notificada.")],
    user: UserOpt,
    at: Annotated[
        str, typer.Option("--at", help="Cuándo se notificó (ISO 8601 con zona; por defecto ahora).")
    ] = "",
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Registrar que se notificó la brecha a la autoridad."""
    from alianza.auth.permissions import visible
    from alianza.corridor import breaches, protection
    from alianza.corridor.models import Breach
    from alianza.db import transaction

    moment = _parse_moment(at, "--at") if at.strip() else datetime.now(UTC)
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        full = by_prefix(
            session, column=Breach.id, visible=visible(principal, protection.PROTECT, Breach),
            prefix=breach_id, name="ID", missing=f"No existe la brecha {breach_id}.",
        )  # fmt: skip
        row = breaches.notify_breach(
            session, node, principal, breach_id=full, notified_to=to, at=moment
        )
        body = breaches.breach_view(row, datetime.now(UTC))
    if as_json:
        emit_json(body)
        return
    err_console.print(f"Brecha {body['id']}: {_state(body)}.", highlight=False)


def register(corridor_app: typer.Typer, case_app: typer.Typer) -> None:
    """Add the data-protection commands to ``alianza corridor`` and ``alianza corridor case``."""
    corridor_app.command("subject-report")(subject_report_command)
    case_app.command("erase")(erase_command)
    retention_app = typer.Typer(
        help="Retención: borrar lo que ya no se debe conservar.", no_args_is_help=True
    )
    retention_app.command("apply")(retention_apply_command)
    corridor_app.add_typer(retention_app, name="retention")
    breach_app = typer.Typer(
        help="Registro de brechas de datos personales (notificación en 5 días).",
        no_args_is_help=True,
    )
    breach_app.command("add")(breach_add_command)
    breach_app.command("list")(breach_list_command)
    breach_app.command("notify")(breach_notify_command)
    corridor_app.add_typer(breach_app, name="breach")
