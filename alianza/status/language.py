"""The condition language of programme files: small, typed, and never ``eval``.

A condition is one line a lawyer can read next to the article it cites::

    entry_date < param.entry_before
    application_date >= param.window_opens and application_date <= param.window_closes
    documents includes_any param.identity_documents
    years(birth_date, application_date) < param.adult_age or documents includes param.certificates
    nationality in param.nationalities
    not criminal_record_declared

Grammar (``and`` binds tighter than ``or``; parentheses group)::

    expr     := and ("or" and)*
    and      := unary ("and" unary)*
    unary    := "not" unary | compare
    compare  := operand [op operand]     op: < <= > >= == != in "not in" includes includes_any
    operand  := field | "param." name | "years(" operand "," operand ")" | number
              | "texto" | true | false | "[" operand ("," operand)* "]" | "(" expr ")"

Fields are the APPLICATIONS.csv columns the rules may read (``FIELDS``) and
``evaluation_date`` (the ``--on`` date). Dates never appear as literals: a cut-off is a
parameter of the version, so it carries its legal source and changes with a new decree.
``years(a, b)`` is the number of whole years from ``a`` to ``b`` (an age, or how long ago
a document expired). ``includes`` asks for every code of a list, ``includes_any`` for one.

Types are checked when a programme is loaded (a date compared with a number, an unknown
document code, a country that is not ISO 3166: the programme does not load), so a rule
never fails on a row. A missing value (an empty cell) makes a comparison *unknown*, and
``and``/``or``/``not`` follow Kleene's three-valued logic: ``unknown or true`` is true,
``unknown and true`` is unknown. An unknown condition sends the application to a person.

Written by hand rather than taken from a library: a parser of Python expressions (``ast``)
would accept far more than this and still need every node vetted, and the expression
engines on PyPI (``simpleeval``, ``asteval``) evaluate one row at a time, untyped; this
grammar compiles to numpy operations over a whole column (``evaluate``) and to a row
interpreter (``naive``) from the same tree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from alianza.codes.countries import country_names
from alianza.errors import InputError
from alianza.identity.documents import DOCUMENT_TYPES
from alianza.status.vocabulary import DOCUMENTS, FAMILY_TIES


class Kind(StrEnum):
    DATE = "fecha"
    NUMBER = "número"
    BOOL = "lógico"
    TEXT = "texto"
    CODES = "lista de códigos"
    LIST = "lista"


# The columns a condition may read, and ``evaluation_date`` (the ``--on`` date).
FIELDS: dict[str, Kind] = {
    "birth_date": Kind.DATE,
    "entry_date": Kind.DATE,
    "application_date": Kind.DATE,
    "document_expiry": Kind.DATE,
    "evaluation_date": Kind.DATE,
    "entry_regular": Kind.BOOL,
    "criminal_record_declared": Kind.BOOL,
    "pending_criminal_case": Kind.BOOL,
    "work_contract": Kind.BOOL,
    "nationality": Kind.TEXT,
    "document_type": Kind.TEXT,
    "documents": Kind.CODES,
    "family_ties": Kind.CODES,
}
EVALUATION_DATE = "evaluation_date"
MAX_LENGTH = 1000
MAX_DEPTH = 24
ORDER = ("<", "<=", ">", ">=")
EQUALITY = ("==", "!=")
MEMBERSHIP = ("in", "not in", "includes", "includes_any")
KEYWORDS = frozenset({"and", "or", "not", "in", "includes", "includes_any", "true", "false"})


def _vocabulary(field: str) -> Mapping[str, str] | frozenset[str] | None:
    """The codes a field's values are drawn from (None: free)."""
    if field == "documents":
        return DOCUMENTS
    if field == "family_ties":
        return FAMILY_TIES
    if field == "nationality":
        return frozenset(country_names())
    if field == "document_type":
        return DOCUMENT_TYPES
    return None


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: Kind


@dataclass(frozen=True, slots=True)
class Const:
    """A literal, or a parameter of the version (``param`` is then its name)."""

    value: object
    kind: Kind
    param: str | None = None


@dataclass(frozen=True, slots=True)
class Years:
    start: Node
    end: Node
    kind: Kind = Kind.NUMBER


@dataclass(frozen=True, slots=True)
class Compare:
    op: str
    left: Node
    right: Node
    kind: Kind = Kind.BOOL


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node
    kind: Kind = Kind.BOOL


