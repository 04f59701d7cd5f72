"""``alianza records``: import, export, review, renew, rules, retention, verify.

Every command that prints a result takes ``--json`` (one object on stdout, nothing else);
a record id may be typed as a unique prefix of it and is always printed whole.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from alianza import domains
from alianza.auth.permissions import Principal, visible_clause
from alianza.cli_support import (
    DirOpt,
    JsonOpt,
    UserOpt,
    acting,
    by_prefix,
    console,
    country_list,
    emit_json,
    err_console,
    id_column,
    one_of,
    open_cli_node,
    progress_bar,
)
from alianza.codes.problems import problems_from_validation
from alianza.db import transaction
from alianza.errors import Conflict, FieldProblem, InputError, IntegrityFailure
from alianza.records import review
from alianza.records import service as records
from alianza.records.importer import import_items
from alianza.records.models import Record
from alianza.records.rules import Discoverable, Rules, Scope, widen_discoverable
from alianza.records.versions import verify_versions

records_app = typer.Typer(help="Registros: importar, exportar, revisar.", no_args_is_help=True)


def _count_lines(path: Path) -> int:
    count = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            count += chunk.count(b"\n")
    return count


RECORD_HELP = "Registro: su identificador o un prefijo único (al menos 4 caracteres)."


def _record_id(session: Session, principal: Principal, typed: str) -> str:
    """The whole id of the one record the principal may see that ``typed`` starts."""
    return by_prefix(
        session,
        column=Record.id,
        visible=visible_clause(principal, Record),
        prefix=typed,
        name="RECORD_ID",
        missing=f"No existe el registro {typed.strip()}.",
    )


# ------------------------------------------------------------------ rule options
# The same four options on ``import`` (defaults for every item) and ``rules`` (a change).

ScopeOpt = Annotated[
    str | None,
    typer.Option("--scope", help="Quién lo recibe: agency, country, partners o members."),
]
ScopeCountriesOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--scope-countries",
        help="Países asociados con --scope partners (ISO alfa-2: 'EC,PE' o repetida).",
    ),
]
DiscoverableOpt = Annotated[
    str | None,
    typer.Option(
        "--discoverable",
        help="Quién puede saber por hit/no-hit que existe: none, partners o members.",
    ),
]
DiscoverableCountriesOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--discoverable-countries",
        help="Países con --discoverable partners (ISO alfa-2: 'EC,PE' o repetida).",
    ),
]
_OPTIONS = {
    "scope": "--scope",
    "scope_countries": "--scope-countries",
    "discoverable": "--discoverable",
    "discoverable_countries": "--discoverable-countries",
}


def rule_options(
    scope: str | None,
    scope_countries: list[str] | None,
    discoverable: str | None,
    discoverable_countries: list[str] | None,
) -> dict[str, Any]:
    """The rule options given, checked one by one (names the option at fault)."""
    given = {
        "scope": one_of(scope, Scope, "--scope"),
        "scope_countries": country_list(scope_countries, "--scope-countries"),
        "discoverable": one_of(discoverable, Discoverable, "--discoverable"),
        "discoverable_countries": country_list(discoverable_countries, "--discoverable-countries"),
    }
    return {k: v for k, v in given.items() if v is not None}


def check_coherent(rules: dict[str, Any]) -> None:
    """The checks of ``Rules`` that ``rules`` holds every field of, as errors naming the
    option: on ``import`` only the options are known (an item may bring the rest)."""
    scope, countries = rules.get("scope"), rules.get("scope_countries")
    found, found_countries = rules.get("discoverable"), rules.get("discoverable_countries")
    if scope is not None and countries is not None:
        if scope != Scope.PARTNERS and countries:
            raise InputError.at("--scope-countries", "solo se usa con --scope partners")
        if scope == Scope.PARTNERS and not countries:
            raise InputError.at("--scope-countries", "--scope partners exige al menos un país")
    if found is not None and found_countries is not None:
        if found != Discoverable.PARTNERS and found_countries:
            raise InputError.at(
                "--discoverable-countries", "solo se usa con --discoverable partners"
            )
        if found == Discoverable.PARTNERS and not found_countries:
            raise InputError.at(
                "--discoverable-countries", "--discoverable partners exige al menos un país"
            )
    if scope is None or found is None:
        return
    if (scope == Scope.PARTNERS and countries is None) or (
        found == Discoverable.PARTNERS and found_countries is None
    ):
        return  # the countries may come with each item
    wanted = Discoverable(found)
    wide, wide_countries = widen_discoverable(
        wanted, found_countries or [], scope=Scope(scope), scope_countries=countries or []
    )
    if (wide, wide_countries) != (wanted, sorted(found_countries or [])):
        suggestion = f"--discoverable {wide.value}" + (
            f" --discoverable-countries {','.join(wide_countries)}" if wide_countries else ""
        )
        raise InputError.at(
            "--discoverable",
            "no puede ser más estrecho que el alcance: quien recibe el registro también "
            f"puede encontrarlo (use {suggestion})",
        )


@records_app.command("import")
def records_import(
    source: Annotated[str, typer.Argument(help="Archivo FtM (.jsonl/.ftm) o CSV, o '-' (stdin).")],
    user: UserOpt,
    format: Annotated[
        str | None, typer.Option(help="ftm o csv (por defecto, por extensión).")
    ] = None,
    purpose: Annotated[
        str | None, typer.Option(help="Finalidad, si el archivo no la trae.")
    ] = None,
    legal_basis: Annotated[str | None, typer.Option(help="Base legal, si no la trae.")] = None,
    handling_code: Annotated[str | None, typer.Option(help="H0..H3 por defecto.")] = None,
    source_grade: Annotated[str | None, typer.Option(help="A, B, C o X.")] = None,
    info_grade: Annotated[str | None, typer.Option(help="1, 2, 3 o 4.")] = None,
    scope: ScopeOpt = None,
    scope_countries: ScopeCountriesOpt = None,
    discoverable: DiscoverableOpt = None,
    discoverable_countries: DiscoverableCountriesOpt = None,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Importa registros; si una línea falla, no se guarda ninguno."""
    from alianza.records import csvio, ftm

    # Options first: a mistyped country stops the import before anything is read.
    options = rule_options(scope, scope_countries, discoverable, discoverable_countries)
    check_coherent(options)
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    kind = format or ("csv" if source.lower().endswith(".csv") else "ftm")
    if kind not in ("ftm", "csv"):
        raise InputError.at("--format", f"formato desconocido '{format}'; se admite: ftm, csv")
    path = None if source == "-" else Path(source)
    if path is not None and not path.is_file():
        raise InputError.at("FILE", f"no existe el archivo {source}")
    total = _count_lines(path) if path else None
    defaults: dict[str, Any] = {
        "purpose": purpose,
        "legal_basis": legal_basis,
        "handling_code": handling_code,
        "source_grade": source_grade,
        "info_grade": info_grade,
        **options,
    }
    stream = path.open(encoding="utf-8", newline="") if path else sys.stdin
    try:
        with progress_bar(quiet=as_json) as progress, transaction(node.sessions) as session:
            task = progress.add_task("Importando", total=total)
            items = ftm.read_lines(stream) if kind == "ftm" else csvio.read_rows(stream)
            result = import_items(
                session,
                node=node,
                principal=principal,
                items=_decoded(items),
                defaults=defaults,
                source=str(source),
                progress=lambda n: progress.advance(task, n),
            )
            progress.update(task, completed=result.total, total=result.total)
    finally:
        if path:
            stream.close()
    if as_json:
        emit_json(
            {
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "total": result.total,
            }
        )
        return
    console.print(
        f"[green]Importación completa[/]: {result.created:,} nuevos, "
        f"{result.updated:,} actualizados, {result.unchanged:,} sin cambios."
    )


