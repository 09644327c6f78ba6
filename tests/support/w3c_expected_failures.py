"""Known failures of the W3C SPARQL 1.1 query-evaluation and result-format tests, with reasons.

Keys are test ids as ``w3c_manifest.W3CTest.id`` makes them ('<suite folder>/<local name>').
A listed test that passes fails the run: remove it from here then.
"""

_NEWER_TEST = "a test added to the suite after SPARQL 1.1 became a Recommendation; "
_CANONICAL = ("Oxigraph stores literals of numeric datatypes in canonical form, so the text "
              "the data file had is not what comes back: ")

#: Tests that pyoxigraph 0.5.13 itself fails in-process; the endpoint runs the same engine.
ENGINE: dict[str, str] = {
    "aggregates/agg-groupconcat-04": _NEWER_TEST + "GROUP_CONCAT over literals that share a language "
        "tag; pyoxigraph keeps the tag (\"1 2\"@en), the test compares with the simple literal \"1 2\"",
    "aggregates/agg-groupconcat-06": _NEWER_TEST + "GROUP_CONCAT of one language-tagged literal; "
        "pyoxigraph keeps the tag (\"1\"@en), the test compares with the simple literal \"1\"",
    "aggregates/agg-empty-group-count-graph": _NEWER_TEST + "an aggregate subquery inside GRAPH ?g; "
        "pyoxigraph evaluates the subquery once, not per named graph (one row with ?g unbound)",
    "bindings/graph": _NEWER_TEST + "VALUES inside GRAPH ?g binding ?g with UNDEF; pyoxigraph leaves "
        "?g unbound instead of joining it with each graph name",
    "functions/bnode01": "BNODE(str) must give the same blank node for the same string only within one "
        "solution; pyoxigraph gives the same blank node across solutions",
    "negation/graph-minus": _NEWER_TEST + "MINUS inside GRAPH ?g; pyoxigraph treats the graph "
        "variable as shared by both sides of MINUS and removes every row",
    "property-path/zero_or_more_set_start": _NEWER_TEST + "?s :p* :o on an empty graph must still "
        "match the zero-length path (?s = :o); pyoxigraph returns no row",
    "property-path/zero_or_more_set_end": _NEWER_TEST + ":s :p* ?o on an empty graph must still match "
        "the zero-length path (?o = :s); pyoxigraph returns no row",
    "property-path/zero_or_one_set_start": _NEWER_TEST + "?s :p? :o on an empty graph must still "
        "match the zero-length path (?s = :o); pyoxigraph returns no row",
    "property-path/zero_or_one_set_end": _NEWER_TEST + ":s :p? ?o on an empty graph must still match "
        "the zero-length path (?o = :s); pyoxigraph returns no row",
    "syntax-query/test_4": "a valid query calling an extension function the engine does not know; "
        "pyoxigraph parses it but refuses to evaluate it (\"custom function ... is not supported\") "
        "instead of treating the call as an expression error",
    "csv-tsv-res/csv03": _CANONICAL + "\"1.0E6\"^^xsd:double comes back as 1000000, and CSV compares text",
    "csv-tsv-res/tsv03": _CANONICAL + "\"-3\"^^xsd:negativeInteger comes back as xsd:integer",
}

#: Tests that fail only over HTTP, because of something the protocol or the endpoint does.
HTTP: dict[str, str] = {}
