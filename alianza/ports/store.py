"""The node's side of port targeting: declarations stored by the port unit that holds
them, seizures linked to them, and the labels a person confirms.

A seizure (recorded here, or a partner's that came through the exchange, for instance
at the destination port) that names a container of one of our declarations is a
*proposed* link; it becomes a label for the risk model only when an analyst confirms
it (``decide_link``), and a rejected link never does. A confirmed seizure counts as an
inspection that found drugs: the label is as sure as one of our own, and the propensity
model of ``model.py`` then treats the row as inspected.

Declarations belong to the agency that imported them: another agency of the same node,
or a partner, never reads them through these functions.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from alianza.audit.service import audit_act
from alianza.auth.permissions import Principal, authorize
from alianza.errors import Conflict, InputError, NotFound
from alianza.node.context import Node
from alianza.ports.contract import HEADER, SCORE_HEADER, Declarations
from alianza.ports.models import PortDeclaration, SeizureLink
from alianza.records.service import iter_visible

#: Hold, import and select declarations; decide which seizure links become labels.
TARGET = "target_containers"
#: A seizure names a container loaded at most this long before it was seized.
LINK_WINDOW_DAYS = 120
_CHUNK = 5_000


@dataclass(slots=True)
class Stored:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    foreign: int = 0  # ids another agency of this node already holds

    def as_dict(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "foreign": self.foreign,
        }


def _mine(principal: Principal) -> Any:
    return and_(
        PortDeclaration.owner_country == principal.country,
        PortDeclaration.owner_agency == principal.agency,
    )


def store_declarations(
    session: Session,
    *,
    node: Node,
    principal: Principal,
    declarations: Declarations,
    progress: Callable[[int], None] | None = None,
) -> Stored:
    """Store the checked rows: new ids inserted; a known id only takes a newly known
    outcome (inspected, illicit); an id another agency holds is left alone and counted.

    The rows are already checked (``contract.py``): they go in as plain tuples through
    the driver's ``executemany``, column lists built once for the whole file. The ORM's
    insert took 55 s for 100,000 rows (a dict and a parameter set built per row), and
    the issue asks for a million in under a minute.
    """
    authorize(principal, TARGET)
    columns = _columns(declarations.frame, labelled=declarations.labelled)
    ids: list[str] = columns["declaration_id"]
    result = Stored()
    now = datetime.now(UTC)
    sqlite = session.get_bind().dialect.name == "sqlite"
    stamp: Any = now.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else now
    names = [*columns, "owner_country", "owner_agency", "imported_at"]
    mark = "?" if sqlite else "%s"
    sql = (
        f"INSERT INTO port_declarations ({', '.join(names)}) "
        f"VALUES ({', '.join([mark] * len(names))})"
    )
    raw = session.connection()
    for start in range(0, len(ids), _CHUNK):
        stop = min(start + _CHUNK, len(ids))
        known = {
            row.declaration_id: row
            for row in session.execute(
                select(
                    PortDeclaration.declaration_id,
                    PortDeclaration.owner_country,
                    PortDeclaration.owner_agency,
                    PortDeclaration.inspected,
                    PortDeclaration.illicit,
                ).where(PortDeclaration.declaration_id.in_(ids[start:stop]))
            )
        }
        owner = (principal.country, principal.agency, stamp)
        rows = zip(
            *(c[start:stop] for c in columns.values()),
            *([v] * (stop - start) for v in owner),
            strict=True,
        )
        if not known:  # the usual case: new declarations only
            new = list(rows)
            raw.exec_driver_sql(sql, new)
            result.created += len(new)
            if progress is not None:
                progress(stop - start)
            continue
        new = []
        for i, row in zip(range(start, stop), rows, strict=True):
            old = known.get(ids[i])
            if old is None:
                new.append(row)
            elif (old.owner_country, old.owner_agency) != (principal.country, principal.agency):
                result.foreign += 1
            elif "inspected" in columns and (old.inspected, old.illicit) != (
                columns["inspected"][i],
                columns["illicit"][i],
            ):
                session.execute(
                    update(PortDeclaration)
                    .where(PortDeclaration.declaration_id == ids[i])
                    .values(
                        inspected=columns["inspected"][i],
                        illicit=columns["illicit"][i],
                        label_source="inspection",
                    )
                )
                result.updated += 1
            else:
                result.unchanged += 1
        if new:
            raw.exec_driver_sql(sql, new)
            result.created += len(new)
        if progress is not None:
            progress(stop - start)
    audit_act(
        session, node, principal, "ports.declarations.import", declarations.name, result.as_dict()
    )
    return result


def _columns(frame: pd.DataFrame, *, labelled: bool) -> dict[str, list[Any]]:
    """The table's columns as Python lists, in the table's types (dates as ISO text,
    which both SQLite's and PostgreSQL's date columns take)."""
    out: dict[str, list[Any]] = {}
    for name in SCORE_HEADER:
        column = frame[name]
        if name == "date":
            out[name] = pd.to_datetime(column).dt.strftime("%Y-%m-%d").tolist()
        elif name in ("gross_weight_kg", "declared_value_usd"):
            out[name] = column.astype("float64").tolist()
        elif name == "booking_lead_days":
            out[name] = column.astype("int64").tolist()
        else:
            out[name] = column.astype("string").fillna("").astype(str).tolist()
    if labelled:
        inspected = frame["inspected"].astype("int64").to_numpy() == 1
        illicit = pd.to_numeric(frame["illicit"], errors="coerce").to_numpy()
        out["inspected"] = inspected.tolist()
        out["illicit"] = [
            (bool(v == 1) if seen and v == v else None)
            for seen, v in zip(inspected.tolist(), illicit.tolist(), strict=True)
        ]
        out["label_source"] = ["inspection" if seen else None for seen in out["inspected"]]
    return out


def stored_frame(
    session: Session,
    *,
    principal: Principal,
    labelled: bool,
    since: date | None = None,
    until: date | None = None,
    with_selection: bool = False,
) -> pd.DataFrame:
    """The agency's declarations as a contract table (``HEADER`` columns when
    ``labelled``, for training; ``SCORE_HEADER`` otherwise), oldest first;
    ``with_selection`` adds ``selection_probability`` (NaN where no selection of ours
    chose the row), for the model's weighting."""
    authorize(principal, TARGET)
    names = [*(HEADER if labelled else SCORE_HEADER)]
    if with_selection:
        names.append("selection_probability")
    columns = [getattr(PortDeclaration, c) for c in names]
    stmt = select(*columns).where(_mine(principal))
    if since is not None:
        stmt = stmt.where(PortDeclaration.date >= since)
    if until is not None:
        stmt = stmt.where(PortDeclaration.date <= until)
    rows = session.execute(stmt.order_by(PortDeclaration.date, PortDeclaration.declaration_id))
    frame = pd.DataFrame(rows.all(), columns=names)
    if with_selection:
        frame["selection_probability"] = frame["selection_probability"].astype("float64")
    frame["date"] = pd.to_datetime(frame["date"])
    if labelled:
        frame["inspected"] = frame["inspected"].fillna(False).astype(int)
        frame["illicit"] = frame["illicit"].map({True: 1.0, False: 0.0})
        frame.loc[frame["inspected"] == 0, "illicit"] = float("nan")
    return frame


