"""Several query threads (slots) per forked worker process (issue 14): one copy per process, a write
applied once per process, and a query past its deadline kills its process while the other queries
on it are sent again to a live slot and answered."""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path

import pytest
import requests

from support.stores import load_store
from tfatlas.errors import QueryFailed
from tfatlas.sparql.messages import Applied, QueryTask, Replay
from tfatlas.sparql.workers import WorkerPool

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads processes from /proc (Linux)")]

EX = "http://example.org/"
CROSS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"  # minutes
MEDIUM = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # 8e6 solutions: seconds
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
THINGS = " ".join(f"<{EX}t{i}> a <{EX}Thing> ." for i in range(200))


def _task(text: str) -> QueryTask:
    return QueryTask(text, None, None, None, "application/sparql-results+json", None, 1000)


def _count(pool: WorkerPool, text: str = COUNT, deadline: float = 120) -> str:
    body = pool.run(_task(text), deadline).body
    return body.split(b'"value":"')[1].split(b'"')[0].decode()


def _pool(make_store, slots: int, processes: int, **kwargs):
    store = make_store()
    store.update(f"INSERT DATA {{ GRAPH <{EX}g> {{ {THINGS} }} }}")
    pool = WorkerPool(store, slots, processes=processes, **kwargs)
    pool.start()
    deadline = time.monotonic() + 120
    # every slot a fork's (no worker left that answers from disk) and the processes as asked
    while not (pool.status() == {"memory": slots, "disk": 0, "starting": 0} and len(_processes(pool)) == processes):
        assert time.monotonic() < deadline, f"the slots did not become forks: {pool.status()}"
        pool.run(_task("ASK {}"), 60)
        time.sleep(0.1)
    return pool, store


def _in_background(call, *args) -> tuple[threading.Thread, list]:
    """``call(*args)`` on a thread of its own; its result (or its status) lands in the list."""
    outcome: list = []

    def run():
        try:
            outcome.append(call(*args))
        except QueryFailed as exc:
            outcome.append(exc.status)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def _processes(pool: WorkerPool) -> set[int]:
    return {p.pid for p in list(pool._all) if p.forked and not p.stopped and not p.retiring}


def test_innocent_queries_on_a_killed_process_are_sent_again_and_answered(make_store):
    pool, _ = _pool(make_store, 4, 1)
    try:
        (before,) = _processes(pool)
        innocents = [_in_background(_count, pool, MEDIUM) for _ in range(3)]
        time.sleep(0.3)  # the three are evaluating on the process's other slots
        with pytest.raises(QueryFailed) as stopped:
            pool.run(_task(CROSS), 1)
        assert stopped.value.status == 504
        for thread, _ in innocents:
            thread.join(180)
        assert [outcome for _, outcome in innocents] == [["8000000"]] * 3  # neither 503 nor 504 for another client's query
        assert pool.resent >= 1  # they were on the killed process (all four slots are on it)
        assert before not in _processes(pool) and len(_processes(pool)) == 1
        assert _count(pool) == "200"
    finally:
        pool.close()


def test_a_write_is_applied_once_per_process_whichever_slot_sends_it(make_store):
    pool, store = _pool(make_store, 3, 1)
    try:
        (process,) = [p for p in pool._all if p.forked]
        slots = [pool._take(10) for _ in range(3)]  # all three slots of the one process
        try:
            assert {slot.owner for slot in slots} == {process}
            # A blank node in INSERT DATA is a new one each time it is applied: twice would make two.
            store.update(f"INSERT DATA {{ GRAPH <{EX}g> {{ _:b <{EX}p> 1 }} }}")
            generation = pool.generation
            change = pool._changes[generation]
            assert isinstance(change, Replay) and process.generation == generation - 1
            replies: list = []

            def apply(slot):
                slot.send(change)  # as the request threads of three slots may all do at once
                replies.append(slot.conn.recv())

            threads = [threading.Thread(target=apply, args=(slot,)) for slot in slots]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
        finally:
            for slot in slots:
                pool._give_back(slot)
        assert [type(r) for r in replies] == [Applied] * 3
        assert {r.generation for r in replies} == {generation}
        blank = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{EX}p> 1 }}"
        assert [_count(pool, blank) for _ in range(6)] == ["1"] * 6
        assert _processes(pool) == {process.pid}  # answered by the same process: no copy again
    finally:
        pool.close()


