"""The W3C SPARQL 1.1 query-evaluation and result-format tests, in-process and over HTTP.

Each test of ``manifest-sparql11-query.ttl`` (with its sub-manifests) and of the result-format
manifests (``csv-tsv-res``, ``json-res``) runs twice:

- in-process with pyoxigraph (a fresh in-memory store per test, ``qt:data`` in its default graph,
  each ``qt:graphData`` in a named graph called by the file's IRI): the engine's own pass count;
- through ``/sparql`` of a live ``tfatlas serve``. One store holds every data file of the suite,
  each in a named graph called by its IRI. The atlas's default graph is the union of its named
  graphs, while a W3C test wants the default graph to be exactly its data files; so every request
  states its dataset with the protocol's ``default-graph-uri`` (the ``qt:data`` files, or an
  absent graph when a test has none) and ``named-graph-uri`` (the ``qt:graphData`` files), unless
  the query names its own dataset with FROM / FROM NAMED. The query's base IRI is its file's IRI,
  sent as a ``BASE`` line in front of the query (the protocol has no base parameter). The result
  is asked for in the format of the expected file (XML for .srx, JSON for .srj, TSV, CSV, Turtle).

Results are compared as the suites mean it (see ``w3c_results``): bags unless the query has a
top-level ORDER BY, blank nodes up to renaming, graphs up to isomorphism. A failure that is
known is listed in ``w3c_expected_failures`` with its reason and reported as xfail; a listed test
that passes fails the run, so the list stays honest. The last test checks that the endpoint
passes at least as many tests as the engine does in-process.
"""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

from support import w3c_expected_failures as known
from support.paths import SHARED, shared_path
from support.servers import Server, tfatlas_command
from support.w3c_manifest import Suite, W3CTest
from support.w3c_results import (Table, compare, graph_from_ntriples, has_top_level_order_by, parse_csv,
                         parse_results, read_expected, table_from_solutions)

SUITE_DIR = SHARED / "w3c" / "sparql" / "sparql11"
MANIFESTS = ("manifest-sparql11-query.ttl", "csv-tsv-res/manifest.ttl", "json-res/manifest.ttl")
# Stands for "no data": a graph that is never loaded, so a dataset naming it has an empty default graph.
EMPTY_GRAPH = "urn:x-tfatlas-test:empty-default-graph"

pytestmark = [pytest.mark.w3c, pytest.mark.xdist_group("w3c-query-eval")]


def _collect() -> list[W3CTest]:
    if not (SUITE_DIR / MANIFESTS[0]).exists():
        return []
    suite = Suite(SUITE_DIR)
    tests: list[W3CTest] = []
    for manifest in MANIFESTS:
        tests.extend(suite.read(SUITE_DIR / manifest))
    return tests


TESTS = _collect()
# Without ../shared there is nothing to collect; one placeholder reports the skip with its reason.
PARAMS = [pytest.param(t, id=t.id) for t in TESTS] or [pytest.param(None, id="suite-absent")]


# -- datasets ----------------------------------------------------------------------------------

_FROM = re.compile(r"\bFROM\s+(NAMED\s+)?<([^>]*)>", re.I)
_COMMENT_LINE = re.compile(r"^\s*#.*$", re.M)


def dataset_clause(test: W3CTest) -> tuple[list[str], list[str]]:
    """The IRIs of the query's FROM and FROM NAMED clauses, resolved against the query's IRI."""
    text = _COMMENT_LINE.sub("", test.query_text())
    default, named = [], []
    for is_named, iri in _FROM.findall(text):
        (named if is_named else default).append(urllib.parse.urljoin(test.query.iri, iri))
    return default, named


def rdf_format(path: Path) -> ox.RdfFormat:
    fmt = ox.RdfFormat.from_extension(path.suffix.lstrip("."))
    if fmt is None:
        raise ValueError(f"{path}: unknown RDF format")
    return fmt


def all_graph_files(tests: list[W3CTest], suite: Suite) -> dict[str, Path]:
    """Every file the tests use as data, named data or FROM target: graph IRI -> file."""
    files: dict[str, Path] = {}
    for test in tests:
        if test.is_syntax_test or test.query is None:
            continue
        for f in (*test.data, *test.graph_data):
            files[f.iri] = f.path
        for iri in (iri for clause in dataset_clause(test) for iri in clause):
            path = suite.path(iri)
            if path is not None:
                files[iri] = path
    return files


