"""Running SPARQL for the endpoint: deadline, result cap, allow-list, updates.

Why worker processes
    pyoxigraph's ``Store.query`` cannot be cancelled: a query runs in Rust until it is done (a
    cross product over a few hundred triples runs for minutes). A deadline that really stops
    evaluation therefore needs something that can be killed. Queries run in a small pool of
    worker processes (started fresh: the server process has threads and an open RocksDB, which
    must not be forked). When a query passes its deadline the parent kills that worker, answers
    504 with a message, and starts a replacement in the background; the other workers keep
    answering. Waiting for a free worker is bounded by the deadline as well (503).

Why the workers hold the data in memory
    The performance anchor is ``oxigraph serve`` in memory, 2 to 8 times faster than Oxigraph on
    disk for this domain's queries (design.md section 3). The on-disk store stays the durable
    one, owned by the server process; each worker keeps an in-memory copy. Copies are made from
    a RocksDB checkpoint of the store (``Store.backup``: hard links, cheap). A worker opens the
    checkpoint read-only and answers from it at once, while a thread copies it into memory at
    Rust speed (N-Quads out, bulk load in); the copy takes over when done, and the checkpoint is
    deleted when no worker reads it any more. So neither a large store at start nor an update
    makes queries wait for a copy (1M triples: tens of seconds per copy on a busy machine).
    Opening the live database read-only from another process would be undefined behaviour
    (pyoxigraph's docs), a checkpoint is not. Every write through the store (``update``,
    ``load``, ``drop_graph``) bumps a generation counter; before answering, a worker whose data
    is older opens the new checkpoint, so a query sent after a successful update always sees it.

    Two workers per core (capped by ``TFATLAS_THREADS``): while one hands its answer back, another
    evaluates. Measured with bench/endpoint.py (2 cores shared with other work, so single runs
    vary by +-15 %): 100k triples, concurrency 8: 2 workers 0.75 to 0.90x the throughput of
    ``oxigraph serve`` in memory, 4 workers 1.03x; 1M triples, once every worker held its copy:
    0.97x at concurrency 1, 0.85x at 8. The price is memory and warm-up: every worker holds a
    copy (about 0.3 GB per million triples), and at 1M the four copies, made one at a time,
    took 150 s on that busy machine; until then answers come from the checkpoint on disk
    (correct, 10 to 20 times slower). ``tfatlas_query_workers{data=...}`` on /-/metrics shows
    where the pool stands. ``tfatlas serve`` starts the workers at start; an app made in a test
    starts them on its first query.

Result cap
    The worker serialises the result once with the engine and counts rows in the bytes where the
    format allows an exact count: ``<result>`` in XML, lines in TSV and N-Triples, row separators
    in JSON (an upper bound; a document above the cap is parsed and counted exactly). CSV goes
    through TSV, other graph formats through N-Triples (both lossless), converted by the engine.
    Over the cap the client gets an explicit error (422), never a truncated 200. Measured on the
    bench mix (100k): serialising TSV then converting to JSON cost 0.5 to 3 ms per query; the
    single serialisation costs nothing extra. Only bytes cross the
    process boundary; results are never rebuilt as Python objects on the request path.

SERVICE and LOAD
    pyoxigraph opens a connection to whatever IRI a ``SERVICE`` or ``LOAD`` names. The IRIs are
    read from the tokens of the text (``sparql_protocol.outgoing_targets``; texts without either
    word skip this) and each must start with a prefix of ``TFATLAS_SERVICE_ALLOW``, else 403
    before the engine sees the text. A ``SERVICE ?var`` is refused: its target is not fixed.
    ``FROM``/``FROM NAMED`` are never dereferenced by the engine: they select graphs of the store.
    An allowed outgoing call ends at the query's deadline, when its worker is killed.

Remote store (``TFATLAS_STORE_URL``)
    The remote server evaluates; the request to it has the deadline as timeout (for the whole
    answer, not only between bytes), and the same allow-list, cap and content negotiation apply:
    the atlas asks the remote server for TSV or N-Triples and converts like a worker does.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import io
import multiprocessing.connection
import os
import queue
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from . import conneg
from .errors import AtlasError, QueryError
from .sparql_depth import nesting_error
from .result_cache import ResultCache, cacheable
from .sparql_protocol import FORM, Operation, ProtocolError, add_using, outgoing_targets, query_form, tokens

KIND_OF_FORM = {"SELECT": "solutions", "ASK": "boolean", "CONSTRUCT": "graph", "DESCRIBE": "graph"}


class QueryFailed(AtlasError):
    """A query or update that cannot be answered; ``status`` is the HTTP status."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class DeadlineExceeded(QueryFailed):
    pass


