"""Keeping out data that the store would accept but could not give back, and XML entity bombs.

Literals. pyoxigraph stores ``"x"^^rdf:langString`` (and ``rdf:dirLangString``) when an update
writes it, or ``STRDT`` makes it, or an RDF/XML or JSON-LD file states it; its own N-Quads,
N-Triples, Turtle and TriG parsers refuse the same literal ("the datatype of a literal without a
language tag must not be rdf:langString"). Stored, it breaks every dump: the query workers'
copy into memory, ``tfatlas dump`` and restore, publishing. tests/test_rdf_safety.py inserts
terms of every kind, dumps N-Quads, reloads them and writes every publishing format; these two
datatypes without a language tag were the only literals that did not come back (invalid language
tags and IRIs are refused by the parser or left unbound by ``STRLANG``/``IRI``).

Triple terms. RDF 1.2 triple terms (``<<( s p o )>>``, also made by the reification syntax
``<< s p o >>`` and by ``TRIPLE()``) dump and reload, but pyoxigraph's JSON-LD writer refuses them
("JSON-LD does not support RDF 1.2 yet"), and the atlas publishes JSON-LD (the release, every
resource's ``.jsonld``); the SHACL validation through rdflib has no such term either.

Both are refused on the way in: ``update_problem`` reads an update's tokens, ``store_problem``
looks into loaded graphs.

RDF/XML entities. Both RDF/XML parsers the atlas uses (pyoxigraph's and rdflib's, through
expat) expand internal entities: nine nested ones ("billion laughs") turn 1 KB into a literal of
10^9 characters. RDF needs no entities, so a document whose DOCTYPE declares any, or names an
external DTD, is refused before a parser sees it (``rdfxml_problem``).
"""

from __future__ import annotations

import codecs
import gzip
import re
from collections import deque
from pathlib import Path

from pyoxigraph import Triple

from ..errors import InputError

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NEED_LANGUAGE = (RDF + "langString", RDF + "dirLangString")


def literal_problem(datatype: str, language: str | None) -> str | None:
    if datatype in NEED_LANGUAGE and not language:
        return (f"a literal of datatype <{datatype}> needs a language tag (write \"text\"@de "
                "instead); the store could not dump or reload it, so it is not stored")
    return None


TRIPLE_TERMS = ("RDF 1.2 triple terms (<<( s p o )>>, << s p o >>, TRIPLE()) are not stored: the "
                "atlas publishes JSON-LD, which cannot hold them; state the triple itself, or "
                "describe it with a resource of its own")


# -- updates -------------------------------------------------------------------------------------

# Any of these in an update's text sends it through the scan (a prefix can split "langString", and
# \u escapes can spell it; the IRI of the rdf namespace or an escape is then in the text).
_MARKERS = ("^^", "<<", "strdt", "triple", "rdf-syntax-ns", "\\u")
# Only typed literals with full IRIs, and no cast, prefix or BASE that could spell a language
# datatype: then the datatypes alone settle it, read by a regular expression (a 10 MB INSERT DATA
# of typed literals in well under a second instead of seconds token by token).
_FULL_SCAN = ("<<", "strdt", "triple", "\\u", "base")
_TYPED = re.compile(r"\^\^\s*(<[^<>\s]*>|[^\s<]*)")
_CALLED = re.compile(r"[\w.-]:[\w.%-]*$")  # a prefixed name just before a "(": a function called


def _may_cast(text: str) -> bool:
    """Whether an IRI or a prefixed name is called anywhere (``<…>(`` or ``ex:f(``)."""
    # Looking back from each "(" is far faster than a pattern tried at every offset.
    for match in re.finditer(r"\(", text):
        end = match.start()
        while end > 0 and text[end - 1].isspace():
            end -= 1
        start = max(0, end - 40)
        if end > 0 and (text[end - 1] == ">" or ":" in text[start:end] and _CALLED.search(text, start, end)):
            return True
    return False


