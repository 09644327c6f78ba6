"""The seed graph (data/) and the concept schemes (ontology/vocabularies/) keep docs/model.md's rules:
provenance for every resource, one German and one English label per concept, the IRI policy, and the
facts of design.md sections 1 and 4 as the cited sources state them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS as DCT, FOAF, RDF, RDFS, SKOS

REPO = Path(__file__).resolve().parent.parent
DATA = sorted((REPO / "data").rglob("*.ttl"))
VOCABULARIES = sorted((REPO / "ontology" / "vocabularies").glob("*.ttl"))
BASE = "https://w3id.org/tfatlas/"
ID = BASE + "id/"
TFA = Namespace(BASE + "ontology#")
ORG = Namespace("http://www.w3.org/ns/org#")
PROV = Namespace("http://www.w3.org/ns/prov#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
INSTANCE_KINDS = {"org", "unit", "network", "initiative", "offer", "event", "source", "contact", "membership"}
SCHEME_KINDS = {"topics": "topic", "challenges": "challenge", "target-groups": "target-group",
                "offer-types": "offer-type", "delivery-modes": "delivery-mode", "cost-models": "cost-model",
                "competencies": "competency"}
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Blank nodes describe something inside a statement (a publisher that is no actor of the atlas).
BLANK_NODE_PREDICATES = {DCT.publisher}


def parse(path: Path) -> Graph:
    return Graph().parse(path, format="turtle")


def union(paths) -> Graph:
    graph = Graph()
    for path in paths:
        graph += parse(path)
    return graph


@pytest.fixture(scope="module")
def data() -> Graph:
    return union(DATA)


@pytest.fixture(scope="module")
def model() -> Graph:
    return union(DATA + VOCABULARIES)


def I(kind: str, slug: str) -> URIRef:
    return URIRef(f"{ID}{kind}/{slug}")


# -- provenance -----------------------------------------------------------------------------------

def test_there_is_seed_data_and_one_graph_per_source():
    assert len(DATA) >= 10
    for path in DATA:
        documents = set(parse(path).subjects(RDF.type, FOAF.Document))
        assert documents, f"{path.name}: describes no source page (foaf:Document)"


@pytest.mark.parametrize("path", DATA, ids=lambda p: p.name)
def test_every_resource_cites_a_described_source(path):
    graph = parse(path)
    documents = set(graph.subjects(RDF.type, FOAF.Document))
    for document in documents:
        assert isinstance(document, URIRef) and str(document).startswith(("http://", "https://"))
        assert any(isinstance(t, Literal) and t.language == "de" for t in graph.objects(document, DCT.title)), \
            f"{path.name}: {document} has no German dct:title"
        assert graph.value(document, DCT.publisher) is not None, f"{path.name}: {document} has no dct:publisher"
    for subject in set(graph.subjects()):
        if isinstance(subject, BNode):
            used_by = set(graph.predicates(None, subject))
            assert used_by and used_by <= BLANK_NODE_PREDICATES, \
                f"{path.name}: a blank node is used by {used_by}; give it an IRI and a source"
            continue
        if subject in documents:
            continue
        sources = set(graph.objects(subject, DCT.source))
        assert sources, f"{path.name}: {subject} has no dct:source"
        assert sources <= documents, f"{path.name}: {subject} cites {sources - documents}, not described here"
        modified = list(graph.objects(subject, DCT.modified))
        assert len(modified) == 1 and modified[0].datatype == XSD.date, \
            f"{path.name}: {subject} needs exactly one dct:modified xsd:date"


# -- IRIs -----------------------------------------------------------------------------------------

def atlas_iris(graph: Graph):
    for triple in graph:
        for node in triple:
            if isinstance(node, URIRef) and str(node).startswith(BASE):
                yield node


def test_iri_policy(model):
    for node in set(atlas_iris(model)):
        text = str(node)
        if text.startswith(BASE + "ontology#"):
            assert re.match(r"^[A-Za-z][A-Za-z0-9]*$", text.split("#", 1)[1]), text
            continue
        assert text.startswith(ID), f"{text}: atlas IRIs are <{ID}<kind>/<slug>> or ontology terms"
        parts = text[len(ID):].split("/")
        assert len(parts) == 2, f"{text}: expected <kind>/<slug>"
        kind, slug = parts
        assert kind in INSTANCE_KINDS | set(SCHEME_KINDS.values()) | {"scheme"}, f"{text}: unknown kind {kind}"
        if kind == "scheme":
            assert slug in SCHEME_KINDS, text
        else:
            assert SLUG.match(slug), f"{text}: slugs are lower-case ASCII words joined by '-'"


def test_every_atlas_iri_that_is_used_is_described(model):
    described = set(model.subjects())
    missing = {n for n in atlas_iris(model) if not str(n).startswith(BASE + "ontology#")} - described
    assert not missing, f"used but never described: {sorted(missing)}"


# -- concept schemes ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def vocabularies() -> Graph:
    return union(VOCABULARIES)


def test_the_seven_schemes_exist(vocabularies):
    schemes = {str(s) for s in vocabularies.subjects(RDF.type, SKOS.ConceptScheme)}
    assert schemes == {f"{ID}scheme/{name}" for name in SCHEME_KINDS}


def test_every_concept_has_one_german_and_one_english_label(vocabularies):
    concepts = set(vocabularies.subjects(RDF.type, SKOS.Concept))
    assert len(concepts) > 50
    for concept in concepts:
        labels = list(vocabularies.objects(concept, SKOS.prefLabel))
        assert sorted(label.language for label in labels) == ["de", "en"], f"{concept}: {labels}"
        for prop in (SKOS.definition,):
            languages = [d.language for d in vocabularies.objects(concept, prop)]
            assert languages in ([], ["de", "en"], ["en", "de"]), f"{concept}: {prop} in de and en, or none"


def test_concepts_sit_in_the_scheme_their_iri_names(vocabularies):
    for concept in vocabularies.subjects(RDF.type, SKOS.Concept):
        schemes = list(vocabularies.objects(concept, SKOS.inScheme))
        assert len(schemes) == 1, concept
        kind = str(concept)[len(ID):].split("/")[0]
        assert SCHEME_KINDS[str(schemes[0]).rsplit("/", 1)[1]] == kind, f"{concept} is in {schemes[0]}"


def test_hierarchy_is_consistent(vocabularies):
    for concept in vocabularies.subjects(RDF.type, SKOS.Concept):
        broader = set(vocabularies.objects(concept, SKOS.broader))
        top_of = set(vocabularies.objects(concept, SKOS.topConceptOf))
        assert bool(broader) != bool(top_of), f"{concept}: either a top concept or narrower than one"
        for scheme in top_of:
            assert (scheme, SKOS.hasTopConcept, concept) in vocabularies
        for parent in broader:
            assert (parent, SKOS.narrower, concept) in vocabularies
            assert set(vocabularies.objects(parent, SKOS.inScheme)) == set(vocabularies.objects(concept, SKOS.inScheme))
        for child in vocabularies.objects(concept, SKOS.narrower):
            assert (child, SKOS.broader, concept) in vocabularies
    for scheme, concept in vocabularies.subject_objects(SKOS.hasTopConcept):
        assert (concept, SKOS.topConceptOf, scheme) in vocabularies


def test_the_six_workshop_topics_are_top_concepts_with_narrower_ones(vocabularies):
    for slug in ("new-work", "projektmanagement", "agilitaet", "digitalkompetenzen", "ki", "prozessmanagement"):
        topic = I("topic", slug)
        assert (topic, SKOS.topConceptOf, URIRef(ID + "scheme/topics")) in vocabularies
        assert len(set(vocabularies.objects(topic, SKOS.narrower))) >= 2, slug


def test_external_concept_mappings_point_to_esco(vocabularies):
    for prop in (SKOS.closeMatch, SKOS.exactMatch):
        for target in vocabularies.objects(None, prop):
            assert str(target).startswith("http://data.europa.eu/esco/skill/"), target


def test_data_uses_concepts_from_the_right_scheme(model):
    expected = {TFA.hasTopic: "topics", TFA.worksOnTopic: "topics", TFA.addressesChallenge: "challenges",
                DCT.audience: "target-groups", DCT.type: "offer-types", TFA.deliveryMode: "delivery-modes",
                TFA.costModel: "cost-models", TFA.developsCompetency: "competencies",
                TFA.hasCompetency: "competencies"}
    for prop, scheme in expected.items():
        for concept in set(model.objects(None, prop)):
            assert (concept, SKOS.inScheme, URIRef(f"{ID}scheme/{scheme}")) in model, f"{prop}: {concept}"


# -- offers and actors ----------------------------------------------------------------------------

def test_every_offer_has_a_german_label_and_an_atlas_actor_as_provider(data):
    offers = set(data.subjects(RDF.type, TFA.Offer))
    assert len(offers) >= 25
    actors = set(data.subjects(RDF.type, TFA.TransformationActor))
    for offer in offers:
        assert any(label.language == "de" for label in data.objects(offer, RDFS.label)), offer
        providers = set(data.objects(offer, TFA.providedBy))
        assert len(providers) == 1 and providers <= actors, f"{offer}: provider {providers}"


def test_every_actor_named_in_design_md_has_offers(data):
    providers = set(data.objects(None, TFA.providedBy))
    for actor in (I("org", "digitalservice"), I("org", "zendis"), I("unit", "govlabde"), I("unit", "digitalakademie"),
                  I("org", "next-ev"), I("org", "bva")):
        offered = providers & ({actor} | set(data.subjects(ORG.unitOf, actor)))
        assert offered, f"{actor} has no offer"


def test_an_offer_helps_with_an_agility_challenge(data):
    agility = {I("topic", "agilitaet")} | set(data.subjects(SKOS.broader, I("topic", "agilitaet")))
    for offer in data.subjects(TFA.addressesChallenge, I("challenge", "agile-arbeitsweisen-einfuehren")):
        if set(data.objects(offer, TFA.hasTopic)) & agility:
            return
    pytest.fail("no offer addresses 'Agile Arbeitsweisen einführen' in the topic Agilität")


def test_some_actors_have_expertise_without_an_offer(data):
    providers = set(data.objects(None, TFA.providedBy))
    experts = set(data.subjects(TFA.worksOnTopic, None)) - providers
    assert I("unit", "beki") in experts


def test_english_texts_of_offers_come_as_a_translated_pair(data):
    # Issue 15: an offer's English title and short description are a translation of the German
    # ones, given together (a title without a description, or a copied German text, is not one).
    for offer in data.subjects(RDF.type, TFA.Offer):
        en_title = [t for t in data.objects(offer, RDFS.label) if t.language == "en"]
        en_text = [t for t in data.objects(offer, DCT.description) if t.language == "en"]
        de_text = [t for t in data.objects(offer, DCT.description) if t.language == "de"]
        assert len(en_title) <= 1, f"{offer}: one English title at most"
        assert bool(en_title) == bool(en_text), f"{offer}: English title and description go together"
        # An offer described by several pages has one description per page, each translated.
        assert not en_text or len(en_text) == len(de_text), f"{offer}: every German description has its translation"
        for text in en_text:
            assert all(str(text) != str(german) for german in de_text), f"{offer}: English description copies the German"


def test_an_english_title_stands_next_to_exactly_one_german_title(data):
    # Issue 15 asks for English titles as faithful translations (@en) of the German one, never instead of it.
    for offer in data.subjects(RDF.type, TFA.Offer):
        en = [label for label in data.objects(offer, RDFS.label) if label.language == "en"]
        de = [label for label in data.objects(offer, RDFS.label) if label.language == "de"]
        assert len(de) == 1 and len(en) <= 1, f"{offer}: {de} / {en}"
        if en:
            descriptions = {d.language for d in data.objects(offer, DCT.description)}
            assert "de" in descriptions, f"{offer}: an English title needs the German description it translates"


# -- the facts of design.md sections 1 and 4 ------------------------------------------------------

def test_the_workshop_of_25_april_2024(data):
    workshop = I("event", "kooperationstreffen-2024-04-25")
    assert data.value(workshop, TFA.startDate) == Literal("2024-04-25", datatype=XSD.date)
    assert int(data.value(workshop, TFA.participantCount)) == 30
    host = data.value(workshop, TFA.organisedBy)
    assert host == I("unit", "bmi-referat-dv-i-3")
    # The division was a unit of the BMI then, recorded as a membership that ended with the reorganisation.
    memberships = set(data.subjects(ORG.member, host))
    assert {data.value(m, ORG.organization) for m in memberships} == {I("org", "bmi")}
    assert data.value(host, ORG.unitOf) is None, "a plain org:unitOf would read as a current unit of the BMI"
    assert not set(data.objects(host, TFA.worksOnTopic)), "the six topics are those of all ministries' initiatives"
    assert "GovTech Campus" in str(data.value(workshop, URIRef("https://schema.org/location")))
    assert data.value(workshop, DCT.source) == URIRef(
        "https://digitale-verwaltung.de/SharedDocs/kurzmeldungen/Webs/DV/DE/2024/05_koop-treffen.html")


def test_the_cooperation_network_since_2023(data):
    network = I("network", "transformationsnetzwerk-bund")
    assert (network, RDF.type, ORG.OrganizationalCollaboration) in data
    assert data.value(network, PROV.startedAtTime) == Literal("2023", datatype=XSD.gYear)
    members = set(data.objects(network, ORG.hasMember))
    assert {I("org", "digitalservice"), I("org", "zendis"), I("unit", "govlabde"), I("unit", "digitalakademie"),
            I("org", "next-ev")} <= members
    # The source names "diverse Einheiten des BVA", not the BVA as a whole, and not the inviting division.
    assert not members & {I("org", "bva"), I("unit", "bmi-referat-dv-i-3")}


def test_the_reorganisation_of_6_may_2025(data):
    change = I("event", "organisationserlass-2025-05-06")
    assert (change, RDF.type, ORG.ChangeEvent) in data
    assert data.value(change, ORG.originalOrganization) == I("org", "bmi")
    assert data.value(change, ORG.resultingOrganization) == I("org", "bmds")
    assert data.value(change, PROV.atTime) == Literal("2025-05-06", datatype=XSD.date)
    # The BAköV, to which the Digitalakademie belongs, stayed with the BMI.
    assert data.value(I("unit", "digitalakademie"), ORG.unitOf) == I("org", "bakoev")
    assert data.value(I("org", "bakoev"), ORG.subOrganizationOf) == I("org", "bmi")
