"""Reading SPARQL text before the engine sees it: one lexer, and what the endpoint needs from it.

Small, exact readings: the query form (for content negotiation), the IRIs of ``SERVICE`` and
``LOAD`` (for the allow-list), ``PREFIX``/``BASE`` declarations, adding ``USING`` clauses for
``using-graph-uri``. They work on tokens, so a keyword inside a string, an IRI or a comment is
never mistaken for one. The guard against texts that would crash the engine (nesting, long
chains) uses the same lexer: :mod:`.guard`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

from ..errors import ProtocolError


_TOKEN = re.compile(r"""
    (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)
  | (?P<comment>\#[^\n]*)
  | (?P<var>[?$][\w]+)
  | (?P<pname>(?:[^\W\d][\w.-]*)?:(?:[\w:%.-]|\\.)*)
  | (?P<word>[^\W\d]\w*)
  | (?P<open>\{) | (?P<close>\}) | (?P<space>\s+) | (?P<other>.)
""", re.VERBOSE | re.DOTALL)


_UCHAR = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int
    depth: int  # nesting of { } around the token

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words


def tokens(text: str) -> list[Token]:
    """Significant tokens (no spaces or comments) with their brace depth."""
    out, depth = [], 0
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind in ("space", "comment"):
            continue
        if kind == "close":
            depth = max(0, depth - 1)
        out.append(Token(kind, match.group(), match.start(), depth))
        if kind == "open":
            depth += 1
    return out


def _unescape(text: str) -> str:
    return _UCHAR.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def prologue(toks: list[Token], base: str | None) -> tuple[dict[str, str], str | None]:
    """PREFIX and BASE declarations anywhere in the text (updates repeat them between operations)."""
    prefixes: dict[str, str] = {}
    for i, tok in enumerate(toks[:-1]):
        if tok.is_word("BASE") and toks[i + 1].kind == "iri":
            base = _resolve(toks[i + 1].text, base)
        elif tok.is_word("PREFIX") and i + 2 < len(toks) and toks[i + 1].kind == "pname" \
                and toks[i + 2].kind == "iri":
            prefixes[toks[i + 1].text[:-1] if toks[i + 1].text.endswith(":") else toks[i + 1].text] = \
                _resolve(toks[i + 2].text, base)
    return prefixes, base


def _resolve(iri_token: str, base: str | None) -> str:
    iri = _unescape(iri_token[1:-1])
    return urljoin(base, iri) if base else iri


# The prologue (PREFIX and BASE declarations, comments) and the first keyword after it. One
# alternative per character of white space keeps matching linear.
_PROLOGUE = re.compile(r"(?:\s|\#[^\n]*|PREFIX\s*[^\s:]*:\s*<[^<>\s]*>|BASE\s*<[^<>\s]*>)*([A-Za-z]+)",
                       re.IGNORECASE)


def query_form(text: str) -> str | None:
    """SELECT, ASK, CONSTRUCT or DESCRIBE; None when the text does not start like a query."""
    if "\\u" in text or "\\U" in text:
        text = _unescape(text)
    match = _PROLOGUE.match(text)
    word = match.group(1).upper() if match else ""
    return word if word in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE") else None


_MAY_REACH_OUT = re.compile(r"\b(?:service|load)\b", re.IGNORECASE)


def outgoing_targets(text: str, base: str | None = None) -> list[tuple[str, str | None]]:
    """(keyword, IRI) for each SERVICE and LOAD; the IRI is None when it is not fixed (a variable).

    A cheap textual check comes first: queries without either word (nearly all) are not tokenized.
    """
    lowered = text.lower()
    if "service" not in lowered and "load" not in lowered or not _MAY_REACH_OUT.search(text):
        return []
    toks = tokens(text)
    prefixes, base = prologue(toks, base)
    found: list[tuple[str, str | None]] = []
    for i, tok in enumerate(toks):
        if not tok.is_word("SERVICE", "LOAD"):
            continue
        j = i + 1
        if j < len(toks) and toks[j].is_word("SILENT"):
            j += 1
        target = toks[j] if j < len(toks) else None
        iri = None
        if target is not None and target.kind == "iri":
            iri = _resolve(target.text, base)
        elif target is not None and target.kind == "pname":
            prefix, _, local = target.text.partition(":")
            if prefix in prefixes:
                iri = prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
        found.append((tok.text.upper(), iri))
    return found


def add_using(update: str, using: tuple[str, ...] | None, using_named: tuple[str, ...] | None) -> str:
    """The update with ``USING``/``USING NAMED`` before each top-level ``WHERE``.

    The protocol's using-graph-uri and using-named-graph-uri mean exactly these clauses; an update
    that already has ``USING`` or ``WITH`` conflicts with them (400, as the W3C tests expect).
    """
    if using is None and using_named is None:
        return update
    toks = tokens(update)
    if any(t.depth == 0 and t.is_word("USING", "WITH") for t in toks):
        raise ProtocolError(400, "the update has USING or WITH clauses and the request has "
                                 "using-graph-uri/using-named-graph-uri; use one or the other")
    clause = " ".join([f"USING <{g}>" for g in using or ()] +
                      [f"USING NAMED <{g}>" for g in using_named or ()]) + " "
    out, last = [], 0
    for i, tok in enumerate(toks):
        if tok.depth == 0 and tok.is_word("WHERE") and not (i and toks[i - 1].is_word("DELETE")):
            out.append(update[last:tok.start])
            out.append(clause)
            last = tok.start
    out.append(update[last:])
    return "".join(out)
