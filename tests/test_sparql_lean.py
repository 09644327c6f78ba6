"""The lean /sparql path (web/sparql_lean.py) answers exactly what the Flask route answers.

Every request below goes once through the app as served (the lean layer first) and once straight
to the Flask app behind it, over the same store and query workers; status, headers (but Date)
and body must be equal. Plain queries must really be answered by the lean layer (its counter
moves), everything else must reach Flask.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pyoxigraph as ox
import pytest
from werkzeug.test import Client
from werkzeug.wsgi import FileWrapper

from tfatlas.config import load_config
from tfatlas.model.loading import model_sources
from tfatlas.store.embedded import EmbeddedStore
from tfatlas.web.app import create_app

# Deterministic answers (no blank nodes, whose labels differ between two evaluations).
SELECT = "SELECT ?c (COUNT(*) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?c)) } GROUP BY ?c ORDER BY ?c LIMIT 7"
ASK = "ASK { ?s a ?c }"
CONSTRUCT = "CONSTRUCT { ?s a ?c } WHERE { ?s a ?c FILTER(isIRI(?s)) } ORDER BY ?s ?c LIMIT 5"
DESCRIBE = "DESCRIBE <https://w3id.org/tfatlas/id/topic/kanban>"
BASE = "SELECT ?here WHERE { BIND(<relative> AS ?here) }"
WIDE = "SELECT ?s WHERE { ?s ?p ?o }"  # more rows than the cap below
FORM = "application/x-www-form-urlencoded"
_GRAPH_FORMATS = {"text/turtle": ox.RdfFormat.TURTLE, "application/n-triples": ox.RdfFormat.N_TRIPLES,
                  "application/ld+json": ox.RdfFormat.JSON_LD, "application/rdf+xml": ox.RdfFormat.RDF_XML}

# (method, query string parameters, headers, body, answered by the lean layer)
CASES = [
    ("GET", {"query": SELECT}, {}, b"", True),
    ("GET", {"query": SELECT}, {"Accept": "application/sparql-results+json"}, b"", True),
    ("GET", {"query": SELECT}, {"Accept": "application/sparql-results+xml"}, b"", True),
    ("GET", {"query": SELECT}, {"Accept": "text/csv"}, b"", True),
    ("GET", {"query": SELECT}, {"Accept": "text/tab-separated-values"}, b"", True),
    ("GET", {"query": SELECT}, {"Accept": "*/*, application/sparql-results+json;q=0"}, b"", True),
    ("GET", {"query": SELECT}, {"Accept": "text/turtle"}, b"", False),  # 406
    ("GET", {"query": SELECT, "format": "csv"}, {}, b"", True),
    ("GET", {"query": SELECT, "format": "nonsense"}, {}, b"", False),  # 406
    ("GET", {"query": ASK}, {"Accept": "application/sparql-results+xml"}, b"", True),
    ("GET", {"query": ASK}, {"Accept": "text/csv"}, b"", False),  # 406
    ("GET", {"query": CONSTRUCT}, {"Accept": "text/turtle"}, b"", True),
    ("GET", {"query": CONSTRUCT}, {"Accept": "application/n-triples"}, b"", True),
    ("GET", {"query": CONSTRUCT}, {"Accept": "application/ld+json"}, b"", True),
    ("GET", {"query": CONSTRUCT}, {"Accept": "application/sparql-results+json;q=1, text/html;q=0.5"}, b"", False),
    ("GET", {"query": DESCRIBE}, {"Accept": "application/rdf+xml"}, b"", True),
    ("GET", {"query": BASE}, {}, b"", True),  # the base IRI is the endpoint's URL
    ("GET", {"query": SELECT, "default-graph-uri": "https://w3id.org/tfatlas/graph/ontology"}, {}, b"", True),
    ("GET", {"query": SELECT, "named-graph-uri": "not an iri"}, {}, b"", False),  # 400
    ("GET", {"query": "SELEC ?x WHERE {}"}, {}, b"", False),  # 400 malformed
    ("GET", {"query": "SELECT * WHERE { ?s <urn:x:nofunction>(?o) ?p }"}, {}, b"", False),
    ("GET", {"query": WIDE}, {}, b"", False),  # 422 over the result cap
    ("GET", {"query": "{" * 300 + "}" * 300}, {}, b"", False),  # refused by the guard
    ("GET", {"query": SELECT, "qurey": "x"}, {}, b"", False),  # unknown parameter
    ("GET", {"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}, {}, b"", False),
    ("GET", {"lang": "en"}, {"Accept": "text/html"}, b"", False),  # the query page
    ("HEAD", {"query": SELECT}, {}, b"", False),
    ("OPTIONS", {}, {"Origin": "https://example.org", "Access-Control-Request-Method": "POST"}, b"", False),
    ("PUT", {"query": SELECT}, {}, b"", False),  # 405
    ("POST", {}, {"Content-Type": FORM}, urlencode({"query": SELECT}).encode(), True),
    ("POST", {}, {"Content-Type": FORM + "; charset=UTF-8", "Accept": "text/csv"},
     urlencode({"query": SELECT}).encode(), True),
    ("POST", {}, {"Content-Type": "application/sparql-query"}, SELECT.encode(), True),
    ("POST", {"default-graph-uri": "https://w3id.org/tfatlas/graph/ontology"},
     {"Content-Type": "application/sparql-query"}, SELECT.encode(), True),
    ("POST", {"query": SELECT}, {"Content-Length": "0"}, b"", True),  # the query in the URL (Blazegraph)
    ("POST", {}, {"Content-Type": "application/sparql-query; charset=latin-1"}, SELECT.encode(), False),
    ("POST", {}, {"Content-Type": "text/plain"}, SELECT.encode(), False),  # 415
    ("POST", {}, {}, SELECT.encode(), False),  # 415: no content type
    ("POST", {}, {"Content-Type": "application/sparql-query"}, b"\xff\xfe", False),  # not UTF-8
    ("POST", {}, {"Content-Type": "application/sparql-query"}, b"SELEC nothing", False),
    ("POST", {}, {"Content-Type": "application/sparql-update"}, b"INSERT DATA { <urn:a> <urn:b> <urn:c> }", False),
    ("POST", {}, {"Content-Type": "application/sparql-query", "Origin": "https://example.org"}, ASK.encode(), True),
    # escapes the protocol's decoder must read as urllib does: "+", "%2B", "%" (the test client encodes
    # them); raw in a form body, a malformed "%zz" that stays as it is
    ("GET", {"query": 'SELECT ?x WHERE { BIND("a+b %2B 100% é" AS ?x) }'}, {}, b"", True),
    ("POST", {}, {"Content-Type": FORM}, b"query=SELECT+%3Fx+WHERE+%7B+BIND%28%22100%zz%22+AS+%3Fx%29+%7D", True),
]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One app over a seeded store for the module: the comparisons only read."""
    root = tmp_path_factory.mktemp("lean")
    store = EmbeddedStore(root / "store", "https://w3id.org/tfatlas/")
    store.load(model_sources("https://w3id.org/tfatlas/"), replace=True)
    config = load_config(cli={"store": str(store.root), "release_dir": str(root / "release")},
                         environ={"TFATLAS_RESULT_LIMIT": "50", "TFATLAS_RESULT_CACHE_MB": "0"})
    app = create_app(config, store=store)
    yield app
    app.extensions["tfatlas.query_service"].close()
    store.close()


