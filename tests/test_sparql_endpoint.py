"""/sparql against a live server over a small store of our own: protocol forms, formats, limits."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
import xml.etree.ElementTree as ET

import pyoxigraph as ox
import pytest
import requests
import rdflib

from support.servers import Server, tfatlas_command
from support.stores import load_store

pytestmark = pytest.mark.xdist_group("sparql-endpoint")

EX = "http://example.org/"
G1, G2 = EX + "graph/one", EX + "graph/two"
PEOPLE = 12  # ex:p0 .. ex:p11, split over two graphs
LIMIT = 20  # TFATLAS_RESULT_LIMIT of the server: more than one graph, less than all triples
TOKEN = "endpoint-test-token"

TRIG = "@prefix ex: <http://example.org/> .\n" + "".join(
    f"<{G1 if i % 2 else G2}> {{ ex:p{i} a ex:Person ; ex:name \"Person {i}\"@de ; ex:knows ex:p{(i + 1) % PEOPLE} . }}\n"
    for i in range(PEOPLE))
TRIPLES = PEOPLE * 3
SELECT_ALL = "SELECT ?s ?name WHERE { ?s a <http://example.org/Person> ; <http://example.org/name> ?name }"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store = tmp_path_factory.mktemp("endpoint") / "store"
    load_store(store, TRIG)
    env = {"TFATLAS_RESULT_LIMIT": str(LIMIT), "TFATLAS_MAX_BODY_BYTES": "20000",
           "TFATLAS_ADMIN_TOKEN_SHA256": hashlib.sha256(TOKEN.encode()).hexdigest()}
    running = Server(store, env=env)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def url(server):
    return server.url + "/sparql"


def names(response) -> set[str]:
    return {b["name"]["value"] for b in response.json()["results"]["bindings"]}


# -- the three protocol forms, and the ones federating engines send ------------------------------

def test_get_post_form_post_direct_and_query_in_url_agree(url):
    by_get = requests.get(url, params={"query": SELECT_ALL}, timeout=30)
    by_form = requests.post(url, data={"query": SELECT_ALL}, timeout=30)
    by_direct = requests.post(url, data=SELECT_ALL.encode(), timeout=30,
                              headers={"Content-Type": "application/sparql-query"})
    in_url = requests.post(url, params={"query": SELECT_ALL}, data=b"", timeout=30)  # Blazegraph
    slash = requests.get(url + "/", params={"query": SELECT_ALL}, timeout=30)
    for response in (by_get, by_form, by_direct, in_url, slash):
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"].startswith("application/sparql-results+json")
        assert names(response) == {f"Person {i}" for i in range(PEOPLE)}


def test_bind_joins_as_values_and_as_filter(url):
    values = requests.get(url, timeout=30, params={"query": "SELECT ?name WHERE { VALUES ?s { <http://example.org/p1> "
                          "<http://example.org/p2> } ?s <http://example.org/name> ?name }"})
    as_filter = requests.get(url, timeout=30, params={"query": "SELECT ?name WHERE { ?s <http://example.org/name> "
                             "?name FILTER(?s = <http://example.org/p1> || ?s = <http://example.org/p2>) }"})
    assert names(values) == names(as_filter) == {"Person 1", "Person 2"}


def test_long_query_in_the_url(url):
    # A federating engine's bind join: hundreds of IRIs in VALUES, sent by GET (a 20 kB URL).
    iris = " ".join(f"<http://example.org/p{i}>" for i in range(600))
    query = f"SELECT ?name WHERE {{ VALUES ?s {{ {iris} }} ?s <http://example.org/name> ?name }}"
    response = requests.get(url, params={"query": query}, timeout=30)
    assert response.status_code == 200, response.text[:300]
    assert names(response) == {f"Person {i}" for i in range(PEOPLE)}


# -- dataset -------------------------------------------------------------------------------------

def count(url, query, **params) -> int:
    response = requests.get(url, params={"query": query, **params}, timeout=30)
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def test_default_graph_is_the_union_unless_a_dataset_is_given(url):
    # Only our people: the store also holds a provenance graph about the load.
    everything = 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(STRSTARTS(STR(?s), "http://example.org/p")) }'
    assert count(url, everything) == TRIPLES
    assert count(url, everything, **{"default-graph-uri": G1}) == TRIPLES // 2
    assert count(url, f"SELECT (COUNT(*) AS ?n) FROM <{G2}> WHERE {{ ?s ?p ?o }}") == TRIPLES // 2
    named = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert count(url, named, **{"named-graph-uri": G2}) == TRIPLES // 2


# -- result formats, all parsed by independent readers -------------------------------------------

def test_select_in_every_format(url):
    query = SELECT_ALL + " ORDER BY ?name LIMIT 3"
    for accept, reader in [
        ("application/sparql-results+json", lambda r: len(r.json()["results"]["bindings"])),
        ("application/sparql-results+xml",
         lambda r: len(ET.fromstring(r.content).findall(".//{http://www.w3.org/2005/sparql-results#}result"))),
        ("text/csv", lambda r: len(r.text.strip().splitlines()) - 1),
        ("text/tab-separated-values", lambda r: len(r.text.strip().splitlines()) - 1),
    ]:
        response = requests.get(url, params={"query": query}, headers={"Accept": accept}, timeout=30)
        assert response.status_code == 200 and response.headers["Content-Type"].startswith(accept)
        assert reader(response) == 3, accept
        assert "Accept" in response.headers["Vary"]


@pytest.mark.parametrize("accept,rdflib_format", [
    ("text/turtle", "turtle"), ("application/n-triples", "nt"), ("application/ld+json", "json-ld"),
    ("application/rdf+xml", "xml"), ("application/trig", "trig"), ("application/n-quads", "nquads"),
])
def test_construct_and_describe_in_every_graph_format(url, accept, rdflib_format):
    construct = "CONSTRUCT { ?s <http://example.org/label> ?name } WHERE { ?s <http://example.org/name> ?name }"
    response = requests.post(url, data={"query": construct}, headers={"Accept": accept}, timeout=30)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith(accept)
    graph = rdflib.Dataset() if rdflib_format in ("trig", "nquads") else rdflib.Graph()
    graph.parse(data=response.content, format=rdflib_format)
    assert len(graph) == PEOPLE or len(list(graph.quads())) == PEOPLE
    describe = requests.get(url, params={"query": "DESCRIBE <http://example.org/p3>"},
                            headers={"Accept": accept}, timeout=30)
    assert describe.status_code == 200 and describe.headers["Content-Type"].startswith(accept)


def test_ask_and_format_parameter(url):
    response = requests.get(url, params={"query": "ASK { ?s a <http://example.org/Person> }", "format": "xml"},
                            timeout=30)
    assert response.headers["Content-Type"].startswith("application/sparql-results+xml")
    assert "<boolean>true</boolean>" in response.text


# -- errors: a status and a message, never a 500 -------------------------------------------------

def test_not_acceptable_lists_the_supported_types(url):
    response = requests.get(url, params={"query": SELECT_ALL}, headers={"Accept": "image/png"}, timeout=30)
    assert response.status_code == 406
    assert "application/sparql-results+json" in response.text and "text/csv" in response.text


def test_syntax_error_names_line_and_column(url):
    response = requests.get(url, params={"query": "SELECT *\nWHERE { ?s ?p }"}, timeout=30)
    assert response.status_code == 400
    assert "2:" in response.text and "malformed query" in response.text


@pytest.mark.parametrize("request_kwargs,status", [
    ({"method": "GET", "params": {"query": "ASK {}", "default-graph": G1}}, 400),  # unknown parameter
    ({"method": "GET", "params": {"update": "CLEAR ALL"}}, 400),
    ({"method": "POST", "data": b"ASK {}", "headers": {"Content-Type": "text/plain"}}, 415),
    ({"method": "POST", "data": b"ASK {}", "headers": {"Content-Type": ""}}, 415),
    ({"method": "POST", "data": "ASK { FILTER(\"\u00e9\") }".encode("latin-1"),
      "headers": {"Content-Type": "application/sparql-query"}}, 400),
    ({"method": "POST", "data": b"query=ASK%20%7B%20FILTER(%22%E9%22)%20%7D",
      "headers": {"Content-Type": "application/x-www-form-urlencoded"}}, 400),
    ({"method": "POST", "data": b"x" * 30000, "headers": {"Content-Type": "application/sparql-query"}}, 413),
    ({"method": "PUT", "params": {"query": "ASK {}"}}, 405),
])
def test_bad_requests_get_4xx_with_a_message(url, request_kwargs, status):
    response = requests.request(url=url, timeout=30, **request_kwargs)
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("text/plain") and len(response.text.strip()) > 10


def test_result_cap_is_an_error_never_a_truncated_answer(url):
    over = requests.get(url, params={"query": "SELECT * WHERE { ?s ?p ?o }"}, timeout=30)
    assert over.status_code == 422 and str(LIMIT) in over.text
    graph = requests.get(url, params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, timeout=30)
    assert graph.status_code == 422
    within = requests.get(url, params={"query": f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {LIMIT}"}, timeout=30)
    assert within.status_code == 200 and len(within.json()["results"]["bindings"]) == LIMIT


# -- service description, query UI, CORS, metrics ------------------------------------------------

def test_service_description_with_void_statistics(url):
    response = requests.get(url, headers={"Accept": "text/turtle"}, timeout=30)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/turtle")
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    void = rdflib.Namespace("http://rdfs.org/ns/void#")
    service = graph.value(None, sd.endpoint, rdflib.URIRef(url))
    assert service is not None and (service, rdflib.RDF.type, sd.Service) in graph
    default = graph.value(graph.value(service, sd.defaultDataset), sd.defaultGraph)
    stored = sum(1 for _ in ox.parse(TRIG.encode(), ox.RdfFormat.TRIG))
    assert int(graph.value(default, void.triples)) >= stored  # plus the provenance graph
    assert {str(graph.value(n, sd.name)) for n in graph.objects(None, sd.namedGraph)} >= {G1, G2}
    assert (None, sd.resultFormat, rdflib.URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON")) in graph


def test_browsers_get_yasgui_served_locally(server, url):
    page = requests.get(url, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}, timeout=30)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "/static/yasgui/yasgui.min.js" in page.text and "cdn" not in page.text.lower()
    script = requests.get(server.url + "/static/yasgui/yasgui.min.js", timeout=30)
    assert script.status_code == 200 and "Yasgui" in script.text[:200000]


def test_yasgui_tabs_are_the_stored_queries_with_their_titles(url):
    import html as html_module

    page = requests.get(url, headers={"Accept": "text/html", "Accept-Language": "en"}, timeout=30).text
    tabs = json.loads(html_module.unescape(page.split('id="example-queries" type="application/json">', 1)[1]
                                           .split("</script>", 1)[0]))
    names = [tab["name"] for tab in tabs]
    assert "Who helps with a challenge?" in names  # from who-helps.rq's `#+ title`, in English
    assert not any(name.startswith(("+", "#")) for name in names)
    assert all("#+" not in tab["query"] and "SELECT" in tab["query"].upper() for tab in tabs)


def test_cors_for_reads_and_preflight(url):
    response = requests.get(url, params={"query": "ASK {}"}, headers={"Origin": "https://elsewhere.example"},
                            timeout=30)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    preflight = requests.options(url, timeout=30, headers={
        "Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 200 and preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]


def test_metrics_count_requests_and_store_size(server, url):
    requests.get(url, params={"query": "ASK {}"}, timeout=30)
    text = requests.get(server.url + "/-/metrics", timeout=30).text
    assert 'tfatlas_http_requests_total{endpoint="sparql.sparql",operation="query",status="200"}' in text
    assert "tfatlas_http_request_seconds_bucket" in text and "tfatlas_sparql_timeouts_total" in text
    triples = [line for line in text.splitlines() if line.startswith("tfatlas_store_triples ")]
    assert triples and float(triples[0].split()[1]) >= TRIPLES

    def workers(where: str) -> float:
        text = requests.get(server.url + "/-/metrics", timeout=30).text
        return float(text.split(f'tfatlas_query_workers{{data="{where}"}} ', 1)[1].split()[0])

    for _ in range(50):  # the workers' copies of this small store are made in moments
        if workers("memory") >= 2 and workers("disk") == 0:
            break
        time.sleep(0.2)
    assert workers("memory") >= 2 and workers("disk") == workers("starting") == 0


# -- updates reach the query workers -------------------------------------------------------------

def test_update_is_seen_by_the_next_query(url):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    graph = EX + "graph/added"
    insert = f"INSERT DATA {{ GRAPH <{graph}> {{ <{EX}new> <{EX}name> \"Added\" }} }}"
    done = requests.post(url, data={"update": insert}, headers=auth, timeout=30)
    assert done.status_code == 204, done.text
    for _ in range(3):  # every worker, whichever answers, has the new state
        assert names(requests.get(url, params={"query": f"SELECT ?name {{ GRAPH <{graph}> {{ ?s <{EX}name> ?name }} }}"},
                                  timeout=30)) == {"Added"}
    cleared = requests.post(url, data=f"DROP GRAPH <{graph}>".encode(), headers={
        **auth, "Content-Type": "application/sparql-update"}, timeout=30)
    assert cleared.status_code == 204
    assert requests.get(url, params={"query": f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"}, timeout=30).json() == \
        {"head": {}, "boolean": False}


# -- the same endpoint over the remote-store backend ---------------------------------------------

@pytest.fixture(scope="module")
def oxigraph_serve(tmp_path_factory):
    """`oxigraph serve` in memory on a free port: the remote store that evaluates the queries."""
    import sys
    import time
    from pathlib import Path

    from support.servers import free_port

    port = free_port()
    binary = Path(sys.executable).parent / "oxigraph"
    log = open(tmp_path_factory.mktemp("oxigraph") / "log", "w+")
    process = subprocess.Popen([str(binary), "serve", "--bind", f"127.0.0.1:{port}"], stdout=log,
                               stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            requests.get(url + "/query", params={"query": "ASK {}"}, timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.05)
    yield url
    process.kill()  # it may still be evaluating the query the atlas gave up on
    process.wait()
    log.close()


@pytest.fixture(params=["oxigraph", "virtuoso"])
def remote_store_env(request) -> dict[str, str]:
    """The settings that point the atlas at an empty remote store: `oxigraph serve` or Virtuoso 7.2."""
    if request.param == "virtuoso":
        virtuoso = request.getfixturevalue("virtuoso")
        virtuoso.empty()
        return {"TFATLAS_STORE_URL": virtuoso.url, "TFATLAS_STORE_DIALECT": "virtuoso"}
    return {"TFATLAS_STORE_URL": request.getfixturevalue("oxigraph_serve")}


def test_remote_store_backend_keeps_protocol_limits_and_allow_list(tmp_path, remote_store_env):
    loaded = subprocess.run(tfatlas_command() + ["load", "--force", "--no-progress",
                                                 str(_write(tmp_path / "data.trig", TRIG))],
                            capture_output=True, text=True, env={**os.environ, **remote_store_env})
    assert loaded.returncode == 0, loaded.stderr
    running = Server(tmp_path / "unused-store", env={
        **remote_store_env, "TFATLAS_RESULT_LIMIT": str(LIMIT), "TFATLAS_QUERY_TIMEOUT": "2",
        "TFATLAS_ADMIN_TOKEN_SHA256": hashlib.sha256(TOKEN.encode()).hexdigest()})
    try:
        remote = running.url + "/sparql"
        assert names(requests.post(remote, data={"query": SELECT_ALL}, timeout=30)) == \
            {f"Person {i}" for i in range(PEOPLE)}
        assert count(remote, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", **{"default-graph-uri": G1}) == TRIPLES // 2
        turtle = requests.get(remote, params={"query": "DESCRIBE <http://example.org/p3>"},
                              headers={"Accept": "text/turtle"}, timeout=30)
        assert turtle.status_code == 200
        described = rdflib.Graph().parse(data=turtle.text, format="turtle")
        # DESCRIBE is the server's choice (SPARQL 1.1, 16.4): Oxigraph sends the resource's own
        # triples, Virtuoso adds the ones pointing at it.
        p3 = rdflib.URIRef("http://example.org/p3")
        assert len(set(described.triples((p3, None, None)))) == 3
        assert {s for s, _, _ in described} <= {p3, rdflib.URIRef("http://example.org/p2")}
        assert requests.get(remote, params={"query": "SELECT * { ?s ?p ?o }"}, timeout=30).status_code == 422
        refused = requests.get(remote, params={"query": "SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"},
                               timeout=30)
        assert refused.status_code == 403
        update = requests.post(remote, data={"update": INSERT_REMOTE}, timeout=30)
        assert update.status_code == 401
        update = requests.post(remote, data={"update": INSERT_REMOTE}, headers={"Authorization": f"Bearer {TOKEN}"},
                               timeout=30)
        assert update.status_code == 204, update.text
        assert requests.get(remote, params={"query": "ASK { ?s <http://example.org/name> \"Remote\" }"},
                            timeout=30).json()["boolean"] is True
        slow = requests.get(remote, timeout=60, params={
            "query": "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o . ?q ?r ?t }"})
        assert slow.status_code == 504 and "deadline" in slow.text
    finally:
        running.stop()


INSERT_REMOTE = "INSERT DATA { GRAPH <http://example.org/graph/remote> { <http://example.org/r> <http://example.org/name> \"Remote\" } }"


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


# -- the row count behind the cap, on the engine's own bytes -------------------------------------

TRICKY = ('INSERT DATA { <http://example.org/a> <http://example.org/p> "x},{\\"y\\"<result>\\n\\tz" , "" , "},{}" , _:b , '
          '<http://example.org/b> }')


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_row_count_is_exact_in_every_format(fmt):
    from tfatlas.sparql.conneg import negotiate
    from tfatlas.errors import QueryFailed
    from tfatlas.sparql.results import serialize_solutions

    store = ox.Store()
    store.update(TRICKY)
    queries = {"SELECT * { ?s ?p ?o }": 5, "SELECT ?x { }": 1, "SELECT * { ?s ?p ?o FILTER(false) }": 0,
               "SELECT ?x { VALUES ?x { UNDEF UNDEF 1 } }": 3}
    choice = negotiate("solutions", None, fmt)
    for query, rows in queries.items():
        assert serialize_solutions(store.query(query), choice, cap=5).rows == rows, query
        if rows:
            with pytest.raises(QueryFailed) as caught:
                serialize_solutions(store.query(query), choice, cap=rows - 1)
            assert caught.value.status == 422


# -- the query UI in a real browser --------------------------------------------------------------

@pytest.mark.browser
def test_yasgui_runs_a_query_against_the_endpoint(server, url, browser):
    page = browser.new_page()
    try:
        hosts = set()
        page.on("request", lambda r: hosts.add(r.url.split("/")[2]))
        page.goto(url)
        page.wait_for_selector(".yasqe .CodeMirror", timeout=30000)
        page.evaluate("query => document.querySelector('.yasqe .CodeMirror').CodeMirror.setValue(query)",
                      SELECT_ALL)
        page.click(".yasqe_queryButton")
        page.wait_for_selector(".yasr table tbody tr", timeout=30000)
        assert page.locator(".yasr table tbody tr").count() == PEOPLE
        assert hosts == {server.url.split("/")[2]}  # everything from the atlas itself, no CDN
    finally:
        page.close()


def test_chunked_body_over_the_limit_is_413_not_a_truncated_request(url):
    # Without Content-Length the body arrives chunked; cut at the limit, this update would still
    # parse (the first INSERT DATA) and change the store.
    first = "INSERT DATA { <http://example.org/chunked> <http://example.org/p> 1 } ;\n"
    rest = "".join(f"INSERT DATA {{ <http://example.org/chunked> <http://example.org/p> {i} }} ;\n"
                   for i in range(2, 2000))

    def chunks():
        yield first.encode()
        yield rest.encode()

    response = requests.post(url, data=chunks(), timeout=30, headers={
        "Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 413 and "TFATLAS_MAX_BODY_BYTES" in response.text
    ask = requests.get(url, params={"query": "ASK { <http://example.org/chunked> ?p ?o }"}, timeout=30,
                       headers={"Accept": "application/sparql-results+json"})
    assert ask.json()["boolean"] is False
    small = requests.post(url, data=iter([b"ASK {}"]), timeout=30,
                          headers={"Content-Type": "application/sparql-query"})
    assert small.status_code == 200


def test_a_stored_query_cannot_end_the_script_block_of_the_query_page(app, client, monkeypatch):
    """The tabs are JSON inside <script>: a query text with </script> must stay data, not markup."""
    import html as html_module

    from tfatlas.web.blueprints import sparql as sparql_routes

    hostile = 'SELECT * { ?s ?p "</script><script>alert(1)</script>" }'
    monkeypatch.setattr(sparql_routes, "_example_queries", lambda: [{"name": "x", "query": hostile}])
    page = client.get("/sparql", headers={"Accept": "text/html"}).get_data(as_text=True)
    block = page.split('id="example-queries" type="application/json">', 1)[1].split("</script>", 1)[0]
    assert "<script>alert(1)" not in page
    assert json.loads(html_module.unescape(block)) == [{"name": "x", "query": hostile}]
