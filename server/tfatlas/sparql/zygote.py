"""The zygote: one process that holds the in-memory copy of the data and forks query workers from it.

See :mod:`tfatlas.sparql.workers` for why. The zygote never opens RocksDB (its background threads
would not survive a fork): a short-lived helper process dumps the snapshot as N-Quads into a pipe,
and the zygote bulk-loads from that pipe, so dumping and loading run on two cores at once. Between
forks the zygote runs on one thread only; what it runs on other threads (a write applied on a large
stack) has ended before it forks.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter

from .messages import Applied, Apply, Channel, Failed, Fork, Forked, Load, Loaded, Replay

log = logging.getLogger(__name__)

_DUMP = ("import signal; signal.signal(signal.SIGINT, signal.SIG_IGN); import sys; "
         "from tfatlas.sparql.zygote import dump_entry; dump_entry(*sys.argv[1:])")


class WorkerProcess:
    """What the pool keeps of one worker process: its slots (one connection and one query thread
    each, over the process's one copy), the generation the process's copy is at, the snapshots it
    may still read (a count per generation: one per ``Load`` sent), and the pool's own marks."""

    forked: bool
    slots: list

    def _init_process(self, generation: int) -> None:
        self.generation = generation
        self.holding: Counter[int] = Counter()
        self.in_memory = self.forked  # as last reported
        self.measured = time.monotonic()  # when its private memory was last read
        self.busy = 0  # slots handed out to requests
        self.stopped: str | None = None  # why the pool killed it ("deadline", "broken", ...)
        self.retiring = False  # takes no new query; killed when its last one is answered


class Spawned(WorkerProcess):
    """A child process started with subprocess, not multiprocessing: ``spawn`` re-runs the main
    module (``tfatlas serve`` itself) in the child, and ``fork`` would copy an open RocksDB. It
    runs ``entry(fd)`` of ``module``, talking to the server over the socket ``fd``."""

    forked = False

    def __init__(self, module: str, entry: str):
        parent, child = socket.socketpair()
        # SIGINT ignored first thing: Ctrl-C reaches the whole process group, and the server
        # stops its workers itself (else each printed a KeyboardInterrupt traceback).
        code = ("import signal; signal.signal(signal.SIGINT, signal.SIG_IGN); import sys; "
                f"from {module} import {entry}; {entry}(int(sys.argv[1]))")
        self.process = subprocess.Popen([sys.executable, "-c", code, str(child.fileno())],
                                        pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL)
        child.close()
        self.socket = parent
        self.conn = Channel(parent)
        self.pid = self.process.pid
        self.owner = self  # a spawned process is its own one slot
        self.slots = [self]
        self._init_process(-1)

    def send(self, message) -> None:
        self.conn.send(message)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.conn.close()


class Zygote(Spawned):
    """The server's handle on the zygote process (used under ``lock``: one request at a time)."""

    def __init__(self):
        super().__init__("tfatlas.sparql.zygote", "zygote_worker_entry")
        self.lock = threading.RLock()

    def fork(self, slots: int = 1) -> ForkedWorker:
        """A new query worker holding the zygote's copy (shared copy-on-write), at its generation,
        answering on ``slots`` threads."""
        self.conn.send(Fork(slots))
        if not self.conn.poll(30):
            raise OSError("the zygote did not fork a worker in time")
        reply = self.conn.recv()
        if not isinstance(reply, Forked):
            raise OSError(f"the zygote could not fork a worker: {getattr(reply, 'message', reply)}")
        _, fds, _, _ = socket.recv_fds(self.socket, 1, slots)
        if len(fds) != slots:
            for fd in fds:
                os.close(fd)
            raise OSError("the zygote sent no connections for its new worker")
        return ForkedWorker(reply.pid, fds, reply.generation)

    def private_bytes(self) -> int:
        return private_bytes(self.process.pid)


class Slot:
    """One query thread of a forked worker process: its own connection; the copy is the process's."""

    forked = True

    def __init__(self, owner: ForkedWorker, fd: int):
        self.owner = owner
        self.conn = Channel(socket.socket(fileno=fd))

    @property
    def generation(self) -> int:
        return self.owner.generation

    @generation.setter
    def generation(self, value: int) -> None:
        # slots of one process apply its writes once: a sibling may be further already
        self.owner.generation = max(self.owner.generation, value)

    @property
    def holding(self):
        return self.owner.holding

    def send(self, message) -> None:
        self.conn.send(message)


class ForkedWorker(WorkerProcess):
    """A query worker process forked by the zygote: a child of the zygote, so it is signalled by
    pidfd (no race with a reused pid) and the zygote reaps it. Killing it ends all its slots."""

    forked = True

    def __init__(self, pid: int, fds: list[int], generation: int):
        self.pid = pid
        try:
            self._pidfd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:  # it died at once; the first message finds out
            self._pidfd = None
        self._kill_lock = threading.Lock()
        self.slots = [Slot(self, fd) for fd in fds]
        self._init_process(generation)

    def kill(self) -> None:
        # The pool's closing and a request thread replacing this worker may both kill it: the
        # pidfd is taken under a lock, so it is closed once (else EBADF, or another file closed).
        with self._kill_lock:
            pidfd, self._pidfd = self._pidfd, None
        if pidfd is not None:
            try:
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                select.select([pidfd], [], [], 5)  # readable once it has ended
            except ProcessLookupError:
                pass
            os.close(pidfd)
        for slot in self.slots:
            slot.conn.close()


def private_bytes(pid: int) -> int:
    """Memory of a process that no other process shares (its dirtied copy-on-write pages)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            return sum(int(line.split()[1]) * 1024 for line in rollup if line.startswith("Private_"))
    except (OSError, ValueError, IndexError):
        return 0


# -- the zygote process ----------------------------------------------------------------------------

def dump_entry(path: str, copy_to: str = "", status_fd: str = "") -> None:
    """Entry point of the helper that dumps a snapshot into the zygote's pipe (and, with
    ``copy_to``, into the warm-start file, :mod:`.warm_start`). ``status_fd`` gets b"ok" once the
    whole dump is in the pipe; the warm-start file is made durable after that."""
    import ctypes

    import pyoxigraph as ox

    zygote = os.getppid()
    # Ends with the zygote (which starts it from its only thread, so the signal means the zygote).
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != zygote:
        os._exit(1)
    out = tee = sys.stdout.buffer
    if copy_to:
        from .warm_start import Tee

        out = tee = Tee(sys.stdout.buffer, copy_to)
    try:
        ox.Store.read_only(path).dump(out, ox.RdfFormat.N_QUADS)
        sys.stdout.buffer.flush()
    except (OSError, RuntimeError) as exc:
        if copy_to:
            tee.give_up()
        # BrokenPipeError: the zygote stopped. RuntimeError ("Corruption ... No such file"): the
        # snapshot was deleted under the dump, as when the server stops during a first copy. Both
        # end quietly; anything else is one line (the zygote reports the failed copy itself).
        if not isinstance(exc, BrokenPipeError) and os.path.isdir(path) and "No such file" not in str(exc):
            print(f"tfatlas: dumping the snapshot for the query workers failed: {exc}", file=sys.stderr)
        os._exit(1)
    if status_fd:
        os.write(int(status_fd), b"ok")
        os.close(int(status_fd))
    if copy_to:
        # The zygote has it all: its end of the pipe ends here, and the file's fsync is not its wait.
        # The file is complete, so it is finished even if the server stops meanwhile.
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        ctypes.CDLL(None, use_errno=True).prctl(1, 0)
        tee.finish()


#: Dump helpers making their warm-start file durable after the zygote got the copy (reaped later).
_finishing: list[subprocess.Popen] = []


def _copy(path: str):
    """The in-memory copy of a snapshot: the warm-start file's if it matches, else a dump's.

    ``Store.load``, not ``bulk_load``: into memory it took less CPU and about 60 % of the peak
    memory at 1M (bench/query_copy.py)."""
    import pyoxigraph as ox

    from .warm_start import WarmStart

    memory = ox.Store()
    if not os.path.isdir(path):  # an N-Quads dump (a store without checkpoints)
        memory.bulk_load(path=path, format=ox.RdfFormat.N_QUADS)
        return memory
    _finishing[:] = [helper for helper in _finishing if helper.poll() is None]
    warm = WarmStart.of(path)
    if warm is not None:
        warm.remove_others()
        if (ready := warm.matching()) is not None:
            try:
                memory.load(path=str(ready), format=ox.RdfFormat.N_QUADS)
                log.info("the query workers' copy was loaded from the warm-start file %s", ready)
                return memory
            except (OSError, SyntaxError, ValueError) as exc:
                log.warning("the warm-start file %s did not load (removed; dumping the store): %s", ready, exc)
                warm.discard()
                memory = ox.Store()
    copy_to = str(warm.path) if warm is not None and warm.room_to_write() else ""
    return _dump_into(memory, path, copy_to)


def _dump_into(memory, path: str, copy_to: str):
    import pyoxigraph as ox

    done, status = os.pipe()
    try:
        dumper = subprocess.Popen([sys.executable, "-c", _DUMP, path, copy_to, str(status)],
                                  stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, bufsize=1 << 20,
                                  pass_fds=(status,))
    finally:
        os.close(status)
    try:
        memory.load(dumper.stdout, ox.RdfFormat.N_QUADS)
    finally:
        dumper.stdout.close()
        with open(done, "rb") as reply:
            complete = reply.read() == b"ok"
    if not complete:
        raise RuntimeError(f"dumping the snapshot failed (exit status {dumper.wait()})")
    if copy_to:
        _finishing.append(dumper)  # it goes on to make the warm-start file durable
    else:
        dumper.wait()
    return memory


def _single_threaded(timeout: float = 2.0) -> bool:
    """Wait until this process runs one thread (a thread that was joined may still be ending)."""
    end = time.monotonic() + timeout
    while len(os.listdir("/proc/self/task")) > 1:
        if time.monotonic() > end:
            return False
        time.sleep(0.005)
    return True


def _fork(memory, generation: int, conn: Channel, slots: int) -> tuple[int, list[socket.socket]]:
    from .worker_process import run_forked_worker

    if not _single_threaded():
        raise RuntimeError("the zygote runs other threads; forking now is not safe")
    pairs = [socket.socketpair() for _ in range(max(1, slots))]
    pid = os.fork()
    if pid == 0:  # the worker: only the zygote's copy and its own sockets
        try:
            conn.close()
            for ours, _ in pairs:
                ours.close()
            run_forked_worker([theirs for _, theirs in pairs], memory, generation)
        finally:
            os._exit(0)
    for _, theirs in pairs:
        theirs.close()
    return pid, [ours for ours, _ in pairs]


def _reap(children: set[int]) -> None:
    for pid in list(children):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            children.discard(pid)


def zygote_worker_entry(fd: int) -> None:
    """Entry point of the zygote process (its name says "worker_entry": tools that look for the
    engine's processes by command line find the zygote and the workers it forks)."""
    from .replay import apply_change
    from .stack import on_large_stack

    conn = Channel(socket.socket(fileno=fd))
    memory, generation = None, -1
    children: set[int] = set()
    while True:
        _reap(children)
        try:
            if not conn.poll(1.0):
                continue
            message = conn.recv()
        except (EOFError, OSError):
            return  # the server went away; the workers notice it themselves
        try:
            if isinstance(message, Load):
                memory = None  # the old copy's memory is given back before the new one is made
                memory, generation = _copy(message.path), message.generation
                conn.send(Loaded(generation))
            elif isinstance(message, (Apply, Replay)):
                if memory is None or generation != message.generation - 1:
                    conn.send(Failed(409, "the zygote's copy cannot follow this write"))
                    continue
                generation = -1  # if applying fails midway the copy is wrong and is not forked
                on_large_stack(apply_change, memory, message)
                generation = message.generation
                conn.send(Applied(generation))
            elif isinstance(message, Fork):
                if memory is None or generation < 0:
                    conn.send(Failed(409, "the zygote holds no copy of the data"))
                    continue
                pid, ours = _fork(memory, generation, conn, message.slots)
                children.add(pid)
                conn.send(Forked(pid, generation))
                socket.send_fds(conn.socket, [b"F"], [sock.fileno() for sock in ours])
                for sock in ours:
                    sock.close()
            else:
                conn.send(Failed(400, f"the zygote does not handle {type(message).__name__}"))
        except Exception as exc:  # report, never die silently
            log.warning("the zygote failed: %s", exc)
            conn.send(Failed(500, f"{type(exc).__name__}: {exc}"))
