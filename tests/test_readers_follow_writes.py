"""Readers stay fast (issue 10): a write is applied to the query workers' copies, in write order,
instead of every worker copying the whole store again; a write is still visible to the next query."""

from __future__ import annotations

import hashlib
import json
import time

import pyoxigraph as ox
import pytest
import requests

from support.contributions import cli_account, copy_store, offer_ttl, seeded_template
from support.servers import Server
from tfatlas.model.formats import by_name
from tfatlas.sparql.messages import QueryTask
from tfatlas.sparql.replay import replayable
from tfatlas.sparql.workers import WorkerPool
from tfatlas.store import Delta, Source

EX = "http://example.org/"
ALL_QUADS = "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"


@pytest.mark.parametrize("text, expected", [
    (f"INSERT DATA {{ GRAPH <{EX}g> {{ _:a <{EX}p> 1 }} }}", True),  # a DATA blank node is new anyway
    (f"DELETE {{ ?s <{EX}p> ?o }} INSERT {{ ?s <{EX}q> ?o }} WHERE {{ ?s <{EX}p> ?o }}", True),
    (f"CLEAR GRAPH <{EX}g> ; DROP SILENT GRAPH <{EX}h>", True),
    (f'INSERT DATA {{ <{EX}a> <{EX}says> "NOW() and RAND() in a string" }}', True),
    (f"INSERT {{ ?s <{EX}at> ?t }} WHERE {{ ?s ?p ?o BIND(NOW() AS ?t) }}", False),
    (f"INSERT {{ ?s <{EX}id> ?u }} WHERE {{ ?s ?p ?o BIND(STRUUID() AS ?u) }}", False),
    (f"INSERT {{ ?s <{EX}r> ?r }} WHERE {{ ?s ?p ?o BIND(rand() AS ?r) }}", False),
    (f"INSERT {{ ?s <{EX}b> _:x }} WHERE {{ ?s ?p ?o }}", False),
    (f"INSERT {{ ?s <{EX}b> [ <{EX}c> ?o ] }} WHERE {{ ?s ?p ?o }}", False),
    (f"INSERT {{ ?s <{EX}list> (1 2) }} WHERE {{ ?s ?p ?o }}", False),
    (f"INSERT {{ ?s <{EX}one> ?o }} WHERE {{ SELECT ?s ?o {{ ?s ?p ?o }} LIMIT 1 }}", False),
    (f"INSERT {{ ?s <{EX}n> ?o }} WHERE {{ SERVICE <{EX}sparql> {{ ?s ?p ?o }} }}", False),
    (f"LOAD <{EX}data.ttl>", False),
])
def test_which_operator_updates_are_replayed_on_the_copies(text, expected):
    assert replayable(text) is expected


def _term(binding):
    if binding["type"] == "uri":
        return ox.NamedNode(binding["value"])
    if binding["type"] == "bnode":
        return ox.BlankNode(binding["value"])
    if "xml:lang" in binding:
        return ox.Literal(binding["value"], language=binding["xml:lang"])
    if "datatype" in binding:
        return ox.Literal(binding["value"], datatype=ox.NamedNode(binding["datatype"]))
    return ox.Literal(binding["value"])


def _canonical(quads) -> set:
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return set(dataset)


def _copy_of(pool: WorkerPool) -> set:
    """The named graphs as a query worker holds them (canonical blank nodes)."""
    answer = pool.run(QueryTask(ALL_QUADS, None, None, None, "application/sparql-results+json", None,
                                10 ** 6), 60)
    rows = json.loads(answer.body)["results"]["bindings"]
    return _canonical(ox.Quad(_term(r["s"]), _term(r["p"]), _term(r["o"]), _term(r["g"])) for r in rows)


def _store_quads(store) -> set:
    return _canonical(q for q in store.oxigraph if not isinstance(q.graph_name, ox.DefaultGraph))


def _wait_in_memory(pool: WorkerPool, workers: int) -> None:
    deadline = time.monotonic() + 120
    while pool.status()["memory"] < workers:
        assert time.monotonic() < deadline, f"workers did not reach memory: {pool.status()}"
        pool.run(QueryTask("ASK {}", None, None, None, None, None, 1), 60)
        time.sleep(0.1)


