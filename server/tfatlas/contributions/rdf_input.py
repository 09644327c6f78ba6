"""Request bodies to RDF, safely: the media type decides the parser, nothing is fetched.

* JSON-LD: a ``@context`` may be inline, or the atlas's own context by its IRI (replaced by the
  shipped ``ontology/context.jsonld`` before parsing). Any other remote context, and ``@import``,
  is refused (400) before the parser sees it; Oxigraph would refuse it too, with a less helpful
  message, since no document loader is set.
* RDF/XML: a DOCTYPE may declare internal entities with plain values (common for namespace
  abbreviations); external entities (SYSTEM/PUBLIC), parameter entities and entities that refer
  to other entities (the "billion laughs") are refused before parsing. This guard is minimal on
  purpose; the atlas-wide one (model/rdf_safety.py, issue 12) can replace :func:`check_rdfxml`.
* Blank nodes get fresh identifiers (a body's ``_:b1`` is never a node already in the store).
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from functools import lru_cache

import pyoxigraph as ox

from ._deps import MAX_JSON_DEPTH, jsonld_problem, model_dir
from .errors import BadBody, UnsupportedMediaType


@dataclass(frozen=True)
class BodyFormat:
    name: str
    oxigraph: ox.RdfFormat
    datasets: bool


_MEDIA_TYPES = {
    "text/turtle": BodyFormat("Turtle", ox.RdfFormat.TURTLE, False),
    "application/x-turtle": BodyFormat("Turtle", ox.RdfFormat.TURTLE, False),
    "application/n-triples": BodyFormat("N-Triples", ox.RdfFormat.N_TRIPLES, False),
    "application/ld+json": BodyFormat("JSON-LD", ox.RdfFormat.JSON_LD, False),
    "application/rdf+xml": BodyFormat("RDF/XML", ox.RdfFormat.RDF_XML, False),
    "application/trig": BodyFormat("TriG", ox.RdfFormat.TRIG, True),
    "application/n-quads": BodyFormat("N-Quads", ox.RdfFormat.N_QUADS, True),
}
ACCEPTED = tuple(_MEDIA_TYPES)


def body_format(content_type: str | None) -> BodyFormat:
    """The parser for a Content-Type header; 415 for a missing, unknown or non-UTF-8 one."""
    listed = ", ".join(ACCEPTED)
    if not content_type or not content_type.strip():
        raise UnsupportedMediaType(f"The request has no Content-Type; send one of: {listed}.",
                                   f"Der Anfrage fehlt der Content-Type; erlaubt sind: {listed}.")
    media_type, _, params = content_type.partition(";")
    media_type = media_type.strip().lower()
    charset = re.search(r"charset\s*=\s*\"?([^\";\s]+)", params, re.IGNORECASE)
    if charset and charset.group(1).lower() not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"Only UTF-8 is accepted, not charset={charset.group(1)}.",
                                   f"Nur UTF-8 wird angenommen, nicht charset={charset.group(1)}.")
    if media_type not in _MEDIA_TYPES:
        raise UnsupportedMediaType(f"{media_type} is not an RDF format this server reads; send one of: "
                                   f"{listed}.",
                                   f"{media_type} ist kein RDF-Format, das dieser Server liest; erlaubt "
                                   f"sind: {listed}.")
    return _MEDIA_TYPES[media_type]


def parse_body(body: bytes, content_type: str | None, *, base_iri: str,
               atlas_base: str | None = None) -> tuple[list[ox.Quad], BodyFormat]:
    """The quads of a body (triples in the default graph) and its format; 400 on bad syntax."""
    fmt = body_format(content_type)
    if fmt.oxigraph is ox.RdfFormat.JSON_LD:
        # before json.loads (RecursionError) and pyoxigraph (SIGSEGV at a few thousand levels)
        if (too_deep := jsonld_problem(io.BytesIO(body))) is not None:
            raise BadBody(f"The JSON-LD body is refused: {too_deep}",
                          f"Der JSON-LD-Inhalt wird abgelehnt: er ist tiefer verschachtelt als "
                          f"{MAX_JSON_DEPTH} Ebenen.")
        body = inline_atlas_context(body, atlas_base or base_iri)
    elif fmt.oxigraph is ox.RdfFormat.RDF_XML:
        check_rdfxml(body)
    try:
        quads = list(ox.parse(body, fmt.oxigraph, base_iri=base_iri, rename_blank_nodes=True))
    except SyntaxError as exc:
        raise _syntax(fmt, exc) from None
    except ValueError as exc:
        raise BadBody(f"The {fmt.name} body is not valid: {exc}",
                      f"Der {fmt.name}-Inhalt ist ungültig: {exc}") from None
    if any(isinstance(t, ox.Triple) for q in quads for t in (q.subject, q.object)):
        raise BadBody("RDF-star triple terms are not accepted.", "RDF-star-Tripel werden nicht angenommen.")
    return quads, fmt


def _syntax(fmt: BodyFormat, exc: SyntaxError) -> BadBody:
    message = exc.msg if getattr(exc, "msg", None) else str(exc)
    where_en = where_de = ""
    if exc.lineno is not None:
        where_en, where_de = f" at line {exc.lineno}", f" in Zeile {exc.lineno}"
        if exc.offset is not None:
            where_en += f", column {exc.offset}"
            where_de += f", Spalte {exc.offset}"
    return BadBody(f"The {fmt.name} body does not parse{where_en}: {message}",
                   f"Der {fmt.name}-Inhalt ist syntaktisch falsch{where_de}: {message}")


# -- JSON-LD ---------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _atlas_context() -> object:
    path = model_dir("ontology") / "context.jsonld"
    return json.loads(path.read_text("utf-8"))["@context"]


def atlas_context_iris(atlas_base: str) -> tuple[str, ...]:
    return (atlas_base + "ontology/context.jsonld", atlas_base + "context.jsonld")


def inline_atlas_context(body: bytes, atlas_base: str) -> bytes:
    """The document with the atlas's context IRI replaced by the context itself; 400 for others."""
    try:
        document = json.loads(body)
    except UnicodeDecodeError:
        raise BadBody("The JSON-LD body is not UTF-8.", "Der JSON-LD-Inhalt ist nicht UTF-8.") from None
    except json.JSONDecodeError as exc:
        raise BadBody(f"The JSON-LD body does not parse at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                      f"Der JSON-LD-Inhalt ist syntaktisch falsch in Zeile {exc.lineno}, Spalte "
                      f"{exc.colno}: {exc.msg}") from None
    own = atlas_context_iris(atlas_base)
    changed = False

    def context(value):
        nonlocal changed
        if isinstance(value, list):
            return [context(v) for v in value]
        if isinstance(value, str):
            if value in own:
                changed = True
                return _atlas_context()
            raise BadBody(f"The JSON-LD @context {value!r} is remote and is not fetched; inline the "
                          f"context, or use the atlas's own ({own[0]}).",
                          f"Der JSON-LD-@context {value!r} liegt entfernt und wird nicht geladen; den "
                          f"Kontext einbetten oder den des Atlas verwenden ({own[0]}).")
        if isinstance(value, dict):
            if "@import" in value:
                raise BadBody("JSON-LD @import is not supported (it would fetch a remote context).",
                              "JSON-LD-@import wird nicht unterstützt (es würde einen entfernten "
                              "Kontext laden).")
            return {k: walk(v) if k != "@context" else context(v) for k, v in value.items()}
        return value

    def walk(node):
        if isinstance(node, list):
            return [walk(n) for n in node]
        if isinstance(node, dict):
            return {k: context(v) if k == "@context" else walk(v) for k, v in node.items()}
        return node

    rewritten = walk(document)
    return json.dumps(rewritten).encode("utf-8") if changed else body


