"""The text search ranks what people type as they mean it: the relevance set, scored."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfatlas import search
from tfatlas.search.relevance import evaluate, load_cases
from tfatlas.store.embedded import EmbeddedStore

from support.search_store import BASE, init_store

CASES = Path(__file__).parent / "fixtures" / "search-relevance.yaml"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    root = init_store(tmp_path_factory.mktemp("relevance") / "store")
    store = EmbeddedStore(root, BASE)
    yield store, search.open(store)
    store.close()


def test_the_set_has_at_least_thirty_queries_in_both_languages():
    cases = load_cases(CASES, BASE)
    assert len(cases) >= 30
    assert {c.lang for c in cases} == {"de", "en"}


def test_hit_at_1_and_mrr_reach_their_targets(seeded):
    store, index = seeded
    report = evaluate(index, store, load_cases(CASES, BASE))
    print(report.summary())
    assert len(report.outcomes) >= 30, report.summary()
    assert report.hit_at_1 >= 0.9, report.summary()
    assert report.mrr >= 0.95, report.summary()


def test_every_expected_offer_exists_in_the_seed_data(seeded):
    store, index = seeded
    offers = set(index.digests())
    missing = {iri for case in load_cases(CASES, BASE) for iri in case.first} - offers
    assert not missing
