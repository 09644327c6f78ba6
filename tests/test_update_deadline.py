"""An operator's SPARQL Update has a deadline that really stops it: 504, the store unchanged, the
server serving on (store/bounded_update.py; TFATLAS_UPDATE_TIMEOUT)."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

from support.servers import Server
from support.stores import load_store
from tfatlas.errors import DeadlineExceeded, QueryError
from tfatlas.store.embedded import EmbeddedStore

pytestmark = pytest.mark.xdist_group("update-deadline")

TOKEN = "deadline-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
G = "http://example.org/g"
ROWS = 2000
DATA = "".join(f"<http://example.org/s{i}> <http://example.org/p> {i} .\n" for i in range(ROWS))
# 2,000 cubed solutions: hours of evaluation, so only a deadline ends it.
CROSS = (f"INSERT {{ GRAPH <http://example.org/cross> {{ ?a <http://example.org/q> ?b }} }} "
         f"WHERE {{ GRAPH <{G}> {{ ?a ?p ?x . ?b ?p2 ?y . ?c ?p3 ?z }} }}")
RENAME = (f"DELETE {{ GRAPH <{G}> {{ ?s <http://example.org/p> 5 }} }} "
          f"INSERT {{ GRAPH <{G}> {{ ?s <http://example.org/p> \"five\" }} }} "
          f"WHERE {{ GRAPH <{G}> {{ ?s <http://example.org/p> 5 }} }}")


def _within(seconds: float, function, *args, **kwargs) -> SimpleNamespace:
    """What ``function`` raised; fails when it is still running after ``seconds`` (an update
    without a deadline would run for hours: the test must fail, not hang)."""
    outcome = SimpleNamespace(value=None)

    def run():
        try:
            function(*args, **kwargs)
        except Exception as exc:
            outcome.value = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s: nothing stopped it"
    return outcome


def _filled(tmp_path: Path) -> EmbeddedStore:
    store = EmbeddedStore(tmp_path / "store", "https://w3id.org/tfatlas/")
    store.update(f"INSERT DATA {{ GRAPH <{G}> {{ {DATA} }} }}")
    return store


def test_the_store_stops_an_update_at_its_deadline_and_keeps_its_data(tmp_path):
    store = _filled(tmp_path)
    generation = store.write_generation
    heard = []
    store.subscribe(heard.append)
    caught = _within(60, store.update, CROSS, timeout=1.5)
    assert isinstance(caught.value, DeadlineExceeded), caught.value
    assert caught.value.status == 504 and "TFATLAS_UPDATE_TIMEOUT" in caught.value.message
    assert "nichts geändert" in caught.value.message
    assert store.write_generation == generation and heard == []
    assert not store.query("ASK { GRAPH <http://example.org/cross> { ?s ?p ?o } }")
    assert sorted(p.name for p in store.root.glob("gen-*")) == [store._active_generation()]  # no leftover
    # An update that finishes in time is committed the bounded way, and announced once.
    store.update(RENAME, timeout=30)
    assert store.query(f"ASK {{ GRAPH <{G}> {{ <http://example.org/s5> ?p \"five\" }} }}")
    assert [event.kind for event in heard] == ["update"] and heard[0].update == RENAME
    store.close()


def test_a_failing_bounded_update_is_an_error_and_changes_nothing(tmp_path):
    store = _filled(tmp_path)
    generation = store.write_generation
    with pytest.raises(QueryError) as caught:
        store.update(f"DELETE WHERE {{ GRAPH <{G}> {{ ?s ?p ?o }} }} nonsense", timeout=30)
    assert "malformed update" in caught.value.message
    assert store.write_generation == generation
    assert len(list(store.query(f"SELECT * {{ GRAPH <{G}> {{ ?s ?p ?o }} }}"))) == ROWS
    store.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store = tmp_path_factory.mktemp("deadline") / "store"
    load_store(store, f"<{G}> {{\n{DATA}}}\n", "data.trig")
    running = Server(store, env={"TFATLAS_ADMIN_TOKEN_SHA256": hashlib.sha256(TOKEN.encode()).hexdigest(),
                                 "TFATLAS_UPDATE_TIMEOUT": "8"})  # the RENAME below must fit, also on a loaded machine
    yield running
    running.stop()


def _children_running_updates(server: Server) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if b"tfatlas.store.bounded_update" in cmdline and ppid == server.process.pid:
            found.append(int(proc.name))
    return found


def _ask(server: Server, query: str) -> bool:
    response = requests.get(server.url + "/sparql", params={"query": query}, timeout=30,
                            headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    return response.json()["boolean"]


def test_an_update_past_the_deadline_is_504_and_the_server_serves_on(server):
    history = "ASK { GRAPH <https://w3id.org/tfatlas/graph/history> { ?s ?p ?o } }"
    response = requests.post(server.url + "/sparql", data={"update": CROSS}, headers=AUTH, timeout=60)
    assert response.status_code == 504, response.text
    assert "deadline for updates of 8 s (TFATLAS_UPDATE_TIMEOUT)" in response.text and "stopped" in response.text
    assert _children_running_updates(server) == []  # the evaluation was ended, not left running
    assert not _ask(server, "ASK { GRAPH <http://example.org/cross> { ?s ?p ?o } }")
    assert not _ask(server, history)  # nor was it recorded
    # The write lock is free again: the next update is applied, and queries see it at once.
    response = requests.post(server.url + "/sparql", data={"update": RENAME}, headers=AUTH, timeout=60)
    assert response.status_code == 204, response.text
    assert _ask(server, f"ASK {{ GRAPH <{G}> {{ <http://example.org/s5> ?p \"five\" }} }}")
    assert not _ask(server, f"ASK {{ GRAPH <{G}> {{ <http://example.org/s5> ?p 5 }} }}")
    assert _ask(server, history)
