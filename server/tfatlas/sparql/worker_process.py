"""One query worker process: holds a copy of the data and evaluates the queries it is sent.

See :mod:`tfatlas.sparql.workers` for why queries run in processes and copies are in memory."""

from __future__ import annotations

import logging
import os
import select
import socket
import threading
from contextlib import contextmanager

import pyoxigraph as ox

from ..errors import AtlasError, QueryFailed
from . import conneg
from .messages import (Answered, Applied, Apply, Channel, Failed, Load, Loaded, QueryTask, Replay, Reply, Request,
                       Status, StatusRequest)
from .replay import apply_change
from .stack import on_large_stack
from .text import outgoing_targets
from .results import Answer, has_dataset_clause, render_graph, serialize_solutions


log = logging.getLogger(__name__)


def _dataset_kwargs(default_graphs, named_graphs, text: str) -> dict:
    if default_graphs is None and named_graphs is None:
        # The atlas's default graph is the union of its named graphs, unless the query has its
        # own FROM/FROM NAMED (pyoxigraph's union flag would override those).
        return {} if has_dataset_clause(text) else {"use_default_graph_as_union": True}
    return {"default_graph": [ox.NamedNode(g) for g in default_graphs or ()],
            "named_graphs": [ox.NamedNode(g) for g in named_graphs or ()]}


def evaluate(store: ox.Store, task: QueryTask) -> Answer:
    """Evaluate one query on a pyoxigraph store and serialise it (runs inside a worker)."""
    text = task.text
    try:
        results = store.query(text, base_iri=task.base_iri,
                              **_dataset_kwargs(task.default_graphs, task.named_graphs, text))
    except SyntaxError as exc:
        raise QueryFailed(400, f"malformed query: {exc}") from None
    except (RuntimeError, OSError) as exc:
        raise _evaluation_failed(exc, text) from None
    try:
        if isinstance(results, ox.QueryBoolean):
            choice = conneg.negotiate("boolean", task.accept, task.format)
            return Answer(results.serialize(format=choice.engine_format), choice.content_type, 1)
        if isinstance(results, ox.QuerySolutions):
            choice = conneg.negotiate("solutions", task.accept, task.format)
            return serialize_solutions(results, choice, task.cap)
        choice = conneg.negotiate("graph", task.accept, task.format)
        return render_graph(results.serialize(format=ox.RdfFormat.N_TRIPLES), choice, task.cap, text)
    except (RuntimeError, OSError) as exc:  # results are lazy: most evaluation happens here
        raise _evaluation_failed(exc, text) from None


def _evaluation_failed(exc: Exception, text: str) -> QueryFailed:
    message = str(exc)
    # A SERVICE endpoint that answers what the engine cannot read (e.g. text/turtle), or cannot be
    # reached, is a bad upstream: not the client's fault, nor the atlas's. A query does no other
    # network I/O, so any connection error means its SERVICE.
    network = isinstance(exc, (ConnectionError, TimeoutError, socket.gaierror))
    if "service" in message.lower() or network and outgoing_targets(text):
        return QueryFailed(502, f"a SERVICE endpoint of this query failed: {message}")
    if isinstance(exc, OSError):
        return QueryFailed(502 if "http" in message.lower() else 500, f"query failed: {message}")
    # parsed, but the engine cannot evaluate it (e.g. an unknown function)
    return QueryFailed(400, f"the query cannot be evaluated: {message}")


#: Longest a write waits for the queries inside ``Store.query`` on this process's other slots
#: (an aggregate evaluates there whole); past it the process does not apply it and the pool
#: forks a current worker instead (this one ends when its queries are answered).
APPLY_WAIT = 2.0


class _Busy(Exception):
    """Queries inside ``Store.query`` held back a write longer than ``APPLY_WAIT``."""


class _StartGate:
    """Queries start only while no write is being applied, and a write waits for the queries that
    are starting. Oxigraph's in-memory store gives each query a snapshot when it starts (MVCC), so
    a query never sees half a write once it has started, and a write does not wait for the queries
    whose solutions are being read, only for those inside ``Store.query`` (which takes the
    snapshot; an aggregate is evaluated whole there)."""

    def __init__(self):
        self._cond = threading.Condition()
        self._starting = 0
        self._writing = False

    @contextmanager
    def starting(self):
        with self._cond:
            while self._writing:
                self._cond.wait()
            self._starting += 1
        try:
            yield
        finally:
            with self._cond:
                self._starting -= 1
                self._cond.notify_all()

    @contextmanager
    def writing(self, timeout: float):
        with self._cond:
            self._writing = True  # queries that come now wait: the write is not starved
            if not self._cond.wait_for(lambda: not self._starting, timeout):
                self._writing = False
                self._cond.notify_all()
                raise _Busy
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


class _Reading:
    """The store as ``evaluate`` sees it: a query takes its snapshot through the start gate."""

    def __init__(self, state: _WorkerState):
        self._state = state

    def query(self, *args, **kwargs):
        with self._state.gate.starting():
            with self._state.lock:
                store = self._state.store
            return store.query(*args, **kwargs)


