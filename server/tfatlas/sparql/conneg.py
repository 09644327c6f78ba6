"""Content negotiation for every route of the atlas, in one place (the one media-type table of
responses; RDF file formats are in ``model/formats.py``).

``negotiate(kind, accept, format_param)`` picks the representation of a response:

* ``kind`` is what is sent: ``solutions`` (SELECT), ``boolean`` (ASK), ``graph`` (CONSTRUCT,
  DESCRIBE), ``description`` (the Service Description, which browsers get as HTML), ``page`` (a
  linked-data page or its RDF), ``catalog`` (the release's catalogue), ``rows`` (a stored query) or
  ``report`` (a write's answer: text, JSON, or the SHACL report as Turtle or JSON-LD).
* ``accept`` is the HTTP Accept header. Each offered media type gets the quality of the *most
  specific* range that matches it (``type/subtype`` over ``type/*`` over ``*/*``, as RFC 9110
  section 12.5.1 says), so ``*/*, text/csv;q=0`` excludes CSV and ``*/*;q=0.1`` is a low but
  real preference (grlc broke on exactly that). ``q=0`` means "not acceptable". A ``charset``
  parameter other than UTF-8 makes a range not match; other parameters (JSON-LD profiles, ...)
  are ignored. Among equally good types the server's order below decides.
* ``format_param`` (the ``format`` request parameter, also ``output``/``results`` as SPARQLWrapper
  sends them) overrides the header: a short name (``json``, ``ttl``) or a media type.

No acceptable type is :class:`NotAcceptable`, whose message lists what is supported (406).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pyoxigraph import QueryResultsFormat, RdfFormat
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header, parse_options_header

from ..errors import NotAcceptable


@dataclass(frozen=True)
class Choice:
    name: str  # short name, usable as the ``format`` parameter
    media_type: str
    engine_format: QueryResultsFormat | RdfFormat | None  # None: rendered by the web layer (HTML)
    aliases: tuple[str, ...] = ()  # other media types that mean the same

    @property
    def content_type(self) -> str:
        textual = self.media_type.startswith("text/") or self.media_type.endswith(("json", "xml"))
        return f"{self.media_type}; charset=utf-8" if textual else self.media_type


SPARQL_JSON = Choice("json", "application/sparql-results+json", QueryResultsFormat.JSON,
                     ("application/json",))
SPARQL_XML = Choice("xml", "application/sparql-results+xml", QueryResultsFormat.XML,
                    ("application/xml", "text/xml"))
SPARQL_CSV = Choice("csv", "text/csv", QueryResultsFormat.CSV)
SPARQL_TSV = Choice("tsv", "text/tab-separated-values", QueryResultsFormat.TSV)
TURTLE = Choice("turtle", "text/turtle", RdfFormat.TURTLE, ("application/x-turtle",))
NTRIPLES = Choice("ntriples", "application/n-triples", RdfFormat.N_TRIPLES, ("text/plain",))
JSONLD = Choice("jsonld", "application/ld+json", RdfFormat.JSON_LD, ("application/json",))
RDFXML = Choice("rdfxml", "application/rdf+xml", RdfFormat.RDF_XML, ("application/xml", "text/xml"))
TRIG = Choice("trig", "application/trig", RdfFormat.TRIG)
NQUADS = Choice("nquads", "application/n-quads", RdfFormat.N_QUADS)
HTML = Choice("html", "text/html", None, ("application/xhtml+xml",))
# Linked-data pages offer exactly these (no text/plain or application/xml aliases: a page is not
# a SPARQL result, and those would be guesses).
PAGE_NTRIPLES = Choice("ntriples", "application/n-triples", RdfFormat.N_TRIPLES)
PAGE_RDFXML = Choice("rdfxml", "application/rdf+xml", RdfFormat.RDF_XML)
CATALOG_RDFXML = Choice("rdfxml", "application/rdf+xml", RdfFormat.RDF_XML, ("application/xml",))
# A stored query's rows: plain JSON (the API's own shape) first.
ROWS_JSON = Choice("json", "application/json", None)
ROWS_SPARQL_JSON = Choice("srj", "application/sparql-results+json", QueryResultsFormat.JSON)
ROWS_SPARQL_XML = Choice("srx", "application/sparql-results+xml", QueryResultsFormat.XML)
# A write's answer or refusal: a message, its JSON, or the SHACL report as RDF.
TEXT = Choice("text", "text/plain", None)
JSON = Choice("json", "application/json", None)

#: What each kind of result can be served as, in the server's order of preference.
OFFERS: dict[str, tuple[Choice, ...]] = {
    "solutions": (SPARQL_JSON, SPARQL_XML, SPARQL_CSV, SPARQL_TSV),
    "boolean": (SPARQL_JSON, SPARQL_XML),
    "graph": (TURTLE, NTRIPLES, JSONLD, RDFXML, TRIG, NQUADS),
    "description": (TURTLE, HTML, NTRIPLES, JSONLD, RDFXML, TRIG, NQUADS),
    # HTML first: a client that accepts anything (curl's */*) gets the page for people.
    "page": (HTML, TURTLE, JSONLD, PAGE_NTRIPLES, PAGE_RDFXML),
    "catalog": (HTML, TURTLE, JSONLD, CATALOG_RDFXML),
    "rows": (ROWS_JSON, SPARQL_CSV, ROWS_SPARQL_JSON, ROWS_SPARQL_XML, SPARQL_TSV),
    "report": (TEXT, JSON, TURTLE, JSONLD),
}

_SHORT_NAMES = {"ttl": "turtle", "nt": "ntriples", "n-triples": "ntriples", "json-ld": "jsonld",
                "rdf": "rdfxml", "rdf/xml": "rdfxml", "nq": "nquads", "n-quads": "nquads",
                "sparql-results+json": "json", "srj": "json", "srx": "xml"}


def supported(kind: str) -> str:
    return ", ".join(f"{c.media_type} (format={c.name})" for c in OFFERS[kind])


def _ranges(accept: str) -> list[tuple[str, str, float]]:
    """(type, subtype, q) for each range; ranges with a charset other than UTF-8 are dropped."""
    ranges = []
    for value, quality in parse_accept_header(accept, MIMEAccept):
        mimetype, params = parse_options_header(value)
        charset = params.get("charset", "utf-8").lower()
        if charset not in ("utf-8", "utf8"):
            continue
        major, _, minor = mimetype.lower().partition("/")
        ranges.append((major, minor or "*", quality))
    return ranges


def _quality(media_type: str, ranges: list[tuple[str, str, float]], exact: bool = False) -> float:
    major, minor = media_type.split("/", 1)
    best_specificity, quality = -1, 0.0
    for r_major, r_minor, q in ranges:
        if r_major == major and r_minor == minor:
            specificity = 2
        elif exact:
            continue
        elif r_major == major and r_minor == "*":
            specificity = 1
        elif r_major == "*" and r_minor == "*":
            specificity = 0
        else:
            continue
        if specificity > best_specificity:
            best_specificity, quality = specificity, q
    return quality


def _refused(media_type: str, ranges: list[tuple[str, str, float]]) -> bool:
    major, minor = media_type.split("/", 1)
    return any(r_major == major and r_minor == minor and q == 0 for r_major, r_minor, q in ranges)


def acceptable(kind: str, accept: str | None) -> Choice | None:
    """Like :func:`negotiate` without a format parameter, but None instead of NotAcceptable."""
    try:
        return negotiate(kind, accept)
    except NotAcceptable:
        return None


def _by_format_param(kind: str, value: str) -> Choice:
    wanted = value.strip().lower()
    if "/" in wanted:
        wanted = parse_options_header(wanted)[0]
    wanted = _SHORT_NAMES.get(wanted, wanted)
    if kind in ("graph", "description"):
        # Clients ask for "json"/"xml" generically (SPARQLWrapper does); for a graph that means RDF.
        wanted = {"json": "jsonld", "xml": "rdfxml"}.get(wanted, wanted)
    for choice in OFFERS[kind]:
        if wanted in (choice.name, choice.media_type) or wanted in choice.aliases:
            return choice
    raise NotAcceptable(f"format {value!r} is not available for this result; supported: {supported(kind)}")


# Clients send few distinct Accept headers, and every query is negotiated in the web process and
# again in its worker: parsing the header each time cost more than the rest of the choice.
@lru_cache(maxsize=1024)
def negotiate(kind: str, accept: str | None, format_param: str | None = None) -> Choice:
    """The representation to send for a result of ``kind`` (a refusal raises, and is not kept)."""
    if format_param:
        return _by_format_param(kind, format_param)
    offers = OFFERS[kind]
    if not accept or not accept.strip():
        return offers[0]
    ranges = _ranges(accept)
    best, best_q = None, 0.0
    for choice in offers:
        if _refused(choice.media_type, ranges):
            continue  # text/html;q=0 refuses HTML, also under its alias application/xhtml+xml
        # An alias (application/json for SPARQL JSON) counts only when named exactly: text/*
        # must not pick SPARQL XML through its alias text/xml.
        q = max([_quality(choice.media_type, ranges)] +
                [_quality(alias, ranges, exact=True) for alias in choice.aliases])
        if q > best_q:
            best, best_q = choice, q
    if best is None:
        raise NotAcceptable(f"none of the media types in 'Accept: {accept}' can be produced for this "
                            f"result; supported: {supported(kind)}")
    return best
