"""The Graph Store Protocol at /rdf-graphs/service against the live server with account tokens,
driven from the W3C manifest (../shared/w3c/sparql/sparql11/http-rdf-update/manifest.ttl).

Mapping of the manifest onto the atlas (an account writes exactly one graph, its actor's):

* ``$HOST$`` is the server's host and port, ``$GRAPHSTORE$`` is ``rdf-graphs/service``;
* each graph the tests name, ``$GRAPHSTORE$/person/N.ttl`` (by direct or indirect
  identification), is the graph of its own test actor ``w3c-person-N``, and the request is sent
  to ``/rdf-graphs/service?graph=<base>graph/actor/w3c-person-N`` with that account's token;
* ``?default`` is sent with the token of ``w3c-default``: an account's default graph is its own;
* ``POST $GRAPHSTORE$`` (create a graph) is sent by ``w3c-new``, whose graph is empty until then;
  ``$NEWPATH$`` is the Location the server answers.

The manifest is deprecated and its expectations contradict its own requests in places (after
"POST - existing graph" it expects the graph without the posted triple, and with the name of the
first PUT). So status codes and content types are checked as the manifest says, and every GET
body is compared (isomorphism) with the graph the requests so far produce, by the protocol's
semantics: PUT replaces, POST merges, DELETE empties. Two POST bodies end a Turtle statement
without its final ``.``, which is not Turtle: sent as written they get 400 naming line and column
(and change nothing), then with the dot added as the test intends. The manifest presumes ``person/2.ttl`` to
exist before "DELETE - existing graph"; it is PUT first. Each refused request (4xx) leaves the
store unchanged.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import pyoxigraph as ox
import pytest
import requests
from rdflib import Graph, Namespace, RDFS
from rdflib.collection import Collection

from support.contributions import BASE, cli_account, server_state
from support.paths import shared_path
from support.servers import Server

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
ADMIN = "operator-token-written-for-the-test"
GSP = "/rdf-graphs/service"


@dataclass
class Exchange:
    name: str
    method: str
    target: str
    headers: dict
    body: str
    status: int
    response_headers: dict


def _block(text: str, heading: str) -> list[str]:
    part = text.split(heading, 1)[1].split("####", 1)[0]
    lines = [line[4:] if line.startswith("    ") else line.strip() for line in part.splitlines()]
    while lines and not lines[0].strip():
        lines.pop(0)
    return lines


def _head_and_body(lines: list[str]) -> tuple[str, dict, str]:
    first, headers, i = lines[0].strip(), {}, 1
    while i < len(lines) and lines[i].strip():
        name, _, value = lines[i].partition(":")
        headers[name.strip()] = value.strip()
        i += 1
    return first, headers, "\n".join(lines[i:]).strip()


def exchanges() -> list[Exchange]:
    path = shared_path("w3c", "sparql", "sparql11", "http-rdf-update", "manifest.ttl")
    graph = Graph().parse(path, format="turtle")
    manifest = next(graph.subjects(MF.entries, None))
    found = []
    for entry in Collection(graph, graph.value(manifest, MF.entries)):
        comment = next(str(c) for c in graph.objects(entry, RDFS.comment) if "#### Request" in str(c))
        request_line, headers, body = _head_and_body(_block(comment, "#### Request"))
        status_line, response_headers, _expected = _head_and_body(_block(comment, "#### Response"))
        method, target, _ = request_line.split()
        found.append(Exchange(str(graph.value(entry, MF.name)), method, target, headers, body,
                              int(status_line.split()[0]), response_headers))
    return found


class Mapping:
    """The manifest's graphs onto test actors' graphs, and the accounts that write them."""

    def __init__(self, server: Server):
        self.server = server
        self.host = f"127.0.0.1:{server.port}"
        self.tokens: dict[str, str] = {}
        self.new_path: str | None = None

    def token(self, actor: str) -> str:
        if actor not in self.tokens:
            self.tokens[actor] = cli_account(self.server.store, actor)[1]
        return self.tokens[actor]

    def substitute(self, text: str) -> str:
        return text.replace("$HOST$", self.host).replace("$GRAPHSTORE$", GSP.strip("/"))

    def request(self, ex: Exchange) -> tuple[str, str, str]:
        """(URL, actor, model key) for a manifest request target."""
        target = ex.target
        person = re.search(r"person/(\d+)\.ttl", target)
        if person:
            actor = f"w3c-person-{person.group(1)}"
            return f"{self.server.url}{GSP}?graph={BASE}graph/actor/{actor}", actor, actor
        if target == "$GRAPHSTORE$?default":
            return f"{self.server.url}{GSP}?default", "w3c-default", "w3c-default"
        if target == "$GRAPHSTORE$":
            return f"{self.server.url}{GSP}", "w3c-new", "w3c-new"
        assert target == "$NEWPATH$" and self.new_path, target
        return self.new_path, "w3c-new", "w3c-new"


def _triples(text: str, content_type: str, base: str) -> set:
    fmt = {"text/turtle": ox.RdfFormat.TURTLE}[content_type.split(";")[0].strip()]
    return {ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(text.encode(), fmt, base_iri=base)}


def _canonical(triples: set) -> ox.Dataset:
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return dataset


_NO_DOT = re.compile(r'("[^"\n]*"|<[^>\n]*>)[ \t]*(\r?\n[ \t]*\r?\n--|\s*$)')


def _missing_final_dot(text: str) -> bool:
    return bool(_NO_DOT.search(text.rstrip()))


def _add_final_dots(text: str) -> str:
    """The manifest's Turtle with the final ``.`` its statements lack (a part ends before a boundary)."""
    return _NO_DOT.sub(lambda m: m.group(1) + " ." + m.group(2), text)