def _count(client: Client, series: str) -> float:
    found = re.search(re.escape(series) + r" (\S+)", client.get("/-/metrics").get_data(as_text=True))
    return float(found.group(1)) if found else 0.0


def _answer(client: Client, method: str, params: dict, headers: dict, body: bytes):
    headers = dict(headers)
    # werkzeug's test client drops a Content-Length of an empty body; waitress passes it on
    overrides = {"CONTENT_LENGTH": headers.pop("Content-Length")} if "Content-Length" in headers else {}
    overrides["wsgi.file_wrapper"] = FileWrapper  # as waitress offers one: the lean path sends through it
    response = client.open("/sparql" + ("?" + urlencode(params) if params else ""), method=method,
                           headers=headers, data=body if method == "POST" else None,
                           environ_overrides=overrides)
    data = response.get_data()
    response.close()
    if method != "HEAD":
        assert int(response.headers.get("Content-Length", len(data))) == len(data)
    graph = _GRAPH_FORMATS.get(response.mimetype)
    if graph is not None and response.status_code == 200:
        # The engine writes a graph's triples in no fixed order: compare the triples.
        data = sorted(str(t) for t in ox.parse(data, graph))
    seen = sorted((name, value) for name, value in response.headers.items()
                  if name != "Date" and not (graph is not None and name == "Content-Length"))
    return response.status, seen, data


