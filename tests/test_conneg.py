"""Content negotiation: one table of Accept headers and what each must give (the prez pattern)."""

import pytest

from tfatlas.sparql import conneg
from tfatlas.errors import NotAcceptable
from tfatlas.sparql.conneg import negotiate

JSON, XML, CSV, TSV = ("application/sparql-results+json", "application/sparql-results+xml",
                       "text/csv", "text/tab-separated-values")
TTL, NT, JSONLD, RDFXML = "text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"

CASES = [
    # kind, Accept, format parameter, expected media type
    ("solutions", None, None, JSON),
    ("solutions", "", None, JSON),
    ("solutions", "*/*", None, JSON),
    ("solutions", "*/*;q=0.1", None, JSON),  # grlc's case: a low but real preference
    ("solutions", "text/csv", None, CSV),
    ("solutions", "text/*", None, CSV),
    ("solutions", "text/*, text/csv;q=0", None, TSV),  # q=0 excludes, the wildcard still admits TSV
    ("solutions", "*/*, application/sparql-results+json;q=0", None, XML),
    ("solutions", "application/sparql-results+xml;q=0.9, text/tab-separated-values", None, TSV),
    ("solutions", "application/sparql-results+xml, application/sparql-results+json;q=0.5", None, XML),
    ("solutions", "application/json", None, JSON),
    ("solutions", "application/xml", None, XML),
    ("solutions", "application/sparql-results+json;charset=utf-8", None, JSON),
    ("solutions", "application/sparql-results+json;charset=UTF-8", None, JSON),
    ("solutions", "application/sparql-results+json;charset=latin-1, text/csv;q=0.2", None, CSV),
    ("solutions", "text/turtle, */*;q=0.5", None, JSON),  # Virtuoso's bug: never RDF for a SELECT
    ("solutions", "text/csv", "json", JSON),  # the parameter overrides the header
    ("solutions", None, "tsv", TSV),
    ("solutions", None, "text/csv", CSV),
    ("boolean", "text/csv, application/sparql-results+xml;q=0.1", None, XML),
    ("boolean", "*/*", None, JSON),
    ("graph", None, None, TTL),
    ("graph", "*/*", None, TTL),
    ("graph", "application/n-triples", None, NT),
    ("graph", "text/plain", None, NT),
    ("graph", "application/ld+json;profile=\"http://www.w3.org/ns/json-ld#compacted\"", None, JSONLD),
    ("graph", "application/json", None, JSONLD),
    ("graph", "application/rdf+xml;q=0.9, text/turtle;q=0.8", None, RDFXML),
    ("graph", "application/trig", None, "application/trig"),
    ("graph", "application/n-quads", None, "application/n-quads"),
    ("graph", "application/sparql-results+json, */*;q=0.1", None, TTL),
    ("graph", None, "xml", RDFXML),  # SPARQLWrapper sends format=xml for RDF/XML
    ("graph", None, "json-ld", JSONLD),
    ("description", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", None, "text/html"),
    ("description", "text/turtle", None, TTL),
    ("description", "application/rdf+xml", None, RDFXML),
    ("description", None, None, TTL),
]


@pytest.mark.parametrize("kind,accept,fmt,expected", CASES)
def test_negotiation_matrix(kind, accept, fmt, expected):
    assert negotiate(kind, accept, fmt).media_type == expected


@pytest.mark.parametrize("kind,accept,fmt", [
    ("solutions", "image/png", None),
    ("solutions", "text/turtle", None),
    ("solutions", "*/*;q=0", None),
    ("solutions", "application/sparql-results+json;q=0, application/sparql-results+xml;q=0, text/*;q=0", None),
    ("boolean", "text/csv", None),
    ("graph", "application/sparql-results+json", None),
    ("solutions", None, "turtle"),
    ("solutions", None, "no-such-format"),
])
def test_not_acceptable_lists_what_is_supported(kind, accept, fmt):
    with pytest.raises(NotAcceptable) as caught:
        negotiate(kind, accept, fmt)
    for choice in conneg.OFFERS[kind]:
        assert choice.media_type in str(caught.value)


def test_text_types_declare_utf8():
    assert negotiate("solutions", "text/csv").content_type == "text/csv; charset=utf-8"
    assert negotiate("graph", "text/turtle").content_type == "text/turtle; charset=utf-8"
