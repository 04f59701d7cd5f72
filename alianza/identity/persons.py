"""Clusters of records into persons, with person ids that stay put.

Splink's clustering (connected components over the pairs above the threshold) names each
cluster after one of its record ids, which changes when a record with a smaller id joins.
Users of every linkage tool ask for ids that survive re-runs and additions, so the id is
decided here:

* a cluster whose records already had person ids (``previous``, the last run's output)
  keeps the id most of them had, ties to the smallest; when a person splits, the larger
  part keeps the id and the other part gets a new one;
* a new cluster gets ``P-`` and 12 hex digits of the SHA-256 of its smallest record id:
  the same data gives the same ids on every run, with or without ``previous``.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping


def components(ids: Iterable[str], pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Record id -> representative (the smallest id of its connected component)."""
    # Union-find by hand: Splink's clustering needs the linker's database round trip and
    # names clusters the same way; networkx would add a dependency for twenty lines.
    parent: dict[str, str] = {i: i for i in ids}

    def find(x: str) -> str:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            if rb < ra:
                ra, rb = rb, ra
            parent[rb] = ra
    return {i: find(i) for i in parent}


def person_ids(
    clusters: Mapping[str, str], *, previous: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Record id -> stable person id, given record id -> cluster and the last assignment."""
    members: dict[str, list[str]] = {}
    for record, cluster in clusters.items():
        members.setdefault(cluster, []).append(record)
    previous = previous or {}
    claims: list[tuple[int, str, str, str]] = []  # (-votes, smallest record, cluster, id)
    for cluster, records in members.items():
        votes = Counter(previous[r] for r in records if r in previous)
        for pid, n in votes.items():
            claims.append((-n, min(records), cluster, pid))
    claims.sort(key=lambda c: (c[0], c[3], c[1]))
    named: dict[str, str] = {}
    taken: set[str] = set()
    for _, _, cluster, pid in claims:
        if cluster not in named and pid not in taken:
            named[cluster] = pid
            taken.add(pid)
    taken |= set(previous.values())
    out: dict[str, str] = {}
    for cluster, records in sorted(members.items(), key=lambda kv: min(kv[1])):
        pid = named.get(cluster) or _new_id(min(records), taken)
        taken.add(pid)
        for record in records:
            out[record] = pid
    return out


def _new_id(seed: str, taken: set[str]) -> str:
    salt = 0
    while True:
        text = seed if salt == 0 else f"{seed}#{salt}"
        pid = "P-" + hashlib.sha256(text.encode()).hexdigest()[:12].upper()
        if pid not in taken:
            return pid
        salt += 1