# -- RDF/XML ---------------------------------------------------------------------------------------

_DOCTYPE = re.compile(rb"<!DOCTYPE\b(.*?)(?:\[(.*?)\])?\s*>", re.DOTALL | re.IGNORECASE)
_ENTITY = re.compile(rb"<!ENTITY\s+(%\s*)?([^\s]+)\s+(.*?)>", re.DOTALL)


def check_rdfxml(body: bytes) -> None:
    """Refuse DOCTYPEs that could reach outside the document or expand without bound."""
    head = body[:1 << 16]  # a DOCTYPE must come before the root element
    if b"<!DOCTYPE" not in head.upper() and b"<!ENTITY" not in body:
        return
    refuse = BadBody("RDF/XML with external or nested entities (SYSTEM, PUBLIC, parameter entities, "
                     "entities referring to entities) is refused; nothing is resolved.",
                     "RDF/XML mit externen oder verschachtelten Entitäten (SYSTEM, PUBLIC, "
                     "Parameter-Entitäten, Entitäten, die auf Entitäten verweisen) wird abgelehnt; "
                     "nichts wird aufgelöst.")
    match = _DOCTYPE.search(body)
    if match is None:
        raise refuse
    external_id, subset = match.group(1), match.group(2) or b""
    if re.search(rb"\b(SYSTEM|PUBLIC)\b", external_id):
        raise refuse
    for entity in _ENTITY.finditer(subset):
        parameter, _name, value = entity.groups()
        value = value.strip()
        quoted = len(value) >= 2 and value[:1] in (b'"', b"'") and value[-1:] == value[:1]
        # Anything but one quoted literal is an external entity (SYSTEM "...", PUBLIC "..." "...").
        if parameter or not quoted or b"&" in value or b"%" in value:
            raise refuse
    if b"<!ENTITY" in body[match.end():]:
        raise refuse
