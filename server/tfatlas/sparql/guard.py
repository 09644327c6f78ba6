"""Refusing SPARQL texts whose shape would crash the engine, before the engine sees them.

Oxigraph parses and evaluates recursively. Nesting (``{{{{``, ``((((``) is the obvious way to
go deep, but flat texts do it too: ``1+1+…``, ``!!!…``, ``{…} UNION {…} UNION …``, ``BIND``
after ``BIND``, triple pattern after triple pattern and ``p|p|…`` or ``p/p/…`` paths all become
left-deep trees in the algebra, one level per element. tools/fuzz_engine.py tries each shape of
a small SPARQL grammar at growing sizes in a subprocess; on the 8 MiB stack of a main thread the
smallest crashes were at a few hundred nested function calls and about 7,000 chained elements
(the table is in the README). The engine therefore runs on a 512 MiB stack
(``tfatlas.sparql.stack``), and this guard refuses texts beyond limits that sit far below what
that stack survives and far above what a real query uses:

=================  ===========================================================================
``MAX_DEPTH``      groups, parentheses and brackets nested in each other
``MAX_CHAIN``      operators in one expression or property path (``+ - * / || && ! | ^``...)
``MAX_UNIONS``     ``UNION`` in one group
``MAX_ELEMENTS``   triple patterns, ``BIND``, ``FILTER``, ``OPTIONAL``, ``MINUS`` and sub-groups
                   in one group (counted: the separators ``.``, ``;``, ``,``, blank nodes ``[``,
                   path steps ``/`` and the tokens of a collection ``( … )``, all of which the
                   engine joins as patterns)
``MAX_UPDATE_`     the same for an update: it runs in the server process, where no deadline
``ELEMENTS``       stops it, and the engine's join planning takes seconds for a few hundred
                   patterns (0.5 s for 100 on a loaded machine, 8 s for 200)
``MAX_TOKENS``     tokens of the whole text, outside ``INSERT DATA``/``DELETE DATA``/``VALUES``
                   blocks (data blocks are read as flat lists; they count for depth only)
``MAX_UPDATE_``    the same for an update, smaller for the same reason as its elements: many
``TOKENS``         groups of 100 patterns each would add up to minutes
=================  ===========================================================================

Counting is an upper bound: a ``-`` of a negative number counts as an operator, a ``.`` of a
decimal as a separator. Only texts that could pass a limit are scanned at all: longer than the
smallest limit after their prologue, or with more opening brackets than ``MAX_DEPTH`` (a
query of the finder or the bench mixes is not lexed; lexing one cost 40 to 80 microseconds).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .text import _TOKEN  # the endpoint's SPARQL lexer

# Inside a data block only brackets matter (for depth); strings, IRIs, comments and escapes
# (``ex:a\(``) are matched only to be skipped. Written unrolled (runs of plain characters at
# once), a 10 MB INSERT DATA is read about 2.5 times faster than with the full lexer's patterns.
_DATA_TOKEN = re.compile(r"""
    '''(?:[^'\\]|\\.|'(?!''))*''' | \"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
  | '[^'\\\n]*(?:\\.[^'\\\n]*)*' | "[^"\\\n]*(?:\\.[^"\\\n]*)*"
  | <[^<>"{}|^`\\\x00-\x20]*(?:\\[uU][0-9A-Fa-f]{4,8}[^<>"{}|^`\\\x00-\x20]*)*>
  | \#[^\n]* | \\.
  | (?P<bracket>[{}()\[\]])
""", re.VERBOSE | re.DOTALL)

# The prologue: white space, comments, PREFIX and BASE declarations, read in one match. Its IRIs
# and prefix names are exactly the lexer's (no bracket, operator or separator can hide in them),
# so it holds nothing the limits count but its tokens, which are counted from its keywords.
_PROLOGUE = re.compile(r"""(?:\s+|\#[^\n]*
    |PREFIX\s+(?:[^\W\d][\w.-]*)?:\s*<[^<>"{}|^`\\\x00-\x20]*>
    |BASE\s*<[^<>"{}|^`\\\x00-\x20]*>)*""", re.VERBOSE | re.IGNORECASE)

MAX_DEPTH = 256
MAX_CHAIN = 2000
MAX_UNIONS = 1000
MAX_ELEMENTS = 1000
MAX_UPDATE_ELEMENTS = 100
MAX_TOKENS = 100_000
MAX_UPDATE_TOKENS = 10_000

_OPERATORS = frozenset("|&+-*/^!=<>")
_ELEMENT_WORDS = frozenset({"OPTIONAL", "MINUS", "BIND", "FILTER", "VALUES", "GRAPH", "SERVICE"})
_SEPARATORS = frozenset(".;,")
_OPENERS = {"{": "}", "(": ")", "[": "]"}
_CLOSERS = frozenset("})]")
# Two-character operators count once: the second character of "||", "&&", "!=", "<=", ">=".
_SECOND = {"|": "|", "&": "&", "=": "!<>"}
_SMALLEST = min(MAX_DEPTH, MAX_CHAIN, MAX_UNIONS, MAX_ELEMENTS)


class TooLarge(ValueError):
    """A text beyond one of the guard's limits; the message names the limit and where."""


@dataclass
class _Scope:
    bracket: str
    collection: bool = False  # "( 1 2 3 )" in a pattern: an RDF list, two patterns per item
    operators: int = 0
    unions: int = 0
    elements: int = 0


def _where(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    return f"{line}:{offset - (text.rfind(chr(10), 0, offset) + 1) + 1}"


def _refuse(text: str, offset: int, what: str, limit: int, name: str) -> TooLarge:
    return TooLarge(f"the text has more than {limit:,} {what} (at {_where(text, offset)}); this "
                    f"server does not evaluate texts that large, since the engine's recursion "
                    f"could crash on them (limit {name}); split the query or the update")


def check(text: str, *, update: bool = False) -> None:
    """Raise :class:`TooLarge` when ``text`` exceeds one of the limits in the module docstring."""
    if len(text) <= _SMALLEST:
        return
    elements = (MAX_UPDATE_ELEMENTS, "MAX_UPDATE_ELEMENTS") if update else (MAX_ELEMENTS, "MAX_ELEMENTS")
    most_tokens = (MAX_UPDATE_TOKENS, "MAX_UPDATE_TOKENS") if update else (MAX_TOKENS, "MAX_TOKENS")
    # The prologue is about half of a typical query: not lexed. Its end is the match's, never the
    # length of its upper-cased copy ("ß" becomes "SS": lexing would start past the text's start).
    body = _PROLOGUE.match(text).end()
    prologue = text[:body].upper()
    tokens = 3 * prologue.count("PREFIX") + 2 * prologue.count("BASE")  # an upper bound
    # Every count below grows by at most one per character after the prologue, and depth by one
    # per opening bracket: a text whose rest is that short cannot pass a limit (most queries).
    rest = len(text) - body
    if rest <= min(elements[0], MAX_UNIONS, MAX_CHAIN) and tokens + rest <= most_tokens[0] \
            and text.count("{", body) + text.count("(", body) + text.count("[", body) <= MAX_DEPTH:
        return
    scopes = [_Scope("")]
    previous_word = ""
    values_pending = False
    last_char, last_end = "", -1
    previous_kind = ""
    position: int | None = body
    while position is not None:
        resume, position = position, None
        for match in _TOKEN.finditer(text, resume):
            kind = match.lastgroup
            if kind in ("space", "comment"):
                continue
            before, previous_kind = previous_kind, kind
            token = match.group()
            start = match.start()
            scope = scopes[-1]
            if scope.collection:
                _add_element(text, scopes, start, elements)  # an upper bound: every token of an item
            tokens += 1
            if tokens > most_tokens[0]:
                raise _refuse(text, start, "tokens outside data blocks", *most_tokens)
            if kind == "word":
                word = token.upper()
                if word == "UNION":
                    scope.unions += 1
                    if scope.unions > MAX_UNIONS:
                        raise _refuse(text, start, "UNIONs in one group", MAX_UNIONS, "MAX_UNIONS")
                elif word in _ELEMENT_WORDS:
                    _add_element(text, scopes, start, elements)
                values_pending = values_pending or word == "VALUES"
                previous_word = word
                continue
            if token in _OPENERS:
                if token == "{" and (previous_word == "DATA" or values_pending):
                    # INSERT DATA, DELETE DATA, VALUES: flat lists for the engine, only their depth counts
                    position = _skip_data(text, match.end(), len(scopes))
                    values_pending, previous_word = False, ""
                    break
                # A sub-group is joined with its siblings; a blank node "[ ... ]" is one more pattern.
                if (token == "{" and scope.bracket and previous_word != "UNION") or token == "[":
                    _add_element(text, scopes, start, elements)
                # "(" where a term goes (not after FILTER, BIND, VALUES or another keyword) is a list
                collection = token == "(" and (scope.bracket in ("{", "[") or scope.collection) \
                    and before != "word"
                scopes.append(_Scope(token, collection))
                if len(scopes) - 1 > MAX_DEPTH:
                    raise _too_deep(text, start)
            elif token in _CLOSERS:
                if len(scopes) > 1:
                    scopes.pop()
            elif kind == "other":
                if token in _OPERATORS:
                    if not (start == last_end and last_char in _SECOND.get(token, "")):
                        scope.operators += 1
                        if scope.operators > MAX_CHAIN:
                            raise _refuse(text, start, "operators in one expression or path",
                                          MAX_CHAIN, "MAX_CHAIN")
                if token in _SEPARATORS and scope.bracket in ("{", "[") or token == "/" and scope.bracket != "(":
                    # "/" outside parentheses is a path step: the engine joins one pattern per step
                    _add_element(text, scopes, start, elements)
                last_char, last_end = token, match.end()
            previous_word = ""


def _too_deep(text: str, offset: int) -> TooLarge:
    return TooLarge(f"the text nests groups or parentheses more than {MAX_DEPTH} levels deep "
                    f"(at {_where(text, offset)}); this server does not parse that (limit MAX_DEPTH)")


def _skip_data(text: str, start: int, depth: int) -> int | None:
    """The offset after the data block that opened just before ``start`` (None: the text ends in it)."""
    inside = 1
    for match in _DATA_TOKEN.finditer(text, start):
        bracket = match.group("bracket")
        if bracket is None:
            continue
        if bracket in _OPENERS:
            inside += 1
            if depth + inside > MAX_DEPTH:
                raise _too_deep(text, match.start())
        else:
            inside -= 1
            if inside == 0:
                return match.end()
    return None


def _add_element(text: str, scopes: list[_Scope], offset: int, limit: tuple[int, str]) -> None:
    """Count one element of the innermost group (a bracket list's triples belong to its group)."""
    for scope in reversed(scopes):
        if scope.bracket in ("{", ""):
            scope.elements += 1
            if scope.elements > limit[0]:
                raise _refuse(text, offset, "patterns, BINDs, FILTERs and sub-groups in one group",
                              *limit)
            return
        if scope.bracket == "(" and not scope.collection:
            return  # separators inside an expression: not a group's element


def problem(text: str, *, update: bool = False) -> str | None:
    """The guard's message for ``text``, or None when the engine may see it."""
    try:
        check(text, update=update)
    except TooLarge as exc:
        return str(exc)
    return None
