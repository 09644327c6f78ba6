"""The W3C SPARQL 1.1 Protocol tests (../shared/w3c/sparql/sparql11/protocol/manifest.ttl), live.

Everything a test does comes from the manifest: each mf:ProtocolTest has ht:Requests (method,
absolute path, headers, body with its character encoding) and ht:Responses with the expected
status classes (mf:expectedStatus), result kind (mf:expectedFormat) and ASK answer
(mf:expectedBoolean). ``ut:graphData`` names the graphs a test needs; they are written through
the endpoint's own update operation before the test (the manifest leaves loading to the harness).

The manifest paths start with ``/sparql/``, which the manifest says to replace with the endpoint
being tested: here ``/sparql``. Update requests carry the operator's admin token; a second test
sends every update request of the suite without it and checks that each is refused and the
store is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

import pytest
import rdflib
import requests
from rdflib.collection import Collection

from support.servers import Server
from support.paths import shared_path
from support.stores import load_store
from support.virtuoso import start_virtuoso
from tfatlas.model.loading import sources_for

MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = "http://www.w3.org/2011/http-statusCodes#StatusCode"

TOKEN = "w3c-protocol-admin"
TABULAR = {"application/sparql-results+json", "application/sparql-results+xml", "text/csv",
           "text/tab-separated-values"}
BOOLEAN = {"application/sparql-results+json", "application/sparql-results+xml"}
RDF = {"application/rdf+xml", "text/turtle", "application/n-triples", "application/ld+json",
       "application/trig", "application/n-quads"}
FORMATS = {"tabular": TABULAR, "boolean": BOOLEAN, "RDF": RDF}

pytestmark = [pytest.mark.w3c, pytest.mark.xdist_group("w3c-protocol")]


@dataclass
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    status_classes: set[int]
    expected_format: str | None
    expected_boolean: bool | None

    of_update_test: bool = False  # the test's name says it is about updates

    @property
    def is_update(self) -> bool:
        """The manifest does not mark update requests; they are what is not a query in an update test."""
        content_type = self.headers.get("content-type", "")
        text = unquote_plus(self.path) + " " + (self.body or b"").decode("utf-8", "replace")
        if "sparql-update" in content_type or "update=" in text:
            return True
        return self.of_update_test and "sparql-query" not in content_type and "query=" not in text


@dataclass
class ProtocolTest:
    iri: str
    name: str
    graph_data: list[tuple[str, str]] = field(default_factory=list)  # (graph IRI, file)
    requests: list[HttpRequest] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.iri.rsplit("#", 1)[-1]


def read_manifest() -> list[ProtocolTest]:
    manifest_path = shared_path("w3c", "sparql", "sparql11", "protocol", "manifest.ttl")
    graph = rdflib.Graph().parse(manifest_path, format="turtle", publicID=manifest_path.as_uri())
    manifest = next(graph.subjects(rdflib.RDF.type, MF.Manifest))
    tests = []
    for entry in Collection(graph, graph.value(manifest, MF.entries)):
        test = ProtocolTest(str(entry), str(graph.value(entry, MF.name)))
        for data in graph.objects(entry, UT.graphData):
            file_path = manifest_path.parent / str(graph.value(data, UT.graph)).rsplit("/", 1)[-1]
            test.graph_data.append((str(graph.value(data, rdflib.RDFS.label)), str(file_path)))
        action = graph.value(entry, MF.action)
        for node in Collection(graph, graph.value(action, HT.requests)):
            headers = {}
            header_list = graph.value(node, HT.headers)
            for header in Collection(graph, header_list) if header_list else []:
                headers[str(graph.value(header, HT.fieldName)).lower()] = str(graph.value(header, HT.fieldValue))
            body_node = graph.value(node, HT.body)
            body = None
            if body_node is not None:
                encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
                # Python's "utf-16" adds a byte-order mark, as a UTF-16 client would send.
                body = str(graph.value(body_node, CNT.chars)).encode(encoding.lower())
            response = graph.value(node, HT.resp)
            classes = {int(str(s).removeprefix(HTS)[0]) for s in graph.objects(response, MF.expectedStatus)}
            fmt = graph.value(response, MF.expectedFormat)
            boolean = graph.value(response, MF.expectedBoolean)
            test.requests.append(HttpRequest(
                method=str(graph.value(node, HT.methodName)), path=str(graph.value(node, HT.absolutePath)),
                headers=headers, body=body, status_classes=classes,
                expected_format=str(fmt) if fmt is not None else None,
                expected_boolean=boolean.toPython() if boolean is not None else None,
                of_update_test="update" in test.id))
        tests.append(test)
    return tests


def _tests_or_skip():
    try:
        return read_manifest()
    except pytest.skip.Exception:
        return []


TESTS = _tests_or_skip()


TINY = "<http://example.org/s> <http://example.org/p> <http://example.org/o> .\n"


@pytest.fixture(scope="module", params=["embedded", "virtuoso"])
def server(request, tmp_path_factory):
    """The atlas over its embedded store, and over Virtuoso 7.2 as its remote store."""
    store = tmp_path_factory.mktemp("w3c-protocol") / "store"
    env = {"TFATLAS_ADMIN_TOKEN_SHA256": hashlib.sha256(TOKEN.encode()).hexdigest()}
    virtuoso = None
    if request.param == "virtuoso":
        # its own instance: the suite's DROP ALL must not meet other tests' data
        virtuoso = start_virtuoso(store.parent / "virtuoso")
        env |= {"TFATLAS_STORE_URL": virtuoso.url, "TFATLAS_STORE_DIALECT": "virtuoso"}
        with virtuoso.store("https://w3id.org/tfatlas/") as remote:
            tiny = store.parent / "tiny.ttl"
            tiny.write_text(TINY, encoding="utf-8")
            remote.load(sources_for([tiny], "https://w3id.org/tfatlas/"))
    else:
        # A store with data is not initialised with the knowledge model: a faster start, and the
        # suite's updates (DROP ALL, CLEAR ALL) only ever see test data.
        load_store(store, TINY, "tiny.ttl")
    try:
        running = Server(store, env=env)
        yield running
        running.stop()
    finally:
        if virtuoso is not None:
            virtuoso.remove()


def send(server, request: HttpRequest, token: str | None) -> requests.Response:
    path = request.path.replace("/sparql/", "/sparql", 1)
    headers = dict(request.headers)
    if token is not None and request.is_update:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(request.method, server.url + path, headers=headers, data=request.body,
                            timeout=60, allow_redirects=False)


def admin_update(server, update: str) -> None:
    response = requests.post(server.url + "/sparql", data={"update": update}, timeout=60,
                             headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 204, response.text


def load_graph_data(server, test: ProtocolTest) -> None:
    for graph, path in test.graph_data:
        with open(path, encoding="utf-8") as triples:
            admin_update(server, f"DROP SILENT GRAPH <{graph}> ; INSERT DATA {{ GRAPH <{graph}> {{ {triples.read()} }} }}")


def check_response(request: HttpRequest, response: requests.Response) -> None:
    assert response.status_code // 100 in request.status_classes, (
        f"{request.method} {request.path}: expected {sorted(request.status_classes)}xx, got "
        f"{response.status_code}: {response.text[:300]}")
    if request.expected_format is None:
        return
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    assert media_type in FORMATS[request.expected_format], (request.expected_format, media_type)
    if request.expected_boolean is not None:
        if media_type == "application/sparql-results+json":
            value = json.loads(response.content)["boolean"]
        else:
            text = ET.fromstring(response.content).find("{http://www.w3.org/2005/sparql-results#}boolean").text
            value = text.strip() == "true"
        assert value is request.expected_boolean


def test_the_manifest_has_all_34_tests():
    if not TESTS:
        shared_path("w3c", "sparql", "sparql11", "protocol", "manifest.ttl")  # skips with the reason
    assert len(TESTS) == 34


@pytest.mark.parametrize("test", TESTS, ids=[t.id for t in TESTS])
def test_protocol(server, test: ProtocolTest):
    load_graph_data(server, test)
    for request in test.requests:
        check_response(request, send(server, request, TOKEN))


def dump(server) -> list[str]:
    """Every quad of the store (named graphs, and the union default graph), sorted: a state to compare."""
    query = "SELECT ?g ?s ?p ?o WHERE { { GRAPH ?g { ?s ?p ?o } } UNION { ?s ?p ?o } }"
    response = requests.get(server.url + "/sparql", params={"query": query},
                            headers={"Accept": "text/tab-separated-values"}, timeout=60)
    assert response.status_code == 200, response.text
    return sorted(set(response.text.splitlines()[1:]))


def test_every_update_without_the_token_is_refused_and_changes_nothing(server):
    updates = [(t, r) for t in TESTS for r in t.requests if r.is_update]
    assert len(updates) >= 14  # the suite's update requests, good and bad
    admin_update(server, "INSERT DATA { GRAPH <http://example.org/keep> { <http://example.org/s> "
                         "<http://example.org/p> \"must survive\" } }")
    before = dump(server)
    assert any("must survive" in line for line in before)
    for test, request in updates:
        response = send(server, request, token=None)
        assert 400 <= response.status_code < 500, (test.id, response.status_code, response.text)
        if 2 in request.status_classes:  # a valid update: refused for want of the token
            assert response.status_code == 401, (test.id, response.text)
            assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")
        wrong = send(server, request, token="not-the-token")
        # an unknown token is 401 like a missing one (issue 10: neither the admin's nor an account's)
        assert 400 <= wrong.status_code < 500 and (wrong.status_code == 401 or 2 not in request.status_classes)
        assert dump(server) == before, f"{test.id} changed the store without the admin token"