class _WorkerState:
    """The store a worker process answers from (on all its query threads), and the snapshots it no
    longer needs.

    A worker forked by the zygote answers from the zygote's in-memory copy. A worker that cannot
    follow a write (or one started while the zygote makes its copy) is sent a snapshot and answers
    from it read-only on disk until the pool replaces it by a fork of the new copy. A snapshot is
    released (the server may delete it) once a newer one took its place.

    The threads share the copy, so a write is applied once per process: ``follow`` is serialised,
    and a slot whose sibling already applied the generation answers Applied.
    """

    def __init__(self, store=None, generation: int = -1):
        self.lock = threading.Lock()  # the fields below
        self.gate = _StartGate()
        self._applying = threading.Lock()  # one write at a time, whichever slot sent it
        self.store = store if store is not None else ox.Store()
        self.generation = generation
        self.broken = False  # a write failed midway: this copy is wrong and follows nothing more
        self.on_disk: int | None = None  # generation answered from its snapshot on disk
        self.released: list[int] = []

    def take_released(self) -> tuple[int, ...]:
        with self.lock:
            released, self.released = self.released, []
        return tuple(released)

    def load(self, path: str, generation: int) -> None:
        with self.lock:
            if self.on_disk == generation:  # a sibling slot opened it already: release this hold
                self.released.append(generation)
                return
        if not os.path.isdir(path):  # an N-Quads dump (a store without checkpoints): load it whole
            memory = ox.Store()
            memory.bulk_load(path=path, format=ox.RdfFormat.N_QUADS)
            with self.lock:
                self._leave_disk()
                self.store, self.generation, self.broken = memory, generation, False
                self.released.append(generation)
            return
        snapshot = ox.Store.read_only(path)
        with self.lock:
            self._leave_disk()
            self.store, self.generation, self.on_disk, self.broken = snapshot, generation, generation, False

    def follow(self, message: Apply | Replay) -> bool:
        """Apply the next write to the in-memory copy; False when this copy cannot follow it (it
        is on disk, misses a generation, a write failed on it, or a long query holds it back): the
        server then sends a fork or a snapshot. True also when a sibling slot applied it already."""
        with self._applying:
            with self.lock:
                if self.on_disk is not None or self.broken:
                    return False
                if self.generation >= message.generation:
                    return True
                if self.generation != message.generation - 1:
                    return False
                store = self.store
            try:
                with self.gate.writing(APPLY_WAIT):
                    try:
                        apply_change(store, message)
                    except BaseException:
                        self.broken = True  # applied partly: never answer from it again
                        raise
            except _Busy:
                return False
            with self.lock:
                self.generation = message.generation
        return True

    def _leave_disk(self) -> None:
        if self.on_disk is not None:
            self.released.append(self.on_disk)
        self.on_disk = None


def worker_main(conn, state: _WorkerState | None = None) -> None:
    """Loop of one query slot: a :mod:`.messages` request in, a reply out."""
    state = state or _WorkerState()
    reading = _Reading(state)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the server went away
        conn.send(_handle(state, reading, message))


def _handle(state: _WorkerState, reading: _Reading, message: Request) -> Reply:
    try:
        if isinstance(message, Load):
            state.load(message.path, message.generation)
            return Loaded(message.generation, state.take_released())
        if isinstance(message, (Apply, Replay)):
            if state.follow(message):
                return Applied(message.generation, state.take_released())
            return Failed(409, "this copy cannot follow the write; it needs a new snapshot",
                          state.take_released())
        if isinstance(message, StatusRequest):
            with state.lock:
                generation, in_memory = state.generation, state.on_disk is None
            return Status(generation, in_memory, state.take_released())
        if state.broken:
            raise QueryFailed(500, "this worker's copy is broken (a write failed on it)")
        answer = evaluate(reading, message.task)
        return Answered(answer.body, answer.content_type, answer.rows, state.take_released())
    except AtlasError as exc:  # QueryFailed, NotAcceptable: each carries its status
        return Failed(exc.status, exc.message, state.take_released())
    except Exception as exc:  # report, never die silently: the parent turns this into a 500
        return Failed(500, f"{type(exc).__name__}: {exc}", state.take_released())


def _die_with_server(fds: list[int]) -> None:
    """End this process as soon as the server's end of one of its sockets closes, even in the middle
    of a query (which may run for minutes): evaluation releases the GIL, so this thread keeps
    watching. (PR_SET_PDEATHSIG would fire when the *thread* that started the worker ends, and a
    forked worker's parent is the zygote, not the server.)"""

    def watch() -> None:
        poller = select.poll()
        for fd in fds:
            poller.register(fd, select.POLLRDHUP)
        while True:
            for _, events in poller.poll():
                if events & (select.POLLRDHUP | select.POLLHUP | select.POLLERR | select.POLLNVAL):
                    os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def _serve(channels: list[Channel], state: _WorkerState | None = None) -> None:
    _die_with_server([channel.fileno() for channel in channels])
    state = state or _WorkerState()
    # Parse, evaluation and serialisation recurse: each slot's loop runs on a thread with a large
    # stack, so that what the guard admits cannot overflow it (one thread per slot for the
    # worker's life: no cost per query). pyoxigraph releases the GIL while it evaluates and
    # serialises, so the slots' queries run on all cores over the one copy.
    threads = [threading.Thread(target=on_large_stack, args=(worker_main, channel, state), daemon=True)
               for channel in channels]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def worker_entry(fd: int) -> None:
    """Entry point of a worker process started by the server: its socket to the server is ``fd``."""
    _serve([Channel(socket.socket(fileno=fd))])


def run_forked_worker(socks: list[socket.socket], store: ox.Store, generation: int) -> None:
    """Run a worker forked by the zygote, answering from the zygote's copy (shared copy-on-write)
    on one thread per socket."""
    _serve([Channel(sock) for sock in socks], _WorkerState(store, generation))
