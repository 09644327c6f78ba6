"""Linked-data pages through the Flask app over a real embedded store.

The store holds the shipped knowledge model (ontology, shapes, seed data) plus the page fixture
(tests/fixtures/pages/offers.ttl: offers, narrower concepts, a blank node, which the seed graph
does not have) and a generated concept scheme with very many statements for paging.
Expected labels are read from the source files, never written into the tests.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from tfatlas.model import formats as rdfformats
from tfatlas.config import load_config
from tfatlas.model.loading import model_sources
from tfatlas.model.files import model_dir, rdf_files
from tfatlas.store import Source
from tfatlas.store.embedded import EmbeddedStore
from tfatlas.web.app import create_app

FIXTURE = Path(__file__).parent / "fixtures" / "pages" / "offers.ttl"
BASE = "https://w3id.org/tfatlas/"
TFA = rdflib.Namespace(BASE + "ontology#")
ID = BASE + "id/"
BIG = ID + "scheme/beispiel-gross"
BIG_SIZE = 230
POPULAR = ID + "topic/beispiel-000"
MANY_OFFERS = 130


def load_fixture_store(path: Path) -> EmbeddedStore:
    """A store with the knowledge model, the page fixture and a resource with many statements."""
    config = load_config(environ={"TFATLAS_STORE": str(path)})
    store = EmbeddedStore(config.store, config.base_iri)
    big = path.parent / "big.ttl"
    lines = [f"<{BIG}> a <{SKOS}ConceptScheme> ; <{SKOS}prefLabel> \"Große Beispielliste\"@de .",
             # A statement the fixture makes too: the same triple in two named graphs.
             f'<{ACTOR}> <{DCTERMS}modified> "2026-11-20"^^<http://www.w3.org/2001/XMLSchema#date> .']
    for n in range(BIG_SIZE):
        concept = f"{ID}topic/beispiel-{n:03d}"
        lines.append(f"<{BIG}> <{SKOS}hasTopConcept> <{concept}> .")
        lines.append(f"<{concept}> a <{SKOS}Concept> ; <{SKOS}inScheme> <{BIG}> ; "
                     f"<{SKOS}prefLabel> \"Beispiel {n:03d}\"@de , \"Example {n:03d}\"@en .")
    for n in range(MANY_OFFERS):  # a concept with more offers than a page section shows
        lines.append(f"<{ID}offer/beispiel-viel-{n:03d}> a <{TFA}Offer> ; <{TFA}hasTopic> <{POPULAR}> ; "
                     f"<{RDFS}label> \"Viel-Angebot {n:03d}\"@de .")
    big.write_text("\n".join(lines), encoding="utf-8")
    turtle = rdfformats.by_name("turtle")
    store.load(model_sources(config.base_iri) + [
        Source(FIXTURE, turtle, BASE + "graph/data/pages-fixture"),
        Source(big, turtle, BASE + "graph/data/pages-big"),
    ])
    return store


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    store = load_fixture_store(tmp_path_factory.mktemp("pages") / "store")
    config = load_config(environ={"TFATLAS_STORE": str(store.root)})
    app = create_app(config, store)
    yield app.test_client()
    store.close()


@pytest.fixture(scope="module")
def fixture_graph() -> rdflib.Graph:
    return rdflib.Graph().parse(FIXTURE)


@pytest.fixture(scope="module")
def ontology_graph() -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in rdf_files(model_dir("ontology")):
        graph.parse(path)
    return graph


def label(graph: rdflib.Graph, iri: str, lang: str) -> str:
    for prop in (SKOS.prefLabel, RDFS.label, DCTERMS.title):
        for value in graph.objects(rdflib.URIRef(iri), prop):
            if getattr(value, "language", None) == lang:
                return str(value)
    raise AssertionError(f"{iri} has no {lang} label in the source")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def h1(response) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", response.get_data(as_text=True), re.S)
    assert match, "the page has no h1"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def section(response, key: str) -> str:
    body = response.get_data(as_text=True)
    match = re.search(rf'<section aria-labelledby="section-{key}">(.*?)</section>', body, re.S)
    assert match, f"no section {key}"
    return html.unescape(match.group(1))


ACTOR = ID + "org/beispiel-akademie"
OFFER = ID + "offer/beispiel-kurs"
UNIT = ID + "unit/beispiel-lernlabor"
BROADER = ID + "topic/beispiel-oberthema"
NARROWER = ID + "topic/beispiel-unterthema"


def path_of(iri: str) -> str:
    return "/" + iri[len(BASE):]


# -- HTML pages -----------------------------------------------------------------------------------


def test_actor_page_in_german_with_units_offers_topics_and_property_labels(client, fixture_graph,
                                                                           ontology_graph):
    response = client.get(path_of(ACTOR), headers={"Accept": "text/html"})
    assert response.status_code == 200
    body = text(response)
    assert '<html lang="de">' in body
    assert h1(response) == label(fixture_graph, ACTOR, "de")
    offers = section(response, "offers")
    assert f'href="{path_of(OFFER)}"' in offers and label(fixture_graph, OFFER, "de") in offers
    assert label(fixture_graph, UNIT, "de") in section(response, "units")
    topics = section(response, "topics")
    for topic in (BROADER, NARROWER):  # worked on directly, and through the offer and initiative
        assert label(fixture_graph, topic, "de") in topics
    assert label(fixture_graph, ID + "initiative/beispiel-initiative", "de") in section(response, "initiatives")
    # Every property of the ontology is shown with its German label, not its IRI.
    works_on = label(ontology_graph, str(TFA.worksOnTopic), "de")
    assert re.search(rf'href="/ontology#worksOnTopic">{re.escape(works_on)}</a>', body)
    # The blank-node contact point is shown inline.
    assert "mailto:kontakt@example.org" in body


def test_english_by_switch_keeps_lang_in_links_and_falls_back_to_german(client, fixture_graph):
    response = client.get(path_of(ACTOR) + "?lang=en")
    assert response.status_code == 200 and response.headers["Content-Language"] == "en"
    assert h1(response) == label(fixture_graph, ACTOR, "en")
    body = response.get_data(as_text=True)
    assert '<html lang="en">' in body
    assert f'href="{path_of(OFFER)}?lang=en"' in body
    # The unit has only a German label: shown in German, marked as German for screen readers.
    assert re.search(rf'<a href="{path_of(UNIT)}\?lang=en" lang="de">', body)
    # The switch leads back to German.
    assert f'href="{path_of(ACTOR)}?lang=de"' in body


def test_english_by_accept_language(client, fixture_graph):
    response = client.get(path_of(OFFER), headers={"Accept-Language": "en-GB,en;q=0.9,de;q=0.5"})
    assert h1(response) == label(fixture_graph, OFFER, "en")
    assert "Accept-Language" in response.headers["Vary"]
    assert h1(client.get(path_of(OFFER), headers={"Accept-Language": "fr"})) == label(fixture_graph, OFFER, "de")


def test_concept_page_has_broader_narrower_and_offers(client, fixture_graph):
    narrower = client.get(path_of(NARROWER))
    assert label(fixture_graph, BROADER, "de") in section(narrower, "broader")
    assert label(fixture_graph, OFFER, "de") in section(narrower, "offers_using")
    broader = client.get(path_of(BROADER))
    assert label(fixture_graph, NARROWER, "de") in section(broader, "narrower")


def test_provenance_source_and_date(client, fixture_graph):
    body = text(client.get(path_of(OFFER)))
    provenance = body.split('id="provenance"', 1)[1]
    source = next(fixture_graph.objects(rdflib.URIRef(OFFER), DCTERMS.source))
    assert label(fixture_graph, str(source), "de") in provenance
    assert str(next(fixture_graph.objects(rdflib.URIRef(OFFER), DCTERMS.modified))) in provenance
    assert BASE + "graph/data/pages-fixture" in provenance
    # The footer names the licence and the source of what is shown.
    footer = body.split("<footer", 1)[1]
    assert "Lizenz" in footer and label(fixture_graph, str(source), "de") in footer


def test_paging_of_a_resource_with_very_many_statements(client):
    first = client.get(path_of(BIG))
    assert first.status_code == 200
    body = first.get_data(as_text=True)
    shown = body.split('id="outgoing"', 1)[1].split("</dl>", 1)[0].count("<dd>")
    assert 0 < shown < BIG_SIZE
    assert 'href="/id/scheme/beispiel-gross?page=2"' in body
    pages = -(-(BIG_SIZE + 1) // shown)  # the top concepts and the label; types are shown apart
    seen = shown
    for page in range(2, pages + 1):
        later = client.get(path_of(BIG) + f"?page={page}").get_data(as_text=True)
        seen += later.split('id="outgoing"', 1)[1].split("</dl>", 1)[0].count("<dd>") if 'id="outgoing"' in later else 0
    assert seen == BIG_SIZE + 1  # every statement (the concepts and the label) is on exactly one page
    assert client.get(path_of(BIG) + f"?page={pages + 1}").status_code == 404
    bad = client.get(path_of(BIG) + "?page=zwei")
    assert bad.status_code == 400 and "page" in bad.get_data(as_text=True)
    # Machines get all statements at once.
    graph = rdflib.Graph().parse(data=client.get(path_of(BIG) + ".ttl").data, format="turtle")
    assert len(list(graph.objects(rdflib.URIRef(BIG), SKOS.hasTopConcept))) == BIG_SIZE


# -- content negotiation -----------------------------------------------------------------------------


@pytest.mark.parametrize("accept, media_type, suffix", [
    ("text/html", "text/html", "html"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html", "html"),
    ("*/*", "text/html", "html"),
    ("text/turtle", "text/turtle", "ttl"),
    ("application/ld+json", "application/ld+json", "jsonld"),
    ("application/json", "application/ld+json", "jsonld"),
    ("application/n-triples", "application/n-triples", "nt"),
    ("application/rdf+xml", "application/rdf+xml", "rdf"),
    ("application/rdf+xml;q=0.5, text/turtle", "text/turtle", "ttl"),
    ("text/html;q=0, text/turtle;q=0.1", "text/turtle", "ttl"),
    ("text/html;q=0, */*;q=0.5", "text/turtle", "ttl"),
    ("text/turtle;charset=utf-8", "text/turtle", "ttl"),
    ('application/ld+json;profile="http://www.w3.org/ns/json-ld#compacted"', "application/ld+json", "jsonld"),
    ("*/*;q=0.1, application/n-triples;q=0.05", "text/html", "html"),
])
def test_negotiation_answers_200_with_vary_and_content_location(client, accept, media_type, suffix):
    response = client.get(path_of(OFFER), headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert response.headers["Content-Location"] == f"{path_of(OFFER)}.{suffix}"
    assert "Accept" in [v.strip() for v in response.headers["Vary"].split(",")]


@pytest.mark.parametrize("suffix, rdflib_format", [
    ("ttl", "turtle"), ("jsonld", "json-ld"), ("nt", "nt"), ("rdf", "xml")])
def test_suffix_urls_give_rdf_with_the_resource_statements(client, fixture_graph, suffix, rdflib_format):
    response = client.get(f"{path_of(OFFER)}.{suffix}", headers={"Accept": "text/html"})
    assert response.status_code == 200 and "Content-Location" not in response.headers
    graph = rdflib.Graph().parse(data=response.data, format=rdflib_format)
    own = set(fixture_graph.triples((rdflib.URIRef(OFFER), None, None)))
    assert own and own <= set(graph)
    # Incoming links too: the page is the resource's symmetric description.
    assert (rdflib.URIRef(OFFER), TFA.providedBy, rdflib.URIRef(ACTOR)) in graph
    links = response.headers["Link"]
    assert 'rel="alternate"; type="text/html"' in links and f'<{OFFER}>; rel="canonical"' in links


def test_html_names_its_alternates(client):
    response = client.get(path_of(OFFER) + ".html")
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    for suffix, media_type in (("ttl", "text/turtle"), ("jsonld", "application/ld+json"),
                               ("nt", "application/n-triples"), ("rdf", "application/rdf+xml")):
        assert f'<link rel="alternate" type="{media_type}" href="{path_of(OFFER)}.{suffix}"' in body
        assert f'{path_of(OFFER)}.{suffix}>; rel="alternate"; type="{media_type}"' in response.headers["Link"]


def test_not_acceptable_is_406_with_a_message(client):
    response = client.get(path_of(OFFER), headers={"Accept": "image/png"})
    assert response.status_code == 406 and "text/turtle" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/id/org/gibt-es-nicht", "/id/org/gibt-es-nicht.ttl", "/id/a%20b",
                                  "/id/org/%3Cx%3E", "/graph/data/gibt-es-nicht", "/ontology/9.9.9",
                                  "/ontology.xyz", "/shapes.exe", "/id/"])
def test_unknown_iri_is_404_page_for_browsers_and_plain_for_rdf_clients(client, path):
    page = client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "<h1>" in page.get_data(as_text=True) and "<footer" in page.get_data(as_text=True)
    plain = client.get(path, headers={"Accept": "text/turtle"})
    assert plain.status_code == 404 and plain.mimetype == "text/plain"


def test_any_host_name_maps_onto_the_base(client, fixture_graph):
    response = client.get(path_of(ACTOR), headers={"Host": "atlas.intern.example:8080"})
    assert response.status_code == 200 and h1(response) == label(fixture_graph, ACTOR, "de")
    assert f'href="{path_of(OFFER)}"' in response.get_data(as_text=True)


# -- graphs, ontology, context, shapes --------------------------------------------------------------


def test_named_graph_page_and_data(client, fixture_graph):
    graph_iri = BASE + "graph/data/pages-fixture"
    page = client.get(path_of(graph_iri))
    assert page.status_code == 200 and label(fixture_graph, OFFER, "de") in text(page)
    data = rdflib.Graph().parse(data=client.get(path_of(graph_iri) + ".nt").data, format="nt")
    assert len(data) == len(fixture_graph)


def test_ontology_documentation_for_browsers_and_turtle_for_machines(client, ontology_graph):
    ontology = rdflib.URIRef(BASE + "ontology")
    page = client.get("/ontology", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["Content-Location"] == "/ontology.html"
    body = text(page)
    classes = [c for c in ontology_graph.subjects(RDF.type, OWL.Class) if str(c).startswith(str(TFA))]
    properties = [p for p in ontology_graph.subjects(RDF.type, OWL.ObjectProperty) if str(p).startswith(str(TFA))]
    assert classes and properties
    for term in classes + properties:
        name = str(term).split("#", 1)[1]
        assert f'id="{name}"' in body, f"no anchor for {name}"
        assert label(ontology_graph, str(term), "de") in body
        assert label(ontology_graph, str(term), "en") in body
    english = client.get("/ontology?lang=en")
    assert h1(english) == next(str(t) for t in ontology_graph.objects(ontology, DCTERMS.title) if t.language == "en")

    turtle = client.get("/ontology", headers={"Accept": "text/turtle"})
    assert turtle.mimetype == "text/turtle"
    graph = rdflib.Graph().parse(data=turtle.data, format="turtle")
    assert (ontology, RDF.type, OWL.Ontology) in graph
    assert len(graph) >= len([t for t in ontology_graph.triples((None, None, None))
                              if str(t[0]).startswith(str(TFA))])
    jsonld = client.get("/ontology.jsonld")
    assert (ontology, RDF.type, OWL.Ontology) in rdflib.Graph().parse(data=jsonld.data, format="json-ld")
    version = next(ontology_graph.objects(ontology, OWL.versionIRI))
    versioned = client.get(path_of(str(version)), headers={"Accept": "text/turtle"})
    assert versioned.status_code == 200
    assert (ontology, OWL.versionIRI, version) in rdflib.Graph().parse(data=versioned.data, format="turtle")


def test_json_ld_context_at_a_stable_url(client):
    context_file = model_dir("ontology") / "context.jsonld"
    for url in ("/ontology/context.jsonld", "/context.jsonld"):
        response = client.get(url)
        if not context_file.is_file():
            assert response.status_code == 404
            continue
        assert response.status_code == 200 and response.mimetype == "application/ld+json"
        assert "@context" in json.loads(response.data)
        assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_shapes_at_a_stable_url(client):
    shapes_files = rdf_files(model_dir("shapes"))
    if not shapes_files:
        assert client.get("/shapes").status_code == 404
        return
    expected = rdflib.Graph()
    for path in shapes_files:
        expected.parse(path)
    shape = rdflib.URIRef("http://www.w3.org/ns/shacl#NodeShape")
    graph = rdflib.Graph().parse(data=client.get("/shapes.ttl").data, format="turtle")
    assert set(graph.subjects(RDF.type, shape)) == set(expected.subjects(RDF.type, shape))
    page = client.get("/shapes")
    assert page.status_code == 200 and "<table>" in page.get_data(as_text=True)


def test_a_configured_base_is_mapped_onto_request_paths(tmp_path):
    base = "http://atlas.example.org/kg/"
    data = tmp_path / "other-base.ttl"
    data.write_text(
        f'<{base}id/org/eins> <http://www.w3.org/2000/01/rdf-schema#label> "Organisation Eins"@de ;\n'
        f'  <http://www.w3.org/ns/org#hasUnit> <{base}id/unit/zwei> .\n'
        f'<{base}id/unit/zwei> <http://www.w3.org/2000/01/rdf-schema#label> "Einheit Zwei"@de .\n',
        encoding="utf-8")
    config = load_config(environ={"TFATLAS_STORE": str(tmp_path / "store"), "TFATLAS_BASE_IRI": base})
    store = EmbeddedStore(config.store, config.base_iri)
    try:
        store.load([Source(data, rdfformats.by_name("turtle"), base + "graph/data/other-base")])
        client = create_app(config, store).test_client()
        page = client.get("/id/org/eins")
        assert page.status_code == 200 and h1(page) == "Organisation Eins"
        assert 'href="/id/unit/zwei"' in page.get_data(as_text=True)
        turtle = rdflib.Graph().parse(data=client.get("/id/org/eins.ttl").data, format="turtle")
        assert (rdflib.URIRef(base + "id/org/eins"), RDFS.label, rdflib.Literal("Organisation Eins", lang="de")) in turtle
        assert client.get("/id/org/bmi").status_code == 404  # only IRIs under the configured base answer
    finally:
        store.close()


def test_a_statement_made_by_several_sources_is_shown_once(client):
    # The fixture and the generated file both say when the actor was modified; the page lists the date once.
    body = client.get(path_of(ACTOR)).get_data(as_text=True)
    outgoing = body.split('id="outgoing"', 1)[1].split("</dl>", 1)[0]
    assert outgoing.count("2026-11-20") == 1


def test_a_remote_store_that_does_not_answer_is_503_not_500(tmp_path):
    from support.servers import free_port

    port = free_port()  # nothing listens there
    config = load_config(environ={"TFATLAS_STORE_URL": f"http://127.0.0.1:{port}", "TFATLAS_STORE_TIMEOUT": "2"})
    client = create_app(config).test_client()
    response = client.get("/id/org/bmi", headers={"Accept": "text/turtle"})
    assert response.status_code == 503 and "remote store" in response.get_data(as_text=True)


def test_a_concept_used_by_very_many_offers_shows_a_selection_and_pages_the_rest(client):
    from tfatlas.linked_data.views import SECTION_LIMIT

    page = client.get(path_of(POPULAR))
    offers = section(page, "offers_using")
    assert offers.count("<li>") == SECTION_LIMIT < MANY_OFFERS
    assert 'href="#incoming"' in offers
    body = page.get_data(as_text=True)
    assert f"({MANY_OFFERS + 1} Aussagen)" in body.split('id="incoming"', 1)[1]  # the offers and the scheme


def test_json_ld_of_a_resource_is_compacted_with_the_atlas_context(client, fixture_graph):
    document = json.loads(client.get(path_of(OFFER) + ".jsonld").data)
    assert isinstance(document["@context"], dict)  # embedded: no client has to fetch it
    graph = rdflib.Graph().parse(data=json.dumps(document), format="json-ld")
    own = set(fixture_graph.triples((rdflib.URIRef(OFFER), None, None)))
    assert own <= set(graph)
    nodes = document.get("@graph", [document])
    offer = next(node for node in nodes if node.get("id", node.get("@id")) == OFFER)
    # Compact keys instead of full property IRIs.
    assert not any(key.startswith("http") for key in offer)
