"""Screening one traveller against the watch list this node may see.

The traveller comes as fields (names, birth date, nationality, document) or as the raw
machine-readable zone of the document in hand. Candidates are ranked by the probability
of the model batch linkage learnt (``scorer.py``), each with an explanation in Spanish
and English. A candidate that is a partner's record is never shown: it becomes a
hit/no-hit query to that partner (step 1 of the exchange), whose answer is a reference
the officer may use in a release request. The audit log keeps who screened and what was
found, not the traveller's data.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from fastapi import FastAPI
from rigour.territories import get_territories
from sqlalchemy import select

from alianza.auth.permissions import Action, Principal, allowed
from alianza.codes.text import clean_text
from alianza.errors import InputError
from alianza.identity.contract import HEADER, check_row
from alianza.identity.defaults import default_model
from alianza.identity.features import features
from alianza.identity.mrz import parse_mrz
from alianza.node.context import Node
from alianza.records.models import Record
from alianza.records.policy import RecordRef
from alianza.screening import ladders, snapshot
from alianza.screening.index import RULE_FIELDS, Entry, WatchIndex
from alianza.screening.scorer import Evidence, Scorer, list_prior, probability

MAX_CANDIDATES = 50
LOOKUP_AT_ONCE = 256  # travellers whose blocks are looked up together
PERSON_QUERY = ("given_names", "surname_1", "surname_2", "birth_date")
FIELDS = HEADER[1:]  # a traveller is a registry row without its record id


@dataclass(slots=True)
class Candidate:
    """One ranked candidate: a record of this node, or a reference at a partner."""

    probability: float
    weight: float
    evidence: list[Evidence]
    record_id: str = ""  # only for this node's own records
    label: str = ""
    partner: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON form for the API."""
        out: dict[str, Any] = {
            "probability": round(self.probability, 4),
            "weight": round(self.weight, 2),
            "explanation": [e.as_dict() for e in self.evidence],
            "explanation_es": explain_text(self.evidence, english=False),
            "explanation_en": explain_text(self.evidence, english=True),
        }
        if self.partner:
            out["partner"] = self.partner
        else:
            out["record_id"] = self.record_id
        return out


@dataclass(slots=True)
class Screening:
    """The answer to one traveller."""

    traveller: dict[str, str]
    candidates: list[Candidate]
    document_checks: list[str] = field(default_factory=list)  # failed MRZ/ID check digits


# The screening domain's action: check a traveller or a passenger list against the list.
SCREEN = "screen"
TF_MIN_ENTRIES = 10_000
MATCH = 0.5  # probability from which a partner's person query is answered HIT
log = logging.getLogger("alianza.screening")