# -- the two ways of running a test ------------------------------------------------------------

def actual_from_engine(result, test: W3CTest):
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    if isinstance(result, ox.QueryTriples):
        return graph_from_ntriples(result.serialize(format=ox.RdfFormat.N_TRIPLES))
    if test.result is not None and test.result.path.suffix == ".csv":
        return parse_csv(result.serialize(format=ox.QueryResultsFormat.CSV))
    return table_from_solutions(result)


def run_in_process(test: W3CTest) -> str | None:
    """None when pyoxigraph passes the test in-process, else why not."""
    store = ox.Store()
    text = test.query_text()
    if test.is_syntax_test:
        try:
            store.query(text, base_iri=test.query.iri)
        except SyntaxError as exc:
            return None if test.is_negative else f"rejected a valid query: {exc}"
        except (RuntimeError, OSError, ValueError) as exc:
            # Over HTTP a positive syntax test passes only with a 200, so here too the query must
            # be parsed and evaluated (on an empty dataset) without an error.
            return None if test.is_negative else f"refused a valid query: {type(exc).__name__}: {exc}"
        return "accepted an invalid query" if test.is_negative else None
    for f in test.data:
        store.load(path=f.path, format=rdf_format(f.path), base_iri=f.iri)
    for f in test.graph_data:
        store.load(path=f.path, format=rdf_format(f.path), base_iri=f.iri, to_graph=ox.NamedNode(f.iri))
    # A FROM naming a file of the suite that the manifest does not load: an engine would fetch it.
    suite = Suite(SUITE_DIR)
    for iri in (iri for clause in dataset_clause(test) for iri in clause):
        path = suite.path(iri)
        if path is not None and not store.contains_named_graph(ox.NamedNode(iri)):
            store.load(path=path, format=rdf_format(path), base_iri=iri, to_graph=ox.NamedNode(iri))
    try:
        result = store.query(text, base_iri=test.query.iri)
        actual = actual_from_engine(result, test)
    except (SyntaxError, OSError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"
    expected = read_expected(test.result.path, test.result.iri)
    return compare(expected, actual, ordered=has_top_level_order_by(text))


ACCEPT = {".srx": "application/sparql-results+xml", ".srj": "application/sparql-results+json",
          ".tsv": "text/tab-separated-values", ".csv": "text/csv"}
RESPONSE_FORMATS = {"application/sparql-results+xml": ox.QueryResultsFormat.XML,
                    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
                    "text/tab-separated-values": ox.QueryResultsFormat.TSV}


def accept_for(test: W3CTest) -> str:
    suffix = test.result.path.suffix
    if suffix in ACCEPT:
        return ACCEPT[suffix]
    # An RDF file is either a graph (CONSTRUCT) or a result set in RDF: ask for either kind.
    return "application/n-triples, application/sparql-results+json;q=0.9"


def actual_from_response(response: requests.Response):
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if media_type in RESPONSE_FORMATS:
        return parse_results(response.content, RESPONSE_FORMATS[media_type])
    if media_type == "text/csv":
        return parse_csv(response.content)
    if media_type in ("application/n-triples", "text/plain"):
        return graph_from_ntriples(response.content)
    raise AssertionError(f"unexpected Content-Type {media_type!r}")


def run_over_http(test: W3CTest, endpoint: str, session: requests.Session) -> str | None:
    """None when the endpoint passes the test, else why not."""
    text = f"BASE <{test.query.iri}>\n{test.query_text()}"
    params: list[tuple[str, str]] = [("query", text)]
    if not test.is_syntax_test:
        default, named = dataset_clause(test)
        if not default and not named:
            params += [("default-graph-uri", f.iri) for f in test.data] or [("default-graph-uri", EMPTY_GRAPH)]
            params += [("named-graph-uri", f.iri) for f in test.graph_data]
    # Syntax tests have no result file; their queries may be SELECT, ASK, CONSTRUCT or DESCRIBE.
    headers = {"Accept": accept_for(test) if test.result is not None
               else "application/sparql-results+json, application/n-triples;q=0.9"}
    response = session.post(endpoint, data=params, headers=headers, timeout=60)
    if test.is_syntax_test:
        if test.is_negative:
            return None if response.status_code == 400 else \
                f"expected 400 for an invalid query, got {response.status_code}: {response.text[:300]}"
        return None if response.status_code == 200 else \
            f"expected 200 for a valid query, got {response.status_code}: {response.text[:300]}"
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:500]}"
    try:
        actual = actual_from_response(response)
    except (SyntaxError, ValueError) as exc:
        return f"unreadable response ({response.headers.get('Content-Type')}): {exc}"
    expected = read_expected(test.result.path, test.result.iri)
    return compare(expected, actual, ordered=has_top_level_order_by(test.query_text()))


