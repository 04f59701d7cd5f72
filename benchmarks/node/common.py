"""Shared pieces of the node benchmarks: synthetic FtM data, throw-away nodes, results.

The data file is what ``alianza records export --format ftm`` would write for the
project's own synthetic records (``alianza.demo.generator.generate_records``): each record
goes through ``alianza.records.ftm.to_entity``, so the import reads exactly our exchange
format. Files and reusable nodes live under ``/tmp/alianza-bench`` (never in the repo).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import platform
import resource
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy import create_engine, text

from alianza.demo.generator import generate_records
from alianza.records.ftm import read_lines, to_entity
from alianza.records.keys import label
from alianza.records.kinds import validate_data
from alianza.records.rules import RecordKind

CACHE = Path(os.environ.get("ALIANZA_BENCH_CACHE", "/tmp/alianza-bench"))
PG_ADMIN = os.environ.get(
    "ALIANZA_BENCH_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "benchmarks" / "results" / "node.json"
BACKENDS = ("sqlite", "postgresql")
SEED = 2026
COUNTRY, AGENCY = "CL", "PDI"
_NAMESPACE = uuid.UUID("0b6c1f0e-6a53-4c61-8a2e-5f0d7d1f4b21")

# Wide enough for the figures table when the output goes to a file (nohup).
console = Console(width=None if sys.stdout.isatty() else 140)


def progress_bar() -> Progress:
    """The rich progress bar every long phase shows (on stderr, like the CLI's)."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )


# ------------------------------------------------------------------ data


@dataclass(slots=True)
class _Row:
    """The attributes of a ``Record`` that ``to_entity`` reads."""

    id: str
    kind: str
    owner_country: str
    owner_agency: str
    version: int
    label: str


class _View:
    """Stands in for ``RecordView`` so ``to_entity`` runs on a record never stored.

    ``RecordView.as_dict`` decodes JSON columns; here data and rules are already dicts.
    """

    __slots__ = ("_dict", "record")

    def __init__(self, record: _Row, data: dict[str, Any], rules: dict[str, Any]) -> None:
        self.record = record
        self._dict = {"data": data, "rules": rules}

    def as_dict(self) -> dict[str, Any]:
        return self._dict


def source_id(i: int, seed: int = SEED) -> str:
    """The (UUID) id the i-th synthetic record carries in the file."""
    return str(uuid.uuid5(_NAMESPACE, f"{seed}/{i}"))


def entity_lines(n: int, *, seed: int = SEED) -> Iterator[str]:
    """``n`` FtM JSON lines of synthetic records, as ``alianza.records.ftm.write_lines``."""
    for i, g in enumerate(generate_records(n=n, seed=seed, country=COUNTRY)):
        row = _Row(source_id(i, seed), g.kind.value, COUNTRY, AGENCY, 1, label(g.kind, g.data))
        entity = to_entity(_View(row, g.data, g.rules))  # type: ignore[arg-type]
        yield json.dumps(entity, ensure_ascii=False, sort_keys=True) + "\n"


def check_lines(path: Path, *, n: int, seed: int = SEED, every: int = 997) -> int:
    """Parse a sample of the file with ``read_lines`` and compare it with the generator.

    Every ``every``-th line (and the first 1,000) must parse, keep its id, and give back,
    after ``validate_data``, exactly the data the generator made. Returns lines checked.
    """
    wanted: dict[int, tuple[RecordKind, dict[str, Any]]] = {}
    for i, g in enumerate(generate_records(n=n, seed=seed, country=COUNTRY)):
        if i < 1000 or i % every == 0:
            wanted[i] = (g.kind, g.data)
    checked = 0
    with path.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i not in wanted:
                continue
            (item,) = read_lines([line], start=i + 1)
            kind, data = wanted[i]
            if item.kind != kind.value or item.source_id != source_id(i, seed):
                raise SystemExit(f"line {i + 1}: kind/id differ after read_lines")
            back = validate_data(kind, item.data)
            if back != validate_data(kind, data):
                raise SystemExit(f"line {i + 1}: data differs after read_lines\n{back}\n{data}")
            checked += 1
    if checked != len(wanted):
        raise SystemExit(f"{path}: {checked} lines checked, {len(wanted)} expected")
    return checked


def data_file(n: int, *, seed: int = SEED) -> Path:
    """The cached file of ``n`` synthetic FtM entities, written (and checked) if missing."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"entities-{seed}-{n}.ftm.jsonl"
    if path.exists():
        return path
    tmp = path.with_suffix(".partial")
    with progress_bar() as bar, tmp.open("w", encoding="utf-8") as out:
        task = bar.add_task(f"Generando {n:,} entidades FtM", total=n)
        for chunk in _chunks(entity_lines(n, seed=seed), 10_000):
            out.writelines(chunk)
            bar.advance(task, len(chunk))
    checked = check_lines(tmp, n=n, seed=seed)
    console.print(f"{checked:,} líneas de muestra leídas por read_lines sin diferencias.")
    tmp.rename(path)
    return path


def _chunks(items: Iterator[str], size: int) -> Iterator[list[str]]:
    while chunk := list(itertools.islice(items, size)):
        yield chunk


# ------------------------------------------------------------------ databases


def pg_available() -> bool:
    try:
        engine = create_engine(PG_ADMIN)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def pg_create(name: str) -> str:
    """Create database ``name`` (dropping any leftover of that name); return its URL."""
    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def pg_drop(name: str) -> None:
    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def pg_exists(name: str) -> bool:
    engine = create_engine(PG_ADMIN)
    with engine.connect() as conn:
        found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        exists = found.first() is not None
    engine.dispose()
    return exists


def reset_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


# ------------------------------------------------------------------ measuring


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextlib.contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as t: ...`` then ``t[0]`` holds the wall seconds."""
    box = [0.0]
    start = time.perf_counter()
    try:
        yield box
    finally:
        box[0] = time.perf_counter() - start


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


# ------------------------------------------------------------------ results


def machine() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        # Shared machine: the load when the figures were saved says how noisy they are.
        "loadavg_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }


def command_line() -> str:
    script = Path(sys.argv[0]).resolve()
    with contextlib.suppress(ValueError):
        script = script.relative_to(REPO)
    return shlex.join([".venv/bin/python", str(script), *sys.argv[1:]])


def code_version() -> dict[str, Any]:
    """The commit measured, and whether alianza/ or migrations/ differed from it (read-only git)."""

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=REPO, capture_output=True, text=True, check=True
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    dirty = git("status", "--porcelain", "--", "alianza", "migrations")
    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(dirty)}


def save_results(section: str, payload: dict[str, Any]) -> Path:
    """Merge ``payload`` under ``section`` of node.json, keeping every other key.

    Each backend's figures carry their own date, command and commit, so a run on one
    backend updates it and keeps the other backend's last figures as they were.
    """
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    current: dict[str, Any] = {}
    if RESULTS.exists():
        current = json.loads(RESULTS.read_text(encoding="utf-8"))
    stamp = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command_line(),
        **code_version(),
    }
    entry = {**stamp, "machine": machine(), **payload}
    for figures in entry.get("backends", {}).values():
        figures.update(stamp)
    old = current.get(section)
    if isinstance(old, dict) and isinstance(old.get("backends"), dict):
        kept = {}
        for backend, figures in old["backends"].items():
            for key in ("date", "command"):
                figures.setdefault(key, old.get(key))
            kept[backend] = figures
        entry["backends"] = {**kept, **entry.get("backends", {})}
    current[section] = entry
    tmp = RESULTS.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(current, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(RESULTS)
    return RESULTS


def today() -> str:
    return date.today().isoformat()