class _WorkerBroken(QueryFailed):
    """The worker is in an unknown state (a load failed or hung): it is replaced."""


@dataclass
class Answer:
    body: bytes
    content_type: str
    rows: int


# -- admin token ---------------------------------------------------------------------------------

def _frozen(graphs):
    return None if graphs is None else tuple(graphs)


def authorize_update(authorization: str | None, token_sha256: str) -> None:
    """Raise ProtocolError unless the bearer token hashes to the configured admin hash."""
    if not token_sha256:
        raise ProtocolError(403, "SPARQL Update is disabled on this server (no admin token is "
                                 "configured; see TFATLAS_ADMIN_TOKEN_SHA256)")
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ProtocolError(401, "SPARQL Update needs the operator's admin token: "
                                 "'Authorization: Bearer <token>'",
                            {"WWW-Authenticate": 'Bearer realm="tfatlas sparql update"'})
    digest = hashlib.sha256(token.strip().encode("utf-8")).hexdigest()
    if not hmac.compare_digest(digest, token_sha256.strip().lower()):
        raise ProtocolError(403, "the bearer token is not the admin token; the update was not applied")


# -- allow-list ----------------------------------------------------------------------------------

def allowed(iri: str, prefixes: tuple[str, ...]) -> bool:
    for prefix in prefixes:
        if iri == prefix:
            return True
        # A prefix ends at a boundary, so "https://reg.example" does not admit "https://reg.example.evil/".
        if iri.startswith(prefix) and (prefix[-1] in "/#?" or iri[len(prefix)] in "/#?"):
            return True
    return False


def check_outgoing(text: str, allow: tuple[str, ...], base_iri: str | None = None) -> None:
    for keyword, iri in outgoing_targets(text, base_iri):
        if iri is None:
            raise ProtocolError(403, f"{keyword} with a target that is not a fixed IRI is not allowed")
        if not allowed(iri, allow):
            listed = ", ".join(allow) if allow else "none are configured"
            raise ProtocolError(403, f"{keyword} <{iri}> is not on this server's allow-list "
                                     f"(TFATLAS_SERVICE_ALLOW: {listed}); no connection was made")


_MAY_HAVE_FROM = re.compile(r"\bfrom\b", re.IGNORECASE)


def has_dataset_clause(text: str) -> bool:
    if "from" not in text.lower() or not _MAY_HAVE_FROM.search(text):  # most queries: no tokenizing
        return False
    return any(t.depth == 0 and t.is_word("FROM") for t in tokens(text))


# -- shaping results (used by workers and by the remote backend) ---------------------------------

def _too_many(rows: int, cap: int, what: str) -> QueryFailed:
    return QueryFailed(422, f"the result has {rows:,} {what}, more than this server's limit of "
                            f"{cap:,} (TFATLAS_RESULT_LIMIT); add LIMIT or narrow the query")


