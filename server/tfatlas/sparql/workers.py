"""The pool of query worker processes, as the server sees it.

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
    ``load``, ``drop_graph``) bumps the store's write generation (the store's write hook,
    ``AtlasStore.subscribe``); before answering, a worker whose data is older is brought to the
    current generation, so a query sent after a successful update always sees it.

Why a write costs readers only its size
    Copying the store again after each write made reads of a join 2x to 50x slower for about a
    minute at 1M triples (issue 10). The pool therefore keeps each write's change
    (:mod:`.replay`): an actor's write and a dropped graph carry their exact delta, an operator's
    update is replayed from its text when that gives the store's result. A worker behind by a few
    writes gets them, in generation order, and applies them to its in-memory copy. A worker that
    cannot follow (its copy is still being made, a change was not kept, or applying failed) gets
    a checkpoint of the current generation as before, and so does every worker after a load or
    an update that does not replay exactly. ``tfatlas_query_worker_copies`` and
    ``tfatlas_query_worker_applied_writes`` on /-/metrics count both ways.

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
"""

from __future__ import annotations

import logging
import multiprocessing.connection
import queue
import socket
import subprocess
import sys
import threading

from ..errors import DeadlineExceeded, QueryFailed
from ..store.base import storage_error
from .messages import (Answered, Applied, Evaluate, Failed, Load, Loaded, QueryTask, Reply, Request, Status,
                       StatusRequest)
from .replay import change_message
from .results import Answer
from .snapshots import Snapshots

log = logging.getLogger(__name__)



#: Writes kept for workers that are behind; one further behind gets a new snapshot.
MAX_CHANGES = 1024


class _WorkerBroken(QueryFailed):
    """The worker is in an unknown state (a load failed or hung): it is replaced."""


