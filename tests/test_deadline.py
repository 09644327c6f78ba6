"""A query that would run for minutes is stopped at the deadline; other queries keep being answered."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
import requests

from support.stores import load_store

pytestmark = pytest.mark.slow

# 4-way cross product over 200 triples: 1.6e9 solutions to count, minutes of evaluation.
CROSS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
SIMPLE = "SELECT ?s WHERE { ?s a <http://example.org/Thing> } LIMIT 3"
DATA = "".join(f"<http://example.org/t{i}> a <http://example.org/Thing> .\n" for i in range(200))


def descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except (FileNotFoundError, ProcessLookupError):  # the thread ended while we looked
                children = []
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def query_workers(server) -> set[int]:
    workers = set()
    for pid in descendants(server.process.pid):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"worker_entry" in cmdline:
            workers.add(pid)
    return workers


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads worker processes from /proc (Linux)")
def test_long_query_stops_at_deadline_while_others_are_answered(start_server, tmp_path):
    store = tmp_path / "store"
    load_store(store, DATA, "things.ttl")
    server = start_server(env={"TFATLAS_QUERY_TIMEOUT": "2"}, store=store)
    url = server.url + "/sparql"
    assert requests.get(url, params={"query": SIMPLE}, timeout=30).status_code == 200  # workers up
    before = query_workers(server)
    assert before

    outcome: dict = {}

    def long_query():
        # The client's own timeout is far above the deadline: the server must end it, not the client.
        outcome["response"] = requests.get(url, params={"query": CROSS}, timeout=120)

    runner = threading.Thread(target=long_query)
    runner.start()
    answered = 0
    while runner.is_alive():
        response = requests.get(url, params={"query": SIMPLE}, timeout=30)
        assert response.status_code == 200, response.text
        assert len(response.json()["results"]["bindings"]) == 3
        answered += 1
        runner.join(timeout=0.1)
    response = outcome["response"]
    assert response.status_code == 504
    assert "deadline" in response.text and "2 s" in response.text
    assert answered >= 3  # simple queries were answered while the long one ran

    # The worker that evaluated it was killed (evaluation really stopped), and replaced.
    gone = before - query_workers(server)
    assert gone and not any(os.path.exists(f"/proc/{pid}") and
                            b"worker_entry" in Path(f"/proc/{pid}/cmdline").read_bytes() for pid in gone)
    for _ in range(5):
        assert requests.get(url, params={"query": SIMPLE}, timeout=30).status_code == 200
    metrics = requests.get(server.url + "/-/metrics", timeout=30).text
    assert "tfatlas_sparql_timeouts_total 1.0" in metrics