def render_solutions(tsv: bytes, choice: conneg.Choice, cap: int) -> Answer:
    """Solutions given as TSV (one line per row: an exact count) in the negotiated format."""
    rows = max(tsv.count(b"\n") - 1, 0)
    if rows > cap:
        raise _too_many(rows, cap, "rows")
    if choice.engine_format is ox.QueryResultsFormat.TSV:
        return Answer(tsv, choice.content_type, rows)
    parsed = ox.parse_query_results(tsv, ox.QueryResultsFormat.TSV)
    return Answer(parsed.serialize(format=choice.engine_format), choice.content_type, rows)


def _json_rows(body: bytes, cap: int) -> int:
    """Rows of an engine-written SPARQL JSON document, exactly, without parsing when it is small.

    Rows are separated by ``},{``; a literal may contain that too, so the count is an upper bound.
    Within the cap that settles it; above, the document is parsed and counted exactly.
    """
    if body.endswith(b'"bindings":[]}}'):
        return 0
    bound = body.count(b"},{") + 1
    if bound <= cap:
        return bound
    return sum(1 for _ in ox.parse_query_results(body, ox.QueryResultsFormat.JSON))


def serialize_solutions(results: ox.QuerySolutions, choice: conneg.Choice, cap: int) -> Answer:
    """Serialise once, in the negotiated format where the rows can be counted in it exactly."""
    fmt = choice.engine_format
    if fmt is ox.QueryResultsFormat.JSON:
        body = results.serialize(format=fmt)
        rows = _json_rows(body, cap)
    elif fmt is ox.QueryResultsFormat.XML:
        body = results.serialize(format=fmt)
        rows = body.count(b"<result>")  # '<' in text is always escaped: every match is a row
    else:  # TSV directly; CSV through TSV (quoted line breaks make CSV lines no count of rows)
        return render_solutions(results.serialize(format=ox.QueryResultsFormat.TSV), choice, cap)
    if rows > cap:
        raise _too_many(rows, cap, "rows")
    return Answer(body, choice.content_type, rows)


def render_graph(ntriples: bytes, choice: conneg.Choice, cap: int,
                 prefixes: dict[str, str] | None = None) -> Answer:
    rows = ntriples.count(b"\n")
    if rows > cap:
        raise _too_many(rows, cap, "triples")
    if choice.engine_format is ox.RdfFormat.N_TRIPLES:
        return Answer(ntriples, choice.content_type, rows)
    triples = ox.parse(ntriples, ox.RdfFormat.N_TRIPLES)
    body = ox.serialize(triples, format=choice.engine_format, prefixes=prefixes or None)
    return Answer(body, choice.content_type, rows)


def _prefixes(text: str) -> dict[str, str]:
    from .sparql_protocol import _prologue

    return _prologue(tokens(text), None)[0] if "prefix" in text.lower() else {}


def _dataset_kwargs(default_graphs, named_graphs, text: str) -> dict:
    if default_graphs is None and named_graphs is None:
        # The atlas's default graph is the union of its named graphs, unless the query has its
        # own FROM/FROM NAMED (pyoxigraph's union flag would override those).
        return {} if has_dataset_clause(text) else {"use_default_graph_as_union": True}
    return {"default_graph": [ox.NamedNode(g) for g in default_graphs or ()],
            "named_graphs": [ox.NamedNode(g) for g in named_graphs or ()]}