def _decoded(items: Iterator[Any]) -> Iterator[Any]:
    try:
        yield from items
    except UnicodeDecodeError as exc:
        raise InputError.at("archivo", f"no es UTF-8 (byte {exc.start})") from None


@records_app.command("export")
def records_export(
    user: UserOpt,
    format: Annotated[str, typer.Option(help="ftm o csv.")] = "ftm",
    kind: Annotated[str | None, typer.Option(help="Solo un tipo de registro.")] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Archivo de salida.")
    ] = None,
    data_dir: DirOpt = None,
) -> None:
    """Exporta los registros que el usuario puede ver (queda auditado)."""
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    out = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        with transaction(node.sessions) as session:
            count = records.export(
                session, node=node, principal=principal, fmt=format, kind=kind, write=out.write
            )
    finally:
        if output:
            out.close()
    if output:
        console.print(f"{count:,} registros exportados a {output}.")


@records_app.command("review-due")
def records_review_due(user: UserOpt, data_dir: DirOpt = None, as_json: JsonOpt = False) -> None:
    """Lista los registros de su institución cuya fecha de revisión llegó."""
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        rows = review.review_due(session, node=node, principal=principal)
        listed = [
            {"id": r.id, "kind": r.kind, "label": r.label, "review_date": r.review_date.isoformat()}
            for r in rows
        ]
    if as_json:
        emit_json({"records": listed, "grace_days": node.settings.review_grace_days})
        return
    table = Table(id_column("id"), "tipo", "registro", "revisión")
    for r in listed:
        table.add_row(r["id"], r["kind"], escape(r["label"]), r["review_date"])
    console.print(table)
    console.print(
        f"{len(rows)} registros por revisar. Renovar: 'alianza records renew ID'; "
        f"los no renovados se eliminan {node.settings.review_grace_days} días después."
    )