def record_selection(
    session: Session, *, node: Node, principal: Principal, chosen: pd.DataFrame, day: date
) -> int:
    """Write on each chosen declaration the day and its probability of being chosen, so a
    later model can weigh today's choice (``selection_probability``)."""
    authorize(principal, TARGET)
    count = 0
    for declaration_id, probability in zip(
        chosen["declaration_id"], chosen["selection_probability"], strict=True
    ):
        done = session.execute(
            update(PortDeclaration)
            .where(_mine(principal), PortDeclaration.declaration_id == str(declaration_id))
            .values(selected_on=day, selection_probability=float(probability))
        )
        count += done.rowcount or 0  # type: ignore[attr-defined]
    audit_act(session, node, principal, "ports.select", day.isoformat(), {"selected": count})
    return count


# --- seizures that name our containers ------------------------------------------------------


def propose_links(session: Session, *, node: Node, principal: Principal) -> list[SeizureLink]:
    """A proposed link for each seizure the principal may see (ours or a partner's) that
    names the container of one of the agency's declarations loaded in the
    ``LINK_WINDOW_DAYS`` before the seizure; existing links are kept as they are."""
    authorize(principal, TARGET)
    now = datetime.now(UTC)
    made: list[SeizureLink] = []
    for view in iter_visible(session, principal=principal, kind="seizure"):
        data = json.loads(view.version.data) if view.version.data else {}
        container = data.get("container")
        if not container:
            continue
        seized = date.fromisoformat(str(data["date"]))
        candidates = session.scalars(
            select(PortDeclaration.declaration_id).where(
                _mine(principal),
                PortDeclaration.container_number == container,
                PortDeclaration.date <= seized,
                PortDeclaration.date >= seized - timedelta(days=LINK_WINDOW_DAYS),
            )
        ).all()
        for declaration_id in candidates:
            exists = session.scalar(
                select(SeizureLink.id).where(
                    SeizureLink.seizure_id == view.record.id,
                    SeizureLink.declaration_id == declaration_id,
                )
            )
            if exists:
                continue
            link = SeizureLink(
                id=str(uuid.uuid4()),
                seizure_id=view.record.id,
                declaration_id=declaration_id,
                container_number=container,
                seizure_origin="local"
                if view.record.origin == node.node_id
                else view.record.origin,
                status="proposed",
                proposed_at=now,
                owner_country=principal.country,
                owner_agency=principal.agency,
            )
            session.add(link)
            made.append(link)
    session.flush()
    audit_act(session, node, principal, "ports.links.propose", "", {"proposed": len(made)})
    return made