def test_a_write_reaches_every_slot_and_the_killed_process_is_never_used_again(make_store):
    pool, store = _pool(make_store, 4, 2)
    try:
        with pytest.raises(QueryFailed):
            pool.run(_task(CROSS), 1)
        taken = []
        try:
            while True:
                taken.append(pool._take(0))
        except queue.Empty:
            pass
        finally:
            for slot in taken:
                pool._give_back(slot)
        # the killed process's idle slot is dropped, never handed out
        assert taken and all(not slot.owner.stopped for slot in taken)
        store.update(f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}new> a <{EX}Thing> }} }}")
        results: list = []
        threads = [threading.Thread(target=lambda: results.append(_count(pool))) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert results == ["201"] * 8
        assert pool.applied >= 1 and pool.copies == 1
    finally:
        pool.close()


def test_over_http_a_deadline_on_one_process_leaves_the_other_queries_answered(start_server, tmp_path):
    store = tmp_path / "store"
    load_store(store, "".join(f"<{EX}t{i}> a <{EX}Thing> .\n" for i in range(200)), "things.ttl")
    server = start_server(env={"TFATLAS_QUERY_TIMEOUT": "20", "TFATLAS_QUERY_WORKERS": "4",
                               "TFATLAS_QUERY_PROCESSES": "1", "TFATLAS_RESULT_CACHE_MB": "0"},
                          store=store)
    url = server.url + "/sparql"
    deadline = time.monotonic() + 120
    while 'tfatlas_query_workers{data="memory"} 4.0' not in requests.get(server.url + "/-/metrics", timeout=30).text:
        assert time.monotonic() < deadline, "the query slots did not reach memory"
        requests.get(url, params={"query": "ASK {}"}, timeout=30)
        time.sleep(0.2)
    triples = int(requests.get(url, params={"query": COUNT}, timeout=30).json()["results"]["bindings"][0]["n"]["value"])
    outcome: dict = {}
    statuses: list = []

    def long_query():
        outcome["response"] = requests.get(url, params={"query": CROSS}, timeout=120)

    def medium():
        response = requests.get(url, params={"query": MEDIUM}, timeout=120)
        statuses.append((response.status_code, response.json()["results"]["bindings"][0]["n"]["value"]
                         if response.status_code == 200 else response.text))

    runner = threading.Thread(target=long_query)
    runner.start()
    while runner.is_alive():  # queries of seconds keep the other three slots busy until the kill
        batch = [threading.Thread(target=medium) for _ in range(3)]
        for thread in batch:
            thread.start()
        for thread in batch:
            thread.join(120)
    assert outcome["response"].status_code == 504
    assert statuses and all(s == (200, str(triples ** 3)) for s in statuses), statuses
    # the medium queries kept the other slots busy, so some were in flight at the kill: sent again
    metrics = requests.get(server.url + "/-/metrics", timeout=30).text
    resent = [line for line in metrics.splitlines() if line.startswith("tfatlas_query_resent ")]
    assert resent and float(resent[0].split()[1]) >= 1, resent


def test_a_write_does_not_wait_for_a_long_query_on_a_sibling_slot(make_store):
    pool, store = _pool(make_store, 3, 1)
    try:
        (before,) = _processes(pool)
        runner, _ = _in_background(pool.run, _task(CROSS), 600)  # stopped when the pool closes
        time.sleep(0.5)  # evaluating inside Store.query, which holds the process's start gate
        store.update(f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}new> a <{EX}Thing> }} }}")
        assert _count(pool) == "201"
        assert runner.is_alive()  # answered while the long query still runs: the write did not wait for it
        assert before in {p.pid for p in pool._all}  # the old process still runs it, retiring
        assert _processes(pool) - {before}  # a current fork took the new queries
    finally:
        pool.close()