@dataclass(frozen=True, slots=True)
class Junction:
    op: str  # "and" | "or"
    items: tuple[Node, ...]
    kind: Kind = Kind.BOOL


Node = Field | Const | Years | Compare | Not | Junction

_TOKEN = re.compile(
    r'\s*(?:(?P<number>\d+(?:\.\d+)?)|(?P<text>"[^"\\\n]*")|(?P<name>[A-Za-z_][A-Za-z0-9_]*)'
    r"|(?P<op><=|>=|==|!=|<|>|\(|\)|\[|\]|,|\.))",
    re.ASCII,
)


def tokens(text: str) -> list[str]:
    """The tokens of ``text`` (``ValueError`` at the first character that is none)."""
    found: list[str] = []
    at = 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None or match.end() == at:
            if text[at:].strip() == "":
                break
            raise ValueError(f"carácter inesperado en la posición {at + 1}: '{text[at]}'")
        found.append(match.group(match.lastindex or 0).strip())
        at = match.end()
    return found


def kind_of(value: object) -> Kind:
    """The kind of a parameter's value as TOML gives it."""
    if isinstance(value, bool):
        return Kind.BOOL
    if isinstance(value, int | float):
        return Kind.NUMBER
    if isinstance(value, date):
        return Kind.DATE
    if isinstance(value, str):
        return Kind.TEXT
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return Kind.LIST
    raise ValueError(f"valor de tipo no admitido ({type(value).__name__})")