class _Worker:
    """A worker process started with subprocess, not multiprocessing: ``spawn`` re-runs the main
    module (``tfatlas serve`` itself) in the child, and ``fork`` would copy an open RocksDB."""

    def __init__(self):
        parent, child = socket.socketpair()
        # SIGINT ignored first thing: Ctrl-C reaches the whole process group, and the server
        # stops its workers itself (else each printed a KeyboardInterrupt traceback).
        code = ("import signal; signal.signal(signal.SIGINT, signal.SIG_IGN); import sys; "
                "from tfatlas.sparql.worker_process import worker_entry; worker_entry(int(sys.argv[1]))")
        self.process = subprocess.Popen([sys.executable, "-c", code, str(child.fileno())],
                                        pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL)
        child.close()
        self.conn = multiprocessing.connection.Connection(parent.detach())
        self.generation = -1
        self.holding: set[int] = set()  # snapshots this worker may still read
        self.in_memory = False  # as last reported

    def send(self, message: Request) -> None:
        self.conn.send(message)

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

    def __init__(self, store, size: int, load_timeout: float = 600.0, follow_writes: bool = True):
        self._size = size
        self._follow_writes = follow_writes
        self._load_timeout = load_timeout
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.RLock()
        self._started = False
        self._ready = threading.Event()  # set once a worker holds the data
        self._closed = False
        self.snapshots = Snapshots(store)
        self.snapshots.changed(store.write_generation)
        # generation -> the message that brings a copy to it from the one before (None: copy again)
        self._changes: dict[int, Request | None] = {}
        self._unsubscribe = store.subscribe(self._follow)
        self.kills = 0
        self.copies = 0  # snapshots sent to workers (a copy of the whole store each)
        self.applied = 0  # writes applied to a worker's copy instead

    @property
    def generation(self) -> int:
        return self.snapshots.generation

    def _follow(self, event) -> None:
        """The store's write hook: keep the change for the workers, then move the generation on
        (in this order: a query that sees the new generation finds its change)."""
        message = change_message(event) if self._follow_writes else None
        with self._lock:
            self._changes[event.generation] = message
            for old in sorted(self._changes)[:-MAX_CHANGES]:
                del self._changes[old]
        self.snapshots.changed(event.generation)

    def start(self) -> None:
        """Start the workers; each loads the data in the background before it takes queries."""
        with self._lock:
            if self._started:
                return
            self._started = True
        for _ in range(self._size):
            threading.Thread(target=self._add_worker, args=(True,), daemon=True).start()

    def _add_worker(self, warm: bool = False) -> None:
        with self._lock:  # started under the lock: close() either stops this worker or came first
            if self._closed:
                return
            worker = _Worker()
            self._all.add(worker)
        if warm:  # a replacement loads the data before it takes queries
            try:
                self._sync(worker)
            except (QueryFailed, EOFError, OSError) as exc:
                with self._lock:
                    self._all.discard(worker)
                worker.kill()
                if not self._closed:  # at shutdown the server stopped it itself
                    log.error("a query worker could not load the data: %s", exc)
                self._ready.set()  # queries then get 503 rather than waiting for a load that failed
                return
        self._idle.put(worker)
        self._ready.set()

    def _replace_later(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        worker.kill()
        for generation in list(worker.holding):
            self.snapshots.release(generation)
        worker.holding.clear()
        if not self._closed:
            threading.Thread(target=self._add_worker, args=(True,), daemon=True).start()

    def _sync(self, worker: _Worker, deadline: float | None = None) -> None:
        if worker.generation >= self.generation:
            return
        if self._catch_up(worker, deadline):
            return
        self.copies += 1
        try:
            generation, path = self.snapshots.take()
        except OSError as exc:  # a full disk: the worker is fine, the server is not
            error = storage_error(exc, ("the snapshot the query workers read",
                                        "die Momentaufnahme für die Abfrageprozesse"))
            raise QueryFailed(error.status, error.message) from None
        worker.holding.add(generation)
        worker.send(Load(path, generation))
        if not worker.conn.poll(self._load_timeout):
            raise _WorkerBroken(503, "a query worker did not open the data in time")
        reply = self._receive(worker)
        if not isinstance(reply, Loaded):
            message = reply.message if isinstance(reply, Failed) else type(reply).__name__
            raise _WorkerBroken(500, f"a query worker could not open the data: {message}")
        worker.generation = reply.generation

    def _catch_up(self, worker: _Worker, deadline: float | None = None) -> bool:
        """Apply the writes since the worker's generation to its copy, in order; False when one is
        not known here or the worker cannot apply it (then it gets a new snapshot).

        Before a query, applying is bounded by the query's deadline (an operator's update over the
        whole store replays as long as it ran): past it the worker is replaced, which copies the
        store again in the background, and the query gets 504 like any other past its deadline."""
        if worker.generation < 0:
            return False
        target = self.generation
        with self._lock:
            changes = [self._changes.get(g) for g in range(worker.generation + 1, target + 1)]
        if not changes or any(change is None for change in changes):
            return False
        for change in changes:
            worker.send(change)
            if not worker.conn.poll(self._load_timeout if deadline is None else deadline):
                if deadline is None:
                    raise _WorkerBroken(503, "a query worker did not apply a write in time")
                self.kills += 1
                raise _WorkerBroken(504, f"the query worker was still applying a large write after this "
                                         f"server's deadline of {deadline:g} s (TFATLAS_QUERY_TIMEOUT); "
                                         "the query was not answered, try again")
            reply = self._receive(worker)
            if not isinstance(reply, Applied):
                if isinstance(reply, Failed) and reply.status != 409:
                    log.warning("a query worker could not apply a write (copying again): %s", reply.message)
                return False
            worker.generation = reply.generation
            self.applied += 1
        return True

    def _receive(self, worker: _Worker) -> Reply:
        """The worker's reply; the snapshots it released meanwhile are released here."""
        reply: Reply = worker.conn.recv()
        for generation in reply.released:
            if generation in worker.holding:
                worker.holding.discard(generation)
                self.snapshots.release(generation)
        return reply

    def run(self, task: QueryTask, deadline: float) -> Answer:
        self.start()
        # The first load of a large store may take longer than a deadline: it is no query's fault.
        self._ready.wait(self._load_timeout)
        try:
            worker = self._idle.get(timeout=deadline)
        except queue.Empty:
            raise QueryFailed(503, f"all query workers stayed busy for {deadline:g} s; "
                                   "try again later") from None
        try:
            self._sync(worker, deadline)
            worker.send(Evaluate(task))
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
        if isinstance(reply, Answered):
            return Answer(reply.body, reply.content_type, reply.rows)
        if isinstance(reply, Failed):
            raise QueryFailed(reply.status, reply.message)
        raise QueryFailed(500, f"a query worker answered a query with {type(reply).__name__}")

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
                if 0 <= worker.generation < self.generation:
                    self._catch_up(worker)  # a copy one write behind is at full speed all the same
                worker.send(StatusRequest())
                if worker.conn.poll(5):
                    reply = self._receive(worker)
                    if isinstance(reply, Status):
                        worker.in_memory = reply.in_memory and reply.generation == self.generation
            except (EOFError, OSError, QueryFailed):
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
        self._unsubscribe()
        with self._lock:
            self._closed = True
            workers, self._all = list(self._all), set()
        for worker in workers:
            worker.kill()
        self.snapshots.close()