def test_a_worker_copy_equals_the_store_after_a_sequence_of_writes(make_store, tmp_path):
    store = make_store()
    data = tmp_path / "start.ttl"
    data.write_text(f"<{EX}a> <{EX}p> <{EX}b> , [ <{EX}q> 1 ] .\n", encoding="utf-8")
    store.load([Source(data, by_name("turtle"), EX + "g")])
    pool = WorkerPool(store, 1)
    try:
        pool.start()
        _wait_in_memory(pool, 1)
        assert _copy_of(pool) == _store_quads(store)
        copies = pool.copies

        # Replayable operator updates, a dropped graph and an actor's write (its exact delta, with
        # new blank nodes and a graph rewritten) are applied to the copy: no new copy.
        store.update(f"INSERT DATA {{ GRAPH <{EX}h> {{ _:x <{EX}p> 2 . _:y <{EX}p> 3 }} }}")
        store.update(f"DELETE {{ GRAPH ?g {{ ?s <{EX}p> <{EX}b> }} }} INSERT {{ GRAPH ?g {{ ?s <{EX}r> <{EX}b> }} }} "
                     f"WHERE {{ GRAPH ?g {{ ?s <{EX}p> <{EX}b> }} }}")
        store.update(f"INSERT DATA {{ GRAPH <{EX}gone> {{ <{EX}c> <{EX}p> 4 }} }}")
        store.drop_graph(EX + "gone")
        actor, blank = ox.NamedNode(EX + "actor"), ox.BlankNode("b0")
        added = (ox.Quad(ox.NamedNode(EX + "offer"), ox.NamedNode(EX + "contact"), blank, actor),
                 ox.Quad(blank, ox.NamedNode(EX + "mail"), ox.Literal("x@example.org"), actor))
        for _ in range(2):  # the same client label twice: two different nodes, in the store and the copy
            store.update(f"INSERT DATA {{ GRAPH <{EX}actor> {{ <{EX}offer> <{EX}contact> _:b0 . "
                         f'_:b0 <{EX}mail> "x@example.org" }} }}', delta=Delta(added=added))
        assert _copy_of(pool) == _store_quads(store)
        assert pool.copies == copies
        assert pool.applied == 6
        assert pool.status()["memory"] == 1

        # What cannot be replayed exactly is copied again; the copy is right either way.
        store.update(f"INSERT {{ GRAPH <{EX}h> {{ <{EX}now> <{EX}at> ?t }} }} WHERE {{ BIND(NOW() AS ?t) }}")
        assert _copy_of(pool) == _store_quads(store)  # answered from a snapshot on disk at once
        _wait_in_memory(pool, 1)  # then from a fork of the zygote's new copy
        assert pool.copies == copies + 1
        store.update(f"INSERT DATA {{ GRAPH <{EX}h> {{ <{EX}after> <{EX}p> 5 }} }}")
        assert _copy_of(pool) == _store_quads(store)
        assert pool.copies == copies + 1
    finally:
        pool.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    template = seeded_template(tmp_path_factory)
    store = copy_store(template, tmp_path_factory.mktemp("readers") / "store")
    store.close()
    admin = "readers-admin-token-written-for-the-test"
    s = Server(store.root, env={"TFATLAS_ADMIN_TOKEN_SHA256": hashlib.sha256(admin.encode()).hexdigest(),
                                "TFATLAS_THREADS": "2"})
    s.admin = admin
    yield s
    s.stop()