class Screener:
    """The watch list and the model of one node (one per serving process)."""

    #: A load that reads at least this many records writes the list down (``snapshot.py``)
    #: for the next process; a smaller list loads from the database in under a second.
    KEEP_AT = 50_000
    #: Once kept, the list is written again this long (seconds) after a change at most:
    #: a person erased or corrected leaves the file within this time, and a busy node
    #: rewrites it (a few seconds of one core for a million persons) at most this often.
    KEEP_EVERY = 600.0

    def __init__(self, node: Node, *, model: dict[str, Any] | None = None) -> None:
        self.node = node
        self.index = WatchIndex()
        self.keep_at = self.KEEP_AT
        self.keep_every: float | None = self.KEEP_EVERY  # None: only at a large load
        self.kept: float | None = None  # when (monotonic) this process last kept or adopted
        self._guard = threading.Lock()
        self._timer: threading.Timer | None = None
        self.cache: dict[str, Any] = {}  # derived tables, keyed by index version
        self.model = model or default_model()
        self.scorer = Scorer(self.model)
        # False: every pair found is weighed in full (``ladders.walk_many``), the reference
        # the tests hold the pruned walk (``ladders.walk_above``) to.
        self.prune = True

    def refresh(self) -> int:
        """Catch the index up with the database (records changed since the last call).

        The first call starts from the list a process of this node kept on disk, when
        there is one it can trust (``snapshot.py``); a call that read many records, or
        found the kept list behind the database, writes it down again, and any other
        change has it written again within ``keep_every``.
        """
        adopted = False
        count = 0
        if self.index.version < 0:
            with self._guard:
                if self.index.version < 0:
                    started = time.perf_counter()
                    kept = snapshot.load(self.node)
                    if kept is not None:
                        with self.node.reads() as session:
                            count = self.index.adopt(kept, session)
                        adopted = True
                        self.kept = time.monotonic()
                        log.info(
                            "lista de vigilancia: %s entradas del archivo guardado en %.1f s, "
                            "%s registros releídos o retirados",
                            f"{len(kept.record_of):,}", time.perf_counter() - started, count,
                        )  # fmt: skip
        with self.node.reads() as session:
            count += self.index.refresh(session)
        if count and (count >= self.keep_at or adopted):
            self.keep()
        elif count and self.kept is not None:
            self._keep_soon()
        return count

    def keep(self) -> None:
        """Write the list down for the next process (``snapshot.py``); a failure to write
        is logged, never raised: screening goes on from memory."""
        try:
            snapshot.save(self.node, self.index.state())
        except (OSError, ValueError) as exc:
            log.warning("lista de vigilancia no guardada: %s", exc)
        else:
            self.kept = time.monotonic()

    def close(self) -> None:
        """Cancel a rewrite of the kept list that is still waiting."""
        with self._guard:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def _keep_soon(self) -> None:
        with self._guard:
            if self._timer is not None or self.keep_every is None:
                return
            waited = time.monotonic() - (self.kept or 0.0)
            self._timer = threading.Timer(max(0.0, self.keep_every - waited), self._keep_now)
            self._timer.daemon = True
            self._timer.start()

    def _keep_now(self) -> None:
        with self._guard:
            self._timer = None
        try:
            # Caught up first: a record erased by another process since the last screening
            # must not be written again.
            with self.node.reads() as session:
                self.index.refresh(session)
        except Exception:  # a timer thread: the log, never a crash (the next change retries)
            log.exception("lista de vigilancia no guardada")
            return
        self.keep()

    def rank(
        self,
        traveller: dict[str, str],
        *,
        allowed: Callable[[Entry], bool],
        limit: int = 10,
        min_probability: float = 0.01,
    ) -> list[tuple[Candidate, Entry]]:
        """Best entries first (one per record), among those ``allowed(entry)`` accepts.

        ``allowed`` must judge an entry by its rules alone (origin, owner, scope,
        discoverability, handling code), never by its features or record id: it is asked
        once per distinct set of rules among the candidates, not once per entry.
        """
        [found] = self.rank_many(
            [traveller], allowed=allowed, limit=limit, min_probability=min_probability
        )
        return found

    def rank_many(
        self,
        travellers: list[dict[str, str]],
        *,
        allowed: Callable[[Entry], bool],
        limit: int = 10,
        min_probability: float = 0.01,
    ) -> list[list[tuple[Candidate, Entry]]]:
        """``rank`` for each traveller, with one look at the records for all of them."""
        limit = min(limit, MAX_CANDIDATES)
        permitted: dict[int, bool] = {}
        shortlists: list[list[tuple[float, list[int], Entry]]] = []
        index = self.index
        queries = [features({"record_id": "?", **traveller}) for traveller in travellers]
        for start in range(0, len(queries), LOOKUP_AT_ONCE):
            chunk = queries[start : start + LOOKUP_AT_ONCE]
            # A few hundred travellers are looked up and weighed in one NumPy pass (one by
            # one, NumPy's cost per call was most of the time). The lock is held for one
            # chunk (some tens of milliseconds), so a refresh or another officer's search
            # waits at most that long, and the chunk sees one version of the list.
            with index.lock:
                if len(chunk) > 1:
                    found = index.positions_many(chunk)
                else:
                    found = [index.positions(query) for query in chunk]
                # How common a name is, measured on a short list, says nothing of how
                # common it is among travellers: term frequencies count only on a list
                # of some size.
                frequency = index.frequency if len(index) >= TF_MIN_ENTRIES else None
                prior = list_prior(self.scorer.prior, len(index))
                for ranked in self._best_many(
                    chunk,
                    found,
                    allowed=allowed,
                    permitted=permitted,
                    frequency=frequency,
                    prior=prior,
                    keep=3 * limit,
                    floor=min_probability,
                ):
                    shortlists.append(
                        [
                            (weight, reached, index.entry(position))
                            for weight, reached, position in ranked
                            if probability(weight) >= min_probability
                        ]
                    )
        current = self.confirm([entry for shortlist in shortlists for _, _, entry in shortlist])
        shown: dict[tuple[str, ...], bool] = {}  # ``allowed`` of each set of rules met
        out = []
        for shortlist in shortlists:
            found_here = []
            for weight, reached, entry in shortlist:
                fresh = current.get(entry.record_id)
                if fresh is None:
                    continue
                rules = tuple(getattr(fresh, name) for name in RULE_FIELDS)
                may_see = shown.get(rules)
                if may_see is None:
                    may_see = shown[rules] = bool(allowed(fresh))
                if not may_see:
                    continue
                if fresh.features is not entry.features:  # another traveller's entry
                    fresh = dataclasses.replace(fresh, features=entry.features)
                evidence = self.scorer.explain(reached)
                found_here.append((Candidate(probability(weight), weight, evidence), fresh))
                if len(found_here) == limit:
                    break
            out.append(found_here)
        return out

    def _best_many(
        self,
        queries: list[dict[str, Any]],
        found: list[Any],
        *,
        allowed: Callable[[Entry], bool],
        permitted: dict[int, bool],
        frequency: Callable[[str, str], float] | None,
        prior: float,
        keep: int,
        floor: float,
    ) -> list[list[tuple[float, list[int], int]]]:
        """For each traveller, (weight, levels, position) of the best entry of each of the
        ``keep`` best records, best first (ties: by record id), among the live entries
        ``found`` for it that ``allowed`` accepts; records below ``floor`` (a probability)
        may be left out."""
        index = self.index
        sizes = np.fromiter(map(len, found), dtype=np.int64, count=len(found))
        out: list[list[tuple[float, list[int], int]]] = [[] for _ in queries]
        if not sizes.sum():
            return out
        positions = np.concatenate(found).astype(np.int64, copy=False)
        owner = np.repeat(np.arange(len(queries)), sizes)
        live = index.alive[positions]  # forgotten since the lookup
        # The access rules, asked once per distinct set of rules (``rank``'s contract).
        rules = index.rule_of[positions]
        kinds, first, inverse = np.unique(rules, return_index=True, return_inverse=True)
        ok = np.zeros(len(kinds), dtype=bool)
        for k, (rule, at) in enumerate(zip(kinds.tolist(), first.tolist(), strict=True)):
            shown = permitted.get(rule)
            if shown is None:
                shown = permitted[rule] = bool(allowed(index.entry(int(positions[at]))))
            ok[k] = shown
        keep_pairs = live & ok[inverse.reshape(-1)]
        positions, owner = positions[keep_pairs], owner[keep_pairs]
        if not len(positions):
            return out

        found_at = positions  # ``positions`` is narrowed below; ``at`` counts in these

        def text(column: str, at: Any) -> list[Any]:
            return index.text(column, found_at[at])

        # Only pairs that may reach ``floor`` go on (a margin for the rounding of the
        # probability's own formula; the exact test is the caller's).
        least = math.log2(floor / (1.0 - floor)) - 1e-6 if 0 < floor < 1 else None
        columns = ladders.Columns(index.codes, positions, index.chars, index.lengths)
        if least is None or not self.prune:
            weights, levels = ladders.walk_many(
                self.scorer, queries, owner, columns, text=text, frequency=frequency, prior=prior
            )
        else:
            # The pairs that cannot reach ``least`` are left out before they are weighed
            # in full; the others come back weighed exactly as ``walk_many`` weighs them.
            rows, weights, levels = ladders.walk_above(
                self.scorer,
                queries,
                owner,
                columns,
                text=text,
                frequency=frequency,
                prior=prior,
                floor=least,
            )
            positions, owner = positions[rows], owner[rows]
        if least is not None:
            kept = np.flatnonzero(weights >= least)
            positions, owner, weights = positions[kept], owner[kept], weights[kept]
            levels = levels[:, kept]
        # Each record's best entry (the first in position among equal weights), then the
        # records by weight; ties broken by record id, as the list of entries did.
        records = index.record_of[positions]
        order = np.lexsort((positions, -weights, records, owner))
        firsts = np.ones(len(order), dtype=bool)
        firsts[1:] = (records[order][1:] != records[order][:-1]) | (
            owner[order][1:] != owner[order][:-1]
        )
        best = order[firsts]
        best = best[np.lexsort((-weights[best], owner[best]))]
        bounds = np.searchsorted(owner[best], np.arange(len(queries) + 1))
        for t in np.flatnonzero(np.diff(bounds)).tolist():
            mine = best[bounds[t] : bounds[t + 1]]
            if len(mine) > keep:
                mine = mine[weights[mine] >= weights[mine[keep - 1]]]
            ranked = sorted(
                ((float(weights[i]), index.record_id(int(positions[i])), i) for i in mine.tolist()),
                key=lambda r: (-r[0], r[1]),
            )
            out[t] = [(w, levels[:, i].tolist(), int(positions[i])) for w, _, i in ranked[:keep]]
        return out

    def confirm(self, entries: list[Entry]) -> dict[str, Entry]:
        """The entries whose records still exist, with the rules the database holds now.

        The index follows new versions; a partner's retraction or an erasure changes a
        record without one, so what is about to be shown is checked against the records
        themselves, and what is gone leaves the index too.
        """
        ids = sorted({e.record_id for e in entries})
        rows: dict[str, Any] = {}
        with self.node.reads() as session:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                rows.update(
                    (row.id, row) for row in session.execute(_RULES.where(Record.id.in_(chunk)))
                )
        out: dict[str, Entry] = {}
        for entry in entries:
            row = rows.get(entry.record_id)
            if row is None or row.deleted or row.kind != "person":
                self.index.forget(entry.record_id)
                continue
            out[entry.record_id] = dataclasses.replace(
                entry,
                owner_country=row.owner_country,
                owner_agency=row.owner_agency,
                scope=row.scope,
                scope_countries=row.scope_countries,
                discoverable=row.discoverable,
                discoverable_countries=row.discoverable_countries,
                handling_code=row.handling_code,
            )
        return out


