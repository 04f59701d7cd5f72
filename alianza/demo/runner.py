"""``alianza demo``: a Chilean PDI node with synthetic records, its users and its API.

The node lives in ``--dir`` (default ``./demo-node``) and is reused on the next run, so
stopping the demo loses nothing; delete the directory to start again.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from alianza.auth import service as auth
from alianza.db import transaction
from alianza.demo.generator import generate_records
from alianza.node.context import Node, open_node
from alianza.node.service import init_node
from alianza.records import service as records
from alianza.records.importer import ImportItem, import_items
from alianza.settings import Settings

DEMO_PASSWORD = "alianza-demo-2026"  # synthetic node on loopback only; printed on purpose

# (username, full name, agency, role)
DEMO_USERS = [
    ("admin", "Administración del nodo", "PDI", "administrator"),
    ("ana.rojas", "Ana Rojas Fuentes", "PDI", "analyst"),
    ("diego.soto", "Diego Soto Lagos", "PDI", "supervisor"),
    ("bruno.chacalluta", "Bruno Araya Muñoz", "PDI", "border_officer"),
    ("carla.puerto", "Carla Vera Núñez", "PDI", "port_analyst"),
    ("elena.retorno", "Elena Paredes Díaz", "PDI", "caseworker"),
    ("felipe.carabineros", "Felipe Contreras Vidal", "Carabineros", "analyst"),
]


def _populate(node: Node, *, n: int, console: Console) -> None:
    with transaction(node.sessions) as session:
        for username, name, agency, role in DEMO_USERS:
            auth.add_user(
                session,
                username=username,
                full_name=name,
                country="CL",
                agency=agency,
                role=role,
                password=DEMO_PASSWORD,
            )
            records.audit_act(session, node, "consola", "user.add", username, {"role": role})
    batches = [("ana.rojas", n, 2026), ("felipe.carabineros", max(n // 5, 1), 2027)]
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        for username, count, seed in batches:
            with node.sessions() as session:
                principal = auth.principal_of(auth.get_user(session, username))
            task = progress.add_task(f"Registros de {principal.agency}", total=count)
            items = (
                ImportItem(
                    where=f"registro sintético {i}",
                    kind=g.kind.value,
                    data=g.data,
                    rules=g.rules,
                    source_id=f"demo-{seed}-{i}",
                )
                for i, g in enumerate(generate_records(n=count, seed=seed, country="CL"))
            )

            def advance(k: int, t: TaskID = task) -> None:
                progress.advance(t, k)

            with transaction(node.sessions) as session:
                import_items(
                    session,
                    node=node,
                    principal=principal,
                    items=items,
                    source="demo",
                    progress=advance,
                )


def run_demo(*, data_dir: Path, port: int, n: int, serve: bool, console: Console) -> None:
    """Create (or reopen) the demo node, print how to use it, serve its API until Ctrl-C."""
    settings = Settings(data_dir=data_dir, port=port)
    if settings.key_path.exists():
        node = open_node(settings)
        console.print(
            f"Reutilizando el nodo de demostración en {data_dir} (bórrelo para empezar de cero)."
        )
    else:
        console.print(f"Creando un nodo de demostración de la PDI (Chile) en {data_dir} ...")
        node = init_node(settings, country="CL", agency="PDI")
        _populate(node, n=n, console=console)
    with node.sessions() as session:
        counts = records.count_records(session)
    table = Table("tipo de registro", "cantidad", title=f"Nodo {node.node_id} · PDI (CL)")
    for kind, count in sorted(counts.items()):
        table.add_row(kind, f"{count:,}")
    console.print(table)
    users = Table("usuario", "rol", "institución")
    tokens = []
    with transaction(node.sessions) as session:
        for username, _, agency, role in DEMO_USERS:
            user = auth.get_user(session, username)
            token, _ = auth.issue_token(session, user=user, ttl_days=30)
            records.audit_act(session, node, "consola", "user.token", username, {"days": 30})
            users.add_row(username, role, agency)
            tokens.append(f"  {username:<20} {token}")
    console.print(users)
    console.print("Tokens de API (vigentes 30 días):")
    for line in tokens:
        console.print(line, soft_wrap=True, highlight=False)
    base = f"http://127.0.0.1:{port}"
    console.print(f"Contraseña de todos los usuarios de demostración: [bold]{DEMO_PASSWORD}[/]")
    console.print("Ejemplos:")
    login = (
        f"  curl -s -X POST {base}/api/v1/auth/token -H 'content-type: application/json' "
        f'-d \'{{"username":"ana.rojas","password":"{DEMO_PASSWORD}"}}\''
    )
    console.print(login, soft_wrap=True, highlight=False)
    console.print(
        f"  curl -s '{base}/api/v1/records?q=gonzalez' -H 'authorization: Bearer TOKEN'",
        soft_wrap=True,
        highlight=False,
    )
    console.print(f"  alianza audit verify --dir {data_dir}")
    if not serve:
        return
    import uvicorn

    from alianza.app import create_app

    console.print(f"API en {base}/docs · Ctrl-C para detener.")
    uvicorn.run(create_app(node=node), host="127.0.0.1", port=port, log_level="warning")
