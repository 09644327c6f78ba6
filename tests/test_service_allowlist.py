"""SERVICE and LOAD reach only allow-listed IRIs; anything else is refused before any connection."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time

import pytest
import requests

from support.servers import Server
from support.stores import load_store
from tfatlas.sparql.access import allowed, check_outgoing
from tfatlas.errors import ProtocolError

pytestmark = pytest.mark.xdist_group("service-allowlist")

TOKEN = "allowlist-admin"
ANSWER = json.dumps({"head": {"vars": ["x"]}, "results": {"bindings": [
    {"x": {"type": "literal", "value": "from the allowed service"}}]}}).encode()


class Listener:
    """A plain TCP listener on 127.0.0.1 that records connections and answers SPARQL JSON."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen()
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        self.connections = 0
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop:
            try:
                conn, _ = self.socket.accept()
            except (socket.timeout, OSError):
                continue
            self.connections += 1
            with conn:
                conn.settimeout(5)
                try:
                    data = b""
                    while b"\r\n\r\n" not in data:
                        data += conn.recv(65536)
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                                 b"Content-Length: " + str(len(ANSWER)).encode() +
                                 b"\r\nConnection: close\r\n\r\n" + ANSWER)
                except OSError:
                    pass

    def close(self):
        self._stop = True
        self._thread.join()
        self.socket.close()


@pytest.fixture(scope="module")
def listeners():
    allowed_listener, other = Listener(), Listener()
    yield allowed_listener, other
    allowed_listener.close()
    other.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory, listeners):
    allowed_listener, _ = listeners
    store = tmp_path_factory.mktemp("allowlist") / "store"
    load_store(store, "<http://example.org/s> <http://example.org/p> <http://example.org/o> .\n", "tiny.ttl")
    running = Server(store, env={"TFATLAS_SERVICE_ALLOW": f"http://127.0.0.1:{allowed_listener.port}/",
                                 "TFATLAS_ADMIN_TOKEN_SHA256": hashlib.sha256(TOKEN.encode()).hexdigest()})
    yield running
    running.stop()


def test_service_to_a_listener_not_on_the_allow_list_is_refused_without_connecting(server, listeners):
    _, other = listeners
    url = server.url + "/sparql"
    refused = [
        f"SELECT * WHERE {{ SERVICE <{other.url}> {{ ?s ?p ?o }} }}",
        f"select * where {{ service silent <{other.url}> {{ ?s ?p ?o }} }}",
        f"PREFIX r: <http://127.0.0.1:{other.port}/> SELECT * WHERE {{ SERVICE r:sparql {{ ?s ?p ?o }} }}",
        f"BASE <http://127.0.0.1:{other.port}/> SELECT * WHERE {{ SERVICE <sparql> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE { BIND(<%s> AS ?e) SERVICE ?e { ?s ?p ?o } }" % other.url,
        # The allowed port as a prefix of another port must not pass.
        f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{other.port}0/> {{ ?s ?p ?o }} }}",
    ]
    for query in refused:
        response = requests.post(url, data={"query": query}, timeout=30)
        assert response.status_code == 403, (query, response.text)
        assert "allow" in response.text
    update = requests.post(url, data={"update": f"LOAD <{other.url}> INTO GRAPH <http://example.org/g>"},
                           headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert update.status_code == 403 and "LOAD" in update.text
    time.sleep(1)  # a connection attempt, had there been one, has arrived by now
    assert other.connections == 0


def test_the_word_service_in_a_string_or_comment_is_no_service_call(server):
    query = 'SELECT ?x WHERE { BIND("SERVICE <http://127.0.0.1:1/>" AS ?x) } # SERVICE <http://127.0.0.1:1/>'
    response = requests.get(server.url + "/sparql", params={"query": query}, timeout=30)
    assert response.status_code == 200, response.text


def test_allow_listed_service_is_called(server, listeners):
    allowed_listener, other = listeners
    query = f"SELECT ?x WHERE {{ SERVICE <{allowed_listener.url}> {{ ?x ?p ?o }} }}"
    response = requests.post(server.url + "/sparql", data={"query": query}, timeout=60)
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"][0]["x"]["value"] == "from the allowed service"
    assert allowed_listener.connections >= 1 and other.connections == 0


@pytest.mark.parametrize("iri,prefixes,expected", [
    ("https://reg.example/sparql", ("https://reg.example/sparql",), True),
    ("https://reg.example/sparql?x=1", ("https://reg.example/sparql",), True),
    ("https://reg.example/sparql2", ("https://reg.example/sparql",), False),
    ("https://reg.example.evil/sparql", ("https://reg.example",), False),
    ("https://reg.example/a/b", ("https://reg.example/",), True),
    ("https://reg.example/a", (), False),
])
def test_prefixes_end_at_a_boundary(iri, prefixes, expected):
    assert allowed(iri, prefixes) is expected


def test_escaped_iri_is_read_as_the_engine_reads_it():
    query = "SELECT * { SERVICE <http://127.0.0.1\\u003a9/> { ?s ?p ?o } }"
    check_outgoing(query, ("http://127.0.0.1:9/",))  # \u003a is ':', so this is allowed
    with pytest.raises(ProtocolError):
        check_outgoing(query, ("http://127.0.0.2:9/",))