_RULES = select(
    Record.id,
    Record.deleted,
    Record.kind,
    Record.owner_country,
    Record.owner_agency,
    Record.scope,
    Record.scope_countries,
    Record.discoverable,
    Record.discoverable_countries,
    Record.handling_code,
)


def visible_to(principal: Principal) -> Callable[[Entry], bool]:
    """Whether ``principal`` may see an entry's record (its scope and agency)."""

    def visible(entry: Entry) -> bool:
        return allowed(principal, Action.READ, _ref(entry))

    return visible


def _ref(entry: Entry) -> RecordRef:
    return RecordRef(
        kind="person",
        owner_country=entry.owner_country,
        owner_agency=entry.owner_agency,
        scope=entry.scope,
        scope_countries=entry.scope_countries,
        discoverable=entry.discoverable,
        discoverable_countries=entry.discoverable_countries,
    )


def traveller_from(
    values: dict[str, str | None], *, mrz: str | None = None
) -> tuple[dict[str, str], list[str]]:
    """Contract fields of a traveller (fields, or a raw MRZ filling the empty ones)."""
    # The one text gate first (control characters, bidi overrides, lone surrogates), as
    # for every other entry point; the contract's checks then judge the values.
    row = {k: clean_text(values.get(k) or "", field=k) for k in FIELDS}
    failed: list[str] = []
    if mrz:
        zone = parse_mrz(mrz)
        failed = [f"MRZ: dígito de control de {name} no verifica" for name in zone.failed_checks]
        from_mrz = {
            "given_names": zone.given_names,
            "surname_1": zone.surnames,
            "birth_date": zone.birth_date,
            "sex": zone.sex,
            "nationality": alpha2(zone.nationality),
            "document_type": "PASSPORT" if zone.document_code.startswith("P") else "",
            "document_number": zone.document_number,
        }
        row = {k: row[k] or from_mrz.get(k, "") for k in FIELDS}
    if not (row["given_names"] or row["surname_1"] or row["document_number"]):
        raise InputError.at("traveller", "indique al menos un nombre, un apellido o un documento")
    problem = check_row({"record_id": "viajero", **row}, seen=set(), row=1)
    if problem is not None:
        raise InputError.at(problem.field, problem.reason)
    return row, failed


