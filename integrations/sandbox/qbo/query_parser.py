"""A parser for the QBO query language (a small SQL subset).

Grammar::

    SELECT * | COUNT(*) FROM Entity
      [WHERE field op value [AND field op value]...]
      [ORDERBY | ORDER BY field [ASC|DESC] [, ...]]
      [STARTPOSITION n] [MAXRESULTS m]

    op    = < > <= >= | IN (value, ...) | LIKE 'pattern'
    value = 'single-quoted string' (\\' escapes) | number | true | false

Keywords are case-insensitive; entity and field names are kept as written (QBO's are
case-sensitive) and checked by the executor. Errors raise :class:`QueryParseError` carrying an
Intuit-style "QueryParserError: Encountered ..." message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

KEYWORDS = {
    "SELECT",
    "FROM",
    "WHERE",
    "AND",
    "OR",
    "ORDERBY",
    "ORDER",
    "BY",
    "ASC",
    "DESC",
    "IN",
    "LIKE",
    "STARTPOSITION",
    "MAXRESULTS",
    "COUNT",
    "TRUE",
    "FALSE",
}
COMPARISONS = {"=", "<", ">", "<=", ">="}


class QueryParseError(ValueError):
    """The query text is not valid QBO query syntax."""


@dataclass(frozen=True)
class Token:
    kind: str  # "string", "number", "op", "punct", "ident", "keyword", "eof"
    value: str
    column: int


@dataclass(frozen=True)
class Literal:
    """A value in a condition: str, Decimal (numbers) or bool, plus how it was written."""

    value: str | Decimal | bool
    quoted: bool = False


@dataclass(frozen=True)
class Condition:
    field: str
    op: str  # one of COMPARISONS, "IN" or "LIKE"
    values: tuple[Literal, ...]

    @property
    def value(self) -> Literal:
        return self.values[0]


@dataclass(frozen=True)
class OrderTerm:
    field: str
    descending: bool = False


@dataclass
class Query:
    entity: str
    count: bool = False
    conditions: list[Condition] = field(default_factory=list)
    order_by: list[OrderTerm] = field(default_factory=list)
    start_position: int | None = None
    max_results: int | None = None


_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>'(?:\\.|[^'\\])*')
  | (?P<number>-?\d+(?:\.\d+)?(?![A-Za-z_]))
  | (?P<op><=|>=|<>|!=|=|<|>)
  | (?P<punct>[(),*])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    """,
    re.VERBOSE,
)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def tokenize(text: str) -> list[Token]:
    """Split query text into tokens; an unknown character or open string is a parse error."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            if text[pos] == "'":
                raise QueryParseError(
                    f"QueryParserError: Lexical error at line 1, column {pos + 1}. "
                    "Encountered: <EOF> inside a string literal"
                )
            raise QueryParseError(
                f"QueryParserError: Lexical error at line 1, column {pos + 1}. "
                f'Encountered: "{text[pos]}"'
            )
        kind = match.lastgroup or ""
        raw = match.group()
        if kind == "string":
            tokens.append(Token("string", _ESCAPE.sub(r"\1", raw[1:-1]), pos + 1))
        elif kind == "ident" and raw.upper() in KEYWORDS:
            tokens.append(Token("keyword", raw.upper(), pos + 1))
        elif kind != "space":
            tokens.append(Token(kind, raw, pos + 1))
        pos = match.end()
    tokens.append(Token("eof", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        if token.kind != "eof":
            self.pos += 1
        return token

    def error(self, expected: str) -> QueryParseError:
        token = self.current
        shown = "<EOF>" if token.kind == "eof" else token.value
        return QueryParseError(
            f'QueryParserError: Encountered " {shown} " at line 1, column {token.column}. '
            f"Was expecting: {expected}"
        )

    def at_keyword(self, *words: str) -> bool:
        return self.current.kind == "keyword" and self.current.value in words

    def expect_keyword(self, word: str) -> None:
        if not self.at_keyword(word):
            raise self.error(word)
        self.advance()

    def expect_punct(self, char: str) -> None:
        if self.current.kind != "punct" or self.current.value != char:
            raise self.error(f'"{char}"')
        self.advance()

    def identifier(self, what: str) -> str:
        if self.current.kind != "ident":
            raise self.error(what)
        return self.advance().value

    def integer(self, what: str) -> int:
        token = self.current
        text = token.value if token.kind in ("number", "string") else ""
        if not re.fullmatch(r"-?\d+", text):
            raise self.error(what)
        self.advance()
        return int(text)

    def literal(self) -> Literal:
        token = self.current
        if token.kind == "string":
            self.advance()
            return Literal(token.value, quoted=True)
        if token.kind == "number":
            self.advance()
            return Literal(Decimal(token.value))
        if self.at_keyword("TRUE", "FALSE"):
            self.advance()
            return Literal(token.value == "TRUE")
        raise self.error("<STRING> | <NUMBER> | true | false")

    def parse(self) -> Query:
        self.expect_keyword("SELECT")
        count = False
        if self.at_keyword("COUNT"):
            self.advance()
            self.expect_punct("(")
            self.expect_punct("*")
            self.expect_punct(")")
            count = True
        else:
            self.expect_punct("*")
        self.expect_keyword("FROM")
        query = Query(entity=self.identifier("<ENTITY>"), count=count)
        if self.at_keyword("WHERE"):
            self.advance()
            query.conditions.append(self.condition())
            while self.at_keyword("AND"):
                self.advance()
                query.conditions.append(self.condition())
            if self.at_keyword("OR"):
                raise self.error('"AND" (OR is not supported)')
        if self.at_keyword("ORDERBY", "ORDER"):
            if self.advance().value == "ORDER":
                self.expect_keyword("BY")
            query.order_by.append(self.order_term())
            while self.current.kind == "punct" and self.current.value == ",":
                self.advance()
                query.order_by.append(self.order_term())
        while self.at_keyword("STARTPOSITION", "MAXRESULTS"):
            word = self.advance().value
            if word == "STARTPOSITION" and query.start_position is None:
                query.start_position = self.integer("<NUMBER>")
            elif word == "MAXRESULTS" and query.max_results is None:
                query.max_results = self.integer("<NUMBER>")
            else:
                self.pos -= 1
                raise self.error("<EOF>")
        if self.current.kind != "eof":
            raise self.error("<EOF>")
        return query

    def condition(self) -> Condition:
        name = self.identifier("<FIELD>")
        token = self.current
        if token.kind == "op" and token.value in COMPARISONS:
            self.advance()
            return Condition(name, token.value, (self.literal(),))
        if self.at_keyword("IN"):
            self.advance()
            self.expect_punct("(")
            values = [self.literal()]
            while self.current.kind == "punct" and self.current.value == ",":
                self.advance()
                values.append(self.literal())
            self.expect_punct(")")
            return Condition(name, "IN", tuple(values))
        if self.at_keyword("LIKE"):
            self.advance()
            if self.current.kind != "string":
                raise self.error("<STRING>")
            return Condition(name, "LIKE", (self.literal(),))
        raise self.error('"=" | "<" | ">" | "<=" | ">=" | "IN" | "LIKE"')

    def order_term(self) -> OrderTerm:
        name = self.identifier("<FIELD>")
        descending = False
        if self.at_keyword("ASC", "DESC"):
            descending = self.advance().value == "DESC"
        return OrderTerm(name, descending)


def parse_query(text: str) -> Query:
    """Parse one query; raises :class:`QueryParseError` on bad syntax."""
    if not text or not text.strip():
        raise QueryParseError('QueryParserError: Encountered " <EOF> " at line 1, column 1.')
    return _Parser(text.strip()).parse()
