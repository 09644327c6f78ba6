"""The default graph is a bag, and says so (issue 13, finding 11; the decision: sparql/default_graph.py)."""

from __future__ import annotations

import pyoxigraph as ox
import requests

from tfatlas.vocab import RDFS, SD


def _count(server, query: str) -> int:
    response = requests.get(server.url + "/sparql", params={"query": query}, timeout=60,
                            headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def test_the_default_graph_is_the_union_as_a_bag_and_distinct_gives_the_set(seeded_server, tmp_path):
    quads = requests.get(seeded_server.url + "/sparql", timeout=60, headers={"Accept": "application/n-triples"},
                         params={"query": "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"})
    assert quads.status_code == 200
    stated = requests.get(seeded_server.url + "/sparql", timeout=60,
                          headers={"Accept": "application/sparql-results+json"},
                          params={"query": "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }"}).json()
    in_graphs = int(stated["results"]["bindings"][0]["n"]["value"])
    distinct = len(set(ox.parse(quads.content, ox.RdfFormat.N_TRIPLES)))
    assert distinct < in_graphs  # the seed data states some triples in two graphs
    assert _count(seeded_server, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }") == in_graphs  # a bag
    assert _count(seeded_server, "SELECT (COUNT(*) AS ?n) { SELECT DISTINCT * { ?s ?p ?o } }") == distinct


def test_the_service_description_states_the_bag_in_both_languages(seeded_server):
    response = requests.get(seeded_server.url + "/sparql", headers={"Accept": "application/n-triples"}, timeout=60)
    assert response.status_code == 200
    triples = list(ox.parse(response.content, ox.RdfFormat.N_TRIPLES))
    defaults = {t.object for t in triples if t.predicate == ox.NamedNode(SD + "defaultGraph")}
    notes = {t.object.language: t.object.value for t in triples
             if t.subject in defaults and t.predicate == ox.NamedNode(RDFS + "comment")}
    assert "bag" in notes.get("en", "") and "DISTINCT" in notes["en"], notes
    assert "Multimenge" in notes.get("de", "") and "DISTINCT" in notes["de"], notes
