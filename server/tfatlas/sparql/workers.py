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
    milliseconds. Fewer processes trade isolation (see below) for memory on a large store.
    Replacing a worker by a new fork once its private memory passed a quarter of the copy cost
    2.4x the throughput at 1M (22 replacements in 30 s: each new fork dirties its pages again);
    the bound is now more than the whole copy (``PRIVATE_SHARE``), a guard against a worker that
    grows beyond what reads explain, read from /proc/PID/smaps_rollup at most once a second.
    (That bound is per process: the slots of one process dirty one copy.)

Why several query threads per worker process
    Since memory grows with the processes, not with the queries, one process runs several query
    slots: a thread each, with its own connection to the server, over the process's one copy.
    pyoxigraph releases the GIL while it evaluates and serialises (the domain mix at 100k in one
    process: 0.31 s on one thread, 0.19 s on two, the coordinator's figure), so the slots of one
    process use both cores. ``TFATLAS_QUERY_WORKERS`` is the number of slots,
    ``TFATLAS_QUERY_PROCESSES`` the processes they are spread over: by default one when the copy
    is larger than ``ONE_PROCESS_BYTES`` (10M: a copy of about 3.3 GB, so about 6 GB after a
    scanning mix instead of 14), else two (a deadline then stops half the slots, not all).
    Measured at 1M with four slots (bench/scale.py, one round; memory is not disturbed by the
    load average of 17-27 that ran meanwhile): the whole tree's peak RSS / PSS 3.11 / 1.73 GB with
    four single-threaded processes (1de0cc0), 1.54 / 1.19 GB with one process of four threads,
    2.02 / 1.35 GB with two of two; after the mix 1.43 / 1.09 GB with one. At 10M on a quiet
    machine (bench/scale.py --store, default settings) the whole tree's peak was RSS 6.94 GB and
    PSS 6.27 GB, against 13.8 GB RSS for a copy per worker (RSS counts the copy in the zygote and
    in the worker, PSS once).

    The deadline guarantee stays: a query past it kills its whole process (evaluation cannot be
    stopped otherwise). The queries on the other threads of that process are innocent: they see
    their connection end, the pool knows it killed the process itself (``stopped``), and sends
    them again to a live slot with the rest of their own deadline; a new fork takes the killed
    one's place at once, and the killed process's idle slots are dropped, never handed out. A
    process that died by itself (out of memory?) answers 503 to all its queries: any of them may
    have been the cause. A process to be replaced for another reason (its memory grew, it cannot
    follow a write) takes no new query and ends when its last one is answered.

    The slots share the copy, so a write is applied once per process: ``_WorkerState.follow`` is
    serialised, and a slot whose sibling already applied that generation answers Applied. Oxigraph's
    in-memory store gives each query a snapshot when ``Store.query`` is called, so queries take it
    through a start gate: a write waits for the queries inside ``Store.query``, and queries that
    come during a write wait for it, so none sees half a write. An aggregate is evaluated whole
    inside ``Store.query``: a write waits for it at most ``APPLY_WAIT``; past it the process does
    not apply the write, and the pool forks a current worker and retires the old one.

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

    Two slots per core (capped by ``TFATLAS_THREADS``): while one hands its answer back, another
    evaluates (bench/endpoint.py, 100k, concurrency 8, one slot per process: 2 slots 0.75 to 0.90x
    the throughput of ``oxigraph serve`` in memory, 4 slots 1.03x). ``tfatlas_query_workers{data=...}``
    on /-/metrics counts the slots by where their process's data is. An answer's body travels
    unpickled after a small header (:class:`.messages.Channel`). ``tfatlas serve`` starts the workers at start; an app
    made in a test starts them on its first query. bench/scale.py measures start-up and memory.
"""

from __future__ import annotations

import logging
import math
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
from .zygote import ForkedWorker, Slot, Spawned, Zygote, private_bytes

log = logging.getLogger(__name__)


#: Writes kept for workers that are behind; one further behind gets a new snapshot.
MAX_CHANGES = 1024
#: A forked worker whose own memory passes this share of the zygote's copy is replaced by a new fork
#: (reads that scan make most of it private: a lower share replaced workers again and again).
PRIVATE_SHARE = 1.25
MIN_PRIVATE_BYTES = 64 << 20
#: With ``TFATLAS_QUERY_PROCESSES`` 0, a copy larger than this is shared by all query slots in one
#: process (each process's scans make most of the copy its own); a smaller one by two.
ONE_PROCESS_BYTES = 1 << 30


class _WorkerBroken(QueryFailed):
    """The worker is in an unknown state (a load failed or hung): it is replaced."""


class _Resend(Exception):
    """The query's worker process was killed for another query (or replaced): send it again."""


class _Worker(Spawned):
    """A worker process started by the server, with one slot: it answers from a snapshot on disk
    until a fork of the zygote takes its place (or from a small store's N-Quads dump, loaded whole)."""

    def __init__(self):
        super().__init__("tfatlas.sparql.worker_process", "worker_entry")


Worker = _Worker | Slot  # what a query is sent to: one slot of a worker process
Process = _Worker | ForkedWorker


class WorkerPool:
    """Query slots in worker processes forked from a zygote that holds the in-memory copy; see the
    module docstring. ``size`` slots in all, in ``processes`` forked processes (0: chosen by the
    size of the copy)."""

    def __init__(self, store, size: int, load_timeout: float = 600.0, follow_writes: bool = True,
                 processes: int = 0):
        self._size = max(1, size)
        self._processes = processes
        self._per_process = self._size  # slots per forked process, set when the copy is made
        self._follow_writes = follow_writes
        self._load_timeout = load_timeout
        self._idle: queue.Queue[Worker] = queue.Queue()
        self._all: set[Process] = set()
        self._lock = threading.RLock()
        self._grow_lock = threading.Lock()  # one top-up decision at a time
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
        self.applied = 0  # writes applied to a copy instead (once per worker process)
        self.recycled = 0  # workers replaced because their private memory grew
        self.resent = 0  # queries sent again because their process was killed for another query

    @property
    def generation(self) -> int:
        return self.snapshots.generation

    @property
    def processes(self) -> int:
        """Forked worker processes the slots are spread over (as chosen once the copy is made)."""
        return math.ceil(self._size / self._per_process)

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
        for _ in range(self._size):  # disk workers load their snapshots side by side
            threading.Thread(target=self._top_up, daemon=True).start()

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
        copy_bytes = zygote.private_bytes()
        self._private_limit = max(MIN_PRIVATE_BYTES, int(copy_bytes * PRIVATE_SHARE))
        processes = self._processes or (1 if copy_bytes > ONE_PROCESS_BYTES else 2)
        self._per_process = math.ceil(self._size / max(1, min(processes, self._size)))
        with self._lock:
            if self._closed:
                zygote.kill()
                return False
            self._zygote = zygote
        return self._tend_zygote()  # follow the writes made while it copied

    def _fork_current(self) -> ForkedWorker | None:
        """A new worker process forked from the zygote at the current generation, or None (no such
        copy); it is counted in the pool, its slots are not in the idle queue yet."""
        zygote = self._zygote
        if zygote is None:
            return None
        with zygote.lock:
            try:
                if zygote.generation < self.generation and not self._catch_up(zygote):
                    self._tend_now.set()
                    return None
                process = zygote.fork(self._per_process)
            except (QueryFailed, EOFError, OSError) as exc:
                log.warning("the zygote could not fork a query worker: %s", exc)
                self._tend_now.set()
                return None
        with self._lock:
            if self._closed:
                process.kill()
                return None
            self._all.add(process)
        return process

    def _live_slots(self) -> int:
        with self._lock:
            return sum(len(p.slots) for p in self._all if not p.retiring)

    def _refresh_idle(self) -> None:
        """Replace idle workers that answer from disk by forks of the current copy."""
        stale: list[Worker] = []
        fresh: list[Worker] = []
        while True:
            try:
                slot = self._idle.get_nowait()
            except queue.Empty:
                break
            if slot.owner.stopped or slot.owner.retiring:
                continue
            # a fork behind catches up itself; one sent a snapshot (it could not follow) is replaced
            (fresh if slot.owner.forked and slot.owner.in_memory else stale).append(slot)
        with self._grow_lock:  # counted with a top-up's forks: the pool never ends up with more
            for slot in stale:
                owner = slot.owner
                if owner.retiring:
                    continue
                if self._live_slots() - len(owner.slots) < self._size:
                    replacement = self._fork_current()
                    if replacement is None:
                        fresh.append(slot)
                        continue
                    fresh.extend(replacement.slots)
                self._retire_gracefully(owner)  # it ends when its slots answered what they are running
        for slot in fresh:
            self._idle.put(slot)

    # -- workers ---------------------------------------------------------------------------------

    def _top_up(self) -> None:
        """Add worker processes until the pool has its slots: forks of the copy, or (while there is
        none) workers that load a snapshot from disk first."""
        while not self._closed:
            with self._grow_lock:
                if self._live_slots() >= self._size:
                    return
                process = self._fork_current()
                if process is None:
                    with self._lock:  # under the lock: close() either stops this worker or came first
                        if self._closed:
                            return
                        process = _Worker()
                        self._all.add(process)
            if not process.forked:
                try:
                    self._load_snapshot(process)
                except (QueryFailed, EOFError, OSError) as exc:
                    process.stopped = "broken"
                    self._retire(process)  # not replaced: the next one would fail alike
                    if not self._closed:  # at shutdown the server stopped it itself
                        log.error("a query worker could not load the data: %s", exc)
                    self._ready.set()  # queries then get 503 rather than waiting for a load that failed
                    return
            for slot in process.slots:
                self._idle.put(slot)
            self._ready.set()

    def _retire(self, process: Process) -> None:
        with self._lock:
            self._all.discard(process)
        process.kill()
        with self._lock:
            holding = list(process.holding.elements())
            process.holding.clear()
        for generation in holding:
            self.snapshots.release(generation)

    def _stop(self, process: Process, reason: str) -> None:
        """Kill a worker process now (its slots' queries in flight are sent again unless it died
        by itself) and start its replacement."""
        with self._lock:
            if process.stopped:
                return
            process.stopped = reason
        self._retire(process)
        if not self._closed:
            threading.Thread(target=self._top_up, daemon=True).start()

    def _retire_gracefully(self, process: Process) -> None:
        """No new query for this process; it is killed once its queries in flight are answered."""
        with self._lock:
            process.retiring = True
            done = process.busy == 0 and not process.stopped
            if done:
                process.stopped = "retired"
        if done:
            self._retire(process)

    def _take(self, timeout: float) -> Worker:
        """An idle slot of a live process (raises queue.Empty after ``timeout`` seconds)."""
        end = time.monotonic() + timeout
        while True:
            slot = self._idle.get(timeout=max(0.0, end - time.monotonic()))
            with self._lock:
                owner = slot.owner
                if not (owner.stopped or owner.retiring):
                    owner.busy += 1
                    return slot

    def _give_back(self, slot: Worker) -> None:
        owner = slot.owner
        with self._lock:
            owner.busy -= 1
            keep = not (owner.stopped or owner.retiring)
            done = owner.retiring and not owner.stopped and owner.busy == 0
            if done:
                owner.stopped = "retired"
        if keep:
            self._idle.put(slot)
        elif done:
            self._retire(owner)

    def _sync(self, slot: Worker, deadline: float | None = None) -> Worker:
        """The slot, or one of the fork that replaced its process, at the current generation (taken
        for the caller, who gives it back)."""
        if slot.generation >= self.generation:
            return slot
        if self._catch_up(slot, deadline):
            return slot
        replacement = self._fork_current()
        if replacement is not None:
            with self._lock:
                replacement.busy += 1
            first, *rest = replacement.slots
            for other in rest:
                self._idle.put(other)
            self._retire_gracefully(slot.owner)
            self._give_back(slot)
            return first
        self._tend_now.set()  # answer from disk now; a fork replaces this worker when copied
        self._load_snapshot(slot)
        return slot

    def _load_snapshot(self, slot: Worker) -> None:
        try:
            generation, path = self.snapshots.take()
        except OSError as exc:  # a full disk: the worker is fine, the server is not
            error = storage_error(exc, ("the snapshot the query workers read",
                                        "die Momentaufnahme für die Abfrageprozesse"))
            raise QueryFailed(error.status, error.message) from None
        with self._lock:
            slot.owner.holding[generation] += 1
        slot.send(Load(path, generation))
        if not slot.conn.poll(self._load_timeout):
            raise _WorkerBroken(503, "a query worker did not open the data in time")
        reply = self._receive(slot)
        if not isinstance(reply, Loaded):
            message = reply.message if isinstance(reply, Failed) else type(reply).__name__
            raise _WorkerBroken(500, f"a query worker could not open the data: {message}")
        slot.owner.generation = reply.generation  # a snapshot may also take a copy back to disk
        slot.owner.in_memory = False

    def _catch_up(self, worker, deadline: float | None = None) -> bool:
        """Apply the writes since the worker's generation to its copy, in order; False when one is
        not known here or the worker cannot apply it (then it gets a new snapshot).

        Before a query, applying is bounded by the query's deadline (an operator's update over the
        whole store replays as long as it ran): past it the worker is replaced, which copies the
        store again in the background, and the query gets 504 like any other past its deadline.
        Slots of one process may send the same write: the process applies it once."""
        if worker.generation < 0:
            return False
        target = self.generation
        with self._lock:
            changes = [self._changes.get(g) for g in range(worker.generation + 1, target + 1)]
        if not changes or any(change is None for change in changes):
            return False
        for change in changes:
            if worker.generation >= change.generation:  # a sibling slot brought the process there
                continue
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
            if isinstance(worker, Zygote):
                worker.generation = reply.generation
                continue
            with self._lock:
                first = worker.owner.generation < reply.generation
                worker.generation = reply.generation
            if first:
                self.applied += 1  # per process (its slots share the copy); the zygote's not counted
        return True

    def _receive(self, worker) -> Reply:
        """The worker's reply; the snapshots it released meanwhile are released here."""
        reply: Reply = worker.conn.recv()
        if reply.released:
            with self._lock:
                released = []
                for generation in reply.released:
                    if worker.holding[generation] > 0:
                        worker.holding[generation] -= 1
                        released.append(generation)
            for generation in released:
                self.snapshots.release(generation)
        return reply

    def _measure_later(self, slot: Worker) -> None:
        """At most once a second per forked worker process, read its own memory (the shared pages
        its reads dirtied) on another thread (the read walks the process's page tables: at 1M it
        cost the request milliseconds), and replace the process when it passed the limit."""
        owner = slot.owner
        if not owner.forked or time.monotonic() - owner.measured < 1.0:
            return
        owner.measured = time.monotonic()

        def measure() -> None:
            if private_bytes(owner.pid) > self._private_limit:
                self.recycled += 1
                self._tend_now.set()
                self._recycle(owner)

        threading.Thread(target=measure, daemon=True).start()

    def run(self, task: QueryTask, deadline: float) -> Answer:
        self.start()
        # The first load of a large store may take longer than a deadline: it is no query's fault.
        self._ready.wait(self._load_timeout)
        end: float | None = None  # the deadline runs from when the query is first sent
        while True:
            try:
                slot = self._take(deadline if end is None else end - time.monotonic())
            except queue.Empty:
                if end is not None:  # sent again, and no slot before its own deadline
                    raise DeadlineExceeded(504, _past_deadline(deadline)) from None
                raise QueryFailed(503, f"all query workers stayed busy for {deadline:g} s; "
                                       "try again later") from None
            if end is None:
                end = time.monotonic() + deadline
            try:
                reply = self._run_on(slot, task, deadline, end)
            except _Resend:
                self.resent += 1
                if time.monotonic() >= end:
                    raise DeadlineExceeded(504, _past_deadline(deadline)) from None
                continue
            break
        if isinstance(reply, Answered):
            return Answer(reply.body, reply.content_type, reply.rows)
        if isinstance(reply, Failed):
            raise QueryFailed(reply.status, reply.message)
        raise QueryFailed(500, f"a query worker answered a query with {type(reply).__name__}")

    def _run_on(self, slot: Worker, task: QueryTask, deadline: float, end: float) -> Reply:
        """Evaluate on this slot (taken), within what is left of the query's deadline; gives it back."""
        try:
            slot = self._sync(slot, max(0.0, end - time.monotonic()))
            slot.send(Evaluate(task))
            if not slot.conn.poll(max(0.0, end - time.monotonic())):
                self.kills += 1
                self._stop(slot.owner, "deadline")  # evaluation really stops; its siblings' queries are sent again
                raise DeadlineExceeded(504, _past_deadline(deadline))
            reply = self._receive(slot)
        except (EOFError, OSError):
            if slot.owner.stopped not in (None, "died"):  # killed by the pool for another query
                raise _Resend from None
            self._stop(slot.owner, "died")
            raise QueryFailed(503, "the query worker ended unexpectedly (out of memory?); "
                                   "the query was not answered") from None
        except _WorkerBroken:
            self._stop(slot.owner, "broken")
            raise
        finally:
            self._give_back(slot)
        self._measure_later(slot)
        if not slot.owner.forked and self._zygote is not None:
            self._tend_now.set()  # a fork of the copy can take its place
        return reply

    def _recycle(self, process: Process) -> None:
        """Replace a worker process whose memory grew: the new fork first, then the old one ends
        when its queries in flight are answered."""
        with self._grow_lock:
            if process.retiring or process.stopped:
                return
            replacement = self._fork_current()
        if replacement is None:
            return
        for slot in replacement.slots:
            self._idle.put(slot)
        self._retire_gracefully(process)

    def status(self) -> dict[str, int]:
        """Query slots by where their process's data is: "memory", "disk" (a copy is being made) or
        "starting".

        Asks the processes of idle slots (busy ones count as they were last seen), so that an
        operator or a benchmark can tell when the pool answers at in-memory speed.
        """
        counts = {"memory": 0, "disk": 0, "starting": 0}
        asked: list[Worker] = []
        seen: set[int] = set()
        while True:
            try:
                slot = self._take(0)
            except queue.Empty:
                break
            asked.append(slot)
            if id(slot.owner) in seen:
                continue
            seen.add(id(slot.owner))
            try:
                if 0 <= slot.generation < self.generation:
                    self._catch_up(slot)  # a copy one write behind is at full speed all the same
                slot.send(StatusRequest())
                if slot.conn.poll(5):
                    reply = self._receive(slot)
                    if isinstance(reply, Status):
                        slot.owner.in_memory = reply.in_memory and reply.generation == self.generation
            except (EOFError, OSError, QueryFailed):
                pass
        for slot in asked:
            self._give_back(slot)
        with self._lock:
            processes = [p for p in self._all if not p.retiring]
        for process in processes:
            if process.generation < 0:
                counts["starting"] += len(process.slots)
            else:
                counts["memory" if process.in_memory else "disk"] += len(process.slots)
        if counts["disk"] or counts["starting"]:
            self._tend_now.set()
        return counts

    def close(self) -> None:
        self._unsubscribe()
        with self._lock:
            self._closed = True
            processes, self._all = list(self._all), set()
            zygotes = [self._zygote, self._zygote_starting]
            self._zygote = None
        self._tend_now.set()
        for process in processes:
            process.kill()
        for zygote in {z for z in zygotes if z is not None}:
            zygote.kill()
        self.snapshots.close()


def _past_deadline(deadline: float) -> str:
    return (f"the query ran longer than this server's deadline of {deadline:g} s (TFATLAS_QUERY_TIMEOUT) "
            "and was stopped")
