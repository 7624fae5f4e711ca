"""The subset of QBO's query language the sandbox understands: parsing and evaluation.

Grammar (keywords and entity names are case-insensitive)::

    SELECT ( * [, field]... | COUNT(*) | field [, field]... ) FROM <Entity>
        [WHERE <cond> [AND <cond>]...]
        [ORDERBY | ORDER BY <field> [ASC|DESC] [, ...]]
        [STARTPOSITION n] [MAXRESULTS n]
    <cond> := <field> (= | < | > | <= | >=) <literal>
            | <field> IN (<literal> [, <literal>]...)
            | <field> LIKE '<pattern with %>'
    <literal> := 'string' (quote escaped as \\' or '') | number | true | false

Semantics, chosen to match what QBO does:
- A field is a top-level field of the entity, optionally dotted (``MetaData.LastUpdatedTime``; ``Metadata``
  is accepted too). Path segments match case-insensitively. A reference field (``VendorRef``) compares
  its ``value``. An unknown top-level field is refused (QueryValidationError), as QBO does.
- How two values compare is decided by the field name: ``...Time`` fields compare as instants (so
  different offsets compare correctly; a literal without offset is company-local time), ``...Date``
  fields as dates, ids and refs numerically, ``Active`` as a boolean, money fields (and any field compared
  with an unquoted number) as decimals, everything else as case-sensitive strings. ``LIKE`` is
  case-insensitive and supports ``%`` anywhere.
- Name-list entities (Vendor, Customer, Account) return only active rows unless a condition names
  ``Active``.
- Rows come in ascending Id order unless ORDERBY says otherwise; ties keep Id order, so STARTPOSITION
  paging never repeats or skips a row while the data does not change.
- STARTPOSITION is 1-based (values below 1 read as 1); MAXRESULTS defaults to 100 and is capped at 1000.
- ``COUNT(*)`` ignores STARTPOSITION/MAXRESULTS.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from .clock import parse_instant
from .entities import MONEY_FIELDS, EntitySpec, find_spec
from .errors import query_parser_error, query_validation_error

DEFAULT_MAX_RESULTS = 100
MAX_RESULTS_CAP = 1000

Literal = str | Decimal | bool


@dataclass(frozen=True)
class Condition:
    path: tuple[str, ...]
    op: str  # one of = < > <= >= IN LIKE
    value: Literal | tuple[Literal, ...]


@dataclass(frozen=True)
class Ordering:
    path: tuple[str, ...]
    descending: bool


@dataclass(frozen=True)
class Query:
    """A parsed statement. ``columns`` is None for ``SELECT *``."""

    entity: str
    count: bool
    columns: tuple[str, ...] | None
    conditions: tuple[Condition, ...]
    order_by: tuple[Ordering, ...]
    start_position: int
    max_results: int


@dataclass(frozen=True)
class QueryResult:
    rows: list[dict]
    total: int  # rows matching the WHERE clause, before paging


# ----------------------------------------------------------------------------------------------- parsing

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:\\.|''|[^'\\])*')
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op><=|>=|<>|!=|=|<|>)
      | (?P<punct>[(),*])
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    value: Any = None

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    text = text.rstrip().rstrip(";")
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None:
            snippet = text[position:position + 20]
            raise query_parser_error(f"Encountered unexpected character at position {position}: {snippet!r}")
        kind = match.lastgroup or ""
        raw = match.group(kind)
        if kind == "string":
            body = raw[1:-1]
            value = re.sub(r"\\(.)", r"\1", body.replace("''", "'"))
            tokens.append(_Token("string", raw, value))
        elif kind == "number":
            tokens.append(_Token("number", raw, Decimal(raw)))
        else:
            tokens.append(_Token(kind, raw))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.index = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def next(self, expected: str) -> _Token:
        token = self.peek()
        if token is None:
            raise query_parser_error(f"Encountered end of statement, expected {expected}")
        self.index += 1
        return token

    def expect_word(self, *words: str) -> _Token:
        token = self.next(" or ".join(words))
        if not token.is_word(*words):
            raise query_parser_error(f'Encountered "{token.text}", expected {" or ".join(words)}')
        return token

    def expect_punct(self, char: str) -> None:
        token = self.next(repr(char))
        if token.kind != "punct" or token.text != char:
            raise query_parser_error(f'Encountered "{token.text}", expected "{char}"')

    def accept_punct(self, char: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "punct" and token.text == char:
            self.index += 1
            return True
        return False

    def accept_word(self, *words: str) -> bool:
        token = self.peek()
        if token is not None and token.is_word(*words):
            self.index += 1
            return True
        return False

    def field(self) -> str:
        token = self.next("a field name")
        if token.kind != "word" or token.text.upper() in _KEYWORDS:
            raise query_parser_error(f'Encountered "{token.text}", expected a field name')
        return token.text

    def literal(self) -> Literal:
        token = self.next("a value")
        if token.kind in ("string", "number"):
            return token.value
        if token.is_word("TRUE", "FALSE"):
            return token.text.upper() == "TRUE"
        raise query_parser_error(f'Encountered "{token.text}", expected a quoted value, a number, true or false')

    def integer(self, keyword: str) -> int:
        token = self.next(f"a number after {keyword}")
        if token.kind != "number" or "." in token.text:
            raise query_parser_error(f'Encountered "{token.text}", expected an integer after {keyword}')
        return int(token.text)


_KEYWORDS = {"SELECT", "FROM", "WHERE", "AND", "OR", "ORDERBY", "ORDER", "BY", "ASC", "DESC", "STARTPOSITION",
             "MAXRESULTS", "IN", "LIKE", "COUNT"}


def parse_query(text: str) -> Query:
    """Parse ``text``; raises a QboFault (code 4000/4001) for anything outside the grammar above."""
    parser = _Parser(text)
    parser.expect_word("SELECT")
    count = False
    columns: list[str] | None = None
    if parser.accept_word("COUNT"):
        parser.expect_punct("(")
        parser.expect_punct("*")
        parser.expect_punct(")")
        count = True
    elif parser.accept_punct("*"):
        # "SELECT *, Sku" (python-quickbooks does this for Item) still returns whole objects.
        while parser.accept_punct(","):
            parser.field()
    else:
        columns = [parser.field()]
        while parser.accept_punct(","):
            columns.append(parser.field())
    parser.expect_word("FROM")
    entity_token = parser.next("an entity name")
    spec = find_spec(entity_token.text) if entity_token.kind == "word" else None
    if spec is None:
        raise query_parser_error(f"Invalid context declaration : {entity_token.text}")

    conditions: list[Condition] = []
    if parser.accept_word("WHERE"):
        conditions.append(_condition(parser, spec))
        while True:
            if parser.accept_word("AND"):
                conditions.append(_condition(parser, spec))
            elif parser.accept_word("OR"):
                raise query_parser_error("OR is not supported by the QBO query language")
            else:
                break

    order_by: list[Ordering] = []
    if parser.accept_word("ORDERBY") or (parser.accept_word("ORDER") and parser.expect_word("BY")):
        while True:
            path = _field_path(parser.field(), spec)
            descending = False
            if parser.accept_word("DESC"):
                descending = True
            else:
                parser.accept_word("ASC")
            order_by.append(Ordering(path, descending))
            if not parser.accept_punct(","):
                break

    start_position, max_results = 1, DEFAULT_MAX_RESULTS
    for _ in range(2):
        if parser.accept_word("STARTPOSITION"):
            start_position = max(1, parser.integer("STARTPOSITION"))
        elif parser.accept_word("MAXRESULTS"):
            max_results = parser.integer("MAXRESULTS")
            if max_results < 1:
                raise query_validation_error("MAXRESULTS must be a positive number")
            max_results = min(max_results, MAX_RESULTS_CAP)
    trailing = parser.peek()
    if trailing is not None:
        raise query_parser_error(f'Encountered "{trailing.text}" after the end of the statement')

    return Query(
        entity=spec.name,
        count=count,
        columns=tuple(_field_path(column, spec)[0] for column in columns) if columns else None,
        conditions=tuple(conditions),
        order_by=tuple(order_by),
        start_position=start_position,
        max_results=max_results,
    )


def _condition(parser: _Parser, spec: EntitySpec) -> Condition:
    path = _field_path(parser.field(), spec)
    token = parser.next("an operator")
    if token.kind == "op":
        if token.text in ("<>", "!="):
            raise query_parser_error(f'Operator "{token.text}" is not supported')
        return Condition(path, token.text, parser.literal())
    if token.is_word("IN"):
        parser.expect_punct("(")
        values = [parser.literal()]
        while parser.accept_punct(","):
            values.append(parser.literal())
        parser.expect_punct(")")
        return Condition(path, "IN", tuple(values))
    if token.is_word("LIKE"):
        pattern = parser.literal()
        if not isinstance(pattern, str):
            raise query_parser_error("LIKE needs a quoted pattern")
        return Condition(path, "LIKE", pattern)
    raise query_parser_error(f'Encountered "{token.text}", expected an operator')


def _field_path(name: str, spec: EntitySpec) -> tuple[str, ...]:
    """Split a dotted field and canonicalize its first segment against the entity's fields."""
    head, *rest = name.split(".")
    lowered = head.lower()  # so "Metadata" finds "MetaData"
    match = next((field for field in spec.fields if field.lower() == lowered), None)
    if match is None:
        raise query_validation_error(f"property '{head}' is not queryable for entity {spec.name}")
    head = match
    if any(segment == "" for segment in rest):
        raise query_parser_error(f"Invalid field name {name}")
    return (head, *rest)


