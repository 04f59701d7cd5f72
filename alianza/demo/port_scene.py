"""The demo's port scene (issue 12): Ecuador's port control unit at Guayaquil takes the
day's inspection list from its risk model, with the reasons; a seizure Chile records at
San Antonio names a container of that day, comes to Ecuador by sync, and becomes a label
once Ecuador's analyst confirms the link.

Every step goes through the same functions as ``alianza ports declarations|links`` and
``alianza seizures``; run again, the scene reuses what the nodes already hold.
"""

from __future__ import annotations

import json
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from alianza.auth import service as auth
from alianza.auth.permissions import Principal
from alianza.db import transaction
from alianza.exchange import flows as exchange
from alianza.node.context import Node
from alianza.ports import model as models
from alianza.ports import store
from alianza.ports.commands import inspection_list, score_rows
from alianza.ports.contract import read_declarations
from alianza.ports.models import PortDeclaration
from alianza.ports.selection import EXPLORATION, choose
from alianza.ports.synthetic import generate, write_csv
from alianza.records import service as records
from alianza.records.models import Record
from alianza.records.rules import Rules

PORT = "ECGYE"
SEIZURE_REFERENCE = "CL-SAI-2026-0412"
SEIZURE_RULES = {
    "purpose": "Control de drogas en puertos: ruta Guayaquil-San Antonio",
    "legal_basis": "Ley 20.000 (Chile); acuerdo Chile-Ecuador 2025",
    "scope": "members",
}


def port_scene(cl: Node, ec: Node, console: Console) -> None:
    """Ecuador's list of the day at Guayaquil; Chile's seizure back as a label."""
    with ec.sessions() as session:
        rosa = auth.principal_of(auth.get_user(session, "rosa.guayaquil"))
        held = session.scalar(select(func.count()).select_from(PortDeclaration)) or 0
    with cl.sessions() as session:
        carla = auth.principal_of(auth.get_user(session, "carla.puerto"))
    console.print("\n[bold]Puerto de Guayaquil[/]: la unidad de control portuario elige qué abrir.")
    if not held:
        frame = generate(seed=593, start=date(2026, 9, 1), days=75, per_year=200_000)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "declaraciones.csv"
            write_csv(frame, path)
            found = read_declarations(path)
        with transaction(ec.sessions) as session:
            stored = store.store_declarations(session, node=ec, principal=rosa, declarations=found)
        console.print(
            f"  {stored.created:,} declaraciones de exportación (75 días, cuatro puertos) "
            "guardadas en el nodo de Ecuador, con los resultados de las inspecciones pasadas."
        )
    model_dir = ec.settings.data_dir / "modelo-puertos"
    if not (model_dir / "meta.json").exists():
        with ec.sessions() as session:
            history = store.stored_frame(session, principal=rosa, labelled=True)
        trained = models.train(history, seed=593)
        models.save(trained, model_dir)
    model = models.load(model_dir)
    with ec.sessions() as session:
        last = session.scalar(select(func.max(PortDeclaration.date)))
        assert last is not None
        today = store.stored_frame(session, principal=rosa, labelled=False, since=last, until=last)
    today = today[today["port"] == PORT].reset_index(drop=True)
    features, risk = score_rows(model, today, quiet=True)
    chosen = choose(risk, budget=0.05, explore=0.1, seed=last.toordinal())
    listing = inspection_list(model, today, features, risk, chosen)
    with transaction(ec.sessions) as session:
        store.record_selection(session, node=ec, principal=rosa, chosen=listing, day=last)
    table = Table(
        "contenedor", "exportador", "destino", "riesgo", "elegido por", "por qué",
        title=f"Inspecciones en Guayaquil · {last.isoformat()} · {len(listing)} de {len(today):,}",
    )  # fmt: skip
    for row in listing.head(8).itertuples():
        reasons = "; ".join(r for r in (row.explanation_1, row.explanation_2) if r)
        table.add_row(
            row.container_number,
            row.exporter_id,
            row.destination_port,
            f"{row.risk:.3f}",
            row.selected_by,
            reasons,
        )
    console.print(table)
    explored = listing[listing["selected_by"] == EXPLORATION]
    chance = float(explored["selection_probability"].min()) if len(explored) else 0.0
    console.print(
        f"  {len(listing) - len(explored)} por riesgo y {len(explored)} por exploración, "
        f"elegidos al azar con probabilidad {chance:.3f} anotada en cada declaración: el "
        "modelo de mañana corrige así el sesgo de mirar solo donde ya se miró."
    )
    _seizure_comes_back(cl, ec, carla=carla, rosa=rosa, today=today, listing=listing, day=last,
                        console=console)  # fmt: skip


def _seizure_comes_back(
    cl: Node,
    ec: Node,
    *,
    carla: Principal,
    rosa: Principal,
    today: pd.DataFrame,
    listing: pd.DataFrame,
    day: date,
    console: Console,
) -> None:
    with cl.sessions() as session:
        known = session.scalar(
            select(Record.id).where(Record.kind == "seizure", Record.label == SEIZURE_REFERENCE)
        )
    if known is None:
        missed = today[~today["declaration_id"].isin(listing["declaration_id"])].iloc[0]
        seizure = {
            "reference": SEIZURE_REFERENCE,
            "date": (day + timedelta(days=19)).isoformat(),
            "country": "CL",
            "place": "Terminal de San Antonio",
            "port": "CLSAI",
            "latitude": -33.59,
            "longitude": -71.62,
            "substance": "cocaína",
            "amount": 412,
            "unit": "kg",
            "concealment": "doble fondo en cajas de banano",
            "transport_mode": "sea",
            "producing_country": "CO",
            "departure_country": "EC",
            "destination_country": "CL",
            "container": str(missed["container_number"]),
        }
        with transaction(cl.sessions) as session:
            records.create_record(
                session,
                node=cl,
                principal=carla,
                kind="seizure",
                data=seizure,
                rules=Rules.model_validate(SEIZURE_RULES),
            )
        console.print(
            f"\n[bold]San Antonio (Chile)[/]: la PDI registra la incautación {SEIZURE_REFERENCE}, "
            f"412 kg de cocaína en el contenedor {seizure['container']}, salido de Guayaquil; "
            "compartida con los miembros de la alianza."
        )
    for report in exchange.sync_all(ec):
        if report.error:
            console.print(f"  sincronización: {report.error}")
    with transaction(ec.sessions) as session:
        proposed = store.propose_links(session, node=ec, principal=rosa)
        pending = list(store.links(session, principal=rosa, status="proposed"))
        for link in pending:
            store.decide_link(session, node=ec, principal=rosa, link_id=link.id, confirm=True)
        confirmed = list(store.links(session, principal=rosa, status="confirmed"))
    console.print(
        f"  Ecuador recibe la incautación por sincronización; el nodo propone "
        f"{len(proposed)} vínculo(s) con sus declaraciones y la analista Rosa Quiñónez los "
        "confirma: la declaración queda etiquetada como hallazgo para el próximo entrenamiento."
    )
    for link in confirmed[:3]:
        console.print_json(
            json.dumps(
                {
                    "declaración": link.declaration_id,
                    "contenedor": link.container_number,
                    "origen": link.seizure_origin,
                    "decidido_por": link.decided_by,
                },
                ensure_ascii=False,
            )
        )
