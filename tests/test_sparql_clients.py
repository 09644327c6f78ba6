"""Real SPARQL clients against a live `tfatlas serve`: what registries and scripts will use.

The server's store holds a small data file of this domain (offers, providers, topics, contact
points as blank nodes, language-tagged and typed literals). Every answer a client gets is compared
with what pyoxigraph answers in-process for the same query over the same file, so nothing here
is a hand-copied expectation.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from rdflib import Graph
from rdflib.compare import isomorphic
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, JSONLD, TSV, TURTLE, XML, SPARQLWrapper

from support.paths import IN_CI
from support.servers import Server, free_port, tfatlas_command
from support.w3c_results import (Table, compare, graph_from_ntriples, parse_csv, parse_results,
                         rdflib_term, table_from_solutions)

pytestmark = pytest.mark.xdist_group("sparql-clients")

GRAPH = "https://w3id.org/tfatlas/graph/user/client-test"
DATA = """
@prefix tfa: <https://w3id.org/tfatlas/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix id: <https://w3id.org/tfatlas/id/> .

id:topic\\/agilitaet a skos:Concept ; skos:prefLabel "Agilität"@de , "Agility"@en .
id:topic\\/scrum a skos:Concept ; skos:broader id:topic\\/agilitaet ; skos:prefLabel "Scrum"@de , "Scrum"@en .
id:topic\\/ki a skos:Concept ; skos:prefLabel "KI"@de , "AI"@en .

id:org\\/digitalakademie a tfa:TransformationActor ; rdfs:label "Digitalakademie Bund"@de ;
    dcat:contactPoint [ a vcard:Organization ; vcard:hasEmail <mailto:kontakt@example.org> ] .
id:org\\/govlab a tfa:TransformationActor ; rdfs:label "GovLabDE"@de , "GovLabDE"@en .

id:offer\\/scrum-kurs a tfa:Offer ; rdfs:label "Scrum-Grundkurs"@de , "Scrum basics"@en ;
    tfa:providedBy id:org\\/digitalakademie ; tfa:hasTopic id:topic\\/scrum ;
    tfa:participants 20 ; dct:modified "2024-04-25"^^xsd:date .
id:offer\\/agil-werkstatt a tfa:Offer ; rdfs:label "Agile Werkstatt"@de ;
    tfa:providedBy id:org\\/govlab ; tfa:hasTopic id:topic\\/agilitaet ;
    tfa:price 12.5 ; dct:modified "2024-05-15"^^xsd:date .
id:offer\\/ki-labor a tfa:Offer ; rdfs:label "KI-Labor \\"Praxis\\", Teil 1"@de ;
    tfa:providedBy id:org\\/govlab ; tfa:hasTopic id:topic\\/ki ;
    dct:description "Zeile eins\\nZeile zwei\\tmit Tab" ; dct:modified "2023-11-02"^^xsd:date .
