"""The operator's SPARQL Update is recorded in the write history, in the same transaction: who,
when, the text, the graphs it writes (contributions/operator_update.py). It is not validated
against the shapes (trusted, as in Fuseki): README "Updates"."""

from __future__ import annotations

import hashlib
from datetime import datetime

import pytest
import requests

from support.servers import Server
from support.stores import load_store
from tfatlas.contributions.operator_update import MAX_TEXT

pytestmark = pytest.mark.xdist_group("operator-history")

TOKEN = "history-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TFA = "https://w3id.org/tfatlas/ontology#"
PROV = "http://www.w3.org/ns/prov#"
HISTORY = "https://w3id.org/tfatlas/graph/history"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store = tmp_path_factory.mktemp("operator-history") / "store"
    load_store(store, "<http://example.org/s> <http://example.org/p> \"seed\" .\n", "seed.ttl")
    running = Server(store, env={"TFATLAS_ADMIN_TOKEN_SHA256": hashlib.sha256(TOKEN.encode()).hexdigest()})
    yield running
    running.stop()


def update(server, text: str) -> requests.Response:
    return requests.post(server.url + "/sparql", data={"update": text}, headers=AUTH, timeout=60)


def select(server, query: str) -> list[dict]:
    response = requests.get(server.url + "/sparql", params={"query": query}, timeout=30,
                            headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    return [{k: v["value"] for k, v in row.items()} for row in response.json()["results"]["bindings"]]


def activities(server) -> int:
    rows = select(server, f"SELECT (COUNT(?a) AS ?n) {{ GRAPH <{HISTORY}> {{ ?a a <{PROV}Activity> }} }}")
    return int(rows[0]["n"])


def described(server, activity: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for row in select(server, f"SELECT ?p ?o {{ GRAPH <{HISTORY}> {{ <{activity}> ?p ?o }} }}"):
        found.setdefault(row["p"], []).append(row["o"])
    return found


def test_an_accepted_update_is_recorded_with_who_when_text_and_graphs(server):
    text = ("PREFIX ex: <http://example.org/>\n"
            "INSERT DATA { GRAPH ex:a { ex:s ex:p \"one\" } } ;\n"
            "DELETE { GRAPH <http://example.org/b> { ?s ?p ?o } } WHERE { GRAPH <http://example.org/b> { ?s ?p ?o } }")
    response = update(server, text)
    assert response.status_code == 204, response.text
    activity = response.headers["Link"].split(">")[0][1:]
    facts = described(server, activity)
    assert facts[PROV + "wasAssociatedWith"] == ["https://w3id.org/tfatlas/id/account/operator"]
    assert facts[TFA + "viaInterface"] == ["sparql-update"]
    assert sorted(facts[TFA + "changedGraph"]) == ["http://example.org/a", "http://example.org/b"]
    # as instants: the store writes xsd:dateTime canonically (trailing zeros of the fraction cut)
    started, ended = (datetime.fromisoformat(facts[PROV + name][0].replace("Z", "+00:00"))
                      for name in ("startedAtTime", "endedAtTime"))
    assert started <= ended
    request = facts[PROV + "used"][0]
    assert described(server, request)[PROV + "value"] == [text]
    assert select(server, "SELECT ?o { GRAPH <http://example.org/a> { ?s ?p ?o } }") == [{"o": "one"}]


def test_an_update_that_may_write_any_graph_says_so(server):
    response = update(server, "DELETE { GRAPH ?g { ?s <http://example.org/gone> ?o } } "
                              "WHERE { GRAPH ?g { ?s <http://example.org/gone> ?o } }")
    assert response.status_code == 204, response.text
    facts = described(server, response.headers["Link"].split(">")[0][1:])
    assert TFA + "changedGraph" not in facts
    assert any("GRAPH ?g" in comment for comment in facts["http://www.w3.org/2000/01/rdf-schema#comment"])


def test_a_refused_update_leaves_no_history(server):
    before = activities(server)
    assert update(server, "INSERT DATA { <http://example.org/s> <http://example.org/p> }").status_code == 400
    assert update(server, 'INSERT DATA { <http://example.org/s> <http://example.org/p> '
                          '"x"^^<http://www.w3.org/1999/02/22-rdf-syntax-ns#langString> }').status_code == 400
    assert activities(server) == before


def test_a_long_update_text_is_kept_cut(server):
    rows = " ".join(f'<http://example.org/long{i}> <http://example.org/p> "{"x" * 40}" .' for i in range(2000))
    text = f"INSERT DATA {{ GRAPH <http://example.org/long> {{ {rows} }} }}"
    assert len(text) > MAX_TEXT
    response = update(server, text)
    assert response.status_code == 204, response.text
    facts = described(server, response.headers["Link"].split(">")[0][1:])
    kept = described(server, facts[PROV + "used"][0])[PROV + "value"][0]
    assert kept.startswith(text[:MAX_TEXT]) and f"{len(text):,} characters" in kept
    count = select(server, "SELECT (COUNT(*) AS ?n) { GRAPH <http://example.org/long> { ?s ?p ?o } }")
    assert count == [{"n": "2000"}]


@pytest.mark.parametrize("ending", [" ;", " ; # a comment;", " # a comment", ";\n\n"])
def test_the_history_joins_any_update_ending(server, ending):
    text = f'INSERT DATA {{ GRAPH <http://example.org/endings> {{ <http://example.org/e> <http://example.org/p> "{ending!r}" }} }}{ending}'
    response = update(server, text)
    assert response.status_code == 204, response.text
    facts = described(server, response.headers["Link"].split(">")[0][1:])
    assert described(server, facts[PROV + "used"][0])[PROV + "value"] == [text]
