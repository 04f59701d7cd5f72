"""Evaluate a whole APPLICATIONS.csv at once: each condition is one pass of numpy over
the file's columns, and each distinct verdict is written once.

A condition's tree (``language``) becomes array operations on the columns: dates as day
numbers, ``true/false`` as 1/0/-1 (-1: empty), code lists as bit masks, countries as
short strings. Each comparison yields two masks, *true* and *false*; a row in neither is
undecided (an empty cell), and ``and``/``or``/``not`` combine the masks by Kleene's
rules. A row's states (met, failed, undecided for each condition) and its protection
flags fit in one 64-bit key. A file of 300,000 applications holds a few hundred
distinct keys, and the explanation, the outcome and ``failed_conditions`` are written
once per key (``explain.Explainer``) and shared by every row that has it: the
explanation of every application is complete, it is simply not composed 300,000 times.

``naive.evaluate`` interprets the same trees row by row; the tests hold both to the same
results, and the benchmark times one against the other.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from alianza.corridor.blocks import Block, is_protection_block, member_blocks
from alianza.status.contract import Applications, code_bits, codes_of
from alianza.status.explain import FAILED, MET, UNKNOWN, Explainer, Results
from alianza.status.language import EVALUATION_DATE, Compare, Const, Field, Junction, Kind, Node
from alianza.status.language import Not as NotNode
from alianza.status.language import Years as YearsNode
from alianza.status.rules import Programme, Version

Mask = npt.NDArray[np.bool_]
_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_EPOCH = date(1970, 1, 1).toordinal()


class Columns:
    """The applications' columns as numpy arrays, converted when a rule first reads them."""

    def __init__(self, apps: Applications) -> None:
        self.apps = apps
        self.n = len(apps)
        self.cache: dict[str, tuple[Any, Any]] = {}

    def value(self, name: str) -> tuple[Any, Any]:
        """(values, known) of a field."""
        if name == EVALUATION_DATE:
            return self.apps.on.toordinal(), True
        found = self.cache.get(name)
        if found is None:
            found = self.cache[name] = self._convert(name)
        return found

    def _convert(self, name: str) -> tuple[Any, Any]:
        apps, n = self.apps, self.n
        if name in apps.dates:
            ordinals = np.fromiter(
                (0 if d is None else d.toordinal() for d in apps.dates[name]), np.int64, n
            )
            return ordinals, ordinals > 0
        if name in apps.bools:
            flags = np.fromiter((-1 if b is None else int(b) for b in apps.bools[name]), np.int8, n)
            return flags, flags >= 0
        if name in apps.codes:
            return np.fromiter(apps.codes[name], np.int64, n), True
        if name in apps.texts:
            texts = np.asarray(apps.texts[name], dtype=str)
            return texts, texts != ""
        raise KeyError(name)  # the contract requires every column a rule reads


def _ymd(ordinals: Any) -> tuple[Any, Any]:
    """(year, month * 100 + day) of day numbers, one or an array."""
    if isinstance(ordinals, int):
        day = date.fromordinal(max(ordinals, 1))
        return day.year, day.month * 100 + day.day
    days = (ordinals - _EPOCH).astype("datetime64[D]")
    months = days.astype("datetime64[M]")
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day_of_month = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    return years, month * 100 + day_of_month


def _value(node: Node, cols: Columns) -> tuple[Any, Any]:
    if isinstance(node, Field):
        return cols.value(node.name)
    if isinstance(node, Const):
        if node.kind is Kind.DATE:
            assert isinstance(node.value, date)
            return node.value.toordinal(), True
        if node.kind is Kind.BOOL:
            return int(bool(node.value)), True
        return node.value, True
    if isinstance(node, YearsNode):
        start, start_known = _value(node.start, cols)
        end, end_known = _value(node.end, cols)
        y0, md0 = _ymd(start)
        y1, md1 = _ymd(end)
        return y1 - y0 - (md1 < md0), start_known & end_known
    raise TypeError(f"not a value: {node!r}")