def _multipart(ex: Exchange) -> tuple[bytes, str]:
    boundary = ex.headers["Content-Type"].split("boundary=")[1]
    return ex.body.replace("\n", "\r\n").encode(), f"multipart/form-data; boundary={boundary}"


def _parts(body: str, boundary: str) -> list[str]:
    return [p.split("\n\n", 1)[1].strip() for p in body.split(f"--{boundary}")[1:-1]]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store = tmp_path_factory.mktemp("gsp") / "store"
    s = Server(store, env={"TFATLAS_ADMIN_TOKEN_SHA256": hashlib.sha256(ADMIN.encode()).hexdigest()})
    yield s
    s.stop()


def test_w3c_graph_store_protocol_manifest(server):
    mapping = Mapping(server)
    model: dict[str, set] = {}
    # The manifest presumes person/2.ttl to exist before "DELETE - existing graph".
    fixture = mapping.substitute("<http://$HOST$/$GRAPHSTORE$/person/2> a <http://xmlns.com/foaf/0.1/Person> .")
    put = requests.put(f"{server.url}{GSP}?graph={BASE}graph/actor/w3c-person-2", data=fixture.encode(),
                       headers={"Content-Type": "text/turtle", "Authorization": f"Bearer {mapping.token('w3c-person-2')}"})
    assert put.status_code == 201, put.text
    model["w3c-person-2"] = _triples(fixture, "text/turtle", server.url)
    checked = 0
    for ex in exchanges():
        url, actor, key = mapping.request(ex)
        headers = {k: mapping.substitute(v) for k, v in ex.headers.items() if k.lower() != "host"}
        headers["Authorization"] = f"Bearer {mapping.token(actor)}"
        body = mapping.substitute(ex.body).encode() if ex.body else None
        if headers.get("Content-Type", "").startswith("multipart/form-data"):
            body, headers["Content-Type"] = _multipart(ex)
            body = mapping.substitute(body.decode()).encode()
        before = server_state(server.url)
        if body and _missing_final_dot(body.decode()):
            verbatim = requests.request(ex.method, url, data=body, headers=headers, timeout=60)
            assert verbatim.status_code == 400 and re.search(r"(line|Zeile) \d+", verbatim.text), verbatim.text
            assert server_state(server.url) == before
            body = _add_final_dots(body.decode()).encode()
            ex.body = _add_final_dots(ex.body)
        response = requests.request(ex.method, url, data=body, headers=headers, timeout=60)
        assert response.status_code == ex.status, (ex.name, response.status_code, response.text)
        if response.status_code >= 400:
            assert server_state(server.url) == before, ex.name
        # the graph store's content by the protocol's semantics
        if ex.method in ("PUT", "POST") and body:
            if headers["Content-Type"].startswith("multipart/"):
                boundary = headers["Content-Type"].split("boundary=")[1]
                sent = set().union(*(_triples(p, "text/turtle", url) for p in _parts(mapping.substitute(ex.body), boundary)))
            else:
                sent = _triples(body.decode(), headers["Content-Type"], url)
            model[key] = sent if ex.method == "PUT" else model.get(key, set()) | sent
        elif ex.method == "DELETE" and response.status_code == 200:
            model[key] = set()
        if "Location" in ex.response_headers:
            assert response.headers.get("Location"), ex.name
            mapping.new_path = response.headers["Location"]
        if ex.method in ("GET", "HEAD") and response.status_code == 200:
            expected_type = ex.response_headers["Content-Type"].split(";")[0]
            assert response.headers["Content-Type"].split(";")[0] == expected_type, ex.name
            assert int(response.headers["Content-Length"]) > 0, ex.name
            if ex.method == "GET":
                got = _triples(response.text, response.headers["Content-Type"], url)
                assert _canonical(got) == _canonical(model[key]), (ex.name, response.text)
        checked += 1
    assert checked == 18


def test_the_accounts_graph_is_readable_by_anyone_and_writable_by_its_account_only(server):
    mapping = Mapping(server)
    token = mapping.token("w3c-owner")
    graph = f"{BASE}graph/actor/w3c-owner"
    body = b"<https://example.org/w3c/thing> <http://www.w3.org/2000/01/rdf-schema#label> \"x\" ."
    assert requests.put(f"{server.url}{GSP}?graph={graph}", data=body, headers={
        "Content-Type": "text/turtle", "Authorization": f"Bearer {token}"}).status_code == 201
    other = mapping.token("w3c-other")
    before = server_state(server.url)
    for method in ("PUT", "POST", "DELETE"):
        r = requests.request(method, f"{server.url}{GSP}?graph={graph}", data=body, headers={
            "Content-Type": "text/turtle", "Authorization": f"Bearer {other}"})
        assert r.status_code == 403 and "w3c-other" in r.text, (method, r.text)
    assert server_state(server.url) == before
    read = requests.get(f"{server.url}{GSP}?graph={graph}", headers={"Accept": "application/n-triples"})
    assert read.status_code == 200 and "example.org/w3c/thing" in read.text
