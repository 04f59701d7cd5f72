"""The day's inspection list on the node, as the console shows it.

The same steps as ``alianza ports declarations select``: the agency's stored declarations
of one day (``store.stored_frame``), scored by the node's model, chosen under a budget
with a seeded exploration share (``selection.choose``, seeded by the day so the list a
person sees is the list they fix), each with its explanations
(``commands.inspection_list``: LightGBM's own contributions). The model is the one the
demo and ``ports declarations train --model <data_dir>/modelo-puertos`` leave in the
node's directory. Looking at the list is audited; fixing it (``fix_list``) writes each
chosen declaration's selection probability, as the command does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alianza.audit.service import audit_act
from alianza.auth.permissions import Principal, authorize
from alianza.node.context import Node
from alianza.ports import store
from alianza.ports.models import PortDeclaration

if TYPE_CHECKING:  # LightGBM, scikit-learn and SciPy (135 MiB) load with the model, not the app
    from alianza.ports.model import RiskModel

MODEL_DIR = "modelo-puertos"
BUDGET = 0.05
EXPLORE = 0.1
SHOWN = 200  # rows of the list on one page (a day at Guayaquil selects about 30)


@dataclass(slots=True)
class DayList:
    """One day's list: how many declarations, which are chosen and why."""

    day: date | None
    declarations: int = 0
    ports: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    model: bool = True  # False: the node has no model yet
    recorded: int = 0  # declarations of the day a fixed list already chose


def model_dir(node: Node) -> Path:
    """Where the node keeps the port unit's model."""
    return node.settings.data_dir / MODEL_DIR


@cache
def _load(path: str, stamp: float) -> RiskModel:
    from alianza.ports.model import load

    return load(Path(path))


def _model(node: Node) -> RiskModel | None:
    meta = model_dir(node) / "meta.json"
    if not meta.exists():
        return None
    return _load(str(meta.parent), meta.stat().st_mtime)


def _latest(session: Session, principal: Principal) -> date | None:
    found: date | None = session.scalar(
        select(func.max(PortDeclaration.date)).where(store._mine(principal))
    )
    return found


def _compute(
    session: Session,
    *,
    node: Node,
    principal: Principal,
    day: date | None,
    port: str | None,
    budget: float,
    explore: float,
) -> tuple[DayList, Any]:
    import numpy as np

    from alianza.ports.commands import inspection_list, score_rows
    from alianza.ports.selection import choose

    choose(np.zeros(1), budget=budget, explore=explore, seed=0)  # checks the options
    when = day or _latest(session, principal)
    out = DayList(day=when)
    if when is None:
        return out, None
    frame = store.stored_frame(session, principal=principal, labelled=False, since=when, until=when)
    out.ports = sorted(set(frame["port"]))
    if port:
        frame = frame[frame["port"] == port].reset_index(drop=True)
    out.declarations = len(frame)
    out.recorded = (
        session.scalar(
            select(func.count())
            .select_from(PortDeclaration)
            .where(store._mine(principal), PortDeclaration.selected_on == when)
        )
        or 0
    )
    model = _model(node)
    if model is None:
        out.model = False
        return out, None
    if frame.empty:
        return out, None
    features, risk = score_rows(model, frame, quiet=True)
    chosen = choose(risk, budget=budget, explore=explore, seed=when.toordinal())
    listing = inspection_list(model, frame, features, risk, chosen)
    out.rows = [
        {
            "declaration_id": r["declaration_id"],
            "port": r["port"],
            "container_number": r["container_number"],
            "exporter_id": r["exporter_id"],
            "destination_port": r["destination_port"],
            "risk": float(r["risk"]),
            "rank": int(r["rank"]),
            "selected_by": r["selected_by"],
            "reasons": [r[f"explanation_{i}"] for i in (1, 2, 3) if r[f"explanation_{i}"]],
        }
        for r in listing.head(SHOWN).to_dict("records")
    ]
    return out, listing


def inspections(
    session: Session,
    *,
    node: Node,
    principal: Principal,
    day: date | None = None,
    port: str | None = None,
    budget: float = BUDGET,
    explore: float = EXPLORE,
) -> DayList:
    """The list of ``day`` (the agency's latest day with declarations by default)."""
    authorize(principal, store.TARGET)
    out, _ = _compute(
        session,
        node=node,
        principal=principal,
        day=day,
        port=port,
        budget=budget,
        explore=explore,
    )
    target = out.day.isoformat() if out.day else ""
    audit_act(
        session,
        node,
        principal,
        "ports.inspections",
        target,
        {"port": port or "", "declarations": out.declarations, "listed": len(out.rows)},
    )
    return out


def fix_list(
    session: Session,
    *,
    node: Node,
    principal: Principal,
    day: date,
    port: str | None = None,
    budget: float = BUDGET,
    explore: float = EXPLORE,
) -> int:
    """Fix the day's list: each chosen declaration keeps its selection probability
    (``store.record_selection``, audited there)."""
    authorize(principal, store.TARGET)
    _, listing = _compute(
        session,
        node=node,
        principal=principal,
        day=day,
        port=port,
        budget=budget,
        explore=explore,
    )
    if listing is None:
        return 0
    return store.record_selection(session, node=node, principal=principal, chosen=listing, day=day)
