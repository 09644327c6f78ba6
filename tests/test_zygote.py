"""Query workers are forks of one zygote that holds the in-memory copy (issue 14): a worker killed
at the deadline is replaced by a new fork, without copying the store again."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tfatlas.errors import QueryFailed
from tfatlas.sparql.messages import QueryTask
from tfatlas.sparql.workers import WorkerPool

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads processes from /proc (Linux)")

EX = "http://example.org/"
CROSS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def _task(text: str) -> QueryTask:
    return QueryTask(text, None, None, None, "application/sparql-results+json", None, 1000)


def _parent(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("PPid:"):
            return int(line.split()[1])
    raise AssertionError(f"no PPid for {pid}")


def _workers(pool: WorkerPool) -> set[int]:
    return {w.pid for w in list(pool._all) if w.forked}


def _wait_for_forks(pool: WorkerPool, n: int) -> None:
    deadline = time.monotonic() + 120
    while not (pool.status()["memory"] == n and len(_workers(pool)) == n):
        assert time.monotonic() < deadline, f"workers did not become forks: {pool.status()}"
        pool.run(_task("ASK {}"), 60)
        time.sleep(0.1)


def test_workers_are_forks_of_the_zygote_and_a_killed_one_is_replaced_by_a_fork(make_store):
    store = make_store()
    store.update("INSERT DATA { GRAPH <%sg> { %s } }" % (EX, " ".join(f"<{EX}t{i}> a <{EX}Thing> ." for i in range(200))))
    pool = WorkerPool(store, 2)
    try:
        pool.start()
        _wait_for_forks(pool, 2)
        zygote = pool._zygote.process.pid
        before = _workers(pool)
        assert {_parent(pid) for pid in before} == {zygote}
        copies = pool.copies

        with pytest.raises(QueryFailed) as stopped:
            pool.run(_task(CROSS), 1)
        assert stopped.value.status == 504
        _wait_for_forks(pool, 2)
        after = _workers(pool)
        killed = before - after
        assert len(killed) == 1 and not any(os.path.exists(f"/proc/{pid}") and _parent(pid) == zygote
                                            for pid in killed)
        assert {_parent(pid) for pid in after} == {zygote}  # the replacement is a fork too
        assert pool.copies == copies  # and the store was not copied again
        assert b'"200"' in pool.run(_task(COUNT), 60).body

        # A write reaches the zygote (applied, not copied), so a fork made after it answers with it.
        store.update(f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}new> a <{EX}Thing> }} }}")
        deadline = time.monotonic() + 60
        while pool._zygote.generation < pool.generation:
            assert time.monotonic() < deadline, "the zygote did not follow the write"
            time.sleep(0.05)
        with pytest.raises(QueryFailed):
            pool.run(_task(CROSS), 1)
        _wait_for_forks(pool, 2)
        assert b'"201"' in pool.run(_task(COUNT), 60).body
        assert pool.copies == copies
    finally:
        pool.close()