@pytest.mark.parametrize("method,params,headers,body,lean", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_lean_and_flask_paths_answer_alike(served, method, params, headers, body, lean):
    layer = served.extensions["tfatlas.lean_sparql"]
    flask_only = Client(layer.downstream)
    as_served = Client(served)  # through app.wsgi_app, i.e. the lean layer first
    expected = _answer(flask_only, method, params, headers, body)
    before = layer.answered
    got = _answer(as_served, method, params, headers, body)
    assert got == expected
    assert layer.answered - before == (1 if lean else 0)
    if lean:
        assert expected[0] == "200 OK"


def test_the_service_description_is_left_to_the_route(served):
    layer = served.extensions["tfatlas.lean_sparql"]
    before = layer.answered
    status, headers, body = _answer(Client(served), "GET", {}, {"Accept": "text/turtle"}, b"")
    assert status == "200 OK" and ("Content-Type", "text/turtle; charset=utf-8") in headers
    assert "<http://www.w3.org/ns/sparql-service-description#Service>" in " ".join(body)
    assert layer.answered == before


def test_failed_queries_are_answered_by_the_route_without_running_again(served):
    """The route answers a query the lean layer ran and that failed, from its outcome: the
    result cap's 422 comes with the route's message, counted once in the metrics."""
    client = Client(served)
    series = 'tfatlas_http_requests_total{endpoint="sparql.sparql",operation="query",status="422"}'
    before = _count(client, series)
    status, _, body = _answer(client, "GET", {"query": WIDE + " # once"}, {}, b"")
    assert status.startswith("422")
    assert b"TFATLAS_RESULT_LIMIT" in body
    assert _count(client, series) == before + 1


def test_lean_answers_are_counted_in_the_metrics(served):
    client = Client(served)
    requests = 'tfatlas_http_requests_total{endpoint="sparql.sparql",operation="query",status="200"}'
    latency = 'tfatlas_http_request_seconds_count{endpoint="sparql.sparql",operation="query"}'
    before = _count(client, requests), _count(client, latency)
    for _ in range(3):
        assert _answer(client, "GET", {"query": ASK}, {}, b"")[0] == "200 OK"
    assert (_count(client, requests), _count(client, latency)) == (before[0] + 3, before[1] + 3)


def _exchange(conn, method: str, target: str, **kwargs):
    conn.request(method, target, **kwargs)
    response = conn.getresponse()
    return response.status, response.getheader("Content-Length"), response.read()


def test_answers_of_every_size_arrive_whole_over_http(seeded_server):
    """Through waitress the lean path sends an answer up to 1 MiB as a file wrapper, offered in
    chunks of SEND_CHUNK, and a larger one as a list (buffered by waitress): every answer must
    arrive whole (valid JSON, every row, the right Content-Length), on one kept-alive connection."""
    import http.client
    import json

    from tfatlas.web.server import SEND_CHUNK
    from tfatlas.web.sparql_lean import WRAPPED_AT_MOST

    rows = "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(!isBlank(?s) && !isBlank(?o)) } ORDER BY ?s ?p ?o LIMIT %d"
    sizes = []
    conn = http.client.HTTPConnection("127.0.0.1", seeded_server.port, timeout=60)
    try:
        for limit in (100, 2000, 4000):
            status, length, body = _exchange(conn, "GET", "/sparql?" + urlencode({"query": rows % limit}),
                                             headers={"Accept": "application/sparql-results+json"})
            assert status == 200 and int(length) == len(body)
            assert len(json.loads(body)["results"]["bindings"]) == limit
            sizes.append(len(body))
        assert _exchange(conn, "GET", "/sparql?" + urlencode({"query": ASK}))[0] == 200  # still in step
    finally:
        conn.close()
    # one send, several sends of the wrapper, and a list beyond it (a temporary file in waitress)
    assert sizes[0] < SEND_CHUNK < sizes[1] <= WRAPPED_AT_MOST < sizes[2], sizes