"""
PREFIXES = """PREFIX tfa: <https://w3id.org/tfatlas/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX vcard: <http://www.w3.org/2006/vcard/ns#>
"""
SELECT = PREFIXES + """
SELECT ?offer ?label ?provider ?modified ?description WHERE {
  ?offer a tfa:Offer ; rdfs:label ?label ; tfa:providedBy ?provider ; dct:modified ?modified .
  OPTIONAL { ?offer dct:description ?description }
}"""
CONSTRUCT = PREFIXES + """
CONSTRUCT { ?actor rdfs:label ?label ; dcat:contactPoint ?c . ?c vcard:hasEmail ?mail . ?offer tfa:providedBy ?actor }
WHERE { ?actor a tfa:TransformationActor ; rdfs:label ?label .
        OPTIONAL { ?actor dcat:contactPoint ?c . ?c vcard:hasEmail ?mail }
        OPTIONAL { ?offer tfa:providedBy ?actor } }"""
TOPIC = "https://w3id.org/tfatlas/id/topic/"


@pytest.fixture(scope="module")
def data_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("client-data") / "offers.ttl"
    path.write_text(DATA, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(data_file) -> ox.Store:
    """The same data in pyoxigraph in-process: the source of every expected answer."""
    store = ox.Store()
    store.load(path=data_file, format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(GRAPH))
    return store


def expected(reference: ox.Store, query: str):
    result = reference.query(query, use_default_graph_as_union=True)
    if isinstance(result, ox.QueryTriples):
        return graph_from_ntriples(result.serialize(format=ox.RdfFormat.N_TRIPLES))
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    return table_from_solutions(result)


@pytest.fixture(scope="module")
def atlas(tmp_path_factory, data_file):
    store = tmp_path_factory.mktemp("client-atlas") / "store"
    env = {**os.environ, "TFATLAS_STORE": str(store)}
    env.pop("TFATLAS_STORE_URL", None)
    # --force: the shapes are not under test here, and this data is not a complete atlas entry.
    subprocess.run(tfatlas_command() + ["load", "--no-progress", "--force", "--graph", GRAPH, str(data_file)],
                   env=env, check=True, capture_output=True)
    server = Server(store)
    yield server
    server.stop()


def endpoint(server: Server) -> str:
    return server.url + "/sparql"


def assert_same(expected_result, actual, ordered: bool = False) -> None:
    difference = compare(expected_result, actual, ordered=ordered)
    assert difference is None, difference


# -- SPARQLWrapper -----------------------------------------------------------------------------

def wrapper(server: Server, query: str, fmt: str, method: str = "GET") -> SPARQLWrapper:
    client = SPARQLWrapper(endpoint(server))
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setMethod(method)
    return client


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_select_json(atlas, reference, method):
    answer = wrapper(atlas, SELECT, JSON, method).queryAndConvert()
    assert isinstance(answer, dict)
    actual = parse_results(json.dumps(answer), ox.QueryResultsFormat.JSON)
    assert len(actual.rows) == 4  # guards against both sides being empty
    assert_same(expected(reference, SELECT), actual)


def test_sparqlwrapper_select_xml(atlas, reference):
    document = wrapper(atlas, SELECT, XML).queryAndConvert()  # a DOM document
    actual = parse_results(document.toxml(), ox.QueryResultsFormat.XML)
    assert_same(expected(reference, SELECT), actual)


def test_sparqlwrapper_select_tsv(atlas, reference):
    body = wrapper(atlas, SELECT, TSV).queryAndConvert()
    actual = parse_results(body, ox.QueryResultsFormat.TSV)
    assert_same(expected(reference, SELECT), actual)


def test_sparqlwrapper_select_csv(atlas, reference):
    body = wrapper(atlas, SELECT, CSV).queryAndConvert()
    reference_csv = reference.query(SELECT, use_default_graph_as_union=True).serialize(
        format=ox.QueryResultsFormat.CSV)
    actual = parse_csv(body)
    assert len(actual.rows) == 4
    assert_same(parse_csv(reference_csv), actual)


def test_sparqlwrapper_ask(atlas, reference):
    query = PREFIXES + f"ASK {{ ?o tfa:hasTopic <{TOPIC}ki> }}"
    answer = wrapper(atlas, query, JSON).queryAndConvert()
    assert answer["boolean"] is expected(reference, query) is True


def test_sparqlwrapper_construct_turtle(atlas, reference):
    body = wrapper(atlas, CONSTRUCT, TURTLE).queryAndConvert()
    graph = Graph().parse(data=body, format="turtle")
    assert len(graph) > 0
    assert isomorphic(graph, expected(reference, CONSTRUCT))


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")  # inside SPARQLWrapper
def test_sparqlwrapper_construct_jsonld(atlas, reference):
    graph = wrapper(atlas, CONSTRUCT, JSONLD).queryAndConvert()  # SPARQLWrapper parses JSON-LD itself
    assert isinstance(graph, Graph) and len(graph) > 0
    assert isomorphic(graph, expected(reference, CONSTRUCT))


# -- rdflib's SPARQLStore ----------------------------------------------------------------------

def test_rdflib_sparqlstore(atlas, reference):
    graph = Graph(store=SPARQLStore(endpoint(atlas), returnFormat="json"))
    query = PREFIXES + "SELECT ?offer ?label WHERE { ?offer a tfa:Offer ; rdfs:label ?label }"
    rows = [{str(v): rdflib_term(row[v]) for v in row.labels if row[v] is not None} for row in graph.query(query)]
    want = expected(reference, query)
    assert len(rows) == len(want.rows) > 0
    assert_same(want, Table(want.variables, rows))
    # Graph-level reads become SELECTs on the endpoint too.
    offers = set(graph.subjects(predicate=None, object=None))
    assert {r["offer"][1] for r in want.rows} <= {str(o) for o in offers}


# -- the forms federating engines send ---------------------------------------------------------

def test_virtuoso_style_filter_bind_join(atlas, reference):
    """Virtuoso sends a bind join as FILTER(?x = <iri>) alternatives."""
    query = PREFIXES + f"""SELECT ?offer ?topic WHERE {{ ?offer tfa:hasTopic ?topic .
        FILTER(?topic = <{TOPIC}scrum> || ?topic = <{TOPIC}ki>) }}"""
    response = requests.post(endpoint(atlas), data={"query": query},
                             headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert response.status_code == 200, response.text
    actual = parse_results(response.content, ox.QueryResultsFormat.JSON)
    assert len(actual.rows) == 2
    assert_same(expected(reference, query), actual)


def test_values_bind_join(atlas, reference):
    query = PREFIXES + f"""SELECT ?offer ?topic ?label WHERE {{
        VALUES (?topic) {{ (<{TOPIC}scrum>) (<{TOPIC}agilitaet>) (<{TOPIC}unknown>) }}
        ?offer tfa:hasTopic ?topic ; rdfs:label ?label }}"""
    response = requests.post(endpoint(atlas), data=query.encode("utf-8"),
                             headers={"Content-Type": "application/sparql-query",
                                      "Accept": "application/sparql-results+xml"}, timeout=30)
    assert response.status_code == 200, response.text
    actual = parse_results(response.content, ox.QueryResultsFormat.XML)
    assert len(actual.rows) == 3
    assert_same(expected(reference, query), actual)


@pytest.mark.parametrize("content_type", [None, "application/x-www-form-urlencoded"])
def test_blazegraph_style_query_in_url_with_empty_post_body(atlas, reference, content_type):
    query = PREFIXES + "SELECT ?actor ?label WHERE { ?actor a tfa:TransformationActor ; rdfs:label ?label }"
    headers = {"Accept": "application/sparql-results+json"}
    if content_type:
        headers["Content-Type"] = content_type
    response = requests.post(endpoint(atlas) + "?" + urllib.parse.urlencode({"query": query}),
                             data=b"", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    assert_same(expected(reference, query), parse_results(response.content, ox.QueryResultsFormat.JSON))


# -- another engine federating into the atlas --------------------------------------------------

@pytest.fixture
def oxigraph_server(tmp_path):
    """`oxigraph serve` (the binary of the oxigraph package) on a free port, on disk in tmp."""
    binary = Path(sys.executable).parent / "oxigraph"
    if not binary.exists() and not IN_CI:  # CI installs the test extra: there it must run
        pytest.skip(f"{binary} is missing (pip install the test extra: oxigraph)")
    port = free_port()
    log = open(tmp_path / "oxigraph.log", "w+")
    process = subprocess.Popen([str(binary), "serve", "--location", str(tmp_path / "oxigraph"),
                                "--bind", f"127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"oxigraph serve exited: {log.seek(0) or log.read()}"
            try:
                requests.get(url + "/query", params={"query": "ASK {}"}, timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "oxigraph serve did not come up in 60 s"
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


LOCAL_DATA = f"""
<{TOPIC}scrum> <http://example.org/registry#code> "AGL-SCRUM" .
<{TOPIC}ki> <http://example.org/registry#code> "KI-001" .
<{TOPIC}new-work> <http://example.org/registry#code> "NW-001" .
"""


def test_oxigraph_federates_with_service(atlas, reference, oxigraph_server):
    """A registry on another engine joins its own codes with the atlas's offers through SERVICE."""
    response = requests.post(oxigraph_server + "/store?default", data=LOCAL_DATA.encode(),
                             headers={"Content-Type": "application/n-triples"}, timeout=30)
    assert response.status_code in (200, 201, 204), response.text
    pattern = PREFIXES + """SELECT ?code ?offer ?label WHERE {
        ?topic <http://example.org/registry#code> ?code .
        %s { ?offer tfa:hasTopic ?topic ; rdfs:label ?label . FILTER(lang(?label) = "de") } }"""
    query = pattern % f"SERVICE <{endpoint(atlas)}>"
    response = requests.post(oxigraph_server + "/query", data=query.encode("utf-8"),
                             headers={"Content-Type": "application/sparql-query",
                                      "Accept": "application/sparql-results+json"}, timeout=60)
    assert response.status_code == 200, response.text
    actual = parse_results(response.content, ox.QueryResultsFormat.JSON)
    # Expected: the same join in one in-process store, the atlas's data in its graph.
    joined = ox.Store()
    for quad in reference:
        joined.add(quad)
    joined.load(LOCAL_DATA, format=ox.RdfFormat.N_TRIPLES)
    want = table_from_solutions(joined.query(pattern % f"GRAPH <{GRAPH}>"))
    assert len(want.rows) == 2
    assert_same(want, actual)