# ---------------------------------------------------------------------------------------------- evaluation

def _resolve(row: dict, path: tuple[str, ...]) -> Any:
    value: Any = row
    for segment in path:
        if not isinstance(value, dict):
            return None
        if segment in value:
            value = value[segment]
        else:
            lowered = segment.lower()
            value = next((item for key, item in value.items() if key.lower() == lowered), None)
    if isinstance(value, dict) and "value" in value:
        value = value["value"]  # a reference compares by its id
    return value


def _kind(path: tuple[str, ...], literals: Sequence[Literal] = ()) -> str:
    last = path[-1].lower()
    if last == "active" or any(isinstance(literal, bool) for literal in literals):
        return "bool"
    if last.endswith("time"):
        return "datetime"
    if last.endswith("date"):
        return "date"
    if last in ("id", "synctoken", "value", "txnid") or last.endswith("ref"):
        return "id"
    if path[-1] in MONEY_FIELDS or any(isinstance(literal, Decimal) for literal in literals):
        return "number"
    return "string"


def _converter(kind: str, tz: timezone) -> Callable[[Any], Any]:
    """A function mapping a row or literal value to a comparable key (None when it cannot)."""

    def to_bool(value: Any) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        return None

    def to_instant(value: Any) -> Any:
        try:
            return parse_instant(str(value), tz)
        except ValueError:
            return None

    def to_date(value: Any) -> Any:
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            return None

    def to_id(value: Any) -> Any:
        text = str(value)
        # Ids are numeric strings; compare them as numbers but keep any odd value comparable.
        return (0, int(text)) if text.isdigit() else (1, text)

    def to_number(value: Any) -> Any:
        if isinstance(value, bool):
            return None
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None

    def to_string(value: Any) -> Any:
        return value if isinstance(value, str) else str(value)

    return {"bool": to_bool, "datetime": to_instant, "date": to_date, "id": to_id, "number": to_number,
            "string": to_string}[kind]