# -- fixtures ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def w3c_server(tmp_path_factory):
    """One atlas whose store holds every data file of the suite, each in the graph named by its IRI."""
    shared_path("w3c", "sparql", "sparql11", MANIFESTS[0])
    import subprocess
    import sys

    root = tmp_path_factory.mktemp("w3c")
    quads = root / "w3c-data.nq"
    dataset = ox.Dataset()
    for iri, path in all_graph_files(TESTS, Suite(SUITE_DIR)).items():
        for triple in ox.parse(path=path, format=rdf_format(path), base_iri=iri):
            dataset.add(ox.Quad(triple.subject, triple.predicate, triple.object, ox.NamedNode(iri)))
    ox.serialize(dataset, quads, ox.RdfFormat.N_QUADS)
    store = root / "store"
    env = {"TFATLAS_STORE": str(store)}
    import os
    # --force: the W3C test data is not atlas data, the atlas's shapes do not apply to it.
    subprocess.run(tfatlas_command() + ["load", "--no-progress", "--force", str(quads)],
                   env={**os.environ, **env}, check=True, capture_output=True)
    server = Server(store)
    yield server
    server.stop()


_outcomes: dict[str, dict[str, str | None]] = {"in-process": {}, "http": {}}


def _settle(test: W3CTest, outcome: str | None, failures: dict[str, str], where: str) -> None:
    """Pass, xfail with the listed reason, or fail (also when a listed failure passes)."""
    reason = failures.get(test.id)
    if outcome is None:
        if reason is not None:
            pytest.fail(f"{test.id} passes {where} but is listed as a known failure ({reason}); "
                        "remove it from w3c_expected_failures")
        return
    if reason is not None:
        pytest.xfail(reason)
    pytest.fail(f"{test.id} ({test.name}) fails {where}:\n{outcome}", pytrace=False)


def _require(test):
    if test is None:
        shared_path("w3c", "sparql", "sparql11", MANIFESTS[0])


@pytest.mark.parametrize("test", PARAMS)
def test_in_process(test):
    _require(test)
    outcome = run_in_process(test)
    _outcomes["in-process"][test.id] = outcome
    _settle(test, outcome, known.ENGINE, "in pyoxigraph")


@pytest.fixture(scope="module")
def http_session():
    with requests.Session() as session:
        yield session


@pytest.mark.parametrize("test", PARAMS)
def test_over_http(test, w3c_server, http_session):
    _require(test)
    outcome = run_over_http(test, w3c_server.url + "/sparql", http_session)
    _outcomes["http"][test.id] = outcome
    _settle(test, outcome, {**known.ENGINE, **known.HTTP}, "over HTTP")


def test_http_passes_at_least_as_many_as_the_engine(w3c_server, http_session):
    _require(TESTS[0] if TESTS else None)
    in_process = _outcomes["in-process"]
    http = _outcomes["http"]
    for test in TESTS:  # outcomes not seen yet (a run of this test alone, or with -k)
        if test.id not in in_process:
            in_process[test.id] = run_in_process(test)
        if test.id not in http:
            http[test.id] = run_over_http(test, w3c_server.url + "/sparql", http_session)
    engine_passes = sum(1 for t in TESTS if in_process[t.id] is None)
    http_passes = sum(1 for t in TESTS if http[t.id] is None)
    unlisted = [t.id for t in TESTS if http[t.id] is not None and t.id not in known.ENGINE
                and t.id not in known.HTTP]
    print(f"\nW3C query-evaluation and result-format tests: {len(TESTS)}; "
          f"pyoxigraph in-process passes {engine_passes}, the endpoint over HTTP passes {http_passes}")
    assert not unlisted, f"failures over HTTP without a listed reason: {unlisted}"
    assert http_passes >= engine_passes


