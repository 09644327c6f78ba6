"""The finder's core and pages over a small graph of our own (tests/fixtures/finder-mini.ttl)."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest

from tfatlas import finder
from tfatlas.finder.search import _text_filter as text_filter
from tfatlas.config import load_config
from tfatlas.model.loading import sources_for
from tfatlas.model.files import model_dir
from tfatlas.store.embedded import EmbeddedStore
from tfatlas.web.app import create_app

FIXTURE = Path(__file__).parent / "fixtures" / "finder-mini.ttl"
BASE = "https://w3id.org/tfatlas/"
TOPIC = BASE + "id/topic/"
COST = BASE + "id/cost-model/"
OFFER = BASE + "id/offer/"
ORG = BASE + "id/org/"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = EmbeddedStore(tmp_path_factory.mktemp("finder") / "store", BASE)
    store.load(sources_for([model_dir("ontology") / "vocabularies", FIXTURE], BASE))
    yield store
    store.close()


@pytest.fixture(scope="module")
def schemes(store):
    return finder.load_schemes(store)


@pytest.fixture(scope="module")
def client(store):
    app = create_app(load_config(environ={}), store=store)
    return app.test_client()


def search(store, schemes, **args):
    return finder.find(store, finder.parse_search(args, schemes), schemes)


def test_fold_spells_out_umlauts_and_ignores_case():
    assert finder.fold("AGILITÄT") == finder.fold("Agilitaet") == "agilitaet"
    assert finder.fold("Große Übung") == "grosse uebung"


@pytest.mark.parametrize("text", ["Agilität", "agilitaet", "AGILITAET", "agilität"])
def test_free_text_is_insensitive_to_case_and_umlaut_spelling(store, schemes, text):
    result = search(store, schemes, q=text)
    assert [o.iri for o in result.offers] == [OFFER + "mini-agile-beratung"]


def test_free_text_finds_eszett_spelt_out_and_english_labels(store, schemes):
    assert [o.iri for o in search(store, schemes, q="grosse sprachmodelle").offers] == [OFFER + "mini-ki-werkstatt"]
    assert [o.iri for o in search(store, schemes, q="language models", lang="en").offers] == [OFFER + "mini-ki-werkstatt"]


def test_exact_matches_rank_before_matches_through_the_hierarchy(store, schemes):
    narrow = search(store, schemes, topic=TOPIC + "scrum")
    assert [(o.iri, o.exact) for o in narrow.offers] == [
        (OFFER + "mini-scrum-training", True), (OFFER + "mini-agile-beratung", False)]
    broad = search(store, schemes, topic=TOPIC + "agilitaet")
    assert [(o.iri, o.exact) for o in broad.offers] == [
        (OFFER + "mini-agile-beratung", True), (OFFER + "mini-scrum-training", False)]


def test_offers_come_with_provider_format_cost_audience_and_contact(store, schemes):
    offer = search(store, schemes, topic=TOPIC + "scrum").offers[0]
    assert offer.provider == (ORG + "mini-akademie", "Mini-Akademie für Übungszwecke")
    assert offer.offer_types and offer.delivery_modes
    assert offer.cost_models == ["Kostenfrei"]
    assert offer.audiences and offer.email == "kontakt@mini-akademie.example"
    english = search(store, schemes, topic=TOPIC + "scrum", lang="en").offers[0]
    assert english.label == "Scrum basics for teams" and english.cost_models != offer.cost_models


def test_facet_counts_include_narrower_concepts_and_follow_other_filters(store, schemes):
    counts = {v.iri: v.count for v in search(store, schemes).facets["topic"]}
    assert counts[TOPIC + "agilitaet"] == 2  # one offer on Agilität, one on its narrower Scrum
    assert counts[TOPIC + "ki"] == 1  # the offer is about the narrower "generative KI"
    assert counts[TOPIC + "prozessmanagement"] == 0
    filtered = {v.iri: v.count for v in search(store, schemes, cost=COST + "kostenfrei").facets["topic"]}
    assert filtered[TOPIC + "agilitaet"] == 1 and filtered[TOPIC + "ki"] == 0  # only the free Scrum course
    costs = {v.iri: v for v in search(store, schemes, cost=COST + "kostenfrei").facets["cost"]}
    assert costs[COST + "kostenfrei"].selected and costs[COST + "kostenpflichtig"].count == 1


def test_an_empty_result_says_which_filter_to_relax_and_who_has_expertise(store, schemes):
    result = search(store, schemes, topic=TOPIC + "agilitaet", cost=COST + "kostenpflichtig")
    assert result.total == 0 and not result.offers
    relax = {r.param: r.count for r in result.relax}
    assert relax == {"cost": 2, "topic": 1}
    assert [e.iri for e in result.experts] == [ORG + "mini-akademie"]


def test_actors_with_expertise_but_no_offer_are_found_by_text(store, schemes):
    result = search(store, schemes, q="Prozess")
    assert result.total == 0
    assert [e.iri for e in result.experts] == [ORG + "mini-netzwerk"]
    assert "Prozessmanagement" in result.experts[0].expertise


@pytest.mark.parametrize("value", ["x", TOPIC + "nope", COST + "kostenfrei", '" } ; DROP ALL ; {', "<a>"])
def test_a_filter_value_outside_its_scheme_is_refused_with_its_name(schemes, value):
    with pytest.raises(finder.FinderInputError) as caught:
        finder.parse_search({"topic": value}, schemes)
    assert caught.value.param == "topic"


@pytest.mark.parametrize("text", ['" } ; drop all ; {', "'\\", "}>", 'a" . ?s ?p ?o'])
def test_hostile_search_text_is_a_plain_literal(store, schemes, text):
    # Replaces a check that a SELECT left the store unchanged (it cannot change it): the text
    # reaches SPARQL as one literal, so it finds exactly a label that contains it.
    memory = ox.Store()
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    memory.add(ox.Quad(ox.NamedNode("http://example.org/has"), label, ox.Literal(f"vor {text} nach")))
    memory.add(ox.Quad(ox.NamedNode("http://example.org/hasnot"), label, ox.Literal("vor nach")))
    check = text_filter("?text", finder.fold(text))
    found = [row["s"].value for row in memory.query(f"SELECT ?s WHERE {{ ?s <{label.value}> ?text . {check} }}")]
    assert found == ["http://example.org/has"]
    assert search(store, schemes, q=text).total == 0


def test_coverage_counts_offers_per_top_topic_and_provider(store):
    coverage = finder.coverage(store)
    assert coverage.offers[(TOPIC + "agilitaet", ORG + "mini-akademie")] == 2
    assert coverage.offers[(TOPIC + "ki", ORG + "mini-labor")] == 1
    assert (TOPIC + "prozessmanagement", ORG + "mini-netzwerk") in coverage.expertise
    assert "Prozessmanagement" in coverage.gaps() and "Agilität" not in coverage.gaps()
    assert [label for _, label in coverage.providers] == sorted(
        [label for _, label in coverage.providers], key=finder.fold)


# -- the pages ------------------------------------------------------------------------------------

def test_finder_page_lists_offers_linking_to_their_local_pages(client):
    response = client.get("/", query_string={"topic": TOPIC + "scrum"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="de">' in html
    assert html.index('href="/id/offer/mini-scrum-training"') < html.index('href="/id/offer/mini-agile-beratung"')
    assert 'href="mailto:kontakt@mini-akademie.example"' in html
    for control in re.findall(r'<(?:select|input) id="([^"]+)"', html):
        assert f'<label for="{control}">' in html


def test_english_switch_keeps_the_language_in_links(client):
    html = client.get("/", query_string={"topic": TOPIC + "scrum", "lang": "en"}).get_data(as_text=True)
    assert '<html lang="en">' in html and "Scrum basics for teams" in html
    assert 'href="/id/offer/mini-scrum-training?lang=en"' in html
    assert 'name="lang" value="en"' in html


def test_the_finder_follows_accept_language_and_an_explicit_choice_wins(client):
    english = client.get("/", query_string={"topic": TOPIC + "scrum"},
                         headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in english and "Scrum basics for teams" in english
    assert 'href="/id/offer/mini-scrum-training"' in english  # no ?lang=: the header decides again
    german = client.get("/", query_string={"topic": TOPIC + "scrum", "lang": "de"},
                        headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="de">' in german
    assert 'href="/id/offer/mini-scrum-training?lang=de"' in german and 'name="lang" value="de"' in german


def test_empty_result_page_links_to_relaxed_searches(client):
    response = client.get("/", query_string={"topic": TOPIC + "agilitaet", "cost": COST + "kostenpflichtig"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="empty-result"' in html
    assert "topic=https%3A%2F%2Fw3id.org%2Ftfatlas%2Fid%2Ftopic%2Fagilitaet" in html  # "without cost"
    assert 'href="/id/org/mini-akademie"' in html


def test_a_bad_filter_is_a_400_page_naming_it(client):
    response = client.get("/", query_string={"topic": "javascript:alert(1)"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "topic=" in html and "javascript:alert(1)" not in html.split("<main")[0]


def test_overview_has_a_table_and_an_svg_heat_map(client):
    response = client.get("/overview")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<svg" in html and 'role="img"' in html and "<table" in html
    assert re.search(r"<title>Agilität – Mini-Akademie für Übungszwecke: 2 Angebote</title>", html)