def evaluate(store: ox.Store, task: dict) -> Answer:
    """Evaluate one query on a pyoxigraph store and serialise it (runs inside a worker)."""
    text = task["text"]
    try:
        results = store.query(text, base_iri=task["base_iri"],
                              **_dataset_kwargs(task["default_graphs"], task["named_graphs"], text))
    except SyntaxError as exc:
        raise QueryFailed(400, f"malformed query: {exc}") from None
    except RuntimeError as exc:  # parsed, but the engine cannot evaluate it (e.g. an unknown function)
        raise QueryFailed(400, f"the query cannot be evaluated: {exc}") from None
    except OSError as exc:
        raise QueryFailed(502 if "http" in str(exc).lower() else 500, f"query failed: {exc}") from None
    try:
        if isinstance(results, ox.QueryBoolean):
            choice = conneg.negotiate("boolean", task["accept"], task["format"])
            return Answer(results.serialize(format=choice.engine_format), choice.content_type, 1)
        if isinstance(results, ox.QuerySolutions):
            choice = conneg.negotiate("solutions", task["accept"], task["format"])
            return serialize_solutions(results, choice, task["cap"])
        choice = conneg.negotiate("graph", task["accept"], task["format"])
        return render_graph(results.serialize(format=ox.RdfFormat.N_TRIPLES), choice, task["cap"],
                            _prefixes(text))
    except conneg.NotAcceptable as exc:
        raise QueryFailed(406, str(exc)) from None
    except OSError as exc:
        raise QueryFailed(502 if "http" in str(exc).lower() else 500, f"query failed: {exc}") from None


# -- worker processes ----------------------------------------------------------------------------

def copy_to_memory(snapshot: ox.Store) -> ox.Store:
    """An in-memory copy of a store, at Rust speed (N-Quads out, bulk load in)."""
    buffer = io.BytesIO()
    snapshot.dump(buffer, ox.RdfFormat.N_QUADS)
    memory = ox.Store()
    memory.bulk_load(buffer.getvalue(), ox.RdfFormat.N_QUADS)
    return memory