def links(
    session: Session, *, principal: Principal, status: str | None = None
) -> Iterator[SeizureLink]:
    """The agency's seizure links, newest first."""
    authorize(principal, TARGET)
    stmt = select(SeizureLink).where(
        SeizureLink.owner_country == principal.country,
        SeizureLink.owner_agency == principal.agency,
    )
    if status is not None:
        if status not in ("proposed", "confirmed", "rejected"):
            raise InputError.at(
                "--status", "estado desconocido; se admite: proposed, confirmed, rejected"
            )
        stmt = stmt.where(SeizureLink.status == status)
    yield from session.scalars(stmt.order_by(SeizureLink.proposed_at.desc(), SeizureLink.id))


def decide_link(
    session: Session,
    *,
    node: Node,
    principal: Principal,
    link_id: str,
    confirm: bool,
    reason: str | None = None,
) -> SeizureLink:
    """A person's decision on a proposed link; a confirmed one labels the declaration."""
    authorize(principal, TARGET)
    link = session.get(SeizureLink, link_id)
    if link is None or (link.owner_country, link.owner_agency) != (
        principal.country,
        principal.agency,
    ):
        raise NotFound(f"No existe el vínculo {link_id}.")
    if link.status != "proposed":
        raise Conflict(f"El vínculo ya fue decidido ({link.status}).")
    if not confirm and not (reason and reason.strip()):
        raise InputError.at("--reason", "rechazar un vínculo exige un motivo")
    link.status = "confirmed" if confirm else "rejected"
    link.decided_by = principal.label
    link.decided_at = datetime.now(UTC)
    link.reason = (reason or "").strip()[:2000] or None
    if confirm:
        session.execute(
            update(PortDeclaration)
            .where(PortDeclaration.declaration_id == link.declaration_id, _mine(principal))
            .values(inspected=True, illicit=True, label_source="seizure")
        )
    session.flush()
    audit_act(
        session,
        node,
        principal,
        "ports.links.confirm" if confirm else "ports.links.reject",
        link.id,
        {"seizure": link.seizure_id, "declaration": link.declaration_id},
    )
    return link
