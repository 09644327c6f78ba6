"""The store's write hook: every committed write is announced once, with the graphs it changed."""

from __future__ import annotations

import pytest

from tfatlas.errors import QueryError
from tfatlas.model.formats import by_name
from tfatlas.store import Source
from tfatlas.vocab import meta_graph

EX = "http://example.org/"


def test_committed_writes_are_announced_in_order_with_their_graphs(make_store, tmp_path):
    store = make_store()
    events = []
    unsubscribe = store.subscribe(events.append)
    data = tmp_path / "one.ttl"
    data.write_text(f"<{EX}a> <{EX}p> <{EX}b> .\n", encoding="utf-8")

    store.load([Source(data, by_name("turtle"), EX + "g")])
    store.update(f"INSERT DATA {{ GRAPH <{EX}h> {{ <{EX}c> <{EX}p> <{EX}d> }} }}")
    store.drop_graph(EX + "g")
    store.drop_graph(EX + "nothing-there")  # no change: no event
    with pytest.raises(QueryError):
        store.update("INSERT DATA { this is not SPARQL }")  # refused: no event

    assert [(e.generation, e.kind) for e in events] == [(1, "load"), (2, "update"), (3, "drop")]
    assert events[0].graphs == {EX + "g", meta_graph(store.base_iri)}
    assert events[1].graphs is None  # an update may touch any graph
    assert events[2].graphs == {EX + "g"}
    assert store.write_generation == 3

    unsubscribe()
    store.update(f"INSERT DATA {{ <{EX}e> <{EX}p> <{EX}f> }}")
    assert len(events) == 3 and store.write_generation == 4


def test_a_failing_subscriber_does_not_undo_or_hide_the_write(make_store):
    store = make_store()
    seen = []

    def broken(event):
        raise RuntimeError("subscriber bug")

    store.subscribe(broken)
    store.subscribe(seen.append)
    store.update(f"INSERT DATA {{ <{EX}a> <{EX}p> <{EX}b> }}")  # no exception reaches the writer
    assert [e.generation for e in seen] == [1]
    assert bool(store.query(f"ASK {{ <{EX}a> <{EX}p> <{EX}b> }}"))


def test_a_write_through_the_store_reaches_the_query_workers(app, client):
    # The pool follows the store through the hook: a query after the write sees it, whoever wrote.
    ask = {"query": f"ASK {{ <{EX}new> ?p ?o }}"}
    json_results = {"Accept": "application/sparql-results+json"}
    assert client.get("/sparql", query_string=ask, headers=json_results).get_json()["boolean"] is False
    app.extensions["tfatlas.store"].update(f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}new> <{EX}p> 1 }} }}")
    assert client.get("/sparql", query_string=ask, headers=json_results).get_json()["boolean"] is True