class _WorkerState:
    """The store a worker answers from, and the snapshots it no longer needs.

    A new snapshot (a checkpoint directory) is answered from at once, read-only on disk, while a
    thread copies it into memory; the copy replaces it when done. A snapshot is released (the
    server may delete it) once the worker no longer reads it: its copy is in memory, or a newer
    snapshot took its place and no copy of it is running.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.store = ox.Store()
        self.generation = -1
        self.copying: set[int] = set()
        self.on_disk: int | None = None  # generation answered from its snapshot on disk
        self.released: list[int] = []

    def take_released(self) -> list[int]:
        with self.lock:
            released, self.released = self.released, []
        return released

    def load(self, path: str, generation: int) -> None:
        if not os.path.isdir(path):  # an N-Quads dump (a store without checkpoints): load it whole
            memory = ox.Store()
            memory.bulk_load(path=path, format=ox.RdfFormat.N_QUADS)
            with self.lock:
                self._leave_disk()
                self.store, self.generation = memory, generation
                self.released.append(generation)
            return
        snapshot = ox.Store.read_only(path)
        with self.lock:
            self._leave_disk()
            self.store, self.generation, self.on_disk = snapshot, generation, generation
            self.copying.add(generation)
        lock_path = os.path.join(os.path.dirname(path), "copy.lock")
        threading.Thread(target=self._copy, args=(snapshot, generation, lock_path), daemon=True).start()

    def _leave_disk(self) -> None:
        if self.on_disk is not None and self.on_disk not in self.copying:
            self.released.append(self.on_disk)
        self.on_disk = None

    def _copy(self, snapshot: ox.Store, generation: int, lock_path: str) -> None:
        # One copy at a time across the pool: the first worker reaches memory speed soonest and
        # the other cores keep answering (four parallel copies of 1M triples saturated 2 cores
        # for minutes, and a GROUP BY answered from disk meanwhile passed the 30 s deadline).
        memory = None
        with open(lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if self.generation == generation:  # not already replaced by a newer snapshot
                    memory = copy_to_memory(snapshot)
            except Exception as exc:  # keep answering from disk
                print(f"tfatlas query worker: copying the data into memory failed: {exc}", file=sys.stderr)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        with self.lock:
            self.copying.discard(generation)
            if self.generation == generation and memory is not None:
                self.store, self.on_disk = memory, None
                self.released.append(generation)
            elif self.generation != generation:
                self.released.append(generation)


def worker_main(conn) -> None:
    """Loop of one query worker: ('load', path, generation) and ('query', task) messages.

    Every reply ends with the generations whose snapshots the worker has released.
    """
    state = _WorkerState()
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the server went away
        try:
            if message[0] == "load":
                state.load(message[1], message[2])
                reply = ("loaded", message[2])
            elif message[0] == "status":
                with state.lock:
                    reply = ("status", state.generation, state.on_disk is None)
            else:
                with state.lock:
                    store = state.store
                answer = evaluate(store, message[1])
                reply = ("ok", answer.body, answer.content_type, answer.rows)
        except QueryFailed as exc:
            reply = ("failed", exc.status, exc.message)
        except Exception as exc:  # report, never die silently: the parent turns this into a 500
            reply = ("failed", 500, f"{type(exc).__name__}: {exc}")
        conn.send(reply + (state.take_released(),))


def worker_entry(fd: int) -> None:
    """Entry point of a worker process: the socket it talks to the server over is ``fd``."""
    # Die with the server even in the middle of a query (which may run for minutes): a killed
    # server closes no socket the worker would notice while the engine runs. Evaluation releases
    # the GIL, so this thread keeps watching. (PR_SET_PDEATHSIG would fire when the *thread*
    # that started the worker ends, and the pool starts workers from short-lived threads.)
    server = os.getppid()

    def watch() -> None:
        while os.getppid() == server:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()
    worker_main(multiprocessing.connection.Connection(fd))


class _Worker:
    """A worker process started with subprocess, not multiprocessing: ``spawn`` re-runs the main
    module (``tfatlas serve`` itself) in the child, and ``fork`` would copy an open RocksDB."""

    def __init__(self):
        parent, child = socket.socketpair()
        code = "import sys; from tfatlas.query_service import worker_entry; worker_entry(int(sys.argv[1]))"
        self.process = subprocess.Popen([sys.executable, "-c", code, str(child.fileno())],
                                        pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL)
        child.close()
        self.conn = multiprocessing.connection.Connection(parent.detach())
        self.generation = -1
        self.holding: set[int] = set()  # snapshots this worker may still read
        self.in_memory = False  # as last reported

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.conn.close()


class WorkerPool:
    """Query workers with in-memory copies of the store; see the module docstring."""

    def __init__(self, store, size: int, load_timeout: float = 600.0):
        self._store = store
        self._size = size
        self._load_timeout = load_timeout
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.RLock()
        self._started = False
        self._ready = threading.Event()  # set once a worker holds the data
        self._closed = False
        self.generation = 0
        self._snapshots: dict[int, str] = {}  # generation -> checkpoint path
        self._holders: dict[int, int] = {}  # generation -> workers that may still read its snapshot
        self._snapshot_lock = threading.Lock()
        parent = self._snapshot_parent()
        if parent is not None:
            # Only the process holding the store's lock gets here: older snapshots are leftovers
            # of a server that was killed, and their hard links would keep deleted data on disk.
            for stale in Path(parent).glob("tfatlas-query-snapshots-*"):
                shutil.rmtree(stale, ignore_errors=True)
        self._snapshot_root = Path(tempfile.mkdtemp(prefix="tfatlas-query-snapshots-", dir=parent))
        self.kills = 0

    def _snapshot_parent(self) -> str | None:
        root = getattr(self._store, "root", None)
        # Checkpoints are hard links: they must be on the store's file system.
        return str(root) if root is not None else None

    def changed(self) -> None:
        with self._snapshot_lock:
            self.generation += 1

    def start(self) -> None:
        """Start the workers; each loads the data in the background before it takes queries."""
        with self._lock:
            if self._started:
                return
            self._started = True
        for _ in range(self._size):
            threading.Thread(target=self._add_worker, args=(True,), daemon=True).start()

    def _add_worker(self, warm: bool = False) -> None:
        worker = _Worker()
        with self._lock:
            self._all.add(worker)
        if warm:  # a replacement loads the data before it takes queries
            try:
                self._sync(worker)
            except (QueryFailed, EOFError, OSError) as exc:
                with self._lock:
                    self._all.discard(worker)
                worker.kill()
                print(f"tfatlas: a query worker could not load the data: {exc}", file=sys.stderr)
                self._ready.set()  # queries then get 503 rather than waiting for a load that failed
                return
        self._idle.put(worker)
        self._ready.set()

    def _replace_later(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        worker.kill()
        for generation in list(worker.holding):
            self._release(generation)
        worker.holding.clear()
        if not self._closed:
            threading.Thread(target=self._add_worker, args=(True,), daemon=True).start()

    def _snapshot(self) -> tuple[int, str]:
        with self._snapshot_lock:
            generation = self.generation
            if generation not in self._snapshots:
                path = self._snapshot_root / f"gen-{generation:06d}"
                oxigraph = getattr(self._store, "oxigraph", None)
                if oxigraph is not None:
                    oxigraph.flush()
                    oxigraph.backup(str(path))
                else:
                    from .rdfformats import by_name

                    path = path.with_suffix(".nq")
                    with open(path, "wb") as out:
                        self._store.dump(out, by_name("nquads"))
                self._snapshots[generation] = str(path)
            self._holders[generation] = self._holders.get(generation, 0) + 1
            return generation, self._snapshots[generation]

    def _release(self, generation: int) -> None:
        """A worker no longer reads ``generation``'s snapshot; remove those nobody reads."""
        with self._snapshot_lock:
            self._holders[generation] -= 1
            # RocksDB opens table files lazily: a snapshot goes only when no worker reads it.
            for old in [g for g in self._snapshots if g < self.generation and not self._holders.get(g)]:
                path = Path(self._snapshots.pop(old))
                shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)

    def _sync(self, worker: _Worker) -> None:
        if worker.generation == self.generation:
            return
        generation, path = self._snapshot()
        worker.holding.add(generation)
        worker.conn.send(("load", path, generation))
        if not worker.conn.poll(self._load_timeout):
            raise _WorkerBroken(503, "a query worker did not open the data in time")
        reply = self._receive(worker)
        if reply[0] != "loaded":
            raise _WorkerBroken(500, f"a query worker could not open the data: {reply[2]}")
        worker.generation = reply[1]

    def _receive(self, worker: _Worker) -> tuple:
        """A reply without its last element: the snapshots the worker released meanwhile."""
        *reply, released = worker.conn.recv()
        for generation in released:
            if generation in worker.holding:
                worker.holding.discard(generation)
                self._release(generation)
        return tuple(reply)

    def run(self, task: dict, deadline: float) -> Answer:
        self.start()
        # The first load of a large store may take longer than a deadline: it is no query's fault.
        self._ready.wait(self._load_timeout)
        try:
            worker = self._idle.get(timeout=deadline)
        except queue.Empty:
            raise QueryFailed(503, f"all query workers stayed busy for {deadline:g} s; "
                                   "try again later") from None
        try:
            self._sync(worker)
            worker.conn.send(("query", task))
            if not worker.conn.poll(deadline):
                self.kills += 1
                self._replace_later(worker)
                worker = None
                raise DeadlineExceeded(504, f"the query ran longer than this server's deadline of "
                                            f"{deadline:g} s (TFATLAS_QUERY_TIMEOUT) and was stopped")
            reply = self._receive(worker)
        except (EOFError, OSError, BrokenPipeError):
            self._replace_later(worker)
            worker = None
            raise QueryFailed(503, "the query worker ended unexpectedly (out of memory?); "
                                   "the query was not answered") from None
        except _WorkerBroken:
            self._replace_later(worker)
            raise
        except QueryFailed:
            if worker is not None:
                self._idle.put(worker)
            raise
        self._idle.put(worker)
        if reply[0] == "ok":
            return Answer(reply[1], reply[2], reply[3])
        raise QueryFailed(reply[1], reply[2])

    def status(self) -> dict[str, int]:
        """Workers by where their data is: "memory", "disk" (a copy is being made) or "starting".

        Asks the idle workers (busy ones count as they were last seen), so that an operator or a
        benchmark can tell when the pool answers at in-memory speed.
        """
        counts = {"memory": 0, "disk": 0, "starting": 0}
        asked: list[_Worker] = []
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                break
            asked.append(worker)
            try:
                worker.conn.send(("status",))
                if worker.conn.poll(5):
                    _, generation, in_memory = self._receive(worker)
                    worker.in_memory = in_memory and generation == self.generation
            except (EOFError, OSError):
                pass
        for worker in asked:
            self._idle.put(worker)
        with self._lock:
            workers = list(self._all)
        for worker in workers:
            if worker.generation < 0:
                counts["starting"] += 1
            else:
                counts["memory" if worker.in_memory else "disk"] += 1
        return counts

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers, self._all = list(self._all), set()
        for worker in workers:
            worker.kill()
        shutil.rmtree(self._snapshot_root, ignore_errors=True)


