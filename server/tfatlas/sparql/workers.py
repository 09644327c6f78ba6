"""The pool of query worker processes, as the server sees it.

Why worker processes
    pyoxigraph's ``Store.query`` cannot be cancelled: a query runs in Rust until it is done (a
    cross product over a few hundred triples runs for minutes). A deadline that really stops
    evaluation therefore needs something that can be killed. Queries run in a small pool of
    worker processes (started fresh: the server process has threads and an open RocksDB, which
    must not be forked). When a query passes its deadline the parent kills that worker, answers
    504 with a message, and starts a replacement in the background; the other workers keep
    answering. Waiting for a free worker is bounded by the deadline as well (503).

Why the workers hold the data in memory, and one copy of it
    The performance anchor is ``oxigraph serve`` in memory, 2 to 8 times faster than Oxigraph on
    disk for this domain's queries (design.md section 3). The on-disk store stays the durable
    one, owned by the server process. Until issue 14 every worker made its own in-memory copy:
    about 0.3 GB per million triples per worker, so 10M triples took 13.8 GB for four workers
    and 361 s until the last copy was made (one at a time). Now one process, the zygote
    (:mod:`.zygote`), makes the one copy and the workers are forked from it: they share its pages
    copy-on-write, a killed worker is replaced by a new fork in milliseconds (no copy), and the
    zygote follows the writes like a worker, so a fork is current. Copies are made from a
    RocksDB checkpoint of the store (``Store.backup``: hard links, cheap): a helper process
    dumps it as N-Quads into a pipe and the zygote bulk-loads from the pipe, on two cores at once
    (1M triples, a loaded machine: dump 7.0 s CPU, in-memory bulk load 3.0 s). The zygote never
    opens RocksDB and has no other thread when it forks. Opening the live database read-only
    from another process would be undefined behaviour (pyoxigraph's docs), a checkpoint is not.
    Until the copy is made (at start, after a load) workers answer from the checkpoint read-only
    on disk (correct, 10 to 20 times slower), and are replaced by forks when it is done.

    Reads dirty shared pages (inside Oxigraph's in-memory store; most likely reference counts
    in the nodes a scan walks). At 1M, after bench/endpoint.py's mix, each of four workers held
    281 MB of its own, of a copy of about 330 MB (the zygote read 358 MB private before it
    forked), and 275 MB had been copied by every worker: reads that scan make most of the copy a
    worker's own, and later queries add little. So the tree's memory after a scanning mix is
    about the copy times (1 + 0.85 x workers), not much below one copy per worker (1M, PSS after
    the mix: 1.46 GB against 1.96 GB before); what the zygote wins is start-up (one copy, not
    one per worker one after another), the peak while starting, and a replacement in
    milliseconds. ``TFATLAS_QUERY_WORKERS`` trades throughput for memory on a large store.
    Replacing a worker by a new fork once its private memory passed a quarter of the copy cost
    2.4x the throughput at 1M (22 replacements in 30 s: each new fork dirties its pages again);
    the bound is now more than the whole copy (``PRIVATE_SHARE``), a guard against a worker that
    grows beyond what reads explain, read from /proc/PID/smaps_rollup at most once a second.
    Not done yet: several query threads per forked worker (pyoxigraph releases the GIL) would
    dirty one copy per process, not per query; a deadline then kills the process, and its
    innocent in-flight queries must be sent to another worker. A shared read-only store on
    disk is the 2-8x slower path.

    Every write through the store (``update``, ``load``, ``drop_graph``) bumps the store's write
    generation (the store's write hook, ``AtlasStore.subscribe``); before answering, a worker
    whose data is older is brought to the current generation, so a query sent after a successful
    update always sees it.

Why a write costs readers only its size
    Copying the store again after each write made reads of a join 2x to 50x slower for about a
    minute at 1M triples (issue 10). The pool therefore keeps each write's change
    (:mod:`.replay`): an actor's write and a dropped graph carry their exact delta, an operator's
    update is replayed from its text when that gives the store's result. A worker behind by a few
    writes gets them, in generation order, and applies them to its in-memory copy. A worker that
    cannot follow (its copy is still being made, a change was not kept, or applying failed) gets
    a fork of the zygote (or, while the zygote makes a new copy after a load or an update that
    does not replay exactly, a checkpoint to answer from on disk). ``tfatlas_query_worker_copies`` and
    ``tfatlas_query_worker_applied_writes`` on /-/metrics count both ways.

    Two workers per core (capped by ``TFATLAS_THREADS``): while one hands its answer back, another
    evaluates (bench/endpoint.py, 100k, concurrency 8: 2 workers 0.75 to 0.90x the throughput of
    ``oxigraph serve`` in memory, 4 workers 1.03x). ``tfatlas_query_workers{data=...}`` on
    /-/metrics shows where the pool stands. ``tfatlas serve`` starts the workers at start; an app
    made in a test starts them on its first query. bench/scale.py measures start-up and memory.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

from ..errors import DeadlineExceeded, QueryFailed
from ..store.base import storage_error
from .messages import (Answered, Applied, Evaluate, Failed, Load, Loaded, QueryTask, Reply, Request, Status,
                       StatusRequest)
from .replay import change_message
from .results import Answer
from .snapshots import Snapshots
from .zygote import ForkedWorker, Spawned, Zygote, private_bytes

log = logging.getLogger(__name__)



#: Writes kept for workers that are behind; one further behind gets a new snapshot.
MAX_CHANGES = 1024
#: A forked worker whose own memory passes this share of the zygote's copy is replaced by a new fork
#: (reads that scan make most of it private: a lower share replaced workers again and again).
PRIVATE_SHARE = 1.25
MIN_PRIVATE_BYTES = 64 << 20


class _WorkerBroken(QueryFailed):
    """The worker is in an unknown state (a load failed or hung): it is replaced."""


class _Worker(Spawned):
    """A worker process started by the server: it answers from a snapshot on disk until a fork of
    the zygote takes its place (or from a small store's N-Quads dump, loaded whole)."""

    forked = False

    def __init__(self):
        super().__init__("tfatlas.sparql.worker_process", "worker_entry")
        self.in_memory = False  # as last reported


Worker = _Worker | ForkedWorker


class WorkerPool:
    """Query workers forked from a zygote that holds the in-memory copy; see the module docstring."""

    def __init__(self, store, size: int, load_timeout: float = 600.0, follow_writes: bool = True):
        self._size = size
        self._follow_writes = follow_writes
        self._load_timeout = load_timeout
        self._idle: queue.Queue[Worker] = queue.Queue()
        self._all: set[Worker] = set()
        self._lock = threading.RLock()
        self._started = False
        self._ready = threading.Event()  # set once a worker can answer
        self._closed = False
        self._zygote: Zygote | None = None  # holding a copy (maybe behind: it follows the writes)
        self._zygote_starting: Zygote | None = None  # making its copy
        self._failed_at = -1  # generation whose copy failed: not tried again until the data changes
        self._tend_now = threading.Event()
        self._private_limit = MIN_PRIVATE_BYTES
        self.snapshots = Snapshots(store)
        self.snapshots.changed(store.write_generation)
        # generation -> the message that brings a copy to it from the one before (None: copy again)
        self._changes: dict[int, Request | None] = {}
        self._unsubscribe = store.subscribe(self._follow)
        self.kills = 0
        self.copies = 0  # copies of the whole store made into memory (the zygote's)
        self.applied = 0  # writes applied to a copy instead
        self.recycled = 0  # workers replaced because their private memory grew

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
        self._tend_now.set()  # the zygote follows too (or makes a new copy), off the writer's thread

    def start(self) -> None:
        """Start the zygote's copy and the workers; until the copy is made they answer from disk."""
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._tend, name="tfatlas-zygote-tender", daemon=True).start()
        for _ in range(self._size):
            threading.Thread(target=self._add_worker, args=(True,), daemon=True).start()

    # -- the zygote --------------------------------------------------------------------------------

    def _tend(self) -> None:
        """Keep the zygote's copy at the current generation, and the idle workers forks of it."""
        while not self._closed:
            try:
                if self._tend_zygote():
                    self._refresh_idle()
            except Exception:  # never let the tender die: the pool would stay on disk
                log.exception("keeping the query workers' copy current failed")
            self._tend_now.wait(5)
            self._tend_now.clear()

    def _tend_zygote(self) -> bool:
        """True when the zygote holds the current generation (after following or copying)."""
        zygote = self._zygote
        if zygote is not None:
            with zygote.lock:
                try:
                    if zygote.generation >= self.generation or self._catch_up(zygote):
                        return True
                except (QueryFailed, EOFError, OSError) as exc:
                    log.warning("the zygote could not follow the writes (copying again): %s", exc)
            self._zygote = None
            zygote.kill()  # its memory is given back before the new copy is made
        if self._closed or self._failed_at == self.generation:
            return False
        zygote = Zygote()
        with self._lock:
            if self._closed:
                zygote.kill()
                return False
            self._zygote_starting = zygote
        try:
            return self._make_copy(zygote)
        finally:
            self._zygote_starting = None

    def _make_copy(self, zygote: Zygote) -> bool:
        try:
            generation, path = self.snapshots.take()
        except OSError as exc:
            zygote.kill()
            log.error("no snapshot for the zygote: %s", exc)
            return False
        self.copies += 1
        started = time.monotonic()
        try:
            zygote.send(Load(path, generation))
            reply = zygote.conn.recv() if zygote.conn.poll(self._load_timeout) else None
        except (EOFError, OSError) as exc:
            reply = Failed(500, str(exc))
        finally:
            self.snapshots.release(generation)  # the copy is in memory (or failed): nobody reads it
        if not isinstance(reply, Loaded):
            zygote.kill()
            if self._closed:  # stopped while copying
                return False
            self._failed_at = generation
            message = reply.message if isinstance(reply, Failed) else "no answer in time"
            log.error("the zygote could not copy the data into memory (workers answer from disk): %s", message)
            return False
        zygote.generation = reply.generation
        log.info("the query workers' copy of the data is in memory (%.1f s)", time.monotonic() - started)
        self._private_limit = max(MIN_PRIVATE_BYTES, int(zygote.private_bytes() * PRIVATE_SHARE))
        with self._lock:
            if self._closed:
                zygote.kill()
                return False
            self._zygote = zygote
        return self._tend_zygote()  # follow the writes made while it copied

    def _fork_current(self) -> ForkedWorker | None:
        """A new worker forked from the zygote at the current generation, or None (no such copy)."""
        zygote = self._zygote
        if zygote is None:
            return None
        with zygote.lock:
            try:
                if zygote.generation < self.generation and not self._catch_up(zygote):
                    self._tend_now.set()
                    return None
                worker = zygote.fork()
            except (QueryFailed, EOFError, OSError) as exc:
                log.warning("the zygote could not fork a query worker: %s", exc)
                self._tend_now.set()
                return None
        with self._lock:
            if self._closed:
                worker.kill()
                return None
            self._all.add(worker)
        return worker

    def _refresh_idle(self) -> None:
        """Replace idle workers that answer from disk by forks of the current copy."""
        stale: list[Worker] = []
        fresh: list[Worker] = []
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                break
            # a fork behind catches up itself; one sent a snapshot (it could not follow) is replaced
            (fresh if worker.forked and worker.in_memory else stale).append(worker)
        for worker in stale:
            replacement = self._fork_current()
            if replacement is None:
                fresh.append(worker)
            else:
                self._retire(worker)
                fresh.append(replacement)
        for worker in fresh:
            self._idle.put(worker)

    # -- workers ---------------------------------------------------------------------------------

    def _add_worker(self, warm: bool = False) -> None:
        worker = self._fork_current()
        if worker is None:
            with self._lock:  # started under the lock: close() either stops this worker or came first
                if self._closed:
                    return
                worker = _Worker()
                self._all.add(worker)
        if warm:  # a replacement loads the data before it takes queries
            try:
                worker = self._sync(worker)
            except (QueryFailed, EOFError, OSError) as exc:
                self._retire(worker)
                if not self._closed:  # at shutdown the server stopped it itself
                    log.error("a query worker could not load the data: %s", exc)
                self._ready.set()  # queries then get 503 rather than waiting for a load that failed
                return
        self._idle.put(worker)
        self._ready.set()

    def _retire(self, worker: Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        worker.kill()
        for generation in list(worker.holding):
            self.snapshots.release(generation)
        worker.holding.clear()

    def _replace_later(self, worker: Worker) -> None:
        self._retire(worker)
        if not self._closed:
            threading.Thread(target=self._add_worker, args=(True,), daemon=True).start()

    def _sync(self, worker: Worker, deadline: float | None = None) -> Worker:
        """The worker, or the fork that replaced it, at the current generation."""
        if worker.generation >= self.generation:
            return worker
        if self._catch_up(worker, deadline):
            return worker
        replacement = self._fork_current()
        if replacement is not None:
            self._retire(worker)
            return replacement
        self._tend_now.set()  # answer from disk now; a fork replaces this worker when copied
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
        worker.in_memory = False
        return worker

    def _catch_up(self, worker, deadline: float | None = None) -> bool:
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
            if worker.forked or isinstance(worker, _Worker):
                self.applied += 1  # per worker, as before; the zygote's own are not counted
        return True

    def _receive(self, worker) -> Reply:
        """The worker's reply; the snapshots it released meanwhile are released here."""
        reply: Reply = worker.conn.recv()
        for generation in reply.released:
            if generation in worker.holding:
                worker.holding.discard(generation)
                self.snapshots.release(generation)
        return reply

    def _grew(self, worker: Worker) -> bool:
        """True when a forked worker's own memory (the shared pages its reads dirtied) passed the
        limit; read at most once a second per worker."""
        if not worker.forked or time.monotonic() - worker.measured < 1.0:
            return False
        worker.measured = time.monotonic()
        return private_bytes(worker.pid) > self._private_limit

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
            worker = self._sync(worker, deadline)
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
        if self._grew(worker):
            self.recycled += 1
            self._replace_later(worker)
        else:
            self._idle.put(worker)
            if not worker.forked and self._zygote is not None:
                self._tend_now.set()  # a fork of the copy can take its place
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
        if counts["disk"] or counts["starting"]:
            self._tend_now.set()
        return counts

    def close(self) -> None:
        self._unsubscribe()
        with self._lock:
            self._closed = True
            workers, self._all = list(self._all), set()
            zygotes = [self._zygote, self._zygote_starting]
            self._zygote = None
        self._tend_now.set()
        for worker in workers:
            worker.kill()
        for zygote in {z for z in zygotes if z is not None}:
            zygote.kill()
        self.snapshots.close()
