"""``LOAD <url>`` in the operator's update is fetched and checked by the atlas like an upload
(contributions/load_source.py): allow-list for every hop, size limit, entity declarations, JSON-LD
depth and remote contexts, literals the store could not dump; the document from a real HTTP server."""

from __future__ import annotations

import hashlib
import http.server
import threading

import pytest
import requests

from support.servers import Server, send_body
from support.stores import load_store
from tfatlas.contributions.load_source import load_operations
from tfatlas.contributions.operator_update import written_graphs

pytestmark = pytest.mark.xdist_group("operator-load")

TOKEN = "load-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LIMIT = 64 * 1024
TURTLE = b"@prefix ex: <http://example.org/> .\nex:doc ex:says \"from the document\" .\n"
BOMB = (b'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n <!ENTITY a "aaaaaaaaaa">\n'
        b' <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">\n]>\n'
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">\n'
        b' <rdf:Description rdf:about="http://example.org/bomb"><ex:says>&c;</ex:says></rdf:Description>\n'
        b'</rdf:RDF>\n')
LANG_STRING = (b'<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
               b'xmlns:ex="http://example.org/">\n <rdf:Description rdf:about="http://example.org/bad">'
               b'<ex:says rdf:datatype="http://www.w3.org/1999/02/22-rdf-syntax-ns#langString">x</ex:says>'
               b'</rdf:Description>\n</rdf:RDF>\n')
DEEP_JSONLD = (b'{"@id": "http://example.org/deep", "http://example.org/says": '
               + b'{"http://example.org/n": ' * 300 + b'"x"' + b'}' * 300 + b'}')