def update_problem(text: str) -> str | None:
    """A message when the update could store a term the store could not dump or publish.

    Refused: a typed literal ``"…"^^rdf:langString``; such an IRI called as a cast; ``STRDT``
    whose datatype is not a fixed IRI (``STRDT(?v, DATATYPE("a"@de))`` makes the same literal);
    triple terms (``<<( … )>>``, ``<< … >>``, ``TRIPLE()``). Comparing with the IRI
    (``FILTER(DATATYPE(?o) = rdf:langString)``), e.g. to delete such literals, stays allowed.
    One pass over the tokens, keeping only the last three: a 10 MB ``INSERT DATA`` is no list.
    """
    lowered = text.lower()
    if not any(marker in lowered for marker in _MARKERS):  # nearly every update: no scan at all
        return None
    if not any(marker in lowered for marker in _FULL_SCAN) and not _may_cast(text) and all(
            datatype.startswith("<") and datatype[1:-1] not in NEED_LANGUAGE
            for datatype in _TYPED.findall(text)):
        return None
    from ..sparql.text import _TOKEN, _resolve

    prefixes: dict[str, str] = {}
    base: str | None = None
    recent: deque[tuple[str, str, int]] = deque(maxlen=3)  # (kind, text, start), newest last
    calls: list[_StrdtCall] = []

    def iri_of(kind: str, token: str) -> str | None:
        if kind == "iri":
            return _resolve(token, base)
        if kind == "pname":
            prefix, _, local = token.partition(":")
            return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local) if prefix in prefixes else None
        return None

    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind in ("space", "comment"):
            continue
        token, start = match.group(), match.start()
        prev = recent[-1] if recent else ("", "", -2)
        prev2 = recent[-2] if len(recent) > 1 else ("", "", -2)
        if kind == "iri" and prev[0] == "pname" and prev2[0] == "word" and prev2[1].upper() == "PREFIX":
            prefixes[prev[1][:-1] if prev[1].endswith(":") else prev[1]] = _resolve(token, base)
        elif kind == "iri" and prev[0] == "word" and prev[1].upper() == "BASE":
            base = _resolve(token, base)
        if token == "<" and kind == "other" and prev[1] == "<" and prev[2] == start - 1:
            return "the update writes a triple term; " + TRIPLE_TERMS
        if token == "(" and prev[0] == "word" and prev[1].upper() == "TRIPLE":
            return "the update makes a triple term with TRIPLE(); " + TRIPLE_TERMS
        if prev[1] == "^" and prev2[1] == "^" and (iri := iri_of(kind, token)) in NEED_LANGUAGE:
            return "the update writes " + literal_problem(iri, None)
        if token == "(" and prev2[1] != "^" and (iri := iri_of(prev[0], prev[1])) in NEED_LANGUAGE:
            return f"the update casts to <{iri}>, which needs a language tag; use STRLANG"
        for call in list(calls):
            if (datatype := call.feed(kind, token)) is not None:
                calls.remove(call)
                if datatype is _NOT_FIXED or iri_of(*datatype) is None:
                    return ("STRDT in an update needs a fixed datatype IRI as its second argument, "
                            "so that no literal of a language datatype without a tag is stored")
                if (iri := iri_of(*datatype)) in NEED_LANGUAGE:
                    return "the update writes " + literal_problem(iri, None)
            elif call.done:
                calls.remove(call)
        if kind == "word" and token.upper() == "STRDT":
            calls.append(_StrdtCall())
        recent.append((kind, token, start))
    return None


_NOT_FIXED = ("", "")


class _StrdtCall:
    """Follows one ``STRDT(…, …)`` through the token stream; ``feed`` returns its datatype token
    (kind, text), or ``_NOT_FIXED`` when that is not a single IRI, once the call closes."""

    def __init__(self):
        self.depth, self.argument, self.second, self.done = 0, 0, [], False

    def feed(self, kind: str, token: str):
        if self.depth == 0:
            if token != "(":
                self.done = True  # not a call: the engine reports the syntax error
                return None
            self.depth = 1
            return None
        if token in ("(", "[", "{"):
            self.depth += 1
        elif token in (")", "]", "}"):
            self.depth -= 1
            if self.depth == 0:
                self.done = True
                if self.argument != 1:
                    return None  # not two arguments: a syntax error for the engine
                return self.second[0] if len(self.second) == 1 else _NOT_FIXED
        elif token == "," and self.depth == 1:
            self.argument += 1
            return None
        if self.argument == 1:
            self.second.append((kind, token))
        return None


# -- loads ---------------------------------------------------------------------------------------

_FIND = """SELECT ?s ?p ?o WHERE {{ GRAPH {graph} {{ ?s ?p ?o
  FILTER(isTRIPLE(?s) || isTRIPLE(?o) || isLiteral(?o) && LANG(?o) = "" && DATATYPE(?o) IN (<{a}>, <{b}>))
}} }} LIMIT 1"""


def store_problem(store, graph: str | None = None) -> str | None:
    """A message when ``graph`` (None: every named graph) of a pyoxigraph store holds a term that
    could not be dumped or published."""
    name = f"<{graph}>" if graph else "?g"
    for row in store.query(_FIND.format(graph=name, a=NEED_LANGUAGE[0], b=NEED_LANGUAGE[1])):
        subject, term = row["s"], row["o"]
        if (problem := check_term(term) or check_term(subject)) is None:
            continue
        return f"{show(subject)} <{row['p'].value}> {show(term)}: {problem}"
    return None


def show(term) -> str:
    """A term as N-Triples would write it (triple terms as ``<<( s p o )>>``), shortened."""
    if isinstance(term, Triple):
        return f"<<( {show(term.subject)} {show(term.predicate)} {show(term.object)} )>>"
    text = str(term)
    return text if len(text) <= 80 else text[:77] + "..."