def _truth(node: Node, cols: Columns) -> tuple[Any, Any]:
    """(true, false) masks of a condition (a row in neither is undecided)."""
    if isinstance(node, Field):
        flags, _ = cols.value(node.name)
        return flags == 1, flags == 0
    if isinstance(node, Const):
        return bool(node.value), not node.value
    if isinstance(node, NotNode):
        true, false = _truth(node.operand, cols)
        return false, true
    if isinstance(node, Junction):
        parts = [_truth(item, cols) for item in node.items]
        trues, falses = [p[0] for p in parts], [p[1] for p in parts]
        if node.op == "and":
            return _all(trues), _any(falses)
        return _any(trues), _all(falses)
    if isinstance(node, Compare):
        return _compare(node, cols)
    raise TypeError(f"not a condition: {node!r}")


def _all(masks: list[Any]) -> Any:
    out = masks[0]
    for mask in masks[1:]:
        out = out & mask
    return out


def _any(masks: list[Any]) -> Any:
    out = masks[0]
    for mask in masks[1:]:
        out = out | mask
    return out


def _compare(node: Compare, cols: Columns) -> tuple[Any, Any]:
    if node.op in _OPS:
        left, left_known = _value(node.left, cols)
        right, right_known = _value(node.right, cols)
        known = left_known & right_known
        holds = np.asarray(_OPS[node.op](left, right))
        return known & holds, known & ~holds
    if node.op in ("in", "not in"):
        if isinstance(node.right, Const):  # a text field in a list
            texts, known = _value(node.left, cols)
            assert isinstance(node.right.value, tuple)
            holds = np.isin(texts, list(node.right.value))
        else:  # a code in a coded field
            assert isinstance(node.right, Field) and isinstance(node.left, Const)
            masks, known = cols.value(node.right.name)
            holds = (masks & code_bits(node.right.name)[str(node.left.value)]) != 0
        true, false = known & holds, known & ~holds
        return (false, true) if node.op == "not in" else (true, false)
    assert isinstance(node.left, Field) and isinstance(node.right, Const)
    masks, _ = cols.value(node.left.name)
    bits = code_bits(node.left.name)
    items = node.right.value if isinstance(node.right.value, tuple) else (node.right.value,)
    wanted = 0
    for item in items:
        wanted |= bits[str(item)]
    holds = (masks & wanted) == wanted if node.op == "includes" else (masks & wanted) != 0
    return holds, ~holds


def protection(mask: int) -> tuple[Block, ...]:
    """The protection blocks of one combination of flags (the corridor's function)."""
    flags = codes_of("flags", mask)
    return tuple(b for b in member_blocks("", flags, consent=True) if is_protection_block(b))


def evaluate(apps: Applications, *, programme: Programme, version: Version) -> Results:
    """The verdict of every application under ``version``, by column."""
    n = len(apps)
    cols = Columns(apps)
    explainer = Explainer(programme=programme, version=version, on=apps.on)
    keys = np.zeros(n, np.int64)
    weight = 1
    for condition in version.conditions:
        true, false = _truth(condition.node, cols)
        true = np.broadcast_to(true, (n,))
        false = np.broadcast_to(false, (n,))
        states = np.where(true, MET, np.where(false, FAILED, UNKNOWN)).astype(np.int64)
        keys += states * weight
        weight *= 3
    flag_masks, flag_index = np.unique(
        np.fromiter(apps.codes["flags"], np.int64, n), return_inverse=True
    )
    blocks = [protection(int(mask)) for mask in flag_masks]
    keys += flag_index.astype(np.int64).reshape(n) * weight
    distinct, inverse = np.unique(keys, return_inverse=True)
    k = len(version.conditions)
    verdicts = []
    for key in distinct.tolist():
        met = [(key // 3**i) % 3 for i in range(k)]
        verdicts.append(explainer.verdict(met, blocks[key // weight]))
    inverse = inverse.reshape(n)
    table = np.empty(len(verdicts), dtype=object)
    results = Results(ids=apps.ids)
    table[:] = [v.outcome.value for v in verdicts]
    results.outcomes = table[inverse].tolist()
    table[:] = [v.failed for v in verdicts]
    results.failed = table[inverse].tolist()
    table[:] = [v.explanation for v in verdicts]
    results.explanations = table[inverse].tolist()
    return results
