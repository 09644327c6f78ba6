"""The warm-start file (issue 14): the zygote's copy is kept next to the store and loaded at the next
start instead of dumping RocksDB, only while it is a copy of exactly the store's data."""

from __future__ import annotations

import hashlib
import shutil
import time

import pyoxigraph as ox
import requests

from support.contributions import copy_store, seeded_template
from support.servers import Server
from test_readers_follow_writes import _ask, _copy_of, _store_quads, _wait_for_memory, _wait_in_memory
from tfatlas.sparql.warm_start import DIRECTORY, _column_family, _only_version, fingerprint
from tfatlas.sparql.workers import WorkerPool

EX = "http://example.org/"
#: Written for the test: a statement that is in the warm-start file only, never in the store.
MARKER = f"<{EX}marker> <{EX}only> <{EX}inTheWarmStartFile> <{EX}g> .\n"


def _filled(make_store):
    store = make_store()
    store.update("INSERT DATA { GRAPH <%sg> { %s _:b <%sp> 'blank' } }"
                 % (EX, " ".join(f"<{EX}t{i}> a <{EX}Thing> ." for i in range(200)), EX))
    _settled(store)
    return store


def _settled(store) -> None:
    """RocksDB rewrites fresh tables once, in the background, a little after a write (the data is
    the same, the fingerprint not: that start dumps the store again). Compacted now, the tests
    see the same tables at every start."""
    store.oxigraph.optimize()


def _mark(store) -> None:
    (path,) = (store / DIRECTORY).glob("*.nq")
    with open(path, "a") as file:
        file.write(MARKER)


def _serve_once(store, mark: bool = False) -> set:
    """Start a pool, wait until its worker answers from memory and the warm-start file is written,
    and return the copy it answers from (``mark``: add MARKER to the file before it is read)."""
    if mark:
        _mark(store.root)
    pool = WorkerPool(store, 1)
    try:
        pool.start()
        _wait_in_memory(pool, 1)
        _warm_file_written(store.root)
        return _copy_of(pool)
    finally:
        pool.close()


def _warm_file_written(store) -> None:
    deadline = time.monotonic() + 60
    folder = store / DIRECTORY
    while not list(folder.glob("*.nq")) or list(folder.glob("*.tmp")):
        assert time.monotonic() < deadline, f"no warm-start file: {list(folder.glob('*'))}"
        time.sleep(0.1)


def _marked(copy: set) -> bool:
    return ox.NamedNode(f"{EX}inTheWarmStartFile") in {quad.object for quad in copy}


def test_a_restart_loads_the_warm_start_file_and_a_write_since_makes_it_unused(make_store):
    store = _filled(make_store)
    first = _serve_once(store)
    assert first == _store_quads(store) and not _marked(first)
    (written,) = (store.root / DIRECTORY).glob("*.nq")

    # Unchanged data: the next start reads the file (the marker shows it), not the store. Opening
    # the store may let RocksDB compact or flush its tables between two starts (a new fingerprint:
    # that start is cold, which is safe, and writes the file anew); the start after it reads the file.
    assert any(_marked(_serve_once(store, mark=True)) for _ in range(3))

    # A write while no server runs: the file is not used, the copy has the write, and the stale
    # file is replaced by one of the new data.
    store.update(f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}new> a <{EX}Thing> }} }}")
    after = _serve_once(store)
    assert not _marked(after) and after == _store_quads(store)
    assert ox.NamedNode(f"{EX}new") in {quad.subject for quad in after}
    (replaced,) = (store.root / DIRECTORY).glob("*")
    assert replaced.name != written.name


def test_a_write_while_serving_and_a_dropped_graph_make_it_unused(make_store):
    store = _filled(make_store)
    pool = WorkerPool(store, 1)
    try:
        pool.start()
        _wait_in_memory(pool, 1)
        store.update(f"INSERT DATA {{ GRAPH <{EX}h> {{ <{EX}served> a <{EX}Thing> }} }}")
        assert ox.NamedNode(f"{EX}served") in {quad.subject for quad in _copy_of(pool)}
    finally:
        pool.close()
    (store.root / DIRECTORY).mkdir(exist_ok=True)
    for path in (store.root / DIRECTORY).glob("*.nq"):  # whatever it wrote, marked: never to be served
        with open(path, "a") as file:
            file.write(MARKER)
    copy = _serve_once(store)
    assert not _marked(copy) and copy == _store_quads(store)

    store.drop_graph(f"{EX}h")
    copy = _serve_once(store, mark=True)  # the file of the data before the drop
    assert not _marked(copy) and copy == _store_quads(store)
    assert ox.NamedNode(f"{EX}served") not in {quad.subject for quad in copy}


def test_a_broken_warm_start_file_is_removed_and_the_store_dumped(make_store):
    store = _filled(make_store)
    _serve_once(store)
    (path,) = (store.root / DIRECTORY).glob("*.nq")
    path.write_bytes(b"<not n-quads\n")  # written for the test
    assert _serve_once(store) == _store_quads(store)
    (again,) = (store.root / DIRECTORY).glob("*.nq")
    assert again.name == path.name and b"<not n-quads" not in again.read_bytes()  # the same data's, rewritten


