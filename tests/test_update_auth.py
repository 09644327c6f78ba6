"""SPARQL Update only with the operator's admin token; without it: 401/403, a message, no change."""

from __future__ import annotations

import hashlib

import pytest
import requests

from support.servers import Server
from support.stores import load_store
from tfatlas.sparql.access import authorize_update
from tfatlas.errors import ProtocolError

pytestmark = pytest.mark.xdist_group("update-auth")

TOKEN = "s3cret-admin-token"
DATA = "<http://example.org/s> <http://example.org/p> \"original\" .\n"
INSERT = "INSERT DATA { GRAPH <http://example.org/new> { <http://example.org/s> <http://example.org/p> \"added\" } }"


def start(tmp_path_factory, name: str, env: dict[str, str]) -> Server:
    store = tmp_path_factory.mktemp(name) / "store"
    load_store(store, DATA, "data.ttl")
    return Server(store, env=env)


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    server = start(tmp_path_factory, "guarded", {"TFATLAS_ADMIN_TOKEN_SHA256": hashlib.sha256(TOKEN.encode()).hexdigest()})
    yield server
    server.stop()


@pytest.fixture(scope="module")
def unconfigured(tmp_path_factory):
    server = start(tmp_path_factory, "unconfigured", {"TFATLAS_ADMIN_TOKEN_SHA256": ""})
    yield server
    server.stop()


def state(server) -> list[str]:
    """The data, without the write history (which keeps each accepted update's text)."""
    query = ("SELECT ?g ?s ?p ?o { { GRAPH ?g { ?s ?p ?o } FILTER(!STRENDS(STR(?g), '/graph/history')) } "
             "UNION { ?s ?p ?o FILTER NOT EXISTS { GRAPH ?h { ?s ?p ?o } FILTER(STRENDS(STR(?h), '/graph/history')) } } }")
    response = requests.get(server.url + "/sparql", timeout=30, headers={"Accept": "text/tab-separated-values"},
                            params={"query": query})
    assert response.status_code == 200
    return sorted(response.text.splitlines())


def as_form(server, headers):
    return requests.post(server.url + "/sparql", data={"update": INSERT}, headers=headers, timeout=30)


def as_direct(server, headers):
    return requests.post(server.url + "/sparql", data=INSERT.encode(), timeout=30,
                         headers={**headers, "Content-Type": "application/sparql-update"})


@pytest.mark.parametrize("send", [as_form, as_direct])
@pytest.mark.parametrize("headers,status", [
    ({}, 401),
    ({"Authorization": "Bearer "}, 401),
    ({"Authorization": f"Basic {TOKEN}"}, 401),
    # an unknown token is 401 (issue 10: it may be neither the admin's nor an account's)
    ({"Authorization": "Bearer wrong-token"}, 401),
    ({"Authorization": f"Bearer {TOKEN}x"}, 401),
    ({"Authorization": f"Bearer {hashlib.sha256(TOKEN.encode()).hexdigest()}"}, 401),  # the hash is no token
])
def test_refused_without_the_right_token_and_nothing_changes(guarded, send, headers, status):
    before = state(guarded)
    response = send(guarded, headers)
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("text/plain") and "token" in response.text.lower()
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert state(guarded) == before


def test_no_token_configured_refuses_every_update(unconfigured):
    before = state(unconfigured)
    for headers in ({}, {"Authorization": f"Bearer {TOKEN}"}, {"Authorization": "Bearer "}):
        response = as_form(unconfigured, headers)
        assert response.status_code == 403 and "disabled" in response.text
    assert state(unconfigured) == before
    description = requests.get(unconfigured.url + "/sparql", headers={"Accept": "text/turtle"}, timeout=30).text
    assert "SPARQL11Update" not in description  # the Service Description does not promise updates


def test_the_admin_token_applies_the_update(guarded):
    response = as_direct(guarded, {"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 204, response.text
    assert any("added" in line for line in state(guarded))
    requests.post(guarded.url + "/sparql", data={"update": "DROP GRAPH <http://example.org/new>"},
                  headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30).raise_for_status()
    assert not any("added" in line for line in state(guarded))


def test_preflight_is_answered_before_any_authentication(guarded):
    preflight = requests.options(guarded.url + "/sparql", timeout=30, headers={
        "Origin": "https://ui.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in preflight.headers


def test_authorize_update_compares_hashes():
    digest = hashlib.sha256(b"abc").hexdigest()
    authorize_update("Bearer abc", digest)
    authorize_update("bearer abc", digest.upper())
    with pytest.raises(ProtocolError) as caught:
        authorize_update("Bearer abd", digest)
    assert caught.value.status == 403