# -- remote store --------------------------------------------------------------------------------

class RemoteQueries:
    """Queries evaluated by a remote SPARQL 1.1 server, with the atlas's limits applied."""

    CANONICAL = {"solutions": "text/tab-separated-values", "graph": "application/n-triples",
                 "boolean": "application/sparql-results+json"}

    def __init__(self, query_url: str):
        import requests

        self._url = query_url
        self._session = requests.Session()

    def run(self, task: dict, deadline: float) -> Answer:
        import requests

        form = query_form(task["text"])
        kind = KIND_OF_FORM.get(form or "", "solutions")
        try:
            choice = conneg.negotiate(kind, task["accept"], task["format"])
        except conneg.NotAcceptable as exc:
            raise QueryFailed(406, str(exc)) from None
        data = [("query", task["text"])]
        data += [("default-graph-uri", g) for g in task["default_graphs"] or ()]
        data += [("named-graph-uri", g) for g in task["named_graphs"] or ()]
        params = {}
        if task["default_graphs"] is None and task["named_graphs"] is None and not has_dataset_clause(task["text"]):
            # The atlas's default graph is the union of the named graphs; Oxigraph's server takes
            # this parameter for it (as store/remote.py does), others treat it as unknown.
            params["union-default-graph"] = ""
        started = time.monotonic()
        chunks = []
        try:
            with self._session.post(self._url, data=data, params=params, stream=True, timeout=deadline,
                                    headers={"Accept": self.CANONICAL[kind], "Content-Type": FORM}) as r:
                for chunk in r.iter_content(1 << 16):
                    chunks.append(chunk)
                    if time.monotonic() - started > deadline:
                        raise requests.Timeout()
                body = b"".join(chunks)
                status = r.status_code
        except requests.Timeout:
            raise DeadlineExceeded(504, f"the remote store did not answer within this server's "
                                        f"deadline of {deadline:g} s (TFATLAS_QUERY_TIMEOUT)") from None
        except requests.RequestException as exc:
            raise QueryFailed(502, f"the remote store cannot be reached: {exc}") from None
        if status >= 400:
            message = body.decode("utf-8", "replace").strip()[:2000]
            raise QueryFailed(400 if status < 500 else 502, f"the remote store answered {status}: {message}")
        if kind == "boolean":
            value = ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
            return Answer(value.serialize(format=choice.engine_format), choice.content_type, 1)
        if kind == "graph":
            return render_graph(body, choice, task["cap"], _prefixes(task["text"]))
        return render_solutions(body, choice, task["cap"])

    def close(self) -> None:
        self._session.close()


