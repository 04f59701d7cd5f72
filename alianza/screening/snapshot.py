"""The watch list kept on disk, so that a serving process starts in seconds (issue 11).

Loading a million persons from the database costs about 20 s: reading the rows, parsing
their stored features, hashing every value. Every serving process pays it, and again at
each restart. So the process that loaded a large list writes it down
(``WatchIndex.state``), and the next one reads it back and catches up with the database
record by record (``WatchIndex.adopt``): a record whose version or rules differ from the
kept ones, or that is new, is read again; one that is gone is dropped. The kept list is
a cache, never a source: what the index holds after ``adopt`` is what a load from the
database would hold.

The file is ``<data_dir>/cache/lista-vigilancia.bin``, 0600 in a 0700 directory: it
holds what the database holds (names, dates of birth, document numbers). It is signed
with the node's key, like everything the node writes. A file that is not this node's,
not of this format or of this code's features (``stored.revision``), or whose signature
fails (edited, truncated, copied from another node) is ignored, and the next save
replaces it. It is written to a temporary file and renamed, so a reader never meets half
of one. An erased person's entry leaves the file at the next save: a process that finds
records gone or changed writes the list again once it has caught up.

Layout: ``MAGIC``, the header's length (8 bytes, little-endian), the header (JSON: format,
node, features revision, version, rules, and each part's name, dtype and shape), each
part's bytes in that order, then the node's Ed25519 signature (hex) of ``_DOMAIN`` and the
SHA-256 of everything before it.

Checked before writing this by hand: NumPy's ``.npz`` (a zip of ``.npy``) cannot hold a
list of strings without pickle, and pickle runs code from the file it reads; Arrow IPC
(pyarrow is installed) would hold the strings, but the parts have a dozen different
lengths (entries, records, each column's distinct values), so a dozen tables, and the
signature would still need a pass of its own over the bytes. Raw NumPy bytes are read
with ``readinto`` straight into their arrays and hashed on the way.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from alianza.identity.features import FEATURE_COLUMNS
from alianza.node.context import Node
from alianza.node.keys import verify
from alianza.screening.index import ListState
from alianza.screening.ladders import NUMERIC, TYPO_WIDTH
from alianza.screening.stored import revision

Array = np.ndarray[Any, Any]
log = logging.getLogger("alianza.screening")

MAGIC = b"alianza lista de vigilancia\n"
FORMAT = 1
_DOMAIN = b"alianza-lista-de-vigilancia-v1\n"  # what the signature covers starts with this
_DTYPES = {"<i8", "<i4", "<i2", "|u1", "|b1"}
_HEADER_MAX = 1 << 24
_SIGNATURE = 128  # hex characters of an Ed25519 signature
_STALE_TMP = 600.0  # seconds after which a temporary file no writer finished is removed


def location(node: Node) -> Path:
    """Where ``node`` keeps its list."""
    return node.settings.data_dir / "cache" / "lista-vigilancia.bin"


def save(node: Node, state: ListState) -> Path:
    """Write ``state`` to ``location(node)``, signed; the path."""
    parts = _parts(state)
    header = orjson.dumps(
        {
            "format": FORMAT,
            "node": node.node_id,
            "revision": revision(),
            "version": state.version,
            "rules": [list(r) for r in state.rules],
            "parts": [[name, a.dtype.str, list(a.shape)] for name, a in parts],
        }
    )
    path = location(node)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    _remove_stale(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".lista-", suffix=".tmp")  # 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            digest = hashlib.sha256()
            for chunk in (MAGIC, len(header).to_bytes(8, "little"), header):
                fh.write(chunk)
                digest.update(chunk)
            for _, array in parts:
                raw = np.ascontiguousarray(array).reshape(-1).view(np.uint8)
                fh.write(raw.data)
                digest.update(raw.data)
            fh.write(node.key.sign(_DOMAIN + digest.digest()).encode())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load(node: Node) -> ListState | None:
    """The list ``node`` kept, or None (no file, or one this node must not trust: the log
    says why)."""
    path = location(node)
    try:
        with path.open("rb") as fh:
            return _read(fh, node)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, IndexError, orjson.JSONDecodeError) as exc:
        log.warning("lista guardada %s ignorada: ilegible (%s)", path, exc)
        return None


class _Refused(Exception):
    """The file is readable but not to be trusted (its message says why)."""


def _read(fh: Any, node: Node) -> ListState | None:
    digest = hashlib.sha256()
    # Never allocate more than the file holds: a header that claims a terabyte is refused
    # before a byte is allocated for it (the signature is checked only at the end).
    left = os.fstat(fh.fileno()).st_size

    def take(n: int) -> bytes:
        nonlocal left
        left -= n
        data = fh.read(n)
        if len(data) != n:
            raise _Refused("archivo truncado")
        digest.update(data)
        return bytes(data)

    try:
        if take(len(MAGIC)) != MAGIC:
            raise _Refused("no es una lista de alianza")
        size = int.from_bytes(take(8), "little")
        if size > _HEADER_MAX:
            raise _Refused("cabecera demasiado grande")
        header = orjson.loads(take(size))
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise _Refused(f"no es del formato {FORMAT}")
        if header.get("node") != node.node_id:
            raise _Refused("es de otro nodo")
        if header.get("revision") != revision():
            raise _Refused("rasgos de otra versión del código")
        arrays: dict[str, Array] = {}
        for name, dtype, shape in header["parts"]:
            if dtype not in _DTYPES or not all(type(k) is int and k >= 0 for k in shape):
                raise _Refused(f"parte {name!r} no válida")
            nbytes = math.prod(shape) * np.dtype(dtype).itemsize
            if nbytes > left - _SIGNATURE:
                raise _Refused("archivo truncado")
            left -= nbytes
            array = np.empty(shape, dtype=np.dtype(dtype))
            raw = array.reshape(-1).view(np.uint8)
            if fh.readinto(raw.data) != raw.size:
                raise _Refused("archivo truncado")
            digest.update(raw.data)
            arrays[str(name)] = array
        signature = fh.read(_SIGNATURE + 1)
        if len(signature) != _SIGNATURE:
            raise _Refused("firma ausente o con datos detrás")
        if not verify(node.key.public_hex, _DOMAIN + digest.digest(), signature.decode()):
            raise _Refused("la firma no es la de este nodo")
        return _state(header, arrays)
    except _Refused as exc:
        log.warning("lista guardada %s ignorada: %s", location(node), exc)
        return None


def _parts(state: ListState) -> list[tuple[str, Array]]:
    parts: list[tuple[str, Array]] = [
        *_strings("record_ids", state.record_ids),
        ("record_versions", np.asarray(state.record_versions, np.int64)),
        ("record_of", np.asarray(state.record_of, np.int32)),
        ("rule_of", np.asarray(state.rule_of, np.int32)),
    ]
    for c in FEATURE_COLUMNS:
        if c in NUMERIC:
            parts.append((f"number:{c}", np.asarray(state.numbers[c], np.int64)))
        else:
            strings, places = state.texts[c]
            parts += _strings(f"text:{c}", strings)
            parts.append((f"places:{c}", np.asarray(places, np.int32)))
    for c in TYPO_WIDTH:
        parts.append((f"chars:{c}", np.asarray(state.chars[c], np.uint8)))
        parts.append((f"lengths:{c}", np.asarray(state.lengths[c], np.int16)))
    return parts


def _strings(name: str, values: list[str]) -> list[tuple[str, Array]]:
    # All values in one UTF-8 text, NUL between them (``str.split`` reads them back ten
    # times faster than slicing at stored offsets). No value holds a NUL (the text gate
    # refuses control characters); should one, or a value that is not text, the list is
    # not kept (ValueError).
    try:
        joined = "\x00".join(values)
    except TypeError as exc:
        raise ValueError(f"{name}: un valor no es texto") from exc
    if joined.count("\x00") != max(len(values) - 1, 0):
        raise ValueError(f"{name}: un valor contiene NUL")
    text = joined.encode("utf-8", "surrogatepass")
    count = np.array([len(values)], np.int64)
    return [(f"{name}.text", np.frombuffer(text, np.uint8)), (f"{name}.count", count)]


def _unstring(arrays: dict[str, Array], name: str) -> list[str]:
    count = arrays[f"{name}.count"]
    if count.shape != (1,) or count[0] < 0:
        raise _Refused(f"textos de {name!r} incoherentes")
    text = arrays[f"{name}.text"].tobytes().decode("utf-8", "surrogatepass")
    values = text.split("\x00") if count[0] else []
    if len(values) != count[0] or (not count[0] and text):
        raise _Refused(f"textos de {name!r} incoherentes")
    return values


def _state(header: dict[str, Any], arrays: dict[str, Array]) -> ListState:
    """The arrays as a ``ListState``, refused unless every number points where it may
    (a signed file of this code always does; the check costs a few milliseconds)."""
    rules = [tuple(str(v) for v in r) for r in header["rules"]]
    record_ids = _unstring(arrays, "record_ids")
    record_of, rule_of = arrays["record_of"], arrays["rule_of"]
    n = len(record_of)
    _within(record_of, 0, len(record_ids), "record_of")
    if n and (record_of[0] != 0 or np.any(np.diff(record_of) < 0)):
        raise _Refused("record_of fuera de orden")
    if (record_of[-1] + 1 if n else 0) != len(record_ids):
        raise _Refused("registros sin entradas")
    _within(rule_of, 0, len(rules), "rule_of")
    if len(arrays["record_versions"]) != len(record_ids) or len(rule_of) != n:
        raise _Refused("longitudes incoherentes")
    numbers: dict[str, Array] = {}
    texts: dict[str, tuple[list[str], Array]] = {}
    for c in FEATURE_COLUMNS:
        if c in NUMERIC:
            numbers[c] = arrays[f"number:{c}"]
            if len(numbers[c]) != n:
                raise _Refused(f"columna {c} incoherente")
            continue
        strings = _unstring(arrays, f"text:{c}")
        places = arrays[f"places:{c}"]
        if len(places) != n:
            raise _Refused(f"columna {c} incoherente")
        _within(places, -1, len(strings), c)
        texts[c] = strings, places
    chars, lengths = {}, {}
    for c, width in TYPO_WIDTH.items():
        chars[c], lengths[c] = arrays[f"chars:{c}"], arrays[f"lengths:{c}"]
        if chars[c].shape != (n, width) or len(lengths[c]) != n:
            raise _Refused(f"columna {c} incoherente")
    return ListState(
        version=int(header["version"]),
        record_ids=record_ids,
        record_versions=arrays["record_versions"],
        record_of=record_of,
        rule_of=rule_of,
        rules=rules,
        numbers=numbers,
        texts=texts,
        chars=chars,
        lengths=lengths,
    )


def _within(values: Array, low: int, high: int, name: str) -> None:
    if len(values) and (int(values.min()) < low or int(values.max()) >= high):
        raise _Refused(f"{name} fuera de rango")


def _remove_stale(directory: Path) -> None:
    """Temporary files of writers that never finished (a process killed mid-save)."""
    now = time.time()
    for tmp in directory.glob(".lista-*.tmp"):
        try:
            if now - tmp.stat().st_mtime > _STALE_TMP:
                tmp.unlink()
        except OSError:
            continue  # another process's, removed or renamed meanwhile