class Documents(http.server.ThreadingHTTPServer):
    """A real HTTP server on 127.0.0.1 with a few documents (written for this test), and a log."""

    def __init__(self):
        self.files = {
            "/allowed/doc.ttl": ("text/turtle", TURTLE),
            "/allowed/doc-no-type.ttl": ("application/octet-stream", TURTLE),
            "/allowed/bomb.rdf": ("application/rdf+xml", BOMB),
            "/allowed/lang.rdf": ("application/rdf+xml", LANG_STRING),
            "/allowed/deep.jsonld": ("application/ld+json", DEEP_JSONLD),
            "/allowed/remote-context.jsonld": ("application/ld+json",
                                               b'{"@context": "http://127.0.0.1:1/ctx.jsonld", "@id": "x"}'),
            "/allowed/big.nt": ("application/n-triples", b"".join(
                b'<http://example.org/big> <http://example.org/n> "%d" .\n' % i for i in range(3000))),
            "/allowed/page.html": ("text/html", b"<html><body>not RDF</body></html>"),
            "/allowed/graphs.trig": ("application/trig", b"<http://example.org/other> { <a:s> <a:p> <a:o> }"),
            "/secret/doc.ttl": ("text/turtle", b"<http://example.org/secret> <http://example.org/p> 1 ."),
        }
        self.requested: list[str] = []
        super().__init__(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server_address[1]}"
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.requested.append(self.path)
        if self.path == "/allowed/redirect-out":
            self.send_response(302)
            self.send_header("Location", self.server.base + "/secret/doc.ttl")
            self.end_headers()
            return
        if self.path == "/allowed/redirect-in":
            self.send_response(301)
            self.send_header("Location", "/allowed/doc.ttl")
            self.end_headers()
            return
        if self.path not in self.server.files:
            self.send_error(404)
            return
        media_type, body = self.server.files[self.path]
        send_body(self, media_type, body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def documents():
    served = Documents()
    yield served
    served.shutdown()
    served.server_close()


@pytest.fixture(scope="module")
def server(tmp_path_factory, documents):
    store = tmp_path_factory.mktemp("operator-load") / "store"
    load_store(store, "<http://example.org/s> <http://example.org/p> \"seed\" .\n", "seed.ttl")
    running = Server(store, env={"TFATLAS_ADMIN_TOKEN_SHA256": hashlib.sha256(TOKEN.encode()).hexdigest(),
                                 "TFATLAS_SERVICE_ALLOW": documents.base + "/allowed/",
                                 "TFATLAS_MAX_BODY_BYTES": str(LIMIT)})
    yield running
    running.stop()


def update(server, text: str, **headers) -> requests.Response:
    headers = {**AUTH, "Accept-Language": "en", **headers}
    return requests.post(server.url + "/sparql", data={"update": text}, headers=headers, timeout=60)


def graph(server, name: str) -> list[list[str]]:
    response = requests.get(server.url + "/sparql", timeout=30, headers={"Accept": "application/sparql-results+json"},
                            params={"query": f"SELECT ?s ?p ?o {{ GRAPH <{name}> {{ ?s ?p ?o }} }}"})
    assert response.status_code == 200, response.text
    return sorted([b[v]["value"] for v in ("s", "p", "o")] for b in response.json()["results"]["bindings"])


def test_load_of_an_allowed_document_is_fetched_by_the_atlas(server, documents):
    target = "http://example.org/loaded"
    response = update(server, f"LOAD <{documents.base}/allowed/doc.ttl> INTO GRAPH <{target}>")
    assert response.status_code == 204, response.text
    assert graph(server, target) == [["http://example.org/doc", "http://example.org/says", "from the document"]]
    assert "/allowed/doc.ttl" in documents.requested
    # the media type says nothing: the extension decides; a redirect within the allow-list is followed
    for path, into in (("/allowed/doc-no-type.ttl", "http://example.org/by-extension"),
                       ("/allowed/redirect-in", "http://example.org/redirected")):
        response = update(server, f"LOAD <{documents.base}{path}> INTO GRAPH <{into}>")
        assert response.status_code == 204, response.text
        assert len(graph(server, into)) == 1


@pytest.mark.parametrize("path,status,words", [
    ("/allowed/bomb.rdf", 400, "entit"),           # expanded by the engine before: 1,000 a's stored
    ("/allowed/lang.rdf", 400, "language tag"),     # a literal the store could not dump
    ("/allowed/deep.jsonld", 400, "nests"),          # the parser's recursion
    ("/allowed/remote-context.jsonld", 400, "remote"),
    ("/allowed/big.nt", 400, "TFATLAS_MAX_BODY_BYTES"),
    ("/allowed/page.html", 415, "text/html"),
    ("/allowed/graphs.trig", 400, "named graph"),
    ("/allowed/missing.ttl", 502, "404"),
])
def test_load_of_a_document_an_upload_could_not_be_is_refused(server, documents, path, status, words):
    target = "http://example.org/refused"
    response = update(server, f"INSERT DATA {{ GRAPH <{target}> {{ <http://example.org/x> <http://example.org/p> 1 }} }} ;\n"
                              f"LOAD <{documents.base}{path}> INTO GRAPH <{target}>")
    assert response.status_code == status, response.text
    assert words in response.text and "nothing was changed" in response.text.lower()
    assert graph(server, target) == []  # the INSERT beside it was not applied either
    german = update(server, f"LOAD <{documents.base}{path}> INTO GRAPH <{target}>", **{"Accept-Language": "de"})
    assert german.status_code == status and "nichts geändert" in german.text


def test_a_redirect_off_the_allow_list_is_refused_without_fetching_it(server, documents):
    response = update(server, f"LOAD <{documents.base}/allowed/redirect-out> INTO GRAPH <http://example.org/r>")
    assert response.status_code == 403, response.text
    assert "allow-list" in response.text
    assert "/secret/doc.ttl" not in documents.requested
    assert graph(server, "http://example.org/r") == []


def test_load_silent_skips_a_document_that_fails(server, documents):
    target = "http://example.org/silent"
    response = update(server, f"LOAD SILENT <{documents.base}/allowed/bomb.rdf> INTO GRAPH <{target}> ;\n"
                              f"INSERT DATA {{ GRAPH <{target}> {{ <http://example.org/y> <http://example.org/p> 2 }} }}")
    assert response.status_code == 204, response.text
    assert graph(server, target) == [["http://example.org/y", "http://example.org/p", "2"]]


def test_the_load_is_recorded_in_the_history(server, documents):
    source = f"{documents.base}/allowed/doc.ttl"
    response = update(server, f"LOAD <{source}> INTO GRAPH <http://example.org/recorded>")
    assert response.status_code == 204, response.text
    activity = response.headers["Link"].split(">")[0][1:]
    ask = (f"ASK {{ GRAPH ?h {{ <{activity}> <http://www.w3.org/ns/prov#used> <{source}> ; "
           "<https://w3id.org/tfatlas/ontology#changedGraph> <http://example.org/recorded> } }")
    answer = requests.get(server.url + "/sparql", params={"query": ask}, timeout=30,
                          headers={"Accept": "application/sparql-results+json"})
    assert answer.json()["boolean"] is True


def test_load_operations_are_read_from_tokens():
    text = ('PREFIX d: <https://docs.example/> # LOAD <https://not.example/>\n'
            'INSERT DATA { <a:s> <a:p> "LOAD <https://not.example/>" } ;\n'
            'load silent d:one.ttl into graph <https://g.example/> ; LOAD <https://docs.example/two.ttl>')
    found = load_operations(text)
    assert [(o.source, o.graph, o.silent) for o in found] == [
        ("https://docs.example/one.ttl", "https://g.example/", True), ("https://docs.example/two.ttl", None, False)]
    assert text[found[0].start:found[0].end] == "load silent d:one.ttl into graph <https://g.example/>"


@pytest.mark.parametrize("text,graphs,anywhere", [
    ("INSERT DATA { GRAPH <a:g> { <a:s> <a:p> 1 } <a:s> <a:p> 2 }", ["a:g", ""], False),
    ("WITH <a:w> DELETE { ?s <a:p> ?o } INSERT { GRAPH <a:g> { ?s <a:p> 1 } } WHERE { GRAPH <a:r> { ?s ?p ?o } }",
     ["a:w", "a:g"], False),
    ("DELETE WHERE { GRAPH ?g { ?s <a:p> ?o } }", [], True),
    ("CLEAR ALL", [], True),
    ("PREFIX x: <a:> DROP SILENT GRAPH x:g ; MOVE DEFAULT TO GRAPH <a:t> ; LOAD <a:doc> INTO GRAPH <a:l>",
     ["a:g", "a:t", "", "a:l"], False),
    ("CREATE GRAPH <a:new>", [], False),
])
def test_the_graphs_an_update_writes_are_read_from_its_text(text, graphs, anywhere):
    assert written_graphs(text) == (graphs, anywhere)