def quad_problem(quad) -> str | None:
    """Why a parsed quad could not be stored, dumped or published, with the quad; or None."""
    if (problem := check_term(quad.object) or check_term(quad.subject)) is None:
        return None
    return f"{show(quad.subject)} {show(quad.predicate)} {show(quad.object)}: {problem}"


# -- RDF/XML -------------------------------------------------------------------------------------

PROLOG_BYTES = 1 << 20  # a DOCTYPE comes before the root element; no real prolog is this long
_DOCTYPE = re.compile(r"<!DOCTYPE\b(.*?)(?:\[(.*?)\])?\s*>", re.DOTALL)


def _as_text(head: bytes) -> str:
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if head.startswith(bom):
            return head.decode(encoding, "replace")
    if head[:2] in (b"<\x00", b"\x00<"):  # UTF-16 without a byte order mark
        return head.decode("utf-16-le" if head[0] == 0x3C else "utf-16-be", "replace")
    return head.decode("utf-8", "replace")


def rdfxml_problem(head: bytes) -> str | None:
    """A message when an RDF/XML document (its first ``PROLOG_BYTES``) declares entities."""
    text = _as_text(head)
    match = _DOCTYPE.search(text)
    if match is None:
        if len(head) >= PROLOG_BYTES and not re.search(r"<[^?!]", text):
            return (f"the RDF/XML document has no root element in its first {PROLOG_BYTES:,} "
                    "bytes; this atlas does not read a prolog that long")
        return None
    before = text[:match.start()]
    if re.search(r"<[^?!]", before):  # a DOCTYPE after the root element is not one
        return None
    if "<!ENTITY" in (match.group(2) or "") or "<!ENTITY" in match.group(0):
        return ("the RDF/XML document declares XML entities in its DOCTYPE; this atlas does not "
                "expand entities (nested ones can grow 1 KB into gigabytes, external ones read "
                "files or URLs). Write the values out and remove the DOCTYPE")
    if re.search(r"\b(SYSTEM|PUBLIC)\b", match.group(1)):
        return ("the RDF/XML document names an external DTD in its DOCTYPE; this atlas reads no "
                "external DTD or entity. Remove the DOCTYPE")
    return None


def check_rdfxml_file(path: Path) -> None:
    """Raise InputError when the RDF/XML file (gzip when it ends in .gz) declares entities."""
    try:
        with (gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")) as raw:
            head = raw.read(PROLOG_BYTES)
    except OSError:
        return  # the parser that follows reports a missing or unreadable file
    if (problem := rdfxml_problem(head)) is not None:
        raise InputError(f"{path}: {problem}")


def check_term(term) -> str | None:
    """Why a pyoxigraph term could not be dumped or published, or None (IRIs, blank nodes, good literals)."""
    if isinstance(term, Triple):
        return TRIPLE_TERMS
    datatype = getattr(term, "datatype", None)
    if datatype is None or datatype.value not in NEED_LANGUAGE:
        return None
    return literal_problem(datatype.value, term.language)


# -- JSON-LD -------------------------------------------------------------------------------------

# pyoxigraph's JSON-LD parser recurses per nested object: 4,000 levels (a 100 KB file) killed the
# process by SIGSEGV (tools/fuzz_engine.py, shape jsonld_object_nest). Real documents nest a few
# levels; the limit matches the SPARQL guard's.
MAX_JSON_DEPTH = 256
_JSON_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]|"')


def jsonld_problem(raw, chunk_bytes: int = 1 << 20) -> str | None:
    """A message when the JSON read from ``raw`` nests objects and arrays deeper than MAX_JSON_DEPTH."""
    depth, carry, offset = 0, b"", 0
    while chunk := raw.read(chunk_bytes):
        data, carry = carry + chunk, b""
        for match in _JSON_TOKEN.finditer(data):
            token = match.group()
            if token == b'"':  # a string that goes on in the next chunk
                carry = data[match.start():]
                break
            if token in (b"{", b"["):
                depth += 1
                if depth > MAX_JSON_DEPTH:
                    return (f"the JSON-LD nests objects or arrays more than {MAX_JSON_DEPTH} levels "
                            f"deep (at byte {offset + match.start():,}); this atlas does not parse that, "
                            "since the parser's recursion could crash on it")
            elif token in (b"}", b"]"):
                depth = max(0, depth - 1)
        offset += len(data) - len(carry)
    return None


def check_jsonld_file(path: Path) -> None:
    """Raise InputError when the JSON-LD file (gzip when it ends in .gz) nests too deeply."""
    try:
        with (gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")) as raw:
            problem = jsonld_problem(raw)
    except OSError:
        return  # the parser that follows reports a missing or unreadable file
    if problem is not None:
        raise InputError(f"{path}: {problem}")


def check_file(path: Path, fmt) -> None:
    """The checks a file of pyoxigraph format ``fmt`` needs before any parser sees it."""
    from pyoxigraph import RdfFormat

    if fmt is RdfFormat.RDF_XML:
        check_rdfxml_file(path)
    elif fmt is RdfFormat.JSON_LD:
        check_jsonld_file(path)