# -- the service ---------------------------------------------------------------------------------

class QueryService:
    """What the /sparql endpoint calls: ``query``, ``update``, ``stats``."""

    def __init__(self, store, config):
        self.store = store
        self.timeout = float(config.query_timeout)
        self.cap = int(config.result_limit)
        self.allow = tuple(config.service_allow)
        self.admin_hash = config.admin_token_sha256
        self._update_lock = threading.Lock()
        self._stats: tuple[int, object] | None = None
        if getattr(config, "remote", False):
            self.backend = RemoteQueries(config.store_query_url)
            self.pool = None
        else:
            # Two per core: while one worker hands its answer back, another evaluates (measured:
            # 2 workers 0.75-0.90x `oxigraph serve` at concurrency 8 on 2 cores, 4 workers 1.03x).
            size = max(2, min(int(config.threads), 2 * (os.cpu_count() or 1)))
            self.pool = WorkerPool(store, size)
            self.backend = self.pool
        self._watch_writes(store)
        # Exact answers need a write generation, which only the embedded store's pool keeps.
        cache_bytes = int(config.result_cache_mb * 1024 * 1024)
        self.cache = ResultCache(cache_bytes) if self.pool is not None and cache_bytes > 0 else None

    def warm_up(self) -> None:
        """Load the workers now rather than on the first query (the server calls this at start)."""
        if self.pool is not None:
            self.pool.start()

    @property
    def generation(self) -> int:
        return self.pool.generation if self.pool else 0

    def _watch_writes(self, store) -> None:
        # Every write through the store object, also from other parts of the app, must reach the
        # workers' copies; wrapping the instance's write methods catches all of them in one place.
        if self.pool is None:
            return
        for name in ("update", "load", "drop_graph"):
            original = getattr(store, name)

            def wrapped(*args, _original=original, **kwargs):
                try:
                    return _original(*args, **kwargs)
                finally:
                    self.pool.changed()

            setattr(store, name, wrapped)

    def query(self, op: Operation, *, accept: str | None, base_iri: str | None) -> Answer:
        if (too_deep := nesting_error(op.text)) is not None:
            raise QueryFailed(400, too_deep)
        check_outgoing(op.text, self.allow, base_iri)
        form = query_form(op.text)
        if form is not None:  # refuse an impossible format before evaluating (406)
            try:
                conneg.negotiate(KIND_OF_FORM[form], accept, op.format)
            except conneg.NotAcceptable as exc:
                raise QueryFailed(406, str(exc)) from None
        task = {"text": op.text, "base_iri": base_iri, "default_graphs": op.default_graphs,
                "named_graphs": op.named_graphs, "accept": accept, "format": op.format, "cap": self.cap}
        if self.cache is None or not cacheable(op.text):
            return self.backend.run(task, self.timeout)
        # The generation is read before evaluating: a write during the evaluation bumps it, so
        # this key is never asked for again and no later request sees an older state.
        key = (self.generation, op.text, base_iri, _frozen(op.default_graphs),
               _frozen(op.named_graphs), accept, op.format, self.cap)
        return self.cache.get_or_compute(key, lambda answer: len(answer.body),
                                         lambda: self.backend.run(task, self.timeout))

    def update(self, op: Operation, *, authorization: str | None, base_iri: str | None) -> None:
        authorize_update(authorization, self.admin_hash)
        if (too_deep := nesting_error(op.text)) is not None:
            raise QueryFailed(400, too_deep)
        check_outgoing(op.text, self.allow, base_iri)
        text = add_using(op.text, op.default_graphs, op.named_graphs)
        with self._update_lock:
            try:
                self.store.update(text, base_iri=base_iri)
            except QueryError as exc:
                raise QueryFailed(400, str(exc)) from None

    def stats(self):
        """Store statistics, computed once per state of the store."""
        cached = self._stats
        if cached is not None and cached[0] == self.generation and self.pool is not None:
            return cached[1]
        stats = self.store.stats()
        self._stats = (self.generation, stats)
        return stats

    def close(self) -> None:
        self.backend.close()