@functools.cache
def _alpha3() -> dict[str, str]:
    return {t.alpha3.upper(): t.code.upper() for t in get_territories() if t.alpha3}


def alpha2(code: str) -> str:
    """ISO alpha-2 of an MRZ nationality (alpha-3, or ICAO's D for Germany); '' if unknown."""
    code = code.strip("<").upper()
    if code == "D":
        return "DE"
    return _alpha3().get(code, "")


def explain_text(evidence: list[Evidence], *, english: bool) -> str:
    """One line: what agreed, what differed, what was missing."""
    return _explain_text(tuple(evidence), english)


@functools.lru_cache(maxsize=4096)
def _explain_text(evidence: tuple[Evidence, ...], english: bool) -> str:
    # A list of travellers meets the same few explanations again and again.
    groups: dict[str, list[str]] = {"agrees": [], "differs": [], "missing": []}
    for e in evidence:
        name = e.field_en if english else e.field
        level = e.level_en if english else e.level
        groups[e.status].append(name if e.status == "missing" else f"{name} ({level})")
    titles = (
        {"agrees": "agrees", "differs": "differs", "missing": "missing"}
        if english
        else {"agrees": "coincide", "differs": "difiere", "missing": "falta"}
    )
    return "; ".join(f"{titles[s]}: {', '.join(v)}" for s, v in groups.items() if v)


