"""The anchor of ``bench_screen.py``: the node's exact person keys, no fuzzy matching.

A record answers a traveller when ``record_keys`` holds every word of the traveller's names
(``tok:<word>``, ``alianza.records.keys.name_tokens``) and the birth date (``dob:<date>``):
the keys the node already keeps for exact search and hit/no-hit. Online, ``uvicorn anchor:app``
answers a GET over the database named by ``ALIANZA_BENCH_ANCHOR_DB``; in batch,
:func:`exact_batch` applies the same rule to a whole list in one SQL join.
"""

from __future__ import annotations

import functools
import os
import sqlite3
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import Engine, bindparam, create_engine, text

from alianza.records.keys import name_tokens

ONE = text(
    "SELECT d.record_id FROM record_keys d JOIN record_keys t ON t.record_id = d.record_id"
    " WHERE d.key = :dob AND t.key IN :toks GROUP BY d.record_id HAVING count(*) = :n"
    " ORDER BY d.record_id LIMIT 10"
).bindparams(bindparam("toks", expanding=True))
LIST = """
SELECT b.tid, rb.record_id FROM tdob b
JOIN record_keys rb ON rb.key = b.key
JOIN ttok t ON t.tid = b.tid
JOIN record_keys rt ON rt.record_id = rb.record_id AND rt.key = t.key
GROUP BY b.tid, rb.record_id
HAVING count(*) = (SELECT n FROM tn WHERE tn.tid = b.tid)
"""
app = FastAPI()


def keys(given: str, s1: str, s2: str, birth: str) -> tuple[str, list[str]] | None:
    """The birth-date key and the name-word keys of a traveller (None: nothing exact to ask)."""
    toks = sorted({"tok:" + w for w in name_tokens(f"{given} {s1} {s2}")})
    return ("dob:" + birth, toks) if birth and toks else None


@functools.cache
def engine() -> Engine:
    return create_engine(os.environ["ALIANZA_BENCH_ANCHOR_DB"], pool_size=10)


@app.get("/hit")
def hit(given: str = "", s1: str = "", s2: str = "", birth: str = "") -> dict[str, list[str]]:
    asked = keys(given, s1, s2, birth)
    if asked is None:
        return {"records": []}
    with engine().connect() as conn:
        found = conn.execute(ONE, {"dob": asked[0], "toks": asked[1], "n": len(asked[1])})
        return {"records": list(found.scalars())}


def exact_batch(db: Path, rows: list[dict[str, str]]) -> set[tuple[str, str]]:
    """(traveller id, record id) of every exact answer, for a list of contract rows."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    con.executescript(
        "CREATE TEMP TABLE tdob(tid TEXT, key TEXT); CREATE TEMP TABLE ttok(tid TEXT, key TEXT);"
        "CREATE TEMP TABLE tn(tid TEXT PRIMARY KEY, n INTEGER);"
    )
    for r in rows:
        asked = keys(r["given_names"], r["surname_1"], r["surname_2"], r["birth_date"])
        if asked is not None:
            tid = r["record_id"]
            con.execute("INSERT INTO tdob VALUES (?, ?)", (tid, asked[0]))
            con.executemany("INSERT INTO ttok VALUES (?, ?)", [(tid, k) for k in asked[1]])
            con.execute("INSERT INTO tn VALUES (?, ?)", (tid, len(asked[1])))
    con.execute("CREATE INDEX temp.ttok_tid ON ttok(tid, key)")
    found = set(con.execute(LIST))
    con.close()
    return found
