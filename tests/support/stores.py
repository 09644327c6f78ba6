"""Stores with known content for the tests: loaded through the CLI, or the shipped model plus offers."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tfatlas.config import load_config
from tfatlas.model.loading import model_sources, sources_for
from tfatlas.publish.release import publish
from tfatlas.store import open_store
from tfatlas.vocab import meta_graph

from .servers import tfatlas_command


def load_store(store, text: str, name: str = "data.trig") -> None:
    store.parent.mkdir(parents=True, exist_ok=True)
    path = store.parent / name
    path.write_text(text, encoding="utf-8")
    done = subprocess.run(tfatlas_command() + ["--store", str(store), "load", "--force", "--no-progress", str(path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


BASE = "https://w3id.org/tfatlas/"


# Offers are not in the seed data yet; this small graph (following docs/model.md) adds two, with
# blank nodes (which must be canonicalised) and umlauts (which must survive every format).
EXTRA = """
@prefix tfa: <https://w3id.org/tfatlas/ontology#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <https://schema.org/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix id: <https://w3id.org/tfatlas/id/> .

id:offer\\/test-agiles-coaching a tfa:Offer , schema:Service ;
    rdfs:label "Agiles Coaching für Referate"@de , "Agile coaching for divisions"@en ;
    dct:description "Begleitung von Teams über drei Monate; \\"Scrum\\" und Kanban, Grüße."@de ;
    tfa:providedBy id:org\\/digitalservice ;
    tfa:hasTopic id:topic\\/agilitaet , id:topic\\/ki ;
    foaf:page <https://example.org/angebote/coaching> ;
    dct:modified "2026-12-01"^^xsd:date .

id:offer\\/test-ki-werkstatt a tfa:Offer , schema:Course ;
    rdfs:label "KI-Werkstatt"@de ;
    tfa:providedBy id:unit\\/digitalakademie ;
    tfa:hasTopic id:topic\\/ki ;
    dct:modified "2026-11-30"^^xsd:date .

id:initiative\\/test-pilot a tfa:Initiative ;
    rdfs:label "Pilotvorhaben Prozessmanagement"@de ;
    prov:qualifiedAssociation [ prov:agent id:org\\/zendis ; prov:hadRole [ rdfs:label "Partner"@de ] ] ,
                              [ prov:agent id:org\\/bva ; prov:hadRole [ rdfs:label "Partner"@de ] ] ;
    dct:modified "2026-11-29"^^xsd:date .
"""


def build_store(root: Path):
    """A store with the shipped knowledge model plus EXTRA in a user graph (caller closes it)."""
    # the same file name everywhere: it names the graph, and the graph is part of the data
    extra = root.parent / f"{root.name}-extra" / "test-offers.ttl"
    extra.parent.mkdir(parents=True, exist_ok=True)
    extra.write_text(EXTRA, encoding="utf-8")
    store = open_store(load_config(cli={"store": str(root)}, environ={}))
    # The shipped model as `tfatlas init` loads it, without its SHACL gate (tested elsewhere,
    # and the slow part): what is published, not whether it validates, is under test here.
    store.load(model_sources(BASE) + sources_for([extra], BASE), replace=True)
    return store


def make_release(tmp_path: Path, name: str = "release", base_url: str | None = None):
    """(release directory, published triple count, published quad count, graphs) of a fresh store."""
    with build_store(tmp_path / f"store-{name}") as store:
        publish(store, tmp_path / name, base_url=base_url)
        return tmp_path / name, store_counts(store)


def store_counts(store) -> dict:
    """What the store itself says it publishes: everything but the meta graph."""
    meta = meta_graph(store.base_iri)
    triples = next(iter(store.query(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?p ?o WHERE {{ "
        f"{{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{meta}>) }} UNION {{ ?s ?p ?o }} }} }}",
        union_default=False)))["n"]
    quads = next(iter(store.query(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{meta}>) }}",
        union_default=False)))["n"]
    offers = next(iter(store.query(
        f"SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE {{ ?o a <{BASE}ontology#Offer> }}")))["n"]
    actors = next(iter(store.query(
        f"SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE {{ ?a a <{BASE}ontology#TransformationActor> }}")))["n"]
    graphs = {g for g in store.graphs() if g != meta}
    return {"triples": int(triples.value), "quads": int(quads.value), "graphs": graphs,
            "offers": int(offers.value), "actors": int(actors.value)}
