"""The finder's result for a text comes from the text index (tfatlas.search.select): its facet
counts and totals must equal what SPARQL counts over the store, hierarchy included."""

from __future__ import annotations

import sys

import pytest

from tfatlas import finder, search
from tfatlas.model.loading import sources_for
from tfatlas.search import SearchIndex
from tfatlas.store.embedded import EmbeddedStore
from tfatlas.vocab import scheme_iri

from support.paths import REPO

sys.path.insert(0, str(REPO / "bench"))
from generate import generate  # noqa: E402  (bench/ is not a package)

BASE = "https://w3id.org/tfatlas/"
TFA = "https://w3id.org/tfatlas/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
PROPS = {"challenge": TFA + "addressesChallenge", "topic": TFA + "hasTopic",
         "audience": "http://purl.org/dc/terms/audience", "mode": TFA + "deliveryMode", "cost": TFA + "costModel"}
# A concept matches an offer naming it, a narrower or a broader concept (docs/model.md).
HIERARCHY = f"(<{SKOS}broader>|^<{SKOS}narrower>)"
SCHEMES = {f.name: scheme_iri(BASE, f.scheme) for f in finder.FACETS}


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    root = tmp_path_factory.mktemp("generated")
    generate(10_000, root / "data.nt")
    store = EmbeddedStore(root / "store", BASE)
    store.load(sources_for([root / "data.nt"], BASE, graph=BASE + "graph/data/generated"))
    index = SearchIndex(root / "index")
    index.rebuild(store)
    yield store, index, finder.load_schemes(store)
    store.close()


def _matches(var: str, facet: str, concept: str) -> str:
    """SPARQL: the offer ?offer names, for the facet, ``concept`` or a concept above or below it."""
    return (f"?offer <{PROPS[facet]}> {var} . {var} <{SKOS}inScheme> <{SCHEMES[facet]}> . "
            f"{{ {var} {HIERARCHY}* {concept} }} UNION {{ {concept} {HIERARCHY}+ {var} }}")


def sparql_counts(store, text_offers: list[str], facet: str, filters: dict[str, str]) -> dict[str, int]:
    """Per concept of the facet: offers among the text's matches that it and the other filters match."""
    others = " ".join(_matches(f"?f{i}", name, f"<{iri}>")
                      for i, (name, iri) in enumerate(sorted(filters.items())) if name != facet)
    query = f"""SELECT ?c (COUNT(DISTINCT ?offer) AS ?n) WHERE {{
      VALUES ?offer {{ {' '.join(f'<{o}>' for o in text_offers)} }}
      ?c <{SKOS}inScheme> <{SCHEMES[facet]}> .
      {_matches('?x', facet, '?c')}
      {others}
    }} GROUP BY ?c"""
    return {row["c"].value: int(row["n"].value) for row in store.query(query)}


def sparql_total(store, text_offers: list[str], filters: dict[str, str]) -> int:
    patterns = " ".join(_matches(f"?f{i}", name, f"<{iri}>") for i, (name, iri) in enumerate(sorted(filters.items())))
    query = f"""SELECT (COUNT(DISTINCT ?offer) AS ?n) WHERE {{
      VALUES ?offer {{ {' '.join(f'<{o}>' for o in text_offers)} }} {patterns} }}"""
    return int(next(iter(store.query(query)))["n"].value)


def broadest(schemes, facet: str) -> str:
    """The concept of the facet with the most concepts above and below it (the hierarchy counts)."""
    scheme = schemes[facet]
    return max(sorted(scheme.concepts), key=lambda c: len(scheme.related(c)))


def searches(schemes) -> list[dict[str, str]]:
    return [
        {"q": "KI"},
        {"q": "Projektmanagement", "topic": broadest(schemes, "topic")},
        {"q": "digitale Kompetenzen", "challenge": broadest(schemes, "challenge"),
         "audience": broadest(schemes, "audience")},
        {"q": "Agilitaet", "mode": broadest(schemes, "mode"), "cost": broadest(schemes, "cost"), "lang": "en"},
    ]


@pytest.mark.parametrize("number", range(4))
def test_facet_counts_and_total_equal_a_sparql_count_over_the_store(generated, number):
    store, index, schemes = generated
    args = searches(schemes)[number]
    result = finder.find(store, finder.parse_search(args, schemes), schemes, text_index=index)
    text_offers = index.search(args["q"], limit=0).ranked
    filters = {k: v for k, v in args.items() if k in PROPS}
    assert result.total == sparql_total(store, text_offers, filters) > 0
    assert len(result.offers) == min(result.total, finder.PAGE_SIZE)
    for facet, values in result.facets.items():
        expected = sparql_counts(store, text_offers, facet, filters)
        assert {v.iri: v.count for v in values} == {c: expected.get(c, 0) for c in schemes[facet].concepts}, facet
    assert any(v.count for values in result.facets.values() for v in values)


def test_offers_matched_only_through_the_hierarchy_come_after_the_exact_ones(generated):
    store, index, schemes = generated
    topic = broadest(schemes, "topic")
    result = finder.find(store, finder.parse_search({"q": "Kompetenzen", "topic": topic}, schemes), schemes,
                         text_index=index)
    ranks = [o.rank for o in result.offers]
    assert ranks == sorted(ranks) and set(ranks) == {0, 1}, ranks
    named = {row["o"].value for row in store.query(
        f"SELECT ?o WHERE {{ ?o <{PROPS['topic']}> <{topic}> }}")}
    assert all((o.iri in named) == (o.rank == 0) for o in result.offers)


def test_the_counts_follow_a_write_to_an_offers_concepts(generated, tmp_path):
    store, _, schemes = generated
    index = search.open(store, tmp_path / "index")
    cost = schemes["cost"]
    first = sorted(cost.concepts)[0]
    second = next(c for c in sorted(cost.concepts) if c not in cost.related(first))
    offer = BASE + "id/offer/test-facet-write"
    graph = BASE + "graph/test-facet-write"

    def cost_counts() -> dict[str, int]:
        result = finder.find(store, finder.Search(filters={}, q="Zebrafütterung"), schemes, text_index=index)
        return {v.iri: v.count for v in result.facets["cost"] if v.count}

    # Written for the test: a made-up offer, in a graph of its own.
    store.update(f"""INSERT DATA {{ GRAPH <{graph}> {{ <{offer}> a <{TFA}Offer> ;
        <{RDFS}label> "Zebrafütterung (für den Test geschrieben)"@de ; <{TFA}costModel> <{first}> . }} }}""")
    search.update(store, {offer})
    assert cost_counts() == dict.fromkeys(cost.related(first), 1)
    store.update(f"""DELETE DATA {{ GRAPH <{graph}> {{ <{offer}> <{TFA}costModel> <{first}> }} }};
        INSERT DATA {{ GRAPH <{graph}> {{ <{offer}> <{TFA}costModel> <{second}> }} }}""")
    search.update(store, {offer})
    assert cost_counts() == dict.fromkeys(cost.related(second), 1)
    store.update(f"DROP GRAPH <{graph}>")
    search.update(store, {offer})
    assert cost_counts() == {}
