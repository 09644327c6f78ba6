"""The federation stored query against a local Wikidata stand-in: the atlas's linked ministries with
their web site, headquarters and GND ID from `oxigraph serve` holding the real Wikidata excerpt."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import requests

from support.registry_servers import wikidata_standin
from tfatlas.config import load_config
from tfatlas.linking.run import link
from tfatlas.model.loading import model_sources
from tfatlas.sparql import stored_queries as sq
from tfatlas.store.embedded import EmbeddedStore

BASE = "https://w3id.org/tfatlas/"
WDQS = "https://query.wikidata.org/sparql"
NAME = "ministries-in-wikidata"


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    server = wikidata_standin(tmp_path_factory.mktemp("wikidata"))
    yield server
    server.stop()


@pytest.fixture
def server(tmp_path, standin, start_server):
    root = tmp_path / "store"
    store = EmbeddedStore(root, BASE)
    try:
        store.load(model_sources(BASE), replace=True)
        link(store, load_config(cli={"store": str(root), "service_allow": standin.url, "link_cache_dir": "",
                                     "wikidata_sparql_url": standin.url + "/query"}, environ={}),
             "wikidata", ["organisation"])
    finally:
        store.close()
    return start_server(env={"TFATLAS_SERVICE_ALLOW": standin.url + "/"}, store=root)


def test_the_stored_query_names_its_registry(server):
    query = sq.discover()[NAME]
    assert f"SERVICE <{WDQS}>" in query.sparql and "TFATLAS_SERVICE_ALLOW" in query.description["en"]
    # this server allows only the stand-in: the real Wikidata is refused before any connection
    refused = requests.get(f"{server.url}/api/queries/{NAME}", timeout=30)
    assert refused.status_code == 403 and "TFATLAS_SERVICE_ALLOW" in refused.text


def test_the_query_federates_with_the_standin(server, standin):
    query = sq.discover()[NAME]
    text = sq.with_values(query.sparql.replace(WDQS, standin.url + "/query"), {"lang": [ox.Literal("de")]},
                          query.where_at)
    answer = requests.post(server.url + "/sparql", data={"query": text}, timeout=60,
                           headers={"Accept": "application/sparql-results+json"})
    assert answer.status_code == 200, answer.text
    rows = {b["body"]["value"]: {k: v["value"] for k, v in b.items()} for b in answer.json()["results"]["bindings"]}
    bmas = rows[BASE + "id/org/bmas"]
    assert bmas["item"] == "http://www.wikidata.org/entity/Q491578"
    assert bmas["website"] == "https://www.bmas.de/" and bmas["gnd"] == "10123447-8"
    assert bmas["bodyLabel"] == "Bundesministerium für Arbeit und Soziales"
    assert len(rows) >= 5