def test_the_fingerprint_follows_the_data_not_a_reopen(make_store, tmp_path):
    store = _filled(make_store)

    def checkpoint(name: str) -> str:
        path = tmp_path / name
        store.checkpoint(path)
        return fingerprint(path)

    first = checkpoint("a")
    assert checkpoint("b") == first  # the same data checkpointed again
    root, base = store.root, store.base_iri
    store.close()
    store = type(store)(root, base)
    try:
        assert checkpoint("c") == first  # and after the store was reopened
        store.update(f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}t0> a <{EX}Thing> }} }}")  # already there
        store.update(f"DELETE DATA {{ GRAPH <{EX}g> {{ <{EX}t1> a <{EX}Thing> }} }}")
        removed = checkpoint("d")
        assert removed != first
        store.update(f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}t1> a <{EX}Thing> }} }}")
        assert checkpoint("e") not in (first, removed)  # the same quads again, but written since
    finally:
        store.close()
    copy = tmp_path / "copy"
    shutil.copytree(tmp_path / "a", copy)
    table = max(copy.glob("*.sst"), key=lambda path: path.stat().st_size)
    data = bytearray(table.read_bytes())
    data[-100] ^= 0xFF  # a table of the same name and size written by another database
    table.write_bytes(bytes(data))
    assert fingerprint(copy) != first


def test_a_log_that_still_holds_a_write_counts_and_the_version_marker_does_not(tmp_path):
    store = ox.Store(str(tmp_path / "db"))
    opened = [log for log in (tmp_path / "db").glob("*.log") if log.stat().st_size]
    assert opened and all(_only_version(str(log)) for log in opened)  # what opening it wrote
    store.update(f"INSERT DATA {{ <{EX}s> <{EX}p> <{EX}o> }}")  # in the log, not yet in a table
    written = [log for log in sorted((tmp_path / "db").glob("*.log")) if not _only_version(str(log))]
    assert written
    copy = tmp_path / "copy"
    copy.mkdir()
    (tmp_path / "empty").mkdir()
    for log in written:
        shutil.copy(log, copy / log.name)
    before = fingerprint(copy)
    assert fingerprint(copy) != fingerprint(tmp_path / "empty")
    store.update(f"INSERT DATA {{ <{EX}s> <{EX}p> <{EX}o2> }}")
    shutil.copy(written[-1], copy / written[-1].name)
    assert fingerprint(copy) != before


def test_tfatlas_serve_starts_from_the_file_and_never_serves_it_after_a_write(tmp_path_factory):
    store = copy_store(seeded_template(tmp_path_factory), tmp_path_factory.mktemp("warm") / "store")
    _settled(store)
    store.close()
    admin = "warm-start-admin-token-written-for-the-test"
    env = {"TFATLAS_ADMIN_TOKEN_SHA256": hashlib.sha256(admin.encode()).hexdigest(), "TFATLAS_THREADS": "2"}
    marker = f"<{EX}marker> <{EX}only> <{EX}inTheWarmStartFile>"
    server = Server(store.root, env=env)
    try:
        _wait_for_memory(server.url)
        _warm_file_written(store.root)
    finally:
        server.stop()
    _mark(store.root)
    server = Server(store.root, env=env)
    try:
        _wait_for_memory(server.url)
        assert _ask(server.url, f"GRAPH ?g {{ {marker} }}")  # started from the file
        r = requests.post(server.url + "/sparql", headers={"Authorization": f"Bearer {admin}"}, timeout=120,
                          data={"update": f"INSERT DATA {{ GRAPH <{EX}op> {{ <{EX}op> <{EX}p> 1 }} }}"})
        assert r.status_code == 204, r.text
    finally:
        server.stop()
    server = Server(store.root, env=env)
    try:
        _wait_for_memory(server.url)
        assert _ask(server.url, f"GRAPH ?g {{ <{EX}op> <{EX}p> 1 }}")  # the write, from memory
        assert not _ask(server.url, f"GRAPH ?g {{ {marker} }}")  # the file of the data before it: unused
    finally:
        server.stop()


def test_only_the_default_column_family_is_left_out(make_store, tmp_path):
    store = _filled(make_store)
    store.checkpoint(tmp_path / "a")
    first = fingerprint(tmp_path / "a")
    families = {}
    for table in (tmp_path / "a").glob("*.sst"):
        with open(table, "rb") as file:
            families[table] = _column_family(file, file.read())
    assert {b"default", b"spog", b"id2str"} <= set(families.values())
    for table, family in families.items():
        copy = tmp_path / f"without-{table.name}"
        shutil.copytree(tmp_path / "a", copy)
        (copy / table.name).unlink()
        assert (fingerprint(copy) == first) is (family == b"default"), family