# -- the comparison itself: it must be able to fail --------------------------------------------

def _table(rows, variables=("x", "y")):
    return Table(list(variables), [{k: v for k, v in zip(variables, row) if v is not None} for row in rows])


IRI_A, IRI_B = ("iri", "http://example/a"), ("iri", "http://example/b")


def test_comparison_is_a_bag_unless_ordered():
    one = _table([(IRI_A, IRI_B), (IRI_B, IRI_A)])
    other = _table([(IRI_B, IRI_A), (IRI_A, IRI_B)])
    assert compare(one, other) is None
    assert compare(one, other, ordered=True) is not None
    assert compare(one, _table([(IRI_A, IRI_B), (IRI_A, IRI_B)])) is not None  # multiplicity counts
    assert compare(one, _table([(IRI_A, IRI_B), (IRI_B, None)])) is not None  # unbound is not a value


def test_comparison_renames_blank_nodes_consistently():
    expected = _table([(("bnode", "e1"), ("bnode", "e1")), (("bnode", "e2"), IRI_A)])
    assert compare(expected, _table([(("bnode", "z"), IRI_A), (("bnode", "q"), ("bnode", "q"))])) is None
    # one blank node on one side cannot stand for two on the other
    assert compare(expected, _table([(("bnode", "q"), ("bnode", "q")), (("bnode", "q"), IRI_A)])) is not None
    assert compare(expected, _table([(("bnode", "q"), ("bnode", "r")), (("bnode", "s"), IRI_A)])) is not None


def test_top_level_order_by_is_told_from_one_in_a_subquery():
    assert has_top_level_order_by("SELECT * { ?s ?p ?o } ORDER BY ?s")
    assert not has_top_level_order_by("SELECT * { { SELECT ?s { ?s ?p ?o } ORDER BY ?s LIMIT 1 } }")
    assert not has_top_level_order_by('SELECT * { ?s ?p "}" } # ORDER BY ?s')


# -- what the suite showed about the endpoint ---------------------------------------------------

def test_the_dataset_of_a_request_replaces_the_union_default_graph(w3c_server, http_session):
    """Why the suite runs as it does: all test data sits in named graphs, and the default graph
    is their union unless the request names its dataset; then it is exactly what is named."""
    data = next(t for t in TESTS if t.id == "aggregates/agg01").data[0].iri

    def ask(query: str, params: list[tuple[str, str]]) -> bool:
        response = http_session.post(w3c_server.url + "/sparql", data=[("query", query), *params],
                                     headers={"Accept": "application/sparql-results+json"}, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()["boolean"]

    assert ask("ASK { ?s ?p ?o }", [])  # the union of the named graphs
    assert not ask("ASK { ?s ?p ?o }", [("default-graph-uri", EMPTY_GRAPH)])
    assert ask("ASK { ?s ?p ?o }", [("default-graph-uri", data)])
    # Naming only a default graph leaves no named graphs.
    assert not ask("ASK { GRAPH ?g { ?s ?p ?o } }", [("default-graph-uri", data)])
    assert ask("ASK { GRAPH ?g { ?s ?p ?o } }", [("default-graph-uri", EMPTY_GRAPH), ("named-graph-uri", data)])


def test_a_query_the_engine_cannot_evaluate_is_a_client_error(w3c_server, http_session):
    """syntax-query/test_4 showed it: pyoxigraph raises RuntimeError for a parsed query it cannot
    evaluate (an unknown extension function); that is the client's query, not a server fault."""
    query = "SELECT ?x WHERE { BIND(<http://example/function>(1) AS ?x) }"
    response = http_session.post(w3c_server.url + "/sparql", data={"query": query},
                                 headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert "not supported" in response.text