def _metrics(url: str) -> dict[str, float]:
    values = {}
    for line in requests.get(url + "/-/metrics", timeout=30).text.splitlines():
        if line.startswith("tfatlas_query_worker"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def _wait_for_memory(url: str) -> dict[str, float]:
    deadline = time.monotonic() + 120
    while True:
        metrics = _metrics(url)
        if metrics.get('tfatlas_query_workers{data="memory"}') == 2:
            return metrics
        assert time.monotonic() < deadline, metrics
        time.sleep(0.3)


def _ask(url: str, pattern: str) -> bool:
    r = requests.get(url + "/sparql", params={"query": f"ASK {{ {pattern} }}"},
                     headers={"Accept": "application/sparql-results+json"}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()["boolean"]


def test_after_writes_over_http_the_workers_answer_from_memory_with_the_write(server):
    token = cli_account(server.store, "bva")[1]
    graph = "https://w3id.org/tfatlas/graph/actor/bva"
    before = _wait_for_memory(server.url)
    offer = "<https://w3id.org/tfatlas/id/offer/readers-probe>"
    r = requests.post(server.url + "/rdf-graphs/service", params={"graph": graph},
                      data=offer_ttl("readers-probe", "https://w3id.org/tfatlas/id/org/bva").encode(),
                      headers={"Authorization": f"Bearer {token}", "Content-Type": "text/turtle"}, timeout=120)
    assert r.status_code in (200, 201), r.text
    assert _ask(server.url, f"{offer} a ?type")  # the next query sees the write
    # the account's SPARQL Update and the operator's update take the same way
    r = requests.post(server.url + "/sparql", data={"update": f'INSERT DATA {{ {offer} '
                      '<http://purl.org/dc/terms/alternative> "Probe (für den Test geschrieben)"@de }'},
                      headers={"Authorization": f"Bearer {token}"}, timeout=120)
    assert r.status_code == 204, r.text
    r = requests.post(server.url + "/sparql", data={"update": f"INSERT DATA {{ GRAPH <{EX}op> {{ <{EX}op> <{EX}p> 1 }} }}"},
                      headers={"Authorization": f"Bearer {server.admin}"}, timeout=120)
    assert r.status_code == 204, r.text
    assert _ask(server.url, f'{offer} <http://purl.org/dc/terms/alternative> "Probe (für den Test geschrieben)"@de')
    assert _ask(server.url, f"<{EX}op> <{EX}p> 1")
    after = _metrics(server.url)
    assert after['tfatlas_query_workers{data="memory"}'] == 2  # still answering from memory
    assert after["tfatlas_query_worker_copies"] == before["tfatlas_query_worker_copies"]  # no new copy
    assert after["tfatlas_query_worker_applied_writes"] >= before["tfatlas_query_worker_applied_writes"] + 3


def test_a_worker_that_missed_a_change_is_replaced_by_a_current_copy(make_store, monkeypatch):
    import tfatlas.sparql.workers as workers

    monkeypatch.setattr(workers, "MAX_CHANGES", 2)  # the pool keeps only the last two changes
    store = make_store()
    store.update(f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}a> <{EX}p> 0 }} }}")
    pool = WorkerPool(store, 1)
    try:
        pool.start()
        _wait_in_memory(pool, 1)
        copies = pool.copies
        for n in range(1, 4):  # three writes while the worker answers nothing
            store.update(f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}a> <{EX}p> {n} }} }}")
        assert _copy_of(pool) == _store_quads(store)
        # The worker applied nothing: it was replaced by a fork of the zygote, which followed the
        # writes as they came (no new copy) or, when it too fell behind, copied the store again.
        assert pool.applied == 0 and pool.copies in (copies, copies + 1)
    finally:
        pool.close()


def test_a_write_still_being_applied_at_the_deadline_is_a_504_and_the_next_answer_is_right(make_store):
    from tfatlas.errors import QueryFailed

    store = make_store()
    store.update("INSERT DATA { GRAPH <%sg> { %s } }" % (EX, " ".join(f"<{EX}s{i}> <{EX}p> {i} ." for i in range(300))))
    pool = WorkerPool(store, 1)
    try:
        pool.start()
        _wait_in_memory(pool, 1)
        # replayable, and large: 90 000 new triples for the copy to make
        store.update(f"INSERT {{ GRAPH <{EX}h> {{ ?a <{EX}q> ?b }} }} WHERE {{ GRAPH <{EX}g> {{ ?a <{EX}p> ?x . ?b <{EX}p> ?y }} }}")
        with pytest.raises(QueryFailed) as refused:
            pool.run(QueryTask("ASK {}", None, None, None, None, None, 1), 0.001)
        assert refused.value.status == 504 and "deadline" in refused.value.message
        assert _copy_of(pool) == _store_quads(store)  # a replacement, copied from a checkpoint
    finally:
        pool.close()
