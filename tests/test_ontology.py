"""The ontology's own terms are documented in German and English, and it says what it is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

REPO = Path(__file__).resolve().parent.parent
ONTOLOGY = REPO / "ontology" / "tfatlas.ttl"
TFA = "https://w3id.org/tfatlas/ontology#"
ONTOLOGY_IRI = rdflib.URIRef("https://w3id.org/tfatlas/ontology")
KINDS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)


@pytest.fixture(scope="module")
def graph() -> rdflib.Graph:
    return rdflib.Graph().parse(ONTOLOGY)


def own_terms(graph) -> list[rdflib.URIRef]:
    return sorted({s for kind in KINDS for s in graph.subjects(RDF.type, kind)
                   if isinstance(s, rdflib.URIRef) and str(s).startswith(TFA)})


def languages(graph, subject, predicate) -> list[str]:
    return sorted(o.language for o in graph.objects(subject, predicate) if isinstance(o, rdflib.Literal))


def test_own_terms_exist(graph):
    names = {str(t).removeprefix(TFA) for t in own_terms(graph)}
    # The terms docs/model.md promises.
    assert {"TransformationActor", "Initiative", "Project", "Offer", "worksOnTopic", "hasCompetency",
            "hasTopic", "providedBy", "addressesChallenge", "deliveryMode", "costModel",
            "developsCompetency", "startDate", "participantCount", "organisedBy"} <= names


def test_every_own_term_has_one_german_and_one_english_label_and_comment(graph):
    for term in own_terms(graph):
        assert languages(graph, term, RDFS.label) == ["de", "en"], term
        assert languages(graph, term, RDFS.comment) == ["de", "en"], term
        assert (term, RDFS.isDefinedBy, ONTOLOGY_IRI) in graph, term


def test_own_properties_have_domain_and_range(graph):
    for term in own_terms(graph):
        if (term, RDF.type, OWL.Class) in graph:
            continue
        assert graph.value(term, RDFS.domain) is not None, term
        assert graph.value(term, RDFS.range) is not None, term


def test_ontology_metadata(graph):
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in graph
    version_iri = graph.value(ONTOLOGY_IRI, OWL.versionIRI)
    version = graph.value(ONTOLOGY_IRI, OWL.versionInfo)
    assert version and str(version_iri) == f"{ONTOLOGY_IRI}/{version}"
    assert str(graph.value(ONTOLOGY_IRI, DCTERMS.license)).startswith("https://creativecommons.org/licenses/")
    assert graph.value(ONTOLOGY_IRI, DCTERMS.creator) is not None
    assert languages(graph, ONTOLOGY_IRI, DCTERMS.title) == ["de", "en"]
    assert languages(graph, ONTOLOGY_IRI, DCTERMS.description) == ["de", "en"]


def test_reused_terms_are_declared_with_their_source(graph):
    reused = {s for kind in KINDS for s in graph.subjects(RDF.type, kind)
              if isinstance(s, rdflib.URIRef) and not str(s).startswith(TFA)}
    assert reused
    for term in reused:
        assert graph.value(term, RDFS.isDefinedBy) is not None, term


def test_data_uses_only_declared_tfa_terms(graph):
    """A typo such as tfa:hasTopc in the seed data or vocabularies is caught here."""
    declared = set(own_terms(graph))
    files = [p for d in ("data", "ontology/vocabularies") for p in sorted((REPO / d).rglob("*.ttl"))]
    for path in files:
        used = {t for triple in rdflib.Graph().parse(path) for t in triple
                if isinstance(t, rdflib.URIRef) and str(t).startswith(TFA)}
        assert used <= declared, f"{path.name}: undeclared {sorted(used - declared)}"


def test_json_ld_context_covers_every_own_term(graph):
    context = json.loads((REPO / "ontology" / "context.jsonld").read_text())["@context"]
    mapped = set()
    for value in context.values():
        iri = value["@id"] if isinstance(value, dict) else value
        if isinstance(iri, str) and iri.startswith("tfa:"):
            mapped.add(TFA + iri.removeprefix("tfa:"))
    assert {str(t) for t in own_terms(graph)} <= mapped


def test_json_ld_context_expands_to_the_ontology_terms():
    from pyld import jsonld

    context = json.loads((REPO / "ontology" / "context.jsonld").read_text())["@context"]
    document = {"@context": context, "id": "https://w3id.org/tfatlas/id/offer/x", "type": "Offer",
                "label": {"de": "Angebot", "en": "Offer"}, "providedBy": "https://w3id.org/tfatlas/id/org/y",
                "modified": "2024-05-15"}
    nquads = jsonld.to_rdf(document, {"format": "application/n-quads"})
    graph = rdflib.Graph().parse(data=nquads, format="nquads")
    offer = rdflib.URIRef("https://w3id.org/tfatlas/id/offer/x")
    assert (offer, RDF.type, rdflib.URIRef(TFA + "Offer")) in graph
    assert (offer, rdflib.URIRef(TFA + "providedBy"), rdflib.URIRef("https://w3id.org/tfatlas/id/org/y")) in graph
    assert graph.value(offer, DCTERMS.modified).datatype == rdflib.XSD.date