@records_app.command("renew")
def records_renew(
    record_id: Annotated[str, typer.Argument(help=RECORD_HELP)],
    user: UserOpt,
    reason: Annotated[str, typer.Option(help="Por qué se conserva.")],
    until: Annotated[str | None, typer.Option(help="Nueva fecha de revisión AAAA-MM-DD.")] = None,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Una persona renueva un registro por otro período."""
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    try:
        day = date.fromisoformat(until) if until else None
    except ValueError:
        raise InputError.at("--until", f"fecha inválida '{until}' (use AAAA-MM-DD)") from None
    with transaction(node.sessions) as session:
        full = _record_id(session, principal, record_id)
        view = review.renew(
            session, node=node, principal=principal, record_id=full, reason=reason, until=day
        )
        shown = {
            "id": full,
            "version": view.record.version,
            "review_date": view.record.review_date.isoformat(),
        }
    if as_json:
        emit_json(shown)
        return
    console.print(
        f"Registro {full} renovado hasta {shown['review_date']} (versión {shown['version']}).",
        soft_wrap=True,
    )


def _changed_rules(current: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """``current`` rules with the options ``given`` applied: a list of countries goes with
    the setting it belongs to, and discoverability follows a wider scope unless given."""
    rules = dict(current)
    if "scope" in given and given["scope"] != Scope.PARTNERS:
        rules["scope_countries"] = []
    if "discoverable" in given and given["discoverable"] != Discoverable.PARTNERS:
        rules["discoverable_countries"] = []
    rules.update(given)
    scope_changed = "scope" in given or "scope_countries" in given
    if scope_changed and "discoverable" not in given and rules.get("discoverable"):
        coherent_scope = (rules["scope"] == Scope.PARTNERS) == bool(rules["scope_countries"])
        if coherent_scope:
            # Whoever receives a record may find it: widening the scope widens this too.
            wide, countries = widen_discoverable(
                Discoverable(rules["discoverable"]),
                rules.get("discoverable_countries") or [],
                scope=Scope(rules["scope"]),
                scope_countries=rules["scope_countries"],
            )
            rules["discoverable"], rules["discoverable_countries"] = wide.value, countries
    return rules


def _validated_rules(rules: dict[str, Any], given: dict[str, Any]) -> Rules:
    try:
        return Rules.model_validate(rules)
    except ValidationError as exc:
        problems = [
            FieldProblem(
                _OPTIONS.get(p.field, p.field or " / ".join(_OPTIONS[k] for k in given)),
                p.message,
            )
            for p in problems_from_validation(exc, prefix="")
        ]
        raise InputError(
            "; ".join(f"{p.field}: {p.message}" for p in problems), problems=problems
        ) from None


@records_app.command("rules")
def records_rules(
    record_id: Annotated[str, typer.Argument(help=RECORD_HELP)],
    user: UserOpt,
    reason: Annotated[str, typer.Option(help="Por qué cambian sus reglas.")],
    scope: ScopeOpt = None,
    scope_countries: ScopeCountriesOpt = None,
    discoverable: DiscoverableOpt = None,
    discoverable_countries: DiscoverableCountriesOpt = None,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Cambia quién recibe un registro y quién puede encontrarlo (una nueva versión)."""
    given = rule_options(scope, scope_countries, discoverable, discoverable_countries)
    if not given:
        raise InputError.at("--scope", f"indique al menos una de: {', '.join(_OPTIONS.values())}")
    if len(reason.strip()) < 3:
        raise InputError.at("--reason", "indique por qué cambian las reglas del registro")
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        full = _record_id(session, principal, record_id)
        shown = records.get_record(session, node=node, principal=principal, record_id=full)
        current = shown.as_dict()
        rules = _changed_rules(current["rules"], given)
        check_coherent(rules)
        review_date = current["rules"].get("review_date")
        if review_date and date.fromisoformat(review_date) < datetime.now(UTC).date():
            raise Conflict(
                f"El registro {full} pasó su fecha de revisión ({review_date}): renuévelo "
                "primero con 'alianza records renew'."
            )
        changed = rules != current["rules"]
        if changed:
            view = records.update_record(
                session,
                node=node,
                principal=principal,
                record_id=full,
                data=current["data"],
                rules=_validated_rules(rules, given),
                expected_version=current["version"],
                reason=f"reglas: {reason.strip()}",
            )
            current = view.as_dict()
        result = {
            "id": full,
            "version": current["version"],
            "changed": changed,
            "rules": current["rules"],
        }
    if as_json:
        emit_json(result)
        return
    r = result["rules"]
    scope_text = r["scope"] + (
        f" ({', '.join(r['scope_countries'])})" if r["scope_countries"] else ""
    )
    found = r.get("discoverable") or "-"
    found_text = found + (
        f" ({', '.join(r['discoverable_countries'])})" if r.get("discoverable_countries") else ""
    )
    head = "Reglas cambiadas" if changed else "Las reglas no cambian"
    console.print(
        f"{head}: registro {full}, versión {result['version']}; alcance {scope_text}; "
        f"encontrable por {found_text}.",
        soft_wrap=True,
    )


@records_app.command("enforce-retention")
def records_retention(user: UserOpt, data_dir: DirOpt = None, as_json: JsonOpt = False) -> None:
    """Elimina los registros no renovados tras el plazo de gracia, y borra sus datos."""
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        removed = review.enforce_retention(session, node=node, principal=principal)
    if as_json:
        emit_json({"removed": removed})
        return
    console.print(f"{len(removed)} registros eliminados por plazo de conservación vencido.")


@records_app.command("verify")
def records_verify(data_dir: DirOpt = None, as_json: JsonOpt = False) -> None:
    """Verifica la firma y el hash de cada versión guardada."""
    node = open_cli_node(data_dir)
    with node.sessions() as session:
        # Partners' copies are checked with each partner's registered key.
        report = verify_versions(session, keys=domains.signer_keys(session, node))
    if as_json:
        emit_json(
            {"checked": report.checked, "redacted": report.redacted, "problems": report.problems}
        )
    else:
        for problem in report.problems[:20]:
            err_console.print(f"[red]✗[/] {escape(problem)}", soft_wrap=True)
    if report.problems:
        raise IntegrityFailure(
            f"{len(report.problems)} versiones no verifican de {report.checked}."
        )
    if not as_json:
        console.print(
            f"[green]✓[/] {report.checked:,} versiones verificadas "
            f"({report.redacted:,} con datos borrados por retención)."
        )


def register(app: typer.Typer) -> None:
    """Add ``alianza records ...``."""
    app.add_typer(records_app, name="records")
