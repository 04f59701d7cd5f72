"""The same rules interpreted row by row: the benchmark's anchor and the tests' oracle.

Each application is a walk of each condition's tree over its Python values (``None``:
an empty cell), with Kleene's three-valued ``and``/``or``/``not``, then the corridor's
``blocks`` on its flags and a freshly composed explanation: what a careful
straightforward implementation does. ``evaluate.evaluate`` must agree with it on every
row.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import date
from typing import Any

from alianza.corridor.blocks import blocks, is_protection_block
from alianza.status.contract import Applications, codes_of
from alianza.status.explain import FAILED, MET, UNKNOWN, Explainer, Results
from alianza.status.language import EVALUATION_DATE, Compare, Const, Field, Junction, Node
from alianza.status.language import Not as NotNode
from alianza.status.language import Years as YearsNode
from alianza.status.rules import Programme, Version

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


def _field(apps: Applications, name: str, i: int) -> Any:
    if name == EVALUATION_DATE:
        return apps.on
    if name in apps.dates:
        return apps.dates[name][i]
    if name in apps.bools:
        return apps.bools[name][i]
    if name in apps.codes:
        return apps.codes[name][i]
    return apps.texts[name][i] or None


def _value(node: Node, apps: Applications, i: int) -> Any:
    if isinstance(node, Field):
        return _field(apps, node.name, i)
    if isinstance(node, Const):
        return node.value
    if isinstance(node, YearsNode):
        start: date | None = _value(node.start, apps, i)
        end: date | None = _value(node.end, apps, i)
        if start is None or end is None:
            return None
        return end.year - start.year - ((end.month, end.day) < (start.month, start.day))
    raise TypeError(f"not a value: {node!r}")


def truth(node: Node, apps: Applications, i: int) -> bool | None:
    """A condition on row ``i``: True, False, or None when an empty cell leaves it open."""
    if isinstance(node, Field):
        value: bool | None = _field(apps, node.name, i)
        return value
    if isinstance(node, Const):
        return bool(node.value)
    if isinstance(node, NotNode):
        inner = truth(node.operand, apps, i)
        return None if inner is None else not inner
    if isinstance(node, Junction):
        values = [truth(item, apps, i) for item in node.items]
        decisive = node.op == "or"  # True decides an "or", False an "and"
        if decisive in values:
            return decisive
        return None if None in values else not decisive
    if isinstance(node, Compare):
        return _compare(node, apps, i)
    raise TypeError(f"not a condition: {node!r}")


def _compare(node: Compare, apps: Applications, i: int) -> bool | None:
    left = _value(node.left, apps, i)
    right = _value(node.right, apps, i)
    if left is None or right is None:
        return None
    if node.op in _OPS:
        return _OPS[node.op](left, right)
    if node.op in ("in", "not in"):
        if isinstance(node.right, Field):  # a code in a coded field
            held = left in codes_of(node.right.name, right)
        else:
            held = left in right
        return held if node.op == "in" else not held
    assert isinstance(node.left, Field)
    have = set(codes_of(node.left.name, left))
    items = right if isinstance(right, tuple) else (right,)
    if node.op == "includes":
        return all(item in have for item in items)
    return any(item in have for item in items)


def evaluate(apps: Applications, *, programme: Programme, version: Version) -> Results:
    """The verdict of every application under ``version``, one row at a time."""
    explainer = Explainer(programme=programme, version=version, on=apps.on)
    results = Results(ids=apps.ids)
    for i, app_id in enumerate(apps.ids):
        states = []
        for condition in version.conditions:
            value = truth(condition.node, apps, i)
            states.append(UNKNOWN if value is None else MET if value else FAILED)
        flags = codes_of("flags", apps.codes["flags"][i])
        found = [b for b in blocks([(app_id, flags, True)]) if is_protection_block(b)]
        verdict = explainer.verdict(states, found)
        results.outcomes.append(verdict.outcome.value)
        results.failed.append(verdict.failed)
        results.explanations.append(verdict.explanation)
    return results
