"""One query worker process: holds a copy of the data and evaluates the queries it is sent.

See :mod:`tfatlas.sparql.workers` for why queries run in processes and copies are in memory."""

from __future__ import annotations

import fcntl
import io
import logging
import multiprocessing.connection
import os
import socket
import threading
import time

import pyoxigraph as ox

from ..errors import AtlasError, QueryFailed
from . import conneg
from .messages import (Answered, Applied, Apply, Failed, Load, Loaded, QueryTask, Replay, Reply, Request, Status,
                       StatusRequest)
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

    def take_released(self) -> tuple[int, ...]:
        with self.lock:
            released, self.released = self.released, []
        return tuple(released)

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

    def follow(self, message: Apply | Replay) -> bool:
        """Apply the next write to the in-memory copy; False when this copy cannot follow it (it
        is still on disk, or misses a generation): the server then sends a new snapshot."""
        with self.lock:
            if self.on_disk is not None or self.generation != message.generation - 1:
                return False
            store = self.store
        # Queries are handled in this same loop, so none reads the copy while it changes. If
        # applying fails midway the copy is wrong: its generation stays old, so it is replaced.
        apply_change(store, message)
        with self.lock:
            self.generation = message.generation
        return True

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
                log.warning("copying the data into memory failed (answering from disk): %s", exc)
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
    """Loop of one query worker: a :mod:`.messages` request in, a reply out."""
    state = _WorkerState()
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the server went away
        conn.send(_handle(state, message))


def _handle(state: _WorkerState, message: Request) -> Reply:
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
        with state.lock:
            store = state.store
        answer = evaluate(store, message.task)
        return Answered(answer.body, answer.content_type, answer.rows, state.take_released())
    except AtlasError as exc:  # QueryFailed, NotAcceptable: each carries its status
        return Failed(exc.status, exc.message, state.take_released())
    except Exception as exc:  # report, never die silently: the parent turns this into a 500
        return Failed(500, f"{type(exc).__name__}: {exc}", state.take_released())


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
    # Parse, evaluation and serialisation recurse: the loop runs on a thread with a large stack, so
    # that what the guard admits cannot overflow it (one thread for the worker's life: no cost per query).
    on_large_stack(worker_main, multiprocessing.connection.Connection(fd))