_COMPARE = {"=": operator.eq, "<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge}


def _predicate(condition: Condition, tz: timezone) -> Callable[[dict], bool]:
    path = condition.path
    if condition.op == "LIKE":
        assert isinstance(condition.value, str)
        pattern = ".*".join(re.escape(part) for part in condition.value.split("%"))
        regex = re.compile(pattern, re.IGNORECASE | re.DOTALL)

        def like(row: dict) -> bool:
            value = _resolve(row, path)
            return value is not None and regex.fullmatch(str(value)) is not None

        return like

    literals = condition.value if isinstance(condition.value, tuple) else (condition.value,)
    convert = _converter(_kind(path, literals), tz)
    keys = [convert(literal) for literal in literals]
    if any(key is None for key in keys):
        raise query_validation_error(f"invalid value for {'.'.join(path)}: {literals!r}")

    if condition.op == "IN":
        wanted = set(keys)

        def member(row: dict) -> bool:
            value = _resolve(row, path)
            return value is not None and convert(value) in wanted

        return member

    compare, expected = _COMPARE[condition.op], keys[0]

    def compare_row(row: dict) -> bool:
        value = _resolve(row, path)
        if value is None:
            return False
        key = convert(value)
        if key is None:
            return False
        try:
            return compare(key, expected)
        except TypeError:
            return False

    return compare_row


def run_query(query: Query, rows: Sequence[dict], tz: timezone) -> QueryResult:
    """Filter, order and page ``rows`` (which must be in ascending Id order) per ``query``.

    ``tz`` is the company's offset, used for date-time literals without one.
    """
    predicates = [_predicate(condition, tz) for condition in query.conditions]
    spec = find_spec(query.entity)
    if spec is not None and spec.is_list and not any(c.path[0] == "Active" for c in query.conditions):
        predicates.append(lambda row: row.get("Active", True) is True)

    matched = [row for row in rows if all(predicate(row) for predicate in predicates)] if predicates else list(rows)
    if query.count:
        return QueryResult([], len(matched))

    # Sort by the last key first: Python's sort is stable (also with reverse=True), so earlier keys win
    # and rows with equal keys stay in Id order.
    for ordering in reversed(query.order_by):
        if ordering.path == ("Id",) and not ordering.descending:
            continue  # the rows are in ascending Id order already (a stable sort by Id would not move them)
        convert = _converter(_kind(ordering.path), tz)

        def sort_key(row: dict, path: tuple[str, ...] = ordering.path, convert: Callable = convert) -> tuple:
            value = _resolve(row, path)
            key = convert(value) if value is not None else None
            return (key is not None, key if key is not None else 0)

        try:
            matched.sort(key=sort_key, reverse=ordering.descending)
        except TypeError:  # mixed value types under one field: fall back to their text
            matched.sort(key=lambda row, path=ordering.path: str(_resolve(row, path) or ""),
                         reverse=ordering.descending)

    start = query.start_position - 1
    page = matched[start:start + query.max_results]
    if query.columns is not None:
        page = [_project(row, query.columns) for row in page]
    return QueryResult(page, len(matched))


def _project(row: dict, columns: tuple[str, ...]) -> dict:
    """A ``SELECT a, b`` row: the named fields plus Id, flagged sparse as QBO does."""
    projected = {"Id": row.get("Id")}
    for column in columns:
        if column in row:
            projected[column] = row[column]
    projected["domain"] = row.get("domain", "QBO")
    projected["sparse"] = True
    return projected
