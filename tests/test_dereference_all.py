"""Every subject IRI under the base in the seed graph dereferences on the running server.

The server is the real ``tfatlas serve`` over the shipped knowledge model (``seeded_server``),
listening on 127.0.0.1 while the IRIs are those of the configured base (https://w3id.org/tfatlas/):
the request path is mapped onto the base. The IRIs are found by a SPARQL query over the model's
files loaded into an in-memory Oxigraph store, the same files the server was initialised from.
"""

from __future__ import annotations

import html
import re

import pyoxigraph as ox
import pytest
import rdflib
import requests

from tfatlas.model.loading import model_sources

BASE = "https://w3id.org/tfatlas/"
LABELS = ("http://www.w3.org/2004/02/skos/core#prefLabel", "http://www.w3.org/2000/01/rdf-schema#label",
          "http://purl.org/dc/terms/title", "http://xmlns.com/foaf/0.1/name", "https://schema.org/name",
          "http://www.w3.org/2006/vcard/ns#fn")


@pytest.fixture(scope="module")
def seed() -> ox.Store:
    store = ox.Store()
    for source in model_sources(BASE):
        if "/graph/shapes/" in source.graph:
            continue  # the shapes are not part of the seed graph; /shapes is tested on its own
        store.load(path=str(source.path), format=source.format.oxigraph, to_graph=ox.NamedNode(source.graph))
    return store


def subjects(seed: ox.Store) -> list[str]:
    return [row["s"].value for row in seed.query(
        f'SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{BASE}")) }} '
        f'ORDER BY ?s', use_default_graph_as_union=True)]


def german_label(seed: ox.Store, iri: str) -> str | None:
    values = " ".join(f"<{p}>" for p in LABELS)
    for row in seed.query(f'SELECT ?l WHERE {{ VALUES ?p {{ {values} }} <{iri}> ?p ?l '
                          f'FILTER(langMatches(lang(?l), "de")) }} LIMIT 1', use_default_graph_as_union=True):
        return row["l"].value
    return None


def own_statements(seed: ox.Store, iri: str) -> list[ox.Triple]:
    return list(seed.query(f"CONSTRUCT {{ <{iri}> ?p ?o }} WHERE {{ <{iri}> ?p ?o }}",
                           use_default_graph_as_union=True))


def to_rdflib(term):
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        if term.datatype.value == str(rdflib.XSD.string):
            return rdflib.Literal(term.value)  # rdflib tells "x" and "x"^^xsd:string apart; RDF 1.1 does not
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))
    return None  # a blank node: only its presence can be compared


def test_every_subject_under_the_base_dereferences_and_links_resolve(seeded_server, seed):
    iris = subjects(seed)
    assert len(iris) > 20, "the seed graph should describe more than a handful of resources"
    session = requests.Session()
    pages: dict[str, str] = {}
    documents: dict[str, rdflib.Graph] = {}
    failures: list[str] = []
    for iri in iris:
        document = iri.split("#", 1)[0]  # ontology terms live in the ontology document
        url = seeded_server.url + "/" + document[len(BASE):]
        if url not in pages:
            response = session.get(url, headers={"Accept": "text/html"}, timeout=30)
            if response.status_code != 200 or not response.headers["Content-Type"].startswith("text/html"):
                failures.append(f"{iri}: HTML {response.status_code} {response.headers.get('Content-Type')}")
                continue
            pages[url] = html.unescape(response.text)
            response = session.get(url, headers={"Accept": "text/turtle"}, timeout=30)
            if response.status_code != 200 or not response.headers["Content-Type"].startswith("text/turtle"):
                failures.append(f"{iri}: Turtle {response.status_code} {response.headers.get('Content-Type')}")
                continue
            try:
                documents[url] = rdflib.Graph().parse(data=response.text, format="turtle")
            except Exception as exc:  # any parser error is the failure being looked for
                failures.append(f"{iri}: the Turtle does not parse: {exc}")
                continue
        if url not in documents:
            continue
        label = german_label(seed, iri)
        if label is None:
            failures.append(f"{iri}: has no German label in the seed graph")
        elif label not in pages[url]:
            failures.append(f"{iri}: the page does not show its German label {label!r}")
        graph = documents[url]
        for triple in own_statements(seed, iri):
            s, p, o = rdflib.URIRef(iri), rdflib.URIRef(triple.predicate.value), to_rdflib(triple.object)
            if o is None:
                present = any(isinstance(x, rdflib.BNode) for x in graph.objects(s, p))
            else:
                present = (s, p, o) in graph
            if not present:
                failures.append(f"{iri}: the Turtle lacks {triple}")
    # Every link to a linked-data page on these pages leads to a page that exists.
    links = sorted({href.split("#", 1)[0] for page in pages.values()
                    for href in re.findall(r'href="(/(?:id|graph|ontology|shapes)[^"]*)"', page)
                    if not re.search(r"\.(ttl|jsonld|nt|rdf|html)$", href)})  # formats: tested above
    for link in links:
        response = session.get(seeded_server.url + link, headers={"Accept": "text/html"}, timeout=30)
        if response.status_code != 200:
            failures.append(f"link {link}: {response.status_code}")
    assert not failures, f"{len(failures)} problem(s):\n" + "\n".join(failures[:40])


def test_ontology_iri_gives_html_to_browsers_and_turtle_to_machines(seeded_server):
    page = requests.get(seeded_server.url + "/ontology", headers={"Accept": "text/html"}, timeout=30)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Content-Location"] == "/ontology.html"
    turtle = requests.get(seeded_server.url + "/ontology", headers={"Accept": "text/turtle"}, timeout=30)
    assert turtle.status_code == 200 and turtle.headers["Content-Type"].startswith("text/turtle")
    graph = rdflib.Graph().parse(data=turtle.text, format="turtle")
    assert (rdflib.URIRef(BASE + "ontology"), rdflib.RDF.type, rdflib.OWL.Ontology) in graph


def test_unknown_iri_under_the_base_is_404_never_500(seeded_server):
    for accept, media_type in (("text/html", "text/html"), ("text/turtle", "text/plain")):
        response = requests.get(seeded_server.url + "/id/org/gibt-es-nicht", headers={"Accept": accept},
                                timeout=30)
        assert response.status_code == 404 and response.headers["Content-Type"].startswith(media_type)
