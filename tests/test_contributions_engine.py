"""Actors' writes meet the same engine limits as the operator's (issue 13, findings 2/3 and 9).

An account's SPARQL update runs on an in-memory copy of its graph in the server process, and its
JSON-LD bodies are parsed there: a flat text that crashes an 8 MiB stack, or JSON-LD nested a few
thousand levels deep, must be a 400 with a message, and the server must keep serving.
"""

from __future__ import annotations

import hashlib

import pytest
import requests

from support.contributions import BASE, cli_account, server_state
from support.servers import Server

ADMIN = "operator-token-written-for-the-test"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store = tmp_path_factory.mktemp("contrib-engine") / "store"
    s = Server(store, env={"TFATLAS_ADMIN_TOKEN_SHA256": hashlib.sha256(ADMIN.encode()).hexdigest()})
    yield s
    s.stop()


@pytest.fixture(scope="module")
def token(server):
    return cli_account(server.store, "bva")[1]


def test_an_account_update_of_a_crashing_shape_is_a_400_and_the_server_lives(server, token):
    graph = BASE + "graph/actor/bva"
    before = server_state(server.url)
    binds = " ".join(f"BIND(1 AS ?v{i})" for i in range(3000))  # 2,625 crashed an 8 MiB stack
    for text in (f"INSERT {{ GRAPH <{graph}> {{ <{BASE}id/org/bva> <http://e/p> ?v0 }} }} WHERE {{ {binds} }}",
                 f"INSERT {{ GRAPH <{graph}> {{ <{BASE}id/org/bva> <http://e/p> ?x }} }} "
                 f"WHERE {{ BIND(({'+'.join(['1'] * 8000)}) AS ?x) }}"):
        response = requests.post(f"{server.url}/sparql", data=text.encode(), timeout=120,
                                 headers={"Authorization": f"Bearer {token}",
                                          "Content-Type": "application/sparql-update"})
        assert response.status_code == 400 and "(limit MAX_" in response.text, response.text[:300]
    assert requests.get(server.url + "/-/health", timeout=30).status_code == 200
    assert server_state(server.url) == before


def test_an_account_json_ld_body_nested_too_deep_is_a_400(server, token):
    graph = BASE + "graph/actor/bva"
    body = ('{"@id": "' + BASE + 'id/org/bva", ' + '"http://e/p": {' * 4000 + '"@value": 1' + "}" * 4001).encode()
    for language, words in (("en", "levels deep"), ("de", "Ebenen")):
        response = requests.put(f"{server.url}/rdf-graphs/service?graph={graph}", data=body, timeout=120,
                                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/ld+json",
                                         "Accept-Language": language})
        assert response.status_code == 400 and words in response.text, (response.status_code, response.text[:300])
    assert requests.get(server.url + "/-/health", timeout=30).status_code == 200
