"""The finder's cache of store-derived values (schemes, facet counts, text matches) is exact:
a write through the store is visible on the next request, and unchanged state is reused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tfatlas import finder
from tfatlas.config import load_config
from tfatlas.model.files import model_dir
from tfatlas.web.app import create_app

FIXTURE = Path(__file__).parent / "fixtures" / "finder-mini.ttl"
BASE = "https://w3id.org/tfatlas/"
TOPIC = BASE + "id/topic/agilitaet"
NEW_OFFER = BASE + "id/offer/cache-test-neues-angebot"


@pytest.fixture()
def app(make_store):
    store = make_store(files=[model_dir("ontology") / "vocabularies", FIXTURE])
    app = create_app(load_config(environ={}), store=store)
    yield app
    app.extensions["tfatlas.query_service"].close()


def count(html: str) -> int:
    match = re.search(r'id="result-count">(\d+) passende|id="result-count">(1) passendes', html)
    if match is None:
        return 0  # no result: the page explains which filter to relax
    return int(match.group(1) or match.group(2))


def topic_facet_count(html: str) -> int:
    """The count next to the topic in the facet list (the option text ends with '(n)')."""
    match = re.search(re.escape(f'value="{TOPIC}"') + r"[^>]*>[^<]*\((\d+)\)</option>", html)
    assert match, "no facet value for the topic"
    return int(match.group(1))


def test_a_write_through_the_store_shows_on_the_next_request(app):
    client = app.test_client()
    store = app.extensions["tfatlas.store"]

    first = client.get("/", query_string={"topic": TOPIC}).get_data(as_text=True)
    landing = client.get("/").get_data(as_text=True)
    cache = app.extensions["tfatlas.finder_cache"]
    misses = cache.misses
    assert client.get("/").get_data(as_text=True) == landing
    assert cache.misses == misses and cache.hits > 0  # unchanged store: the facets were reused

    store.update(f"""PREFIX tfa: <https://w3id.org/tfatlas/ontology#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        INSERT DATA {{ GRAPH <{BASE}graph/user/cache-test> {{
          <{NEW_OFFER}> a tfa:Offer ; rdfs:label "Neues Angebot zur Agilität"@de ;
            tfa:hasTopic <{TOPIC}> ; tfa:providedBy <{BASE}id/org/mini-akademie> . }} }}""")
    after = client.get("/", query_string={"topic": TOPIC}).get_data(as_text=True)
    assert count(after) == count(first) + 1
    assert NEW_OFFER.rsplit("/", 1)[-1] in after
    assert topic_facet_count(client.get("/").get_data(as_text=True)) == topic_facet_count(landing) + 1
    text = client.get("/", query_string={"q": "neues angebot"}).get_data(as_text=True)
    assert count(text) == 1


def test_without_a_generation_nothing_is_kept():
    cache = finder.StateCache()
    calls = []
    for _ in range(2):
        cache.get(None, "k", lambda: calls.append(1))
    assert len(calls) == 2
    cache.get(1, "k", lambda: calls.append(1))
    cache.get(1, "k", lambda: calls.append(1))
    cache.get(2, "k", lambda: calls.append(1))
    assert len(calls) == 4
