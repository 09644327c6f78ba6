"""The exact result cache: an answer is reused only for the same query on the same store state."""

from __future__ import annotations

import hashlib

import pytest
import requests

from tfatlas.sparql.cache import ResultCache, cacheable

TOKEN = "cache-test-token"


def test_cache_reuses_answers_and_stays_within_its_capacity():
    cache = ResultCache(capacity_bytes=160)
    calls = []

    def compute(value):
        def run():
            calls.append(value)
            return value
        return run

    assert cache.get_or_compute("a", len, compute(b"x" * 10)) == b"x" * 10
    assert cache.get_or_compute("a", len, compute(b"other")) == b"x" * 10  # reused, not recomputed
    assert calls == [b"x" * 10] and cache.hits == 1
    for key in "bcdefghijklmnopq":  # 16 more answers of 10 bytes: the oldest must go
        cache.get_or_compute(key, len, compute(b"y" * 10))
    assert cache.get_or_compute("a", len, compute(b"new")) == b"new"
    cache.get_or_compute("big", len, compute(b"z" * 100))  # over capacity/16: answered, not kept
    assert "big" not in cache._entries


def test_errors_are_not_cached():
    cache = ResultCache(capacity_bytes=1000)

    def fail():
        raise RuntimeError("deadline")

    with pytest.raises(RuntimeError):
        cache.get_or_compute("q", len, fail)
    assert cache.get_or_compute("q", len, lambda: b"ok") == b"ok"


@pytest.mark.parametrize("query, expected", [
    ("SELECT * WHERE { ?s ?p ?o }", True),
    ("SELECT (RAND() AS ?r) WHERE {}", False),
    ("select (now() as ?t) {}", False),
    ("SELECT * WHERE { SERVICE <http://x/sparql> { ?s ?p ?o } }", False),
    ("SELECT (STRUUID() AS ?u) WHERE {}", False),
])
def test_what_may_be_cached(query, expected):
    assert cacheable(query) is expected


def test_a_write_is_seen_by_the_next_identical_query(start_server):
    server = start_server(env={"TFATLAS_ADMIN_TOKEN_SHA256": hashlib.sha256(TOKEN.encode()).hexdigest()})
    query = {"query": "SELECT (COUNT(*) AS ?n) WHERE { <http://example.org/cache> ?p ?o }"}
    accept = {"Accept": "application/sparql-results+json"}

    def count() -> int:
        response = requests.get(server.url + "/sparql", params=query, headers=accept, timeout=60)
        assert response.status_code == 200, response.text
        return int(response.json()["results"]["bindings"][0]["n"]["value"])

    assert count() == 0
    assert count() == 0  # the second answer may come from the cache
    update = requests.post(server.url + "/sparql", timeout=60,
                           data={"update": 'INSERT DATA { GRAPH <http://example.org/g> { '
                                           '<http://example.org/cache> <http://example.org/p> "1" } }'},
                           headers={"Authorization": f"Bearer {TOKEN}"})
    assert update.status_code in (200, 204), update.text
    assert count() == 1