class IdentityMatcher:
    """The exchange's person matcher: this node's own records the asking peer may discover."""

    def __init__(self, screener: Screener) -> None:
        self.screener = screener

    def candidates(
        self,
        session: Any,
        query: Any,
        *,
        node_id: str,
        peer_country: str,
        peer_agency: str,
        judicial: bool,
    ) -> list[tuple[str, str]]:
        """(record id, "person") of own records at or above ``MATCH``, best first."""
        self.screener.refresh()
        traveller = dict.fromkeys(FIELDS, "") | {
            "given_names": query.given_names,
            "surname_1": query.surname_1,
            "surname_2": query.surname_2,
            "birth_date": query.birth_date,
        }

        peer = Principal.peer(node_id="", country=peer_country, agency=peer_agency)

        def offered(entry: Entry) -> bool:
            if entry.origin != node_id or (judicial and entry.handling_code == "H1"):
                return False
            return allowed(peer, Action.DISCOVER, _ref(entry))

        found = self.screener.rank(traveller, allowed=offered, limit=10, min_probability=MATCH)
        return [(entry.record_id, "person") for _, entry in found]


def attach(app: FastAPI, node: Node) -> None:
    """The screening domain's start-up hook: the watch list, and the person matcher that
    partners' hit/no-hit queries use."""
    screener = Screener(node)
    app.state.screener = screener
    app.state.person_matcher = IdentityMatcher(screener)