class _Parser:
    def __init__(self, text: str, params: Mapping[str, object]) -> None:
        self.items = tokens(text)
        self.at = 0
        self.depth = 0
        self.params = params

    def peek(self, ahead: int = 0) -> str:
        i = self.at + ahead
        return self.items[i] if i < len(self.items) else ""

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if not token or (expected is not None and token != expected):
            wanted = f"'{expected}'" if expected else "algo más"
            raise ValueError(f"se esperaba {wanted} y llegó '{token or 'el final'}'")
        self.at += 1
        return token

    def expression(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ValueError(f"anidada a más de {MAX_DEPTH} niveles")
        items = [self.conjunction()]
        while self.peek() == "or":
            self.take()
            items.append(self.conjunction())
        self.depth -= 1
        return items[0] if len(items) == 1 else _junction("or", items)

    def conjunction(self) -> Node:
        items = [self.unary()]
        while self.peek() == "and":
            self.take()
            items.append(self.unary())
        return items[0] if len(items) == 1 else _junction("and", items)

    def unary(self) -> Node:
        if self.peek() == "not" and self.peek(1) != "in":
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise ValueError(f"anidada a más de {MAX_DEPTH} niveles")
            operand = self.unary()
            self.depth -= 1
            _expect(operand, Kind.BOOL, "not")
            return Not(operand)
        return self.compare()

    def compare(self) -> Node:
        left = self.operand()
        op = self.peek()
        if op == "not" and self.peek(1) == "in":
            self.take()
            self.take()
            return _membership("not in", left, self.operand())
        if op in ORDER or op in EQUALITY:
            self.take()
            return _comparison(op, left, self.operand())
        if op in ("in", "includes", "includes_any"):
            self.take()
            return _membership(op, left, self.operand())
        return left

    def operand(self) -> Node:
        token = self.take()
        if token == "(":
            inner = self.expression()
            self.take(")")
            return inner
        if token == "[":
            values = [self._text_item()]
            while self.peek() == ",":
                self.take()
                values.append(self._text_item())
            self.take("]")
            return Const(tuple(values), Kind.LIST)
        if token in ("true", "false"):
            return Const(token == "true", Kind.BOOL)
        if token[0].isdigit():
            return Const(float(token) if "." in token else int(token), Kind.NUMBER)
        if token[0] == '"':
            return Const(token[1:-1], Kind.TEXT)
        if token == "param":
            self.take(".")
            name = self.take()
            if name not in self.params:
                known = ", ".join(sorted(self.params)) or "ninguno"
                raise ValueError(f"parámetro desconocido '{name}' (la versión tiene: {known})")
            value = self.params[name]
            kind = kind_of(value)
            if isinstance(value, list):
                value = tuple(value)
            return Const(value, kind, param=name)
        if token == "years":
            self.take("(")
            start = self.operand()
            self.take(",")
            end = self.operand()
            self.take(")")
            _expect(start, Kind.DATE, "years")
            _expect(end, Kind.DATE, "years")
            return Years(start, end)
        if token in KEYWORDS or not token[0].isalpha():
            raise ValueError(f"se esperaba un valor y llegó '{token}'")
        if token not in FIELDS:
            raise ValueError(f"campo desconocido '{token}' (se admite: {', '.join(FIELDS)})")
        return Field(token, FIELDS[token])

    def _text_item(self) -> str:
        token = self.take()
        if not token.startswith('"'):
            raise ValueError(f"una lista lleva textos entre comillas, no '{token}'")
        return token[1:-1]


def _expect(node: Node, kind: Kind, where: str) -> None:
    if node.kind is not kind:
        raise ValueError(f"'{where}' espera {kind.value} y recibe {node.kind.value}")


def _junction(op: str, items: list[Node]) -> Junction:
    for item in items:
        _expect(item, Kind.BOOL, op)
    return Junction(op, tuple(items))


def _check_codes(field: Node, values: Node) -> None:
    """Values compared with a coded field must be codes of its vocabulary."""
    if not isinstance(field, Field) or not isinstance(values, Const):
        return
    vocabulary = _vocabulary(field.name)
    if vocabulary is None:
        return
    items = values.value if isinstance(values.value, tuple) else (values.value,)
    for item in items:
        if item not in vocabulary:
            shown = ", ".join(sorted(vocabulary))[:300]
            raise ValueError(f"'{item}' no es un código de {field.name} (se admite: {shown})")


def _comparison(op: str, left: Node, right: Node) -> Compare:
    if left.kind is not right.kind:
        raise ValueError(f"'{op}' compara {left.kind.value} con {right.kind.value}")
    allowed = (Kind.DATE, Kind.NUMBER) if op in ORDER else (Kind.DATE, Kind.NUMBER, Kind.TEXT)
    if left.kind not in allowed and not (op in EQUALITY and left.kind is Kind.BOOL):
        raise ValueError(f"'{op}' no se aplica a {left.kind.value}")
    if isinstance(left, Const) and isinstance(right, Const):
        raise ValueError(f"'{op}' compara dos constantes: la condición no mira la solicitud")
    _check_codes(left, right)
    _check_codes(right, left)
    return Compare(op, left, right)


def _membership(op: str, left: Node, right: Node) -> Compare:
    # Three forms only, each one numpy operation: a text field in a list, a code in a
    # coded field, a coded field holding all (or any) of a list.
    if op in ("in", "not in"):
        ok = (
            isinstance(left, Field)
            and left.kind is Kind.TEXT
            and isinstance(right, Const)
            and right.kind is Kind.LIST
        ) or (
            isinstance(left, Const)
            and left.kind is Kind.TEXT
            and isinstance(right, Field)
            and right.kind is Kind.CODES
        )
    else:
        ok = (
            isinstance(left, Field)
            and left.kind is Kind.CODES
            and isinstance(right, Const)
            and right.kind in (Kind.LIST, Kind.TEXT)
        )
    if not ok:
        raise ValueError(
            f"'{op}' no se aplica a {left.kind.value} y {right.kind.value} (se admite: campo "
            'de texto in lista, "código" in campo de códigos, campo de códigos includes lista)'
        )
    _check_codes(left, right)
    _check_codes(right, left)
    return Compare(op, left, right)


def parse(text: str, *, params: Mapping[str, object], where: str) -> Node:
    """The checked tree of a condition; ``InputError`` naming ``where`` when it is not one."""
    if len(text) > MAX_LENGTH:
        raise InputError.at(where, f"condición de más de {MAX_LENGTH} caracteres")
    try:
        parser = _Parser(text, params)
        if not parser.items:
            raise ValueError("condición vacía")
        node = parser.expression()
        if parser.peek():
            raise ValueError(f"sobra '{parser.peek()}' al final")
        _expect(node, Kind.BOOL, "la condición")
        if not fields_of(node):
            raise ValueError("la condición no mira ningún dato de la solicitud")
    except ValueError as exc:
        raise InputError.at(where, str(exc)) from None
    return node


def fields_of(node: Node) -> tuple[str, ...]:
    """The fields a tree reads, in order of appearance, once each."""
    found: dict[str, None] = {}
    stack: list[Node] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Field):
            found[item.name] = None
        elif isinstance(item, Years):
            stack.extend((item.end, item.start))
        elif isinstance(item, Compare):
            stack.extend((item.right, item.left))
        elif isinstance(item, Not):
            stack.append(item.operand)
        elif isinstance(item, Junction):
            stack.extend(reversed(item.items))
    return tuple(found)
